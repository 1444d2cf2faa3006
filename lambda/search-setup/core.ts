import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import * as z from 'zod/mini';
import '../shared/zod-messages';
import { coercedInt, nonEmpty } from '../shared/config';
import type { OperationContract } from '../shared/operation-contract';
import {
  CHECK_INDEX, CREATE_INDEX, DELETE_INDEX, DELETE_SEARCH_PIPELINE, PUT_AUDIT_CONFIG, PUT_INDEX_MAPPING, PUT_INDEX_SETTINGS, PUT_ROLE_MAPPING,
  PUT_SEARCH_PIPELINE, PUT_SECURITY_ROLE, type SearchDomainApi,
} from '../shared/opensearch';
import { type CallPolicy, type Clock, SYSTEM_CLOCK, callWithRetries } from '../shared/retry';
import { SECURITY_ROLES, auditConfigBody, indexBody, indexMappings, pipelineBody } from '../shared/search-index';

/** Every AWS operation the setup function performs: what its role and the domain access policy must allow. */
export const SETUP_OPERATIONS: readonly OperationContract[] = [
  PUT_SECURITY_ROLE, PUT_ROLE_MAPPING, PUT_AUDIT_CONFIG, CHECK_INDEX, CREATE_INDEX, PUT_INDEX_MAPPING, PUT_INDEX_SETTINGS, PUT_SEARCH_PIPELINE, DELETE_SEARCH_PIPELINE, DELETE_INDEX,
];


/** Custom-resource properties (CloudFormation passes every value as a string). */
export const SetupProperties = z.object({
  IndexName: z.string().check(z.regex(/^[a-z0-9][a-z0-9_-]{0,254}$/)),
  PipelineName: z.string().check(z.regex(/^[A-Za-z0-9_-]{1,128}$/)),
  PipelineVersion: nonEmpty(),
  Dimensions: coercedInt(1),
  Engine: z.enum(['lucene', 'faiss']),
  HnswM: coercedInt(1),
  EfConstruction: coercedInt(1),
  Shards: coercedInt(1),
  Replicas: coercedInt(0),
  Fusion: z.enum(['normalization', 'rrf']),
  LexicalWeight: z.coerce.number().check(z.gte(0), z.lte(1)),
  RankConstant: coercedInt(1),
  IndexPattern: nonEmpty(),
  RetrievalRoleArn: z.string().check(z.startsWith('arn:')),
  IngestionRoleArn: z.string().check(z.startsWith('arn:')),
});
export type SetupProperties = z.infer<typeof SetupProperties>;

/** OpenSearch security roles for the two functions; the setup function itself is the master role. */
export function securityRoles(props: SetupProperties): Record<string, { role: Record<string, unknown>; backendRole: string }> {
  const index = [props.IndexPattern];
  return {
    [SECURITY_ROLES.retrieval]: {
      role: {
        cluster_permissions: [],
        index_permissions: [{ index_patterns: index, allowed_actions: ['read'] }],
      },
      backendRole: props.RetrievalRoleArn,
    },
    [SECURITY_ROLES.ingestion]: {
      role: {
        cluster_permissions: ['indices:data/write/bulk'],
        index_permissions: [{ index_patterns: index, allowed_actions: ['crud', 'indices:data/write/delete/byquery', 'indices:data/write/bulk*'] }],
      },
      backendRole: props.IngestionRoleArn,
    },
  };
}

/** What the function answers CloudFormation. */
export interface SetupResult {
  readonly physicalResourceId: string;
  readonly data: Record<string, string>;
}

/** The setup function's call bounds and the time it keeps back to answer CloudFormation (docs/retrieval.md, "Calls and their bounds"). */
export const SETUP_BOUNDS = {
  calls: { attempts: 4, attemptTimeoutMs: 30_000, baseDelayMs: 1_000, maxDelayMs: 10_000 },
  // The response PUT to CloudFormation may take 10 s.
  responseMarginMs: 15_000,
} as const;

