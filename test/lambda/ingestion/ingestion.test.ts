import type { SQSEvent } from 'aws-lambda';
import { CuratedObjects } from '../../../lambda/ingestion/curated-objects';
import { type IngestOutcome, type IngestionConfig, ingestBatch, tenantOfKey } from '../../../lambda/ingestion/core';
import { parseDocument } from '../../../lambda/ingestion/parse';
import { TitanEmbeddings } from '../../../lambda/shared/embeddings';
import { SearchDomain } from '../../../lambda/shared/opensearch';
import { chunkId } from '../../../lambda/shared/search-index';
import { DOMAIN_ENDPOINT, FAST, type FakeAwsRoutes, HANGS, type RecordedRequest, type Responder, fakeAws, hangOnce, json, titan } from '../support/fake-aws';

const config: IngestionConfig = {
  curatedBucket: 'curated',
  indexName: 'chunks',
  dataClass: 'confidential',
  chunking: { size: 20, overlap: 5 },
  model: { modelId: 'amazon.titan-embed-text-v2:0', dimensions: 2 },
  embeddingBatchSize: 2,
  bulkBatchSize: 2,
  calls: { getObject: FAST, embedding: FAST, bulk: FAST, deleteByQuery: FAST },
};
const now = new Date('2026-11-23T10:00:00Z');
const KEY = 'docs/tenant=acme/handbook.md';
const DOC = `s3://curated/${KEY}`;
const TEXT = 'Refunds take five days. Exchanges take ten days.';

function sqs(...events: Array<{ type: string; key: string; size?: number; bucket?: string }>): SQSEvent {
  return {
    Records: events.map(({ type, key, size, bucket }, i) => ({
      messageId: `m${i}`,
      body: JSON.stringify({ 'source': 'aws.s3', 'detail-type': type, 'detail': { bucket: { name: bucket ?? 'curated' }, object: { key, size } } }),
    })),
  } as SQSEvent;
}

/** The bulk response for a request whose items all succeeded: https://docs.opensearch.org/latest/api-reference/document-apis/bulk/ */
const bulkOk = (req: RecordedRequest) => json({ took: 11, errors: false, items: req.bulkBody!.filter((_, i) => i % 2 === 0).map(() => ({ index: { _index: 'chunks', status: 201, result: 'created' } })) });
/** The delete-by-query response: https://docs.opensearch.org/latest/api-reference/document-apis/delete-by-query/ */
const deletedOk = () => json({ took: 5, timed_out: false, total: 0, deleted: 0, batches: 0, version_conflicts: 0, noops: 0, failures: [] });
const okSearch: Responder = (req) => (req.path === '/chunks/_bulk' ? bulkOk(req) : deletedOk());
const object = (text: string): Responder => () => new Response(text, { status: 200, headers: { 'content-length': String(Buffer.byteLength(text)) } });

function run(event: SQSEvent, routes: FakeAwsRoutes = {}, settings: IngestionConfig = config, deadline = Date.now() + 10_000) {
  const aws = fakeAws({ search: okSearch, bedrock: titan(2), s3: object(TEXT), ...routes });
  const outcomes: IngestOutcome[] = [];
  const failures: Array<[string, Error]> = [];
  const observer = { outcome: (_: string, o: IngestOutcome) => outcomes.push(o), failure: (id: string, error: Error) => failures.push([id, error]) };
  const clients = { search: new SearchDomain(aws.http, DOMAIN_ENDPOINT), embedder: new TitanEmbeddings(aws.http, settings.model), objects: new CuratedObjects(aws.http) };
  const response = ingestBatch(clients, settings, event, observer, deadline, now);
  return { response, sent: aws.sent, outcomes, failures };
}

