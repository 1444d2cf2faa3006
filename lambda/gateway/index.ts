import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { KmsDerivedHashKey, S3AuditWriter } from './audit';
import { AwsHttp, credentialsFromEnv } from '../shared/aws-http';
import { BedrockRuntime, DynamoDb, Kms, Lambda, S3, SageMakerRuntime } from './aws';
import { DynamoDbTokenBudget } from './budget';
import { loadConfig } from './config';
import { type GatewayDeps, type GatewayRequest, handleGatewayRequest } from './core';
import { LambdaRetriever } from './retriever';
import { SYSTEM_CLOCK } from '../shared/retry';

const config = loadConfig(process.env);
const logger = new Logger({ serviceName: 'ai-gateway' });
const metrics = new Metrics({ namespace: 'PavedRoad/AiGateway', serviceName: 'ai-gateway' });
const http = new AwsHttp(config.region, credentialsFromEnv(process.env));

const contentHashKey = config.contentHashKeyArn ? new KmsDerivedHashKey(new Kms(http), config.contentHashKeyArn, SYSTEM_CLOCK) : undefined;
// Asked during the init phase, so that the first request does not wait for KMS; a failure is asked again by a request.
void contentHashKey?.get(2000).catch(() => undefined);

const deps: GatewayDeps = {
  config,
  clients: { bedrock: new BedrockRuntime(http), sagemaker: new SageMakerRuntime(http) },
  budget: new DynamoDbTokenBudget(new DynamoDb(http), config.budgetTable, config.budgetPeriod, SYSTEM_CLOCK),
  audit: new S3AuditWriter(new S3(http), config.auditBucket, config.auditPrefix, config.auditKeyArn, SYSTEM_CLOCK),
  retriever: config.retrievalFunction ? new LambdaRetriever(new Lambda(http), config.retrievalFunction) : undefined,
  contentHashKey,
  logger,
  metrics,
  clock: SYSTEM_CLOCK,
};

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const record = (value: unknown): Record<string, unknown> | undefined => (value !== null && typeof value === 'object' && !Array.isArray(value) ? value as Record<string, unknown> : undefined);

/**
 * The parts of the API Gateway event the core reads, each checked for its type: nothing else of
 * the event is trusted, and a malformed event (null, a non-string body, an array where a string
 * belongs) becomes a request the core refuses rather than a crash or a coerced value.
 */
export function toGatewayRequest(event: unknown): GatewayRequest {
  const e = record(event) ?? {};
  const context = record(e.requestContext) ?? {};
  const authorizer = record(context.authorizer);
  const claims = record(authorizer?.claims);
  return {
    requestId: text(context.requestId) ?? 'unknown',
    method: text(e.httpMethod) ?? '',
    resource: text(e.resource) ?? '',
    body: e.body ?? null,
    isBase64Encoded: e.isBase64Encoded === true,
    authorizer: authorizer ? { ...authorizer, claims } : null,
    apiKeyId: text(record(context.identity)?.apiKeyId) ?? null,
  };
}

/** API Gateway (REST, Lambda proxy) entry point of the AI gateway. */
export const handler = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
  try {
    return await handleGatewayRequest(toGatewayRequest(event), deps);
  } finally {
    metrics.publishStoredMetrics();
  }
};
