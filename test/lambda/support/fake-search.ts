import { Client } from '@opensearch-project/opensearch';

/** One request the fake transport received. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly querystring?: Record<string, unknown>;
  readonly body?: unknown;
  readonly bulkBody?: unknown;
}

/** Answers a request: a status and a body, or an error to throw. */
export type Responder = (request: RecordedRequest) => { statusCode?: number; body?: unknown } | Error;

/**
 * A real OpenSearch `Client` whose transport records each request and answers from `responder`,
 * so tests assert the exact bodies the API methods send.
 */
export function fakeSearch(responder: Responder = () => ({ body: {} })): { client: Client; requests: RecordedRequest[] } {
  const client = new Client({ node: 'https://search.example.internal' });
  const requests: RecordedRequest[] = [];
  (client.transport as unknown as { request: (params: RecordedRequest) => Promise<unknown> }).request = async (params) => {
    const recorded = JSON.parse(JSON.stringify(params)) as RecordedRequest;
    requests.push(recorded);
    const answer = responder(recorded);
    if (answer instanceof Error) throw answer;
    return { statusCode: answer.statusCode ?? 200, body: answer.body ?? {}, headers: {}, warnings: null, meta: {} };
  };
  return { client, requests };
}

/** An error shaped like the client's ResponseError for `statusCode`. */
export function responseError(statusCode: number, type: string): Error {
  return Object.assign(new Error(type), { name: 'ResponseError', meta: { statusCode, body: { error: { type } } } });
}
