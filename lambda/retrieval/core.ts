import * as z from 'zod/mini';
import '../shared/zod-messages';
import { type Embedder, type EmbeddingModel, INVOKE_TITAN_EMBEDDING, embedText } from '../shared/embeddings';
import { EmbeddingThrottledError, RequestError } from '../shared/errors';
import type { OperationContract } from '../shared/operation-contract';
import { SEARCH_CHUNKS, type SearchDomainApi } from '../shared/opensearch';
import { type CallPolicy, type Clock, SYSTEM_CLOCK, callWithRetries, isThrottling } from '../shared/retry';
import { FIELDS, FILTERABLE_FIELDS } from '../shared/search-index';

/** Every AWS operation the retrieval function performs: what its role and the domain access policy must allow. */
export const RETRIEVAL_OPERATIONS: readonly OperationContract[] = [INVOKE_TITAN_EMBEDDING, SEARCH_CHUNKS];

const FilterString = z.string().check(z.minLength(1), z.maxLength(1024));
const FilterValue = z.union([FilterString, z.array(FilterString).check(z.minLength(1), z.maxLength(100))]);

/**
 * The request body. Unknown top-level keys (e.g. a `tenantId`) are dropped: the tenant comes from
 * the caller's identity only. Filters accept only the metadata fields in {@link FILTERABLE_FIELDS}.
 */
export const RetrievalRequest = z.object({
  query: z.string().check(z.trim(), z.minLength(1), z.maxLength(2_000)),
  filters: z.optional(z.partialRecord(z.enum(FILTERABLE_FIELDS), FilterValue)),
  k: z._default(z.int().check(z.gte(1), z.lte(50)), 5),
});
export type RetrievalRequest = z.infer<typeof RetrievalRequest>;

/** The retrieval function's call bounds and the time it keeps back to answer (docs/retrieval.md, "Calls and their bounds"). */
export const RETRIEVAL_BOUNDS = {
  embedding: { attempts: 3, attemptTimeoutMs: 2_000, baseDelayMs: 100, maxDelayMs: 1_000 },
  search: { attempts: 2, attemptTimeoutMs: 5_000, baseDelayMs: 100, maxDelayMs: 500 },
  responseMarginMs: 500,
} as const;

/** Where and how to search. */
export interface RetrievalConfig {
  /** Index holding the chunks. */
  readonly indexName: string;
  /** Hybrid search pipeline that fuses the lexical and vector scores. */
  readonly pipelineName: string;
  /** Query embedding model. */
  readonly model: EmbeddingModel;
  /** Candidates each sub-query returns before fusion, as a multiple of k. */
  readonly candidateMultiplier: number;
  /** Bounds of the embedding call. */
  readonly embedding: CallPolicy;
  /** Bounds of the search call. */
  readonly search: CallPolicy;
}

/** The retrieval function's dependencies. */
export interface RetrievalClients {
  readonly search: SearchDomainApi;
  readonly embedder: Embedder;
  readonly clock?: Clock;
}

/** One retrieved chunk with its citation. */
export interface RetrievedChunk {
  readonly text: string;
  readonly score: number;
  readonly citation: {
    readonly docId: string;
    readonly sourceUri: string;
    readonly chunkIndex: number;
    readonly startOffset: number;
    readonly endOffset: number;
  };
}

const Hit = z.object({
  _score: z.nullable(z.number()),
  _source: z.object({
    [FIELDS.text]: z.string(),
    [FIELDS.docId]: z.string(),
    [FIELDS.sourceUri]: z.string(),
    [FIELDS.chunkIndex]: z.number(),
    [FIELDS.startOffset]: z.number(),
    [FIELDS.endOffset]: z.number(),
  }),
});
const SearchResponse = z.object({ hits: z.object({ hits: z.array(Hit) }) });

/** Parses a raw body into a request, or a 400 naming what is wrong. */
export function parseRequest(body: string | null | undefined): RetrievalRequest {
  let json: unknown;
  try {
    json = JSON.parse(body ?? '');
  } catch {
    throw new RequestError(400, 'INVALID_JSON', 'the request body must be a JSON object like {"query": "...", "k": 5}');
  }
  const parsed = RetrievalRequest.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
    throw new RequestError(400, 'INVALID_REQUEST', `${issues} (filters may use: ${FILTERABLE_FIELDS.join(', ')})`);
  }
  return parsed.data;
}

/** The filter clauses every sub-query carries: the caller's tenant first, then the metadata filters. */
export function filterClauses(tenantId: string, filters: RetrievalRequest['filters']): Record<string, unknown>[] {
  const clauses: Record<string, unknown>[] = [{ term: { [FIELDS.tenantId]: tenantId } }];
  for (const field of FILTERABLE_FIELDS) {
    const value = filters?.[field];
    if (value === undefined) continue;
    clauses.push(Array.isArray(value) ? { terms: { [field]: value } } : { term: { [field]: value } });
  }
  return clauses;
}

/** The one hybrid query: BM25 `match` and `knn`, each restricted by the same filters. */
export function hybridQuery(request: RetrievalRequest, tenantId: string, vector: number[], candidateMultiplier: number): Record<string, unknown> {
  const filter = filterClauses(tenantId, request.filters);
  return {
    size: request.k,
    _source: { excludes: [FIELDS.embedding] },
    query: {
      hybrid: {
        queries: [
          { bool: { must: [{ match: { [FIELDS.text]: { query: request.query } } }], filter } },
          { knn: { [FIELDS.embedding]: { vector, k: request.k * candidateMultiplier, filter: { bool: { filter } } } } },
        ],
      },
    },
  };
}

/**
 * Embeds the query, runs one hybrid query through the search pipeline scoped to `tenantId`, and
 * returns the chunks with citations. Both calls are retried within `deadline` (epoch ms).
 * @throws RequestError 503 when the embedding model or the domain throttles after the retries
 */
export async function retrieve(clients: RetrievalClients, config: RetrievalConfig, tenantId: string, request: RetrievalRequest, deadline: number): Promise<RetrievedChunk[]> {
  const clock = clients.clock ?? SYSTEM_CLOCK;
  let vector: number[];
  try {
    vector = await embedText(clients.embedder, request.query, config.embedding, deadline, clock);
  } catch (error) {
    if (error instanceof EmbeddingThrottledError) throw new RequestError(503, 'EMBEDDING_THROTTLED', error.message);
    throw error;
  }
  const body = hybridQuery(request, tenantId, vector, config.candidateMultiplier);
  let response: unknown;
  try {
    response = await callWithRetries('the search domain', (signal) => clients.search.search(config.indexName, config.pipelineName, body, signal), config.search, deadline, clock);
  } catch (error) {
    if (isThrottling(error)) throw new RequestError(503, 'SEARCH_THROTTLED', 'the search domain is busy; retry later');
    throw error;
  }
  const hits = SearchResponse.parse(response).hits.hits;
  return hits.map((hit) => ({
    text: hit._source.text,
    score: hit._score ?? 0,
    citation: {
      docId: hit._source.doc_id,
      sourceUri: hit._source.source_uri,
      chunkIndex: hit._source.chunk_index,
      startOffset: hit._source.start_offset,
      endOffset: hit._source.end_offset,
    },
  }));
}
