import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import * as z from 'zod/mini';
import '../shared/zod-messages';
import { type Embedder, type EmbeddingModel, INVOKE_TITAN_EMBEDDING, embedTexts } from '../shared/embeddings';
import { nonEmpty } from '../shared/config';
import type { OperationContract } from '../shared/operation-contract';
import { BULK_INDEX_CHUNKS, DELETE_CHUNKS_BY_QUERY, type SearchDomainApi } from '../shared/opensearch';
import { type CallPolicy, type Clock, InvalidResponseError, SYSTEM_CLOCK, callWithRetries } from '../shared/retry';
import { type ChunkDocument, FIELDS, chunkId } from '../shared/search-index';
import { type ChunkingOptions, chunkText } from './chunker';
import { type CuratedObjectsApi, GET_CURATED_OBJECT } from './curated-objects';
import { MAX_OBJECT_BYTES, parseDocument } from './parse';

/** Every AWS operation the ingestion function performs: what its role, the bucket's key and the domain access policy must allow. */
export const INGESTION_OPERATIONS: readonly OperationContract[] = [GET_CURATED_OBJECT, INVOKE_TITAN_EMBEDDING, BULK_INDEX_CHUNKS, DELETE_CHUNKS_BY_QUERY];

/**
 * The EventBridge S3 event inside each SQS message. Its object key is the key itself, not
 * URL-encoded: https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html
 */
export const S3ObjectEvent = z.object({
  'source': z.literal('aws.s3'),
  'detail-type': z.enum(['Object Created', 'Object Deleted']),
  'detail': z.object({
    bucket: z.object({ name: nonEmpty() }),
    object: z.object({ key: nonEmpty(), size: z.optional(z.int().check(z.nonnegative())) }),
  }),
});
export type S3ObjectEvent = z.infer<typeof S3ObjectEvent>;

/** The ingestion function's call bounds and the time it keeps back to report the batch (docs/retrieval.md, "Calls and their bounds"). */
export const INGESTION_BOUNDS = {
  calls: {
    getObject: { attempts: 3, attemptTimeoutMs: 20_000, baseDelayMs: 200, maxDelayMs: 2_000 },
    embedding: { attempts: 5, attemptTimeoutMs: 5_000, baseDelayMs: 200, maxDelayMs: 5_000 },
    bulk: { attempts: 3, attemptTimeoutMs: 30_000, baseDelayMs: 500, maxDelayMs: 5_000 },
    deleteByQuery: { attempts: 3, attemptTimeoutMs: 30_000, baseDelayMs: 500, maxDelayMs: 5_000 },
  },
  responseMarginMs: 5_000,
} as const;

/** Settings of an ingestion run. */
export interface IngestionConfig {
  /** The curated bucket: the only bucket whose objects are ingested. */
  readonly curatedBucket: string;
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
  /** Bounds of each kind of call. */
  readonly calls: {
    readonly getObject: CallPolicy;
    readonly embedding: CallPolicy;
    readonly bulk: CallPolicy;
    readonly deleteByQuery: CallPolicy;
  };
}

/** What ingestion did with one object. */
export type IngestOutcome =
  | { readonly action: 'indexed'; readonly docId: string; readonly chunks: number }
  | { readonly action: 'deleted'; readonly docId: string }
  | { readonly action: 'rejected'; readonly docId: string; readonly reason: string };

/** Clients ingestion uses. */
export interface IngestionClients {
  readonly search: SearchDomainApi;
  readonly embedder: Embedder;
  readonly objects: CuratedObjectsApi;
  readonly clock?: Clock;
}

/**
 * A bulk request that indexed some but not all chunks. Its status is the worst of its failed
 * items: 429 or 5xx when only rejections and server errors failed (worth a retry of those items),
 * else the first client error (a mapping conflict, say), which no retry fixes.
 */
export class BulkIndexError extends Error {
  public readonly $metadata: { readonly httpStatusCode: number };

  constructor(public readonly failed: number, public readonly firstReason: string, httpStatusCode: number) {
    super(`bulk indexing failed for ${failed} chunk(s): ${firstReason}`);
    this.name = 'BulkIndexError';
    this.$metadata = { httpStatusCode };
  }
}

/** A delete-by-query that reported failures or timed out; the message is retried. */
export class DeleteByQueryError extends Error {
  public readonly $metadata: { readonly httpStatusCode: number };

