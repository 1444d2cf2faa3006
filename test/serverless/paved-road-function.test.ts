import { Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { Foundation, PavedRoadFunction, ResidencyZone, Stage, bindEnvironment, resolveEnvironment } from '../../lib';
import { testApp } from '../support/app';

const acknowledgedIds = (scope: IConstruct): string[] => scope.node.metadata
  .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
  .flatMap((entry) => Object.keys(entry.data as Record<string, string>));

describe('PavedRoadFunction', () => {
  const environment = resolveEnvironment({ name: 'eu-dev', account: '123456789012', region: 'eu-west-1', zone: ResidencyZone.EU, stage: Stage.DEV });
  const stack = new Stack(testApp(), 'Fn', { env: { account: environment.account, region: environment.region } });
  bindEnvironment(stack, environment);
  const foundation = new Foundation(stack, 'Foundation', { environment });
  const fn = new PavedRoadFunction(stack, 'Echo', { foundation, entry: 'test/fixtures/echo-handler.ts', description: 'echo' });
  const template = Template.fromStack(stack);

  it('runs arm64 Node.js 24 in the isolated subnets with tracing, reserved concurrency and an encrypted environment', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      ReservedConcurrentExecutions: 20,
      KmsKeyArn: Match.anyValue(),
      VpcConfig: { SubnetIds: Match.anyValue(), SecurityGroupIds: Match.anyValue() },
      DeadLetterConfig: { TargetArn: Match.anyValue() },
      LoggingConfig: Match.objectLike({ LogFormat: 'JSON' }),
    });
    template.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: Match.anyValue() });
  });

  it('acknowledges Resource::* on the X-Ray policy only, not on the whole function', () => {
    const tracing = fn.node.children.filter((child) => child instanceof iam.Policy && acknowledgedIds(child).length > 0);
    expect(tracing).toHaveLength(1);
    expect(acknowledgedIds(tracing[0])).toEqual(['Annotation::AwsSolutions-IAM5[Resource::*]']);
    expect(acknowledgedIds(fn)).not.toContain('Annotation::AwsSolutions-IAM5[Resource::*]');
  });

  it('alarms the environment alarm topic as soon as a message lands in the dead-letter queue', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: stack.resolve(fn.deadLetters.queueName) }],
      Statistic: 'Maximum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [stack.resolve(foundation.alarmTopic.topicArn)],
    });
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
  });
});