describe('ingestBatch', () => {
  it('indexes chunks with deterministic ids in bulk batches, then removes chunks of an older, longer version', async () => {
    const { response, sent, outcomes } = run(sqs({ type: 'Object Created', key: KEY, size: 48 }));
    expect(await response).toEqual({ batchItemFailures: [] });
    expect(outcomes).toEqual([{ action: 'indexed', docId: DOC, chunks: 4 }]);
    expect(sent.s3).toEqual([{ method: 'GET', path: `/${KEY}` }]);
    expect(sent.bedrock).toHaveLength(4);

    const bulks = sent.search.filter((r) => r.path === '/chunks/_bulk');
    expect(bulks.map((r) => r.bulkBody!.length)).toEqual([4, 4]);
    const [action, doc] = bulks[0].bulkBody as [unknown, Record<string, unknown>];
    expect(action).toEqual({ index: { _id: chunkId(DOC, 0) } });
    expect(doc).toEqual({
      tenant_id: 'acme', doc_id: DOC, chunk_index: 0, text: 'Refunds take five ', embedding: [0.018, 0.019],
      source_uri: DOC, data_class: 'confidential', content_type: 'text/markdown', start_offset: 0, end_offset: 18,
      ingested_at: '2026-11-23T10:00:00.000Z',
    });
    expect(sent.search.at(-1)).toEqual({
      method: 'POST',
      path: '/chunks/_delete_by_query',
      querystring: { conflicts: 'proceed' },
      body: { query: { bool: { filter: [{ term: { tenant_id: 'acme' } }, { term: { doc_id: DOC } }, { range: { chunk_index: { gte: 4 } } }] } } },
    });
  });

  it('removes every chunk of a deleted object, scoped to its tenant', async () => {
    const { response, sent, outcomes } = run(sqs({ type: 'Object Deleted', key: KEY }));
    expect(await response).toEqual({ batchItemFailures: [] });
    expect(outcomes).toEqual([{ action: 'deleted', docId: DOC }]);
    expect(sent.search).toEqual([{
      method: 'POST',
      path: '/chunks/_delete_by_query',
      querystring: { conflicts: 'proceed' },
      body: { query: { bool: { filter: [{ term: { tenant_id: 'acme' } }, { term: { doc_id: DOC } }] } } },
    }]);
  });

  it('rejects an unsupported file with a reason, removes its old chunks and does not retry it', async () => {
    const { response, sent, outcomes } = run(sqs({ type: 'Object Created', key: 'tenant=acme/scan.pdf' }));
    expect(await response).toEqual({ batchItemFailures: [] });
    expect(outcomes).toEqual([{ action: 'rejected', docId: 's3://curated/tenant=acme/scan.pdf', reason: expect.stringMatching(/^unsupported file type '\.pdf' \(supported: \.txt, /) }]);
    expect(sent.search.map((r) => r.path)).toEqual(['/chunks/_delete_by_query']);
    expect(sent.bedrock).toHaveLength(0);
  });

  it('rejects an object without a tenant partition, an object of another bucket and malformed messages without touching the index', async () => {
    const event = sqs({ type: 'Object Created', key: 'handbook.md' }, { type: 'Object Created', key: KEY, bucket: 'raw' });
    event.Records.push({ messageId: 'bad', body: '{"hello":1}' } as SQSEvent['Records'][number]);
    const { response, sent, outcomes } = run(event);
    expect(await response).toEqual({ batchItemFailures: [] });
    expect(outcomes.map((o) => o.action)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(outcomes[0]).toMatchObject({ reason: expect.stringContaining('no tenant=<id> segment') });
    expect(outcomes[1]).toMatchObject({ reason: 'the object is not in the curated bucket curated' });
    expect([...sent.search, ...sent.s3]).toEqual([]);
  });

  it('reports only the throttled message as a batch item failure', async () => {
    const { response, failures } = run(sqs({ type: 'Object Created', key: KEY }, { type: 'Object Deleted', key: 'tenant=acme/old.md' }), {
      bedrock: () => json({ message: 'slow down' }, 429, { 'x-amzn-errortype': 'ThrottlingException' }),
    });
    expect(await response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm0' }] });
    expect(failures.map(([id, error]) => [id, error.name])).toEqual([['m0', 'EmbeddingThrottledError']]);
  });

  it('re-sends only the chunks the domain rejected, and indexes the document', async () => {
    const bulk: Responder = (req, attempt) => (attempt === 1
      ? json({ took: 3, errors: true, items: [{ index: { status: 201 } }, { index: { status: 429, error: { type: 'es_rejected_execution_exception', reason: 'rejected execution' } } }] })
      : bulkOk(req));
    const { response, sent, outcomes } = run(sqs({ type: 'Object Created', key: KEY }), { search: (req, attempt, raw) => (req.path === '/chunks/_bulk' ? bulk(req, attempt, raw) : deletedOk()) });
    expect(await response).toEqual({ batchItemFailures: [] });
    expect(outcomes).toEqual([{ action: 'indexed', docId: DOC, chunks: 4 }]);
    const bulks = sent.search.filter((r) => r.path === '/chunks/_bulk').map((r) => r.bulkBody!.filter((_, i) => i % 2 === 0));
    expect(bulks).toEqual([
      [{ index: { _id: chunkId(DOC, 0) } }, { index: { _id: chunkId(DOC, 1) } }],
      [{ index: { _id: chunkId(DOC, 1) } }],
      [{ index: { _id: chunkId(DOC, 2) } }, { index: { _id: chunkId(DOC, 3) } }],
    ]);
  });

  it('fails a message whose bulk request has a chunk no retry can fix, at once, and keeps old chunks in place', async () => {
    const partial: Responder = (req) => (req.path === '/chunks/_bulk'
      ? json({ errors: true, items: [{ index: { status: 201 } }, { index: { status: 400, error: { type: 'mapper_parsing_exception' } } }] })
      : deletedOk());
    const { response, sent, failures } = run(sqs({ type: 'Object Created', key: KEY }), { search: partial });
    expect(await response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm0' }] });
    expect(failures[0][1]).toMatchObject({ name: 'BulkIndexError', message: 'bulk indexing failed for 1 chunk(s): mapper_parsing_exception' });
    expect(sent.search.filter((r) => r.path === '/chunks/_bulk')).toHaveLength(1);
    expect(sent.search.filter((r) => r.path.endsWith('_delete_by_query'))).toEqual([]);
  });

  it('fails a message whose bulk answer does not match its request', async () => {
    const { response, failures } = run(sqs({ type: 'Object Created', key: KEY }), { search: (req) => (req.path === '/chunks/_bulk' ? json({ errors: true, items: [] }) : deletedOk()) });
    expect(await response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm0' }] });
    expect(failures[0][1]).toMatchObject({ name: 'InvalidResponseError' });
  });

  it('fails a deletion whose delete-by-query reports failures, after retrying it', async () => {
    const { response, sent, failures } = run(sqs({ type: 'Object Deleted', key: KEY }), {
      search: () => json({ took: 5, timed_out: false, deleted: 1, failures: [{ index: 'chunks', status: 429, cause: { type: 'es_rejected_execution_exception' } }] }),
    });
    expect(await response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm0' }] });
    expect(failures[0][1]).toMatchObject({ name: 'DeleteByQueryError', message: 'delete by query reported 1 failure(s)' });
    expect(sent.search).toHaveLength(FAST.attempts);
  });

  it.each([
    ['a 503 SlowDown', () => new Response('<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>', { status: 503 })],
    ['a body shorter than announced', () => new Response(TEXT.slice(0, 10), { status: 200, headers: { 'content-length': String(TEXT.length) } })],
    ['a dropped connection', () => new TypeError('fetch failed')],
  ] as Array<[string, Responder]>)('retries reading the object after %s', async (_name, failure) => {
    const { response, sent, outcomes } = run(sqs({ type: 'Object Created', key: KEY }), { s3: (req, attempt, raw) => (attempt === 1 ? failure(req, attempt, raw) : object(TEXT)(req, attempt, raw)) });
    expect(await response).toEqual({ batchItemFailures: [] });
    expect(outcomes).toEqual([{ action: 'indexed', docId: DOC, chunks: 4 }]);
    expect(sent.s3).toHaveLength(2);
  });

  it('gives up a hung object read at its attempt time and reads it again', async () => {
    const { response, outcomes } = run(sqs({ type: 'Object Created', key: KEY }), { s3: hangOnce(object(TEXT)) }, { ...config, calls: { ...config.calls, getObject: HANGS } });
    expect(await response).toEqual({ batchItemFailures: [] });
    expect(outcomes).toEqual([{ action: 'indexed', docId: DOC, chunks: 4 }]);
  });

  it('removes the chunks of an object deleted before it was read (404 NoSuchKey), without retrying it', async () => {
    const gone = () => new Response('<?xml version="1.0"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>', { status: 404 });
    const { response, sent, outcomes } = run(sqs({ type: 'Object Created', key: KEY }), { s3: gone });
    expect(await response).toEqual({ batchItemFailures: [] });
    expect(outcomes).toEqual([{ action: 'deleted', docId: DOC }]);
    expect(sent.s3).toHaveLength(1);
    expect(sent.bedrock).toHaveLength(0);
    expect(sent.search).toEqual([{
      method: 'POST',
      path: '/chunks/_delete_by_query',
      querystring: { conflicts: 'proceed' },
      body: { query: { bool: { filter: [{ term: { tenant_id: 'acme' } }, { term: { doc_id: DOC } }] } } },
    }]);
  });

  it('does not retry an object read S3 denies, and fails the message', async () => {
    const { response, sent, failures } = run(sqs({ type: 'Object Created', key: KEY }), { s3: () => new Response('<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>', { status: 403 }) });
    expect(await response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm0' }] });
    expect(failures[0][1]).toMatchObject({ name: 'AccessDenied' });
    expect(sent.s3).toHaveLength(1);
  });

  it('fails the messages the batch has no time left for, so SQS delivers them again', async () => {
    const { response, sent } = run(sqs({ type: 'Object Deleted', key: KEY }, { type: 'Object Deleted', key: 'tenant=acme/other.md' }), {}, config, Date.now() - 1);
    expect(await response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm0' }, { itemIdentifier: 'm1' }] });
    expect(sent.search).toEqual([]);
  });
});

describe('parseDocument', () => {
  const bytes = (s: string) => new TextEncoder().encode(s);

  it('reads text and Markdown as they are', () => {
    expect(parseDocument('a/b.txt', bytes('hello'))).toEqual({ ok: true, contentType: 'text/plain', text: 'hello' });
    expect(parseDocument('a/b.MD', bytes('# Title'))).toEqual({ ok: true, contentType: 'text/markdown', text: '# Title' });
  });

  it('joins the text fields of JSON lines', () => {
    expect(parseDocument('x.jsonl', bytes('{"text":"one"}\n\n{"content":"two"}\n'))).toEqual({ ok: true, contentType: 'application/x-ndjson', text: 'one\n\ntwo' });
  });

  it.each([
    ['a broken JSON line', 'x.jsonl', '{"text":"one"}\n{oops', 'line 2 is not valid JSON'],
    ['a JSON line without text', 'x.ndjson', '{"title":"t"}', 'line 1 has no string field named text, content, body'],
    ['an empty document', 'x.txt', '  \n', 'document has no text'],
    ['a file without extension', 'README', 'text', "unsupported file type '.' (supported: .txt, .text, .md, .markdown, .jsonl, .ndjson)"],
  ])('rejects %s with a reason', (_name, key, body, reason) => {
    expect(parseDocument(key, bytes(body))).toEqual({ ok: false, reason });
  });

  it('rejects bytes that are not UTF-8', () => {
    expect(parseDocument('x.txt', new Uint8Array([0xff, 0xfe, 0x00]))).toEqual({ ok: false, reason: 'object is not valid UTF-8 text' });
  });
});

describe('tenantOfKey', () => {
  it('reads the tenant partition from any segment of the key', () => {
    expect(tenantOfKey('tenant=acme/a.md')).toBe('acme');
    expect(tenantOfKey('zone/tenant=globex-2/year=2026/a.md')).toBe('globex-2');
    expect(tenantOfKey('tenant=/a.md')).toBeUndefined();
    expect(tenantOfKey('tenants=acme/a.md')).toBeUndefined();
  });
});
