import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import {
  bindEnvironment, DataClass, DataLake, DataLakeReplicaStack, Foundation, LakeZone, type LakeReplication, PrefixRule, resolveEnvironment, ResidencyZone, Stage,
} from '../../lib';
import { testApp } from '../support/app';

describe('DataLakeReplicaStack', () => {
  let replica: DataLakeReplicaStack;
  let template: Template;
  let replication: LakeReplication;

  beforeAll(() => {
    const app = testApp();
    const environment = resolveEnvironment({ name: 'in-prod', account: '333333333333', region: 'ap-south-1', zone: ResidencyZone.IN, stage: Stage.PROD });
    const stack = new Stack(app, 'Platform', { env: { account: environment.account, region: environment.region } });
    bindEnvironment(stack, environment);
    const lake = new DataLake(stack, 'DataLake', {
      foundation: new Foundation(stack, 'Foundation', { environment }),
      prefixRules: [PrefixRule.stagedUploads({ zone: LakeZone.CURATED, prefix: 'exports/', expireAfterDays: 3 })],
    });
    replication = lake.replication!;
    replica = new DataLakeReplicaStack(app, 'LakeReplica', { replication });
    stack.addStackDependency(replica);
    template = Template.fromStack(replica);
  });

  function replicaBucket(zone: LakeZone): Record<string, any> {
    return template.toJSON().Resources[replica.getLogicalId(replica.replicaBuckets.get(zone)!.node.defaultChild as any)];
  }

  it('deploys into the in-zone DR partner region of the source environment', () => {
    expect(replica.region).toBe('ap-south-2');
    expect(replica.account).toBe('333333333333');
    expect(replica.terminationProtection).toBe(true);
  });

  it('names each replica bucket deterministically from environment, zone, account and region', () => {
    expect([...replica.replicaBuckets.keys()]).toEqual([LakeZone.CURATED, LakeZone.MODEL_ARTIFACTS, LakeZone.AUDIT]);
    for (const zone of replica.replicaBuckets.keys()) {
      expect(replicaBucket(zone).Properties.BucketName).toBe(`in-prod-lake-${zone.id}-333333333333-ap-south-2`);
    }
  });

  it('encrypts each replica with a rotating single-region key of the replica region, found by alias', () => {
    template.resourceCountIs('AWS::KMS::Key', 2);
    template.allResourcesProperties('AWS::KMS::Key', { EnableKeyRotation: true, MultiRegion: false });
    for (const dataClass of [DataClass.PERSONAL, DataClass.CONFIDENTIAL]) {
      template.hasResourceProperties('AWS::KMS::Alias', {
        AliasName: `alias/paved-road/in-prod/lake-replica/${dataClass.id}`,
        TargetKeyId: replica.resolve(replica.replicaKeys.get(dataClass)!.keyArn),
      });
    }
    expect(replicaBucket(LakeZone.CURATED).Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault).toEqual({
      SSEAlgorithm: 'aws:kms', KMSMasterKeyID: replica.resolve(replica.replicaKeys.get(DataClass.PERSONAL)!.keyArn),
    });
  });

  it('gives replicas their own lifecycle, because lifecycle deletes in the source are not replicated', () => {
    const rules = replicaBucket(LakeZone.CURATED).Properties.LifecycleConfiguration.Rules;
    expect(rules).toEqual([
      expect.objectContaining({ Id: 'retention-personal-dpdp', ExpirationInDays: 365, NoncurrentVersionExpiration: { NoncurrentDays: 30 } }),
      { Id: 'cleanup-multipart-and-delete-markers', Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 }, ExpiredObjectDeleteMarker: true },
      expect.objectContaining({ Id: 'prefix-1-staged-uploads', Prefix: 'exports/', ExpirationInDays: 3 }),
    ]);
    expect(replicaBucket(LakeZone.MODEL_ARTIFACTS).Properties.LifecycleConfiguration.Rules[0]).toMatchObject({ NoncurrentVersionExpiration: { NoncurrentDays: 90 } });
  });

  it('locks only the audit replica, in the source\'s mode and days', () => {
    expect(replicaBucket(LakeZone.AUDIT).Properties.ObjectLockConfiguration).toEqual({ ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 365 } } });
    expect(replicaBucket(LakeZone.CURATED).Properties.ObjectLockConfiguration).toBeUndefined();
    expect(replicaBucket(LakeZone.MODEL_ARTIFACTS).Properties.ObjectLockConfiguration).toBeUndefined();
  });

  it('logs replica access to the replica region\'s own access-log bucket, and secures every bucket', () => {
    const logBucket = replica.resolve((replica.accessLogBucket.node.defaultChild as any).ref);
    for (const zone of replica.replicaBuckets.keys()) {
      expect(replicaBucket(zone).Properties).toMatchObject({
        LoggingConfiguration: { DestinationBucketName: logBucket, LogFilePrefix: `data-lake/${zone.id}/` },
        VersioningConfiguration: { Status: 'Enabled' },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      });
      expect([replicaBucket(zone).DeletionPolicy, replicaBucket(zone).UpdateReplacePolicy]).toEqual(['RetainExceptOnCreate', 'Retain']);
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: replica.resolve((replica.replicaBuckets.get(zone)!.node.defaultChild as any).ref),
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } })]) },
      });
    }
  });

  it('refuses a replication spec whose region lies outside the residency zone', () => {
    expect(() => new DataLakeReplicaStack(testApp(), 'Bad', { replication: { ...replication, region: 'ap-southeast-1' } })).toThrow(
      'in-prod: data lake replica region ap-southeast-1 is outside residency zone IN (allowed: ap-south-1, ap-south-2)',
    );
  });
});

describe('A replicating DataLake without the stack that creates its replica buckets', () => {
  function prodLake(): { app: ReturnType<typeof testApp>; stack: Stack; lake: DataLake } {
    const app = testApp();
    const environment = resolveEnvironment({ name: 'in-prod', account: '333333333333', region: 'ap-south-1', zone: ResidencyZone.IN, stage: Stage.PROD });
    const stack = new Stack(app, 'Platform', { env: { account: environment.account, region: environment.region } });
    bindEnvironment(stack, environment);
    const lake = new DataLake(stack, 'DataLake', { foundation: new Foundation(stack, 'Foundation', { environment }) });
    return { app, stack, lake };
  }

  it('stops synthesis with an error that names the missing DataLakeReplicaStack and how to add it', () => {
    const { app } = prodLake();
    expect(() => app.synth()).toThrow(/Platform\/DataLake: replicates to ap-south-2, but no DataLakeReplicaStack creates its replica buckets; add new DataLakeReplicaStack\(stage, 'LakeReplica'/);
  });

  it('stops synthesis when the replica stack exists but the lake does not deploy after it', () => {
    const { app, lake } = prodLake();
    new DataLakeReplicaStack(app, 'LakeReplica', { replication: lake.replication! });
    expect(() => app.synth()).toThrow(/Platform\/DataLake: its replica stack LakeReplica must deploy first; add .*Platform\.addStackDependency\(replicaStack\)/);
  });

  it('synthesizes without errors once the replica stack exists and deploys first', () => {
    const { app, stack, lake } = prodLake();
    stack.addStackDependency(new DataLakeReplicaStack(app, 'LakeReplica', { replication: lake.replication! }));
    expect(() => app.synth()).not.toThrow();
  });
});
