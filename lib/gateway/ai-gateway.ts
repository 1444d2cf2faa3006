import { ArnFormat, Duration, Stack, Token } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { acknowledgeFinding, wildcardResourceFindingId } from '../compliance/acknowledge';
import { DataClass } from '../core/data-class';
import { PavedRoadError } from '../core/errors';
import { addAlarmNotification } from '../foundation/alarm-notifications';
import { denyGrantsExceptForAwsServices } from '../foundation/data-key';
import type { Foundation } from '../foundation/foundation';
import type { IGuardrailPolicy } from '../guardrails/guardrail-policy';
import type { IHybridSearch } from '../retrieval/hybrid-search';
import { CONTENT_HASH_MAC_ALGORITHM, GATEWAY_OPERATIONS } from '../../lambda/gateway/aws';
import { declareServiceOperations, ServiceCaller } from '../permissions/service-operations';
import { InvocationMode, PavedRoadFunction } from '../serverless/paved-road-function';
import { type AiGatewayProps, BudgetPeriod, ContentCapture, GatewayAuthorization, GatewayEndpoint, type GatewayModel } from './ai-gateway-props';
import { GATEWAY_METRICS_NAMESPACE, GATEWAY_SERVICE_NAME, GatewayErrorCode } from './gateway-error-code';

/** API Gateway gives up on an integration after 29 s; the gateway answers well before. */
const GATEWAY_DEADLINE = Duration.seconds(25);
/** The API's one stage, part of its invoke URL. */
const STAGE_NAME = 'api';
const FUNCTION_TIMEOUT = Duration.seconds(28);

const CHAT_SCHEMA: apigateway.JsonSchema = {
  schema: apigateway.JsonSchemaVersion.DRAFT4,
  type: apigateway.JsonSchemaType.OBJECT,
  required: ['messages'],
  additionalProperties: false,
  properties: {
    model: { type: apigateway.JsonSchemaType.STRING, maxLength: 128 },
    system: { type: apigateway.JsonSchemaType.STRING, maxLength: 16384 },
    messages: {
      type: apigateway.JsonSchemaType.ARRAY,
      minItems: 1,
      maxItems: 64,
      items: {
        type: apigateway.JsonSchemaType.OBJECT,
        required: ['role', 'content'],
        additionalProperties: false,
        properties: {
          role: { type: apigateway.JsonSchemaType.STRING, enum: ['user', 'assistant'] },
          content: { type: apigateway.JsonSchemaType.STRING, minLength: 1, maxLength: 65536 },
        },
      },
    },
    maxTokens: { type: apigateway.JsonSchemaType.INTEGER, minimum: 1, maximum: 8192 },
    temperature: { type: apigateway.JsonSchemaType.NUMBER, minimum: 0, maximum: 1 },
    topP: { type: apigateway.JsonSchemaType.NUMBER, minimum: 0, maximum: 1 },
    retrieval: { type: apigateway.JsonSchemaType.OBJECT, additionalProperties: false, properties: { topK: { type: apigateway.JsonSchemaType.INTEGER, minimum: 1, maximum: 20 } } },
  },
};

const { ARRAY, BOOLEAN, INTEGER, NULL, NUMBER, OBJECT, STRING } = apigateway.JsonSchemaType;
/** A field the gateway accepts and ignores (docs/gateway.md): any value of its OpenAI type, or null. */
const ignored = (type: apigateway.JsonSchemaType): apigateway.JsonSchema => ({ type: [type, NULL] });

/**
 * `POST /v1/chat/completions`: the fields the gateway knows, with their types and bounds; the
 * function's schema (lambda/gateway/openai.ts) checks the rest (message shapes, images, tools).
 * The property names are tested to be the function's.
 */
export const CHAT_COMPLETIONS_SCHEMA: apigateway.JsonSchema = {
  schema: apigateway.JsonSchemaVersion.DRAFT4,
  type: OBJECT,
  required: ['messages'],
  additionalProperties: false,
  properties: {
    model: { type: [STRING, NULL], maxLength: 128 },
    messages: {
      type: ARRAY,
      minItems: 1,
      maxItems: 256,
      items: { type: OBJECT, required: ['role'], properties: { role: { type: STRING, enum: ['system', 'developer', 'user', 'assistant', 'tool'] } } },
    },
    max_completion_tokens: { type: [INTEGER, NULL], minimum: 1, maximum: 8192 },
    max_tokens: { type: [INTEGER, NULL], minimum: 1, maximum: 8192 },
    temperature: { type: [NUMBER, NULL], minimum: 0, maximum: 1 },
    top_p: { type: [NUMBER, NULL], minimum: 0, maximum: 1 },
    stop: { type: [STRING, ARRAY, NULL], maxItems: 4 },
    n: { type: [INTEGER, NULL], enum: [1, null] },
    stream: { type: [BOOLEAN, NULL] },
    stream_options: ignored(OBJECT),
    tools: { type: [ARRAY, NULL], maxItems: 128 },
    tool_choice: { type: [STRING, OBJECT, NULL] },
    response_format: { type: [OBJECT, NULL] },
    retrieval: { type: [OBJECT, NULL], additionalProperties: false, properties: { topK: { type: INTEGER, minimum: 1, maximum: 20 } } },
    user: ignored(STRING),
    seed: ignored(INTEGER),
    store: ignored(BOOLEAN),
    metadata: ignored(OBJECT),
    parallel_tool_calls: ignored(BOOLEAN),
    service_tier: ignored(STRING),
    prompt_cache_key: ignored(STRING),
    prompt_cache_retention: ignored(STRING),
    safety_identifier: ignored(STRING),
    logit_bias: ignored(OBJECT),
    frequency_penalty: { type: [NUMBER, NULL], enum: [0, null] },
    presence_penalty: { type: [NUMBER, NULL], enum: [0, null] },
    logprobs: { type: [BOOLEAN, NULL], enum: [false, null] },
    top_logprobs: { type: [INTEGER, NULL], enum: [0, null] },
  },
};

