import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { DataClass } from '../core/data-class';
import { PavedRoadError } from '../core/errors';
import type { PavedRoadEnvironment } from '../environments/environment';
import type { LakeZone } from './lake-zone';
import type { ZoneLifecycle } from './lifecycle';

/** Object Lock settings of a bucket: mode and default retention in days. */
export interface LakeObjectLock {
  /** COMPLIANCE in production (nobody can shorten it), GOVERNANCE elsewhere. */
  readonly mode: s3.ObjectLockMode;
  /** Default retention of every new object version, in days. */
  readonly days: number;
}

/** What the replica stack needs to build one replica bucket. Plain values, no tokens. */
export interface ReplicaBucketSpec {
  /** The lake zone replicated. */
  readonly zone: LakeZone;
  /** Deterministic physical name, so that the source stack can name it across regions. */
  readonly bucketName: string;
  /** The data class of the replicated data. */
  readonly dataClass: DataClass;
  /** Alias of the replica-region key that encrypts the replica. */
  readonly keyAlias: string;
  /** The source zone's lifecycle: delete markers from lifecycle expiry are not replicated. */
  readonly lifecycle: ZoneLifecycle;
  /**
   * Object Lock of the replica (the audit zone's), matching the source.
   * @default - no Object Lock
   */
  readonly objectLock?: LakeObjectLock;
}

/**
 * A data lake's in-zone replication: where the replicas live and what they are.
 * Built by {@link DataLake}; consumed by {@link DataLakeReplicaStack} in the partner region.
 */
export interface LakeReplication {
  /** The environment of the source lake. */
  readonly environment: PavedRoadEnvironment;
  /** The replica region, inside the environment's residency zone. */
  readonly region: string;
  /** One spec per replicated zone. */
  readonly buckets: ReplicaBucketSpec[];
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

/**
 * The physical name of the replica bucket of `zone`: environment, zone, account and region,
 * so it is globally unique, stable across deployments and computable in both regions.
 */
export function replicaBucketName(environment: PavedRoadEnvironment, zone: LakeZone, region: string): string {
  const name = `${environment.name}-lake-${zone.id}-${environment.account}-${region}`;
  if (!BUCKET_NAME.test(name)) {
    throw new PavedRoadError(`environment '${environment.name}': replica bucket name '${name}' is ${name.length} characters; S3 allows 3-63, so shorten the environment name`);
  }
  return name;
}

/** Alias of the replica-region key for `dataClass`. */
export function replicaKeyAlias(environment: PavedRoadEnvironment, dataClass: DataClass): string {
  return `alias/paved-road/${environment.name}/lake-replica/${dataClass.id}`;
}

/** Key prefix of a zone's server access logs in the access-log bucket (source and replica region alike). */
export function accessLogPrefix(zone: LakeZone): string {
  return `data-lake/${zone.id}/`;
}
