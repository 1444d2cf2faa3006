import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { S3AuditWriter } from './audit';
import { AwsHttp, credentialsFromEnv } from '../shared/aws-http';
import { BedrockRuntime, DynamoDb, Lambda, S3, SageMakerRuntime } from './aws';
import { DynamoDbTokenBudget } from './budget';
import { loadConfig } from './config';
import { type GatewayDeps, type GatewayRequest, handleGatewayRequest } from './core';
import { LambdaRetriever } from './retriever';

const config = loadConfig(process.env);
const logger = new Logger({ serviceName: 'ai-gateway' });
const metrics = new Metrics({ namespace: 'PavedRoad/AiGateway', serviceName: 'ai-gateway' });
const http = new AwsHttp(config.region, credentialsFromEnv(process.env));

const deps: GatewayDeps = {
  config,
  clients: { bedrock: new BedrockRuntime(http), sagemaker: new SageMakerRuntime(http) },
  budget: new DynamoDbTokenBudget(new DynamoDb(http), config.budgetTable, config.budgetPeriod),
  audit: new S3AuditWriter(new S3(http), config.auditBucket, config.auditPrefix, config.auditKeyArn),
  retriever: config.retrievalFunction ? new LambdaRetriever(new Lambda(http), config.retrievalFunction) : undefined,
  logger,
  metrics,
  clock: { now: Date.now, sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)), random: Math.random },
};

/** The parts of the API Gateway event the core reads; nothing else of the event is trusted. */
export function toGatewayRequest(event: APIGatewayProxyEvent): GatewayRequest {
  return {
    requestId: event.requestContext?.requestId ?? 'unknown',
    method: event.httpMethod,
    resource: event.resource,
    body: event.body,
    isBase64Encoded: event.isBase64Encoded ?? false,
    authorizer: event.requestContext?.authorizer,
    apiKeyId: event.requestContext?.identity?.apiKeyId,
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
