import * as z from 'zod/mini';
import './zod-messages';
import type { AwsHttp } from './aws-http';
import { EmbeddingThrottledError } from './errors';
import type { OperationContract } from './operation-contract';
import { type CallPolicy, type Clock, SYSTEM_CLOCK, callWithRetries, isThrottling, readJson } from './retry';

/** Titan Text Embeddings V2 response: one vector per call. */
const TitanEmbeddingResponse = z.object({ embedding: z.array(z.number()) });

/** How to call the embedding model. */
export interface EmbeddingModel {
  /** Bedrock model id, e.g. `amazon.titan-embed-text-v2:0`. */
  readonly modelId: string;
  /** Output dimensions (Titan V2: 256, 512 or 1024). */
  readonly dimensions: number;
}

/** Titan V2 accepts at most 50,000 characters per input. */
const MAX_INPUT_CHARS = 50_000;

/**
 * Bedrock InvokeModel of the in-region Titan embedding model (`EMBEDDING_MODEL_ID`), authorized
 * on the foundation model's ARN.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonbedrock.html
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_InvokeModel.html
 */
export const INVOKE_TITAN_EMBEDDING: OperationContract = {
  signingName: 'bedrock',
  operation: 'InvokeModel',
  docs: ['https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonbedrock.html', 'https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_InvokeModel.html'],
  calls: (scope) => [{ action: 'bedrock:InvokeModel', resource: `arn:${scope.partition}:bedrock:${scope.region}::foundation-model/${scope.env.EMBEDDING_MODEL_ID}` }],
};

/** Embeds one text in one attempt. */
export interface Embedder {
  embed(text: string, signal: AbortSignal): Promise<number[]>;
}

/** Titan Text Embeddings V2 through Bedrock Runtime InvokeModel (restJson1, signing name `bedrock`). */
export class TitanEmbeddings implements Embedder {
  private readonly url: string;

  constructor(private readonly http: AwsHttp, private readonly model: EmbeddingModel) {
    this.url = `${http.endpoint('bedrock-runtime')}/model/${encodeURIComponent(model.modelId)}/invoke`;
  }

  /** @throws Error when the model answers with another number of dimensions than configured */
  async embed(text: string, signal: AbortSignal): Promise<number[]> {
    const response = await this.http.request(INVOKE_TITAN_EMBEDDING, this.url, {
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ inputText: text.slice(0, MAX_INPUT_CHARS), dimensions: this.model.dimensions, normalize: true }),
    }, signal);
    const parsed = TitanEmbeddingResponse.safeParse(await readJson(response, signal));
    if (!parsed.success) throw new Error('the embedding model answered without an embedding');
    if (parsed.data.embedding.length !== this.model.dimensions) {
      throw new Error(`embedding model returned ${parsed.data.embedding.length} dimensions, expected ${this.model.dimensions}`);
    }
    return parsed.data.embedding;
  }
}

/**
 * Embeds one text with bounded retries.
 * @throws EmbeddingThrottledError when the model still throttles after the retries
 */
export async function embedText(embedder: Embedder, text: string, policy: CallPolicy, deadline: number, clock: Clock = SYSTEM_CLOCK): Promise<number[]> {
  try {
    return await callWithRetries('the embedding model', (signal) => embedder.embed(text, signal), policy, deadline, clock);
  } catch (error) {
    if (isThrottling(error)) throw new EmbeddingThrottledError();
    throw error;
  }
}

/**
 * Embeds texts in batches of `batchSize` concurrent calls (Titan V2 takes one input per call),
 * preserving order; each text is retried on its own. Bounded concurrency keeps within the
 * model's requests-per-minute quota.
 */
export async function embedTexts(embedder: Embedder, texts: readonly string[], batchSize: number, policy: CallPolicy, deadline: number, clock: Clock = SYSTEM_CLOCK): Promise<number[][]> {
  const vectors: number[][] = [];
  for (let i = 0; i < texts.length; i += batchSize) {
    const batch = texts.slice(i, i + batchSize);
    vectors.push(...await Promise.all(batch.map((text) => embedText(embedder, text, policy, deadline, clock))));
  }
  return vectors;
}
