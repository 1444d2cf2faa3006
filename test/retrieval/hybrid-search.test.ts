import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { DESTROY_DEV_DATA_CONTEXT, DataClass, Foundation, OPERATIONS_METADATA_KEY, RegionCatalogue, type RegionInfo, ResidencyZone, Stage, bindEnvironment, resolveEnvironment } from '../../lib';
import { HybridFusion } from '../../lib/retrieval/hybrid-fusion';
import { HybridSearch, type HybridSearchProps } from '../../lib/retrieval/hybrid-search';
import { SearchInstanceType } from '../../lib/retrieval/sizing';
import * as opensearch from 'aws-cdk-lib/aws-opensearchservice';
import type { PavedRoadFunction } from '../../lib/serverless/paved-road-function';
import { testApp } from '../support/app';

const MODEL_ARN = 'arn:aws:bedrock:eu-central-1::foundation-model/amazon.titan-embed-text-v2:0';

interface Where {
  readonly region: string;
  readonly zone: ResidencyZone;
  readonly regionInfo?: RegionInfo;
}

function build(stage: Stage, props: Partial<HybridSearchProps> = {}, context: Record<string, unknown> = {}, where: Where = { region: 'eu-central-1', zone: ResidencyZone.EU }) {
  const app = testApp(context);
  const environment = resolveEnvironment({ name: `${where.zone.id.toLowerCase()}-${stage.id}`, account: '111111111111', stage, ...where });
  const stack = new Stack(app, 'Retrieval', { env: { account: environment.account, region: environment.region } });
  bindEnvironment(stack, environment);
  const foundation = new Foundation(stack, 'Foundation', { environment });
  const curatedBucket = s3.Bucket.fromBucketAttributes(stack, 'Curated', { bucketName: 'curated-bucket', encryptionKey: foundation.keyFor(DataClass.CONFIDENTIAL) });
  const search = new HybridSearch(stack, 'Search', { foundation, curatedBucket, ...props });
  const id = (construct: { node: { defaultChild?: unknown } } | undefined) => stack.getLogicalId(construct!.node.defaultChild as never);
  return { stack, search, foundation, template: Template.fromStack(stack), id };
}

type Built = ReturnType<typeof build>;
const setupOf = (built: Built) => built.search.node.findChild('SetupFunction') as PavedRoadFunction;

interface RecordedCall { action: string; resource: unknown; kms?: unknown }

function recordedOperations(built: Built, fn: PavedRoadFunction): string[] {
  const operations = built.template.toJSON().Resources[built.id(fn)].Metadata[OPERATIONS_METADATA_KEY] as Array<{ operation: string }>;
  return operations.map((o) => o.operation);
}

function recordedCalls(built: Built, fn: PavedRoadFunction): RecordedCall[] {
  const operations = built.template.toJSON().Resources[built.id(fn)].Metadata[OPERATIONS_METADATA_KEY] as Array<{ calls: RecordedCall[] }>;
  return operations.flatMap((o) => o.calls);
}

/** `<action> <resource>` for every es: grant of the function's role. */
function esGrants(built: Built, fn: PavedRoadFunction): string[] {
  const role = built.id(fn.role as never);
  return Object.values(built.template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: role }]))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>)
    .flatMap((st) => [st.Action].flat().filter((a) => a.startsWith('es:')).flatMap((action) => [st.Resource].flat().map((resource) => `${action} ${JSON.stringify(resource)}`)));
}

