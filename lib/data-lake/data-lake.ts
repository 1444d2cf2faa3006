import { Annotations, Stack, Token } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, type IConstruct } from 'constructs';
import { acknowledgeFinding } from '../compliance/acknowledge';
import { declareServiceOperations, ServiceCaller } from '../permissions/service-operations';
import type { DataClass } from '../core/data-class';
import { PavedRoadError } from '../core/errors';
import type { Foundation } from '../foundation/foundation';
import { DOCUMENT_CORPUS_CONTRACT } from './document-corpus';
import { createLakeBucket } from './lake-bucket';
import { LakeZone } from './lake-zone';
import { planZoneLifecycle, type ZoneLifecycle } from './lifecycle';
import { LakeRetention, PrefixRule } from './prefix-rule';
import { replicaStackOf } from './replica-registry';
import { type LakeObjectLock, type LakeReplication, type ReplicaBucketSpec, replicaBucketName, replicaKeyAlias } from './replication';

/** Per-zone settings of a {@link DataLake}. */
export interface LakeZoneSettings {
  /** The zone these settings apply to. */
  readonly zone: LakeZone;
  /**
   * The data class of everything in the zone; picks the KMS key and the retention row.
   * The audit zone must stay non-personal.
   * @default - the zone's `defaultDataClass` (PERSONAL for raw, curated, embeddings and inference capture)
   */
  readonly dataClass?: DataClass;
  /**
   * How long current versions are kept.
   * @default LakeRetention.classDefault()
   */
  readonly retention?: LakeRetention;
  /**
   * Why the zone keeps personal data without expiry or longer than the retention table,
   * naming the legal basis. Recorded in the bucket's template metadata for auditors.
   * @default - none; keeping personal data longer than the table is then refused at synth
   */
  readonly retentionJustification?: string;
}

/** Properties of a {@link DataLake}. */
export interface DataLakeProps {
  /** The environment's foundation: keys per data class, access-log bucket, removal policy. */
  readonly foundation: Foundation;
  /**
   * Settings for zones that differ from the defaults.
   * @default - every zone with its default data class and the table's retention
   */
  readonly zoneSettings?: LakeZoneSettings[];
  /**
   * Lifecycle rules for prefixes where blobs pile up. A rule for `raw/staging/` replaces the default one.
   * @default - staged uploads under `staging/` in the raw zone expire after 7 days
   */
  readonly prefixRules?: PrefixRule[];
  /**
   * Object Lock retention of the audit zone, in days; also its expiry. At least 365
   * (DPDP Rules 2025 r. 8(3) keep processing logs for a year).
   * @default 365
   */
  readonly auditRetentionDays?: number;
  /**
   * Whether curated, model-artifact and audit data replicate to the in-zone DR region.
   * Deploy a `DataLakeReplicaStack` with {@link DataLake.replication} when true. Production
   * lakes always replicate; `false` is refused there.
   * @default - true in production, false elsewhere
   */
  readonly replication?: boolean;
  /**
   * The replica region; must lie inside the environment's residency zone.
   * @default - the region's disaster-recovery partner in the region catalogue
   */
  readonly replicaRegion?: string;
}

/** A data lake whose zones other constructs read and write. */
export interface IDataLake extends IConstruct {
  /** The bucket of `zone`. */
  bucket(zone: LakeZone): s3.IBucket;
  /** Grants read access to objects of `zone` (and decrypt on its key). */
  grantRead(zone: LakeZone, grantee: iam.IGrantable, objectsKeyPattern?: string): iam.Grant;
  /** Grants write access to objects of `zone`; append-only (put) for the audit zone. */
  grantWrite(zone: LakeZone, grantee: iam.IGrantable, objectsKeyPattern?: string): iam.Grant;
}

/** Staged uploads pile up fastest; every lake expires them unless a team says otherwise. */
const DEFAULT_PREFIX_RULES = [PrefixRule.stagedUploads({ zone: LakeZone.RAW, prefix: 'staging/' })];

/** Minimum audit retention: DPDP's one-year processing-log minimum. */
export const MIN_AUDIT_RETENTION_DAYS = 365;

