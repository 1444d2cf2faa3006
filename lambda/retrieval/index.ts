import { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { AwsHttp, credentialsFromEnv } from '../shared/aws-http';
import { coercedInt, nonEmpty, readEnv } from '../shared/config';
import { TitanEmbeddings } from '../shared/embeddings';
import { RequestError } from '../shared/errors';
import { SearchDomain } from '../shared/opensearch';
import { deadlineOf } from '../shared/retry';
import { RETRIEVAL_BOUNDS, type RetrievalConfig, parseRequest, retrieve } from './core';

const logger = new Logger({ serviceName: 'retrieval' });
const metrics = new Metrics({ namespace: 'PavedRoad/Retrieval', serviceName: 'retrieval' });
const env = readEnv({
  AWS_REGION: z.string(),
  DOMAIN_ENDPOINT: nonEmpty(),
  INDEX_NAME: nonEmpty(),
  PIPELINE_NAME: nonEmpty(),
  EMBEDDING_MODEL_ID: nonEmpty(),
  EMBEDDING_DIMENSIONS: coercedInt(1),
});
const model = { modelId: env.EMBEDDING_MODEL_ID, dimensions: env.EMBEDDING_DIMENSIONS };
const http = new AwsHttp(env.AWS_REGION, credentialsFromEnv(process.env));
const clients = { search: new SearchDomain(http, env.DOMAIN_ENDPOINT), embedder: new TitanEmbeddings(http, model) };
const config: RetrievalConfig = {
  indexName: env.INDEX_NAME,
  pipelineName: env.PIPELINE_NAME,
  model,
  candidateMultiplier: 4,
  embedding: RETRIEVAL_BOUNDS.embedding,
  search: RETRIEVAL_BOUNDS.search,
};

const TenantId = z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/));

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
export const handler = async (event: APIGatewayProxyEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<APIGatewayProxyResult> => {
  try {
    const tenantId = tenantOf(event);
    const request = parseRequest(event.body);
    const chunks = await retrieve(clients, config, tenantId, request, deadlineOf(context, RETRIEVAL_BOUNDS.responseMarginMs));
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
