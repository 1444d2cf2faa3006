import type { APIGatewayProxyEvent } from 'aws-lambda';

const RETRIEVAL = 'arn:aws:lambda:eu-central-1:111122223333:function:retrieval';
const ENV = {
  AWS_REGION: 'eu-central-1',
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'secret',
  AWS_SESSION_TOKEN: 'token',
  GATEWAY_MODELS: JSON.stringify({ chatModels: [{ name: 'claude', provider: 'bedrock', target: 'eu.anthropic.claude-sonnet-4-5-20250929-v1:0' }] }),
  GUARDRAIL_IDENTIFIER: 'arn:aws:bedrock:eu-central-1:111122223333:guardrail/abc',
  GUARDRAIL_VERSION: '1',
  BUDGET_TABLE: 'budgets',
  AUDIT_BUCKET: 'paved-road-audit',
  AUDIT_KEY_ARN: 'arn:aws:kms:eu-central-1:111122223333:key/k',
  RETRIEVAL_FUNCTION: RETRIEVAL,
  POWERTOOLS_METRICS_DISABLED: 'true',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
};

const ANSWER = { output: { message: { role: 'assistant', content: [{ text: 'Unplug it [1].' }] } }, stopReason: 'end_turn', usage: { inputTokens: 9, outputTokens: 4, totalTokens: 13 }, metrics: { latencyMs: 3 } };

