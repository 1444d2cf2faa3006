import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { PavedRoadChecks, ResidencyZone, Stage, bindEnvironment, resolveEnvironment } from '../../lib';
import { testApp } from '../support/app';

const GUARDRAIL = 'arn:aws:bedrock:eu-central-1:111111111111:guardrail/abc123:1';
const CLAUDE_IN_REGION = 'arn:aws:bedrock:eu-central-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0';
const TITAN_EMBED = 'arn:aws:bedrock:eu-central-1::foundation-model/amazon.titan-embed-text-v2:0';

/** A fresh EU prod stack bound to its environment; each case adds one resource. */
function euStack(stage: Stage = Stage.PROD): Stack {
  const environment = resolveEnvironment({ name: `eu-${stage.id}`, account: '111111111111', region: 'eu-central-1', zone: ResidencyZone.EU, stage });
  const stack = new Stack(testApp(), 'Fixture', { env: { account: environment.account, region: environment.region } });
  bindEnvironment(stack, environment);
  return stack;
}

/** Rule ids PavedRoadChecks reports for the stack. */
function findings(stack: Stack): string[] {
  return new PavedRoadChecks().validateScope(stack).violations.map((v) => v.ruleName).sort();
}

function roleWith(stack: Stack, statement: iam.PolicyStatement): iam.Role {
  const role = new iam.Role(stack, 'Invoker', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  role.addToPolicy(statement);
  return role;
}

const invoke = (resources: string[], conditions?: Record<string, unknown>) =>
  new iam.PolicyStatement({ actions: ['bedrock:InvokeModel', 'bedrock:Converse'], resources, conditions });

describe('PavedRoadChecks', () => {
  it('passes compliant resources', () => {
    const stack = euStack();
    new kms.Key(stack, 'Key', { enableKeyRotation: true });
    new logs.LogGroup(stack, 'Logs', { retention: logs.RetentionDays.ONE_YEAR });
    new s3.Bucket(stack, 'Bucket', { lifecycleRules: [{ expiration: { toDays: () => 30 } as never }] });
    roleWith(stack, invoke([CLAUDE_IN_REGION], { StringEquals: { 'bedrock:GuardrailIdentifier': GUARDRAIL } }));
    expect(findings(stack)).toEqual([]);
  });

  it('ResidencyRegion fires on a value naming a region outside the zone', () => {
    const stack = euStack();
    new lambda.CfnFunction(stack, 'Fn', { role: 'arn:aws:iam::111111111111:role/x', code: { zipFile: 'x' }, runtime: 'nodejs22.x', handler: 'index.handler', environment: { variables: { REPLICA_REGION: 'us-east-1' } } });
    expect(findings(stack)).toEqual(['PavedRoad-ResidencyRegion']);
  });

  it('ResidencyRegion accepts regions and AZ names inside the zone', () => {
    const stack = euStack();
    new lambda.CfnFunction(stack, 'Fn', { role: 'arn:aws:iam::111111111111:role/x', code: { zipFile: 'x' }, runtime: 'nodejs22.x', handler: 'index.handler', environment: { variables: { REPLICA_REGION: 'eu-west-1', AZ: 'eu-central-1b' } } });
    expect(findings(stack)).toEqual([]);
  });

  it('ResidencyModelRoute fires on a global or foreign inference profile in a template value', () => {
    const stack = euStack();
    new lambda.CfnFunction(stack, 'Fn', { role: 'arn:aws:iam::111111111111:role/x', code: { zipFile: 'x' }, runtime: 'nodejs22.x', handler: 'index.handler', environment: { variables: { MODELS: 'eu.anthropic.claude-3-haiku-20240307-v1:0,global.anthropic.claude-sonnet-4-5-20250929-v1:0' } } });
    expect(findings(stack)).toEqual(['PavedRoad-ResidencyModelRoute']);
  });

  it('S3LifecycleRules fires on a bucket without lifecycle rules', () => {
    const stack = euStack();
    new s3.CfnBucket(stack, 'Bucket').applyRemovalPolicy(RemovalPolicy.RETAIN);
    expect(findings(stack)).toEqual(['PavedRoad-S3LifecycleRules']);
  });

  it('StatefulRetention accepts Retain and RetainExceptOnCreate with UpdateReplacePolicy Retain outside dev', () => {
    for (const stage of [Stage.PROD, Stage.STAGING]) {
      const stack = euStack(stage);
      new kms.Key(stack, 'Retained', { enableKeyRotation: true, removalPolicy: RemovalPolicy.RETAIN });
      new kms.Key(stack, 'RetainedExceptOnCreate', { enableKeyRotation: true, removalPolicy: stage.statefulRemovalPolicy(stack) });
      expect(findings(stack)).toEqual([]);
    }
  });

  it('StatefulRetention fires on a stateful resource of prod that its stack deletion or replacement deletes', () => {
    const deleted = euStack();
    new logs.LogGroup(deleted, 'Logs', { retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.DESTROY });
    expect(findings(deleted)).toEqual(['PavedRoad-StatefulRetention']);
    const replacedAway = euStack();
    new kms.CfnKey(replacedAway, 'Key', { enableKeyRotation: true, keyPolicy: {} }).applyRemovalPolicy(RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE, { applyToUpdateReplacePolicy: false });
    expect(findings(replacedAway)).toEqual(['PavedRoad-StatefulRetention']);
  });

  it('StatefulRetention leaves dev to the destroy flag', () => {
    const stack = euStack(Stage.DEV);
    new kms.Key(stack, 'Key', { enableKeyRotation: true, removalPolicy: RemovalPolicy.DESTROY });
    expect(findings(stack)).toEqual([]);
  });

  it('LogGroupRetention fires on a log group kept forever', () => {
    const stack = euStack();
    new logs.LogGroup(stack, 'Logs', { retention: logs.RetentionDays.INFINITE });
    expect(findings(stack)).toEqual(['PavedRoad-LogGroupRetention']);
  });

  it('KMSKeyRotationSingleRegion fires on a key without rotation and on a multi-Region key', () => {
    const noRotation = euStack();
    new kms.Key(noRotation, 'Key', { enableKeyRotation: false });
    expect(findings(noRotation)).toEqual(['PavedRoad-KMSKeyRotationSingleRegion']);
    const multiRegion = euStack();
    new kms.Key(multiRegion, 'Key', { enableKeyRotation: true, multiRegion: true });
    expect(findings(multiRegion)).toEqual(['PavedRoad-KMSKeyRotationSingleRegion']);
  });

  it('BedrockInvokeScope fires on invocation allowed on *', () => {
    const stack = euStack();
    roleWith(stack, invoke(['*'], { StringEquals: { 'bedrock:GuardrailIdentifier': GUARDRAIL } }));
    expect(findings(stack)).toEqual(['PavedRoad-BedrockInvokeScope']);
  });

  it('BedrockInvokeScope fires on a model ARN in a region outside the zone', () => {
    const stack = euStack();
    roleWith(stack, invoke([CLAUDE_IN_REGION.replace('eu-central-1', 'us-east-1')], { StringEquals: { 'bedrock:GuardrailIdentifier': GUARDRAIL } }));
    expect(findings(stack)).toContain('PavedRoad-BedrockInvokeScope');
  });

  it('BedrockInvokeScope fires on a global inference profile and on bedrock:* wildcards', () => {
    const stack = euStack();
    roleWith(stack, new iam.PolicyStatement({
      actions: ['bedrock:*'],
      resources: ['arn:aws:bedrock:eu-central-1:111111111111:inference-profile/global.anthropic.claude-sonnet-4-5-20250929-v1:0'],
      conditions: { StringEquals: { 'bedrock:GuardrailIdentifier': GUARDRAIL } },
    }));
    expect(findings(stack)).toEqual(['PavedRoad-BedrockInvokeScope', 'PavedRoad-ResidencyModelRoute']);
  });

  it('BedrockInvokeScope fires on an AWS managed Bedrock policy', () => {
    const stack = euStack();
    new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonBedrockFullAccess')] });
    expect(findings(stack)).toEqual(['PavedRoad-BedrockInvokeScope']);
  });

  it('BedrockGuardrailCondition fires on a generative model without a guardrail binding', () => {
    const stack = euStack();
    roleWith(stack, invoke([CLAUDE_IN_REGION]));
    expect(findings(stack)).toEqual(['PavedRoad-BedrockGuardrailCondition']);
  });

  it('BedrockGuardrailCondition does not accept a mere Null test or a wildcard', () => {
    const nullOnly = euStack();
    roleWith(nullOnly, invoke([CLAUDE_IN_REGION], { Null: { 'bedrock:GuardrailIdentifier': 'false' } }));
    expect(findings(nullOnly)).toEqual(['PavedRoad-BedrockGuardrailCondition']);
    const wildcard = euStack();
    roleWith(wildcard, invoke([CLAUDE_IN_REGION], { StringLike: { 'bedrock:GuardrailIdentifier': '*' } }));
    expect(findings(wildcard)).toEqual(['PavedRoad-BedrockGuardrailCondition']);
  });

  it('BedrockGuardrailCondition exempts embedding models', () => {
    const stack = euStack();
    roleWith(stack, new iam.PolicyStatement({ actions: ['bedrock:InvokeModel'], resources: [TITAN_EMBED] }));
    expect(findings(stack)).toEqual([]);
  });

  it('sees escape-hatch overrides, not only typed props', () => {
    const stack = euStack();
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    (key.node.defaultChild as kms.CfnKey).addPropertyOverride('EnableKeyRotation', false);
    expect(findings(stack)).toEqual(['PavedRoad-KMSKeyRotationSingleRegion']);
  });
});