const ERASURE_CONFLICT = 'Object Lock would block erasure of personal data on request (GDPR Art. 17, DPDP s. 12); versioning with a noncurrent-version expiry, KMS encryption and TLS-only access protect the data instead, and only the audit zone is locked.';

/**
 * The zoned data lake of one environment: raw, curated, embeddings, model-artifact,
 * inference-capture and audit buckets, each encrypted with the Foundation key of its data
 * class, with lifecycle rules derived from that class and the residency zone's privacy regime,
 * a Glue database per zone and the document-corpus contract table. Production lakes replicate
 * curated, model-artifact and audit data to the in-zone DR region (see {@link replication}).
 */
export class DataLake extends Construct implements IDataLake {
  /** The lifecycle each zone got, for docs, tests and the replica stack. */
  public readonly lifecycles: ReadonlyMap<LakeZone, ZoneLifecycle>;
  /** The in-zone replication to deploy with a `DataLakeReplicaStack`, or `undefined` when not replicating. */
  public readonly replication?: LakeReplication;
  /** The role S3 assumes to replicate, when replicating. */
  public readonly replicationRole?: iam.IRole;
  /** The Glue database of each zone. */
  public readonly databases: ReadonlyMap<LakeZone, glue.CfnDatabase>;
  /** The Glue table of the document-corpus data contract, over the curated zone. */
  public readonly documentCorpusTable: glue.CfnTable;
  private readonly buckets = new Map<LakeZone, s3.Bucket>();
  private readonly dataClasses = new Map<LakeZone, DataClass>();
  private readonly foundation: Foundation;

  constructor(scope: Construct, id: string, props: DataLakeProps) {
    super(scope, id);
    const foundation = props.foundation;
    const env = foundation.environment;
    this.foundation = foundation;
    const context = `${env.name}: data lake ${this.node.path}`;
    const settings = this.resolveSettings(props.zoneSettings ?? [], context);
    const prefixRules = [
      ...DEFAULT_PREFIX_RULES.filter((d) => !(props.prefixRules ?? []).some((r) => r.zone === d.zone && r.prefix === d.prefix)),
      ...(props.prefixRules ?? []),
    ];
    const auditDays = props.auditRetentionDays ?? MIN_AUDIT_RETENTION_DAYS;
    if (!Number.isInteger(auditDays) || auditDays < MIN_AUDIT_RETENTION_DAYS) {
      throw new PavedRoadError(`${context}: auditRetentionDays is ${auditDays}; audit events must be kept at least ${MIN_AUDIT_RETENTION_DAYS} days (DPDP Rules 2025 r. 8(3)), so set a whole number >= ${MIN_AUDIT_RETENTION_DAYS}`);
    }
    const auditLock: LakeObjectLock = { mode: env.stage.isProd ? s3.ObjectLockMode.COMPLIANCE : s3.ObjectLockMode.GOVERNANCE, days: auditDays };

    const replicaRegion = this.resolveReplicaRegion(props, context);
    const lifecycles = new Map<LakeZone, ZoneLifecycle>();
    for (const zone of LakeZone.all()) {
      const setting = settings.get(zone);
      const dataClass = setting?.dataClass ?? zone.defaultDataClass;
      const lifecycle = planZoneLifecycle({
        zone,
        dataClass,
        regime: env.zone.regime,
        retention: setting?.retention ?? LakeRetention.classDefault(),
        retentionJustification: setting?.retentionJustification,
        prefixRules,
        objectLockDays: zone === LakeZone.AUDIT ? auditLock.days : undefined,
        context,
      });
      lifecycles.set(zone, lifecycle);
      this.dataClasses.set(zone, dataClass);
      const bucket = this.createBucket(zone, dataClass, lifecycle, zone === LakeZone.AUDIT ? auditLock : undefined);
      this.buckets.set(zone, bucket);
      if (zone !== LakeZone.AUDIT) {
        acknowledgeFinding(bucket, { id: 'cdk-validator-cfnguard::s3_bucket_object_lock_enabled_check', reason: ERASURE_CONFLICT });
      }
      if (!(replicaRegion && zone.replicatedInProd)) this.acknowledgeNoReplication(bucket, zone, replicaRegion !== undefined);
    }
    this.lifecycles = lifecycles;

    if (replicaRegion) {
      this.replication = {
        environment: env,
        region: replicaRegion,
        buckets: LakeZone.all().filter((zone) => zone.replicatedInProd).map((zone) => ({
          zone,
          bucketName: replicaBucketName(env, zone, replicaRegion),
          dataClass: this.dataClasses.get(zone)!,
          keyAlias: replicaKeyAlias(env, this.dataClasses.get(zone)!),
          lifecycle: lifecycles.get(zone)!,
          objectLock: zone === LakeZone.AUDIT ? auditLock : undefined,
        })),
      };
      this.replicationRole = this.configureReplication(this.replication);
      this.node.addValidation({ validate: () => this.replicaStackProblems() });
    }

    const { databases, table } = this.createCatalog();
    this.databases = databases;
    this.documentCorpusTable = table;
  }

