import { DOCUMENT_CORPUS_CONTRACT, DocumentCorpusRecord } from '../../lib';

const valid = {
  doc_id: 'doc-42',
  tenant_id: 'tenant-a',
  source_uri: 's3://uploads/doc-42.pdf',
  data_class: 'personal',
  language: 'de-DE',
  checksum: 'a'.repeat(64),
  ingested_at: '2026-01-31T12:00:00Z',
};

describe('document-corpus contract', () => {
  it('names the same fields in the Glue columns and the runtime schema', () => {
    expect(DOCUMENT_CORPUS_CONTRACT.columns.map((c) => c.name)).toEqual(Object.keys(DocumentCorpusRecord.shape));
  });

  it('accepts a conforming record', () => {
    expect(DocumentCorpusRecord.parse(valid)).toEqual(valid);
  });

  it.each([
    ['data_class', 'secret'],
    ['checksum', 'ABC'],
    ['source_uri', 'ftp://host/doc'],
    ['language', 'German'],
    ['ingested_at', 'yesterday'],
    ['tenant_id', ''],
  ])('refuses a record whose %s is %j', (field, value) => {
    expect(DocumentCorpusRecord.safeParse({ ...valid, [field]: value }).success).toBe(false);
  });
});
