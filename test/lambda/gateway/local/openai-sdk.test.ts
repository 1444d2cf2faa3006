import type { ConverseRequest } from '@aws-sdk/client-bedrock-runtime';
import { ChatOpenAI, OpenAIEmbeddings } from '@langchain/openai';
import { tool } from '@langchain/core/tools';
import OpenAI, { AuthenticationError, BadRequestError, InternalServerError, PermissionDeniedError, RateLimitError } from 'openai';
import * as z from 'zod';
import type { BedrockRuntimeApi } from '../../../../lambda/gateway/aws';
import { FixtureModel } from '../../../../lambda/gateway/local/fixture-model';
import { type LocalGateway, type LocalGatewayOptions, startLocalGateway } from '../../../../lambda/gateway/local/server';
import { AwsApiError } from '../../../../lambda/shared/aws-http';
import { CapturingLogger } from '../support';

/** A 1x1 transparent PNG. */
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';

/** The fixture model, recording what the gateway sent it, or failing every call with `failWith`. */
class RecordingModel implements BedrockRuntimeApi {
  public readonly converseCalls: ConverseRequest[] = [];
  public failWith?: () => Error;
  private readonly fixture = new FixtureModel();

  async converse(input: ConverseRequest) {
    this.converseCalls.push(input);
    if (this.failWith) throw this.failWith();
    return this.fixture.converse(input);
  }

  applyGuardrail = this.fixture.applyGuardrail.bind(this.fixture);
  invokeModel = this.fixture.invokeModel.bind(this.fixture);
}

/*
 * The unmodified OpenAI and LangChain clients against the gateway's core through the local
 * adapter. Retry-After is what the gateway sends (1-5 s); the clients' fetch adds
 * `retry-after-ms: 1`, which the OpenAI SDK prefers, so the retries run at once: whether the SDK
 * retries depends on the status (and x-should-retry) only.
 */
const fastRetries: typeof fetch = async (input, init) => {
  const response = await fetch(input, init);
  if (!response.headers.has('retry-after')) return response;
  const headers = new Headers(response.headers);
  headers.set('retry-after-ms', '1');
  return new Response(response.body, { status: response.status, headers });
};