  /** The bucket of `zone`. */
  public bucket(zone: LakeZone): s3.IBucket {
    const bucket = this.buckets.get(zone);
    if (!bucket) throw new PavedRoadError(`${this.node.path}: no bucket for zone ${zone}`);
    return bucket;
  }

  /** The data class of `zone` in this lake. */
  public dataClassOf(zone: LakeZone): DataClass {
    return this.dataClasses.get(zone)!;
  }

  /** The landing bucket. */
  public get raw(): s3.IBucket { return this.bucket(LakeZone.RAW); }
  /** The curated data-product bucket. */
  public get curated(): s3.IBucket { return this.bucket(LakeZone.CURATED); }
  /** The features and embeddings bucket. */
  public get embeddings(): s3.IBucket { return this.bucket(LakeZone.EMBEDDINGS); }
  /** The model-artifact bucket. */
  public get modelArtifacts(): s3.IBucket { return this.bucket(LakeZone.MODEL_ARTIFACTS); }
  /** The inference-capture bucket. */
  public get inferenceCapture(): s3.IBucket { return this.bucket(LakeZone.INFERENCE_CAPTURE); }
  /** The Object-Locked audit bucket. */
  public get audit(): s3.IBucket { return this.bucket(LakeZone.AUDIT); }

  /** Grants read access to objects of `zone` and decrypt on its key. */
  public grantRead(zone: LakeZone, grantee: iam.IGrantable, objectsKeyPattern: string = '*'): iam.Grant {
    return this.bucket(zone).grantRead(grantee, objectsKeyPattern);
  }

