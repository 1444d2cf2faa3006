import { createHash } from 'node:crypto';
import { AwsApiError, type AwsHttp } from './aws-http';
import type { AwsCall, ContractScope, OperationContract } from './operation-contract';
import { readJson } from './retry';
import { SECURITY_ROLES } from './search-index';

/*
 * The OpenSearch REST operations the retrieval capability uses, over SigV4-signed HTTPS to the
 * domain's VPC endpoint (signing name `es`), instead of @opensearch-project/opensearch and its
 * dependencies (docs/adr/0005). Each method sends one documented request:
 * https://docs.opensearch.org/latest/api-reference/
 *
 * OpenSearch Service authorizes a request as `es:ESHttp<Method>` on the domain ARN followed by
 * the request path (query string excluded), in both the role's policy and the domain access
 * policy: https://docs.aws.amazon.com/opensearch-service/latest/developerguide/ac.html
 * Each method's contract names that action and path.
 */

const AUTHORIZATION_DOCS = [
  'https://docs.aws.amazon.com/opensearch-service/latest/developerguide/ac.html',
  'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonopensearchservice.html',
];

type HttpMethod = 'Get' | 'Head' | 'Post' | 'Put' | 'Delete';

/** The ARN OpenSearch Service authorizes a request to `path` against. */
function pathArn(scope: ContractScope, path: string): string {
  return `${scope.env.DOMAIN_ARN}${path}`;
}

/** A contract for requests of one HTTP method on the paths `paths(scope)` of the deployed domain. */
function domainContract(method: HttpMethod, api: string, paths: (scope: ContractScope) => string[]): OperationContract {
  return {
    signingName: 'es',
    operation: `ESHttp${method}`,
    docs: [...AUTHORIZATION_DOCS, api],
    calls: (scope): AwsCall[] => paths(scope).map((path) => ({ action: `es:ESHttp${method}`, resource: pathArn(scope, path) })),
  };
}

/** Whether the deployed setup function removes the index and pipeline on Delete (dev only). */
const removesOnDelete = (scope: ContractScope) => scope.env.RETAIN_ON_DELETE === 'false';

/** Hybrid search of the chunk index through its search pipeline. */
export const SEARCH_CHUNKS = domainContract('Post', 'https://docs.opensearch.org/latest/api-reference/search-apis/search/', (scope) => [`/${scope.env.INDEX_NAME}/_search`]);
/** Bulk indexing of chunks into the chunk index. */
export const BULK_INDEX_CHUNKS = domainContract('Post', 'https://docs.opensearch.org/latest/api-reference/document-apis/bulk/', (scope) => [`/${scope.env.INDEX_NAME}/_bulk`]);
/** Removal of a document's chunks. */
export const DELETE_CHUNKS_BY_QUERY = domainContract('Post', 'https://docs.opensearch.org/latest/api-reference/document-apis/delete-by-query/', (scope) => [`/${scope.env.INDEX_NAME}/_delete_by_query`]);
/** Whether the chunk index exists. */
export const CHECK_INDEX = domainContract('Head', 'https://docs.opensearch.org/latest/api-reference/index-apis/exists/', (scope) => [`/${scope.env.INDEX_NAME}`]);
/** Creation of the chunk index. */
export const CREATE_INDEX = domainContract('Put', 'https://docs.opensearch.org/latest/api-reference/index-apis/create-index/', (scope) => [`/${scope.env.INDEX_NAME}`]);
/** Mapping update of the chunk index. */
export const PUT_INDEX_MAPPING = domainContract('Put', 'https://docs.opensearch.org/latest/api-reference/index-apis/put-mapping/', (scope) => [`/${scope.env.INDEX_NAME}/_mapping`]);
/** Settings update of the chunk index. */
export const PUT_INDEX_SETTINGS = domainContract('Put', 'https://docs.opensearch.org/latest/api-reference/index-apis/update-settings/', (scope) => [`/${scope.env.INDEX_NAME}/_settings`]);
/** Creation or replacement of the hybrid search pipeline. */
export const PUT_SEARCH_PIPELINE = domainContract('Put', 'https://docs.opensearch.org/latest/search-plugins/search-pipelines/creating-search-pipeline/', (scope) => [`/_search/pipeline/${scope.env.PIPELINE_NAME}`]);
/** Removal of the chunk index with the stack, where the data may be destroyed. */
export const DELETE_INDEX = domainContract('Delete', 'https://docs.opensearch.org/latest/api-reference/index-apis/delete-index/', (scope) => (removesOnDelete(scope) ? [`/${scope.env.INDEX_NAME}`] : []));
/** Removal of the search pipeline with the stack, where the data may be destroyed. */
export const DELETE_SEARCH_PIPELINE = domainContract('Delete', 'https://docs.opensearch.org/latest/search-plugins/search-pipelines/deleting-search-pipeline/', (scope) => (removesOnDelete(scope) ? [`/_search/pipeline/${scope.env.PIPELINE_NAME}`] : []));
/** Creation or replacement of the functions' security roles. */
export const PUT_SECURITY_ROLE = domainContract('Put', 'https://docs.opensearch.org/latest/security/access-control/api/#create-role', () => Object.values(SECURITY_ROLES).map((role) => `/_plugins/_security/api/roles/${role}`));
/** Mapping of the functions' IAM roles to their security roles. */
export const PUT_ROLE_MAPPING = domainContract('Put', 'https://docs.opensearch.org/latest/security/access-control/api/#create-role-mapping', () => Object.values(SECURITY_ROLES).map((role) => `/_plugins/_security/api/rolesmapping/${role}`));
/** The security plugin's audit log configuration. */
export const PUT_AUDIT_CONFIG = domainContract('Put', 'https://docs.opensearch.org/latest/security/api/audit/update-audit-configuration/', () => ['/_plugins/_security/api/audit/config']);

