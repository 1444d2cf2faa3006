import { BedrockRuntimeClient, InvokeModelCommand } from '@aws-sdk/client-bedrock-runtime';
import { parseRequest, retrieve, type RetrievalConfig } from '../../../lambda/retrieval/core';
import { RequestError } from '../../../lambda/shared/errors';
import { bedrockError, mockTitan } from '../support/bedrock';
import { fakeSearch } from '../support/fake-search';

const config: RetrievalConfig = {
  indexName: 'chunks',
  pipelineName: 'hybrid-search',
  model: { modelId: 'amazon.titan-embed-text-v2:0', dimensions: 4 },
  candidateMultiplier: 4,
};
const hit = {
  _score: 0.87,
  _source: { text: 'Refunds take 5 days.', doc_id: 's3://curated/tenant=acme/faq.md', source_uri: 's3://curated/tenant=acme/faq.md', chunk_index: 2, start_offset: 900, end_offset: 1300, tenant_id: 'acme' },
};

describe('retrieve', () => {
  const bedrock = mockTitan(4);
  afterAll(() => bedrock.restore());

  it('sends one hybrid query through the pipeline with the tenant filter and the caller filters', async () => {
    const search = fakeSearch(() => ({ body: { hits: { hits: [hit] } } }));
    const request = parseRequest(JSON.stringify({ query: 'refund time', k: 3, filters: { data_class: 'confidential', doc_id: ['a', 'b'] } }));
    await retrieve({ search: search.client, bedrock: new BedrockRuntimeClient({}) }, config, 'acme', request);

    const filter = [{ term: { tenant_id: 'acme' } }, { terms: { doc_id: ['a', 'b'] } }, { term: { data_class: 'confidential' } }];
    expect(search.requests).toEqual([{
      method: 'POST',
      path: '/chunks/_search',
      querystring: { search_pipeline: 'hybrid-search' },
      body: {
        size: 3,
        _source: { excludes: ['embedding'] },
        query: {
          hybrid: {
            queries: [
              { bool: { must: [{ match: { text: { query: 'refund time' } } }], filter } },
              { knn: { embedding: { vector: [0.011, 0.012, 0.013, 0.014], k: 12, filter: { bool: { filter } } } } },
            ],
          },
        },
      },
    }]);
  });

  it('filters by the caller tenant even when the body names another tenant', async () => {
    const search = fakeSearch(() => ({ body: { hits: { hits: [] } } }));
    const request = parseRequest(JSON.stringify({ query: 'salaries', tenantId: 'other', tenant_id: 'other' }));
    await retrieve({ search: search.client, bedrock: new BedrockRuntimeClient({}) }, config, 'acme', request);

    const body = JSON.stringify(search.requests[0].body);
    expect(body).not.toContain('other');
    const [lexical, vector] = (search.requests[0].body as { query: { hybrid: { queries: any[] } } }).query.hybrid.queries;
    expect(lexical.bool.filter).toEqual([{ term: { tenant_id: 'acme' } }]);
    expect(vector.knn.embedding.filter.bool.filter).toEqual([{ term: { tenant_id: 'acme' } }]);
  });

  it('refuses a tenant_id filter from the body with 400', () => {
    expect(() => parseRequest(JSON.stringify({ query: 'x', filters: { tenant_id: 'other' } }))).toThrow(
      expect.objectContaining({ statusCode: 400, code: 'INVALID_REQUEST' }),
    );
  });

  it('returns chunks with citations and scores', async () => {
    const search = fakeSearch(() => ({ body: { hits: { hits: [hit] } } }));
    const chunks = await retrieve({ search: search.client, bedrock: new BedrockRuntimeClient({}) }, config, 'acme', parseRequest('{"query":"refunds"}'));
    expect(chunks).toEqual([{
      text: 'Refunds take 5 days.',
      score: 0.87,
      citation: { docId: 's3://curated/tenant=acme/faq.md', sourceUri: 's3://curated/tenant=acme/faq.md', chunkIndex: 2, startOffset: 900, endOffset: 1300 },
    }]);
  });

  it.each([
    ['not JSON', '{', 'INVALID_JSON'],
    ['an empty query', '{"query":"  "}', 'INVALID_REQUEST'],
    ['k above 50', '{"query":"x","k":51}', 'INVALID_REQUEST'],
    ['an unknown filter field', '{"query":"x","filters":{"owner":"me"}}', 'INVALID_REQUEST'],
  ])('answers 400 to %s', (_name, body, code) => {
    expect(() => parseRequest(body)).toThrow(expect.objectContaining({ statusCode: 400, code }));
  });

  it('answers 503 when the embedding model throttles', async () => {
    const throttled = mockTitan(4);
    throttled.on(InvokeModelCommand).rejects(bedrockError('ThrottlingException'));
    const search = fakeSearch();
    const attempt = retrieve({ search: search.client, bedrock: new BedrockRuntimeClient({}) }, config, 'acme', parseRequest('{"query":"x"}'));
    await expect(attempt).rejects.toBeInstanceOf(RequestError);
    await expect(attempt).rejects.toMatchObject({ statusCode: 503, code: 'EMBEDDING_THROTTLED' });
    expect(search.requests).toHaveLength(0);
    throttled.restore();
  });
});

describe('retrieval handler', () => {
  let handler: typeof import('../../../lambda/retrieval/index').handler;
  beforeAll(async () => {
    Object.assign(process.env, {
      AWS_REGION: 'eu-central-1',
      DOMAIN_ENDPOINT: 'vpc-search.eu-central-1.es.amazonaws.com',
      INDEX_NAME: 'chunks',
      PIPELINE_NAME: 'hybrid-search',
      EMBEDDING_MODEL_ID: 'amazon.titan-embed-text-v2:0',
      EMBEDDING_DIMENSIONS: '1024',
      POWERTOOLS_METRICS_DISABLED: 'true',
    });
    ({ handler } = await import('../../../lambda/retrieval/index'));
  });

  it('answers 403 when the authorizer set no tenant, whatever the body says', async () => {
    const response = await handler({ body: '{"query":"x","tenantId":"acme"}', requestContext: { authorizer: {} } } as never);
    expect(response.statusCode).toBe(403);
    expect(JSON.parse(response.body)).toEqual({ code: 'TENANT_MISSING', message: expect.stringContaining('no valid tenant') });
  });

  it('answers 400 with a stable code before calling any dependency', async () => {
    const response = await handler({ body: '{"k":3}', requestContext: { authorizer: { tenantId: 'acme' } } } as never);
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).code).toBe('INVALID_REQUEST');
  });
});
