import type { Client } from '@opensearch-project/opensearch';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { z } from 'zod';
import { indexBody, indexMappings, pipelineBody } from '../shared/search-index';

const Int = z.coerce.number().int();

/** Custom-resource properties (CloudFormation passes every value as a string). */
export const SetupProperties = z.object({
  IndexName: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,254}$/),
  PipelineName: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/),
  PipelineVersion: z.string().min(1),
  Dimensions: Int.positive(),
  Engine: z.enum(['lucene', 'faiss']),
  HnswM: Int.positive(),
  EfConstruction: Int.positive(),
  Shards: Int.positive(),
  Replicas: Int.nonnegative(),
  Fusion: z.enum(['normalization', 'rrf']),
  LexicalWeight: z.coerce.number().min(0).max(1),
  RankConstant: Int.positive(),
  RetainOnDelete: z.enum(['true', 'false']),
  IndexPattern: z.string().min(1),
  RetrievalRoleArn: z.string().startsWith('arn:'),
  IngestionRoleArn: z.string().startsWith('arn:'),
});
export type SetupProperties = z.infer<typeof SetupProperties>;

/** OpenSearch security roles for the two functions; the setup function itself is the master role. */
export function securityRoles(props: SetupProperties): Record<string, { role: Record<string, unknown>; backendRole: string }> {
  const index = [props.IndexPattern];
  return {
    paved_road_retrieval: {
      role: {
        cluster_permissions: [],
        index_permissions: [{ index_patterns: index, allowed_actions: ['read'] }],
      },
      backendRole: props.RetrievalRoleArn,
    },
    paved_road_ingestion: {
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

function isNotFound(error: unknown): boolean {
  return (error as { meta?: { statusCode?: number } }).meta?.statusCode === 404;
}

async function applyIndex(search: Client, props: SetupProperties): Promise<void> {
  const spec = { dimensions: props.Dimensions, engine: props.Engine, hnswM: props.HnswM, efConstruction: props.EfConstruction, shards: props.Shards, replicas: props.Replicas };
  const exists = (await search.indices.exists({ index: props.IndexName })).statusCode === 200;
  if (!exists) {
    await search.indices.create({ index: props.IndexName, body: indexBody(spec) as never });
    return;
  }
  // Mappings only grow; a changed knn_vector dimension or engine is refused by OpenSearch with a 400 that fails the deployment.
  await search.indices.putMapping({ index: props.IndexName, body: indexMappings(spec) as never });
  await search.indices.putSettings({ index: props.IndexName, body: { index: { number_of_replicas: props.Replicas } } });
}

/**
 * Creates or updates, idempotently: the security roles and their mappings to the function roles,
 * the index (created, or its mapping and replicas updated) and the hybrid search pipeline (PUT
 * replaces it; its version is in the resource properties, so a change reaches this function).
 * On Delete removes the pipeline and index unless `RetainOnDelete` (always set in prod).
 */
export async function setup(search: Client, event: CloudFormationCustomResourceEvent): Promise<SetupResult> {
  const props = SetupProperties.parse(event.ResourceProperties);
  const physicalResourceId = `${props.IndexName}/${props.PipelineName}`;
  const data = { IndexName: props.IndexName, PipelineName: props.PipelineName, PipelineVersion: props.PipelineVersion };
  if (event.RequestType === 'Delete') {
    if (props.RetainOnDelete === 'false' && event.PhysicalResourceId === physicalResourceId) {
      for (const remove of [
        () => search.searchPipeline.delete({ id: props.PipelineName }),
        () => search.indices.delete({ index: props.IndexName }),
      ]) {
        try {
          await remove();
        } catch (error) {
          if (!isNotFound(error)) throw error;
        }
      }
    }
    return { physicalResourceId: event.PhysicalResourceId, data };
  }
  for (const [name, { role, backendRole }] of Object.entries(securityRoles(props))) {
    await search.transport.request({ method: 'PUT', path: `/_plugins/_security/api/roles/${name}`, body: role });
    await search.transport.request({ method: 'PUT', path: `/_plugins/_security/api/rolesmapping/${name}`, body: { backend_roles: [backendRole] } });
  }
  await applyIndex(search, props);
  await search.searchPipeline.put({
    id: props.PipelineName,
    body: pipelineBody({ fusion: props.Fusion, weights: [props.LexicalWeight, 1 - props.LexicalWeight], rankConstant: props.RankConstant }) as never,
  });
  return { physicalResourceId, data };
}
