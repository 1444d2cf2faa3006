import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { type SetupConfig, setup } from '../../../lambda/search-setup/core';
import { responseBody } from '../../../lambda/search-setup/response';
import { SearchDomain } from '../../../lambda/shared/opensearch';
import { auditConfigBody, pipelineBody, pipelineVersion } from '../../../lambda/shared/search-index';
import { DOMAIN_ENDPOINT, FAST, HANGS, type Responder, fakeAws, hangOnce, json, openSearchError } from '../support/fake-aws';

const properties = {
  ServiceToken: 'arn:aws:lambda:eu-central-1:111111111111:function:setup',
  IndexName: 'chunks',
  PipelineName: 'hybrid-search',
  PipelineVersion: 'abc123',
  Dimensions: '1024',
  Engine: 'lucene',
  HnswM: '16',
  EfConstruction: '128',
  Shards: '2',
  Replicas: '1',
  Fusion: 'normalization',
  LexicalWeight: '0.3',
  RankConstant: '60',
  IndexPattern: 'chunks*',
  RetrievalRoleArn: 'arn:aws:iam::111111111111:role/retrieval',
  IngestionRoleArn: 'arn:aws:iam::111111111111:role/ingestion',
};
const base = { ServiceToken: properties.ServiceToken, ResponseURL: 'https://s3.example/r', StackId: 'stack', RequestId: 'req', LogicalResourceId: 'Setup', ResourceType: 'Custom::SearchSetup' };
const create = { ...base, RequestType: 'Create', ResourceProperties: properties } as CloudFormationCustomResourceEvent;
const update = (changes: Record<string, string>) => ({ ...base, RequestType: 'Update', PhysicalResourceId: 'chunks/hybrid-search', ResourceProperties: { ...properties, ...changes }, OldResourceProperties: properties }) as CloudFormationCustomResourceEvent;
const remove = (changes: Record<string, string>) => ({ ...base, RequestType: 'Delete', PhysicalResourceId: 'chunks/hybrid-search', ResourceProperties: { ...properties, ...changes } }) as CloudFormationCustomResourceEvent;

const retained: SetupConfig = { indexName: 'chunks', pipelineName: 'hybrid-search', retainOnDelete: true, calls: FAST };
const destroyed: SetupConfig = { ...retained, retainOnDelete: false };

/** The answers of an acknowledged request and of the security API (https://docs.opensearch.org/latest/security/access-control/api/). */
const acknowledged: Responder = (req) => (req.path.startsWith('/_plugins/_security/') ? json({ status: 'OK', message: "'x' updated." }) : json({ acknowledged: true }));
// HEAD answers 404 without a body when the index is missing: https://docs.opensearch.org/latest/api-reference/index-apis/exists/
const indexMissing: Responder = (req, attempt, raw) => (req.method === 'HEAD' ? new Response(null, { status: 404 }) : acknowledged(req, attempt, raw));
const indexPresent: Responder = (req, attempt, raw) => (req.method === 'HEAD' ? new Response(null, { status: 200 }) : acknowledged(req, attempt, raw));

function run(event: CloudFormationCustomResourceEvent, search: Responder = indexMissing, config: SetupConfig = retained, deadline = Date.now() + 10_000) {
  const aws = fakeAws({ search });
  return { result: setup({ search: new SearchDomain(aws.http, DOMAIN_ENDPOINT) }, config, event, deadline), requests: aws.sent.search };
}

const expectedMapping = {
  dynamic: 'strict',
  properties: {
    tenant_id: { type: 'keyword' },
    doc_id: { type: 'keyword' },
    chunk_index: { type: 'integer' },
    text: { type: 'text', analyzer: 'paved_road_text', fields: { english: { type: 'text', analyzer: 'english' } } },
    embedding: { type: 'knn_vector', dimension: 1024, method: { name: 'hnsw', engine: 'lucene', space_type: 'cosinesimil', parameters: { m: 16, ef_construction: 128 } } },
    source_uri: { type: 'keyword' },
    data_class: { type: 'keyword' },
    content_type: { type: 'keyword' },
    start_offset: { type: 'integer' },
    end_offset: { type: 'integer' },
    ingested_at: { type: 'date' },
  },
};

