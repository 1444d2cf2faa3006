import { type CfnResource, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import {
  AiGateway, type AiGatewayProps, bindEnvironment, ContentCapture, DataClass, Foundation, GatewayAuthorization, GatewayEndpoint, GatewayErrorCode, GatewayModel, GuardrailPolicy,
  HybridSearch, ResidencyZone, resolveEnvironment, Stage,
} from '../../lib';
import { ERROR_CODES } from '../../lambda/gateway/errors';
import { ChatCompletionsRequest, EmbeddingsRequest } from '../../lambda/gateway/openai';
import { CHAT_COMPLETIONS_SCHEMA, EMBEDDINGS_SCHEMA } from '../../lib/gateway/ai-gateway';
import { testApp } from '../support/app';

const CHAT_MODELS = [GatewayModel.bedrock('eu.anthropic.claude-sonnet-4-5-20250929-v1:0')];

function build() {
  const environment = resolveEnvironment({ name: 'eu-prod', account: '111122223333', region: 'eu-central-1', zone: ResidencyZone.EU, stage: Stage.PROD });
  const stack = new Stack(testApp(), 'Gateway', { env: { account: environment.account, region: environment.region } });
  bindEnvironment(stack, environment);
  const foundation = new Foundation(stack, 'Foundation', { environment });
  const auditBucket = s3.Bucket.fromBucketAttributes(stack, 'Audit', { bucketName: 'audit', encryptionKey: foundation.keyFor(DataClass.CONFIDENTIAL) });
  const guardrail = new GuardrailPolicy(stack, 'Guardrail', { foundation });
  return { stack, foundation, auditBucket, guardrail };
}

/** A gateway with the required props plus `props`, and its template. */
function gatewayTemplate(props: (parts: ReturnType<typeof build>) => Partial<AiGatewayProps> = () => ({})) {
  const parts = build();
  const gateway = new AiGateway(parts.stack, 'Gateway', { ...parts, chatModels: CHAT_MODELS, ...props(parts) });
  const id = (construct: Construct) => parts.stack.getLogicalId((construct.node.defaultChild ?? construct) as CfnResource);
  return { ...parts, gateway, id, template: Template.fromStack(parts.stack) };
}

/** Every IAM policy statement of the template. */
function statements(template: Template): Array<Record<string, unknown>> {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

describe('AiGateway', () => {
  let template: Template;
  beforeAll(() => {
    const { stack, foundation, auditBucket, guardrail } = build();
    new AiGateway(stack, 'Gateway', { foundation, guardrail, auditBucket, chatModels: [GatewayModel.bedrock('eu.anthropic.claude-sonnet-4-5-20250929-v1:0')] });
    template = Template.fromStack(stack);
  });

  it('lets the handler decrypt the budget table key through DynamoDB, for the budget table only', () => {
    const { template: t, gateway, stack } = gatewayTemplate();
    const decrypt = statements(t).filter((statement) => statement.Action === 'kms:Decrypt' && JSON.stringify(statement.Condition).includes('dynamodb'));
    expect(decrypt).toEqual([{
      Action: 'kms:Decrypt',
      Effect: 'Allow',
      Resource: stack.resolve(gateway.budgetTable.encryptionKey!.keyArn),
      Condition: { StringEquals: { 'kms:ViaService': 'dynamodb.eu-central-1.amazonaws.com', 'kms:EncryptionContext:aws:dynamodb:tableName': stack.resolve(gateway.budgetTable.tableName) } },
    }]);
  });

  it('has no dead-letter queue: API Gateway invokes it synchronously', () => {
    const { template: t, gateway, id } = gatewayTemplate();
    expect(t.findResources('AWS::Lambda::Function')[id(gateway.handler)].Properties.DeadLetterConfig).toBeUndefined();
    expect(gateway.handler.deadLetters).toBeUndefined();
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
    template.resourcePropertiesCountIs('AWS::ApiGateway::Method', { AuthorizationType: 'COGNITO_USER_POOLS' }, 5);
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', { ValidateRequestBody: true });
    template.hasResourceProperties('AWS::Cognito::UserPool', { MfaConfiguration: 'ON', Schema: Match.arrayWith([Match.objectLike({ Name: 'tenant_id', Mutable: false })]) });
  });

  it('serves POST /v1/chat/completions under /v1/chat, authorized and validated against the function schema\'s fields', () => {
    const resources = template.findResources('AWS::ApiGateway::Resource');
    const completions = Object.entries(resources).find(([, r]) => r.Properties.PathPart === 'completions')!;
    const chat = Object.entries(resources).find(([, r]) => r.Properties.PathPart === 'chat')!;
    expect(completions[1].Properties.ParentId).toEqual({ Ref: chat[0] });
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST', ResourceId: { Ref: completions[0] }, AuthorizationType: 'COGNITO_USER_POOLS', RequestValidatorId: Match.anyValue(),
      RequestModels: { 'application/json': Match.anyValue() },
    });
    template.hasResourceProperties('AWS::ApiGateway::Model', { Schema: Match.objectLike({ required: ['messages'], additionalProperties: false }) });
    expect(Object.keys(CHAT_COMPLETIONS_SCHEMA.properties!).sort()).toEqual(Object.keys(ChatCompletionsRequest.shape).sort());
    expect(Object.keys(EMBEDDINGS_SCHEMA.properties!).sort()).toEqual(Object.keys(EmbeddingsRequest.shape).sort());
  });

  it('answers the errors API Gateway raises itself in the OpenAI error shape with the stable codes', () => {
    for (const [type, status, code] of [['BAD_REQUEST_BODY', '400', 'invalid_request'], ['UNAUTHORIZED', '401', 'unauthorized'], ['ACCESS_DENIED', '403', 'unauthorized']]) {
      template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: type, StatusCode: status,
        ResponseTemplates: { 'application/json': Match.stringLikeRegexp(`^\\{"error":\\{"message":\\$context\\.error\\.messageString,"type":"[a-z_]+","param":null,"code":"${code}"`) },
      });
    }
  });

  it('traces, throttles and writes access logs to an encrypted log group, never request bodies', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      TracingEnabled: true,
      AccessLogSetting: { DestinationArn: Match.anyValue() },
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100, DataTraceEnabled: false, LoggingLevel: 'ERROR' })],
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: Match.anyValue(), RetentionInDays: 365 });
  });

  it('creates the execution-log group API Gateway would otherwise create unencrypted and kept forever, before the stage', () => {
    const { template: t, gateway, id, foundation } = gatewayTemplate();
    const groups = t.findResources('AWS::Logs::LogGroup', {
      Properties: { LogGroupName: { 'Fn::Join': ['', ['API-Gateway-Execution-Logs_', { Ref: id(gateway.api) }, '/api']] } },
    });
    const [[groupId, group]] = Object.entries(groups);
    expect(group.Properties).toMatchObject({ KmsKeyId: { 'Fn::GetAtt': [id(foundation.logKey), 'Arn'] }, RetentionInDays: 365 });
    const stage = t.findResources('AWS::ApiGateway::Stage')[id(gateway.api.deploymentStage)];
    expect(stage.DependsOn).toContain(groupId);
  });

  it('keeps budgets in a KMS-encrypted table with point-in-time recovery, retained in prod', () => {
    // Deletion protection refuses the delete a rolled-back create would make: Retain, not RetainExceptOnCreate.
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({ SSESpecification: Match.objectLike({ SSEEnabled: true, SSEType: 'KMS' }), PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }, DeletionProtectionEnabled: true }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('never asks a rollback to delete a deletion-protected table or user pool, and gives both generated names', () => {
    for (const type of ['AWS::DynamoDB::Table', 'AWS::Cognito::UserPool']) {
      const resources = Object.values(template.findResources(type));
      expect(resources.length).toBeGreaterThan(0);
      for (const resource of resources) {
        const protectedFromDeletion = resource.Properties.DeletionProtectionEnabled === true || resource.Properties.DeletionProtection === 'ACTIVE';
        expect(protectedFromDeletion).toBe(true);
        expect([resource.DeletionPolicy, resource.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
        expect(resource.Properties.TableName ?? resource.Properties.UserPoolName).toBeUndefined();
      }
    }
  });

  it('lets the gateway invoke models only with the guardrail and denies calls without one', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Allow', Action: Match.arrayWith(['bedrock:InvokeModel']), Condition: { StringEquals: { 'bedrock:GuardrailIdentifier': Match.anyValue() } } }),
          Match.objectLike({ Effect: 'Deny', Action: Match.arrayWith(['bedrock:InvokeModel']), Condition: { Null: { 'bedrock:GuardrailIdentifier': 'true' } } }),
          Match.objectLike({ Effect: 'Allow', Action: 'dynamodb:UpdateItem' }),
          Match.objectLike({ Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::audit/gateway/*' }),
        ]),
      },
    });
  });

  it('lets a gateway with Bedrock models only apply the guardrail, on the guardrail alone, and declares it for Converse', () => {
    // Model inference with a guardrail needs bedrock:ApplyGuardrail on the guardrail as well as
    // bedrock:InvokeModel on the model.
    // https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-permissions.html
    const { template: t, guardrail, stack } = gatewayTemplate();
    const apply = statements(t).filter((statement) => JSON.stringify(statement.Action).includes('bedrock:ApplyGuardrail'));
    expect(apply).toEqual([{ Effect: 'Allow', Action: 'bedrock:ApplyGuardrail', Resource: stack.resolve(guardrail.guardrailArn) }]);
    const handler = Object.entries(t.findResources('AWS::Lambda::Function')).find(([id]) => id.startsWith('GatewayHandler'))![1];
    const converse = (handler.Metadata['paved-road:operations'] as Array<{ operation: string; calls: Array<{ action: string; resource: unknown; kms?: { actions: string[] } }> }>)
      .find((o) => o.operation === 'bedrock:Converse')!;
    expect(converse.calls.filter((call) => call.action === 'bedrock:ApplyGuardrail')).toEqual([
      expect.objectContaining({ resource: stack.resolve(guardrail.guardrailArn), kms: expect.objectContaining({ actions: ['kms:Decrypt'], viaService: 'bedrock' }) }),
    ]);
  });

  it('refuses a model that leaves the residency zone and a dangling fallback', () => {
    const a = build();
    expect(() => new AiGateway(a.stack, 'G', { ...a, chatModels: [GatewayModel.bedrock('us.anthropic.claude-sonnet-4-5-20250929-v1:0')] })).toThrow(/leaves residency zone EU/);
    const b = build();
    expect(() => new AiGateway(b.stack, 'G', { ...b, chatModels: [GatewayModel.bedrock('anthropic.claude-3-haiku-20240307-v1:0', ['nope'])] })).toThrow(/fallback 'nope'/);
  });
});

describe('AiGateway metrics and alarms', () => {
  let built: ReturnType<typeof gatewayTemplate>;
  beforeAll(() => {
    built = gatewayTemplate();
  });

  const gatewayAlarm = (metricName: string, threshold: number) => ({
    Namespace: 'PavedRoad/AiGateway',
    MetricName: metricName,
    Dimensions: [{ Name: 'service', Value: 'ai-gateway' }],
    Statistic: 'Sum',
    Period: 300,
    EvaluationPeriods: 1,
    Threshold: threshold,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    TreatMissingData: 'notBreaching',
  });

  it('alarms on a single audit write failure in 5 minutes', () => {
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', gatewayAlarm('AuditWriteFailures', 1));
  });

  it('alarms on a single reservation left unsettled in 5 minutes', () => {
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', gatewayAlarm('UnsettledReservations', 1));
  });

  it('alarms on 5 internal errors in 5 minutes', () => {
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', gatewayAlarm('Errors_internal_error', 5));
  });

  it('alarms on 5 API 5XX responses in 5 minutes', () => {
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ApiGateway',
      MetricName: '5XXError',
      Dimensions: [{ Name: 'ApiName', Value: Match.anyValue() }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 5,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('alarms on any throttle of the gateway function', () => {
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Throttles',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: built.id(built.gateway.handler) } }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  /** The gateway's own alarms (its function's dead-letter alarm is PavedRoadFunction's). */
  const gatewayAlarms = (template: Template) => Object.values(template.findResources('AWS::CloudWatch::Alarm'))
    .filter((alarm) => alarm.Properties.MetricName !== 'ApproximateNumberOfMessagesVisible');

  it('creates the five alarms and notifies the environment alarm topic on ALARM and OK by default', () => {
    const alarms = gatewayAlarms(built.template);
    expect(alarms).toHaveLength(5);
    const topic = built.stack.resolve(built.foundation.alarmTopic.topicArn);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([topic]);
      expect(alarm.Properties.OKActions).toEqual([topic]);
    }
    expect(built.gateway.alarms).toEqual([built.gateway.auditWriteFailuresAlarm, built.gateway.unsettledReservationsAlarm, built.gateway.internalErrorsAlarm, built.gateway.serverErrorsAlarm, built.gateway.throttlesAlarm]);
  });

  it('notifies the given alarm topic instead when one is given', () => {
    const { template } = gatewayTemplate(({ stack }) => ({ alarmTopic: sns.Topic.fromTopicArn(stack, 'Ops', 'arn:aws:sns:eu-central-1:111122223333:ops') }));
    const alarms = gatewayAlarms(template);
    expect(alarms).toHaveLength(5);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual(['arn:aws:sns:eu-central-1:111122223333:ops']);
      expect(alarm.Properties.OKActions).toEqual(['arn:aws:sns:eu-central-1:111122223333:ops']);
    }
  });

  it('returns the published metrics with their default statistics', () => {
    const gateway = built.gateway;
    const expectMetric = (metric: ReturnType<AiGateway['metric']>, metricName: string, statistic: string) => {
      expect(metric).toMatchObject({ namespace: 'PavedRoad/AiGateway', metricName, statistic, dimensions: { service: 'ai-gateway' } });
      expect(metric.period.toMinutes()).toBe(5);
    };
    expectMetric(gateway.metricRequests(), 'Requests', 'Sum');
    expectMetric(gateway.metricTokensUsed(), 'TokensUsed', 'Sum');
    expectMetric(gateway.metricFallbacks(), 'Fallbacks', 'Sum');
    expectMetric(gateway.metricAuditWriteFailures(), 'AuditWriteFailures', 'Sum');
    expectMetric(gateway.metricGuardrailBlocked(), 'Errors_guardrail_blocked', 'Sum');
    expectMetric(gateway.metricLatency(), 'Latency', 'p99');
    expectMetric(gateway.metricErrors(GatewayErrorCode.of('budget_exceeded')), 'Errors_budget_exceeded', 'Sum');
    expect(gateway.metricLatency({ statistic: 'p50' }).statistic).toBe('p50');
    expect(GatewayErrorCode.all().map((code) => gateway.metricErrors(code).metricName)).toEqual([
      'Errors_invalid_request', 'Errors_unauthorized', 'Errors_not_found', 'Errors_budget_exceeded', 'Errors_budget_busy', 'Errors_request_exceeds_budget', 'Errors_budget_unavailable',
      'Errors_guardrail_blocked', 'Errors_model_unavailable', 'Errors_retrieval_unavailable', 'Errors_timeout', 'Errors_internal_error',
    ]);
  });

  it('knows exactly the error codes the gateway function answers with', () => {
    expect(GatewayErrorCode.all().map((code) => code.code)).toEqual([...ERROR_CODES]);
  });

  it('refuses an error code the gateway does not answer with', () => {
    expect(() => GatewayErrorCode.of('teapot')).toThrow(/'teapot' is not a gateway error code; use one of invalid_request, unauthorized, .*internal_error/);
    expect(() => built.gateway.metricErrors('timeout' as unknown as GatewayErrorCode)).toThrow(/metricErrors needs a GatewayErrorCode, got "timeout"; use one of GatewayErrorCode.of\('invalid_request'\)/);
  });
});

describe('AiGateway retrieval wiring', () => {
  it('lets the gateway invoke only the retrieval function and passes its ARN as RETRIEVAL_FUNCTION', () => {
    let retrieval!: HybridSearch;
    const { template, gateway, id } = gatewayTemplate(({ stack, foundation }) => {
      const curatedBucket = s3.Bucket.fromBucketAttributes(stack, 'Curated', { bucketName: 'curated', encryptionKey: foundation.keyFor(DataClass.CONFIDENTIAL) });
      retrieval = new HybridSearch(stack, 'Retrieval', { foundation, curatedBucket });
      return { retrieval };
    });
    const retrievalArn = { 'Fn::GetAtt': [id(retrieval.retrievalFunction), 'Arn'] };
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('AI gateway'),
      Environment: { Variables: Match.objectLike({ RETRIEVAL_FUNCTION: retrievalArn }) },
    });
    const invoke = statements(template).filter((statement) => JSON.stringify(statement.Action).includes('lambda:InvokeFunction'));
    expect(invoke).toEqual([{
      Effect: 'Allow',
      Action: 'lambda:InvokeFunction',
      Resource: [retrievalArn, { 'Fn::Join': ['', [retrievalArn, ':*']] }],
    }]);
    const gatewayPolicies = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(id(gateway.handler.role!)));
    expect(JSON.stringify(gatewayPolicies)).toContain('lambda:InvokeFunction');
  });

  it('sets no RETRIEVAL_FUNCTION and grants no lambda:InvokeFunction without retrieval', () => {
    const { template } = gatewayTemplate();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('AI gateway'),
      Environment: { Variables: Match.objectLike({ RETRIEVAL_FUNCTION: Match.absent() }) },
    });
    expect(statements(template).filter((statement) => JSON.stringify(statement.Action).includes('lambda:'))).toEqual([]);
  });
});

