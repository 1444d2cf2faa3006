import { request } from 'node:https';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';

/** The answer CloudFormation expects at the pre-signed response URL. */
export interface CustomResourceResponse {
  readonly Status: 'SUCCESS' | 'FAILED';
  readonly Reason?: string;
  readonly PhysicalResourceId: string;
  readonly Data?: Record<string, string>;
}

/** Builds the response body for an event. */
export function responseBody(event: CloudFormationCustomResourceEvent, response: CustomResourceResponse): string {
  return JSON.stringify({ ...response, StackId: event.StackId, RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId });
}

/** PUTs the response to CloudFormation's pre-signed S3 URL (reached through the VPC's S3 gateway endpoint). */
export function sendResponse(event: CloudFormationCustomResourceEvent, response: CustomResourceResponse, timeoutMs = 10_000): Promise<void> {
  const body = responseBody(event, response);
  return new Promise((resolve, reject) => {
    const req = request(event.ResponseURL, {
      method: 'PUT',
      headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) },
      timeout: timeoutMs,
    }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`response URL answered ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error('response URL timed out')));
    req.on('error', reject);
    req.end(body);
  });
}
