import { createHash } from 'node:crypto';
import { BedrockRuntime, DynamoDb, Kms, Lambda, S3, SageMakerRuntime } from '../../../lambda/gateway/aws';
import { AwsApiError, AwsHttp, credentialsFromEnv } from '../../../lambda/shared/aws-http';
import { classifyFailure } from '../../../lambda/gateway/routing';
import { CREDENTIALS } from '../support/fake-aws';
import { sdkSignature, signatureOf } from '../support/sdk-signature';

const signal = new AbortController().signal;

/** An AwsHttp whose requests are recorded and answered by `answer`. */
function recording(answer: (request: Request) => Response | Promise<Response> = () => Response.json({})) {
  const sent: Request[] = [];
  const http = new AwsHttp('eu-central-1', CREDENTIALS, async (request) => {
    sent.push(request);
    return answer(request);
  });
  return { http, sent };
}

/** The SigV4 credential scope of a signed request: date/region/service/aws4_request. */
function scopeOf(request: Request): string {
  const match = /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/(\d{8})\/([^,]+), SignedHeaders=([^,]+), Signature=[0-9a-f]{64}$/.exec(request.headers.get('authorization') ?? '');
  if (!match) throw new Error(`not a SigV4 header: ${request.headers.get('authorization')}`);
  return match[2];
}