/** The OpenSearch REST operations of the retrieval capability; each takes the attempt's signal. */
export interface SearchDomainApi {
  /** `POST /<index>/_search?search_pipeline=<pipeline>`; the response body. */
  search(index: string, pipeline: string, body: unknown, signal: AbortSignal): Promise<unknown>;
  /** `POST /<index>/_bulk` with the action and document lines; the response body. */
  bulk(index: string, lines: readonly unknown[], signal: AbortSignal): Promise<unknown>;
  /** `POST /<index>/_delete_by_query?conflicts=proceed`; the response body. */
  deleteByQuery(index: string, query: unknown, signal: AbortSignal): Promise<unknown>;
  /** `HEAD /<index>`: true on 200, false on 404. */
  indexExists(index: string, signal: AbortSignal): Promise<boolean>;
  /** `PUT /<index>` with settings and mappings. */
  createIndex(index: string, body: unknown, signal: AbortSignal): Promise<void>;
  /** `PUT /<index>/_mapping`. */
  putMapping(index: string, body: unknown, signal: AbortSignal): Promise<void>;
  /** `PUT /<index>/_settings`. */
  putSettings(index: string, body: unknown, signal: AbortSignal): Promise<void>;
  /** `DELETE /<index>`: false when there was no such index. */
  deleteIndex(index: string, signal: AbortSignal): Promise<boolean>;
  /** `PUT /_search/pipeline/<id>`. */
  putSearchPipeline(id: string, body: unknown, signal: AbortSignal): Promise<void>;
  /** `DELETE /_search/pipeline/<id>`: false when there was no such pipeline. */
  deleteSearchPipeline(id: string, signal: AbortSignal): Promise<boolean>;
  /** `PUT /_plugins/_security/api/roles/<name>`. */
  putSecurityRole(name: string, body: unknown, signal: AbortSignal): Promise<void>;
  /** `PUT /_plugins/_security/api/rolesmapping/<name>`. */
  putRoleMapping(name: string, body: unknown, signal: AbortSignal): Promise<void>;
  /** `PUT /_plugins/_security/api/audit/config`. */
  putAuditConfig(body: unknown, signal: AbortSignal): Promise<void>;
}

/**
 * An OpenSearch error answer (`{"error": {"type", "reason"}, "status"}`) as an AwsApiError whose
 * name is the OpenSearch error type, e.g. `resource_already_exists_exception`. Errors of the AWS
 * front end (IAM denials, throttling) keep the type AwsHttp read.
 */
function openSearchError(error: unknown): unknown {
  if (!(error instanceof AwsApiError)) return error;
  const detail = error.details.error as { type?: unknown; reason?: unknown } | undefined;
  if (typeof detail?.type !== 'string') return error;
  return new AwsApiError(detail.type, typeof detail.reason === 'string' ? detail.reason : detail.type, error.$metadata.httpStatusCode, error.details);
}

const segment = (value: string) => encodeURIComponent(value);

/** OpenSearch over SigV4-signed HTTPS to one domain endpoint. */
export class SearchDomain implements SearchDomainApi {
  private readonly base: string;

  constructor(
    private readonly http: AwsHttp,
    /** The domain endpoint, e.g. `https://vpc-rag-eu-dev-abc.eu-central-1.es.amazonaws.com`. */
    endpoint: string,
  ) {
    this.base = (endpoint.startsWith('https://') ? endpoint : `https://${endpoint}`).replace(/\/+$/, '');
  }