describe('HybridSearch in prod', () => {
  let prod: ReturnType<typeof build>;
  beforeAll(() => {
    prod = build(Stage.PROD);
  });

  it('runs the engine version the region catalogue records, across 3 zones with dedicated masters, sized from the workload', () => {
    prod.template.hasResourceProperties('AWS::OpenSearchService::Domain', {
      EngineVersion: RegionCatalogue.tryLookup('eu-central-1')!.openSearchEngine!.version,
      ClusterConfig: {
        InstanceType: 'm6g.large.search',
        InstanceCount: 3,
        ZoneAwarenessEnabled: true,
        ZoneAwarenessConfig: { AvailabilityZoneCount: 3 },
        DedicatedMasterEnabled: true,
        DedicatedMasterCount: 3,
        DedicatedMasterType: 'm6g.large.search',
      },
      EBSOptions: { EBSEnabled: true, VolumeType: 'gp3', VolumeSize: 10 },
    });
  });

  it('sets no snapshot hour: OpenSearch takes hourly automated snapshots and ignores it', () => {
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-opensearchservice-domain-snapshotoptions.html
    prod.template.hasResourceProperties('AWS::OpenSearchService::Domain', { SnapshotOptions: Match.absent() });
  });

  it('encrypts at rest with the CONFIDENTIAL key and in transit between nodes and to clients with TLS 1.2', () => {
    const keyId = prod.id(prod.foundation.keyFor(DataClass.CONFIDENTIAL));
    prod.template.hasResourceProperties('AWS::OpenSearchService::Domain', {
      EncryptionAtRestOptions: { Enabled: true, KmsKeyId: { Ref: keyId } },
      NodeToNodeEncryptionOptions: { Enabled: true },
      DomainEndpointOptions: { EnforceHTTPS: true, TLSSecurityPolicy: 'Policy-Min-TLS-1-2-2019-07' },
    });
  });

  it('uses fine-grained access control with the setup role as IAM master and no master password', () => {
    const setupRole = prod.stack.getLogicalId(prod.search.node.findChild('SetupFunction').node.findChild('ServiceRole').node.defaultChild as never);
    prod.template.hasResourceProperties('AWS::OpenSearchService::Domain', {
      AdvancedSecurityOptions: { Enabled: true, InternalUserDatabaseEnabled: false, MasterUserOptions: { MasterUserARN: { 'Fn::GetAtt': [setupRole, 'Arn'] }, MasterUserName: Match.absent(), MasterUserPassword: Match.absent() } },
    });
  });

  it('sits in the isolated subnets behind a security group that admits only the three functions on 443', () => {
    const domain = Object.values(prod.template.findResources('AWS::OpenSearchService::Domain'))[0];
    expect(domain.Properties.VPCOptions.SubnetIds).toHaveLength(3);
    expect(domain.Properties.VPCOptions.SecurityGroupIds).toEqual([{ 'Fn::GetAtt': [prod.id(prod.search.securityGroup), 'GroupId'] }]);
    const ingress = prod.template.findResources('AWS::EC2::SecurityGroupIngress', { Properties: { GroupId: { 'Fn::GetAtt': [prod.id(prod.search.securityGroup), 'GroupId'] } } });
    expect(Object.values(ingress).map((r) => [r.Properties.FromPort, r.Properties.ToPort, r.Properties.SourceSecurityGroupId !== undefined])).toEqual([[443, 443, true], [443, 443, true], [443, 443, true]]);
    prod.template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^OpenSearch domain'),
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '255.255.255.255/32' })],
    });
  });

  it('publishes slow, application and audit logs to log groups encrypted with the log key', () => {
    const domain = Object.values(prod.template.findResources('AWS::OpenSearchService::Domain'))[0];
    expect(Object.keys(domain.Properties.LogPublishingOptions).sort()).toEqual(['AUDIT_LOGS', 'ES_APPLICATION_LOGS', 'INDEX_SLOW_LOGS', 'SEARCH_SLOW_LOGS']);
    for (const option of Object.values<{ Enabled: boolean; CloudWatchLogsLogGroupArn: { 'Fn::GetAtt': [string, string] } }>(domain.Properties.LogPublishingOptions)) {
      expect(option.Enabled).toBe(true);
      const group = prod.template.toJSON().Resources[option.CloudWatchLogsLogGroupArn['Fn::GetAtt'][0]];
      expect(group.Properties).toEqual(expect.objectContaining({ RetentionInDays: 365, KmsKeyId: { 'Fn::GetAtt': [prod.id(prod.foundation.logKey), 'Arn'] } }));
    }
    const policies = Object.values(prod.template.findResources('AWS::Logs::ResourcePolicy'));
    expect(policies).toHaveLength(1);
    const document = JSON.stringify(policies[0].Properties.PolicyDocument);
    expect(document).toContain('\\"Principal\\":{\\"Service\\":\\"es.amazonaws.com\\"}');
    expect(document).toContain('\\"Condition\\":{\\"StringEquals\\":{\\"aws:SourceAccount\\":\\"111111111111\\"},\\"ArnLike\\":{\\"aws:SourceArn\\":\\"arn:aws:es:eu-central-1:111111111111:domain/rag-eu-prod\\"}}');
  });

  it('retains the domain and tells the setup function to keep the index on stack deletion', () => {
    prod.template.hasResource('AWS::OpenSearchService::Domain', { DeletionPolicy: 'RetainExceptOnCreate', UpdateReplacePolicy: 'Retain' });
    prod.template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ RETAIN_ON_DELETE: 'true', INDEX_NAME: 'chunks', PIPELINE_NAME: 'hybrid-search' }) } });
  });

  it('invokes the setup function directly, with the index and pipeline settings', () => {
    const frameworkHandlers = Object.values(prod.template.findResources('AWS::Lambda::Function')).filter((f) => f.Properties.Handler === 'framework.onEvent');
    expect(frameworkHandlers).toEqual([]);
    prod.template.hasResourceProperties('Custom::PavedRoadSearchSetup', {
      ServiceToken: { 'Fn::GetAtt': [prod.id(prod.search.node.findChild('SetupFunction')), 'Arn'] },
      IndexName: 'chunks', PipelineName: 'hybrid-search', Dimensions: '1024', Engine: 'lucene', HnswM: '16',
      Replicas: '1', Shards: '1', Fusion: 'normalization', LexicalWeight: '0.3', PipelineVersion: Match.stringLikeRegexp('^[0-9a-f]{12}$'),
    });
  });

  it('lets each function send only the HTTP methods and paths of its operations, in its role policy and in the domain access policy', () => {
    const domainArn = { 'Fn::GetAtt': [prod.stack.getLogicalId(prod.search.domain.node.defaultChild as never), 'Arn'] };
    const base = 'arn:aws:es:eu-central-1:111111111111:domain/rag-eu-prod';
    const security = ['roles/paved_road_retrieval', 'roles/paved_road_ingestion', 'rolesmapping/paved_road_retrieval', 'rolesmapping/paved_road_ingestion', 'audit/config'].map((p) => `/_plugins/_security/api/${p}`);
    const expected: Array<[PavedRoadFunction, string, string[]]> = [
      [setupOf(prod), 'es:ESHttpPut', [...security, '/chunks', '/chunks/_mapping', '/chunks/_settings', '/_search/pipeline/hybrid-search']],
      [setupOf(prod), 'es:ESHttpHead', ['/chunks']],
      [prod.search.retrievalFunction, 'es:ESHttpPost', ['/chunks/_search']],
      [prod.search.ingestionFunction, 'es:ESHttpPost', ['/chunks/_bulk', '/chunks/_delete_by_query']],
    ];
    const domain = Object.values(prod.template.findResources('AWS::OpenSearchService::Domain'))[0];
    expect(domain.Properties.AccessPolicies.Statement).toEqual(expected.map(([fn, action, paths]) => ({
      Effect: 'Allow', Principal: { AWS: { 'Fn::GetAtt': [prod.id(fn.role as never), 'Arn'] } }, Action: action, Resource: paths.map((path) => `${base}${path}`),
    })));
    for (const [fn, action, paths] of expected) {
      const granted = esGrants(prod, fn).filter((g) => g.startsWith(`${action} `));
      expect(granted.sort()).toEqual(paths.map((path) => `${action} ${JSON.stringify({ 'Fn::Join': ['', [domainArn, path]] })}`).sort());
    }
    expect(esGrants(prod, setupOf(prod)).some((g) => g.startsWith('es:ESHttpDelete'))).toBe(false);
  });

  it('grants the domain exactly the calls the functions\' operation contracts record', () => {
    for (const fn of [setupOf(prod), prod.search.retrievalFunction, prod.search.ingestionFunction]) {
      const contracted = recordedCalls(prod, fn).filter((call) => call.action.startsWith('es:')).map((call) => `${call.action} ${JSON.stringify(call.resource)}`);
      expect(contracted.sort()).toEqual(esGrants(prod, fn).sort());
    }
  });

  it('records the operations each function performs, resolved to this deployment', () => {
    expect(recordedOperations(prod, prod.search.retrievalFunction)).toEqual(['bedrock:InvokeModel', 'es:ESHttpPost']);
    expect(recordedOperations(prod, prod.search.ingestionFunction)).toEqual(['s3:GetObject', 'bedrock:InvokeModel', 'es:ESHttpPost', 'es:ESHttpPost']);
    expect(recordedOperations(prod, setupOf(prod))).toEqual(['es:ESHttpPut', 'es:ESHttpPut', 'es:ESHttpPut', 'es:ESHttpHead', 'es:ESHttpPut', 'es:ESHttpPut', 'es:ESHttpPut', 'es:ESHttpPut', 'es:ESHttpDelete', 'es:ESHttpDelete']);
    expect(recordedCalls(prod, prod.search.retrievalFunction)[0]).toEqual({ action: 'bedrock:InvokeModel', resource: MODEL_ARN });
    expect(recordedCalls(prod, prod.search.ingestionFunction)[0]).toEqual({
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::curated-bucket/docs/tenant=acme/handbook.md',
      kms: { actions: ['kms:Decrypt'], viaService: 's3', encryptionContext: { 'aws:s3:arn': 'arn:aws:s3:::curated-bucket' } },
    });
    expect(recordedCalls(prod, prod.search.ingestionFunction)[1]).toEqual({
      action: 's3:ListBucket',
      resource: 'arn:aws:s3:::curated-bucket',
      context: { 's3:prefix': 'docs/tenant=acme/handbook.md' },
    });
  });

  it('lets both functions invoke only the in-region Titan embedding model', () => {
    const statements = Object.values(prod.template.findResources('AWS::IAM::Policy'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .filter((s: { Action: string | string[] }) => [s.Action].flat().some((a) => a.startsWith('bedrock:')));
    expect(statements).toEqual([
      { Effect: 'Allow', Action: 'bedrock:InvokeModel', Resource: MODEL_ARN },
      { Effect: 'Allow', Action: 'bedrock:InvokeModel', Resource: MODEL_ARN },
    ]);
  });

  it('lets ingestion only read curated objects, list only tenant keys, and decrypt only through S3 for this bucket', () => {
    prod.template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: prod.id(prod.search.ingestionFunction.role as never) }],
      PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::curated-bucket/*' }] },
    });
    // So that a key deleted before the read answers 404 NoSuchKey, not 403 AccessDenied.
    prod.template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: prod.id(prod.search.ingestionFunction.role as never) }],
      PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::curated-bucket', Condition: { StringLike: { 's3:prefix': ['tenant=*', '*/tenant=*'] } } }] },
    });
    prod.template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: prod.id(prod.search.ingestionFunction.role as never) }],
      PolicyDocument: {
        Statement: [{
          Effect: 'Allow',
          Action: 'kms:Decrypt',
          Resource: { 'Fn::GetAtt': [prod.id(prod.foundation.keyFor(DataClass.CONFIDENTIAL)), 'Arn'] },
          Condition: {
            StringEquals: { 'kms:ViaService': 's3.eu-central-1.amazonaws.com' },
            StringLike: { 'kms:EncryptionContext:aws:s3:arn': ['arn:aws:s3:::curated-bucket', 'arn:aws:s3:::curated-bucket/*'] },
          },
        }],
      },
    });
  });

  it('routes curated object events through a KMS-encrypted queue with a dead-letter queue to ingestion', () => {
    const keyArn = { 'Fn::GetAtt': [prod.id(prod.foundation.keyFor(DataClass.CONFIDENTIAL)), 'Arn'] };
    const queue = prod.id(prod.search.ingestionQueue);
    const dlq = prod.id(prod.search.ingestionDeadLetters);
    prod.template.hasResourceProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: keyArn,
      VisibilityTimeout: 1800,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlq, 'Arn'] }, maxReceiveCount: 5 },
    });
    prod.template.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: keyArn, MessageRetentionPeriod: 1209600 });
    prod.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { 'source': ['aws.s3'], 'detail-type': ['Object Created', 'Object Deleted'], 'detail': { bucket: { name: ['curated-bucket'] } } },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [queue, 'Arn'] }, DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlq, 'Arn'] } } })],
    });
    prod.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queue, 'Arn'] },
      FunctionName: { Ref: prod.id(prod.search.ingestionFunction) },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  // SQS calls KMS for EventBridge through SQS and in each queue's encryption context
  // (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html);
  // that KMS request is not documented to carry aws:SourceAccount, which aws-cdk-lib's SqsQueue target conditions on.
  it('lets EventBridge use the queue key only through SQS and for the ingestion queue and its dead-letter queue', () => {
    const resources = prod.template.toJSON().Resources;
    const names = [prod.search.ingestionQueue, prod.search.ingestionDeadLetters].map((q) => resources[prod.id(q)].Properties.QueueName as string);
    expect(names).toEqual([expect.stringMatching(/-IngestionQueue$/), expect.stringMatching(/-IngestionDeadLetters$/)]);
    const statements = Object.values(prod.template.findResources('AWS::KMS::Key'))
      .flatMap((key) => key.Properties.KeyPolicy.Statement as Array<{ Principal?: { Service?: string } }>)
      .filter((statement) => statement.Principal?.Service === 'events.amazonaws.com');
    expect(statements).toEqual(names.map((name) => ({
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: '*',
      Condition: { StringEquals: { 'kms:ViaService': 'sqs.eu-central-1.amazonaws.com', 'kms:EncryptionContext:aws:sqs:arn': `arn:aws:sqs:eu-central-1:111111111111:${name}` } },
    })));
  });

  it('lets EventBridge send to each queue only for the curated-object rule', () => {
    const rule = { 'Fn::GetAtt': [Object.keys(prod.template.findResources('AWS::Events::Rule'))[0], 'Arn'] };
    for (const queue of [prod.search.ingestionQueue, prod.search.ingestionDeadLetters]) {
      prod.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: prod.id(queue) }],
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage', Condition: { ArnEquals: { 'aws:SourceArn': rule } } })]) },
      });
    }
    prod.template.hasResourceProperties('AWS::Events::Rule', { Targets: [Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 86400 } })] });
  });

  it('configures the functions with the index, pipeline, model and chunking', () => {
    prod.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ INDEX_NAME: 'chunks', PIPELINE_NAME: 'hybrid-search', EMBEDDING_MODEL_ID: 'amazon.titan-embed-text-v2:0', EMBEDDING_DIMENSIONS: '1024' }) },
    });
    prod.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ DATA_CLASS: 'confidential', CHUNK_SIZE: '1000', CHUNK_OVERLAP: '150', CURATED_BUCKET: 'curated-bucket' }) },
    });
  });
});

