import { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import * as z from 'zod/mini';
import { AwsHttp, credentialsFromEnv } from '../shared/aws-http';
import { coercedInt, nonEmpty, readEnv } from '../shared/config';
import { TitanEmbeddings } from '../shared/embeddings';
import { SearchDomain } from '../shared/opensearch';
import { deadlineOf } from '../shared/retry';
import { INGESTION_BOUNDS, type IngestionConfig, type IngestionObserver, ingestBatch } from './core';
import { CuratedObjects } from './curated-objects';

const logger = new Logger({ serviceName: 'ingestion' });
const metrics = new Metrics({ namespace: 'PavedRoad/Retrieval', serviceName: 'ingestion' });
const env = readEnv({
  AWS_REGION: z.string(),
  DOMAIN_ENDPOINT: nonEmpty(),
  INDEX_NAME: nonEmpty(),
  CURATED_BUCKET: nonEmpty(),
  DATA_CLASS: nonEmpty(),
  EMBEDDING_MODEL_ID: nonEmpty(),
  EMBEDDING_DIMENSIONS: coercedInt(1),
  CHUNK_SIZE: coercedInt(1),
  CHUNK_OVERLAP: coercedInt(0),
});
const model = { modelId: env.EMBEDDING_MODEL_ID, dimensions: env.EMBEDDING_DIMENSIONS };
const http = new AwsHttp(env.AWS_REGION, credentialsFromEnv(process.env));
const clients = { search: new SearchDomain(http, env.DOMAIN_ENDPOINT), embedder: new TitanEmbeddings(http, model), objects: new CuratedObjects(http) };
const config: IngestionConfig = {
  curatedBucket: env.CURATED_BUCKET,
  indexName: env.INDEX_NAME,
  dataClass: env.DATA_CLASS,
  chunking: { size: env.CHUNK_SIZE, overlap: env.CHUNK_OVERLAP },
  model,
  embeddingBatchSize: 8,
  bulkBatchSize: 100,
  calls: INGESTION_BOUNDS.calls,
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
export const handler = async (event: SQSEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<SQSBatchResponse> => {
  try {
    return await ingestBatch(clients, config, event, observer, deadlineOf(context, INGESTION_BOUNDS.responseMarginMs, 60_000));
  } finally {
    metrics.publishStoredMetrics();
  }
};