/** `POST /v1/embeddings` (OpenAI's shape). */
export const EMBEDDINGS_SCHEMA: apigateway.JsonSchema = {
  schema: apigateway.JsonSchemaVersion.DRAFT4,
  type: OBJECT,
  required: ['input'],
  additionalProperties: false,
  properties: {
    model: { type: [STRING, NULL], maxLength: 128 },
    input: { type: [STRING, ARRAY], maxItems: 16 },
    dimensions: { type: INTEGER, enum: [256, 512, 1024] },
    encoding_format: { type: STRING, enum: ['float', 'base64'] },
    user: ignored(STRING),
  },
};

/**
 * Errors API Gateway answers itself (before the function) in OpenAI's error shape, so that SDKs
 * read a code there too. `$context.error.messageString` is the quoted message.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html
 */
const GATEWAY_RESPONSES: ReadonlyArray<[apigateway.ResponseType, string, string, string]> = [
  [apigateway.ResponseType.BAD_REQUEST_BODY, '400', 'invalid_request_error', 'invalid_request'],
  [apigateway.ResponseType.UNAUTHORIZED, '401', 'authentication_error', 'unauthorized'],
  [apigateway.ResponseType.ACCESS_DENIED, '403', 'permission_error', 'unauthorized'],
];

const RETRIEVE_SCHEMA: apigateway.JsonSchema = {
  schema: apigateway.JsonSchemaVersion.DRAFT4,
  type: apigateway.JsonSchemaType.OBJECT,
  required: ['query'],
  additionalProperties: false,
  properties: {
    query: { type: apigateway.JsonSchemaType.STRING, minLength: 1, maxLength: 2000 },
    topK: { type: apigateway.JsonSchemaType.INTEGER, minimum: 1, maximum: 20 },
  },
};

/**
 * The AI gateway: every model call of every product team passes through it, so this is where
 * tenancy, budgets, guardrails and audit are enforced.
 *
 * An API Gateway REST API (regional behind a WAF web ACL, or private), with request validation,
 * X-Ray tracing, stage throttling and encrypted access logs; a Cognito (or API-key) authorizer
 * that carries the tenant; the gateway function, allowed to invoke only the environment's
 * models and only with the guardrail; the tenants' token budgets in a KMS-encrypted table; and
 * alarms on audit gaps, internal errors, API 5XX and throttling.
 *
 * The function publishes EMF metrics (namespace `PavedRoad/AiGateway`, dimension
 * `service=ai-gateway`); `metricXxx()` returns them for dashboards and further alarms.
 */
export class AiGateway extends Construct {
  /** The REST API. */
  public readonly api: apigateway.RestApi;
  /** The gateway function. */
  public readonly handler: PavedRoadFunction;
  /** Per-tenant token budgets: `{ tenantId, limitTokens, budgetPeriod, remainingTokens }`. */
  public readonly budgetTable: dynamodb.Table;
  /** The WAF web ACL in front of the API stage (in both endpoint modes). */
  public readonly webAcl: wafv2.CfnWebACL;
  /** ALARM when an audit object could not be written: a request was answered without its audit record. */
  public readonly auditWriteFailuresAlarm: cloudwatch.Alarm;
  /** ALARM when a reservation could not be settled or released: its amount awaits reconciliation. */
  public readonly unsettledReservationsAlarm: cloudwatch.Alarm;
  /**
   * The HMAC KMS key `ContentCapture.HASHED` keys its hashes with (the gateway derives its hash key
   * from it once per execution environment); only in environments that capture hashes.
   */
  public readonly contentHashKey?: kms.IKey;
  /** ALARM at 5 or more `internal_error` answers in 5 minutes. */
  public readonly internalErrorsAlarm: cloudwatch.Alarm;
  /** ALARM at 5 or more 5XX responses of the API stage in 5 minutes. */
  public readonly serverErrorsAlarm: cloudwatch.Alarm;
  /** ALARM when the gateway function is throttled (its reserved concurrency is exhausted). */
  public readonly throttlesAlarm: cloudwatch.Alarm;
  /** The user pool, in Cognito mode. */
  public readonly userPool?: cognito.IUserPool;
  /** The API keys by tenant, in API-key mode. */
  public readonly apiKeys: Record<string, apigateway.IApiKey> = {};
  private readonly foundation: Foundation;