describe('AiGateway content hashing and self-hosted models', () => {
  /** The operations PavedRoadFunction recorded for the gateway function. */
  const operations = (template: Template) => Object.values(template.findResources('AWS::Lambda::Function'))
    .find((fn) => String(fn.Properties.Description).includes('AI gateway'))!.Metadata['paved-road:operations'];

  it('keys hashed capture with an HMAC KMS key that only allows GenerateMac with HMAC_SHA_256, and passes its ARN', () => {
    const { template, gateway, id } = gatewayTemplate(() => ({ contentCapture: ContentCapture.HASHED }));
    const keyArn = { 'Fn::GetAtt': [id(gateway.contentHashKey!), 'Arn'] };
    // What the rotation acknowledgment claims: an HMAC key (KMS rotates none), single-Region.
    template.hasResourceProperties('AWS::KMS::Key', {
      KeySpec: 'HMAC_256',
      KeyUsage: 'GENERATE_VERIFY_MAC',
      MultiRegion: false,
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'DenyGrantsExceptForAwsServices', Effect: 'Deny', Action: 'kms:CreateGrant' })]) },
    });
    expect(statements(template).filter((statement) => JSON.stringify(statement.Action).includes('kms:GenerateMac'))).toEqual([{
      Effect: 'Allow', Action: 'kms:GenerateMac', Resource: keyArn, Condition: { StringEquals: { 'kms:MacAlgorithm': 'HMAC_SHA_256' } },
    }]);
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ CONTENT_CAPTURE: 'hashed', CONTENT_HASH_KEY_ARN: keyArn }) } });
    expect(JSON.stringify(operations(template))).toContain('kms:GenerateMac');
  });

  it('creates no hash key and grants no GenerateMac unless hashes are captured', () => {
    const { template, gateway } = gatewayTemplate(() => ({ contentCapture: ContentCapture.REDACTED }));
    expect(gateway.contentHashKey).toBeUndefined();
    template.resourcePropertiesCountIs('AWS::KMS::Key', { KeySpec: 'HMAC_256' }, 0);
    expect(JSON.stringify(statements(template))).not.toContain('kms:GenerateMac');
  });

  it('names the inference component of a self-hosted model and may invoke it and its endpoint only', () => {
    const { template } = gatewayTemplate(() => ({
      chatModels: [...CHAT_MODELS, GatewayModel.selfHosted('llama', 'llama-endpoint', [], 'llama-endpoint-ic')],
    }));
    const invoke = statements(template).filter((statement) => JSON.stringify(statement.Action).includes('sagemaker:InvokeEndpoint'));
    expect(invoke).toHaveLength(1);
    expect(JSON.stringify(invoke[0].Resource)).toContain(':endpoint/llama-endpoint');
    expect(JSON.stringify(invoke[0].Resource)).toContain(':inference-component/llama-endpoint-ic');
    const models = Object.values(template.findResources('AWS::Lambda::Function')).map((fn) => fn.Properties.Environment?.Variables?.GATEWAY_MODELS).find(Boolean);
    expect(JSON.parse(models).chatModels).toContainEqual({ name: 'llama', provider: 'sagemaker', target: 'llama-endpoint', fallbacks: [], inferenceComponent: 'llama-endpoint-ic' });
    expect(JSON.stringify(operations(template))).toContain('inference-component/llama-endpoint-ic');
  });
});

