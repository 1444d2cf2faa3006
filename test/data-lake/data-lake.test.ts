import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import {
  bindEnvironment, DataClass, DataLake, type DataLakeProps, DataLakeReplicaStack, type EnvironmentSpec, Foundation, LakeRetention, LakeZone, PlatformStage,
  PrefixRule, resolveEnvironment, ResidencyZone, Stage,
} from '../../lib';
import { testApp } from '../support/app';

const EU_PROD: EnvironmentSpec = { name: 'eu-prod', account: '111111111111', region: 'eu-central-1', zone: ResidencyZone.EU, stage: Stage.PROD };
const EU_DEV: EnvironmentSpec = { name: 'eu-dev', account: '222222222222', region: 'eu-west-1', zone: ResidencyZone.EU, stage: Stage.DEV };
const IN_PROD: EnvironmentSpec = { name: 'in-prod', account: '333333333333', region: 'ap-south-1', zone: ResidencyZone.IN, stage: Stage.PROD };
const US_PROD: EnvironmentSpec = { name: 'us-prod', account: '444444444444', region: 'us-east-1', zone: ResidencyZone.US, stage: Stage.PROD };
const JUSTIFICATION = 'Tax law (HGB s. 257) requires invoices naming customers to be kept for ten years; access is limited to the finance role.';

interface Built {
  readonly stack: Stack;
  readonly foundation: Foundation;
  readonly lake: DataLake;
  readonly template: Template;
}

function build(spec: EnvironmentSpec, props: Omit<DataLakeProps, 'foundation'> = {}, extend: (stack: Stack, lake: DataLake) => void = () => undefined): Built {
  const app = testApp();
  const environment = resolveEnvironment(spec);
  const stack = new Stack(app, 'Lake', { env: { account: environment.account, region: environment.region } });
  bindEnvironment(stack, environment);
  const foundation = new Foundation(stack, 'Foundation', { environment });
  const lake = new DataLake(stack, 'DataLake', { foundation, ...props });
  extend(stack, lake);
  if (lake.replication) stack.addStackDependency(new DataLakeReplicaStack(app, 'LakeReplica', { replication: lake.replication }));
  return { stack, foundation, lake, template: Template.fromStack(stack) };
}

/** The synthesized properties of a zone's bucket. */
function bucketProps(built: Built, zone: LakeZone): Record<string, any> {
  const id = built.stack.getLogicalId(built.lake.bucket(zone).node.defaultChild as any);
  return built.template.toJSON().Resources[id];
}

function rule(built: Built, zone: LakeZone, idPattern: RegExp): Record<string, any> {
  const rules: Array<Record<string, any>> = bucketProps(built, zone).Properties.LifecycleConfiguration.Rules;
  const found = rules.find((r) => idPattern.test(r.Id));
  if (!found) throw new Error(`no rule ${idPattern} in ${rules.map((r) => r.Id).join(', ')}`);
  return found;
}

