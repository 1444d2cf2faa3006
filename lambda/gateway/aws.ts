import { createHash } from 'node:crypto';
import type { ApplyGuardrailRequest, ApplyGuardrailResponse, ConverseRequest, ConverseResponse } from '@aws-sdk/client-bedrock-runtime';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { AwsApiError, type AwsHttp } from '../shared/aws-http';
import type { ContractScope, OperationContract } from '../shared/operation-contract';

/*
 * The gateway's AWS bindings over SigV4-signed HTTPS (../shared/aws-http, docs/adr/0004). The
 * request and response shapes are the SDK's own types (imported as types only, so nothing of the
 * SDK is bundled); each operation below is the HTTP binding of one API operation.
 */

/** The model configuration the construct deploys in `GATEWAY_MODELS`. */
interface DeployedModels {
  readonly chatModels?: ReadonlyArray<{ readonly provider: string; readonly target: string; readonly inferenceComponent?: string }>;
  readonly embeddingModels?: ReadonlyArray<{ readonly target: string }>;
}

const deployedModels = (scope: ContractScope): DeployedModels => JSON.parse(scope.env.GATEWAY_MODELS ?? '{}') as DeployedModels;

/**
 * The ARNs a call of a model or geographic inference profile is authorized against: the model in
 * this region, or the profile plus the foundation model in every region the profile routes to.
 * https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-prereq.html
 */
function modelArns(scope: ContractScope, modelId: string): string[] {
  const foundationModel = (region: string, id: string) => `arn:${scope.partition}:bedrock:${region}::foundation-model/${id}`;
  const destinations = scope.profileDestinations(modelId);
  if (destinations.length === 0) return [foundationModel(scope.region, modelId)];
  const foundationId = modelId.slice(modelId.indexOf('.') + 1);
  return [`arn:${scope.partition}:bedrock:${scope.region}:${scope.account}:inference-profile/${modelId}`, ...destinations.map((region) => foundationModel(region, foundationId))];
}

/**
 * Callers of a guardrail encrypted with a customer managed key decrypt it through Bedrock.
 * https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-permissions-kms.html
 */
const guardrailKeyUse = (scope: ContractScope) => ({ actions: ['kms:Decrypt' as const], viaService: 'bedrock', keyOf: scope.env.GUARDRAIL_IDENTIFIER });

/**
 * Bedrock Converse: authorized as `bedrock:InvokeModel`, with the guardrail as a condition key,
 * and, because the request names a guardrail, as `bedrock:ApplyGuardrail` on that guardrail:
 * AWS lists both for model inference with a guardrail ("Permissions for invoking guardrails to
 * filter content").
 * https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-permissions.html
 */
export const CONVERSE: OperationContract = {
  signingName: 'bedrock',
  operation: 'Converse',
  docs: [
    'https://docs.aws.amazon.com/bedrock/latest/userguide/conversation-inference-call.html',
    'https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-permissions.html',
    'https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-permissions-id.html',
    'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonbedrock.html',
  ],
  calls: (scope) => {
    const models = (deployedModels(scope).chatModels ?? []).filter((model) => model.provider === 'bedrock');
    if (models.length === 0) return [];
    return [
      ...models.flatMap((model) => modelArns(scope, model.target)).map((resource) => ({
        action: 'bedrock:InvokeModel',
        resource,
        context: { 'bedrock:GuardrailIdentifier': `${scope.env.GUARDRAIL_IDENTIFIER}:${scope.env.GUARDRAIL_VERSION}` },
        kms: guardrailKeyUse(scope),
      })),
      { action: 'bedrock:ApplyGuardrail', resource: scope.env.GUARDRAIL_IDENTIFIER, kms: guardrailKeyUse(scope) },
    ];
  },
};

