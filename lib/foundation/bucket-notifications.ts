import type * as s3 from 'aws-cdk-lib/aws-s3';

/**
 * Sends the bucket's object events to EventBridge through the bucket's own
 * `NotificationConfiguration`.
 *
 * The L2 `eventBridgeEnabled` prop does the same through a custom-resource Lambda (so that it can
 * merge with other notification targets); paved-road buckets only ever notify EventBridge, so the
 * native CloudFormation property avoids a Lambda, its role and its compliance findings.
 */
export function enableEventBridgeNotifications(bucket: s3.Bucket): void {
  (bucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = {
    eventBridgeConfiguration: { eventBridgeEnabled: true },
  };
}
