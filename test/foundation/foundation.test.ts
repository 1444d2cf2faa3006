import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { DESTROY_DEV_DATA_CONTEXT, DataClass, Foundation, ResidencyZone, Stage, bindEnvironment, resolveEnvironment } from '../../lib';
import { testApp } from '../support/app';

function foundationTemplate(stage: Stage, context: Record<string, unknown> = {}): { template: Template; foundation: Foundation } {
  const environment = resolveEnvironment({ name: `eu-${stage.id}`, account: '111111111111', region: 'eu-central-1', zone: ResidencyZone.EU, stage });
  const stack = new Stack(testApp(context), 'Foundation', { env: { account: environment.account, region: environment.region } });
  bindEnvironment(stack, environment);
  const foundation = new Foundation(stack, 'Foundation', { environment });
  return { template: Template.fromStack(stack), foundation };
}

describe('Foundation (prod)', () => {
  const { template, foundation } = foundationTemplate(Stage.PROD);

  it('creates one rotating single-region key per data class plus the log key', () => {
    const keys = template.findResources('AWS::KMS::Key');
    expect(Object.keys(keys)).toHaveLength(DataClass.all().length + 1);
    for (const key of Object.values(keys)) {
      expect(key.Properties.EnableKeyRotation).toBe(true);
      expect(key.Properties.MultiRegion).toBe(false);
      expect([key.DeletionPolicy, key.UpdateReplacePolicy]).toEqual(['RetainExceptOnCreate', 'Retain']);
    }
    for (const dataClass of DataClass.all()) {
      template.hasResourceProperties('AWS::KMS::Alias', { AliasName: `alias/paved-road/eu-prod/${dataClass.id}` });
    }
  });

  it('denies KMS grants except those AWS services create for resources', () => {
    for (const key of Object.values(template.findResources('AWS::KMS::Key'))) {
      expect(key.Properties.KeyPolicy.Statement).toContainEqual(expect.objectContaining({
        Sid: 'DenyGrantsExceptForAwsServices',
        Effect: 'Deny',
        Action: 'kms:CreateGrant',
        Condition: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
      }));
    }
  });

  it('lets CloudWatch Logs use the log key only for this account\'s log groups', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({
        Sid: 'AllowCloudWatchLogsForThisAccountOnly',
        Principal: { Service: 'logs.eu-central-1.amazonaws.com' },
        Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': 'arn:aws:logs:eu-central-1:111111111111:log-group:*' } },
      })]) },
    });
  });

  it('builds isolated subnets in three AZs with no internet gateway or NAT', () => {
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    const subnets = Object.values(template.findResources('AWS::EC2::Subnet'));
    expect(subnets.map((s) => s.Properties.AvailabilityZone).sort()).toEqual(['eu-central-1a', 'eu-central-1b', 'eu-central-1c']);
    for (const subnet of subnets) expect(subnet.Properties.MapPublicIpOnLaunch).toBe(false);
  });

  it('reaches S3 and DynamoDB through gateway endpoints and AWS APIs through private interface endpoints', () => {
    const endpoints = Object.values(template.findResources('AWS::EC2::VPCEndpoint'));
    const names = endpoints.map((e) => JSON.stringify(e.Properties.ServiceName));
    const services = ['s3', 'dynamodb', 'bedrock-runtime', 'sagemaker.runtime', 'logs', 'kms', 'sts', 'secretsmanager', 'lambda'];
    for (const service of services) {
      expect(names.some((n) => n.includes(`.${service}"`) || n.endsWith(`.${service}`))).toBe(true);
    }
    expect(endpoints).toHaveLength(services.length);
    for (const e of endpoints.filter((e) => e.Properties.VpcEndpointType === 'Interface')) {
      expect(e.Properties.PrivateDnsEnabled).toBe(true);
    }
  });

  it('admits only HTTPS from the VPC range to the interface endpoints', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: [{ CidrIp: '10.0.0.0/16', IpProtocol: 'tcp', FromPort: 443, ToPort: 443, Description: Match.anyValue() }],
    });
  });

  it('sends all flow logs to an encrypted log group kept one year', () => {
    template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365, KmsKeyId: Match.anyValue() });
  });

  it('keeps the access-log bucket private, versioned, TLS-only and expiring', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      VersioningConfiguration: { Status: 'Enabled' },
      NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
      LifecycleConfiguration: { Rules: [Match.objectLike({ Status: 'Enabled', ExpirationInDays: 365, NoncurrentVersionExpiration: { NoncurrentDays: 7 }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } })] },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([
        Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        Match.objectLike({ Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
      ]) },
    });
  });

  it('adds no Lambda for bucket notifications', () => {
    expect(Object.keys(template.findResources('Custom::S3BucketNotifications'))).toHaveLength(0);
  });

  it('exposes a key per data class', () => {
    expect(foundation.keyFor(DataClass.PERSONAL)).not.toBe(foundation.keyFor(DataClass.PUBLIC));
  });
});

