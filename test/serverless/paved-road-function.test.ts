import * as fs from 'node:fs';
import { isBuiltin } from 'node:module';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import type { IConstruct } from 'constructs';
import { DataClass, Foundation, InvocationMode, PavedRoadFunction, ResidencyZone, Stage, bindEnvironment, resolveEnvironment } from '../../lib';
import { REAL_BUNDLING, testApp } from '../support/app';

const acknowledgedIds = (scope: IConstruct): string[] => scope.node.metadata
  .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
  .flatMap((entry) => Object.keys(entry.data as Record<string, string>));

const environment = resolveEnvironment({ name: 'eu-dev', account: '123456789012', region: 'eu-west-1', zone: ResidencyZone.EU, stage: Stage.DEV });

/** A stack in an app that bundles for real, as `cdk synth` does (other test apps skip bundling, ADR 0003). */
function bundlingStack(id: string) {
  const app = testApp(REAL_BUNDLING);
  const stack = new Stack(app, id, { env: { account: environment.account, region: environment.region } });
  bindEnvironment(stack, environment);
  return { stack, foundation: new Foundation(stack, 'Foundation', { environment }) };
}

/** The bundle esbuild staged for a function: `index.js` in the function's asset directory. */
function bundleOf(fn: PavedRoadFunction): string {
  const asset = fn.node.findChild('Code') as s3assets.Asset;
  return path.join(App.of(fn)!.outdir, asset.assetPath, 'index.js');
}

describe('PavedRoadFunction', () => {
  const { stack, foundation } = bundlingStack('Fn');
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
      Dimensions: [{ Name: 'QueueName', Value: stack.resolve(fn.deadLetters!.queueName) }],
      Statistic: 'Maximum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [stack.resolve(foundation.alarmTopic.topicArn)],
    });
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
  });

  it('lets the execution role encrypt dead letters with the queue key through SQS, for its own queue only', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([{
          Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          Effect: 'Allow',
          Resource: stack.resolve(foundation.keyFor(DataClass.CONFIDENTIAL).keyArn),
          Condition: {
            StringEquals: { 'kms:ViaService': 'sqs.eu-west-1.amazonaws.com' },
            ArnEquals: { 'kms:EncryptionContext:aws:sqs:arn': stack.resolve(fn.deadLetters!.queueArn) },
          },
        }]),
      },
    });
  });

  it('declares that the deployer lets Lambda encrypt the environment with the key and grant itself its use', () => {
    // Lambda uses the creator's permissions (kms:Encrypt, kms:CreateGrant) on a customer managed key.
    // https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars-encryption.html
    const keyArn = stack.resolve(foundation.keyFor(DataClass.CONFIDENTIAL).keyArn);
    const [fnResource] = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { KmsKeyArn: keyArn } }));
    const declared = (fnResource.Metadata['paved-road:service-operations'] as Array<{ caller: { deployer?: boolean }; calls: Array<{ action: string; resource: unknown; context: Record<string, string> }> }>)
      .filter((operation) => operation.caller.deployer);
    expect(declared.flatMap((operation) => operation.calls)).toEqual([
      { action: 'kms:Encrypt', resource: keyArn, context: { 'kms:ViaService': 'lambda.eu-west-1.amazonaws.com', 'kms:CallerAccount': '123456789012' } },
      { action: 'kms:CreateGrant', resource: keyArn, context: { 'kms:ViaService': 'lambda.eu-west-1.amazonaws.com', 'kms:CallerAccount': '123456789012', 'kms:GrantIsForAWSResource': 'true' } },
    ]);
  });

  it('gives a synchronously invoked function no dead-letter queue and no alarm on one', () => {
    const syncStack = new Stack(testApp(), 'Sync', { env: { account: environment.account, region: environment.region } });
    bindEnvironment(syncStack, environment);
    const sync = { stack: syncStack, foundation: new Foundation(syncStack, 'Foundation', { environment }) };
    const syncFn = new PavedRoadFunction(sync.stack, 'Api', { foundation: sync.foundation, entry: 'test/fixtures/echo-handler.ts', description: 'api', invocationMode: InvocationMode.SYNCHRONOUS });
    const syncTemplate = Template.fromStack(sync.stack);
    expect(syncFn.deadLetters).toBeUndefined();
    syncTemplate.resourceCountIs('AWS::SQS::Queue', 0);
    syncTemplate.hasResourceProperties('AWS::Lambda::Function', { DeadLetterConfig: Match.absent() });
  });

  it('bundles the handler with esbuild into a minified index.js that runs', async () => {
    const bundle = bundleOf(fn);
    expect(fs.readFileSync(bundle, 'utf8')).not.toMatch(/\n\s+/);
    const { handler } = require(bundle) as { handler: (event: unknown) => Promise<unknown> };
    await expect(handler({ ping: 1 })).resolves.toEqual({ echoed: { ping: 1 } });
  });
});

describe('PavedRoadFunction bundling of every handler in lambda/', () => {
  const lambdaRoot = path.join(__dirname, '..', '..', 'lambda');
  const entries = fs.readdirSync(lambdaRoot).filter((name) => fs.existsSync(path.join(lambdaRoot, name, 'index.ts')));

  it('finds the handlers', () => {
    expect(entries).toEqual(expect.arrayContaining(['gateway', 'ingestion', 'retrieval', 'search-setup']));
  });

  it.each(entries)('bundles lambda/%s/index.ts into one self-contained index.js exporting handler', (name) => {
    const { stack, foundation } = bundlingStack(`Bundle-${name}`);
    const fn = new PavedRoadFunction(stack, 'Fn', { foundation, entry: `lambda/${name}/index.ts`, description: name });
    const code = fs.readFileSync(bundleOf(fn), 'utf8');
    expect(() => new vm.Script(code, { filename: `${name}/index.js` })).not.toThrow();
    expect(code).toMatch(/\bhandler:\(\)=>/);
    // The AWS SDK and every other dependency are inside the bundle; only Node.js built-ins (and the SDK's optional CRT signer, which it loads in a try) stay require()s.
    const external = [...code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1])
      .filter((id) => !isBuiltin(id) && id !== '@aws-sdk/signature-v4-crt');
    expect(external).toEqual([]);
  });
});
