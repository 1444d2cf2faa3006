import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AiGateway, bindEnvironment, DataClass, Foundation, GatewayModel, GuardrailPolicy, ResidencyZone, resolveEnvironment, Stage } from '../../lib';
import { testApp } from '../support/app';

function build() {
  const environment = resolveEnvironment({ name: 'eu-prod', account: '111122223333', region: 'eu-central-1', zone: ResidencyZone.EU, stage: Stage.PROD });
  const stack = new Stack(testApp(), 'Gateway', { env: { account: environment.account, region: environment.region } });
  bindEnvironment(stack, environment);
  const foundation = new Foundation(stack, 'Foundation', { environment });
  const auditBucket = s3.Bucket.fromBucketAttributes(stack, 'Audit', { bucketName: 'audit', encryptionKey: foundation.keyFor(DataClass.CONFIDENTIAL) });
  const guardrail = new GuardrailPolicy(stack, 'Guardrail', { foundation });
  return { stack, foundation, auditBucket, guardrail };
}

describe('AiGateway', () => {
  let template: Template;
  beforeAll(() => {
    const { stack, foundation, auditBucket, guardrail } = build();
    new AiGateway(stack, 'Gateway', { foundation, guardrail, auditBucket, chatModels: [GatewayModel.bedrock('eu.anthropic.claude-sonnet-4-5-20250929-v1:0')] });
    template = Template.fromStack(stack);
  });

  it('associates a WAF web ACL with managed rule groups and a rate-based rule to the stage', () => {
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'REGIONAL',
      Rules: Match.arrayWith([
        Match.objectLike({ Statement: { ManagedRuleGroupStatement: Match.objectLike({ Name: 'AWSManagedRulesCommonRuleSet' }) } }),
        Match.objectLike({ Statement: { RateBasedStatement: { Limit: 1000, AggregateKeyType: 'IP' } }, Action: { Block: {} } }),
      ]),
    });
    template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
    template.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', { RedactedFields: [{ SingleHeader: { Name: 'authorization' } }, { SingleHeader: { Name: 'x-api-key' } }] });
  });

  it('authorizes every route with the Cognito user pool and validates bodies', () => {
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', { Type: 'COGNITO_USER_POOLS' });
    for (const method of ['POST', 'GET']) {
      template.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: method, AuthorizationType: 'COGNITO_USER_POOLS' });
    }
    template.resourcePropertiesCountIs('AWS::ApiGateway::Method', { AuthorizationType: 'COGNITO_USER_POOLS' }, 4);
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', { ValidateRequestBody: true });
    template.hasResourceProperties('AWS::Cognito::UserPool', { MfaConfiguration: 'ON', Schema: Match.arrayWith([Match.objectLike({ Name: 'tenant_id', Mutable: false })]) });
  });

  it('traces, throttles and writes access logs to an encrypted log group, never request bodies', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      TracingEnabled: true,
      AccessLogSetting: { DestinationArn: Match.anyValue() },
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100, DataTraceEnabled: false, LoggingLevel: 'ERROR' })],
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: Match.anyValue(), RetentionInDays: 365 });
  });

  it('keeps budgets in a KMS-encrypted table with point-in-time recovery, retained in prod', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({ SSESpecification: Match.objectLike({ SSEEnabled: true, SSEType: 'KMS' }), PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }, DeletionProtectionEnabled: true }),
      DeletionPolicy: 'Retain',
    });
  });

  it('lets the gateway invoke models only with the guardrail and denies calls without one', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Allow', Action: Match.arrayWith(['bedrock:Converse']), Condition: { StringEquals: { 'bedrock:GuardrailIdentifier': Match.anyValue() } } }),
          Match.objectLike({ Effect: 'Deny', Action: Match.arrayWith(['bedrock:Converse']), Condition: { Null: { 'bedrock:GuardrailIdentifier': 'true' } } }),
          Match.objectLike({ Effect: 'Allow', Action: 'dynamodb:UpdateItem' }),
          Match.objectLike({ Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::audit/gateway/*' }),
        ]),
      },
    });
  });

  it('refuses a model that leaves the residency zone and a dangling fallback', () => {
    const a = build();
    expect(() => new AiGateway(a.stack, 'G', { ...a, chatModels: [GatewayModel.bedrock('us.anthropic.claude-sonnet-4-5-20250929-v1:0')] })).toThrow(/leaves residency zone EU/);
    const b = build();
    expect(() => new AiGateway(b.stack, 'G', { ...b, chatModels: [GatewayModel.bedrock('anthropic.claude-3-haiku-20240307-v1:0', ['nope'])] })).toThrow(/fallback 'nope'/);
  });
});
