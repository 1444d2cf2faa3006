import { Logger } from '@aws-lambda-powertools/logger';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { z } from 'zod';
import { createSearchClient } from '../shared/clients';
import { readEnv } from '../shared/config';
import { setup } from './core';
import { sendResponse } from './response';

const logger = new Logger({ serviceName: 'search-setup' });
const env = readEnv({ AWS_REGION: z.string(), DOMAIN_ENDPOINT: z.string().min(1) });
const search = createSearchClient(env.DOMAIN_ENDPOINT, env.AWS_REGION, { requestTimeoutMs: 30_000, maxRetries: 3 });

/**
 * CloudFormation custom-resource handler (invoked directly through its service token): applies the
 * index and pipeline, then always answers CloudFormation, so a failure fails the deployment
 * instead of hanging it.
 */
export const handler = async (event: CloudFormationCustomResourceEvent): Promise<void> => {
  const fallbackId = event.RequestType === 'Create' ? `failed-${event.RequestId}` : event.PhysicalResourceId;
  try {
    const result = await setup(search, event);
    logger.info('search setup applied', { requestType: event.RequestType, ...result.data });
    await sendResponse(event, { Status: 'SUCCESS', PhysicalResourceId: result.physicalResourceId, Data: result.data });
  } catch (error) {
    logger.error('search setup failed', { requestType: event.RequestType, errorName: (error as Error).name, error: (error as Error).message });
    await sendResponse(event, { Status: 'FAILED', Reason: `search setup failed: ${(error as Error).message}`.slice(0, 1000), PhysicalResourceId: fallbackId });
  }
};
