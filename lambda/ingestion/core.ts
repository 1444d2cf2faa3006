import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Client } from '@opensearch-project/opensearch';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { z } from 'zod';
import { type EmbeddingModel, embedTexts } from '../shared/embeddings';
import { type ChunkDocument, FIELDS, chunkId } from '../shared/search-index';
import { type ChunkingOptions, chunkText } from './chunker';
import { MAX_OBJECT_BYTES, parseDocument } from './parse';

/** The EventBridge S3 event inside each SQS message. */
export const S3ObjectEvent = z.object({
  'source': z.literal('aws.s3'),
  'detail-type': z.enum(['Object Created', 'Object Deleted']),
  'detail': z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({ key: z.string().min(1), size: z.number().int().nonnegative().optional() }),
  }),
});
export type S3ObjectEvent = z.infer<typeof S3ObjectEvent>;

/** Settings of an ingestion run. */
export interface IngestionConfig {
  /** Index holding the chunks. */
  readonly indexName: string;
  /** Data class recorded on every chunk (the class of the curated data the index serves). */
  readonly dataClass: string;
  /** Chunk size and overlap, characters. */
  readonly chunking: ChunkingOptions;
  /** Embedding model. */
  readonly model: EmbeddingModel;
  /** Concurrent embedding calls per batch. */
  readonly embeddingBatchSize: number;
  /** Documents per bulk request. */
  readonly bulkBatchSize: number;
}

/** What ingestion did with one object. */
export type IngestOutcome =
  | { readonly action: 'indexed'; readonly docId: string; readonly chunks: number }
  | { readonly action: 'deleted'; readonly docId: string }
  | { readonly action: 'rejected'; readonly docId: string; readonly reason: string };

/** Clients ingestion uses. */
export interface IngestionClients {
  readonly search: Client;
  readonly bedrock: BedrockRuntimeClient;
  readonly s3: S3Client;
}

/** A bulk request that indexed some but not all chunks. */
export class BulkIndexError extends Error {
  constructor(public readonly failed: number, public readonly firstReason: string) {
    super(`bulk indexing failed for ${failed} chunk(s): ${firstReason}`);
    this.name = 'BulkIndexError';
  }
}

const TENANT_SEGMENT = /^tenant=([A-Za-z0-9][A-Za-z0-9_.-]{0,127})$/;

/** The tenant of an object: the `tenant=<id>` segment of its key, the curated zone's partition. */
export function tenantOfKey(key: string): string | undefined {
  for (const segment of key.split('/')) {
    const match = TENANT_SEGMENT.exec(segment);
    if (match) return match[1];
  }
  return undefined;
}

async function deleteChunks(search: Client, indexName: string, tenantId: string, docId: string, fromChunkIndex = 0): Promise<void> {
  const filter: Record<string, unknown>[] = [{ term: { [FIELDS.tenantId]: tenantId } }, { term: { [FIELDS.docId]: docId } }];
  if (fromChunkIndex > 0) filter.push({ range: { [FIELDS.chunkIndex]: { gte: fromChunkIndex } } });
  await search.deleteByQuery({ index: indexName, conflicts: 'proceed', body: { query: { bool: { filter } } } });
}

const BulkResponse = z.object({
  errors: z.boolean(),
  items: z.array(z.record(z.string(), z.object({ status: z.number(), error: z.object({ type: z.string(), reason: z.string().optional() }).optional() }))),
});

async function bulkIndex(search: Client, indexName: string, documents: ChunkDocument[], batchSize: number): Promise<void> {
  for (let i = 0; i < documents.length; i += batchSize) {
    const body = documents.slice(i, i + batchSize).flatMap((doc) => [{ index: { _index: indexName, _id: chunkId(doc.doc_id, doc.chunk_index) } }, doc]);
    const response = BulkResponse.parse((await search.bulk({ body })).body);
    if (response.errors) {
      const failures = response.items.map((item) => Object.values(item)[0]).filter((result) => result.error !== undefined);
      throw new BulkIndexError(failures.length, failures[0]?.error?.type ?? 'unknown');
    }
  }
}

