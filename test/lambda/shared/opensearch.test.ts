import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@opensearch-project/opensearch';
import { AwsHttp } from '../../../lambda/shared/aws-http';
import { SearchDomain, type SearchDomainApi } from '../../../lambda/shared/opensearch';
import { auditConfigBody, indexBody, pipelineBody } from '../../../lambda/shared/search-index';
import { CREDENTIALS, DOMAIN_ENDPOINT, fakeAws, json, openSearchError } from '../support/fake-aws';
import { scopeOf, sdkSignature, signatureOf } from '../support/sdk-signature';

/*
 * The bindings against the official OpenSearch client (@opensearch-project/opensearch, generated
 * from the OpenSearch API specification; a dev dependency, never bundled): both send each
 * operation to the same local server, which records what arrives on the wire.
 */

interface WireRequest {
  readonly method: string;
  readonly url: string;
  readonly contentType?: string;
  readonly body: string;
}

let server: Server;
let origin: string;
const received: WireRequest[] = [];

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

beforeAll(async () => {
  server = createServer(async (request, response) => {
    received.push({ method: request.method!, url: request.url!, contentType: request.headers['content-type'], body: await readBody(request) });
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(request.method === 'HEAD' ? undefined : JSON.stringify({ acknowledged: true, errors: false, items: [], hits: { hits: [] } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** What the binding and the official client put on the wire for one operation each. */
async function wire(ours: (domain: SearchDomainApi, signal: AbortSignal) => Promise<unknown>, official: (client: Client) => Promise<unknown>): Promise<{ ours: WireRequest; official: WireRequest }> {
  // The binding signs for the VPC endpoint; the signed request is then sent to the local server.
  const http = new AwsHttp('eu-central-1', CREDENTIALS, (request) => {
    const url = new URL(request.url);
    return fetch(`${origin}${url.pathname}${url.search}`, { method: request.method, headers: request.headers, body: request.method === 'HEAD' || request.method === 'GET' ? undefined : request.body, duplex: 'half' } as RequestInit);
  });
  received.length = 0;
  await ours(new SearchDomain(http, DOMAIN_ENDPOINT), new AbortController().signal);
  await official(new Client({ node: origin }));
  expect(received).toHaveLength(2);
  return { ours: received[0], official: received[1] };
}

const parse = (body: string) => (body === '' ? undefined : JSON.parse(body));

const spec = { dimensions: 4, engine: 'lucene', hnswM: 16, efConstruction: 128, shards: 1, replicas: 1 };
const query = { size: 3, query: { hybrid: { queries: [{ match: { text: { query: 'refunds' } } }] } } };

describe('the OpenSearch binding on the wire', () => {
  it.each([
    ['search through a pipeline', (d: SearchDomainApi, s: AbortSignal) => d.search('chunks', 'hybrid-search', query, s), (c: Client) => c.search({ index: 'chunks', search_pipeline: 'hybrid-search', body: query as never })],
    ['delete by query', (d: SearchDomainApi, s: AbortSignal) => d.deleteByQuery('chunks', { term: { doc_id: 'a' } }, s), (c: Client) => c.deleteByQuery({ index: 'chunks', conflicts: 'proceed', body: { query: { term: { doc_id: 'a' } } } })],
    ['index exists', (d: SearchDomainApi, s: AbortSignal) => d.indexExists('chunks', s), (c: Client) => c.indices.exists({ index: 'chunks' })],
    ['create index', (d: SearchDomainApi, s: AbortSignal) => d.createIndex('chunks', indexBody(spec), s), (c: Client) => c.indices.create({ index: 'chunks', body: indexBody(spec) as never })],
    ['update settings', (d: SearchDomainApi, s: AbortSignal) => d.putSettings('chunks', { index: { number_of_replicas: 2 } }, s), (c: Client) => c.indices.putSettings({ index: 'chunks', body: { index: { number_of_replicas: 2 } } })],
    ['delete index', (d: SearchDomainApi, s: AbortSignal) => d.deleteIndex('chunks', s), (c: Client) => c.indices.delete({ index: 'chunks' })],
    ['put search pipeline', (d: SearchDomainApi, s: AbortSignal) => d.putSearchPipeline('hybrid-search', pipelineBody({ fusion: 'rrf', weights: [0.5, 0.5], rankConstant: 60 }), s), (c: Client) => c.searchPipeline.put({ id: 'hybrid-search', body: pipelineBody({ fusion: 'rrf', weights: [0.5, 0.5], rankConstant: 60 }) as never })],
    ['delete search pipeline', (d: SearchDomainApi, s: AbortSignal) => d.deleteSearchPipeline('hybrid-search', s), (c: Client) => c.searchPipeline.delete({ id: 'hybrid-search' })],
    ['create role', (d: SearchDomainApi, s: AbortSignal) => d.putSecurityRole('paved_road_retrieval', { index_permissions: [] }, s), (c: Client) => c.security.createRole({ role: 'paved_road_retrieval', body: { index_permissions: [] } })],
    ['create role mapping', (d: SearchDomainApi, s: AbortSignal) => d.putRoleMapping('paved_road_retrieval', { backend_roles: ['arn:aws:iam::1:role/r'] }, s), (c: Client) => c.security.createRoleMapping({ role: 'paved_road_retrieval', body: { backend_roles: ['arn:aws:iam::1:role/r'] } })],
    ['update audit configuration', (d: SearchDomainApi, s: AbortSignal) => d.putAuditConfig(auditConfigBody(), s), (c: Client) => c.security.updateAuditConfiguration({ body: auditConfigBody() as never })],
  ])('sends %s as the official client does', async (_name, ours, official) => {
    const sent = await wire(ours, official);
    expect({ method: sent.ours.method, url: sent.ours.url, body: parse(sent.ours.body) }).toEqual({ method: sent.official.method, url: sent.official.url, body: parse(sent.official.body) });
    if (sent.ours.body !== '') expect(sent.ours.contentType).toBe('application/json');
  });

  it('sends a mapping update with PUT, the documented method, to the path and with the body the official client uses', async () => {
    // The client sends POST; the API documents PUT /<index>/_mapping and accepts both.
    // https://docs.opensearch.org/latest/api-reference/index-apis/put-mapping/
    const mapping = indexBody(spec).mappings;
    const sent = await wire((d, s) => d.putMapping('chunks', mapping, s), (c) => c.indices.putMapping({ index: 'chunks', body: mapping as never }));
    expect(sent.ours.method).toBe('PUT');
    expect([sent.ours.url, parse(sent.ours.body)]).toEqual([sent.official.url, parse(sent.official.body)]);
  });

  it('sends a bulk request with POST, the method the API recommends, as newline-delimited JSON ending in a newline', async () => {
    // The client sends PUT when the path names the index; the API recommends POST and documents
    // that the body is NDJSON whose last line ends in a newline.
    // https://docs.opensearch.org/latest/api-reference/document-apis/bulk/
    const lines = [{ index: { _id: 'a' } }, { text: 'ünïcode ✓', n: 1 }, { index: { _id: 'b' } }, { text: 'two' }];
    const sent = await wire((d, s) => d.bulk('chunks', lines, s), (c) => c.bulk({ index: 'chunks', body: lines }));
    expect(sent.ours.method).toBe('POST');
    expect(sent.ours.url).toBe(sent.official.url);
    expect(sent.ours.body).toBe(sent.official.body);
    expect(sent.ours.body.endsWith('\n')).toBe(true);
    expect(sent.ours.contentType).toBe('application/x-ndjson');
  });
});

describe('the OpenSearch binding', () => {
  it('signs for es in the region, with a signed payload hash, exactly as the AWS SDK signer does (query string included)', async () => {
    const { http, sent } = fakeAws({ search: () => json({ hits: { hits: [] } }) });
    const domain = new SearchDomain(http, DOMAIN_ENDPOINT);
    await domain.search('chunks', 'hybrid-search', query, new AbortController().signal);
    await domain.bulk('chunks', [{ index: { _id: 'a' } }, { text: 'ü' }], new AbortController().signal);
    await domain.indexExists('chunks', new AbortController().signal).catch(() => undefined);
    for (const request of sent.raw) {
      expect(scopeOf(request)).toBe('eu-central-1/es/aws4_request');
      expect(request.headers.get('x-amz-security-token')).toBe('session-token');
      expect(signatureOf(request)).toBe(await sdkSignature(request, 'es'));
    }
    expect(sent.raw[0].url).toBe(`${DOMAIN_ENDPOINT}/chunks/_search?search_pipeline=hybrid-search`);
  });

  it('reads an OpenSearch error body as its error type and reason, keeping the status', async () => {
    const { http } = fakeAws({ search: () => openSearchError(400, 'illegal_argument_exception', 'The bulk request must be terminated by a newline [\\n]') });
    const failure = await new SearchDomain(http, DOMAIN_ENDPOINT).bulk('chunks', [], new AbortController().signal).catch((error: unknown) => error);
    expect(failure).toMatchObject({ name: 'illegal_argument_exception', message: 'The bulk request must be terminated by a newline [\\n]', $metadata: { httpStatusCode: 400 } });
  });

  it('reads an IAM denial of the AWS front end as the service reports it', async () => {
    const { http } = fakeAws({ search: () => json({ Message: 'User: arn:aws:sts::1:assumed-role/r/f is not authorized to perform: es:ESHttpPost' }, 403) });
    const failure = await new SearchDomain(http, DOMAIN_ENDPOINT).search('chunks', 'p', {}, new AbortController().signal).catch((error: unknown) => error);
    expect(failure).toMatchObject({ name: 'Http403', message: expect.stringContaining('is not authorized to perform: es:ESHttpPost'), $metadata: { httpStatusCode: 403 } });
  });

  it('answers index-exists from the status alone, and deletes of missing resources as false', async () => {
    const missing = fakeAws({ search: () => new Response(null, { status: 404 }) });
    const domain = new SearchDomain(missing.http, DOMAIN_ENDPOINT);
    const signal = new AbortController().signal;
    expect(await domain.indexExists('chunks', signal)).toBe(false);
    expect(await domain.deleteIndex('chunks', signal)).toBe(false);
    expect(await domain.deleteSearchPipeline('hybrid-search', signal)).toBe(false);
    const present = fakeAws({ search: () => new Response(null, { status: 200 }) });
    expect(await new SearchDomain(present.http, DOMAIN_ENDPOINT).indexExists('chunks', signal)).toBe(true);
    const denied = fakeAws({ search: () => new Response(null, { status: 403 }) });
    await expect(new SearchDomain(denied.http, DOMAIN_ENDPOINT).indexExists('chunks', signal)).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
  });

  it('treats a 200 that is cut off or not JSON as an invalid response, which is retried', async () => {
    const { http } = fakeAws({ search: () => new Response('{"hits":{"hi', { status: 200 }) });
    await expect(new SearchDomain(http, DOMAIN_ENDPOINT).search('chunks', 'p', {}, new AbortController().signal)).rejects.toMatchObject({ name: 'InvalidResponseError' });
  });
});
