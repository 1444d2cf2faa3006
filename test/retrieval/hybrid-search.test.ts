import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { DESTROY_DEV_DATA_CONTEXT, DataClass, Foundation, ResidencyZone, Stage, bindEnvironment, resolveEnvironment } from '../../lib';
import { HybridFusion } from '../../lib/retrieval/hybrid-fusion';
import { HybridSearch, type HybridSearchProps } from '../../lib/retrieval/hybrid-search';
import { SearchInstanceType } from '../../lib/retrieval/sizing';
import { testApp } from '../support/app';

const MODEL_ARN = 'arn:aws:bedrock:eu-central-1::foundation-model/amazon.titan-embed-text-v2:0';

function build(stage: Stage, props: Partial<HybridSearchProps> = {}, context: Record<string, unknown> = {}) {
  const app = testApp(context);
  const environment = resolveEnvironment({ name: `eu-${stage.id}`, account: '111111111111', region: 'eu-central-1', zone: ResidencyZone.EU, stage });
  const stack = new Stack(app, 'Retrieval', { env: { account: environment.account, region: environment.region } });
  bindEnvironment(stack, environment);
  const foundation = new Foundation(stack, 'Foundation', { environment });
  const curatedBucket = s3.Bucket.fromBucketAttributes(stack, 'Curated', { bucketName: 'curated-bucket', encryptionKey: foundation.keyFor(DataClass.CONFIDENTIAL) });
  const search = new HybridSearch(stack, 'Search', { foundation, curatedBucket, ...props });
  const id = (construct: { node: { defaultChild?: unknown } } | undefined) => stack.getLogicalId(construct!.node.defaultChild as never);
  return { stack, search, foundation, template: Template.fromStack(stack), id };
}

describe('HybridSearch in prod', () => {
  let prod: ReturnType<typeof build>;
  beforeAll(() => {
    prod = build(Stage.PROD);
  });

  it('runs OpenSearch 2.19 or later across 3 zones with dedicated masters, sized from the workload', () => {
    prod.template.hasResourceProperties('AWS::OpenSearchService::Domain', {
      EngineVersion: 'OpenSearch_3.7',
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
      SnapshotOptions: { AutomatedSnapshotStartHour: 2 },
    });
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
    const domain = Object.values(prod.template.findResources('AWS::OpenSearchService::Domain'))[0];
    expect(domain.Properties.AccessPolicies.Statement).toEqual([expect.objectContaining({
      Effect: 'Allow',
      Action: 'es:ESHttp*',
      Resource: 'arn:aws:es:eu-central-1:111111111111:domain/rag-eu-prod/*',
      Principal: { AWS: [{ 'Fn::GetAtt': [setupRole, 'Arn'] }, expect.anything(), expect.anything()] },
    })]);
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
    prod.template.hasResource('AWS::OpenSearchService::Domain', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    prod.template.hasResourceProperties('Custom::PavedRoadSearchSetup', { RetainOnDelete: 'true' });
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

  it('lets the functions call only this domain, with the HTTP methods each needs', () => {
    const domainArn = { 'Fn::GetAtt': [prod.stack.getLogicalId(prod.search.domain.node.defaultChild as never), 'Arn'] };
    const resources = [domainArn, { 'Fn::Join': ['', [domainArn, '/*']] }];
    for (const [fn, actions] of [
      [prod.search.retrievalFunction, ['es:ESHttpGet', 'es:ESHttpHead', 'es:ESHttpPost']],
      [prod.search.ingestionFunction, ['es:ESHttpGet', 'es:ESHttpHead', 'es:ESHttpPost', 'es:ESHttpPut']],
    ] as const) {
      prod.template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: prod.id(fn.role as never) }],
        PolicyDocument: { Statement: [{ Effect: 'Allow', Action: [...actions], Resource: resources }] },
      });
    }
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

  it('lets ingestion only read curated objects', () => {
    prod.template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: prod.id(prod.search.ingestionFunction.role as never) }],
      PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::curated-bucket/*' }] },
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

  it('configures the functions with the index, pipeline, model and chunking', () => {
    prod.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ INDEX_NAME: 'chunks', PIPELINE_NAME: 'hybrid-search', EMBEDDING_MODEL_ID: 'amazon.titan-embed-text-v2:0', EMBEDDING_DIMENSIONS: '1024' }) },
    });
    prod.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ DATA_CLASS: 'confidential', CHUNK_SIZE: '1000', CHUNK_OVERLAP: '150' }) },
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
    dev.template.hasResourceProperties('Custom::PavedRoadSearchSetup', { RetainOnDelete: 'false', Fusion: 'rrf', RankConstant: '60' });
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
