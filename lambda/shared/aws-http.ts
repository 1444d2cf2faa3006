import { AwsClient } from 'aws4fetch';
import type { OperationContract } from './operation-contract';

/*
 * AWS calls over HTTPS signed with SigV4 by aws4fetch instead of through the AWS SDK's generated
 * clients: one SDK client bundles to ~475 KB (docs/adr/0004). A handler's bindings (one small class
 * per service, one method per operation) send their requests through {@link AwsHttp}.
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

/**
 * The error of a failed answer. An error body that breaks off (`NetworkingError`) or is not the
 * JSON or XML its protocol answers with (`MalformedResponseError`) says nothing reliable about the
 * outcome (a DynamoDB 400 may be a failed condition whose item was lost, or a throttle): it is
 * reported as a transport failure, which callers retry, never as the 4xx its status suggests.
 */
async function toError(response: Response): Promise<AwsApiError> {
  let text: string;
  try {
    text = await response.text();
  } catch {
    return new AwsApiError('NetworkingError', `the connection broke while the error (HTTP ${response.status}) was read`, undefined);
  }
  let body: Record<string, unknown> = {};
  const xmlCode = text.startsWith('<') ? /<Code>([^<]*)<\/Code>/.exec(text)?.[1] : undefined;
  if (xmlCode !== undefined) {
    // S3 answers with XML: <Error><Code>SlowDown</Code><Message>...</Message></Error>.
    body = { code: xmlCode, message: /<Message>([^<]*)<\/Message>/.exec(text)?.[1] };
  } else if (text.length > 0) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // A body cut short, or a proxy's HTML page.
      return new AwsApiError('MalformedResponseError', `the error (HTTP ${response.status}) is neither JSON nor an XML error`, undefined);
    }
    if (parsed !== null && typeof parsed === 'object') body = parsed as Record<string, unknown>;
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
   * Sends one request of `operation`, signed with its signing name. Every call names the
   * operation contract it fulfils, so no binding can reach AWS without declaring what IAM must
   * allow (./operation-contract). The caller owns retries and fallback: nothing is retried here.
   * `body` is absent for GET and HEAD, which carry none.
   * @throws AwsApiError with the service's error type, or `NetworkingError` when no response came
   */
  async request(operation: OperationContract, url: string, init: { method?: string; headers: Record<string, string>; body?: string }, signal?: AbortSignal): Promise<Response> {
    const service = operation.signingName;
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
