import { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import { S3Client } from '@aws-sdk/client-s3';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { z } from 'zod';
import { createBedrockClient, createSearchClient } from '../shared/clients';
import { readEnv } from '../shared/config';
import { type IngestionObserver, ingestBatch } from './core';

const logger = new Logger({ serviceName: 'ingestion' });
const metrics = new Metrics({ namespace: 'PavedRoad/Retrieval', serviceName: 'ingestion' });
const env = readEnv({
  AWS_REGION: z.string(),
  DOMAIN_ENDPOINT: z.string().min(1),
  INDEX_NAME: z.string().min(1),
  DATA_CLASS: z.string().min(1),
  EMBEDDING_MODEL_ID: z.string().min(1),
  EMBEDDING_DIMENSIONS: z.coerce.number().int().positive(),
  CHUNK_SIZE: z.coerce.number().int().positive(),
  CHUNK_OVERLAP: z.coerce.number().int().nonnegative(),
});
const clients = {
  search: createSearchClient(env.DOMAIN_ENDPOINT, env.AWS_REGION, { requestTimeoutMs: 30_000, maxRetries: 2 }),
  bedrock: createBedrockClient(env.AWS_REGION, { requestTimeoutMs: 5_000, maxRetries: 4 }),
  s3: new S3Client({ region: env.AWS_REGION, maxAttempts: 3 }),
};
const config = {
  indexName: env.INDEX_NAME,
  dataClass: env.DATA_CLASS,
  chunking: { size: env.CHUNK_SIZE, overlap: env.CHUNK_OVERLAP },
  model: { modelId: env.EMBEDDING_MODEL_ID, dimensions: env.EMBEDDING_DIMENSIONS },
  embeddingBatchSize: 8,
  bulkBatchSize: 100,
};

const observer: IngestionObserver = {
  outcome(messageId, outcome) {
    if (outcome.action === 'rejected') {
      logger.warn('document rejected', { messageId, docId: outcome.docId, reason: outcome.reason });
      metrics.addMetric('DocumentsRejected', MetricUnit.Count, 1);
    } else {
      logger.info(`document ${outcome.action}`, { messageId, docId: outcome.docId });
      metrics.addMetric(outcome.action === 'indexed' ? 'DocumentsIndexed' : 'DocumentsDeleted', MetricUnit.Count, 1);
    }
  },
  failure(messageId, error) {
    logger.error('document failed; SQS will retry it', { messageId, errorName: error.name, error: error.message });
    metrics.addMetric('DocumentsFailed', MetricUnit.Count, 1);
  },
};

/** SQS handler (ReportBatchItemFailures): EventBridge S3 events -> chunks in the index. */
export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  try {
    return await ingestBatch(clients, config, event, observer);
  } finally {
    metrics.publishStoredMetrics();
  }
};
