import { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { z } from 'zod';
import { createBedrockClient, createSearchClient } from '../shared/clients';
import { readEnv } from '../shared/config';
import { RequestError } from '../shared/errors';
import { parseRequest, retrieve } from './core';

const logger = new Logger({ serviceName: 'retrieval' });
const metrics = new Metrics({ namespace: 'PavedRoad/Retrieval', serviceName: 'retrieval' });
const env = readEnv({
  AWS_REGION: z.string(),
  DOMAIN_ENDPOINT: z.string().min(1),
  INDEX_NAME: z.string().min(1),
  PIPELINE_NAME: z.string().min(1),
  EMBEDDING_MODEL_ID: z.string().min(1),
  EMBEDDING_DIMENSIONS: z.coerce.number().int().positive(),
});
const search = createSearchClient(env.DOMAIN_ENDPOINT, env.AWS_REGION, { requestTimeoutMs: 5_000, maxRetries: 1 });
const bedrock = createBedrockClient(env.AWS_REGION, { requestTimeoutMs: 3_000, maxRetries: 2 });
const config = {
  indexName: env.INDEX_NAME,
  pipelineName: env.PIPELINE_NAME,
  model: { modelId: env.EMBEDDING_MODEL_ID, dimensions: env.EMBEDDING_DIMENSIONS },
  candidateMultiplier: 4,
};

const TenantId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/);

/** The caller's tenant, set by the API Gateway authorizer; never read from the body. */
export function tenantOf(event: Pick<APIGatewayProxyEvent, 'requestContext'>): string {
  const parsed = TenantId.safeParse(event.requestContext?.authorizer?.tenantId);
  if (!parsed.success) {
    throw new RequestError(403, 'TENANT_MISSING', 'the caller identity carries no valid tenant; call through the authorized API');
  }
  return parsed.data;
}

function respond(statusCode: number, body: unknown): APIGatewayProxyResult {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** API Gateway proxy handler: tenant from the authorizer, body -> hybrid retrieval -> chunks with citations. */
export const handler = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
  try {
    const tenantId = tenantOf(event);
    const request = parseRequest(event.body);
    const chunks = await retrieve({ search, bedrock }, config, tenantId, request);
    metrics.addMetric('ChunksReturned', MetricUnit.Count, chunks.length);
    return respond(200, { chunks });
  } catch (error) {
    if (error instanceof RequestError) {
      logger.warn('request refused', { code: error.code, statusCode: error.statusCode });
      return respond(error.statusCode, { code: error.code, message: error.message });
    }
    logger.error('retrieval failed', { errorName: (error as Error).name });
    metrics.addMetric('RetrievalErrors', MetricUnit.Count, 1);
    return respond(502, { code: 'RETRIEVAL_FAILED', message: 'retrieval failed; retry later' });
  } finally {
    metrics.publishStoredMetrics();
  }
};