describe('AiGateway in API-key mode', () => {
  let built: ReturnType<typeof gatewayTemplate>;
  beforeAll(() => {
    built = gatewayTemplate(() => ({ authorization: GatewayAuthorization.apiKeys(['acme', 'globex']) }));
  });

  it('puts one API key per tenant in a throttled usage plan on the stage', () => {
    built.template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: 50, BurstLimit: 100 },
      ApiStages: [{ ApiId: { Ref: built.id(built.gateway.api) }, Stage: Match.anyValue() }],
    });
    built.template.resourceCountIs('AWS::ApiGateway::ApiKey', 2);
    built.template.resourceCountIs('AWS::ApiGateway::UsagePlanKey', 2);
    expect(Object.keys(built.gateway.apiKeys).sort()).toEqual(['acme', 'globex']);
  });

  it('requires an API key on every route and creates no Cognito authorizer or user pool', () => {
    built.template.resourcePropertiesCountIs('AWS::ApiGateway::Method', { ApiKeyRequired: true, AuthorizationType: 'NONE' }, 5);
    built.template.resourceCountIs('AWS::ApiGateway::Authorizer', 0);
    built.template.resourceCountIs('AWS::Cognito::UserPool', 0);
    expect(built.gateway.userPool).toBeUndefined();
  });

  it('tells the function which tenant each key id belongs to', () => {
    const [fn] = Object.values(built.template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('AI gateway') } }));
    const mapping = JSON.stringify(fn.Properties.Environment.Variables.API_KEY_TENANTS);
    for (const tenant of ['acme', 'globex']) {
      expect(mapping).toContain(`{"Ref":"${built.id(built.gateway.apiKeys[tenant] as unknown as Construct)}"}`);
      expect(mapping).toContain(`\\",\\"${tenant}\\"]`);
    }
  });
});