describe('search setup', () => {
  it('creates the roles, the audit configuration, the index with its exact mapping and the normalization pipeline', async () => {
    const { result, requests } = run(create);
    expect(await result).toEqual({ physicalResourceId: 'chunks/hybrid-search', data: { IndexName: 'chunks', PipelineName: 'hybrid-search', PipelineVersion: 'abc123' } });
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'PUT /_plugins/_security/api/roles/paved_road_retrieval',
      'PUT /_plugins/_security/api/rolesmapping/paved_road_retrieval',
      'PUT /_plugins/_security/api/roles/paved_road_ingestion',
      'PUT /_plugins/_security/api/rolesmapping/paved_road_ingestion',
      'PUT /_plugins/_security/api/audit/config',
      'HEAD /chunks',
      'PUT /chunks',
      'PUT /_search/pipeline/hybrid-search',
    ]);
    expect(requests[0].body).toEqual({ cluster_permissions: [], index_permissions: [{ index_patterns: ['chunks*'], allowed_actions: ['read'] }] });
    expect(requests[1].body).toEqual({ backend_roles: ['arn:aws:iam::111111111111:role/retrieval'] });
    expect(requests[4].body).toEqual(auditConfigBody());
    expect(requests[6].body).toEqual({
      settings: {
        index: {
          knn: true,
          number_of_shards: 2,
          number_of_replicas: 1,
          search: { slowlog: { threshold: { query: { warn: '2s', info: '1s' } } } },
          indexing: { slowlog: { threshold: { index: { warn: '5s', info: '2s' } } } },
        },
        analysis: { analyzer: { paved_road_text: { type: 'custom', tokenizer: 'standard', filter: ['lowercase', 'asciifolding'] } } },
      },
      mappings: expectedMapping,
    });
    const definition = {
      phase_results_processors: [{
        'normalization-processor': {
          normalization: { technique: 'min_max' },
          combination: { technique: 'arithmetic_mean', parameters: { weights: [0.3, 0.7] } },
        },
      }],
    };
    expect(requests[7].body).toEqual({ description: `paved-road hybrid retrieval (normalization, version ${pipelineVersion(definition)})`, ...definition });
  });

  it('turns on audit logging of security events on both layers, without request bodies or document contents', () => {
    const config = auditConfigBody() as { enabled: boolean; audit: Record<string, unknown>; compliance: Record<string, unknown> };
    expect(config.enabled).toBe(true);
    expect(config.audit).toMatchObject({
      enable_rest: true,
      enable_transport: true,
      disabled_rest_categories: ['AUTHENTICATED', 'GRANTED_PRIVILEGES'],
      disabled_transport_categories: ['AUTHENTICATED', 'GRANTED_PRIVILEGES'],
      log_request_body: false,
      exclude_sensitive_headers: true,
      ignore_users: [],
    });
    expect(config.compliance).toMatchObject({ enabled: true, internal_config: true, read_metadata_only: true, write_metadata_only: true, read_watched_fields: {}, write_watched_indices: [] });
  });

  it('updates an existing index in place and switches the pipeline to RRF', async () => {
    const { result, requests } = run(update({ Fusion: 'rrf', Replicas: '2', Engine: 'faiss' }), indexPresent);
    await result;
    expect(requests[4]).toEqual({ method: 'PUT', path: '/_plugins/_security/api/audit/config', body: auditConfigBody() });
    expect(requests.slice(5).map((r) => `${r.method} ${r.path}`)).toEqual(['HEAD /chunks', 'PUT /chunks/_mapping', 'PUT /chunks/_settings', 'PUT /_search/pipeline/hybrid-search']);
    expect((requests[6].body as typeof expectedMapping).properties.embedding.method).toEqual({ name: 'hnsw', engine: 'faiss', space_type: 'innerproduct', parameters: { m: 16, ef_construction: 128 } });
    expect(requests[7].body).toEqual({ index: { number_of_replicas: 2 } });
    expect(requests[8].body).toMatchObject({ phase_results_processors: [{ 'score-ranker-processor': { combination: { technique: 'rrf', rank_constant: 60 } } }] });
  });

  it('updates the index that a retried create already made', async () => {
    const { result, requests } = run(create, (req, attempt, raw) => (req.method === 'PUT' && req.path === '/chunks' ? openSearchError(400, 'resource_already_exists_exception', 'index [chunks/abc] already exists') : indexMissing(req, attempt, raw)));
    await result;
    expect(requests.slice(5).map((r) => `${r.method} ${r.path}`)).toEqual(['HEAD /chunks', 'PUT /chunks', 'PUT /chunks/_mapping', 'PUT /chunks/_settings', 'PUT /_search/pipeline/hybrid-search']);
  });

  it('gives every pipeline definition its own version', () => {
    const a = pipelineBody({ fusion: 'normalization', weights: [0.3, 0.7], rankConstant: 60 });
    const b = pipelineBody({ fusion: 'normalization', weights: [0.5, 0.5], rankConstant: 60 });
    expect(a.description).not.toEqual(b.description);
  });

  it('keeps the index on Delete when configured to retain it (prod)', async () => {
    const { result, requests } = run(remove({}), indexPresent, retained);
    await result;
    expect(requests).toEqual([]);
  });

  it('removes pipeline and index on Delete in dev, tolerating ones already gone', async () => {
    const { result, requests } = run(remove({}), (req) => (req.path === '/chunks' ? openSearchError(404, 'index_not_found_exception') : json({ acknowledged: true })), destroyed);
    await result;
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual(['DELETE /_search/pipeline/hybrid-search', 'DELETE /chunks']);
  });

  it('leaves the live pipeline and the old index in place on the Delete that follows renaming the index', async () => {
    const old = { ...remove({ IndexName: 'chunks-v1' }), PhysicalResourceId: 'chunks-v1/hybrid-search' } as CloudFormationCustomResourceEvent;
    const { result, requests } = run(old, indexPresent, destroyed);
    expect(await result).toMatchObject({ physicalResourceId: 'chunks-v1/hybrid-search' });
    expect(requests).toEqual([]);
  });

  it('refuses to create an index the function does not manage', async () => {
    const { result, requests } = run(update({ IndexName: 'other' }));
    await expect(result).rejects.toThrow("this setup function manages index 'chunks' and pipeline 'hybrid-search', not 'other' and 'hybrid-search'; set both through HybridSearch");
    expect(requests).toEqual([]);
  });

  it('fails on an OpenSearch error other than not-found, with its type and reason', async () => {
    const { result } = run(create, (req, attempt, raw) => (req.method === 'PUT' && req.path === '/chunks' ? openSearchError(400, 'mapper_parsing_exception', 'unknown parameter [dimension]') : indexMissing(req, attempt, raw)));
    await expect(result).rejects.toMatchObject({ name: 'mapper_parsing_exception', message: 'unknown parameter [dimension]' });
  });

  it.each([
    ['a 503', () => openSearchError(503, 'cluster_manager_not_discovered_exception')],
    ['a throttled request', () => json({ message: 'Too Many Requests' }, 429)],
    ['a dropped connection', () => new TypeError('fetch failed')],
  ] as Array<[string, Responder]>)('retries a call after %s', async (_name, failure) => {
    const { result, requests } = run(create, (req, attempt, raw) => (attempt === 1 ? failure(req, attempt, raw) : indexMissing(req, attempt, raw)));
    await result;
    expect(requests.slice(0, 2).map((r) => r.path)).toEqual(['/_plugins/_security/api/roles/paved_road_retrieval', '/_plugins/_security/api/roles/paved_road_retrieval']);
  });

  it('gives up a hung call at its attempt time and carries on', async () => {
    const { result } = run(create, hangOnce(indexMissing), { ...retained, calls: HANGS });
    expect(await result).toMatchObject({ physicalResourceId: 'chunks/hybrid-search' });
  });

  it('fails once the deadline leaves no time, instead of running into the function timeout', async () => {
    const { result, requests } = run(create, indexMissing, retained, Date.now() - 1);
    await expect(result).rejects.toMatchObject({ name: 'DeadlineExceededError' });
    expect(requests).toEqual([]);
  });

  it('refuses invalid properties before calling OpenSearch', async () => {
    const { result, requests } = run(update({ Engine: 'nmslib' }));
    await expect(result).rejects.toThrow(/Engine/);
    expect(requests).toEqual([]);
  });

  it('answers CloudFormation with the ids of the event', () => {
    expect(JSON.parse(responseBody(create, { Status: 'FAILED', Reason: 'x', PhysicalResourceId: 'p' }))).toEqual({
      Status: 'FAILED', Reason: 'x', PhysicalResourceId: 'p', StackId: 'stack', RequestId: 'req', LogicalResourceId: 'Setup',
    });
  });
});
