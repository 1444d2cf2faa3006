import { Duration, type RemovalPolicy, Stack, Tags } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { DataClass } from '../core/data-class';
import { enableEventBridgeNotifications } from '../foundation/bucket-notifications';
import { declareServiceOperations, ServiceCaller } from '../permissions/service-operations';
import type { LakeZone } from './lake-zone';
import { recordRetention, toLifecycleRules, type ZoneLifecycle } from './lifecycle';
import { accessLogPrefix, type LakeObjectLock } from './replication';

/** What a lake bucket (a zone bucket or its replica) is made of. */
export interface LakeBucketSpec {
  /** The lake zone the bucket holds. */
  readonly zone: LakeZone;
  /** The data class of the zone, recorded as a tag. */
  readonly dataClass: DataClass;
  /** The key of that data class in the bucket's region. */
  readonly key: kms.IKey;
  /** The region's server-access-log bucket. */
  readonly accessLogBucket: s3.IBucket;
  /** Lifecycle rules and retention derived from class and regime. */
  readonly lifecycle: ZoneLifecycle;
  /** What happens to the bucket when its stack is deleted. */
  readonly removalPolicy: RemovalPolicy;
  /** Object Lock default retention; only the audit zone has one. */
  readonly objectLock?: LakeObjectLock;
  /** Fixed physical name, for buckets other regions must address by ARN. */
  readonly bucketName?: string;
}

/**
 * A data-lake bucket: the class key with S3 Bucket Keys, versioning, no public access, no ACLs,
 * TLS 1.2+ only, access logs under the zone's prefix, lifecycle from class and regime, EventBridge
 * notifications, the retention recorded for auditors, zone and class tags.
 */
export function createLakeBucket(scope: Construct, id: string, spec: LakeBucketSpec): s3.Bucket {
  const lock = spec.objectLock;
  const bucket = new s3.Bucket(scope, id, {
    bucketName: spec.bucketName,
    encryption: s3.BucketEncryption.KMS,
    encryptionKey: spec.key,
    bucketKeyEnabled: true,
    versioned: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    serverAccessLogsBucket: spec.accessLogBucket,
    serverAccessLogsPrefix: accessLogPrefix(spec.zone),
    lifecycleRules: toLifecycleRules(spec.lifecycle),
    removalPolicy: spec.removalPolicy,
    objectLockEnabled: lock !== undefined,
    objectLockDefaultRetention: lock && (lock.mode === s3.ObjectLockMode.COMPLIANCE
      ? s3.ObjectLockRetention.compliance(Duration.days(lock.days))
      : s3.ObjectLockRetention.governance(Duration.days(lock.days))),
  });
  enableEventBridgeNotifications(bucket);
  // S3 delivers server access logs as the logging service principal, naming the source bucket.
  declareServiceOperations(bucket, {
    description: 'S3 server access logging writes the bucket\'s access logs to the region\'s access-log bucket',
    docs: ['https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html#grant-log-delivery-permissions-general'],
    caller: ServiceCaller.servicePrincipal('logging.s3.amazonaws.com'),
    calls: [{
      action: 's3:PutObject',
      resource: spec.accessLogBucket.arnForObjects(`${accessLogPrefix(spec.zone)}2026-01-01-00-00-00-0123456789ABCDEF`),
      context: { 'aws:SourceArn': bucket.bucketArn, 'aws:SourceAccount': Stack.of(bucket).account },
    }],
  });
  recordRetention(bucket, spec.lifecycle);
  Tags.of(bucket).add('paved-road:lake-zone', spec.zone.id);
  Tags.of(bucket).add('paved-road:data-class', spec.dataClass.id);
  return bucket;
}