  constructor(message: string, httpStatusCode: number) {
    super(message);
    this.name = 'DeleteByQueryError';
    this.$metadata = { httpStatusCode };
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

/** One ingestion run's clients, settings and deadline. */
interface Run {
  readonly clients: IngestionClients;
  readonly config: IngestionConfig;
  readonly deadline: number;
  readonly clock: Clock;
}

/**
 * The delete-by-query response: https://docs.opensearch.org/latest/api-reference/document-apis/delete-by-query/
 * `failures` lists the search and bulk failures; with `conflicts=proceed` version conflicts are
 * counted, not failed.
 */
const DeleteByQueryResponse = z.object({
  timed_out: z.optional(z.boolean()),
  failures: z.optional(z.array(z.object({ status: z.optional(z.number()) }))),
});

async function deleteChunks(run: Run, tenantId: string, docId: string, fromChunkIndex = 0): Promise<void> {
  const filter: Record<string, unknown>[] = [{ term: { [FIELDS.tenantId]: tenantId } }, { term: { [FIELDS.docId]: docId } }];
  if (fromChunkIndex > 0) filter.push({ range: { [FIELDS.chunkIndex]: { gte: fromChunkIndex } } });
  await callWithRetries('the search domain', async (signal) => {
    const response = DeleteByQueryResponse.parse(await run.clients.search.deleteByQuery(run.config.indexName, { bool: { filter } }, signal));
    const failures = response.failures ?? [];
    if (failures.length > 0) throw new DeleteByQueryError(`delete by query reported ${failures.length} failure(s)`, failures[0].status ?? 500);
    if (response.timed_out) throw new DeleteByQueryError('delete by query timed out', 504);
  }, run.config.calls.deleteByQuery, run.deadline, run.clock);
}

/**
 * The bulk response: https://docs.opensearch.org/latest/api-reference/document-apis/bulk/
 * One item per action, in the order of the request, each with its status and, if it failed, its error.
 */
const BulkResponse = z.object({
  errors: z.boolean(),
  items: z.array(z.record(z.string(), z.object({ status: z.number(), error: z.optional(z.object({ type: z.string(), reason: z.optional(z.string()) })) }))),
});

const retryableStatus = (status: number) => status === 429 || status >= 500;

/**
 * Indexes documents in bulk requests of `bulkBatchSize`. Items the domain rejected (429) or failed
 * on (5xx) are sent again, alone, within the bulk call's attempts; any other failed item fails the
 * message at once.
 */
async function bulkIndex(run: Run, documents: ChunkDocument[]): Promise<void> {
  const { indexName, bulkBatchSize } = run.config;
  for (let i = 0; i < documents.length; i += bulkBatchSize) {
    let pending = documents.slice(i, i + bulkBatchSize);
    await callWithRetries('the search domain', async (signal) => {
      const lines = pending.flatMap((doc) => [{ index: { _id: chunkId(doc.doc_id, doc.chunk_index) } }, doc]);
      const response = BulkResponse.parse(await run.clients.search.bulk(indexName, lines, signal));
      if (!response.errors) return;
      if (response.items.length !== pending.length) throw new InvalidResponseError(`the bulk response has ${response.items.length} items for ${pending.length} actions`);
      const failures = response.items.map((item, index) => ({ doc: pending[index], result: Object.values(item)[0] })).filter(({ result }) => result.error !== undefined);
      const permanent = failures.find(({ result }) => !retryableStatus(result.status));
      pending = failures.map(({ doc }) => doc);
      const status = permanent?.result.status ?? (failures.some(({ result }) => result.status === 429) ? 429 : Math.max(...failures.map(({ result }) => result.status)));
      throw new BulkIndexError(failures.length, (permanent ?? failures[0]).result.error?.type ?? 'unknown', status);
    }, run.config.calls.bulk, run.deadline, run.clock);
  }
}

/**
 * Ingests one object event. Created: parse, chunk, embed, bulk index with deterministic ids,
 * then delete the chunks a previous, longer version left behind. Deleted, or created and gone
 * by the time it is read (S3 answers NoSuchKey): remove its chunks.
 * A document ingestion cannot read is rejected (its old chunks removed) and the reason returned.
 * @throws on provider errors (throttling, bulk failures, the deadline), so the message is retried
 */
export async function ingestObject(clients: IngestionClients, config: IngestionConfig, event: S3ObjectEvent, now: Date, deadline: number): Promise<IngestOutcome> {
  const run: Run = { clients, config, deadline, clock: clients.clock ?? SYSTEM_CLOCK };
  const { name: bucket } = event.detail.bucket;
  const { key, size } = event.detail.object;
  const docId = `s3://${bucket}/${key}`;
  if (bucket !== config.curatedBucket) {
    return { action: 'rejected', docId, reason: `the object is not in the curated bucket ${config.curatedBucket}` };
  }
  const tenantId = tenantOfKey(key);
  if (!tenantId) {
    return { action: 'rejected', docId, reason: 'key has no tenant=<id> segment; the curated zone partitions objects by tenant' };
  }
  if (event['detail-type'] === 'Object Deleted') {
    await deleteChunks(run, tenantId, docId);
    return { action: 'deleted', docId };
  }
  const reject = async (reason: string): Promise<IngestOutcome> => {
    await deleteChunks(run, tenantId, docId);
    return { action: 'rejected', docId, reason };
  };
  if (size !== undefined && size > MAX_OBJECT_BYTES) {
    return reject(`object is ${size} bytes; the limit is ${MAX_OBJECT_BYTES}`);
  }
  const bytes = await callWithRetries('the curated bucket', (signal) => clients.objects.getObject(bucket, key, signal), config.calls.getObject, deadline, run.clock);
  if (bytes === undefined) {
    // Deleted since the event: its Object Deleted event may already have been processed.
    await deleteChunks(run, tenantId, docId);
    return { action: 'deleted', docId };
  }
  const parsed = parseDocument(key, bytes);
  if (!parsed.ok) return reject(parsed.reason);

  const chunks = chunkText(parsed.text, config.chunking);
  const vectors = await embedTexts(clients.embedder, chunks.map((c) => c.text), config.embeddingBatchSize, config.calls.embedding, deadline, run.clock);
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
  await bulkIndex(run, documents);
  await deleteChunks(run, tenantId, docId, chunks.length);
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
export async function ingestBatch(clients: IngestionClients, config: IngestionConfig, event: SQSEvent, observer: IngestionObserver, deadline: number, now = new Date()): Promise<SQSBatchResponse> {
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
      observer.outcome(record.messageId, await ingestObject(clients, config, objectEvent, now, deadline));
    } catch (error) {
      observer.failure(record.messageId, error as Error);
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
}