  /**
   * Grants write access to objects of `zone` and encrypt on its key. The audit zone is
   * append-only: its grantees may put objects, never delete them or touch their retention
   * or legal hold (which `grantPut` would allow).
   */
  public grantWrite(zone: LakeZone, grantee: iam.IGrantable, objectsKeyPattern: string = '*'): iam.Grant {
    const bucket = this.bucket(zone);
    if (zone !== LakeZone.AUDIT) return bucket.grantWrite(grantee, objectsKeyPattern);
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
      resourceArns: [bucket.arnForObjects(objectsKeyPattern)],
    }).combine(this.foundation.keyFor(this.dataClassOf(zone)).grantEncrypt(grantee));
  }

  private resolveSettings(list: LakeZoneSettings[], context: string): Map<LakeZone, LakeZoneSettings> {
    const map = new Map<LakeZone, LakeZoneSettings>();
    for (const setting of list) {
      if (map.has(setting.zone)) {
        throw new PavedRoadError(`${context}: zoneSettings names zone ${setting.zone} twice; merge the entries`);
      }
      if (setting.zone === LakeZone.AUDIT && (setting.dataClass?.isPersonal || setting.retention !== undefined)) {
        throw new PavedRoadError(`${context}: the audit zone holds audit events only, never personal payloads, and its retention is auditRetentionDays; remove its dataClass ${setting.dataClass ?? ''} / retention settings`);
      }
      map.set(setting.zone, setting);
    }
    return map;
  }

  private resolveReplicaRegion(props: DataLakeProps, context: string): string | undefined {
    const env = this.foundation.environment;
    if (env.stage.isProd && props.replication === false) {
      throw new PavedRoadError(`${context}: production lakes replicate curated, model-artifact and audit data inside residency zone ${env.zone}; remove replication: false (set replicaRegion to choose the region)`);
    }
    if (!(props.replication ?? env.stage.isProd)) {
      if (props.replicaRegion !== undefined) {
        throw new PavedRoadError(`${context}: replicaRegion ${props.replicaRegion} is set but replication is off for stage ${env.stage}; set replication: true or drop replicaRegion`);
      }
      return undefined;
    }
    const region = props.replicaRegion ?? env.zone.drPartnerOf(env.region, context);
    env.zone.assertRegion(region, `${context}: replication destination`);
    if (region === env.region) {
      throw new PavedRoadError(`${context}: replication destination ${region} is the lake's own region; pick another region of zone ${env.zone} (${env.zone.regions.filter((r) => r !== env.region).join(', ')})`);
    }
    return region;
  }

  private createBucket(zone: LakeZone, dataClass: DataClass, lifecycle: ZoneLifecycle, objectLock: LakeObjectLock | undefined): s3.Bucket {
    const foundation = this.foundation;
    const bucket = createLakeBucket(this, zone.constructId, {
      zone,
      dataClass,
      key: foundation.keyFor(dataClass),
      accessLogBucket: foundation.accessLogBucket,
      lifecycle,
      removalPolicy: foundation.removalPolicy,
      objectLock,
    });
    return bucket;
  }

  private acknowledgeNoReplication(bucket: s3.Bucket, zone: LakeZone, prod: boolean): void {
    const env = this.foundation.environment;
    const reason = prod
      ? zone.notReplicatedReason!
      : `Stage ${env.stage} holds no production data; versioning with noncurrent-version retention recovers deleted objects, and production lakes replicate curated, model-artifact and audit data inside residency zone ${env.zone}.`;
    acknowledgeFinding(bucket, ...['HIPAA.Security-S3BucketReplicationEnabled', 'NIST.800.53.R5-S3BucketReplicationEnabled', 'PCI.DSS.321-S3BucketReplicationEnabled'].map((id) => ({ id, reason })));
  }

  /**
   * Replication whose destination buckets no stack creates fails at the first write with
   * `InvalidRequest` (S3 checks that each destination bucket exists when replication is
   * configured: https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-requirements.html),
   * so the lake refuses to synthesize without its replica stack, deployed before it.
   * Reported as an error annotation, which `cdk synth` and `cdk deploy` stop on ("Found errors").
   */
  private replicaStackProblems(): string[] {
    const replication = this.replication!;
    const replicaStack = replicaStackOf(replication);
    const fix = `new DataLakeReplicaStack(stage, 'LakeReplica', { replication: dataLake.replication! }) in the same app, and ${Stack.of(this).node.path}.addStackDependency(replicaStack) (PlatformStage does both)`;
    let problem: string | undefined;
    if (!replicaStack) {
      problem = `${this.node.path}: replicates to ${replication.region}, but no DataLakeReplicaStack creates its replica buckets; add ${fix}`;
    } else if (!Stack.of(this).dependencies.includes(replicaStack as Stack)) {
      problem = `${this.node.path}: its replica stack ${(replicaStack as Stack).node.path} must deploy first; add ${fix}`;
    }
    if (problem) Annotations.of(this).addError(problem);
    return [];
  }

  /** The replication role, its least-privilege policy, and each source bucket's replication rule. */
  private configureReplication(replication: LakeReplication): iam.IRole {
    const env = replication.environment;
    const stack = Stack.of(this);
    const role = new iam.Role(this, 'ReplicationRole', {
      assumedBy: new iam.ServicePrincipal('s3.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': env.account } },
      }),
      description: `Replicates ${env.name} lake zones to ${replication.region} inside residency zone ${env.zone}`,
    });
    const statements: iam.PolicyStatement[] = [];
    for (const spec of replication.buckets) {
      const source = this.buckets.get(spec.zone)!;
      const sourceKey = this.foundation.keyFor(spec.dataClass);
      const replicaArn = `arn:${stack.partition}:s3:::${spec.bucketName}`;
      statements.push(
        new iam.PolicyStatement({
          sid: `ReadReplicationConfig${spec.zone.constructId}`,
          actions: ['s3:GetReplicationConfiguration', 's3:ListBucket'],
          resources: [source.bucketArn],
        }),
        new iam.PolicyStatement({
          sid: `ReadSourceVersions${spec.zone.constructId}`,
          actions: [
            's3:GetObjectVersionForReplication', 's3:GetObjectVersionAcl', 's3:GetObjectVersionTagging',
            ...(spec.objectLock ? ['s3:GetObjectRetention', 's3:GetObjectLegalHold'] : []),
          ],
          resources: [source.arnForObjects('*')],
        }),
        new iam.PolicyStatement({
          sid: `WriteReplica${spec.zone.constructId}`,
          actions: ['s3:ReplicateObject', 's3:ReplicateDelete', 's3:ReplicateTags'],
          resources: [`${replicaArn}/*`],
        }),
        new iam.PolicyStatement({
          sid: `DecryptSource${spec.zone.constructId}`,
          actions: ['kms:Decrypt'],
          resources: [sourceKey.keyArn],
          conditions: {
            StringEquals: { 'kms:ViaService': `s3.${env.region}.amazonaws.com` },
            StringLike: { 'kms:EncryptionContext:aws:s3:arn': [source.bucketArn, source.arnForObjects('*')] },
          },
        }),
        new iam.PolicyStatement({
          sid: `EncryptReplica${spec.zone.constructId}`,
          actions: ['kms:Encrypt', 'kms:GenerateDataKey'],
          resources: [`arn:${stack.partition}:kms:${replication.region}:${env.account}:key/*`],
          conditions: {
            'ForAnyValue:StringEquals': { 'kms:ResourceAliases': spec.keyAlias },
            'StringEquals': { 'kms:ViaService': `s3.${replication.region}.amazonaws.com` },
            'StringLike': { 'kms:EncryptionContext:aws:s3:arn': [replicaArn, `${replicaArn}/*`] },
          },
        }),
      );
      const cfn = source.node.defaultChild as s3.CfnBucket;
      cfn.replicationConfiguration = {
        role: role.roleArn,
        rules: [{
          id: `in-zone-dr-${spec.zone.id}-to-${replication.region}`,
          priority: 0,
          status: 'Enabled',
          filter: { prefix: '' },
          // Erasure requests (user deletes) reach the replica; lifecycle deletes never replicate,
          // so the replica carries the same lifecycle rules.
          deleteMarkerReplication: { status: 'Enabled' },
          sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: 'Enabled' } },
          destination: {
            bucket: replicaArn,
            encryptionConfiguration: { replicaKmsKeyId: `arn:${stack.partition}:kms:${replication.region}:${env.account}:${spec.keyAlias}` },
          },
        }],
      };
      this.declareReplication(source, spec, replicaArn, role, replication.region);
    }
    const policy = new iam.ManagedPolicy(this, 'ReplicationPolicy', {
      description: `Least privilege for S3 replication of ${env.name} lake zones to ${replication.region}`,
      roles: [role],
      statements,
    });
    acknowledgeFinding(policy, ...this.replicationPolicyAcknowledgments(replication));
    return role.withoutPolicyUpdates();
  }

  /**
   * What S3 does with the replication role for one bucket: read the configuration and each new
   * version, decrypt it with the source key, encrypt it with the replica key (named by alias in
   * the replica region) and write it. With S3 Bucket Keys the encryption context is the bucket.
   * https://docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html
   * https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html
   */
  private declareReplication(source: s3.Bucket, spec: ReplicaBucketSpec, replicaArn: string, role: iam.IRole, replicaRegion: string): void {
    const env = this.foundation.environment;
    const version = source.arnForObjects('tenant=acme/2026/01/01/document.json');
    const replicaObject = `${replicaArn}/tenant=acme/2026/01/01/document.json`;
    declareServiceOperations(source, {
      description: `S3 replicates the ${spec.zone} zone to ${replicaRegion} with the replication role`,
      docs: ['https://docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html', 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html'],
      caller: ServiceCaller.role('s3.amazonaws.com', role),
      assumeRoleContext: { 'aws:SourceAccount': env.account },
      calls: [
        { action: 's3:GetReplicationConfiguration', resource: source.bucketArn },
        { action: 's3:ListBucket', resource: source.bucketArn },
        { action: 's3:GetObjectVersionForReplication', resource: version, kms: { actions: ['kms:Decrypt'], viaService: 's3', encryptionContext: { 'aws:s3:arn': source.bucketArn } } },
        ...['s3:GetObjectVersionAcl', 's3:GetObjectVersionTagging', ...(spec.objectLock ? ['s3:GetObjectRetention', 's3:GetObjectLegalHold'] : [])]
          .map((action) => ({ action, resource: version })),
        {
          action: 's3:ReplicateObject',
          resource: replicaObject,
          kms: { actions: ['kms:Encrypt', 'kms:GenerateDataKey'], viaService: 's3', keyArn: `arn:aws:kms:${replicaRegion}:${env.account}:${spec.keyAlias}`, encryptionContext: { 'aws:s3:arn': replicaArn } },
        },
        { action: 's3:ReplicateDelete', resource: replicaObject },
        { action: 's3:ReplicateTags', resource: replicaObject },
      ],
    });
  }

  private replicationPolicyAcknowledgments(replication: LakeReplication): Array<{ id: string; reason: string }> {
    const env = replication.environment;
    const stack = Stack.of(this);
    // cdk-nag names resources as resolved: the partition is a literal once the region is known.
    const partition = Token.isUnresolved(stack.partition) ? '<AWS::Partition>' : stack.partition;
    const acks: Array<{ id: string; reason: string }> = [];
    for (const spec of replication.buckets) {
      const source = this.buckets.get(spec.zone)!;
      acks.push({
        id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(source.node.defaultChild as s3.CfnBucket)}.Arn>/*]`,
        reason: `S3 replication reads every object version of the ${spec.zone} bucket; the object wildcard is confined to that one bucket and to read-for-replication actions.`,
      });
      acks.push({
        id: `AwsSolutions-IAM5[Resource::arn:${partition}:s3:::${spec.bucketName}/*]`,
        reason: `S3 replication writes every object version into the ${spec.zone} replica bucket in ${replication.region}; the wildcard is confined to that one bucket and to replicate actions.`,
      });
    }
    acks.push({
      id: `AwsSolutions-IAM5[Resource::arn:${partition}:kms:${replication.region}:${env.account}:key/*]`,
      reason: `The replica keys live in the ${replication.region} replica stack, whose key ids no cross-region reference can carry; kms:ResourceAliases pins each statement to the paved-road replica key alias and kms:ViaService to S3 in ${replication.region}.`,
    });
    return acks;
  }

  private createCatalog(): { databases: Map<LakeZone, glue.CfnDatabase>; table: glue.CfnTable } {
    const env = this.foundation.environment;
    const account = env.account;
    const databases = new Map<LakeZone, glue.CfnDatabase>();
    for (const zone of LakeZone.all()) {
      const bucket = this.buckets.get(zone)!;
      databases.set(zone, new glue.CfnDatabase(this, `Catalog${zone.constructId}`, {
        catalogId: account,
        databaseInput: {
          name: `${env.name.replace(/-/g, '_')}_${zone.catalogName}`,
          description: `paved-road ${env.name} lake zone ${zone} (data class ${this.dataClasses.get(zone)}), residency zone ${env.zone}`,
          locationUri: `s3://${bucket.bucketName}/`,
        },
      }));
    }
    const curated = databases.get(LakeZone.CURATED)!;
    const table = new glue.CfnTable(this, 'DocumentCorpusTable', {
      catalogId: account,
      databaseName: curated.ref,
      tableInput: {
        name: DOCUMENT_CORPUS_CONTRACT.tableName,
        description: 'Data contract of the document corpus that retrieval ingests (one row per document version)',
        tableType: 'EXTERNAL_TABLE',
        parameters: {
          'classification': 'parquet',
          'paved-road:contract': DOCUMENT_CORPUS_CONTRACT.tableName,
          'paved-road:contract-version': DOCUMENT_CORPUS_CONTRACT.version,
          'paved-road:data-class': this.dataClasses.get(LakeZone.CURATED)!.id,
        },
        storageDescriptor: {
          location: `s3://${this.curated.bucketName}/${DOCUMENT_CORPUS_CONTRACT.prefix}`,
          inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
          serdeInfo: { serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
          columns: DOCUMENT_CORPUS_CONTRACT.columns.map((c) => ({ name: c.name, type: c.type, comment: c.comment })),
        },
      },
    });
    return { databases, table };
  }
}