describe('the OpenAI SDKs against gateway:local', () => {
  let gateway: LocalGateway;
  let model: RecordingModel;
  let client: OpenAI;

  async function start(options: LocalGatewayOptions = {}) {
    model = new RecordingModel();
    gateway = await startLocalGateway({ bedrock: model, logger: new CapturingLogger(), ...options });
    client = new OpenAI({ baseURL: gateway.url, apiKey: 'local', maxRetries: 2, fetch: fastRetries });
  }

  afterEach(async () => { await gateway?.close(); });

  it('answers a chat completion in the OpenAI shape, charged to the local tenant and audited', async () => {
    await start();
    const completion = await client.chat.completions.create({
      model: 'fixture',
      messages: [{ role: 'system', content: 'Answer briefly.' }, { role: 'developer', content: 'No jokes.' }, { role: 'user', content: 'hello gateway' }],
      max_completion_tokens: 64,
      temperature: 0.2,
      stop: ['END'],
      user: 'ignored-user-id',
    });
    expect(completion).toMatchObject({
      object: 'chat.completion',
      model: 'fixture',
      choices: [{ index: 0, message: { role: 'assistant', content: 'echo: hello gateway' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) },
    });
    expect(model.converseCalls[0]).toMatchObject({
      system: [{ text: 'Answer briefly.\n\nNo jokes.' }],
      inferenceConfig: { maxTokens: 64, temperature: 0.2, stopSequences: ['END'] },
      guardrailConfig: { guardrailIdentifier: 'local-guardrail', guardrailVersion: '1' },
    });
    expect(gateway.audit.events).toEqual([expect.objectContaining({ tenantId: 'local', route: 'POST /v1/chat/completions', outcome: 'success', model: 'fixture' })]);
    const used = completion.usage!.prompt_tokens + completion.usage!.completion_tokens;
    expect(gateway.budget.state('local')).toEqual({ remaining: 10_000_000 - used, reserved: 0 });
  });

  it('round-trips a tool call: the model asks, the caller answers with a tool message, the model reads the result', async () => {
    await start();
    const tools: OpenAI.Chat.ChatCompletionTool[] = [{ type: 'function', function: { name: 'get_weather', description: 'Weather of a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }];
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'user', content: 'call:get_weather {"city":"Paris"}' }];
    const first = await client.chat.completions.create({ model: 'fixture', messages, tools, tool_choice: 'auto' });
    const call = first.choices[0].message.tool_calls![0];
    expect(first.choices[0]).toMatchObject({ finish_reason: 'tool_calls', message: { content: null } });
    expect(call).toMatchObject({ type: 'function', function: { name: 'get_weather' } });
    expect(JSON.parse((call as { function: { arguments: string } }).function.arguments)).toEqual({ city: 'Paris' });
    expect(model.converseCalls[0].toolConfig).toEqual({ tools: [{ toolSpec: { name: 'get_weather', description: 'Weather of a city', inputSchema: { json: tools[0].type === 'function' ? tools[0].function.parameters : {} } } }] });

    messages.push(first.choices[0].message, { role: 'tool', tool_call_id: call.id, content: '18 °C, sunny' });
    const second = await client.chat.completions.create({ model: 'fixture', messages, tools });
    expect(second.choices[0].message.content).toBe(`${call.id} returned: 18 °C, sunny`);
    expect(model.converseCalls[1].messages).toEqual([
      { role: 'user', content: [{ guardContent: { text: { text: 'call:get_weather {"city":"Paris"}' } } }] },
      { role: 'assistant', content: [{ toolUse: { toolUseId: call.id, name: 'get_weather', input: { city: 'Paris' } } }] },
      { role: 'user', content: [{ toolResult: { toolUseId: call.id, content: [{ text: '18 °C, sunny' }] } }] },
    ]);
  });

  it('passes a data: URL image to the model as guarded image content, and refuses a remote image URL', async () => {
    await start();
    const completion = await client.chat.completions.create({
      model: 'fixture',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } }] }],
    });
    expect(completion.choices[0].message.content).toBe('echo: what is this? [1 image]');
    expect(model.converseCalls[0].messages![0].content![1]).toEqual({ guardContent: { image: { format: 'png', source: { bytes: PNG } } } });
    const remote = client.chat.completions.create({ model: 'fixture', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] }] });
    await expect(remote).rejects.toBeInstanceOf(BadRequestError);
    await expect(remote).rejects.toMatchObject({ status: 400, code: 'invalid_request', param: 'messages[0].content[0].image_url.url' });
    expect(model.converseCalls).toHaveLength(1);
  });

  it('embeds as floats and as base64 (the SDK default), the same vectors either way', async () => {
    await start();
    const floats = await client.embeddings.create({ model: 'fixture-embed', input: ['router', 'modem'], dimensions: 256, encoding_format: 'float' });
    const decoded = await client.embeddings.create({ model: 'fixture-embed', input: ['router', 'modem'], dimensions: 256 });
    expect(floats).toMatchObject({ object: 'list', model: 'fixture-embed', data: [{ object: 'embedding', index: 0 }, { index: 1 }], usage: { prompt_tokens: 4, total_tokens: 4 } });
    expect(floats.data[0].embedding).toHaveLength(256);
    decoded.data.forEach((item, i) => item.embedding.forEach((x, j) => expect(x).toBeCloseTo(floats.data[i].embedding[j], 6)));
  });

  it('lists the models in the OpenAI shape', async () => {
    await start();
    const ids: string[] = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids).toEqual(['fixture', 'fixture-embed']);
  });

  describe('error mapping', () => {
    it('raises RateLimitError after retrying a throttled model (429), each attempt a request of its own', async () => {
      await start();
      model.failWith = () => new AwsApiError('ThrottlingException', 'Rate exceeded', 429);
      const attempt = client.chat.completions.create({ model: 'fixture', messages: [{ role: 'user', content: 'hi' }] });
      await expect(attempt).rejects.toBeInstanceOf(RateLimitError);
      await expect(attempt).rejects.toMatchObject({ code: 'model_unavailable', type: 'rate_limit_error' });
      // 1 + maxRetries requests, each with the gateway's 3 model attempts.
      expect(gateway.audit.events).toHaveLength(3);
      expect(model.converseCalls).toHaveLength(3 * 3);
      expect(gateway.budget.state('local')?.reserved).toBe(0);
    });

    it('raises InternalServerError after retrying a failing model (503)', async () => {
      await start();
      model.failWith = () => new AwsApiError('ServiceUnavailableException', 'unavailable', 503);
      const attempt = client.chat.completions.create({ model: 'fixture', messages: [{ role: 'user', content: 'hi' }] });
      await expect(attempt).rejects.toBeInstanceOf(InternalServerError);
      await expect(attempt).rejects.toMatchObject({ status: 503, code: 'model_unavailable', type: 'server_error' });
      expect(gateway.audit.events).toHaveLength(3);
    });

    it('raises BadRequestError without a retry for a request it cannot serve, naming the field', async () => {
      await start();
      const attempt = client.chat.completions.create({ model: 'fixture', n: 2, messages: [{ role: 'user', content: 'hi' }] });
      await expect(attempt).rejects.toBeInstanceOf(BadRequestError);
      await expect(attempt).rejects.toMatchObject({ code: 'invalid_request', param: 'n', type: 'invalid_request_error' });
      expect(gateway.audit.events).toHaveLength(1);
      expect(model.converseCalls).toHaveLength(0);
    });

    it('raises AuthenticationError for an unknown key and PermissionDeniedError for a tenant without budget, without retries', async () => {
      await start({ apiKeys: { 'key-acme': 'acme' }, budgets: {} });
      const unknown = new OpenAI({ baseURL: gateway.url, apiKey: 'key-other', fetch: fastRetries });
      await expect(unknown.models.list()).rejects.toBeInstanceOf(AuthenticationError);
      const acme = new OpenAI({ baseURL: gateway.url, apiKey: 'key-acme', fetch: fastRetries });
      await expect(acme.chat.completions.create({ model: 'fixture', messages: [{ role: 'user', content: 'hi' }] })).rejects.toBeInstanceOf(PermissionDeniedError);
      expect(gateway.audit.events.map((e) => [e.tenantId, e.status])).toEqual([[null, 401], ['acme', 403]]);
    });

    it('does not retry a used-up budget: the period must roll over first', async () => {
      // The reservation of each request: 2 bytes of prompt + 16 for the message + 1000 output tokens.
      await start({ budgets: { local: 1018 } });
      await client.chat.completions.create({ model: 'fixture', max_tokens: 1000, messages: [{ role: 'user', content: 'hi' }] });
      const attempt = client.chat.completions.create({ model: 'fixture', max_tokens: 1000, messages: [{ role: 'user', content: 'hi' }] });
      await expect(attempt).rejects.toBeInstanceOf(RateLimitError);
      await expect(attempt).rejects.toMatchObject({ code: 'budget_exceeded' });
      expect(gateway.audit.events.map((e) => e.outcome)).toEqual(['success', 'budget_exceeded']);
    });

    it('refuses stream: true with a 400 until streaming is served', async () => {
      await start();
      await expect(client.chat.completions.create({ model: 'fixture', stream: true, messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ status: 400, param: 'stream' });
    });
  });

  describe('LangChain', () => {
    it('invokes ChatOpenAI, binds a tool and embeds with OpenAIEmbeddings', async () => {
      await start();
      const configuration = { baseURL: gateway.url, fetch: fastRetries };
      const chat = new ChatOpenAI({ model: 'fixture', apiKey: 'local', configuration, maxRetries: 0 });
      expect((await chat.invoke('hello langchain')).content).toBe('echo: hello langchain');

      const weather = tool(async ({ city }) => `sunny in ${city}`, { name: 'get_weather', description: 'Weather of a city', schema: z.object({ city: z.string() }) });
      const asked = await chat.bindTools([weather]).invoke('call:get_weather {"city":"Oslo"}');
      expect(asked.tool_calls).toEqual([expect.objectContaining({ name: 'get_weather', args: { city: 'Oslo' } })]);

      const embeddings = new OpenAIEmbeddings({ model: 'fixture-embed', apiKey: 'local', dimensions: 256, configuration });
      expect(await embeddings.embedQuery('router')).toHaveLength(256);
    });
  });
});