describe('AiGateway with a private endpoint', () => {
  let built: ReturnType<typeof gatewayTemplate>;
  beforeAll(() => {
    built = gatewayTemplate(() => ({ endpoint: GatewayEndpoint.PRIVATE }));
  });

  it('creates a private API bound to an execute-api VPC endpoint with private DNS', () => {
    const [endpointId] = Object.entries(built.template.findResources('AWS::EC2::VPCEndpoint'))
      .find(([, e]) => JSON.stringify(e.Properties.ServiceName).includes('execute-api'))!;
    built.template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: Match.stringLikeRegexp('execute-api'),
      VpcEndpointType: 'Interface',
      PrivateDnsEnabled: true,
    });
    built.template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      EndpointConfiguration: { Types: ['PRIVATE'], VpcEndpointIds: [{ Ref: endpointId }] },
    });
  });

  it('denies every request that does not come through the VPC endpoint', () => {
    const [endpointId] = Object.entries(built.template.findResources('AWS::EC2::VPCEndpoint'))
      .find(([, e]) => JSON.stringify(e.Properties.ServiceName).includes('execute-api'))!;
    built.template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      Policy: { Statement: Match.arrayWith([Match.objectLike({
        Effect: 'Deny',
        Action: 'execute-api:Invoke',
        Condition: { StringNotEquals: { 'aws:SourceVpce': { Ref: endpointId } } },
      })]) },
    });
  });

  it('keeps the WAF web ACL associated with the private stage', () => {
    built.template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
    built.template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', { WebACLArn: { 'Fn::GetAtt': [built.id(built.gateway.webAcl), 'Arn'] } });
  });
});