  private async send(contract: OperationContract, method: string, path: string, signal: AbortSignal, body?: string, contentType = 'application/json'): Promise<Response> {
    const headers: Record<string, string> = {
      // A signed payload hash: what the SigV4 signature covers, and what OpenSearch Serverless requires.
      'x-amz-content-sha256': createHash('sha256').update(body ?? '').digest('hex'),
    };
    if (body !== undefined) headers['content-type'] = contentType;
    try {
      return await this.http.request(contract, `${this.base}${path}`, { method, headers, body }, signal);
    } catch (error) {
      throw openSearchError(error);
    }
  }

  private async json(contract: OperationContract, method: string, path: string, body: unknown, signal: AbortSignal): Promise<unknown> {
    return readJson(await this.send(contract, method, path, signal, body === undefined ? undefined : JSON.stringify(body)), signal);
  }

  /** Sends a request whose answer is only an acknowledgment; reading it confirms it arrived whole. */
  private async acknowledged(contract: OperationContract, method: string, path: string, body: unknown, signal: AbortSignal): Promise<void> {
    await this.json(contract, method, path, body, signal);
  }

  /** A DELETE that tolerates a resource already gone (404). */
  private async remove(contract: OperationContract, path: string, signal: AbortSignal): Promise<boolean> {
    try {
      await this.json(contract, 'DELETE', path, undefined, signal);
      return true;
    } catch (error) {
      if ((error as AwsApiError).$metadata?.httpStatusCode === 404) return false;
      throw error;
    }
  }

  search(index: string, pipeline: string, body: unknown, signal: AbortSignal): Promise<unknown> {
    return this.json(SEARCH_CHUNKS, 'POST', `/${segment(index)}/_search?search_pipeline=${segment(pipeline)}`, body, signal);
  }

  async bulk(index: string, lines: readonly unknown[], signal: AbortSignal): Promise<unknown> {
    // Newline-delimited JSON, the last line terminated too.
    const ndjson = lines.map((line) => `${JSON.stringify(line)}\n`).join('');
    return readJson(await this.send(BULK_INDEX_CHUNKS, 'POST', `/${segment(index)}/_bulk`, signal, ndjson, 'application/x-ndjson'), signal);
  }

  deleteByQuery(index: string, query: unknown, signal: AbortSignal): Promise<unknown> {
    return this.json(DELETE_CHUNKS_BY_QUERY, 'POST', `/${segment(index)}/_delete_by_query?conflicts=proceed`, { query }, signal);
  }

  async indexExists(index: string, signal: AbortSignal): Promise<boolean> {
    try {
      const response = await this.send(CHECK_INDEX, 'HEAD', `/${segment(index)}`, signal);
      await response.body?.cancel();
      return true;
    } catch (error) {
      if ((error as AwsApiError).$metadata?.httpStatusCode === 404) return false;
      throw error;
    }
  }

  createIndex(index: string, body: unknown, signal: AbortSignal): Promise<void> {
    return this.acknowledged(CREATE_INDEX, 'PUT', `/${segment(index)}`, body, signal);
  }

  putMapping(index: string, body: unknown, signal: AbortSignal): Promise<void> {
    return this.acknowledged(PUT_INDEX_MAPPING, 'PUT', `/${segment(index)}/_mapping`, body, signal);
  }

  putSettings(index: string, body: unknown, signal: AbortSignal): Promise<void> {
    return this.acknowledged(PUT_INDEX_SETTINGS, 'PUT', `/${segment(index)}/_settings`, body, signal);
  }

  deleteIndex(index: string, signal: AbortSignal): Promise<boolean> {
    return this.remove(DELETE_INDEX, `/${segment(index)}`, signal);
  }

  putSearchPipeline(id: string, body: unknown, signal: AbortSignal): Promise<void> {
    return this.acknowledged(PUT_SEARCH_PIPELINE, 'PUT', `/_search/pipeline/${segment(id)}`, body, signal);
  }

  deleteSearchPipeline(id: string, signal: AbortSignal): Promise<boolean> {
    return this.remove(DELETE_SEARCH_PIPELINE, `/_search/pipeline/${segment(id)}`, signal);
  }

  putSecurityRole(name: string, body: unknown, signal: AbortSignal): Promise<void> {
    return this.acknowledged(PUT_SECURITY_ROLE, 'PUT', `/_plugins/_security/api/roles/${segment(name)}`, body, signal);
  }

  putRoleMapping(name: string, body: unknown, signal: AbortSignal): Promise<void> {
    return this.acknowledged(PUT_ROLE_MAPPING, 'PUT', `/_plugins/_security/api/rolesmapping/${segment(name)}`, body, signal);
  }

  putAuditConfig(body: unknown, signal: AbortSignal): Promise<void> {
    return this.acknowledged(PUT_AUDIT_CONFIG, 'PUT', '/_plugins/_security/api/audit/config', body, signal);
  }
}