describe('DataLake in a production GDPR environment', () => {
  let prod: Built;
  beforeAll(() => {
    prod = build(EU_PROD, {
      prefixRules: [
        PrefixRule.images({ zone: LakeZone.RAW, prefix: 'images/' }),
        PrefixRule.logs({ zone: LakeZone.INFERENCE_CAPTURE, prefix: 'logs/' }),
      ],
    });
  });

  it('creates one bucket per zone, each encrypted with the Foundation key of its data class', () => {
    prod.template.resourceCountIs('AWS::S3::Bucket', LakeZone.all().length + 1);
    for (const zone of LakeZone.all()) {
      const props = bucketProps(prod, zone).Properties;
      expect(props.BucketEncryption.ServerSideEncryptionConfiguration[0]).toEqual({
        BucketKeyEnabled: true,
        ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: prod.stack.resolve(prod.foundation.keyFor(zone.defaultDataClass).keyArn) },
      });
    }
    expect(prod.lake.dataClassOf(LakeZone.CURATED)).toBe(DataClass.PERSONAL);
    expect(prod.lake.dataClassOf(LakeZone.MODEL_ARTIFACTS)).toBe(DataClass.CONFIDENTIAL);
  });

  it('versions, blocks public access, disables ACLs, logs access per zone prefix, notifies EventBridge and retains every bucket', () => {
    const accessLogs = prod.stack.resolve((prod.foundation.accessLogBucket.node.defaultChild as any).ref);
    for (const zone of LakeZone.all()) {
      const resource = bucketProps(prod, zone);
      expect([resource.DeletionPolicy, resource.UpdateReplacePolicy]).toEqual(['RetainExceptOnCreate', 'Retain']);
      expect(resource.Properties).toMatchObject({
        VersioningConfiguration: { Status: 'Enabled' },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LoggingConfiguration: { DestinationBucketName: accessLogs, LogFilePrefix: `data-lake/${zone.id}/` },
        NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
      });
    }
  });

  it('denies requests without TLS and with TLS older than 1.2 on every bucket', () => {
    for (const zone of LakeZone.all()) {
      const bucketRef = prod.stack.resolve((prod.lake.bucket(zone).node.defaultChild as any).ref);
      prod.template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: bucketRef,
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
          ]),
        },
      });
    }
  });

  it('expires personal zones after 365 days and their noncurrent versions after 30', () => {
    for (const zone of [LakeZone.RAW, LakeZone.CURATED, LakeZone.EMBEDDINGS, LakeZone.INFERENCE_CAPTURE]) {
      expect(rule(prod, zone, /^retention-/)).toMatchObject({ Id: 'retention-personal-gdpr', Status: 'Enabled', ExpirationInDays: 365, NoncurrentVersionExpiration: { NoncurrentDays: 30 } });
    }
  });

  it('moves the curated zone no colder than Glacier Instant Retrieval, where Athena still reads it', () => {
    expect(rule(prod, LakeZone.CURATED, /^retention-/).Transitions).toEqual([
      { StorageClass: 'STANDARD_IA', TransitionInDays: 30 },
      { StorageClass: 'GLACIER_IR', TransitionInDays: 90 },
    ]);
    expect(rule(prod, LakeZone.RAW, /^retention-/).Transitions).toEqual([
      { StorageClass: 'STANDARD_IA', TransitionInDays: 30 },
      { StorageClass: 'GLACIER_IR', TransitionInDays: 90 },
      { StorageClass: 'DEEP_ARCHIVE', TransitionInDays: 180 },
    ]);
  });

  it('keeps model artifacts (confidential) but tiers them and expires old versions after 90 days', () => {
    const retention = rule(prod, LakeZone.MODEL_ARTIFACTS, /^retention-/);
    expect(retention.Id).toBe('retention-confidential-gdpr');
    expect(retention.ExpirationInDays).toBeUndefined();
    expect(retention.NoncurrentVersionExpiration).toEqual({ NoncurrentDays: 90 });
    expect(retention.Transitions.map((t: any) => t.StorageClass)).toEqual(['STANDARD_IA', 'GLACIER_IR']);
  });

  it('aborts incomplete multipart uploads after 7 days and removes expired delete markers in every zone', () => {
    for (const zone of LakeZone.all()) {
      expect(rule(prod, zone, /^cleanup-/)).toEqual({
        Id: 'cleanup-multipart-and-delete-markers', Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 }, ExpiredObjectDeleteMarker: true,
      });
    }
  });

  it('expires staged uploads in the raw zone after 7 days by default', () => {
    expect(rule(prod, LakeZone.RAW, /staged-uploads$/)).toMatchObject({ Prefix: 'staging/', ExpirationInDays: 7, NoncurrentVersionExpiration: { NoncurrentDays: 1 } });
  });

  it('applies product-team prefix rules: images tiered and expired per class, inference logs per regime', () => {
    expect(rule(prod, LakeZone.RAW, /images$/)).toMatchObject({
      Prefix: 'images/',
      ExpirationInDays: 365,
      Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 30 }, { StorageClass: 'GLACIER_IR', TransitionInDays: 90 }, { StorageClass: 'DEEP_ARCHIVE', TransitionInDays: 180 }],
    });
    expect(rule(prod, LakeZone.INFERENCE_CAPTURE, /logs$/)).toMatchObject({ Prefix: 'logs/', ExpirationInDays: 180 });
  });

  it('locks only the audit bucket, in COMPLIANCE mode for 365 days in production, and expires it then', () => {
    for (const zone of LakeZone.all().filter((z) => z !== LakeZone.AUDIT)) {
      expect(bucketProps(prod, zone).Properties.ObjectLockEnabled).not.toBe(true);
      expect(bucketProps(prod, zone).Properties.ObjectLockConfiguration).toBeUndefined();
    }
    expect(bucketProps(prod, LakeZone.AUDIT).Properties).toMatchObject({
      ObjectLockEnabled: true,
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 365 } } },
    });
    expect(rule(prod, LakeZone.AUDIT, /^retention-/)).toMatchObject({ ExpirationInDays: 365 });
  });

  it('records the retention of every bucket in the template metadata for auditors', () => {
    expect(bucketProps(prod, LakeZone.RAW).Metadata['paved-road:retention']).toMatchObject({
      lakeZone: 'raw', dataClass: 'personal', regime: 'GDPR', expirationDays: 365, noncurrentExpirationDays: 30,
      prefixes: [
        { prefix: 'staging/', kind: 'staged-uploads', dataClass: 'personal', expirationDays: 7 },
        { prefix: 'images/', kind: 'images', dataClass: 'personal', expirationDays: 365 },
      ],
    });
  });

  it('replicates curated, model-artifact and audit data to eu-west-1 with the replica-region key, and nothing else', () => {
    for (const zone of [LakeZone.CURATED, LakeZone.MODEL_ARTIFACTS, LakeZone.AUDIT]) {
      const replication = bucketProps(prod, zone).Properties.ReplicationConfiguration;
      const dataClass = zone.defaultDataClass.id;
      expect(replication.Role).toEqual(prod.stack.resolve(prod.lake.replicationRole!.roleArn));
      expect(replication.Rules).toEqual([{
        Id: `in-zone-dr-${zone.id}-to-eu-west-1`,
        Priority: 0,
        Status: 'Enabled',
        Filter: { Prefix: '' },
        DeleteMarkerReplication: { Status: 'Enabled' },
        SourceSelectionCriteria: { SseKmsEncryptedObjects: { Status: 'Enabled' } },
        Destination: {
          Bucket: `arn:aws:s3:::eu-prod-lake-${zone.id}-111111111111-eu-west-1`,
          EncryptionConfiguration: { ReplicaKmsKeyID: `arn:aws:kms:eu-west-1:111111111111:alias/paved-road/eu-prod/lake-replica/${dataClass}` },
        },
      }]);
    }
    for (const zone of [LakeZone.RAW, LakeZone.EMBEDDINGS, LakeZone.INFERENCE_CAPTURE]) {
      expect(bucketProps(prod, zone).Properties.ReplicationConfiguration).toBeUndefined();
    }
    expect(prod.lake.replication?.region).toBe('eu-west-1');
    expect(prod.lake.replication?.buckets.map((b) => b.bucketName)).toEqual([
      'eu-prod-lake-curated-111111111111-eu-west-1', 'eu-prod-lake-model-artifacts-111111111111-eu-west-1', 'eu-prod-lake-audit-111111111111-eu-west-1',
    ]);
  });

  it('lets only S3 of this account assume the replication role, through a managed policy', () => {
    prod.template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 's3.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': '111111111111' } } }] },
    });
    const roles = prod.template.findResources('AWS::IAM::Role', { Properties: { AssumeRolePolicyDocument: { Statement: [{ Principal: { Service: 's3.amazonaws.com' } }] } } });
    expect(Object.values(roles).map((r: any) => r.Properties.Policies)).toEqual([undefined]);
    prod.template.resourcePropertiesCountIs('AWS::IAM::Policy', { Roles: [prod.stack.resolve((prod.lake.replicationRole as any).roleName)] }, 0);
  });

  it('scopes the replication policy to the source buckets, the replica buckets and the replica key alias', () => {
    const curatedArn = prod.stack.resolve(prod.lake.curated.bucketArn);
    prod.template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [prod.stack.resolve((prod.lake.replicationRole as any).roleName)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Sid: 'ReadReplicationConfigCurated', Effect: 'Allow', Action: ['s3:GetReplicationConfiguration', 's3:ListBucket'], Resource: curatedArn },
          { Sid: 'WriteReplicaCurated', Effect: 'Allow', Action: ['s3:ReplicateDelete', 's3:ReplicateObject', 's3:ReplicateTags'], Resource: 'arn:aws:s3:::eu-prod-lake-curated-111111111111-eu-west-1/*' },
          Match.objectLike({
            Sid: 'DecryptSourceCurated',
            Action: 'kms:Decrypt',
            Resource: prod.stack.resolve(prod.foundation.keyFor(DataClass.PERSONAL).keyArn),
            Condition: Match.objectLike({ StringEquals: { 'kms:ViaService': 's3.eu-central-1.amazonaws.com' } }),
          }),
          {
            Sid: 'EncryptReplicaCurated',
            Effect: 'Allow',
            Action: ['kms:Encrypt', 'kms:GenerateDataKey'],
            Resource: 'arn:aws:kms:eu-west-1:111111111111:key/*',
            Condition: {
              'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/paved-road/eu-prod/lake-replica/personal' },
              'StringEquals': { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' },
              'StringLike': { 'kms:EncryptionContext:aws:s3:arn': ['arn:aws:s3:::eu-prod-lake-curated-111111111111-eu-west-1', 'arn:aws:s3:::eu-prod-lake-curated-111111111111-eu-west-1/*'] },
            },
          },
          Match.objectLike({
            Sid: 'ReadSourceVersionsAudit',
            Action: ['s3:GetObjectLegalHold', 's3:GetObjectRetention', 's3:GetObjectVersionAcl', 's3:GetObjectVersionForReplication', 's3:GetObjectVersionTagging'],
          }),
        ]),
      },
    });
  });

  it('catalogs every zone in its own Glue database', () => {
    for (const zone of LakeZone.all()) {
      prod.template.hasResourceProperties('AWS::Glue::Database', {
        CatalogId: '111111111111',
        DatabaseInput: { Name: `eu_prod_${zone.id.replace('-', '_')}`, LocationUri: Match.anyValue() },
      });
    }
  });

  it('publishes the document-corpus contract as a Parquet table over the curated zone', () => {
    prod.template.hasResourceProperties('AWS::Glue::Table', {
      DatabaseName: prod.stack.resolve(prod.lake.databases.get(LakeZone.CURATED)!.ref),
      TableInput: {
        Name: 'document_corpus',
        TableType: 'EXTERNAL_TABLE',
        Parameters: Match.objectLike({ 'classification': 'parquet', 'paved-road:contract-version': '1', 'paved-road:data-class': 'personal' }),
        StorageDescriptor: {
          Location: { 'Fn::Join': ['', ['s3://', prod.stack.resolve(prod.lake.curated.bucketName), '/contracts/document-corpus/']] },
          Columns: ['doc_id', 'tenant_id', 'source_uri', 'data_class', 'language', 'checksum', 'ingested_at'].map((name) => Match.objectLike({ Name: name })),
          SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
        },
      },
    });
  });

  it('returns the same bucket from the typed accessor and the named getter', () => {
    expect(prod.lake.bucket(LakeZone.CURATED)).toBe(prod.lake.curated);
    expect(prod.lake.bucket(LakeZone.RAW)).toBe(prod.lake.raw);
    expect(prod.lake.bucket(LakeZone.EMBEDDINGS)).toBe(prod.lake.embeddings);
    expect(prod.lake.bucket(LakeZone.MODEL_ARTIFACTS)).toBe(prod.lake.modelArtifacts);
    expect(prod.lake.bucket(LakeZone.INFERENCE_CAPTURE)).toBe(prod.lake.inferenceCapture);
    expect(prod.lake.bucket(LakeZone.AUDIT)).toBe(prod.lake.audit);
  });
});