async function readObject(s3: S3Client, bucket: string, key: string): Promise<Uint8Array> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return object.Body!.transformToByteArray();
}

/**
 * Ingests one object event. Created: parse, chunk, embed, bulk index with deterministic ids,
 * then delete the chunks a previous, longer version left behind. Deleted: remove its chunks.
 * A document ingestion cannot read is rejected (its old chunks removed) and the reason returned.
 * @throws on provider errors (throttling, bulk failures), so the message is retried
 */
export async function ingestObject(clients: IngestionClients, config: IngestionConfig, event: S3ObjectEvent, now: Date): Promise<IngestOutcome> {
  const { name: bucket } = event.detail.bucket;
  const { key, size } = event.detail.object;
  const docId = `s3://${bucket}/${key}`;
  const tenantId = tenantOfKey(key);
  if (!tenantId) {
    return { action: 'rejected', docId, reason: 'key has no tenant=<id> segment; the curated zone partitions objects by tenant' };
  }
  if (event['detail-type'] === 'Object Deleted') {
    await deleteChunks(clients.search, config.indexName, tenantId, docId);
    return { action: 'deleted', docId };
  }
  const reject = async (reason: string): Promise<IngestOutcome> => {
    await deleteChunks(clients.search, config.indexName, tenantId, docId);
    return { action: 'rejected', docId, reason };
  };
  if (size !== undefined && size > MAX_OBJECT_BYTES) {
    return reject(`object is ${size} bytes; the limit is ${MAX_OBJECT_BYTES}`);
  }
  const parsed = parseDocument(key, await readObject(clients.s3, bucket, key));
  if (!parsed.ok) return reject(parsed.reason);

  const chunks = chunkText(parsed.text, config.chunking);
  const vectors = await embedTexts(clients.bedrock, config.model, chunks.map((c) => c.text), config.embeddingBatchSize);
  const ingestedAt = now.toISOString();
  const documents: ChunkDocument[] = chunks.map((chunk, i) => ({
    [FIELDS.tenantId]: tenantId,
    [FIELDS.docId]: docId,
    [FIELDS.chunkIndex]: chunk.index,
    [FIELDS.text]: chunk.text,
    [FIELDS.embedding]: vectors[i],
    [FIELDS.sourceUri]: docId,
    [FIELDS.dataClass]: config.dataClass,
    [FIELDS.contentType]: parsed.contentType,
    [FIELDS.startOffset]: chunk.start,
    [FIELDS.endOffset]: chunk.end,
    [FIELDS.ingestedAt]: ingestedAt,
  }));
  await bulkIndex(clients.search, config.indexName, documents, config.bulkBatchSize);
  await deleteChunks(clients.search, config.indexName, tenantId, docId, chunks.length);
  return { action: 'indexed', docId, chunks: chunks.length };
}

/** Called for every outcome and failure, for logs and metrics. */
export interface IngestionObserver {
  outcome(messageId: string, outcome: IngestOutcome): void;
  failure(messageId: string, error: Error): void;
}

/**
 * Ingests an SQS batch one message at a time and reports the failed messages, so SQS retries only
 * those (and moves them to the DLQ after the redrive limit). Malformed messages are rejected,
 * not retried: a retry cannot fix them.
 */
export async function ingestBatch(clients: IngestionClients, config: IngestionConfig, event: SQSEvent, observer: IngestionObserver, now = new Date()): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    let objectEvent: S3ObjectEvent;
    try {
      objectEvent = S3ObjectEvent.parse(JSON.parse(record.body));
    } catch {
      observer.outcome(record.messageId, { action: 'rejected', docId: 'unknown', reason: 'message is not an EventBridge S3 Object Created/Deleted event' });
      continue;
    }
    try {
      observer.outcome(record.messageId, await ingestObject(clients, config, objectEvent, now));
    } catch (error) {
      observer.failure(record.messageId, error as Error);
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
}