  constructor(scope: Construct, id: string, props: AiGatewayProps) {
    super(scope, id);
    const foundation = props.foundation;
    const env = foundation.environment;
    this.foundation = foundation;
    const authorization = props.authorization ?? GatewayAuthorization.cognito();
    const endpoint = props.endpoint ?? GatewayEndpoint.REGIONAL;
    const embeddingModels = props.embeddingModels ?? ['amazon.titan-embed-text-v2:0'];
    const auditPrefix = props.auditPrefix ?? 'gateway/';
    const auditKey = props.auditKey ?? props.auditBucket.encryptionKey;
    this.validate(props, auditKey, auditPrefix);

    this.budgetTable = new dynamodb.Table(this, 'Budgets', {
      partitionKey: { name: 'tenantId', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: foundation.keyFor(DataClass.CONFIDENTIAL),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: env.stage.isProd,
      removalPolicy: env.stage.deletionProtectedRemovalPolicy(this, env.stage.isProd),
    });
    acknowledgeFinding(this.budgetTable,
      { id: 'NIST.800.53.R5-DynamoDBInBackupPlan', reason: 'The budget table holds only counters that onboarding can recreate; point-in-time recovery (35 days) restores it, so an AWS Backup plan would add no recovery capability.' },
      { id: 'HIPAA.Security-DynamoDBInBackupPlan', reason: 'The budget table holds only counters that onboarding can recreate; point-in-time recovery (35 days) restores it, so an AWS Backup plan would add no recovery capability.' },
    );

    const bedrockChat = props.chatModels.filter((m) => m.provider === 'bedrock');
    const selfHosted = props.chatModels.filter((m) => m.provider === 'sagemaker');
    this.handler = new PavedRoadFunction(this, 'Handler', {
      foundation,
      entry: 'lambda/gateway/index.ts',
      description: `paved-road ${env.name}: AI gateway (tenancy, budgets, guardrails, audit)`,
      memorySize: 1024,
      timeout: FUNCTION_TIMEOUT,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions ?? 50,
      operations: GATEWAY_OPERATIONS,
      // API Gateway proxy integrations invoke synchronously: a failed request returns to the caller.
      invocationMode: InvocationMode.SYNCHRONOUS,
      environment: {
        GATEWAY_MODELS: JSON.stringify({
          chatModels: props.chatModels.map((m) => ({
            name: m.name, provider: m.provider, target: m.target, fallbacks: m.fallbacks,
            ...(m.inferenceComponentName ? { inferenceComponent: m.inferenceComponentName } : {}),
          })),
          embeddingModels: embeddingModels.map((modelId) => ({ name: modelId, target: modelId })),
        }),
        GUARDRAIL_IDENTIFIER: props.guardrail.guardrailArn,
        GUARDRAIL_VERSION: props.guardrail.guardrailVersion,
        BUDGET_TABLE: this.budgetTable.tableName,
        BUDGET_PERIOD: (props.budgetPeriod ?? BudgetPeriod.MONTHLY).value,
        AUDIT_BUCKET: props.auditBucket.bucketName,
        AUDIT_PREFIX: auditPrefix,
        AUDIT_KEY_ARN: auditKey!.keyArn,
        CONTENT_CAPTURE: (props.contentCapture ?? ContentCapture.NONE).value,
        DEADLINE_MS: String(GATEWAY_DEADLINE.toMilliseconds()),
        TENANT_CLAIM: `custom:${authorization.tenantAttribute ?? 'tenant_id'}`,
        POWERTOOLS_SERVICE_NAME: GATEWAY_SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: GATEWAY_METRICS_NAMESPACE,
      },
    });
    this.grantAccess(props.guardrail, [...bedrockChat.map((m) => m.target), ...embeddingModels], selfHosted, props, auditKey!, auditPrefix);
    if (props.contentCapture === ContentCapture.HASHED) this.contentHashKey = this.createContentHashKey();
    if (props.retrieval) this.wireRetrieval(props.retrieval);

    this.api = this.createApi(endpoint, props);
    const stage = this.api.deploymentStage;
    this.userPool = this.wireRoutes(authorization, props);

    this.webAcl = this.createWebAcl(props.wafRequestsPer5MinutesPerIp ?? 1000);
    new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', { resourceArn: stage.stageArn, webAclArn: this.webAcl.attrArn });

    const alarm = (id: string, metric: cloudwatch.IMetric, threshold: number, description: string) => new cloudwatch.Alarm(this, id, {
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // No data points means no failures, errors or throttles in the period.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `paved-road ${env.name} AI gateway: ${description}`,
    });
    this.auditWriteFailuresAlarm = alarm('AuditWriteFailuresAlarm', this.metricAuditWriteFailures(), 1,
      'an audit object could not be written, so a request was answered without its audit record (compliance incident); see the function logs for the event without content.');
    this.unsettledReservationsAlarm = alarm('UnsettledReservationsAlarm', this.metricUnsettledReservations(), 1,
      'a token reservation could not be settled or released; reconcile the tenant budget from the audit events with an `unsettled` field (docs/gateway.md, Budgets).');
    this.internalErrorsAlarm = alarm('InternalErrorsAlarm', this.metricErrors(GatewayErrorCode.INTERNAL_ERROR), 5,
      '5 or more requests in 5 minutes ended with internal_error; see the function logs.');
    this.serverErrorsAlarm = alarm('ServerErrorsAlarm', this.api.metricServerError({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }), 5,
      '5 or more 5XX responses of the API in 5 minutes (function errors, timeouts or integration failures).');
    this.throttlesAlarm = alarm('ThrottlesAlarm', this.handler.metricThrottles({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }), 1,
      'the gateway function was throttled: its reserved concurrency is exhausted; raise reservedConcurrentExecutions or find the caller.');
    this.wireAlarmActions(props.alarmTopic ?? foundation.alarmTopic);
  }

  /** The invoke URL of the API stage, e.g. `https://abc.execute-api.eu-central-1.amazonaws.com/api/`. */
  public get url(): string {
    return this.api.url;
  }

  /** All gateway alarms, in the order of the properties above. */
  public get alarms(): cloudwatch.Alarm[] {
    return [this.auditWriteFailuresAlarm, this.unsettledReservationsAlarm, this.internalErrorsAlarm, this.serverErrorsAlarm, this.throttlesAlarm];
  }

  /**
   * A metric the gateway function publishes, in namespace `PavedRoad/AiGateway` with dimension
   * `service=ai-gateway`.
   * @param metricName e.g. `Requests`, `Errors_timeout`, `Latency`
   * @param props overrides; default: sum over 5 minutes
   */
  public metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: GATEWAY_METRICS_NAMESPACE,
      metricName,
      dimensionsMap: { service: GATEWAY_SERVICE_NAME },
      period: Duration.minutes(5),
      statistic: cloudwatch.Stats.SUM,
      ...props,
    }).attachTo(this);
  }

  /**
   * Requests the gateway answered successfully (one per request).
   * @default - sum over 5 minutes
   */
  public metricRequests(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('Requests', props);
  }

  /**
   * Requests that ended with one error code (`Errors_<code>`).
   * @param code e.g. `GatewayErrorCode.TIMEOUT`, or `GatewayErrorCode.of('timeout')`
   * @default - sum over 5 minutes
   */
  public metricErrors(code: GatewayErrorCode, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    if (!GatewayErrorCode.isGatewayErrorCode(code)) {
      throw new PavedRoadError(`${this.node.path}: metricErrors needs a GatewayErrorCode, got ${JSON.stringify(code)}; use one of ${GatewayErrorCode.all().map((c) => `GatewayErrorCode.of('${c.code}')`).join(', ')}`);
    }
    return this.metric(code.metricName, props);
  }

  /**
   * Requests the guardrail blocked (prompt or answer); `Errors_guardrail_blocked`.
   * @default - sum over 5 minutes
   */
  public metricGuardrailBlocked(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metricErrors(GatewayErrorCode.GUARDRAIL_BLOCKED, props);
  }

  /**
   * End-to-end latency of the gateway function per request, in milliseconds.
   * @default - p99 over 5 minutes
   */
  public metricLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('Latency', { statistic: cloudwatch.Stats.p(99), ...props });
  }

  /**
   * Input plus output tokens of the model calls.
   * @default - sum over 5 minutes
   */
  public metricTokensUsed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('TokensUsed', props);
  }

  /**
   * Requests answered by a fallback model instead of the one asked for.
   * @default - sum over 5 minutes
   */
  public metricFallbacks(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('Fallbacks', props);
  }

  /**
   * Audit objects that could not be written; any value above zero is an audit gap.
   * @default - sum over 5 minutes
   */
  public metricAuditWriteFailures(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('AuditWriteFailures', props);
  }

  /**
   * Reservations the budget store could not settle or release; each awaits reconciliation.
   * @default - sum over 5 minutes
   */
  public metricUnsettledReservations(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('UnsettledReservations', props);
  }

  /**
   * An HMAC_256 key (GENERATE_VERIFY_MAC) that never leaves KMS; the gateway may only GenerateMac
   * with HMAC_SHA_256. KMS does not rotate HMAC keys (rotation is for symmetric encryption keys):
   * a new key means new hashes, so the key is retained with the environment's data.
   * https://docs.aws.amazon.com/kms/latest/developerguide/hmac.html
   * https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html
   */
  private createContentHashKey(): kms.Key {
    const env = this.foundation.environment;
    const key = new kms.Key(this, 'ContentHashKey', {
      description: `paved-road ${env.name}: keys the AI gateway's hashed content capture (HMAC-SHA256)`,
      keySpec: kms.KeySpec.HMAC_256,
      keyUsage: kms.KeyUsage.GENERATE_VERIFY_MAC,
      multiRegion: false,
      removalPolicy: this.foundation.removalPolicy,
      pendingWindow: Duration.days(30),
    });
    denyGrantsExceptForAwsServices(key);
    acknowledgeFinding(key, {
      id: 'PavedRoad-KMSKeyRotationSingleRegion',
      reason: 'KMS rotates only symmetric encryption keys, never HMAC keys; this HMAC key is single-Region, its material never leaves KMS, and the gateway may only call GenerateMac with HMAC_SHA_256 on it.',
    });
    iam.Grant.addToPrincipal({
      grantee: this.handler,
      actions: ['kms:GenerateMac'],
      resourceArns: [key.keyArn],
      conditions: { StringEquals: { 'kms:MacAlgorithm': CONTENT_HASH_MAC_ALGORITHM } },
    });
    this.handler.addEnvironment('CONTENT_HASH_KEY_ARN', key.keyArn);
    return key;
  }

  private wireRetrieval(retrieval: IHybridSearch): void {
    const fn = this.handler;
    // lambda:InvokeFunction on the retrieval function (and its versions) only.
    retrieval.grantRetrieve(fn);
    fn.addEnvironment('RETRIEVAL_FUNCTION', retrieval.retrievalFunctionArn);
    acknowledgeFinding(fn, {
      id: wildcardResourceFindingId(this, `${retrieval.retrievalFunctionArn}:*`),
      reason: 'The wildcard only covers versions and aliases of the one retrieval function, which aws-cdk-lib grants with the function so qualified invocations work; the gateway may invoke no other function.',
    });
  }

  private wireAlarmActions(topic: sns.ITopic): void {
    for (const alarm of this.alarms) addAlarmNotification(alarm, topic, { onOk: true });
  }

  private validate(props: AiGatewayProps, auditKey: kms.IKey | undefined, auditPrefix: string): void {
    const where = this.node.path;
    const env = props.foundation.environment;
    if (props.chatModels.length === 0) {
      throw new PavedRoadError(`${where}: chatModels is empty; pass at least one, e.g. GatewayModel.bedrock('${env.zone.profilePrefixes()[0] ?? 'eu'}.anthropic.claude-haiku-4-5-20251001-v1:0')`);
    }
    const names = new Set<string>();
    for (const model of props.chatModels) {
      if (names.has(model.name)) throw new PavedRoadError(`${where}: chat model '${model.name}' is listed twice; list each model once`);
      names.add(model.name);
      if (model.provider === 'bedrock') env.zone.assertModel(model.target, where);
    }
    for (const model of props.chatModels) {
      for (const fallback of model.fallbacks) {
        if (!names.has(fallback) || fallback === model.name) {
          throw new PavedRoadError(`${where}: fallback '${fallback}' of chat model '${model.name}' is not another chat model of this gateway; add it to chatModels or remove it`);
        }
      }
    }
    if (!auditKey) {
      throw new PavedRoadError(`${where}: auditBucket has no KMS key; pass auditKey, or a bucket encrypted with a customer-managed key`);
    }
    if (!Token.isUnresolved(auditPrefix) && !/^([A-Za-z0-9=_-]+\/)+$/.test(auditPrefix)) {
      throw new PavedRoadError(`${where}: auditPrefix '${auditPrefix}' must be one or more path segments ending in '/', e.g. 'gateway/'`);
    }
  }

  private grantAccess(guardrail: IGuardrailPolicy, bedrockModels: string[], selfHosted: GatewayModel[], props: AiGatewayProps, auditKey: kms.IKey, auditPrefix: string): void {
    const fn = this.handler;
    guardrail.grantModelInvocation(fn, bedrockModels);
    // Converse with a guardrail is authorized as ApplyGuardrail on it too (CONVERSE), and
    // self-hosted answers go through ApplyGuardrail (APPLY_GUARDRAIL): every gateway needs it.
    // https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-permissions.html
    guardrail.grantApply(fn);
    if (selfHosted.length > 0) {
      const stack = Stack.of(this);
      iam.Grant.addToPrincipal({
        grantee: fn,
        actions: ['sagemaker:InvokeEndpoint'],
        // A call that names an inference component is authorized against it as well as the endpoint.
        // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html
        resourceArns: selfHosted.flatMap((m) => [
          stack.formatArn({ service: 'sagemaker', resource: 'endpoint', resourceName: m.target.toLowerCase(), arnFormat: ArnFormat.SLASH_RESOURCE_NAME }),
          ...(m.inferenceComponentName
            ? [stack.formatArn({ service: 'sagemaker', resource: 'inference-component', resourceName: m.inferenceComponentName.toLowerCase(), arnFormat: ArnFormat.SLASH_RESOURCE_NAME })]
            : []),
        ]),
      });
    }
    // The budget is only ever changed by conditional updates: no reads, no puts, no deletes.
    this.budgetTable.grant(fn, 'dynamodb:UpdateItem');
    // DynamoDB decrypts the table key with the caller's credentials: kms:Decrypt, through
    // DynamoDB, for this table only (UPDATE_BUDGET_ITEM declares the call).
    // https://docs.aws.amazon.com/kms/latest/developerguide/services-dynamodb.html
    fn.addToRolePolicy(new iam.PolicyStatement({
      actions: ['kms:Decrypt'],
      resources: [this.budgetTable.encryptionKey!.keyArn],
      conditions: {
        StringEquals: {
          'kms:ViaService': `dynamodb.${Stack.of(this).region}.amazonaws.com`,
          'kms:EncryptionContext:aws:dynamodb:tableName': this.budgetTable.tableName,
        },
      },
    }));
    // Audit objects are write-only for the gateway, and only under its prefix.
    const auditObjects = props.auditBucket.arnForObjects(`${auditPrefix}*`);
    iam.Grant.addToPrincipal({ grantee: fn, actions: ['s3:PutObject'], resourceArns: [auditObjects] });
    acknowledgeFinding(fn, {
      id: wildcardResourceFindingId(this, auditObjects),
      reason: 'Each request writes a new audit object whose key holds tenant, date and request id; the grant allows only PutObject, only under the gateway prefix, never reading or deleting the trail.',
    });
    auditKey.grant(fn, 'kms:GenerateDataKey');
  }

  private createApi(endpoint: GatewayEndpoint, props: AiGatewayProps): apigateway.RestApi {
    const foundation = this.foundation;
    const accessLogs = foundation.createLogGroup(this, 'AccessLogs');
    let vpcEndpoint: ec2.InterfaceVpcEndpoint | undefined;
    if (endpoint === GatewayEndpoint.PRIVATE) {
      const sg = new ec2.SecurityGroup(this, 'ApiEndpointSecurityGroup', {
        vpc: foundation.vpc,
        description: 'HTTPS from inside the VPC to the private AI gateway',
        allowAllOutbound: false,
      });
      // The literal CIDR (not the VPC's CidrBlock attribute) lets the rule packs verify the source.
      sg.addIngressRule(ec2.Peer.ipv4(foundation.vpcCidr), ec2.Port.tcp(443), 'HTTPS from workloads in the VPC');
      vpcEndpoint = foundation.vpc.addInterfaceEndpoint('ExecuteApi', {
        service: ec2.InterfaceVpcEndpointAwsService.APIGATEWAY,
        privateDnsEnabled: true,
        subnets: foundation.workloadSubnets,
        open: false,
        securityGroups: [sg],
      });
    }
    const api = new apigateway.RestApi(this, 'Api', {
      description: `paved-road ${foundation.environment.name}: AI gateway`,
      endpointConfiguration: vpcEndpoint
        ? { types: [apigateway.EndpointType.PRIVATE], vpcEndpoints: [vpcEndpoint] }
        : { types: [apigateway.EndpointType.REGIONAL] },
      policy: vpcEndpoint ? new iam.PolicyDocument({
        statements: [
          new iam.PolicyStatement({ principals: [new iam.AnyPrincipal()], actions: ['execute-api:Invoke'], resources: ['execute-api:/*'] }),
          new iam.PolicyStatement({
            effect: iam.Effect.DENY,
            principals: [new iam.AnyPrincipal()],
            actions: ['execute-api:Invoke'],
            resources: ['execute-api:/*'],
            conditions: { StringNotEquals: { 'aws:SourceVpce': vpcEndpoint.vpcEndpointId } },
          }),
        ],
      }) : undefined,
      // The account-level CloudWatch role is created once per account and region, not per API.
      cloudWatchRole: false,
      disableExecuteApiEndpoint: false,
      deployOptions: {
        stageName: STAGE_NAME,
        tracingEnabled: true,
        accessLogDestination: new apigateway.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields({
          caller: false, httpMethod: true, ip: true, protocol: true, requestTime: true, resourcePath: true, responseLength: true, status: true, user: true,
        }),
        throttlingRateLimit: props.throttlingRatePerSecond ?? 50,
        throttlingBurstLimit: props.throttlingBurst ?? 100,
        // Execution logs: errors only and never request or response bodies (prompts).
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
      },
    });
    // API Gateway creates the execution-log group itself, unencrypted and kept forever, unless it
    // exists: created here first, with the log key and the foundation's retention.
    // https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-execution-logging.html
    const executionLogs = foundation.createLogGroup(this, 'ExecutionLogs', {
      logGroupName: `API-Gateway-Execution-Logs_${api.restApiId}/${STAGE_NAME}`,
    });
    api.deploymentStage.node.addDependency(executionLogs);
    const noCache = 'Gateway responses are per tenant and per prompt; a stage cache could serve one tenant the completion of another, so no cache cluster exists and no cached data exists to encrypt.';
    const noClientCert = 'The only integration is the gateway Lambda through the AWS Lambda API, signed with SigV4 over TLS; stage client certificates authenticate API Gateway to HTTP backends only.';
    acknowledgeFinding(api.deploymentStage,
      { id: 'HIPAA.Security-APIGWCacheEnabledAndEncrypted', reason: noCache },
      { id: 'NIST.800.53.R5-APIGWCacheEnabledAndEncrypted', reason: noCache },
      { id: 'PCI.DSS.321-APIGWCacheEnabledAndEncrypted', reason: noCache },
      { id: 'HIPAA.Security-APIGWSSLEnabled', reason: noClientCert },
      { id: 'NIST.800.53.R5-APIGWSSLEnabled', reason: noClientCert },
      { id: 'PCI.DSS.321-APIGWSSLEnabled', reason: noClientCert },
    );
    return api;
  }

  private wireRoutes(authorization: GatewayAuthorization, props: AiGatewayProps): cognito.IUserPool | undefined {
    const api = this.api;
    // A plain proxy integration plus one permission that names the source account and API: the
    // LambdaIntegration helper adds a permission per method that Control Tower cannot verify.
    const stack = Stack.of(this);
    const integration = new apigateway.Integration({
      type: apigateway.IntegrationType.AWS_PROXY,
      integrationHttpMethod: 'POST',
      uri: `arn:${stack.partition}:apigateway:${stack.region}:lambda:path/2015-03-31/functions/${this.handler.functionArn}/invocations`,
      options: { timeout: Duration.seconds(29) },
    });
    this.handler.addPermission('InvokeFromApi', {
      principal: new iam.ServicePrincipal('apigateway.amazonaws.com'),
      sourceAccount: stack.account,
      sourceArn: api.arnForExecuteApi('*', '/v1/*', api.deploymentStage.stageName),
    });
    const stageName = api.deploymentStage.stageName;
    const routes: Array<[string, string]> = [['POST', '/v1/chat/completions'], ['POST', '/v1/chat'], ['POST', '/v1/embeddings'], ['POST', '/v1/retrieve'], ['GET', '/v1/models']];
    declareServiceOperations(this.handler.node.findChild('InvokeFromApi'), {
      description: 'API Gateway invokes the gateway function for each route',
      docs: ['https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html', 'https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway.html'],
      caller: ServiceCaller.servicePrincipal('apigateway.amazonaws.com'),
      calls: routes.map(([method, path]) => ({
        action: 'lambda:InvokeFunction',
        resource: this.handler.functionArn,
        context: { 'aws:SourceArn': api.arnForExecuteApi(method, path, stageName), 'aws:SourceAccount': stack.account },
      })),
    });
    const validator = new apigateway.RequestValidator(this, 'BodyValidator', { restApi: api, validateRequestBody: true, validateRequestParameters: true });
    const model = (id: string, schema: apigateway.JsonSchema) => new apigateway.Model(this, id, { restApi: api, contentType: 'application/json', schema });

    let userPool: cognito.IUserPool | undefined;
    let methodOptions: apigateway.MethodOptions;
    if (authorization.mode === 'cognito') {
      userPool = authorization.userPool ?? this.createUserPool(authorization.tenantAttribute!);
      const authorizer = new apigateway.CognitoUserPoolsAuthorizer(this, 'Authorizer', { cognitoUserPools: [userPool], identitySource: 'method.request.header.Authorization' });
      methodOptions = { authorizer, authorizationType: apigateway.AuthorizationType.COGNITO };
    } else {
      methodOptions = { apiKeyRequired: true };
      const plan = api.addUsagePlan('UsagePlan', {
        description: 'Per-tenant API keys of the AI gateway',
        throttle: { rateLimit: props.throttlingRatePerSecond ?? 50, burstLimit: props.throttlingBurst ?? 100 },
        apiStages: [{ api, stage: api.deploymentStage }],
      });
      for (const tenant of authorization.tenants) {
        // Bound to the stage through the usage plan only: RestApi.addApiKey would also list the stage
        // on the key, and the function's API_KEY_TENANTS (key ids) would close a dependency cycle
        // key -> stage -> deployment -> method -> function -> key.
        const key = new apigateway.ApiKey(api, `Key-${tenant}`, { description: `AI gateway key of tenant ${tenant}` });
        plan.addApiKey(key);
        this.apiKeys[tenant] = key;
      }
      this.handler.addEnvironment('API_KEY_TENANTS', Stack.of(this).toJsonString(authorization.tenants.map((tenant) => [this.apiKeys[tenant].keyId, tenant])));
    }

    for (const [type, statusCode, errorType, code] of GATEWAY_RESPONSES) {
      api.addGatewayResponse(`Response${statusCode}`, {
        type,
        statusCode,
        templates: { 'application/json': `{"error":{"message":$context.error.messageString,"type":"${errorType}","param":null,"code":"${code}","requestId":"$context.requestId"}}` },
      });
    }

    const v1 = api.root.addResource('v1');
    const post = (resource: apigateway.IResource, id: string, schema: apigateway.JsonSchema) => resource.addMethod('POST', integration, {
      ...methodOptions,
      requestValidator: validator,
      requestModels: { 'application/json': model(id, schema) },
    });
    const chat = v1.addResource('chat');
    const methods = [
      post(chat.addResource('completions'), 'ChatCompletionsRequest', CHAT_COMPLETIONS_SCHEMA),
      post(chat, 'ChatRequest', CHAT_SCHEMA),
      post(v1.addResource('embeddings'), 'EmbeddingsRequest', EMBEDDINGS_SCHEMA),
      post(v1.addResource('retrieve'), 'RetrieveRequest', RETRIEVE_SCHEMA),
      v1.addResource('models').addMethod('GET', integration, { ...methodOptions, requestValidator: validator }),
    ];
    if (authorization.mode !== 'cognito') {
      for (const method of methods) {
        acknowledgeFinding(method,
          { id: 'AwsSolutions-APIG4', reason: 'API-key mode is meant for service callers: each tenant key is bound to a usage plan, and the WAF web ACL plus stage throttling limit abuse of a leaked key.' },
          { id: 'AwsSolutions-COG4', reason: 'API-key mode identifies service callers by per-tenant usage-plan keys instead of a Cognito authorizer; Cognito mode is the default for user-facing callers.' },
        );
      }
    }
    return userPool;
  }

  private createUserPool(tenantAttribute: string): cognito.UserPool {
    const pool = new cognito.UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { sms: false, otp: true },
      passwordPolicy: { minLength: 14, requireDigits: true, requireLowercase: true, requireUppercase: true, requireSymbols: true, tempPasswordValidity: Duration.days(3) },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      featurePlan: cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
      customAttributes: { [tenantAttribute]: new cognito.StringAttribute({ minLen: 2, maxLen: 63, mutable: false }) },
      deletionProtection: this.foundation.environment.stage.isProd,
      removalPolicy: this.foundation.environment.stage.deletionProtectedRemovalPolicy(this, this.foundation.environment.stage.isProd),
    });
    return pool;
  }

  private createWebAcl(requestsPer5Minutes: number): wafv2.CfnWebACL {
    const managed = (name: string, priority: number, excluded: string[] = []): wafv2.CfnWebACL.RuleProperty => ({
      name,
      priority,
      overrideAction: { none: {} },
      statement: {
        managedRuleGroupStatement: {
          vendorName: 'AWS',
          name,
          // Prompts are legitimately larger than the 8 KB body limit of the common rule set;
          // the gateway validates body size itself.
          ruleActionOverrides: excluded.length > 0 ? excluded.map((rule) => ({ name: rule, actionToUse: { count: {} } })) : undefined,
        },
      },
      visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: name, sampledRequestsEnabled: false },
    });
    const acl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      description: 'AI gateway: AWS managed rule groups and a per-IP rate limit',
      visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: 'ai-gateway', sampledRequestsEnabled: false },
      rules: [
        managed('AWSManagedRulesAmazonIpReputationList', 0),
        managed('AWSManagedRulesCommonRuleSet', 1, ['SizeRestrictions_BODY']),
        managed('AWSManagedRulesKnownBadInputsRuleSet', 2),
        {
          name: 'RateLimitPerIp',
          priority: 3,
          action: { block: {} },
          statement: { rateBasedStatement: { limit: requestsPer5Minutes, aggregateKeyType: 'IP' } },
          visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: 'RateLimitPerIp', sampledRequestsEnabled: false },
        },
      ],
    });
    const wafLogs = this.foundation.createLogGroup(this, 'WafLogs', { logGroupName: `aws-waf-logs-paved-road-${this.foundation.environment.name}-gateway` });
    new wafv2.CfnLoggingConfiguration(this, 'WafLogging', {
      resourceArn: acl.attrArn,
      logDestinationConfigs: [Stack.of(this).formatArn({ service: 'logs', resource: 'log-group', resourceName: wafLogs.logGroupName, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
      // Credentials never reach the WAF logs.
      redactedFields: [{ singleHeader: { Name: 'authorization' } }, { singleHeader: { Name: 'x-api-key' } }],
    });
    return acl;
  }
}