/** Bedrock ApplyGuardrail, for self-hosted models, which have no native guardrail. */
export const APPLY_GUARDRAIL: OperationContract = {
  signingName: 'bedrock',
  operation: 'ApplyGuardrail',
  docs: ['https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-use-independent-api.html', 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonbedrock.html'],
  calls: (scope) => ((deployedModels(scope).chatModels ?? []).some((model) => model.provider === 'sagemaker')
    ? [{ action: 'bedrock:ApplyGuardrail', resource: scope.env.GUARDRAIL_IDENTIFIER, kms: guardrailKeyUse(scope) }]
    : []),
};

/** Bedrock InvokeModel of the embedding models, which take no guardrail. */
export const INVOKE_EMBEDDING_MODEL: OperationContract = {
  signingName: 'bedrock',
  operation: 'InvokeModel',
  docs: ['https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonbedrock.html'],
  calls: (scope) => (deployedModels(scope).embeddingModels ?? []).flatMap((model) => modelArns(scope, model.target)).map((resource) => ({ action: 'bedrock:InvokeModel', resource })),
};

/**
 * SageMaker InvokeEndpoint of the self-hosted chat models. A request that names an inference
 * component (the model of a scale-to-zero endpoint) is authorized against the component too:
 * `inference-component` is a resource type of the action.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpoint.html
 */
export const INVOKE_ENDPOINT: OperationContract = {
  signingName: 'sagemaker',
  operation: 'InvokeEndpoint',
  docs: ['https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html', 'https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpoint.html'],
  calls: (scope) => (deployedModels(scope).chatModels ?? []).filter((model) => model.provider === 'sagemaker').flatMap((model) => [
    `arn:${scope.partition}:sagemaker:${scope.region}:${scope.account}:endpoint/${model.target.toLowerCase()}`,
    ...(model.inferenceComponent ? [`arn:${scope.partition}:sagemaker:${scope.region}:${scope.account}:inference-component/${model.inferenceComponent.toLowerCase()}`] : []),
  ]).map((resource) => ({ action: 'sagemaker:InvokeEndpoint', resource })),
};

/**
 * DynamoDB UpdateItem on the budget table. With a customer managed key, DynamoDB decrypts the
 * table key with the caller's credentials.
 * https://docs.aws.amazon.com/kms/latest/developerguide/services-dynamodb.html
 */
export const UPDATE_BUDGET_ITEM: OperationContract = {
  signingName: 'dynamodb',
  operation: 'UpdateItem',
  docs: ['https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html', 'https://docs.aws.amazon.com/kms/latest/developerguide/services-dynamodb.html'],
  calls: (scope) => [{
    action: 'dynamodb:UpdateItem',
    resource: `arn:${scope.partition}:dynamodb:${scope.region}:${scope.account}:table/${scope.env.BUDGET_TABLE}`,
    kms: { actions: ['kms:Decrypt'], viaService: 'dynamodb', encryptionContext: { 'aws:dynamodb:tableName': scope.env.BUDGET_TABLE, 'aws:dynamodb:subscriberId': scope.account } },
  }],
};

/**
 * S3 PutObject of an audit event, SSE-KMS with the audit key and an S3 Bucket Key: S3 asks KMS
 * for a data key with the caller's credentials, in the bucket's encryption context.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html
 */
export const PUT_AUDIT_OBJECT: OperationContract = {
  signingName: 's3',
  operation: 'PutObject',
  docs: ['https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html', 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html'],
  calls: (scope) => [{
    action: 's3:PutObject',
    resource: `arn:${scope.partition}:s3:::${scope.env.AUDIT_BUCKET}/${scope.env.AUDIT_PREFIX ?? 'gateway/'}tenant=acme/date=2026-01-01/2026-01-01T00:00:00.000Z-request.json`,
    context: { 's3:x-amz-server-side-encryption': 'aws:kms', 's3:x-amz-server-side-encryption-aws-kms-key-id': scope.env.AUDIT_KEY_ARN },
    kms: { actions: ['kms:GenerateDataKey'], viaService: 's3', keyArn: scope.env.AUDIT_KEY_ARN, encryptionContext: { 'aws:s3:arn': `arn:${scope.partition}:s3:::${scope.env.AUDIT_BUCKET}` } },
  }],
};

/** Lambda Invoke of the retrieval function, when retrieval is configured. */
export const INVOKE_RETRIEVAL: OperationContract = {
  signingName: 'lambda',
  operation: 'Invoke',
  docs: ['https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslambda.html'],
  calls: (scope) => (scope.env.RETRIEVAL_FUNCTION ? [{ action: 'lambda:InvokeFunction', resource: scope.env.RETRIEVAL_FUNCTION }] : []),
};

/** The MAC algorithm of the content-hash key; the grant is conditioned on it. */
export const CONTENT_HASH_MAC_ALGORITHM = 'HMAC_SHA_256';

/**
 * KMS GenerateMac with the environment's HMAC key, once per cold start, to derive the key of
 * `hashed` content capture. Only environments that capture hashes have the key.
 * https://docs.aws.amazon.com/kms/latest/APIReference/API_GenerateMac.html
 * https://docs.aws.amazon.com/kms/latest/developerguide/hmac.html
 */
export const DERIVE_CONTENT_HASH_KEY: OperationContract = {
  signingName: 'kms',
  operation: 'GenerateMac',
  docs: ['https://docs.aws.amazon.com/kms/latest/APIReference/API_GenerateMac.html', 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_awskeymanagementservice.html'],
  calls: (scope) => (scope.env.CONTENT_HASH_KEY_ARN
    ? [{ action: 'kms:GenerateMac', resource: scope.env.CONTENT_HASH_KEY_ARN, context: { 'kms:MacAlgorithm': CONTENT_HASH_MAC_ALGORITHM } }]
    : []),
};

/** Every AWS operation the gateway performs: what its execution role and the resources' policies must allow. */
export const GATEWAY_OPERATIONS: readonly OperationContract[] = [CONVERSE, APPLY_GUARDRAIL, INVOKE_EMBEDDING_MODEL, INVOKE_ENDPOINT, UPDATE_BUDGET_ITEM, PUT_AUDIT_OBJECT, INVOKE_RETRIEVAL, DERIVE_CONTENT_HASH_KEY];

const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json' };

/**
 * The JSON body of a successful answer. A body that breaks off (a connection reset after the
 * headers) is a networking error and a body that is not JSON a malformed response: both are
 * transient provider failures that routing retries, never a 500.
 */
export async function readJson(response: Response, service: string, signal?: AbortSignal): Promise<unknown> {
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    if (signal?.aborted) throw signal.reason ?? error;
    throw new AwsApiError('NetworkingError', `${service}: the connection broke while the answer was read`, undefined);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new AwsApiError('MalformedResponseError', `${service}: the answer (HTTP ${response.status}) is not JSON`, undefined);
  }
}

/** The Bedrock Runtime operations the gateway uses. */
export interface BedrockRuntimeApi {
  converse(input: ConverseRequest, signal: AbortSignal): Promise<ConverseResponse>;
  applyGuardrail(input: ApplyGuardrailRequest, signal: AbortSignal): Promise<ApplyGuardrailResponse>;
  /** InvokeModel with a JSON body; returns the model's JSON answer. */
  invokeModel(modelId: string, body: unknown, signal: AbortSignal): Promise<unknown>;
}

/** Bedrock Runtime over HTTPS (restJson1, signing name `bedrock`). */
export class BedrockRuntime implements BedrockRuntimeApi {
  private readonly base: string;

  constructor(private readonly http: AwsHttp) {
    this.base = http.endpoint('bedrock-runtime');
  }

  async converse({ modelId, ...body }: ConverseRequest, signal: AbortSignal): Promise<ConverseResponse> {
    const response = await this.http.request(CONVERSE, `${this.base}/model/${encodeURIComponent(String(modelId))}/converse`, { headers: JSON_HEADERS, body: JSON.stringify(body) }, signal);
    return await readJson(response, 'bedrock', signal) as ConverseResponse;
  }

  async applyGuardrail({ guardrailIdentifier, guardrailVersion, ...body }: ApplyGuardrailRequest, signal: AbortSignal): Promise<ApplyGuardrailResponse> {
    const path = `/guardrail/${encodeURIComponent(String(guardrailIdentifier))}/version/${encodeURIComponent(String(guardrailVersion))}/apply`;
    const response = await this.http.request(APPLY_GUARDRAIL, `${this.base}${path}`, { headers: JSON_HEADERS, body: JSON.stringify(body) }, signal);
    return await readJson(response, 'bedrock', signal) as ApplyGuardrailResponse;
  }

  async invokeModel(modelId: string, body: unknown, signal: AbortSignal): Promise<unknown> {
    const response = await this.http.request(INVOKE_EMBEDDING_MODEL, `${this.base}/model/${encodeURIComponent(modelId)}/invoke`, { headers: JSON_HEADERS, body: JSON.stringify(body) }, signal);
    return readJson(response, 'bedrock', signal);
  }
}

/** The SageMaker Runtime operation the gateway uses. */
export interface SageMakerRuntimeApi {
  /**
   * InvokeEndpoint with a JSON body; returns the container's JSON answer.
   * @param inferenceComponent the inference component that hosts the model, on endpoints that host components
   */
  invokeEndpoint(endpointName: string, body: unknown, signal: AbortSignal, inferenceComponent?: string): Promise<unknown>;
}

/** SageMaker Runtime over HTTPS (restJson1, signing name `sagemaker`). */
export class SageMakerRuntime implements SageMakerRuntimeApi {
  private readonly base: string;

  constructor(private readonly http: AwsHttp) {
    this.base = http.endpoint('runtime.sagemaker');
  }

  async invokeEndpoint(endpointName: string, body: unknown, signal: AbortSignal, inferenceComponent?: string): Promise<unknown> {
    // An endpoint that hosts inference components routes by this header; without it the call fails.
    const headers = inferenceComponent ? { ...JSON_HEADERS, 'x-amzn-sagemaker-inference-component': inferenceComponent } : JSON_HEADERS;
    const response = await this.http.request(INVOKE_ENDPOINT, `${this.base}/endpoints/${encodeURIComponent(endpointName)}/invocations`, { headers, body: JSON.stringify(body) }, signal);
    return readJson(response, 'sagemaker', signal);
  }
}

/** A DynamoDB UpdateItem, in DynamoDB's attribute-value JSON. */
export interface UpdateItemRequest {
  readonly TableName: string;
  readonly Key: Record<string, AttributeValue>;
  readonly UpdateExpression: string;
  readonly ConditionExpression: string;
  readonly ExpressionAttributeValues: Record<string, AttributeValue>;
  readonly ReturnValuesOnConditionCheckFailure?: 'ALL_OLD' | 'NONE';
}

/** The DynamoDB operation the gateway uses. */
export interface DynamoDbApi {
  /** @throws AwsApiError `ConditionalCheckFailedException`, with `details.Item` when ALL_OLD was asked */
  updateItem(input: UpdateItemRequest, signal: AbortSignal): Promise<void>;
}

/** DynamoDB over HTTPS (awsJson1_0). */
export class DynamoDb implements DynamoDbApi {
  private readonly base: string;

  constructor(private readonly http: AwsHttp) {
    this.base = http.endpoint('dynamodb');
  }

  async updateItem(input: UpdateItemRequest, signal: AbortSignal): Promise<void> {
    const response = await this.http.request(UPDATE_BUDGET_ITEM, `${this.base}/`, {
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.UpdateItem' },
      body: JSON.stringify(input),
    }, signal);
    // DynamoDB answers every success with a JSON object (`{}` without ReturnValues): a 200 whose
    // body breaks off or is not JSON is not taken as a write, but retried like any transient
    // failure (a reserve, settle or release is idempotent by its reservation id).
    // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html#API_UpdateItem_ResponseSyntax
    const answer = await readJson(response, 'dynamodb', signal);
    if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) throw new AwsApiError('MalformedResponseError', 'dynamodb: UpdateItem answered without a JSON object', undefined);
  }
}

/** An S3 PutObject of a small JSON document, SSE-KMS. */
export interface PutObjectRequest {
  readonly bucket: string;
  readonly key: string;
  readonly body: string;
  readonly kmsKeyArn: string;
}

/** The S3 operation the gateway uses. */
export interface S3Api {
  putObject(input: PutObjectRequest, signal: AbortSignal): Promise<void>;
}

/** S3 over HTTPS, virtual-hosted-style (bucket names without dots). */
export class S3 implements S3Api {
  constructor(private readonly http: AwsHttp) {}

  async putObject(input: PutObjectRequest, signal: AbortSignal): Promise<void> {
    const key = input.key.split('/').map(encodeURIComponent).join('/');
    const sha256 = createHash('sha256').update(input.body).digest();
    const response = await this.http.request(PUT_AUDIT_OBJECT, `${this.http.endpoint(`${input.bucket}.s3`)}/${key}`, {
      method: 'PUT',
      headers: {
        'content-type': 'application/json',
        // The payload is signed, and its checksum is what Object Lock buckets require of every PUT.
        'x-amz-content-sha256': sha256.toString('hex'),
        'x-amz-checksum-sha256': sha256.toString('base64'),
        'x-amz-sdk-checksum-algorithm': 'SHA256',
        'x-amz-server-side-encryption': 'aws:kms',
        'x-amz-server-side-encryption-aws-kms-key-id': input.kmsKeyArn,
        'x-amz-server-side-encryption-bucket-key-enabled': 'true',
      },
      body: input.body,
    }, signal);
    await response.body?.cancel();
  }
}

/** The Lambda operation the gateway uses. */
export interface LambdaApi {
  /** A synchronous invocation; returns the function's JSON result. */
  invoke(functionName: string, payload: unknown, signal: AbortSignal): Promise<unknown>;
}

/** Lambda over HTTPS (restJson1). */
export class Lambda implements LambdaApi {
  private readonly base: string;

  constructor(private readonly http: AwsHttp) {
    this.base = http.endpoint('lambda');
  }

  /** @throws AwsApiError `FunctionError` (HTTP 502) when the function itself failed */
  async invoke(functionName: string, payload: unknown, signal: AbortSignal): Promise<unknown> {
    const response = await this.http.request(INVOKE_RETRIEVAL, `${this.base}/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations`, {
      headers: { 'content-type': 'application/json', 'x-amz-invocation-type': 'RequestResponse' },
      body: JSON.stringify(payload),
    }, signal);
    const result = await readJson(response, 'lambda', signal);
    const functionError = response.headers.get('x-amz-function-error');
    if (functionError) throw new AwsApiError('FunctionError', `the function failed (${functionError})`, 502);
    return result;
  }
}

/** The KMS operation the gateway uses. */
export interface KmsApi {
  /** GenerateMac: the raw RFC 2104 HMAC of `message` (at most 4096 bytes) under an HMAC KMS key. */
  generateMac(keyId: string, message: Uint8Array, signal: AbortSignal): Promise<Uint8Array>;
}

/** KMS over HTTPS (awsJson1_1, signing name `kms`). */
export class Kms implements KmsApi {
  private readonly base: string;

  constructor(private readonly http: AwsHttp) {
    this.base = http.endpoint('kms');
  }

  async generateMac(keyId: string, message: Uint8Array, signal: AbortSignal): Promise<Uint8Array> {
    const response = await this.http.request(DERIVE_CONTENT_HASH_KEY, `${this.base}/`, {
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'TrentService.GenerateMac' },
      body: JSON.stringify({ KeyId: keyId, Message: Buffer.from(message).toString('base64'), MacAlgorithm: CONTENT_HASH_MAC_ALGORITHM }),
    }, signal);
    const answer = await readJson(response, 'kms', signal) as { Mac?: unknown };
    if (typeof answer?.Mac !== 'string' || answer.Mac.length === 0) throw new AwsApiError('MalformedResponseError', 'kms: GenerateMac answered without a Mac', undefined);
    return new Uint8Array(Buffer.from(answer.Mac, 'base64'));
  }
}
