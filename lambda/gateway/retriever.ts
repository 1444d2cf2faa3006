import * as z from 'zod/mini';
import type { LambdaApi } from './aws';
import type { Retriever } from './core';
import { GatewayError } from './errors';
import type { GroundingPassage } from './providers';
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

function unavailable(retryAfterSeconds: number): GatewayError {
  return new GatewayError(503, 'retrieval_unavailable', 'retrieval is not available right now; retry after the indicated delay', retryAfterSeconds);
}

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
      const name = (error as { name?: string })?.name;
      if (name === 'AbortError' || name === 'TimeoutError') throw new GatewayError(504, 'timeout', 'retrieval did not answer in time; try again', 1);
      throw unavailable(name === 'TooManyRequestsException' ? 2 : 5);
    }
    const proxy = ProxyResult.safeParse(result);
    if (!proxy.success) throw unavailable(5);
    if (proxy.data.statusCode === 400) throw GatewayError.invalid(`query: the retrieval service refused it; send a question of 1-${MAX_RETRIEVAL_QUERY_CHARS} characters`);
    if (proxy.data.statusCode === 503) throw unavailable(2);
    if (proxy.data.statusCode !== 200) throw unavailable(5);
    let body: unknown;
    try {
      body = JSON.parse(proxy.data.body);
    } catch {
      throw unavailable(5);
    }
    const chunks = Chunks.safeParse(body);
    if (!chunks.success) throw unavailable(5);
    return chunks.data.chunks;
  }
}
