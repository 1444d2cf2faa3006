import { type BedrockRuntimeClient, InvokeModelCommand } from '@aws-sdk/client-bedrock-runtime';
import { z } from 'zod';
import { EmbeddingThrottledError } from './errors';

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

/** Embeds one text with Titan Text Embeddings V2 (normalized vectors). */
export async function embedText(bedrock: BedrockRuntimeClient, model: EmbeddingModel, text: string): Promise<number[]> {
  let response;
  try {
    response = await bedrock.send(new InvokeModelCommand({
      modelId: model.modelId,
      contentType: 'application/json',
      accept: 'application/json',
      body: JSON.stringify({ inputText: text.slice(0, MAX_INPUT_CHARS), dimensions: model.dimensions, normalize: true }),
    }));
  } catch (error) {
    if ((error as Error).name === 'ThrottlingException' || (error as Error).name === 'ServiceQuotaExceededException') {
      throw new EmbeddingThrottledError();
    }
    throw error;
  }
  const parsed = TitanEmbeddingResponse.parse(JSON.parse(new TextDecoder().decode(response.body)));
  if (parsed.embedding.length !== model.dimensions) {
    throw new Error(`embedding model returned ${parsed.embedding.length} dimensions, expected ${model.dimensions}`);
  }
  return parsed.embedding;
}

/**
 * Embeds texts in batches of `batchSize` concurrent calls (Titan V2 takes one input per call),
 * preserving order. Bounded concurrency keeps within the model's requests-per-minute quota.
 */
export async function embedTexts(bedrock: BedrockRuntimeClient, model: EmbeddingModel, texts: readonly string[], batchSize: number): Promise<number[][]> {
  const vectors: number[][] = [];
  for (let i = 0; i < texts.length; i += batchSize) {
    const batch = texts.slice(i, i + batchSize);
    vectors.push(...await Promise.all(batch.map((text) => embedText(bedrock, model, text))));
  }
  return vectors;
}
