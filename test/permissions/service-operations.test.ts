import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SnsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import {
  bindEnvironment, DataClass, declareServiceOperations, Foundation, InvocationMode, justifyUnusedGrants, PavedRoadFunction, ResidencyZone, resolveEnvironment, SELF_REFERENCE_KEY,
  SERVICE_OPERATIONS_METADATA_KEY, ServiceCaller, Stage, UNUSED_GRANTS_METADATA_KEY,
} from '../../lib';
import { testApp } from '../support/app';

function stack() {
  const environment = resolveEnvironment({ name: 'eu-dev', account: '123456789012', region: 'eu-west-1', zone: ResidencyZone.EU, stage: Stage.DEV });
  const s = new Stack(testApp(), 'Declarations', { env: { account: environment.account, region: environment.region } });
  bindEnvironment(s, environment);
  return { stack: s, environment };
}

describe('declareServiceOperations', () => {
  it('records the operations on the resource, with references to the resource itself as placeholders', () => {
    const { stack: s } = stack();
    const queue = new sqs.Queue(s, 'Queue');
    const topic = new sns.Topic(s, 'Topic');
    declareServiceOperations(queue, {
      description: 'EventBridge sends to the queue',
      docs: ['https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html'],
      caller: ServiceCaller.servicePrincipal('events.amazonaws.com'),
      calls: [{ action: 'sqs:SendMessage', resource: queue.queueArn, context: { 'aws:SourceArn': topic.topicArn } }],
    });
    const [logicalId, resource] = Object.entries(Template.fromStack(s).findResources('AWS::SQS::Queue'))[0];
    const recorded = resource.Metadata[SERVICE_OPERATIONS_METADATA_KEY];
    expect(recorded).toEqual([{
      description: 'EventBridge sends to the queue',
      docs: ['https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html'],
      caller: { service: 'events.amazonaws.com' },
      calls: [{ action: 'sqs:SendMessage', resource: { [SELF_REFERENCE_KEY]: 'Arn' }, context: { 'aws:SourceArn': { Ref: s.getLogicalId(topic.node.defaultChild as sns.CfnTopic) } } }],
    }]);
    // CloudFormation resolves intrinsics in Metadata: a reference to itself would be a circular dependency.
    expect(JSON.stringify(recorded)).not.toContain(logicalId);
  });

  it('names the role a service assumes and marks the deployer', () => {
    const { stack: s } = stack();
    const role = new iam.Role(s, 'Role', { assumedBy: new iam.ServicePrincipal('s3.amazonaws.com') });
    const topic = new sns.Topic(s, 'Topic');
    declareServiceOperations(topic,
      { description: 'as a role', docs: [], caller: ServiceCaller.role('s3.amazonaws.com', role), calls: [] },
      { description: 'as the deployer', docs: [], caller: ServiceCaller.deployer(), calls: [] });
    const recorded = Object.values(Template.fromStack(s).findResources('AWS::SNS::Topic'))[0].Metadata[SERVICE_OPERATIONS_METADATA_KEY];
    expect(recorded.map((op: { caller: unknown }) => op.caller)).toEqual([
      { service: 's3.amazonaws.com', role: { 'Fn::GetAtt': [s.getLogicalId(role.node.defaultChild as iam.CfnRole), 'Arn'] } },
      { service: 'cloudformation.amazonaws.com', deployer: true },
    ]);
  });

  it('refuses a construct without a CloudFormation resource, saying where to record', () => {
    const { stack: s } = stack();
    const imported = iam.Role.fromRoleArn(s, 'Imported', 'arn:aws:iam::123456789012:role/x');
    expect(() => declareServiceOperations(imported, { description: 'x', docs: [], caller: ServiceCaller.deployer(), calls: [] }))
      .toThrow(/must be recorded on a CloudFormation resource/);
  });
});

