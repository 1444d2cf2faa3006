import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { S3AuditWriter } from './audit';
import { DynamoDbTokenBudget } from './budget';
import { loadConfig } from './config';
import { type GatewayDeps, type GatewayRequest, handleGatewayRequest } from './core';

const config = loadConfig(process.env);
const logger = new Logger({ serviceName: 'ai-gateway' });
const metrics = new Metrics({ namespace: 'PavedRoad/AiGateway', serviceName: 'ai-gateway' });
const bedrock = new BedrockRuntimeClient({ maxAttempts: 1 });
const sagemaker = new SageMakerRuntimeClient({ maxAttempts: 1 });
const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const s3 = new S3Client({});

const deps: GatewayDeps = {
  config,
  // The gateway's own router retries with fallback; the SDK must not retry underneath it.
  clients: { bedrock, sagemaker },
  budget: new DynamoDbTokenBudget(dynamo, config.budgetTable, config.budgetPeriod),
  audit: new S3AuditWriter(s3, config.auditBucket, config.auditPrefix, config.auditKeyArn),
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