/** An AWS error response as the service sends it. */
function awsFailure(status: number, type: string): Response {
  return Response.json({ message: `${type} from the service` }, { status, headers: { 'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/` } });
}

/**
 * Answers the gateway's AWS calls as the services would, and records them. `bedrock` answers the
 * n-th Bedrock call (default: a normal answer).
 */
function fakeAws(bedrock: (call: number) => Response | Promise<Response> = () => Response.json(ANSWER)) {
  const calls: Array<{ host: string; path: string; target: string | null; body: string }> = [];
  let bedrockCalls = 0;
  const fetchMock = jest.spyOn(globalThis, 'fetch').mockImplementation(async (input) => {
    const request = input as Request;
    const url = new URL(request.url);
    calls.push({ host: url.hostname, path: url.pathname, target: request.headers.get('x-amz-target'), body: await request.text() });
    if (url.hostname.startsWith('bedrock-runtime.')) return bedrock(bedrockCalls++);
    if (url.hostname.startsWith('lambda.')) {
      return Response.json({ statusCode: 200, body: JSON.stringify({ chunks: [{ text: 'Unplug the router.', score: 1, citation: { docId: 'd', sourceUri: 's3://c/tenant=acme/d.md', chunkIndex: 0, startOffset: 0, endOffset: 18 } }] }) });
    }
    return Response.json({});
  });
  return { calls, fetchMock };
}

function event(overrides: Partial<APIGatewayProxyEvent>): APIGatewayProxyEvent {
  return {
    httpMethod: 'POST',
    resource: '/v1/chat',
    body: JSON.stringify({ messages: [{ role: 'user', content: 'How do I reset my router?' }], retrieval: { topK: 1 } }),
    isBase64Encoded: false,
    requestContext: { requestId: 'req-1', authorizer: { claims: { 'custom:tenant_id': 'acme' } }, identity: {} },
    ...overrides,
  } as unknown as APIGatewayProxyEvent;
}

describe('gateway handler', () => {
  const saved = { ...process.env };
  beforeEach(() => { Object.assign(process.env, ENV); });
  afterEach(() => { process.env = { ...saved }; jest.restoreAllMocks(); });

  async function loadHandler() {
    let module: typeof import('../../../lambda/gateway/index') | undefined;
    jest.isolateModules(() => { module = require('../../../lambda/gateway/index'); });
    return module!;
  }

  it('serves a chat with retrieval end to end: budget reserved and settled, retrieval invoked, model called, audit written', async () => {
    const aws = fakeAws();
    const { handler } = await loadHandler();
    const response = await handler(event({}));
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ message: { content: 'Unplug it [1].' }, citations: [{ index: 1, docId: 'd' }] });
    expect(aws.calls.map((c) => `${c.host.split('.')[0]} ${c.target ?? c.path.split('/')[1]}`)).toEqual([
      'dynamodb DynamoDB_20120810.UpdateItem',
      'lambda 2015-03-31',
      'bedrock-runtime model',
      'dynamodb DynamoDB_20120810.UpdateItem',
      'paved-road-audit gateway',
    ]);
    expect(aws.calls[1].path).toBe(`/2015-03-31/functions/${encodeURIComponent(RETRIEVAL)}/invocations`);
    const audit = JSON.parse(aws.calls[4].body);
    expect(audit).toMatchObject({ requestId: 'req-1', tenantId: 'acme', route: 'POST /v1/chat', model: 'claude', inputTokens: 9, outputTokens: 4, outcome: 'success' });
    expect(aws.calls[4].body).not.toContain('router');
  });

  it('maps the API key API Gateway matched to its tenant, and ignores everything else of the event', async () => {
    const aws = fakeAws();
    process.env.API_KEY_TENANTS = JSON.stringify([['key-123', 'globex']]);
    const { handler } = await loadHandler();
    const response = await handler(event({
      resource: '/v1/models', httpMethod: 'GET', body: null,
      headers: { 'x-tenant-id': 'acme' },
      requestContext: { requestId: 'req-2', identity: { apiKeyId: 'key-123' } } as never,
    }));
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(aws.calls.at(-1)!.body)).toMatchObject({ tenantId: 'globex', route: 'GET /v1/models' });
  });

  it('answers a null event, a non-string body and an array apiKeyId with stable 4xx codes, never a throw or a coerced tenant', async () => {
    fakeAws();
    process.env.API_KEY_TENANTS = JSON.stringify([['key-123', 'globex']]);
    const { handler, toGatewayRequest } = await loadHandler();
    expect(JSON.parse((await handler(null as never)).body).error.code).toBe('unauthorized');
    const objectBody = await handler(event({ body: { messages: [] } as never }));
    expect(objectBody.statusCode).toBe(400);
    expect(JSON.parse(objectBody.body).error.message).toBe('body: must be JSON text');
    const arrayKey = await handler(event({ resource: '/v1/models', httpMethod: 'GET', body: null, requestContext: { requestId: 'r', identity: { apiKeyId: ['key-123'] } } as never }));
    expect(arrayKey.statusCode).toBe(401);
    expect(toGatewayRequest({ requestContext: { requestId: 42, identity: { apiKeyId: ['key-123'] } } })).toMatchObject({ requestId: 'unknown', apiKeyId: null, method: '', resource: '' });
  });

  it('fails the cold start, naming the variable, when the configuration is broken', async () => {
    delete process.env.AUDIT_BUCKET;
    await expect(loadHandler()).rejects.toThrow(/auditBucket/);
  });

  describe('fault injection over HTTP', () => {
    const audited = (aws: ReturnType<typeof fakeAws>) => aws.calls.filter((c) => c.host.startsWith('paved-road-audit.')).map((c) => JSON.parse(c.body));
    const chat = () => event({ body: JSON.stringify({ messages: [{ role: 'user', content: 'How do I reset my router?' }] }) });

    it('retries throttling and a dropped connection, then serves the answer', async () => {
      const aws = fakeAws((n) => {
        if (n === 0) return awsFailure(429, 'ThrottlingException');
        if (n === 1) throw new TypeError('fetch failed');
        return Response.json(ANSWER);
      });
      const { handler } = await loadHandler();
      const response = await handler(chat());
      expect(response.statusCode).toBe(200);
      expect(audited(aws)).toEqual([expect.objectContaining({ outcome: 'success', attempts: 3 })]);
    });

    it('answers 503 with Retry-After when Bedrock keeps failing, and still writes the audit event', async () => {
      const aws = fakeAws(() => awsFailure(503, 'ServiceUnavailableException'));
      const { handler } = await loadHandler();
      const response = await handler(chat());
      expect(response.statusCode).toBe(503);
      expect(response.headers).toMatchObject({ 'retry-after': '5' });
      expect(JSON.parse(response.body).error.code).toBe('model_unavailable');
      expect(audited(aws)).toEqual([expect.objectContaining({ outcome: 'model_unavailable', attempts: 3 })]);
    });

    it('never retries a 4xx from Bedrock', async () => {
      const aws = fakeAws(() => awsFailure(400, 'ValidationException'));
      const { handler } = await loadHandler();
      expect((await handler(chat())).statusCode).toBe(400);
      expect(aws.calls.filter((c) => c.host.startsWith('bedrock-runtime.'))).toHaveLength(1);
    });

    it('answers 422 when the guardrail intervened, with no model text in the response or the audit event', async () => {
      const aws = fakeAws(() => Response.json({ ...ANSWER, output: { message: { role: 'assistant', content: [{ text: 'Sorry, blocked.' }] } }, stopReason: 'guardrail_intervened', trace: { guardrail: { inputAssessment: { abc: { contentPolicy: { filters: [{ type: 'PROMPT_ATTACK', confidence: 'HIGH', action: 'BLOCKED' }] } } } } } }));
      const { handler } = await loadHandler();
      const response = await handler(chat());
      expect(response.statusCode).toBe(422);
      expect(response.body).not.toContain('Sorry');
      expect(audited(aws)).toEqual([expect.objectContaining({ outcome: 'guardrail_blocked', guardrailAction: 'blocked' })]);
    });

    it('answers 504 before API Gateway gives up when Bedrock hangs', async () => {
      process.env.DEADLINE_MS = '1000';
      const aws = fakeAws(() => new Promise<Response>(() => undefined));
      const { handler } = await loadHandler();
      const response = await handler(chat());
      expect(response.statusCode).toBe(504);
      expect(audited(aws)).toEqual([expect.objectContaining({ outcome: 'timeout' })]);
    });
  });
});