/** What the deployed setup function is configured for; the operation contracts name the same. */
export interface SetupConfig {
  /** The index its role may manage. */
  readonly indexName: string;
  /** The search pipeline its role may manage. */
  readonly pipelineName: string;
  /** Keep index and pipeline on Delete: true unless the environment's data may be destroyed (dev). */
  readonly retainOnDelete: boolean;
  /** Bounds of every OpenSearch call. */
  readonly calls: CallPolicy;
}

/** The setup function's dependencies. */
export interface SetupClients {
  readonly search: SearchDomainApi;
  readonly clock?: Clock;
}

async function applyIndex(call: <T>(op: (signal: AbortSignal) => Promise<T>) => Promise<T>, search: SearchDomainApi, props: SetupProperties): Promise<void> {
  const spec = { dimensions: props.Dimensions, engine: props.Engine, hnswM: props.HnswM, efConstruction: props.EfConstruction, shards: props.Shards, replicas: props.Replicas };
  if (!await call((signal) => search.indexExists(props.IndexName, signal))) {
    try {
      await call((signal) => search.createIndex(props.IndexName, indexBody(spec), signal));
      return;
    } catch (error) {
      // A retried create whose first attempt succeeded: the index is there, update it like any other.
      if ((error as Error).name !== 'resource_already_exists_exception') throw error;
    }
  }
  // Mappings only grow; a changed knn_vector dimension or engine is refused by OpenSearch with a 400 that fails the deployment.
  await call((signal) => search.putMapping(props.IndexName, indexMappings(spec), signal));
  await call((signal) => search.putSettings(props.IndexName, { index: { number_of_replicas: props.Replicas } }, signal));
}

/**
 * Creates or updates, idempotently: the security roles and their mappings to the function roles,
 * the security plugin's audit configuration, the index (created, or its mapping and replicas
 * updated) and the hybrid search pipeline (PUT replaces it; its version is in the resource
 * properties, so a change reaches this function). On Delete removes the pipeline and index
 * unless `retainOnDelete` (always in prod); an index the function does not manage (the old one of
 * a renamed index) is left in place, since its role may not touch it. Every call is retried
 * within `deadline` (epoch ms).
 * @throws Error when a Create or Update names another index or pipeline than the function manages
 */
export async function setup(clients: SetupClients, config: SetupConfig, event: CloudFormationCustomResourceEvent, deadline: number): Promise<SetupResult> {
  const props = SetupProperties.parse(event.ResourceProperties);
  const { search } = clients;
  const call = <T>(op: (signal: AbortSignal) => Promise<T>) => callWithRetries('the search domain', op, config.calls, deadline, clients.clock ?? SYSTEM_CLOCK);
  const physicalResourceId = `${props.IndexName}/${props.PipelineName}`;
  const data = { IndexName: props.IndexName, PipelineName: props.PipelineName, PipelineVersion: props.PipelineVersion };
  const managed = props.IndexName === config.indexName && props.PipelineName === config.pipelineName;
  if (event.RequestType === 'Delete') {
    if (!config.retainOnDelete && managed && event.PhysicalResourceId === physicalResourceId) {
      await call((signal) => search.deleteSearchPipeline(props.PipelineName, signal));
      await call((signal) => search.deleteIndex(props.IndexName, signal));
    }
    return { physicalResourceId: event.PhysicalResourceId, data };
  }
  if (!managed) {
    throw new Error(`this setup function manages index '${config.indexName}' and pipeline '${config.pipelineName}', not '${props.IndexName}' and '${props.PipelineName}'; set both through HybridSearch`);
  }
  for (const [name, { role, backendRole }] of Object.entries(securityRoles(props))) {
    await call((signal) => search.putSecurityRole(name, role, signal));
    await call((signal) => search.putRoleMapping(name, { backend_roles: [backendRole] }, signal));
  }
  await call((signal) => search.putAuditConfig(auditConfigBody(), signal));
  await applyIndex(call, search, props);
  const pipeline = pipelineBody({ fusion: props.Fusion, weights: [props.LexicalWeight, 1 - props.LexicalWeight], rankConstant: props.RankConstant });
  await call((signal) => search.putSearchPipeline(props.PipelineName, pipeline, signal));
  return { physicalResourceId, data };
}