describe('HybridSearch in dev', () => {
  let dev: ReturnType<typeof build>;
  beforeAll(() => {
    dev = build(Stage.DEV, { fusion: HybridFusion.reciprocalRank(), expectedChunks: 1_000_000 }, { [DESTROY_DEV_DATA_CONTEXT]: true });
  });

  it('uses 2 zones, no dedicated masters, and the sized data nodes', () => {
    dev.template.hasResourceProperties('AWS::OpenSearchService::Domain', {
      ClusterConfig: { InstanceType: 'r6g.large.search', InstanceCount: 4, ZoneAwarenessConfig: { AvailabilityZoneCount: 2 }, DedicatedMasterEnabled: false },
    });
    expect(dev.search.sizing.dataNodeCount).toBe(4);
  });

  it('removes domain and index with the stack only when the dev data may be destroyed', () => {
    dev.template.hasResource('AWS::OpenSearchService::Domain', { DeletionPolicy: 'Delete' });
    dev.template.hasResourceProperties('Custom::PavedRoadSearchSetup', { Fusion: 'rrf', RankConstant: '60' });
    dev.template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ RETAIN_ON_DELETE: 'false' }) } });
  });

  it('lets the setup function delete only the index and pipeline, and only where the data may be destroyed', () => {
    const domainArn = { 'Fn::GetAtt': [dev.stack.getLogicalId(dev.search.domain.node.defaultChild as never), 'Arn'] };
    expect(esGrants(dev, setupOf(dev)).filter((g) => g.startsWith('es:ESHttpDelete')).sort()).toEqual(
      ['/_search/pipeline/hybrid-search', '/chunks'].map((path) => `es:ESHttpDelete ${JSON.stringify({ 'Fn::Join': ['', [domainArn, path]] })}`),
    );
    const contracted = recordedCalls(dev, setupOf(dev)).filter((call) => call.action === 'es:ESHttpDelete');
    expect(contracted).toHaveLength(2);
  });
});

