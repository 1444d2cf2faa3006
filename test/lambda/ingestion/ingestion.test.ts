import { BedrockRuntimeClient, InvokeModelCommand } from '@aws-sdk/client-bedrock-runtime';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { type IngestOutcome, type IngestionConfig, ingestBatch, tenantOfKey } from '../../../lambda/ingestion/core';
import { parseDocument } from '../../../lambda/ingestion/parse';
import { chunkId } from '../../../lambda/shared/search-index';
import { bedrockError, mockTitan } from '../support/bedrock';
import { type RecordedRequest, type Responder, fakeSearch } from '../support/fake-search';

const config: IngestionConfig = {
  indexName: 'chunks',
  dataClass: 'confidential',
  chunking: { size: 20, overlap: 5 },
  model: { modelId: 'amazon.titan-embed-text-v2:0', dimensions: 2 },
  embeddingBatchSize: 2,
  bulkBatchSize: 2,
};
const now = new Date('2026-11-23T10:00:00Z');
const KEY = 'docs/tenant=acme/handbook.md';
const DOC = `s3://curated/${KEY}`;
const TEXT = 'Refunds take five days. Exchanges take ten days.';

function sqs(...events: Array<{ type: string; key: string; size?: number }>): SQSEvent {
  return {
    Records: events.map(({ type, key, size }, i) => ({
      messageId: `m${i}`,
      body: JSON.stringify({ 'source': 'aws.s3', 'detail-type': type, 'detail': { bucket: { name: 'curated' }, object: { key, size } } }),
    })),
  } as SQSEvent;
}

const okBulk: Responder = (req) => (req.path === '/_bulk'
  ? { body: { errors: false, items: (req.bulkBody as unknown[]).filter((_, i) => i % 2 === 0).map(() => ({ index: { status: 201 } })) } }
  : { body: { deleted: 0 } });

function run(event: SQSEvent, responder: Responder = okBulk) {
  const search = fakeSearch(responder);
  const outcomes: IngestOutcome[] = [];
  const failures: string[] = [];
  const observer = { outcome: (_: string, o: IngestOutcome) => outcomes.push(o), failure: (id: string) => failures.push(id) };
  const response = ingestBatch({ search: search.client, bedrock: new BedrockRuntimeClient({}), s3: new S3Client({}) }, config, event, observer, now);
  return { response, requests: search.requests, outcomes, failures };
}

describe('ingestBatch', () => {
  const s3 = mockClient(S3Client);
  let bedrock = mockTitan(2);
  beforeEach(() => {
    s3.reset();
    bedrock.restore();
    bedrock = mockTitan(2);
    s3.on(GetObjectCommand).callsFake(() => ({ Body: { transformToByteArray: async () => new TextEncoder().encode(TEXT) } }));
  });
  afterAll(() => {
    s3.restore();
    bedrock.restore();
  });

  it('indexes chunks with deterministic ids in bulk batches, then removes chunks of an older, longer version', async () => {
    const { response, requests, outcomes } = run(sqs({ type: 'Object Created', key: KEY, size: 48 }));
    expect(await response).toEqual({ batchItemFailures: [] });
    expect(outcomes).toEqual([{ action: 'indexed', docId: DOC, chunks: 4 }]);
    expect(bedrock.commandCalls(InvokeModelCommand)).toHaveLength(4);

    const bulks = requests.filter((r) => r.path === '/_bulk');
    expect(bulks.map((r) => (r.bulkBody as unknown[]).length)).toEqual([4, 4]);
    const [action, doc] = bulks[0].bulkBody as [unknown, Record<string, unknown>];
    expect(action).toEqual({ index: { _index: 'chunks', _id: chunkId(DOC, 0) } });
    expect(doc).toEqual({
      tenant_id: 'acme', doc_id: DOC, chunk_index: 0, text: 'Refunds take five ', embedding: [0.018, 0.019],
      source_uri: DOC, data_class: 'confidential', content_type: 'text/markdown', start_offset: 0, end_offset: 18,
      ingested_at: '2026-11-23T10:00:00.000Z',
    });
    expect(requests.at(-1)).toEqual({
      method: 'POST',
      path: '/chunks/_delete_by_query',
      querystring: { conflicts: 'proceed' },
      body: { query: { bool: { filter: [{ term: { tenant_id: 'acme' } }, { term: { doc_id: DOC } }, { range: { chunk_index: { gte: 4 } } }] } } },
    });
  });

  it('removes every chunk of a deleted object, scoped to its tenant', async () => {
    const { response, requests, outcomes } = run(sqs({ type: 'Object Deleted', key: KEY }));
    expect(await response).toEqual({ batchItemFailures: [] });
    expect(outcomes).toEqual([{ action: 'deleted', docId: DOC }]);
    expect(requests).toEqual([{
      method: 'POST',
      path: '/chunks/_delete_by_query',
      querystring: { conflicts: 'proceed' },
      body: { query: { bool: { filter: [{ term: { tenant_id: 'acme' } }, { term: { doc_id: DOC } }] } } },
    }]);
  });

  it('rejects an unsupported file with a reason, removes its old chunks and does not retry it', async () => {
    const { response, requests, outcomes } = run(sqs({ type: 'Object Created', key: 'tenant=acme/scan.pdf' }));
    expect(await response).toEqual({ batchItemFailures: [] });
    expect(outcomes).toEqual([{ action: 'rejected', docId: 's3://curated/tenant=acme/scan.pdf', reason: expect.stringMatching(/^unsupported file type '\.pdf' \(supported: \.txt, /) }]);
    expect(requests.map((r) => r.path)).toEqual(['/chunks/_delete_by_query']);
    expect(bedrock.commandCalls(InvokeModelCommand)).toHaveLength(0);
  });

  it('rejects an object without a tenant partition and malformed messages without touching the index', async () => {
    const event = sqs({ type: 'Object Created', key: 'handbook.md' });
    event.Records.push({ messageId: 'bad', body: '{"hello":1}' } as SQSEvent['Records'][number]);
    const { response, requests, outcomes } = run(event);
    expect(await response).toEqual({ batchItemFailures: [] });
    expect(outcomes.map((o) => o.action)).toEqual(['rejected', 'rejected']);
    expect(outcomes[0]).toMatchObject({ reason: expect.stringContaining('no tenant=<id> segment') });
    expect(requests).toEqual([]);
  });

  it('reports only the throttled message as a batch item failure', async () => {
    bedrock.on(InvokeModelCommand).rejects(bedrockError('ThrottlingException'));
    const { response, failures } = run(sqs({ type: 'Object Created', key: KEY }, { type: 'Object Deleted', key: 'tenant=acme/old.md' }));
    expect(await response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm0' }] });
    expect(failures).toEqual(['m0']);
  });

  it('reports a message whose bulk request partly failed, and keeps old chunks in place', async () => {
    const partial: Responder = (req: RecordedRequest) => (req.path === '/_bulk'
      ? { body: { errors: true, items: [{ index: { status: 201 } }, { index: { status: 429, error: { type: 'es_rejected_execution_exception' } } }] } }
      : { body: {} });
    const { response, requests, failures } = run(sqs({ type: 'Object Created', key: KEY }), partial);
    expect(await response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm0' }] });
    expect(failures).toEqual(['m0']);
    expect(requests.filter((r) => r.path.endsWith('_delete_by_query'))).toEqual([]);
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
