import { AwsHttp } from '../../../lambda/shared/aws-http';

/** SigV4 credentials for tests. */
export const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'session-token' };

/** The domain endpoint the tests' bindings talk to. */
export const DOMAIN_ENDPOINT = 'https://vpc-rag-eu-dev-abc123.eu-central-1.es.amazonaws.com';

/** One request a fake service received, its body decoded: JSON, or the lines of a bulk body. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly querystring?: Record<string, string>;
  readonly body?: unknown;
  readonly bulkBody?: unknown[];
}

/** How a fake service answers one request: a response, or an error `fetch` would throw. */
export type Responder = (request: RecordedRequest, attempt: number, raw: Request) => Response | Error | Promise<Response | Error>;

/** A JSON response. */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

/** An OpenSearch error response (`{"error": {"type", "reason"}, "status"}`). */
export function openSearchError(status: number, type: string, reason = type): Response {
  return json({ error: { root_cause: [{ type, reason }], type, reason }, status }, status);
}

/** A response that never arrives; the request ends, as fetch ends it, only when it is aborted. */
export const hang: Responder = (_request, _attempt, raw) => new Promise((resolve) => {
  raw.signal.addEventListener('abort', () => resolve(raw.signal.reason as Error));
});

/** A 200 whose body is cut off mid-JSON. */
export function truncated(body: unknown): Response {
  const text = JSON.stringify(body);
  return new Response(text.slice(0, Math.floor(text.length / 2)), { status: 200, headers: { 'content-type': 'application/json' } });
}

/** Titan V2 answering every input with a vector derived from its length. */
export const titan = (dimensions: number): Responder => (request) => {
  const { inputText } = request.body as { inputText: string };
  return json({ embedding: Array.from({ length: dimensions }, (_, i) => (inputText.length + i) / 1000), inputTextTokenCount: 3 });
};

async function record(request: Request): Promise<RecordedRequest> {
  const url = new URL(request.url);
  const text = request.method === 'GET' || request.method === 'HEAD' ? '' : await request.clone().text();
  const query = Object.fromEntries(url.searchParams);
  const recorded: { -readonly [K in keyof RecordedRequest]: RecordedRequest[K] } = { method: request.method, path: decodeURIComponent(url.pathname) };
  if (Object.keys(query).length > 0) recorded.querystring = query;
  if (text.length > 0) {
    if (request.headers.get('content-type') === 'application/x-ndjson') recorded.bulkBody = text.trimEnd().split('\n').map((line) => JSON.parse(line));
    else recorded.body = JSON.parse(text);
  }
  return recorded;
}

/** Fake AWS endpoints for the retrieval functions' bindings, each recording what it received. */
export interface FakeAwsRoutes {
  readonly search?: Responder;
  readonly bedrock?: Responder;
  readonly s3?: Responder;
}

/**
 * An AwsHttp whose requests go to `routes` by host (the domain endpoint, Bedrock Runtime, S3),
 * signed as in production, so that tests see the exact HTTP the handlers would send.
 */
export function fakeAws(routes: FakeAwsRoutes) {
  const sent = { search: [] as RecordedRequest[], bedrock: [] as RecordedRequest[], s3: [] as RecordedRequest[], raw: [] as Request[] };
  const http = new AwsHttp('eu-central-1', CREDENTIALS, async (request) => {
    sent.raw.push(request);
    const host = new URL(request.url).hostname;
    const route = host === new URL(DOMAIN_ENDPOINT).hostname ? 'search' : host.startsWith('bedrock-runtime.') ? 'bedrock' : host.includes('.s3.') ? 's3' : undefined;
    const responder = route && routes[route];
    if (!route || !responder) throw new Error(`unexpected request to ${request.url}`);
    const recorded = await record(request);
    sent[route].push(recorded);
    const answer = await responder(recorded, sent[route].length, request);
    if (answer instanceof Error) throw answer;
    return answer;
  });
  return { http, sent };
}

/**
 * Call bounds for tests: backoff too short to wait on, and an attempt time far above what a
 * loaded test machine needs to answer, so that only a hang ever times out.
 */
export const FAST = { attempts: 3, attemptTimeoutMs: 2_000, baseDelayMs: 1, maxDelayMs: 2 };

/** Call bounds for tests of hangs: a hung attempt is given up after 200 ms. */
export const HANGS = { ...FAST, attemptTimeoutMs: 200 };

/** The first request hangs until it is aborted; the later ones get `then`. */
export const hangOnce = (then: Responder): Responder => (request, attempt, raw) => (attempt === 1 ? hang(request, attempt, raw) : then(request, attempt, raw));
