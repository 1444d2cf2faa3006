import { type RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { acknowledgeFinding } from '../compliance/acknowledge';
import type { DataClass } from '../core/data-class';
import { PavedRoadError } from '../core/errors';
import { environmentTags } from '../environments/environment';
import { AccessLogBucket } from '../foundation/access-log-bucket';
import { createDataKey } from '../foundation/data-key';
import { createLakeBucket } from './lake-bucket';
import { LakeZone } from './lake-zone';
import { recordReplicaStack } from './replica-registry';
import type { LakeReplication, ReplicaBucketSpec } from './replication';

/** Properties of a {@link DataLakeReplicaStack}. */
export interface DataLakeReplicaStackProps extends Omit<StackProps, 'env'> {
  /** The replication of the source lake: `DataLake.replication`. */
  readonly replication: LakeReplication;
  /**
   * Days after which the replica region's S3 server access logs expire.
   * @default 365
   */
  readonly accessLogRetentionDays?: number;
}

const ERASURE_CONFLICT = 'Object Lock would block erasure of personal data on request (GDPR Art. 17, DPDP s. 12); replicated user deletes, versioning with noncurrent-version expiry and KMS encryption protect the replica instead.';

/**
 * The replica side of a data lake's in-zone disaster recovery, deployed in the DR partner
 * region (a CDK stack can only create resources in its own region).
 *
 * Holds a single-region, rotating KMS key per replicated data class, the replica buckets under
 * deterministic names (so the source stack can name them without cross-region references),
 * their own lifecycle rules (delete markers that lifecycle expiry creates in the source are not
 * replicated), an access-log bucket for the region, and Object Lock on the audit replica.
 * Deploy it before the source: S3 checks the destination when replication is configured.
 */
export class DataLakeReplicaStack extends Stack {
  /** The replica buckets, by zone. */
  public readonly replicaBuckets: ReadonlyMap<LakeZone, s3.Bucket>;
  /** The replica keys, by data class. */
  public readonly replicaKeys: ReadonlyMap<DataClass, kms.Key>;
  /** Destination of the replica region's S3 server access logs. */
  public readonly accessLogBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: DataLakeReplicaStackProps) {
    const replication = props.replication;
    const env = replication.environment;
    if (!env.zone.includesRegion(replication.region)) {
      throw new PavedRoadError(`${env.name}: data lake replica region ${replication.region} is outside residency zone ${env.zone} (allowed: ${env.zone.regions.join(', ')})`);
    }
    super(scope, id, {
      ...props,
      env: { account: env.account, region: replication.region },
      description: props.description ?? `paved-road data lake replicas of ${env.name} in ${replication.region} (residency zone ${env.zone})`,
      terminationProtection: props.terminationProtection ?? env.stage.isProd,
      tags: { ...props.tags, ...environmentTags(env), 'paved-road:replica-of': env.region },
    });
    recordReplicaStack(replication, this);

    const removalPolicy = env.stage.statefulRemovalPolicy(this);
    const keys = new Map<DataClass, kms.Key>();
    for (const spec of replication.buckets) {
      if (keys.has(spec.dataClass)) continue;
      const key = createDataKey(this, `ReplicaKey-${spec.dataClass.id}`, {
        description: `paved-road ${env.name}: lake replicas of class ${spec.dataClass.id} in ${replication.region}`,
        alias: spec.keyAlias,
        removalPolicy,
      });
      keys.set(spec.dataClass, key);
    }
    this.replicaKeys = keys;
    this.accessLogBucket = new AccessLogBucket(this, 'AccessLogs', { retentionDays: props.accessLogRetentionDays ?? 365, removalPolicy }).bucket;

    const buckets = new Map<LakeZone, s3.Bucket>();
    for (const spec of replication.buckets) {
      buckets.set(spec.zone, this.createReplicaBucket(spec, keys.get(spec.dataClass)!, removalPolicy));
    }
    this.replicaBuckets = buckets;
  }

  private createReplicaBucket(spec: ReplicaBucketSpec, key: kms.Key, removalPolicy: RemovalPolicy): s3.Bucket {
    const bucket = createLakeBucket(this, `Replica${spec.zone.constructId}`, {
      zone: spec.zone,
      dataClass: spec.dataClass,
      key,
      accessLogBucket: this.accessLogBucket,
      lifecycle: spec.lifecycle,
      removalPolicy,
      objectLock: spec.objectLock,
      bucketName: spec.bucketName,
    });
    const isReplica = `This bucket is the in-zone disaster-recovery replica in ${this.region} of the ${spec.zone} zone; replicating it onward would put a third copy of the data in the residency zone without adding a recovery option.`;
    acknowledgeFinding(bucket, ...['HIPAA.Security-S3BucketReplicationEnabled', 'NIST.800.53.R5-S3BucketReplicationEnabled', 'PCI.DSS.321-S3BucketReplicationEnabled'].map((id) => ({ id, reason: isReplica })));
    if (spec.zone !== LakeZone.AUDIT) {
      acknowledgeFinding(bucket, { id: 'cdk-validator-cfnguard::s3_bucket_object_lock_enabled_check', reason: ERASURE_CONFLICT });
    }
    return bucket;
  }
}
