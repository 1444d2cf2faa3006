import fc from 'fast-check';
import { type RetrievalConfig, hybridQuery, parseRequest, retrieve } from '../../../lambda/retrieval/core';
import { TitanEmbeddings } from '../../../lambda/shared/embeddings';
import { RequestError } from '../../../lambda/shared/errors';
import { SearchDomain } from '../../../lambda/shared/opensearch';
import { FILTERABLE_FIELDS } from '../../../lambda/shared/search-index';
import { DOMAIN_ENDPOINT, FAST, type FakeAwsRoutes, HANGS, type Responder, fakeAws, hang, hangOnce, json, openSearchError, titan, truncated } from '../support/fake-aws';

const config: RetrievalConfig = {
  indexName: 'chunks',
  pipelineName: 'hybrid-search',
  model: { modelId: 'amazon.titan-embed-text-v2:0', dimensions: 4 },
  candidateMultiplier: 4,
  embedding: FAST,
  search: FAST,
};
const hit = {
  _score: 0.87,
  _source: { text: 'Refunds take 5 days.', doc_id: 's3://curated/tenant=acme/faq.md', source_uri: 's3://curated/tenant=acme/faq.md', chunk_index: 2, start_offset: 900, end_offset: 1300, tenant_id: 'acme' },
};
const found: Responder = () => json({ took: 3, timed_out: false, hits: { total: { value: 1, relation: 'eq' }, max_score: 0.87, hits: [hit] } });

/** Retrieval through the real bindings against fake endpoints; a generous deadline unless given. */
function run(routes: FakeAwsRoutes, body = '{"query":"refunds"}', deadline = Date.now() + 10_000, settings: RetrievalConfig = config) {
  const aws = fakeAws({ bedrock: titan(4), search: found, ...routes });
  const clients = { search: new SearchDomain(aws.http, DOMAIN_ENDPOINT), embedder: new TitanEmbeddings(aws.http, settings.model) };
  return { result: retrieve(clients, settings, 'acme', parseRequest(body), deadline), sent: aws.sent, raw: aws.sent.raw };
}
const hangConfig: RetrievalConfig = { ...config, embedding: HANGS, search: HANGS };

