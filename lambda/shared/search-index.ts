/**
 * The retrieval index and its hybrid search pipeline, as request bodies. The search-setup custom
 * resource applies them; retrieval and ingestion use the same field names.
 */
import { createHash } from 'node:crypto';

/** Field names of a chunk document. */
export const FIELDS = {
  tenantId: 'tenant_id',
  docId: 'doc_id',
  chunkIndex: 'chunk_index',
  text: 'text',
  embedding: 'embedding',
  sourceUri: 'source_uri',
  dataClass: 'data_class',
  contentType: 'content_type',
  startOffset: 'start_offset',
  endOffset: 'end_offset',
  ingestedAt: 'ingested_at',
} as const;

/** OpenSearch security roles of the retrieval and ingestion functions (the setup function is the master user). */
export const SECURITY_ROLES = { retrieval: 'paved_road_retrieval', ingestion: 'paved_road_ingestion' } as const;

/** Metadata fields a caller may filter on (exact match). `tenant_id` is never one of them. */
export const FILTERABLE_FIELDS = [FIELDS.docId, FIELDS.sourceUri, FIELDS.dataClass, FIELDS.contentType] as const;

/** A chunk as stored in the index. */
export interface ChunkDocument {
  readonly tenant_id: string;
  readonly doc_id: string;
  readonly chunk_index: number;
  readonly text: string;
  readonly embedding: number[];
  readonly source_uri: string;
  readonly data_class: string;
  readonly content_type: string;
  readonly start_offset: number;
  readonly end_offset: number;
  readonly ingested_at: string;
}

/** Index settings the custom resource receives. */
export interface IndexSpec {
  /** Embedding dimensions. */
  readonly dimensions: number;
  /** HNSW engine: `lucene` or `faiss`. */
  readonly engine: string;
  /** HNSW `m`. */
  readonly hnswM: number;
  /** HNSW `ef_construction`. */
  readonly efConstruction: number;
  /** Primary shards. */
  readonly shards: number;
  /** Replicas per primary. */
  readonly replicas: number;
}

/** Search pipeline settings the custom resource receives. */
export interface PipelineSpec {
  /** `normalization` (min_max + weighted arithmetic mean) or `rrf` (reciprocal rank fusion). */
  readonly fusion: string;
  /** Weights of the lexical and the vector sub-query, summing to 1 (normalization only). */
  readonly weights: readonly [number, number];
  /** RRF rank constant (rrf only). */
  readonly rankConstant: number;
}

/** Deterministic id of a chunk: sha256 of the document id, a NUL and the chunk index. */
export function chunkId(docId: string, chunkIndex: number): string {
  return createHash('sha256').update(`${docId}\u0000${chunkIndex}`).digest('hex');
}

/** The knn_vector method for the engine. */
function knnMethod(spec: IndexSpec): Record<string, unknown> {
  return {
    name: 'hnsw',
    engine: spec.engine,
    space_type: spec.engine === 'faiss' ? 'innerproduct' : 'cosinesimil',
    parameters: { m: spec.hnswM, ef_construction: spec.efConstruction },
  };
}

/** Field mappings; also what an update adds to an existing index. */
export function indexMappings(spec: IndexSpec): Record<string, unknown> {
  return {
    dynamic: 'strict',
    properties: {
      [FIELDS.tenantId]: { type: 'keyword' },
      [FIELDS.docId]: { type: 'keyword' },
      [FIELDS.chunkIndex]: { type: 'integer' },
      [FIELDS.text]: { type: 'text', analyzer: 'paved_road_text', fields: { english: { type: 'text', analyzer: 'english' } } },
      [FIELDS.embedding]: { type: 'knn_vector', dimension: spec.dimensions, method: knnMethod(spec) },
      [FIELDS.sourceUri]: { type: 'keyword' },
      [FIELDS.dataClass]: { type: 'keyword' },
      [FIELDS.contentType]: { type: 'keyword' },
      [FIELDS.startOffset]: { type: 'integer' },
      [FIELDS.endOffset]: { type: 'integer' },
      [FIELDS.ingestedAt]: { type: 'date' },
    },
  };
}

