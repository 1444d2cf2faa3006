import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { setup } from '../../../lambda/search-setup/core';
import { responseBody } from '../../../lambda/search-setup/response';
import { pipelineBody, pipelineVersion } from '../../../lambda/shared/search-index';
import { fakeSearch, responseError, type Responder } from '../support/fake-search';

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
  RetainOnDelete: 'true',
  IndexPattern: 'chunks*',
  RetrievalRoleArn: 'arn:aws:iam::111111111111:role/retrieval',
  IngestionRoleArn: 'arn:aws:iam::111111111111:role/ingestion',
};
const base = { ServiceToken: properties.ServiceToken, ResponseURL: 'https://s3.example/r', StackId: 'stack', RequestId: 'req', LogicalResourceId: 'Setup', ResourceType: 'Custom::SearchSetup' };
const create = { ...base, RequestType: 'Create', ResourceProperties: properties } as CloudFormationCustomResourceEvent;
const update = (changes: Record<string, string>) => ({ ...base, RequestType: 'Update', PhysicalResourceId: 'chunks/hybrid-search', ResourceProperties: { ...properties, ...changes }, OldResourceProperties: properties }) as CloudFormationCustomResourceEvent;
const remove = (changes: Record<string, string>) => ({ ...base, RequestType: 'Delete', PhysicalResourceId: 'chunks/hybrid-search', ResourceProperties: { ...properties, ...changes } }) as CloudFormationCustomResourceEvent;

// The client answers HEAD 404 with statusCode 404 and body false rather than an error.
const indexMissing: Responder = (req) => (req.method === 'HEAD' ? { statusCode: 404, body: false } : { body: { acknowledged: true } });
const indexPresent: Responder = () => ({ body: { acknowledged: true } });

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
  it('creates the roles, the index with its exact mapping and the normalization pipeline', async () => {
    const search = fakeSearch(indexMissing);
    const result = await setup(search.client, create);
    expect(result).toEqual({ physicalResourceId: 'chunks/hybrid-search', data: { IndexName: 'chunks', PipelineName: 'hybrid-search', PipelineVersion: 'abc123' } });
    expect(search.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'PUT /_plugins/_security/api/roles/paved_road_retrieval',
      'PUT /_plugins/_security/api/rolesmapping/paved_road_retrieval',
      'PUT /_plugins/_security/api/roles/paved_road_ingestion',
      'PUT /_plugins/_security/api/rolesmapping/paved_road_ingestion',
      'HEAD /chunks',
      'PUT /chunks',
      'PUT /_search/pipeline/hybrid-search',
    ]);
    expect(search.requests[0].body).toEqual({ cluster_permissions: [], index_permissions: [{ index_patterns: ['chunks*'], allowed_actions: ['read'] }] });
    expect(search.requests[1].body).toEqual({ backend_roles: ['arn:aws:iam::111111111111:role/retrieval'] });
    expect(search.requests[5].body).toEqual({
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
    expect(search.requests[6].body).toEqual({ description: `paved-road hybrid retrieval (normalization, version ${pipelineVersion(definition)})`, ...definition });
  });

  it('updates an existing index in place and switches the pipeline to RRF', async () => {
    const search = fakeSearch(indexPresent);
    await setup(search.client, update({ Fusion: 'rrf', Replicas: '2', Engine: 'faiss' }));
    expect(search.requests.slice(4).map((r) => `${r.method} ${r.path}`)).toEqual(['HEAD /chunks', 'POST /chunks/_mapping', 'PUT /chunks/_settings', 'PUT /_search/pipeline/hybrid-search']);
    expect((search.requests[5].body as typeof expectedMapping).properties.embedding.method).toEqual({ name: 'hnsw', engine: 'faiss', space_type: 'innerproduct', parameters: { m: 16, ef_construction: 128 } });
    expect(search.requests[6].body).toEqual({ index: { number_of_replicas: 2 } });
    expect(search.requests[7].body).toMatchObject({ phase_results_processors: [{ 'score-ranker-processor': { combination: { technique: 'rrf', rank_constant: 60 } } }] });
  });

  it('gives every pipeline definition its own version', () => {
    const a = pipelineBody({ fusion: 'normalization', weights: [0.3, 0.7], rankConstant: 60 });
    const b = pipelineBody({ fusion: 'normalization', weights: [0.5, 0.5], rankConstant: 60 });
    expect(a.description).not.toEqual(b.description);
  });

  it('keeps the index on Delete when RetainOnDelete is set (prod)', async () => {
    const search = fakeSearch(indexPresent);
    await setup(search.client, remove({ RetainOnDelete: 'true' }));
    expect(search.requests).toEqual([]);
  });

  it('removes pipeline and index on Delete in dev, tolerating ones already gone', async () => {
    const search = fakeSearch((req) => (req.path === '/chunks' ? responseError(404, 'index_not_found_exception') : { body: {} }));
    await setup(search.client, remove({ RetainOnDelete: 'false' }));
    expect(search.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['DELETE /_search/pipeline/hybrid-search', 'DELETE /chunks']);
  });

  it('fails on an OpenSearch error other than not-found', async () => {
    const search = fakeSearch((req) => (req.method === 'PUT' && req.path === '/chunks' ? responseError(400, 'resource_already_exists_exception') : indexMissing(req)));
    await expect(setup(search.client, create)).rejects.toThrow('resource_already_exists_exception');
  });

  it('refuses invalid properties before calling OpenSearch', async () => {
    const search = fakeSearch();
    await expect(setup(search.client, update({ Engine: 'nmslib' }))).rejects.toThrow(/Engine/);
    expect(search.requests).toEqual([]);
  });

  it('answers CloudFormation with the ids of the event', () => {
    expect(JSON.parse(responseBody(create, { Status: 'FAILED', Reason: 'x', PhysicalResourceId: 'p' }))).toEqual({
      Status: 'FAILED', Reason: 'x', PhysicalResourceId: 'p', StackId: 'stack', RequestId: 'req', LogicalResourceId: 'Setup',
    });
  });
});
