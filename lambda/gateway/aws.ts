import { createHash } from 'node:crypto';
import type { ApplyGuardrailRequest, ApplyGuardrailResponse, ConverseRequest, ConverseResponse } from '@aws-sdk/client-bedrock-runtime';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { AwsClient } from 'aws4fetch';

/*
 * The gateway calls AWS over HTTPS signed with SigV4 by aws4fetch instead of through the AWS SDK's
 * generated clients: one SDK client bundles to ~475 KB and four to ~886 KB, against a budget of
 * 150 KB and a 30 ms cold load (docs/adr/0004). The request and response shapes are the SDK's own
 * types (imported as types only, so nothing of the SDK is bundled); each operation below is the
 * HTTP binding of one API operation.
 */

/** Sends one signed request. Injected so that tests see the exact HTTP the gateway would send. */
export type SendRequest = (request: Request) => Promise<Response>;

/** SigV4 credentials. */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/**
 * The execution role's credentials, which the Lambda runtime puts in the environment (the first
 * source of the SDK's default chain too).
 * @throws Error when the variables are missing, so that a misconfigured cold start fails loudly
 */
export function credentialsFromEnv(env: Record<string, string | undefined>): AwsCredentials {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) throw new Error('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set (the Lambda runtime sets them)');
  return { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN || undefined };
}

/**
 * A failed AWS call, shaped like the SDK's service exceptions (`name` is the error type,
 * `$metadata.httpStatusCode` the status) so that retry classification treats both alike.
 */
export class AwsApiError extends Error {
  public readonly $metadata: { readonly httpStatusCode?: number };

  constructor(
    name: string,
    message: string,
    httpStatusCode: number | undefined,
    /** The error body's other members, e.g. DynamoDB's `Item` on a failed condition. */
    public readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = name;
    this.$metadata = { httpStatusCode };
  }
}

/**
 * The error type as the SDK derives it: the `x-amzn-errortype` header, else the body's `code` or
 * `__type`, stripped of any `:`-suffix and `#`-namespace.
 */
export function errorTypeOf(header: string | null, body: Record<string, unknown>): string | undefined {
  const raw = header ?? body.code ?? body.__type;
  if (typeof raw !== 'string' || raw.length === 0) return undefined;
  const first = raw.split(',')[0].split(':')[0];
  return first.includes('#') ? first.split('#')[1] : first;
}

async function toError(response: Response): Promise<AwsApiError> {
  const text = await response.text().catch(() => '');
  let body: Record<string, unknown> = {};
  if (text.startsWith('<')) {
    // S3 answers with XML: <Error><Code>SlowDown</Code><Message>...</Message></Error>.
    body = { code: /<Code>([^<]*)<\/Code>/.exec(text)?.[1], message: /<Message>([^<]*)<\/Message>/.exec(text)?.[1] };
  } else if (text.length > 0) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed !== null && typeof parsed === 'object') body = parsed as Record<string, unknown>;
    } catch {
      // A non-JSON error body (a proxy's HTML page, say): the status alone classifies it.
    }
  }
  const name = errorTypeOf(response.headers.get('x-amzn-errortype'), body) ?? `Http${response.status}`;
  const message = String(body.message ?? body.Message ?? `${name} (HTTP ${response.status})`);
  const { message: _m, Message: _M, code: _c, __type: _t, ...details } = body;
  return new AwsApiError(name, message, response.status, details);
}

/** Signs and sends requests to the AWS endpoints of one region, one attempt each. */
export class AwsHttp {
  private readonly signers = new Map<string, AwsClient>();

  constructor(
    /** The region every call goes to: the environment's own. */
    public readonly region: string,
    private readonly credentials: AwsCredentials,
    private readonly send: SendRequest = (request) => fetch(request),
  ) {}

  /**
   * Sends one request, signed for `service`. The gateway's router owns retries and fallback,
   * so nothing is retried here.
   * @throws AwsApiError with the service's error type, or `NetworkingError` when no response came
   */
  async request(service: string, url: string, init: { method?: string; headers: Record<string, string>; body: string }, signal?: AbortSignal): Promise<Response> {
    let signer = this.signers.get(service);
    if (!signer) {
      signer = new AwsClient({ ...this.credentials, service, region: this.region, retries: 0 });
      this.signers.set(service, signer);
    }
    const signed = await signer.sign(url, { method: init.method ?? 'POST', headers: init.headers, body: init.body, signal });
    let response: Response;
    try {
      response = await this.send(signed);
    } catch (error) {
      const e = error as { name?: string; message?: string };
      if (e?.name === 'AbortError' || e?.name === 'TimeoutError') throw error;
      throw new AwsApiError('NetworkingError', `no response from ${service}: ${e?.message ?? 'unknown'}`, undefined);
    }
    if (!response.ok) throw await toError(response);
    return response;
  }

