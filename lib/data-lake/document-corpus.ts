import { z } from 'zod';
import { DataClass } from '../core/data-class';

/**
 * The data contract of the document corpus that retrieval ingests: one record per document
 * version in the curated zone. The Glue table and the runtime schema both derive from here.
 */
export const DOCUMENT_CORPUS_CONTRACT = {
  /** Glue table name. */
  tableName: 'document_corpus',
  /** Contract version; bump on any incompatible change. */
  version: '1',
  /** Key prefix of the contract's Parquet files in the curated zone. */
  prefix: 'contracts/document-corpus/',
  /** Columns, in order, with their Glue (Hive) types. */
  columns: [
    { name: 'doc_id', type: 'string', comment: 'Stable document id, unique per tenant' },
    { name: 'tenant_id', type: 'string', comment: 'Tenant that owns the document; scopes retrieval and erasure' },
    { name: 'source_uri', type: 'string', comment: 'Where the document came from (s3://, https://)' },
    { name: 'data_class', type: 'string', comment: `paved-road data class: ${DataClass.all().map((c) => c.id).join(', ')}` },
    { name: 'language', type: 'string', comment: 'BCP 47 language tag, e.g. en, de-DE, hi' },
    { name: 'checksum', type: 'string', comment: 'SHA-256 of the document bytes, lower-case hex' },
    { name: 'ingested_at', type: 'timestamp', comment: 'When the document entered the curated zone (UTC)' },
  ],
} as const;

/** Runtime schema of one document-corpus record, for ingestion code to validate at the edge. */
export const DocumentCorpusRecord = z.object({
  doc_id: z.string().min(1),
  tenant_id: z.string().min(1),
  source_uri: z.string().regex(/^(s3|https):\/\/\S+$/, 'source_uri must be an s3:// or https:// URI'),
  data_class: z.enum(DataClass.all().map((c) => c.id) as [string, ...string[]]),
  language: z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'language must be a BCP 47 tag'),
  checksum: z.string().regex(/^[0-9a-f]{64}$/, 'checksum must be a lower-case SHA-256 hex digest'),
  ingested_at: z.iso.datetime(),
});

/** One validated document-corpus record. */
export type DocumentCorpusRecord = z.infer<typeof DocumentCorpusRecord>;
