import { Logger } from '@aws-lambda-powertools/logger';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { AwsHttp, credentialsFromEnv } from '../shared/aws-http';
import { nonEmpty, readEnv } from '../shared/config';
import { SearchDomain } from '../shared/opensearch';
import { deadlineOf } from '../shared/retry';
import { SETUP_BOUNDS, type SetupConfig, setup } from './core';
import { sendResponse } from './response';

const logger = new Logger({ serviceName: 'search-setup' });
const env = readEnv({
  AWS_REGION: z.string(),
  DOMAIN_ENDPOINT: nonEmpty(),
  INDEX_NAME: nonEmpty(),
  PIPELINE_NAME: nonEmpty(),
  RETAIN_ON_DELETE: z.enum(['true', 'false']),
});
const search = new SearchDomain(new AwsHttp(env.AWS_REGION, credentialsFromEnv(process.env)), env.DOMAIN_ENDPOINT);
const config: SetupConfig = {
  indexName: env.INDEX_NAME,
  pipelineName: env.PIPELINE_NAME,
  retainOnDelete: env.RETAIN_ON_DELETE === 'true',
  calls: SETUP_BOUNDS.calls,
};

/**
 * CloudFormation custom-resource handler (invoked directly through its service token): applies the
 * index and pipeline, then always answers CloudFormation, so a failure fails the deployment
 * instead of hanging it.
 */
export const handler = async (event: CloudFormationCustomResourceEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<void> => {
  const fallbackId = event.RequestType === 'Create' ? `failed-${event.RequestId}` : event.PhysicalResourceId;
  try {
    const result = await setup({ search }, config, event, deadlineOf(context, SETUP_BOUNDS.responseMarginMs, 60_000));
    logger.info('search setup applied', { requestType: event.RequestType, ...result.data });
    await sendResponse(event, { Status: 'SUCCESS', PhysicalResourceId: result.physicalResourceId, Data: result.data });
  } catch (error) {
    logger.error('search setup failed', { requestType: event.RequestType, errorName: (error as Error).name, error: (error as Error).message });
    await sendResponse(event, { Status: 'FAILED', Reason: `search setup failed: ${(error as Error).message}`.slice(0, 1000), PhysicalResourceId: fallbackId });
  }
};
