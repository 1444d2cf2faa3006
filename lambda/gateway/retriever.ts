import * as z from 'zod/mini';
import type { LambdaApi } from './aws';
import type { Retriever } from './core';
import { GatewayError } from './errors';
import type { GroundingPassage } from './providers';
import { classifyFailure } from './routing';
import { MAX_RETRIEVAL_QUERY_CHARS } from './schemas';

const Chunk = z.object({
  text: z.string(),
  score: z.number(),
  citation: z.object({
    docId: z.string(),
    sourceUri: z.string(),
    chunkIndex: z.number(),
    startOffset: z.number(),
    endOffset: z.number(),
  }),
});
const ProxyResult = z.object({ statusCode: z.number(), body: z.string() });
const Chunks = z.object({ chunks: z.array(Chunk) });

/*
 * The same failure answers the same way whichever target caused it (a model or retrieval): a
 * throttle is 429 with Retry-After 2, a failing or malformed dependency 503 with Retry-After 5, a
 * timeout 504 `timeout`, a refused input 400 `invalid_request`, anything else (access denied, a
 * missing function) 500 `internal_error`; `retrieval_unavailable` names the capability, as
 * `model_unavailable` does for the models (test/lambda/gateway/faults.test.ts, same failure every target).
 */
const throttled = () => new GatewayError(429, 'retrieval_unavailable', 'retrieval is throttled; retry after the indicated delay', 2);
const unavailable = () => new GatewayError(503, 'retrieval_unavailable', 'retrieval is not available right now; retry after the indicated delay', 5);
const internal = () => new GatewayError(500, 'internal_error', 'the gateway could not call retrieval; the platform team has been alerted');

/**
 * Retrieval through the retrieval capability's function (lambda/retrieval), invoked with the
 * event an authorized API call would carry. The tenant is the gateway's verified tenant: the
 * function filters every query by it, and only the gateway's role may invoke the function.
 */
export class LambdaRetriever implements Retriever {
  constructor(
    private readonly lambda: LambdaApi,
    private readonly functionArn: string,
  ) {}

  async retrieve(tenantId: string, query: string, topK: number, signal: AbortSignal): Promise<GroundingPassage[]> {
    const event = {
      httpMethod: 'POST',
      resource: '/v1/retrieve',
      requestContext: { authorizer: { tenantId } },
      body: JSON.stringify({ query: query.slice(0, MAX_RETRIEVAL_QUERY_CHARS), k: topK }),
    };
    let result: unknown;
    try {
      result = await this.lambda.invoke(this.functionArn, event, signal);
    } catch (error) {
      switch (classifyFailure(error)) {
        case 'timeout': throw new GatewayError(504, 'timeout', 'retrieval did not answer in time; try again', 1);
        case 'throttled': throw throttled();
        case 'client': throw internal();
        default: throw unavailable();
      }
    }
    const proxy = ProxyResult.safeParse(result);
    if (!proxy.success) throw unavailable();
    if (proxy.data.statusCode === 400) throw GatewayError.invalid(`query: the retrieval service refused it; send a question of 1-${MAX_RETRIEVAL_QUERY_CHARS} characters`);
    // The retrieval function answers 503 when its embedding model or search domain throttles (lambda/retrieval/core.ts).
    if (proxy.data.statusCode === 503) throw throttled();
    if (proxy.data.statusCode !== 200) throw unavailable();
    let body: unknown;
    try {
      body = JSON.parse(proxy.data.body);
    } catch {
      throw unavailable();
    }
    const chunks = Chunks.safeParse(body);
    if (!chunks.success) throw unavailable();
    return chunks.data.chunks;
  }
}