/** The body of the index creation request. */
export function indexBody(spec: IndexSpec): Record<string, unknown> {
  return {
    settings: {
      index: {
        knn: true,
        number_of_shards: spec.shards,
        number_of_replicas: spec.replicas,
        // Slow logs are published to CloudWatch only past these thresholds.
        search: { slowlog: { threshold: { query: { warn: '2s', info: '1s' } } } },
        indexing: { slowlog: { threshold: { index: { warn: '5s', info: '2s' } } } },
      },
      analysis: {
        analyzer: {
          paved_road_text: { type: 'custom', tokenizer: 'standard', filter: ['lowercase', 'asciifolding'] },
        },
      },
    },
    mappings: indexMappings(spec),
  };
}

/**
 * The hybrid search pipeline: `normalization-processor` (min_max, weighted arithmetic mean) by
 * default, or the reciprocal-rank-fusion `score-ranker-processor` (OpenSearch 2.19+).
 */
export function pipelineBody(spec: PipelineSpec): Record<string, unknown> {
  const processor = spec.fusion === 'rrf'
    ? { 'score-ranker-processor': { combination: { technique: 'rrf', rank_constant: spec.rankConstant } } }
    : {
      'normalization-processor': {
        normalization: { technique: 'min_max' },
        combination: { technique: 'arithmetic_mean', parameters: { weights: [...spec.weights] } },
      },
    };
  const definition = { phase_results_processors: [processor] };
  return { description: `paved-road hybrid retrieval (${spec.fusion}, version ${pipelineVersion(definition)})`, ...definition };
}

/** A short content hash of a pipeline definition; any change to it changes the version. */
export function pipelineVersion(definition: unknown): string {
  return createHash('sha256').update(JSON.stringify(definition)).digest('hex').slice(0, 12);
}

/**
 * The security plugin's audit configuration, which the setup function (the master user, mapped to
 * `security_manager`) applies: publishing AUDIT_LOGS to CloudWatch is only step one, the plugin
 * logs nothing until its configuration is enabled.
 * https://docs.aws.amazon.com/opensearch-service/latest/developerguide/audit-logs.html
 * https://docs.opensearch.org/latest/security/api/audit/update-audit-configuration/
 *
 * What is logged, and why:
 * - REST and transport layers, every category except AUTHENTICATED and GRANTED_PRIVILEGES, which
 *   AWS recommends excluding because they log every valid request. What remains are the security
 *   events: FAILED_LOGIN, MISSING_PRIVILEGES, BAD_HEADERS, SSL_EXCEPTION, attempts on the security
 *   index and INDEX_EVENT (index creation, deletion, mapping and settings changes).
 * - Compliance logging of the security configuration (`internal_config`): role and role-mapping
 *   changes are recorded. No document reads or writes are watched (`read_watched_fields` and
 *   `write_watched_indices` empty): that would log one line per chunk access; the ingestion
 *   function logs every indexed and deleted document instead.
 * - No request bodies (`log_request_body: false`) and metadata only for compliance events: the
 *   bodies carry tenant content (queries, chunk text, embeddings), which must not reach a log.
 *   Sensitive headers (the SigV4 Authorization header) are excluded; no user is exempt.
 */
export function auditConfigBody(): Record<string, unknown> {
  const excluded = ['AUTHENTICATED', 'GRANTED_PRIVILEGES'];
  return {
    enabled: true,
    audit: {
      enable_rest: true,
      disabled_rest_categories: excluded,
      enable_transport: true,
      disabled_transport_categories: excluded,
      resolve_bulk_requests: false,
      log_request_body: false,
      resolve_indices: true,
      exclude_sensitive_headers: true,
      ignore_users: [],
      ignore_requests: [],
    },
    compliance: {
      enabled: true,
      internal_config: true,
      external_config: false,
      read_metadata_only: true,
      read_watched_fields: {},
      read_ignore_users: [],
      write_metadata_only: true,
      write_log_diffs: false,
      write_watched_indices: [],
      write_ignore_users: [],
    },
  };
}