describe('justifyUnusedGrants', () => {
  it('records the actions and the reason on the role', () => {
    const { stack: s } = stack();
    const role = new iam.Role(s, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    const reason = 'The managed policy grants it and AWS maintains that policy as the service changes.';
    justifyUnusedGrants(role, { actions: ['logs:CreateLogGroup'], reason });
    expect(Object.values(Template.fromStack(s).findResources('AWS::IAM::Role'))[0].Metadata[UNUSED_GRANTS_METADATA_KEY]).toEqual([{ actions: ['logs:CreateLogGroup'], reason }]);
  });

  it('refuses a reason too short to say why', () => {
    const { stack: s } = stack();
    const role = new iam.Role(s, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    expect(() => justifyUnusedGrants(role, { actions: ['logs:CreateLogGroup'], reason: 'needed' })).toThrow(/too short/);
  });
});

describe('PavedRoadFunction event sources', () => {
  function withFunction() {
    const { stack: s, environment } = stack();
    const foundation = new Foundation(s, 'Foundation', { environment });
    // Synchronous: no dead-letter queue of its own, so every sqs: grant in the template is the poller's.
    const fn = new PavedRoadFunction(s, 'Fn', { foundation, entry: 'test/fixtures/echo-handler.ts', description: 'fn', invocationMode: InvocationMode.SYNCHRONOUS });
    return { s, foundation, fn };
  }

  it('refuses addEventSource and names addSqsEventSource', () => {
    const { s, fn } = withFunction();
    expect(() => fn.addEventSource(new SnsEventSource(new sns.Topic(s, 'Topic')))).toThrow(/addEventSource\(SnsEventSource\) is not supported; use addSqsEventSource/);
  });

  it('refuses a queue without a dead-letter queue', () => {
    const { s, fn } = withFunction();
    expect(() => fn.addSqsEventSource(new sqs.Queue(s, 'Queue'))).toThrow(/has no dead-letter queue/);
  });

  it('grants the poller only ReceiveMessage, DeleteMessage and GetQueueAttributes, and kms:Decrypt through SQS for this queue', () => {
    const { s, foundation, fn } = withFunction();
    const key = foundation.keyFor(DataClass.CONFIDENTIAL);
    const deadLetters = new sqs.Queue(s, 'DeadLetters', { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: key });
    const queue = new sqs.Queue(s, 'Queue', { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: key, deadLetterQueue: { queue: deadLetters, maxReceiveCount: 5 } });
    fn.addSqsEventSource(queue, { batchSize: 5 });
    const template = Template.fromStack(s);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: 5, FunctionResponseTypes: ['ReportBatchItemFailures'] });
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((policy) => (policy as { Properties: { PolicyDocument: { Statement: Array<{ Action: string | string[]; Condition?: unknown }> } } }).Properties.PolicyDocument.Statement);
    const actions = statements.flatMap((st) => [st.Action].flat()).filter((action) => action.startsWith('sqs:'));
    expect(actions.sort()).toEqual(['sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage']);
    const decrypts = statements.filter((st) => [st.Action].flat().includes('kms:Decrypt'));
    expect(decrypts.length).toBeGreaterThan(0);
    for (const st of decrypts) expect(JSON.stringify(st.Condition)).toContain('kms:ViaService');
  });

  it('creates the mapping only after the policy that lets the role receive from the queue and decrypt its messages', () => {
    // Lambda refuses CreateEventSourceMapping while the role cannot call ReceiveMessage
    // (https://github.com/aws/aws-cdk/issues/6770), so the mapping must depend on that policy.
    const { s, foundation, fn } = withFunction();
    const key = foundation.keyFor(DataClass.CONFIDENTIAL);
    const deadLetters = new sqs.Queue(s, 'DeadLetters', { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: key });
    const queue = new sqs.Queue(s, 'Queue', { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: key, deadLetterQueue: { queue: deadLetters, maxReceiveCount: 5 } });
    fn.addSqsEventSource(queue);
    const template = Template.fromStack(s);
    const mapping = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'))[0] as { DependsOn?: string[] };
    const policies = template.findResources('AWS::IAM::Policy') as Record<string, { Properties: { PolicyDocument: { Statement: Array<{ Action: string | string[] }> } } }>;
    const grants = (action: string) => Object.entries(policies)
      .filter(([, policy]) => policy.Properties.PolicyDocument.Statement.some((st) => [st.Action].flat().includes(action)))
      .map(([logicalId]) => logicalId);
    const receive = grants('sqs:ReceiveMessage');
    const decrypt = grants('kms:Decrypt');
    expect(receive).toHaveLength(1);
    expect(mapping.DependsOn).toEqual(expect.arrayContaining([...receive, ...decrypt]));
  });
});