describe('retrieve', () => {
  it('sends one hybrid query through the pipeline with the tenant filter and the caller filters', async () => {
    const { result, sent } = run({}, JSON.stringify({ query: 'refund time', k: 3, filters: { data_class: 'confidential', doc_id: ['a', 'b'] } }));
    await result;
    const filter = [{ term: { tenant_id: 'acme' } }, { terms: { doc_id: ['a', 'b'] } }, { term: { data_class: 'confidential' } }];
    expect(sent.search).toEqual([{
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
    expect(sent.bedrock).toEqual([{ method: 'POST', path: '/model/amazon.titan-embed-text-v2:0/invoke', body: { inputText: 'refund time', dimensions: 4, normalize: true } }]);
  });

  it('filters by the caller tenant even when the body names another tenant', async () => {
    const { result, sent } = run({}, JSON.stringify({ query: 'salaries', tenantId: 'other', tenant_id: 'other' }));
    await result;
    const body = JSON.stringify(sent.search[0].body);
    expect(body).not.toContain('other');
    const [lexical, vector] = (sent.search[0].body as { query: { hybrid: { queries: any[] } } }).query.hybrid.queries;
    expect(lexical.bool.filter).toEqual([{ term: { tenant_id: 'acme' } }]);
    expect(vector.knn.embedding.filter.bool.filter).toEqual([{ term: { tenant_id: 'acme' } }]);
  });

  it('scopes both sub-queries to exactly the caller tenant for any request the schema accepts', () => {
    const filterValue = fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.array(fc.string({ minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 3 }));
    const body = fc.record({
      query: fc.string({ minLength: 1, maxLength: 50 }).filter((q) => q.trim().length > 0),
      k: fc.integer({ min: 1, max: 50 }),
      filters: fc.dictionary(fc.constantFrom(...FILTERABLE_FIELDS), filterValue),
      tenant_id: fc.string(),
      tenantId: fc.string(),
    });
    fc.assert(fc.property(body, fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/), (request, tenant) => {
      const query = hybridQuery(parseRequest(JSON.stringify(request)), tenant, [0.1], 4) as { query: { hybrid: { queries: any[] } } };
      const [lexical, vector] = query.query.hybrid.queries;
      for (const filter of [lexical.bool.filter, vector.knn.embedding.filter.bool.filter]) {
        expect(filter[0]).toEqual({ term: { tenant_id: tenant } });
        expect(filter.slice(1).some((clause: Record<string, Record<string, unknown>>) => 'tenant_id' in Object.values(clause)[0])).toBe(false);
      }
    }));
  });

  it('refuses a tenant_id filter from the body with 400', () => {
    expect(() => parseRequest(JSON.stringify({ query: 'x', filters: { tenant_id: 'other' } }))).toThrow(
      expect.objectContaining({ statusCode: 400, code: 'INVALID_REQUEST' }),
    );
  });

  it('returns chunks with citations and scores', async () => {
    expect(await run({}).result).toEqual([{
      text: 'Refunds take 5 days.',
      score: 0.87,
      citation: { docId: 's3://curated/tenant=acme/faq.md', sourceUri: 's3://curated/tenant=acme/faq.md', chunkIndex: 2, startOffset: 900, endOffset: 1300 },
    }]);
  });

  it.each([
    ['not JSON', '{', 'INVALID_JSON'],
    ['an empty query', '{"query":"  "}', 'INVALID_REQUEST'],
    ['k above 50', '{"query":"x","k":51}', 'INVALID_REQUEST'],
    ['a fractional k', '{"query":"x","k":2.5}', 'INVALID_REQUEST'],
    ['an unknown filter field', '{"query":"x","filters":{"owner":"me"}}', 'INVALID_REQUEST'],
  ])('answers 400 to %s', (_name, body, code) => {
    expect(() => parseRequest(body)).toThrow(expect.objectContaining({ statusCode: 400, code }));
  });

  it('names the field and the problem in a 400', () => {
    expect(() => parseRequest('{"query":"x","k":51}')).toThrow(/^k: Too big: expected number to be <=50 \(filters may use: doc_id, source_uri, data_class, content_type\)$/);
  });

  it('answers 503 when the embedding model still throttles after its attempts, without searching', async () => {
    const { result, sent } = run({ bedrock: () => json({ message: 'Too many requests' }, 429, { 'x-amzn-errortype': 'ThrottlingException' }) });
    await expect(result).rejects.toBeInstanceOf(RequestError);
    await expect(result).rejects.toMatchObject({ statusCode: 503, code: 'EMBEDDING_THROTTLED' });
    expect(sent.bedrock).toHaveLength(FAST.attempts);
    expect(sent.search).toHaveLength(0);
  });

  it.each([
    ['a 5xx', () => json({ message: 'internal' }, 500, { 'x-amzn-errortype': 'InternalServerException' })],
    ['a 200 cut off mid-body', () => truncated({ embedding: [0.1, 0.2, 0.3, 0.4] })],
    ['a 200 that is not JSON', () => new Response('<html>gateway</html>', { status: 200 })],
    ['a dropped connection', () => new TypeError('fetch failed')],
  ] as Array<[string, Responder]>)('retries the embedding call after %s and answers', async (_name, failure) => {
    const { result, sent } = run({ bedrock: (request, attempt, raw) => (attempt === 1 ? failure(request, attempt, raw) : titan(4)(request, attempt, raw)) });
    expect(await result).toHaveLength(1);
    expect(sent.bedrock).toHaveLength(2);
  });

  it('gives up a hung embedding call at its attempt time, aborting it, and answers from the next attempt', async () => {
    const { result, sent, raw } = run({ bedrock: hangOnce(titan(4)) }, undefined, undefined, hangConfig);
    expect(await result).toHaveLength(1);
    expect(raw[0].signal.aborted).toBe(true);
    expect(sent.bedrock.length).toBeGreaterThanOrEqual(2);
  });

  it('does not retry an embedding call the model refused as invalid', async () => {
    const { result, sent } = run({ bedrock: () => json({ message: 'bad input' }, 400, { 'x-amzn-errortype': 'ValidationException' }) });
    await expect(result).rejects.toMatchObject({ name: 'ValidationException' });
    expect(sent.bedrock).toHaveLength(1);
  });

  it('refuses an embedding of the wrong size', async () => {
    await expect(run({ bedrock: () => json({ embedding: [0.1] }) }).result).rejects.toThrow('embedding model returned 1 dimensions, expected 4');
  });

  it.each([
    ['a 503', () => openSearchError(503, 'cluster_block_exception')],
    ['a 200 cut off mid-body', () => truncated({ hits: { hits: [hit] } })],
  ] as Array<[string, Responder]>)('retries the search after %s and answers', async (_name, failure) => {
    const { result, sent } = run({ search: (request, attempt, raw) => (attempt === 1 ? failure(request, attempt, raw) : found(request, attempt, raw)) });
    expect(await result).toHaveLength(1);
    expect(sent.search).toHaveLength(2);
  });

  it('gives up a hung search at its attempt time, aborting it, and answers from the next attempt', async () => {
    const { result, raw } = run({ search: hangOnce(found) }, undefined, undefined, hangConfig);
    expect(await result).toHaveLength(1);
    expect(raw.filter((r) => r.url.startsWith(DOMAIN_ENDPOINT))[0].signal.aborted).toBe(true);
  });

  it('answers 503 when the domain still rejects the search after its attempts', async () => {
    const { result, sent } = run({ search: () => openSearchError(429, 'es_rejected_execution_exception', 'rejected execution of coordinating operation') });
    await expect(result).rejects.toMatchObject({ statusCode: 503, code: 'SEARCH_THROTTLED' });
    expect(sent.search).toHaveLength(FAST.attempts);
  });

  it('fails on a search the domain refuses, with the OpenSearch error type, without retrying', async () => {
    const { result, sent } = run({ search: () => openSearchError(400, 'parsing_exception', 'unknown query [hybrid]') });
    await expect(result).rejects.toMatchObject({ name: 'parsing_exception', message: 'unknown query [hybrid]', $metadata: { httpStatusCode: 400 } });
    expect(sent.search).toHaveLength(1);
  });

  it('stops at the deadline when every attempt hangs, with no attempt left running', async () => {
    const { result, raw } = run({ search: hang }, '{"query":"refunds"}', Date.now() + 300, { ...config, search: { ...FAST, attemptTimeoutMs: 5_000, attempts: 5 } });
    await expect(result).rejects.toMatchObject({ name: expect.stringMatching(/^(TimeoutError|DeadlineExceededError)$/) });
    const searches = raw.filter((r) => r.url.startsWith(DOMAIN_ENDPOINT));
    expect(searches).toHaveLength(1);
    expect(searches[0].signal.aborted).toBe(true);
  });
});

describe('retrieval handler', () => {
  let handler: typeof import('../../../lambda/retrieval/index').handler;
  const realFetch = globalThis.fetch;
  const requests: Request[] = [];
  beforeAll(async () => {
    Object.assign(process.env, {
      AWS_REGION: 'eu-central-1',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: 'token',
      DOMAIN_ENDPOINT,
      INDEX_NAME: 'chunks',
      PIPELINE_NAME: 'hybrid-search',
      EMBEDDING_MODEL_ID: 'amazon.titan-embed-text-v2:0',
      EMBEDDING_DIMENSIONS: '4',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    });
    // The handler's clients send through the global fetch: answer as Bedrock and the domain would.
    globalThis.fetch = async (input: string | URL | Request) => {
      const request = input as Request;
      requests.push(request);
      if (new URL(request.url).hostname.startsWith('bedrock-runtime.')) return json({ embedding: [0.1, 0.2, 0.3, 0.4] });
      return json({ hits: { hits: [hit] } });
    };
    ({ handler } = await import('../../../lambda/retrieval/index'));
  });
  afterAll(() => {
    globalThis.fetch = realFetch;
  });
  beforeEach(() => {
    requests.length = 0;
  });

  it('answers chunks for the authorizer tenant, signing Bedrock and the domain with their own signing names', async () => {
    const response = await handler({ body: '{"query":"refunds"}', requestContext: { authorizer: { tenantId: 'acme' } } } as never, { getRemainingTimeInMillis: () => 15_000 });
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body).chunks).toHaveLength(1);
    expect(requests.map((r) => [new URL(r.url).host, /Credential=AKIDEXAMPLE\/\d{8}\/([^,]+),/.exec(r.headers.get('authorization') ?? '')?.[1]])).toEqual([
      ['bedrock-runtime.eu-central-1.amazonaws.com', 'eu-central-1/bedrock/aws4_request'],
      [new URL(DOMAIN_ENDPOINT).host, 'eu-central-1/es/aws4_request'],
    ]);
  });

  it('answers 403 when the authorizer set no tenant, whatever the body says', async () => {
    const response = await handler({ body: '{"query":"x","tenantId":"acme"}', requestContext: { authorizer: {} } } as never);
    expect(response.statusCode).toBe(403);
    expect(JSON.parse(response.body)).toEqual({ code: 'TENANT_MISSING', message: expect.stringContaining('no valid tenant') });
    expect(requests).toHaveLength(0);
  });

  it('answers 400 with a stable code before calling any dependency', async () => {
    const response = await handler({ body: '{"k":3}', requestContext: { authorizer: { tenantId: 'acme' } } } as never);
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).code).toBe('INVALID_REQUEST');
    expect(requests).toHaveLength(0);
  });
});
