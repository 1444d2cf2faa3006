import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeFinding } from '../compliance/acknowledge';
import { enableEventBridgeNotifications } from './bucket-notifications';

/** Properties of an {@link AccessLogBucket}. */
export interface AccessLogBucketProps {
  /** Days after which access logs expire. */
  readonly retentionDays: number;
  /** What happens to the bucket when its stack is deleted. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The S3 server-access-log sink of one region: private, versioned, TLS-only, expiring, with the
 * acknowledgments that every access-log sink needs (and only those).
 */
export class AccessLogBucket extends Construct {
  /** The bucket other buckets send their server access logs to. */
  public readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: AccessLogBucketProps) {
    super(scope, id);
    const bucket = new s3.Bucket(this, 'Resource', {
      // S3 delivers server access logs only to buckets encrypted with SSE-S3 (not SSE-KMS).
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      removalPolicy: props.removalPolicy,
      lifecycleRules: [{
        id: 'expire-access-logs',
        expiration: Duration.days(props.retentionDays),
        noncurrentVersionExpiration: Duration.days(7),
        abortIncompleteMultipartUploadAfter: Duration.days(7),
      }],
    });
    enableEventBridgeNotifications(bucket);
    const selfLogging = 'This bucket is the server-access-log sink; logging it into itself would recurse. CloudTrail management events record every change to it.';
    const sseS3Only = 'S3 delivers server access logs only to buckets encrypted with SSE-S3, so SSE-KMS is impossible here; objects are AES-256 encrypted at rest and the policy denies non-TLS access.';
    const regionalLogs = 'Server access logs describe requests to this region only; losing the region loses the buckets they describe too. Versioning and a 7-day noncurrent window protect them from deletion.';
    const noObjectLock = 'S3 server access logging refuses target buckets with a default Object Lock retention; versioning with noncurrent retention protects the logs instead.';
    const ackAll = (reason: string, ...ids: string[]) => acknowledgeFinding(bucket, ...ids.map((findingId) => ({ id: findingId, reason })));
    ackAll(selfLogging, 'AwsSolutions-S1', 'HIPAA.Security-S3BucketLoggingEnabled', 'NIST.800.53.R5-S3BucketLoggingEnabled', 'PCI.DSS.321-S3BucketLoggingEnabled', 'cdk-validator-cfnguard::s3_bucket_logging_enabled_check');
    ackAll(sseS3Only, 'HIPAA.Security-S3DefaultEncryptionKMS', 'NIST.800.53.R5-S3DefaultEncryptionKMS', 'PCI.DSS.321-S3DefaultEncryptionKMS', 'cdk-validator-cfnguard::s3_bucket_default_encryption_kms_check');
    ackAll(regionalLogs, 'HIPAA.Security-S3BucketReplicationEnabled', 'NIST.800.53.R5-S3BucketReplicationEnabled', 'PCI.DSS.321-S3BucketReplicationEnabled');
    ackAll(noObjectLock, 'cdk-validator-cfnguard::s3_bucket_object_lock_enabled_check');
    this.bucket = bucket;
  }
}