  /** `https://<host>.<region>.amazonaws.com`: every region of the residency zones is in the `aws` partition. */
  endpoint(host: string): string {
    return `https://${host}.${this.region}.amazonaws.com`;
  }
}

const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json' };

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
    const response = await this.http.request('bedrock', `${this.base}/model/${encodeURIComponent(String(modelId))}/converse`, { headers: JSON_HEADERS, body: JSON.stringify(body) }, signal);
    return response.json() as Promise<ConverseResponse>;
  }

  async applyGuardrail({ guardrailIdentifier, guardrailVersion, ...body }: ApplyGuardrailRequest, signal: AbortSignal): Promise<ApplyGuardrailResponse> {
    const path = `/guardrail/${encodeURIComponent(String(guardrailIdentifier))}/version/${encodeURIComponent(String(guardrailVersion))}/apply`;
    const response = await this.http.request('bedrock', `${this.base}${path}`, { headers: JSON_HEADERS, body: JSON.stringify(body) }, signal);
    return response.json() as Promise<ApplyGuardrailResponse>;
  }

  async invokeModel(modelId: string, body: unknown, signal: AbortSignal): Promise<unknown> {
    const response = await this.http.request('bedrock', `${this.base}/model/${encodeURIComponent(modelId)}/invoke`, { headers: JSON_HEADERS, body: JSON.stringify(body) }, signal);
    return response.json();
  }
}

/** The SageMaker Runtime operation the gateway uses. */
export interface SageMakerRuntimeApi {
  /** InvokeEndpoint with a JSON body; returns the container's JSON answer. */
  invokeEndpoint(endpointName: string, body: unknown, signal: AbortSignal): Promise<unknown>;
}

/** SageMaker Runtime over HTTPS (restJson1, signing name `sagemaker`). */
export class SageMakerRuntime implements SageMakerRuntimeApi {
  private readonly base: string;

  constructor(private readonly http: AwsHttp) {
    this.base = http.endpoint('runtime.sagemaker');
  }

  async invokeEndpoint(endpointName: string, body: unknown, signal: AbortSignal): Promise<unknown> {
    const response = await this.http.request('sagemaker', `${this.base}/endpoints/${encodeURIComponent(endpointName)}/invocations`, { headers: JSON_HEADERS, body: JSON.stringify(body) }, signal);
    return response.json();
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
  updateItem(input: UpdateItemRequest): Promise<void>;
}

/** DynamoDB over HTTPS (awsJson1_0). */
export class DynamoDb implements DynamoDbApi {
  private readonly base: string;

  constructor(private readonly http: AwsHttp) {
    this.base = http.endpoint('dynamodb');
  }

  async updateItem(input: UpdateItemRequest): Promise<void> {
    const response = await this.http.request('dynamodb', `${this.base}/`, {
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.UpdateItem' },
      body: JSON.stringify(input),
    });
    await response.body?.cancel();
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
  putObject(input: PutObjectRequest): Promise<void>;
}

/** S3 over HTTPS, virtual-hosted-style (bucket names without dots). */
export class S3 implements S3Api {
  constructor(private readonly http: AwsHttp) {}

  async putObject(input: PutObjectRequest): Promise<void> {
    const key = input.key.split('/').map(encodeURIComponent).join('/');
    const sha256 = createHash('sha256').update(input.body).digest();
    const response = await this.http.request('s3', `${this.http.endpoint(`${input.bucket}.s3`)}/${key}`, {
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
    });
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
    const response = await this.http.request('lambda', `${this.base}/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations`, {
      headers: { 'content-type': 'application/json', 'x-amz-invocation-type': 'RequestResponse' },
      body: JSON.stringify(payload),
    }, signal);
    const result: unknown = await response.json();
    const functionError = response.headers.get('x-amz-function-error');
    if (functionError) throw new AwsApiError('FunctionError', `the function failed (${functionError})`, 502);
    return result;
  }
}