describe('AWS calls over SigV4', () => {
  it('sends Converse to the regional Bedrock Runtime endpoint, signed for bedrock, model id in the path', async () => {
    const { http, sent } = recording(() => Response.json({ output: { message: { role: 'assistant', content: [{ text: 'hi' }] } }, stopReason: 'end_turn', usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 } }));
    const answer = await new BedrockRuntime(http).converse({
      modelId: 'eu.anthropic.claude-sonnet-4-5-20250929-v1:0',
      messages: [{ role: 'user', content: [{ guardContent: { text: { text: 'hello' } } }] }],
      guardrailConfig: { guardrailIdentifier: 'g', guardrailVersion: '3', trace: 'enabled' },
    }, signal);
    expect(answer.output?.message?.content?.[0].text).toBe('hi');
    const [request] = sent;
    expect(request.method).toBe('POST');
    expect(request.url).toBe('https://bedrock-runtime.eu-central-1.amazonaws.com/model/eu.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse');
    expect(scopeOf(request)).toBe('eu-central-1/bedrock/aws4_request');
    expect(request.headers.get('x-amz-security-token')).toBe('session-token');
    expect(request.headers.get('content-type')).toBe('application/json');
    expect(await request.json()).toEqual({
      messages: [{ role: 'user', content: [{ guardContent: { text: { text: 'hello' } } }] }],
      guardrailConfig: { guardrailIdentifier: 'g', guardrailVersion: '3', trace: 'enabled' },
    });
  });

  it('sends ApplyGuardrail with the guardrail ARN and version encoded in the path', async () => {
    const { http, sent } = recording(() => Response.json({ action: 'NONE', outputs: [], assessments: [] }));
    await new BedrockRuntime(http).applyGuardrail({ guardrailIdentifier: 'arn:aws:bedrock:eu-central-1:111122223333:guardrail/abc', guardrailVersion: '2', source: 'INPUT', content: [{ text: { text: 'x' } }] }, signal);
    expect(sent[0].url).toBe('https://bedrock-runtime.eu-central-1.amazonaws.com/guardrail/arn%3Aaws%3Abedrock%3Aeu-central-1%3A111122223333%3Aguardrail%2Fabc/version/2/apply');
    expect(await sent[0].json()).toEqual({ source: 'INPUT', content: [{ text: { text: 'x' } }] });
  });

  it('sends InvokeModel and returns the JSON answer', async () => {
    const { http, sent } = recording(() => Response.json({ embedding: [0.5] }));
    expect(await new BedrockRuntime(http).invokeModel('amazon.titan-embed-text-v2:0', { inputText: 'a' }, signal)).toEqual({ embedding: [0.5] });
    expect(sent[0].url).toBe('https://bedrock-runtime.eu-central-1.amazonaws.com/model/amazon.titan-embed-text-v2%3A0/invoke');
    expect(sent[0].headers.get('accept')).toBe('application/json');
  });

  it('sends InvokeEndpoint to the SageMaker Runtime endpoint, signed for sagemaker', async () => {
    const { http, sent } = recording(() => Response.json({ choices: [] }));
    await new SageMakerRuntime(http).invokeEndpoint('llama-endpoint', { messages: [] }, signal);
    expect(sent[0].url).toBe('https://runtime.sagemaker.eu-central-1.amazonaws.com/endpoints/llama-endpoint/invocations');
    expect(scopeOf(sent[0])).toBe('eu-central-1/sagemaker/aws4_request');
  });

  it('sends UpdateItem as awsJson1_0 with the operation in X-Amz-Target', async () => {
    const { http, sent } = recording(() => Response.json({}));
    const input = { TableName: 'budgets', Key: { tenantId: { S: 'acme' } }, UpdateExpression: 'SET a = :n', ConditionExpression: 'b = :p', ExpressionAttributeValues: { ':n': { N: '5' }, ':p': { S: '2026-11' } } };
    await new DynamoDb(http).updateItem(input, signal);
    expect(sent[0].url).toBe('https://dynamodb.eu-central-1.amazonaws.com/');
    expect(sent[0].headers.get('x-amz-target')).toBe('DynamoDB_20120810.UpdateItem');
    expect(sent[0].headers.get('content-type')).toBe('application/x-amz-json-1.0');
    expect(scopeOf(sent[0])).toBe('eu-central-1/dynamodb/aws4_request');
    expect(await sent[0].json()).toEqual(input);
  });

  it('turns a failed condition into ConditionalCheckFailedException carrying the old item', async () => {
    const { http } = recording(() => Response.json(
      { __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException', message: 'The conditional request failed', Item: { budgetPeriod: { S: '2026-10' } } },
      { status: 400 },
    ));
    const failure = await new DynamoDb(http).updateItem({ TableName: 't', Key: {}, UpdateExpression: 'u', ConditionExpression: 'c', ExpressionAttributeValues: {} }, signal).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AwsApiError);
    expect(failure).toMatchObject({ name: 'ConditionalCheckFailedException', message: 'The conditional request failed', $metadata: { httpStatusCode: 400 }, details: { Item: { budgetPeriod: { S: '2026-10' } } } });
  });

  it('puts audit objects SSE-KMS with a signed payload and the checksum Object Lock requires', async () => {
    const { http, sent } = recording(() => new Response(null, { status: 200 }));
    const body = '{"requestId":"r1"}';
    await new S3(http).putObject({ bucket: 'paved-road-audit', key: 'gateway/tenant=acme/date=2026-11-23/2026-11-23T10:00:00.000Z-r1.json', body, kmsKeyArn: 'arn:aws:kms:eu-central-1:111122223333:key/k' }, signal);
    const [request] = sent;
    expect(request.method).toBe('PUT');
    expect(request.url).toBe('https://paved-road-audit.s3.eu-central-1.amazonaws.com/gateway/tenant%3Dacme/date%3D2026-11-23/2026-11-23T10%3A00%3A00.000Z-r1.json');
    expect(scopeOf(request)).toBe('eu-central-1/s3/aws4_request');
    expect(request.headers.get('x-amz-server-side-encryption')).toBe('aws:kms');
    expect(request.headers.get('x-amz-server-side-encryption-aws-kms-key-id')).toBe('arn:aws:kms:eu-central-1:111122223333:key/k');
    expect(request.headers.get('x-amz-server-side-encryption-bucket-key-enabled')).toBe('true');
    expect(request.headers.get('x-amz-content-sha256')).toBe(createHash('sha256').update(body).digest('hex'));
    expect(request.headers.get('x-amz-checksum-sha256')).toBe(createHash('sha256').update(body).digest('base64'));
    expect(await request.text()).toBe(body);
  });

  it('reads the error code of an S3 XML error', async () => {
    const { http } = recording(() => new Response('<?xml version="1.0"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>', { status: 503 }));
    const failure = await new S3(http).putObject({ bucket: 'b-b', key: 'k', body: '{}', kmsKeyArn: 'k' }, signal).catch((error: unknown) => error);
    expect(failure).toMatchObject({ name: 'SlowDown', message: 'Please reduce your request rate.', $metadata: { httpStatusCode: 503 } });
    expect(classifyFailure(failure)).toBe('server');
  });

  it('invokes a function by ARN and reports a function error as FunctionError', async () => {
    const arn = 'arn:aws:lambda:eu-central-1:111122223333:function:retrieval';
    const ok = recording(() => Response.json({ statusCode: 200, body: '{}' }));
    expect(await new Lambda(ok.http).invoke(arn, { a: 1 }, signal)).toEqual({ statusCode: 200, body: '{}' });
    expect(ok.sent[0].url).toBe('https://lambda.eu-central-1.amazonaws.com/2015-03-31/functions/arn%3Aaws%3Alambda%3Aeu-central-1%3A111122223333%3Afunction%3Aretrieval/invocations');
    expect(scopeOf(ok.sent[0])).toBe('eu-central-1/lambda/aws4_request');
    const failing = recording(() => Response.json({ errorType: 'Error', errorMessage: 'boom' }, { headers: { 'x-amz-function-error': 'Unhandled' } }));
    await expect(new Lambda(failing.http).invoke(arn, {}, signal)).rejects.toMatchObject({ name: 'FunctionError', $metadata: { httpStatusCode: 502 } });
  });

  it('classifies service errors as the SDK would: error type from x-amzn-errortype, throttling retried, 4xx not', async () => {
    const throttled = recording(() => new Response('{"message":"Too many requests"}', { status: 429, headers: { 'x-amzn-errortype': 'ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/' } }));
    const error = await new BedrockRuntime(throttled.http).invokeModel('m', {}, signal).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ThrottlingException', message: 'Too many requests' });
    expect(classifyFailure(error)).toBe('throttled');
    const invalid = recording(() => Response.json({ message: 'bad' }, { status: 400, headers: { 'x-amzn-errortype': 'ValidationException' } }));
    expect(classifyFailure(await new BedrockRuntime(invalid.http).invokeModel('m', {}, signal).catch((e: unknown) => e))).toBe('client');
    const html = recording(() => new Response('<html>bad gateway</html>', { status: 502 }));
    expect(classifyFailure(await new BedrockRuntime(html.http).invokeModel('m', {}, signal).catch((e: unknown) => e))).toBe('server');
  });

  it('treats a request that got no response as a retryable networking error, and an abort as an abort', async () => {
    const reset = new AwsHttp('eu-central-1', CREDENTIALS, async () => { throw new TypeError('fetch failed'); });
    const error = await new BedrockRuntime(reset).invokeModel('m', {}, signal).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'NetworkingError' });
    expect(classifyFailure(error)).toBe('server');
    const aborted = new AwsHttp('eu-central-1', CREDENTIALS, async () => { throw new DOMException('aborted', 'AbortError'); });
    await expect(new BedrockRuntime(aborted).invokeModel('m', {}, signal)).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('takes the execution role credentials from the environment, and says so when they are missing', () => {
    expect(credentialsFromEnv({ AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b', AWS_SESSION_TOKEN: 'c' })).toEqual({ accessKeyId: 'a', secretAccessKey: 'b', sessionToken: 'c' });
    expect(() => credentialsFromEnv({})).toThrow(/AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set/);
  });
});

describe('SigV4 signatures', () => {
  it.each([
    ['bedrock', (http: AwsHttp) => new BedrockRuntime(http).converse({ modelId: 'eu.anthropic.claude-sonnet-4-5-20250929-v1:0', messages: [] }, signal)],
    ['s3', (http: AwsHttp) => new S3(http).putObject({ bucket: 'audit-bucket', key: 'gateway/tenant=acme/2026-11-23T10:00:00.000Z-r.json', body: '{}', kmsKeyArn: 'k' }, signal)],
    ['lambda', (http: AwsHttp) => new Lambda(http).invoke('arn:aws:lambda:eu-central-1:111122223333:function:retrieval', {}, signal)],
  ])('signs %s requests exactly as the AWS SDK signer does', async (service, call) => {
    const { http, sent } = recording(() => Response.json({}));
    await call(http);
    expect(signatureOf(sent[0])).toBe(await sdkSignature(sent[0], service));
  });
});

describe('bindings added for faults, hashing and inference components', () => {
  it('names the inference component in the SageMaker header when the endpoint hosts one', async () => {
    const { http, sent } = recording(() => Response.json({ choices: [] }));
    await new SageMakerRuntime(http).invokeEndpoint('llama-endpoint', { messages: [] }, signal, 'llama-endpoint-ic');
    expect(sent[0].headers.get('x-amzn-sagemaker-inference-component')).toBe('llama-endpoint-ic');
    await new SageMakerRuntime(http).invokeEndpoint('llama-endpoint', { messages: [] }, signal);
    expect(sent[1].headers.has('x-amzn-sagemaker-inference-component')).toBe(false);
  });

  it('sends KMS GenerateMac as awsJson1_1 with the base64 message and HMAC_SHA_256, and returns the raw MAC', async () => {
    const mac = Buffer.alloc(32, 9);
    const { http, sent } = recording(() => Response.json({ KeyId: 'k', Mac: mac.toString('base64'), MacAlgorithm: 'HMAC_SHA_256' }));
    expect(Buffer.from(await new Kms(http).generateMac('arn:aws:kms:eu-central-1:111122223333:key/h', new TextEncoder().encode('label'), signal))).toEqual(mac);
    expect(sent[0].url).toBe('https://kms.eu-central-1.amazonaws.com/');
    expect(sent[0].headers.get('x-amz-target')).toBe('TrentService.GenerateMac');
    expect(sent[0].headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(scopeOf(sent[0])).toBe('eu-central-1/kms/aws4_request');
    expect(await sent[0].json()).toEqual({ KeyId: 'arn:aws:kms:eu-central-1:111122223333:key/h', Message: Buffer.from('label').toString('base64'), MacAlgorithm: 'HMAC_SHA_256' });
  });

  it('turns a 200 whose body is not JSON, or breaks off, into a transient failure that routing retries', async () => {
    const notJson = recording(() => new Response('<html>gateway</html>', { status: 200 }));
    const malformed = await new BedrockRuntime(notJson.http).invokeModel('m', {}, signal).catch((e: unknown) => e);
    expect(malformed).toMatchObject({ name: 'MalformedResponseError' });
    expect(classifyFailure(malformed)).toBe('server');
    const cut = recording(() => new Response(new ReadableStream({
      start(controller) { controller.enqueue(new TextEncoder().encode('{"output":{"mess')); controller.error(new TypeError('terminated')); },
    }), { status: 200 }));
    const truncated = await new BedrockRuntime(cut.http).converse({ modelId: 'm', messages: [] }, signal).catch((e: unknown) => e);
    expect(truncated).toMatchObject({ name: 'NetworkingError' });
    expect(classifyFailure(truncated)).toBe('server');
  });
});