describe('HybridSearch engine version', () => {
  it.each([
    ['ap-south-1', ResidencyZone.IN],
    ['us-east-1', ResidencyZone.US],
  ])('deploys in %s the version the region catalogue records for it', (region, zone) => {
    const { template } = build(Stage.DEV, {}, {}, { region, zone });
    template.hasResourceProperties('AWS::OpenSearchService::Domain', { EngineVersion: RegionCatalogue.tryLookup(region)!.openSearchEngine!.version });
  });

  it('records for every catalogue region an engine version aws-cdk-lib knows, with its source and whether it was checked there', () => {
    const known = Object.values(opensearch.EngineVersion).filter((v): v is opensearch.EngineVersion => v instanceof opensearch.EngineVersion).map((v) => v.version);
    for (const info of RegionCatalogue.all()) {
      expect(known).toContain(info.openSearchEngine?.version);
      expect(info.openSearchEngine?.source).toMatch(/https:\/\//);
      expect(typeof info.openSearchEngine?.checkedInRegion).toBe('boolean');
    }
  });

  it('refuses a region whose engine version is not recorded, saying how to record it', () => {
    const { openSearchEngine: _, ...regionInfo } = RegionCatalogue.tryLookup('eu-west-1')!;
    expect(() => build(Stage.DEV, {}, {}, { region: 'eu-west-1', zone: ResidencyZone.EU, regionInfo })).toThrow(
      /the region catalogue records no OpenSearch engine version for eu-west-1; check `aws opensearch list-versions --region eu-west-1` and record one in lib\/residency\/region-catalogue.ts/,
    );
  });
});

describe('HybridSearch validation', () => {
  it('takes explicit instance props over the sizing', () => {
    const { template } = build(Stage.DEV, { instanceType: SearchInstanceType.R7G_XLARGE, dataNodeCount: 2, volumeSizeGiB: 50 });
    template.hasResourceProperties('AWS::OpenSearchService::Domain', {
      ClusterConfig: Match.objectLike({ InstanceType: 'r7g.xlarge.search', InstanceCount: 2 }),
      EBSOptions: Match.objectLike({ VolumeSize: 50 }),
    });
  });

  it.each([
    [{ embeddingDimensions: 768 }, /embeddingDimensions 768 is not offered by Titan Text Embeddings V2; use 256, 512 or 1024/],
    [{ domainName: 'Search_Domain' }, /domainName 'Search_Domain' is invalid/],
    [{ chunkSizeChars: 200, chunkOverlapChars: 150 }, /chunkSizeChars 200 \/ chunkOverlapChars 150 are invalid/],
    [{ dataNodeCount: 3 }, /dataNodeCount 3 is not a multiple of the 2 availability zones; use 4/],
  ] as Array<[Partial<HybridSearchProps>, RegExp]>)('refuses %o', (props, message) => {
    expect(() => build(Stage.DEV, props)).toThrow(message);
  });

  it('refuses RRF and normalization settings out of range', () => {
    expect(() => HybridFusion.normalization(1.5)).toThrow(/lexicalWeight must be between 0 and 1/);
    expect(() => HybridFusion.reciprocalRank(0)).toThrow(/rankConstant must be a positive integer/);
  });
});