describe('Foundation (dev)', () => {
  it('uses two AZs and retains keys unless the destroy flag is set', () => {
    const { template } = foundationTemplate(Stage.DEV);
    expect(Object.keys(template.findResources('AWS::EC2::Subnet'))).toHaveLength(2);
    for (const key of Object.values(template.findResources('AWS::KMS::Key'))) expect([key.DeletionPolicy, key.UpdateReplacePolicy]).toEqual(['RetainExceptOnCreate', 'Retain']);
  });

  it('destroys keys and buckets only when the dev destroy flag is set', () => {
    const { template } = foundationTemplate(Stage.DEV, { [DESTROY_DEV_DATA_CONTEXT]: 'true' });
    for (const key of Object.values(template.findResources('AWS::KMS::Key'))) expect(key.DeletionPolicy).toBe('Delete');
    for (const bucket of Object.values(template.findResources('AWS::S3::Bucket'))) expect(bucket.DeletionPolicy).toBe('Delete');
  });

  it('ignores the destroy flag in prod', () => {
    const { template } = foundationTemplate(Stage.PROD, { [DESTROY_DEV_DATA_CONTEXT]: 'true' });
    for (const key of Object.values(template.findResources('AWS::KMS::Key'))) expect([key.DeletionPolicy, key.UpdateReplacePolicy]).toEqual(['RetainExceptOnCreate', 'Retain']);
  });
});

describe('Foundation alarm topic', () => {
  const environment = resolveEnvironment({ name: 'eu-prod', account: '111111111111', region: 'eu-central-1', zone: ResidencyZone.EU, stage: Stage.PROD });
  const stack = new Stack(testApp(), 'Foundation', { env: { account: environment.account, region: environment.region } });
  bindEnvironment(stack, environment);
  const foundation = new Foundation(stack, 'Foundation', { environment });
  const topicLogicalId = stack.getLogicalId(foundation.alarmTopic.node.defaultChild as never);
  const template = Template.fromStack(stack);
  const topicArn = 'arn:aws:sns:eu-central-1:111111111111:Foundation-alarms';
  const statementsFor = (service: string) => Object.values(template.findResources('AWS::KMS::Key'))
    .flatMap((key) => key.Properties.KeyPolicy.Statement as Array<{ Principal?: { Service?: string }; Condition?: unknown; Action: unknown }>)
    .filter((statement) => statement.Principal?.Service === service);

  it('names the topic, so that its key policy can name the topic ARN', () => {
    expect(template.toJSON().Resources[topicLogicalId].Properties.TopicName).toBe('Foundation-alarms');
  });

  // SNS calls KMS for CloudWatch through SNS, in the topic's encryption context; the KMS request is
  // not documented to carry aws:SourceAccount (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html).
  it('lets CloudWatch use the topic key only through SNS and for the alarm topic', () => {
    expect(statementsFor('cloudwatch.amazonaws.com')).toEqual([{
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: '*',
      Condition: { StringEquals: { 'kms:ViaService': 'sns.eu-central-1.amazonaws.com', 'kms:EncryptionContext:aws:sns:topicArn': topicArn } },
    }]);
  });

  it('lets CloudWatch publish to the topic only for this account', () => {
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish', Condition: { StringEquals: { 'aws:SourceAccount': '111111111111' } } })]) },
    });
  });
});