describe('DataLake grants', () => {
  let built: Built;
  let reader: iam.Role;
  let auditor: iam.Role;
  beforeAll(() => {
    built = build(EU_DEV, {}, (stack, lake) => {
      reader = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      auditor = new iam.Role(stack, 'AuditWriter', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      lake.grantRead(LakeZone.CURATED, reader);
      lake.grantWrite(LakeZone.EMBEDDINGS, reader, 'tenant-a/*');
      lake.grantWrite(LakeZone.AUDIT, auditor);
    });
  });

  function statementsOf(role: iam.Role): any[] {
    const policies = built.template.findResources('AWS::IAM::Policy', { Properties: { Roles: [built.stack.resolve(role.roleName)] } });
    return Object.values(policies).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
  }

  it('grants read on one zone with decrypt on that zone\'s key only', () => {
    const statements = statementsOf(reader);
    expect(statements).toContainEqual(expect.objectContaining({
      Action: expect.arrayContaining(['s3:GetObject*', 's3:List*']),
      Resource: [built.stack.resolve(built.lake.curated.bucketArn), { 'Fn::Join': ['', [built.stack.resolve(built.lake.curated.bucketArn), '/*']] }],
    }));
    expect(statements).toContainEqual(expect.objectContaining({ Action: expect.arrayContaining(['kms:Decrypt']), Resource: built.stack.resolve(built.foundation.keyFor(DataClass.PERSONAL).keyArn) }));
    const keyResources = statements.filter((s) => [s.Action].flat().some((a: string) => a.startsWith('kms:'))).map((s) => s.Resource);
    expect(keyResources).toEqual([built.stack.resolve(built.foundation.keyFor(DataClass.PERSONAL).keyArn)]);
  });

  it('scopes writes to the given key pattern', () => {
    expect(statementsOf(reader)).toContainEqual(expect.objectContaining({
      Action: expect.arrayContaining(['s3:PutObject', 's3:DeleteObject*']),
      Resource: expect.arrayContaining([{ 'Fn::Join': ['', [built.stack.resolve(built.lake.embeddings.bucketArn), '/tenant-a/*']] }]),
    }));
  });

  it('keeps the audit zone append-only: put, never delete or change retention', () => {
    const statements = statementsOf(auditor);
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(statements).toContainEqual({ Effect: 'Allow', Action: ['s3:AbortMultipartUpload', 's3:PutObject'], Resource: { 'Fn::Join': ['', [built.stack.resolve(built.lake.audit.bucketArn), '/*']] } });
    expect(actions).toEqual(expect.arrayContaining(['kms:Encrypt', 'kms:GenerateDataKey*']));
    expect(actions.filter((a: string) => /Delete|Retention|LegalHold|BypassGovernance/.test(a))).toEqual([]);
  });
});

describe('DataLake across stages and regimes', () => {
  it('does not replicate in dev and locks the audit bucket in GOVERNANCE mode', () => {
    const dev = build(EU_DEV);
    expect(dev.lake.replication).toBeUndefined();
    expect(dev.lake.replicationRole).toBeUndefined();
    for (const zone of LakeZone.all()) expect(bucketProps(dev, zone).Properties.ReplicationConfiguration).toBeUndefined();
    expect(bucketProps(dev, LakeZone.AUDIT).Properties.ObjectLockConfiguration.Rule.DefaultRetention).toEqual({ Mode: 'GOVERNANCE', Days: 365 });
  });

  it.each([
    { spec: IN_PROD, regime: 'dpdp', personalDays: 365, sensitiveDays: 365, partner: 'ap-south-2' },
    { spec: US_PROD, regime: 'us', personalDays: 730, sensitiveDays: 365, partner: 'us-west-2' },
  ])('applies the $regime regime in $spec.name: personal $personalDays days, sensitive $sensitiveDays days, replicas in $partner', ({ spec, regime, personalDays, sensitiveDays, partner }) => {
    const built = build(spec, { zoneSettings: [{ zone: LakeZone.EMBEDDINGS, dataClass: DataClass.SENSITIVE_PERSONAL }] });
    expect(rule(built, LakeZone.CURATED, /^retention-/)).toMatchObject({ Id: `retention-personal-${regime}`, ExpirationInDays: personalDays });
    expect(rule(built, LakeZone.EMBEDDINGS, /^retention-/)).toMatchObject({ Id: `retention-sensitive-personal-${regime}`, ExpirationInDays: sensitiveDays });
    expect(built.lake.replication?.region).toBe(partner);
  });

  it('tiers and expires face images with the sensitive-personal key and days when the raw zone is classed so', () => {
    const built = build(EU_DEV, {
      zoneSettings: [{ zone: LakeZone.RAW, dataClass: DataClass.SENSITIVE_PERSONAL }],
      prefixRules: [PrefixRule.images({ zone: LakeZone.RAW, prefix: 'images/faces/' })],
    });
    expect(bucketProps(built, LakeZone.RAW).Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.KMSMasterKeyID)
      .toEqual(built.stack.resolve(built.foundation.keyFor(DataClass.SENSITIVE_PERSONAL).keyArn));
    expect(rule(built, LakeZone.RAW, /images$/)).toMatchObject({ Prefix: 'images/faces/', ExpirationInDays: 90, Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 30 }] });
  });

  it('refuses face images in a zone whose key is only for personal data', () => {
    expect(() => build(EU_DEV, { prefixRules: [PrefixRule.images({ zone: LakeZone.RAW, prefix: 'images/faces/', dataClass: DataClass.SENSITIVE_PERSONAL })] })).toThrow(
      "eu-dev: data lake Lake/DataLake: prefix rule 'images/faces/' of zone raw: data class sensitive-personal is more sensitive than the zone's class personal, whose KMS key encrypts the bucket; store it in a zone of class sensitive-personal or raise the zone's dataClass",
    );
  });

  it('records a retention justification in the bucket metadata', () => {
    const built = build(EU_DEV, { zoneSettings: [{ zone: LakeZone.CURATED, retention: LakeRetention.keepIndefinitely(), retentionJustification: JUSTIFICATION }] });
    const resource = bucketProps(built, LakeZone.CURATED);
    expect(resource.Metadata['paved-road:retention-justifications']).toEqual([
      { scope: 'zone curated', dataClass: 'personal', retention: 'keep indefinitely', tableDefault: '365 days', justification: JUSTIFICATION },
    ]);
    expect(rule(built, LakeZone.CURATED, /^retention-/).ExpirationInDays).toBeUndefined();
  });

  it('honours a longer audit retention', () => {
    const built = build(EU_DEV, { auditRetentionDays: 2555 });
    expect(bucketProps(built, LakeZone.AUDIT).Properties.ObjectLockConfiguration.Rule.DefaultRetention.Days).toBe(2555);
    expect(rule(built, LakeZone.AUDIT, /^retention-/).ExpirationInDays).toBe(2555);
  });
});

describe('DataLake refusals', () => {
  it('refuses personal data without expiry unless justified', () => {
    expect(() => build(EU_DEV, { zoneSettings: [{ zone: LakeZone.RAW, retention: LakeRetention.keepIndefinitely() }] })).toThrow(
      'eu-dev: data lake Lake/DataLake: zone raw holds personal data and keeps it without expiry; shorten the retention or set retentionJustification naming the legal basis (it is recorded in the template metadata for auditors)',
    );
  });

  it('refuses a personal prefix rule kept longer than the table', () => {
    expect(() => build(EU_DEV, {
      zoneSettings: [{ zone: LakeZone.MODEL_ARTIFACTS, dataClass: DataClass.PERSONAL, retention: LakeRetention.keepIndefinitely(), retentionJustification: JUSTIFICATION }],
      prefixRules: [PrefixRule.custom({ zone: LakeZone.MODEL_ARTIFACTS, prefix: 'eval/', dataClass: DataClass.PERSONAL, retention: LakeRetention.expireAfterDays(900) })],
    })).toThrow(/zone model-artifacts prefix 'eval\/' holds personal data and keeps it for 900 days, longer than the GDPR default of 365 days/);
  });

  it('refuses a replication destination outside the residency zone, naming the zone and its regions', () => {
    expect(() => build(EU_PROD, { replicaRegion: 'us-east-1' })).toThrow(
      /^eu-prod: data lake Lake\/DataLake: replication destination: region us-east-1 is outside residency zone EU \(allowed: eu-central-1, eu-west-1, .*\)$/,
    );
    expect(() => build(IN_PROD, { replicaRegion: 'ap-southeast-1' })).toThrow('in-prod: data lake Lake/DataLake: replication destination: region ap-southeast-1 is outside residency zone IN (allowed: ap-south-1, ap-south-2)');
  });

  it('refuses replication into the lake\'s own region and a replica region with replication off', () => {
    expect(() => build(EU_PROD, { replicaRegion: 'eu-central-1' })).toThrow(/replication destination eu-central-1 is the lake's own region; pick another region of zone EU \(eu-west-1, /);
    expect(() => build(EU_DEV, { replicaRegion: 'eu-central-1' })).toThrow(/replicaRegion eu-central-1 is set but replication is off for stage dev/);
  });

  it('refuses a production lake without replication and replicates a dev lake that asks for it', () => {
    expect(() => build(EU_PROD, { replication: false })).toThrow(/production lakes replicate curated, model-artifact and audit data inside residency zone EU; remove replication: false/);
    expect(build(EU_DEV, { replication: true }).lake.replication?.region).toBe('eu-central-1');
  });

  it('accepts another in-zone replica region', () => {
    expect(build(EU_PROD, { replicaRegion: 'eu-north-1' }).lake.replication?.region).toBe('eu-north-1');
  });

  it('refuses personal data in the audit zone and audit retention under a year', () => {
    expect(() => build(EU_DEV, { zoneSettings: [{ zone: LakeZone.AUDIT, dataClass: DataClass.PERSONAL }] })).toThrow(/the audit zone holds audit events only, never personal payloads/);
    expect(() => build(EU_DEV, { auditRetentionDays: 90 })).toThrow(/auditRetentionDays is 90; audit events must be kept at least 365 days/);
  });

  it('refuses the same zone twice in zoneSettings', () => {
    expect(() => build(EU_DEV, { zoneSettings: [{ zone: LakeZone.RAW }, { zone: LakeZone.RAW }] })).toThrow(/zoneSettings names zone raw twice/);
  });
});

describe('PlatformStage wiring', () => {
  it('gives every environment a data lake and production a replica stack in the DR region, deployed first', () => {
    const app = testApp();
    const prod = new PlatformStage(app, { environment: resolveEnvironment(EU_PROD) });
    const dev = new PlatformStage(app, { environment: resolveEnvironment(EU_DEV) });
    expect(prod.platform.dataLake).toBeInstanceOf(DataLake);
    expect(dev.platform.dataLake).toBeInstanceOf(DataLake);
    expect(prod.lakeReplica?.region).toBe('eu-west-1');
    expect(prod.lakeReplica?.stackName).toBe('paved-road-eu-prod-lake-replica');
    expect(prod.platform.dependencies).toContain(prod.lakeReplica);
    expect(dev.lakeReplica).toBeUndefined();
  });
});
