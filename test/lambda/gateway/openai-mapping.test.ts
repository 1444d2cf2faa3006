import * as fc from 'fast-check';
import type { ContentBlock } from '@aws-sdk/client-bedrock-runtime';
import { chatReservationTokens, estimateTokens, handleGatewayRequest, IMAGE_TOKENS, MESSAGE_OVERHEAD_TOKENS } from '../../../lambda/gateway/core';
import { converseRequest, supportsPromptCaching } from '../../../lambda/gateway/conversation';
import { GatewayError } from '../../../lambda/gateway/errors';
import { ChatCompletionsRequest, completionMessage, conversationOf, MAX_IMAGES } from '../../../lambda/gateway/openai';
import { parseBody } from '../../../lambda/gateway/schemas';
import { converseOutput, request, TENANT, testDeps } from './support';

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';
const GIF = 'R0lGODlhAQABAAAAACw=';

const parse = (body: unknown) => conversationOf(ChatCompletionsRequest.parse(body));
/** The error a body is refused with, through the edge's own parsing. */
function refusal(body: unknown): GatewayError {
  try {
    conversationOf(parseBody(ChatCompletionsRequest, JSON.stringify(body)));
  } catch (error) {
    return error as GatewayError;
  }
  throw new Error('accepted');
}

const word = fc.stringMatching(/^[a-z]{1,12}$/);
const id = fc.stringMatching(/^call_[a-zA-Z0-9]{1,20}$/);
const args = fc.dictionary(word, fc.oneof(fc.integer(), word, fc.boolean()), { maxKeys: 4 });
/** One exchange: a user message, optionally answered by tool calls and their results. */
const exchange = fc.record({
  user: fc.string({ minLength: 1, maxLength: 40 }),
  calls: fc.uniqueArray(fc.record({ id, name: word, input: args }), { maxLength: 3, selector: (call) => call.id }),
  answer: fc.option(fc.string({ minLength: 1, maxLength: 40 }), { nil: undefined }),
});

/** An OpenAI conversation built from exchanges, ending with a user or tool message. */
function openAiMessages(exchanges: Array<{ user: string; calls: Array<{ id: string; name: string; input: Record<string, unknown> }>; answer?: string }>) {
  return exchanges.flatMap((e, index) => {
    const last = index === exchanges.length - 1;
    const messages: unknown[] = [{ role: 'user', content: e.user }];
    if (e.calls.length > 0) {
      messages.push({ role: 'assistant', content: null, tool_calls: e.calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: JSON.stringify(c.input) } })) });
      messages.push(...e.calls.map((c) => ({ role: 'tool', tool_call_id: c.id, content: `result of ${c.id}` })));
    }
    if (!last && e.answer !== undefined) messages.push({ role: 'assistant', content: e.answer });
    return messages;
  });
}

const toolsOf = (exchanges: Array<{ calls: Array<{ name: string }> }>) => [...new Set(exchanges.flatMap((e) => e.calls.map((c) => c.name)))]
  .map((name) => ({ type: 'function', function: { name, parameters: { type: 'object' } } }));

describe('OpenAI -> Converse mapping (properties)', () => {
  it('keeps every user text as guard content, in order, and alternates the Converse roles', () => {
    fc.assert(fc.property(fc.array(exchange, { minLength: 1, maxLength: 5 }), (exchanges) => {
      const tools = toolsOf(exchanges);
      const request = converseRequest(parse({ messages: openAiMessages(exchanges), ...(tools.length ? { tools } : {}) }));
      const roles = request.messages!.map((m) => m.role);
      expect(roles[0]).toBe('user');
      roles.forEach((role, i) => { if (i > 0) expect(role).not.toBe(roles[i - 1]); });
      const guarded = request.messages!.flatMap((m) => m.content!.flatMap((b: ContentBlock) => (b.guardContent?.text ? [b.guardContent.text.text] : [])));
      expect(guarded).toEqual(exchanges.map((e) => e.user));
      // Only user turns carry guard content; assistant text is plain.
      request.messages!.filter((m) => m.role === 'assistant').forEach((m) => m.content!.forEach((b) => expect(b.guardContent).toBeUndefined()));
    }));
  });

  it('maps every tool call to a toolUse with its parsed arguments and every tool message to the toolResult of that call', () => {
    fc.assert(fc.property(fc.array(exchange, { minLength: 1, maxLength: 5 }), (exchanges) => {
      const tools = toolsOf(exchanges);
      const request = converseRequest(parse({ messages: openAiMessages(exchanges), ...(tools.length ? { tools } : {}) }));
      const blocks = request.messages!.flatMap((m) => m.content!);
      const calls = exchanges.flatMap((e) => e.calls);
      expect(blocks.flatMap((b) => (b.toolUse ? [{ id: b.toolUse.toolUseId, name: b.toolUse.name, input: b.toolUse.input }] : []))).toEqual(calls);
      expect(blocks.flatMap((b) => (b.toolResult ? [[b.toolResult.toolUseId, b.toolResult.content]] : []))).toEqual(calls.map((c) => [c.id, [{ text: `result of ${c.id}` }]]));
      expect(request.toolConfig?.tools?.map((t) => t.toolSpec?.name) ?? []).toEqual(tools.map((t) => t.function.name));
    }));
  });

  it('round-trips the tool calls of an answer: completion message -> next request -> the same Converse toolUse', () => {
    fc.assert(fc.property(fc.uniqueArray(fc.record({ id, name: word, input: args }), { minLength: 1, maxLength: 4, selector: (c) => c.id }), (calls) => {
      const message = completionMessage('', calls);
      const tools = [...new Set(calls.map((c) => c.name))].map((name) => ({ type: 'function', function: { name } }));
      const next = parse({ messages: [{ role: 'user', content: 'go' }, message, ...calls.map((c) => ({ role: 'tool', tool_call_id: c.id, content: 'ok' }))], tools });
      expect(converseRequest(next).messages![1].content).toEqual(calls.map((c) => ({ toolUse: { toolUseId: c.id, name: c.name, input: c.input } })));
    }));
  });

  it('reserves at least every text byte, the template per message, the images and every output token', () => {
    fc.assert(fc.property(fc.array(fc.string({ maxLength: 60 }), { minLength: 1, maxLength: 6 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 8192 }), (texts, images, maxTokens) => {
      const content = [...texts.map((text) => ({ type: 'text', text })), ...Array.from({ length: images }, () => ({ type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } }))];
      fc.pre(texts.some((t) => t.length > 0) || images > 0);
      const conversation = parse({ messages: [{ role: 'system', content: 'sys' }, { role: 'user', content }], max_tokens: maxTokens });
      expect(chatReservationTokens(conversation)).toBeGreaterThanOrEqual(estimateTokens('sys', ...texts) + 2 * MESSAGE_OVERHEAD_TOKENS + images * IMAGE_TOKENS + maxTokens);
    }));
  });
});

describe('OpenAI requests the gateway refuses or ignores', () => {
  const user = { role: 'user', content: 'hi' };

  it.each([
    ['n above 1', { messages: [user], n: 2 }, 'n'],
    ['a remote image URL', { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'http://169.254.169.254/latest' } }] }] }, 'messages[0].content[0].image_url.url'],
    ['an image that is not what its type says', { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: `data:image/jpeg;base64,${PNG}` } }] }] }, 'messages[0].content[0].image_url.url'],
    ['an image type Converse does not take', { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: `data:image/bmp;base64,${PNG}` } }] }] }, 'messages[0].content[0].image_url.url'],
    ['a last assistant message', { messages: [user, { role: 'assistant', content: 'prefill' }] }, 'messages'],
    ['tool calls in the history without tools', { messages: [user, { role: 'assistant', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }] }, { role: 'tool', tool_call_id: 'call_1', content: 'x' }] }, 'tools'],
    ['tool arguments that are not a JSON object', { messages: [user, { role: 'assistant', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '[1]' } }] }, { role: 'tool', tool_call_id: 'call_1', content: 'x' }], tools: [{ type: 'function', function: { name: 'f' } }] }, 'messages[1].tool_calls[0].function.arguments'],
    ['tool_choice naming a function not in tools', { messages: [user], tools: [{ type: 'function', function: { name: 'f' } }], tool_choice: { type: 'function', function: { name: 'g' } } }, 'tool_choice.function.name'],
    ['stream: true', { messages: [user], stream: true }, 'stream'],
    ['an unknown field (not named: caller text is never echoed)', { messages: [user], tenantId: 'globex' }, undefined],
    ['a non-zero frequency_penalty', { messages: [user], frequency_penalty: 0.5 }, 'frequency_penalty'],
    ['deprecated functions', { messages: [user], functions: [{ name: 'f' }] }, undefined],
    ['a temperature above 1', { messages: [user], temperature: 1.5 }, 'temperature'],
  ])('refuses %s with 400 naming the field', (_what, body, param) => {
    const error = refusal(body);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error.status).toBe(400);
    expect(error.param).toBe(param);
  });

  it(`refuses more than ${MAX_IMAGES} images`, () => {
    const image = { type: 'image_url', image_url: { url: `data:image/gif;base64,${GIF}` } };
    expect(refusal({ messages: [{ role: 'user', content: Array.from({ length: MAX_IMAGES + 1 }, () => image) }] }).message).toMatch(/at most 20/);
  });

  it('ignores user, seed, metadata and neutral penalties, and takes max_completion_tokens over max_tokens', () => {
    const conversation = parse({ messages: [user], user: 'u-1', seed: 7, metadata: { a: 'b' }, frequency_penalty: 0, presence_penalty: null, logprobs: false, parallel_tool_calls: true, max_tokens: 10, max_completion_tokens: 20 });
    expect(conversation).toEqual({ turns: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }], messageCount: 1, maxTokens: 20, model: undefined, system: undefined, temperature: undefined, topP: undefined, stop: undefined });
  });

  it('sends GIF and WebP images as plain image blocks (guard content takes PNG and JPEG only)', () => {
    const request = converseRequest(parse({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: `data:image/gif;base64,${GIF}` } }] }] }));
    expect(request.messages![0].content).toEqual([{ image: { format: 'gif', source: { bytes: GIF } } }]);
  });

  it('maps response_format json_schema to Converse structured output and tool_choice required to any', () => {
    const schema = { type: 'object', properties: { city: { type: 'string' } } };
    const request = converseRequest(parse({ messages: [user], response_format: { type: 'json_schema', json_schema: { name: 'place', schema } }, tools: [{ type: 'function', function: { name: 'f' } }], tool_choice: 'required' }));
    expect(request.outputConfig).toEqual({ textFormat: { type: 'json_schema', structure: { jsonSchema: { name: 'place', schema: JSON.stringify(schema) } } } });
    expect(request.toolConfig?.toolChoice).toEqual({ any: {} });
  });

  it('refuses images for a self-hosted model and keeps self-hosted fallbacks out of an image request', async () => {
    const t = testDeps();
    const image = { role: 'user', content: [{ type: 'text', text: 'what?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } }] };
    const refused = await handleGatewayRequest(request({ model: 'selfhosted', messages: [image] }, { resource: '/v1/chat/completions' }), t.deps);
    expect(refused.statusCode).toBe(400);
    expect(JSON.parse(refused.body).error).toMatchObject({ code: 'invalid_request', param: 'model', type: 'invalid_request_error' });
    t.bedrock.converse.mockRejectedValue(Object.assign(new Error('down'), { name: 'ServiceUnavailableException', $metadata: { httpStatusCode: 503 } }));
    const failed = await handleGatewayRequest(request({ model: 'primary', messages: [image] }, { resource: '/v1/chat/completions' }), t.deps);
    expect(failed.statusCode).toBe(503);
    expect(t.sagemaker.invokeEndpoint).not.toHaveBeenCalled();
  });

  it('answers the retrieval extension with citations and the guardrail action beside the OpenAI fields', async () => {
    const t = testDeps();
    const passage = { text: 'Unplug the router.', score: 0.9, citation: { docId: 'kb-1', sourceUri: 's3://kb/router.md', chunkIndex: 0, startOffset: 0, endOffset: 18 } };
    t.bedrock.converse.mockResolvedValue(converseOutput('Unplug it [1].'));
    const deps = { ...t.deps, retriever: { retrieve: jest.fn(async () => [passage]) } };
    const response = await handleGatewayRequest(request({ messages: [{ role: 'user', content: 'How do I reset my router?' }], retrieval: { topK: 1 } }, { resource: '/v1/chat/completions' }), deps);
    expect(JSON.parse(response.body)).toMatchObject({
      object: 'chat.completion',
      choices: [{ message: { content: 'Unplug it [1].' } }],
      citations: [{ index: 1, docId: 'kb-1', sourceUri: 's3://kb/router.md' }],
      guardrail: { action: 'none' },
      fallback_used: false,
    });
    expect(t.bedrock.converse.mock.calls[0][0].messages![0].content).toEqual([
      { guardContent: { text: { text: '[1] Unplug the router.', qualifiers: ['grounding_source'] } } },
      { cachePoint: { type: 'default' } },
      { guardContent: { text: { text: 'How do I reset my router?', qualifiers: ['query'] } } },
    ]);
  });

  it('sets no cache point for a model without prompt caching', async () => {
    const t = testDeps();
    t.bedrock.converse.mockResolvedValue(converseOutput('ok'));
    await handleGatewayRequest(request({ model: 'secondary', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hi' }] }, { resource: '/v1/chat/completions' }), t.deps);
    expect(t.bedrock.converse.mock.calls[0][0].system).toEqual([{ text: 'Be brief.' }]);
    expect(supportsPromptCaching('anthropic.claude-3-haiku-20240307-v1:0')).toBe(false);
    expect(['eu.anthropic.claude-haiku-4-5-20251001-v1:0', 'us.amazon.nova-pro-v1:0', 'anthropic.claude-3-7-sonnet-20250219-v1:0'].every(supportsPromptCaching)).toBe(true);
  });

  it('charges, audits and reports cache-read and cache-write tokens as prompt tokens', async () => {
    const t = testDeps();
    const output = converseOutput('ok', { inputTokens: 10, outputTokens: 5 });
    t.bedrock.converse.mockResolvedValue({ ...output, usage: { ...output.usage!, cacheReadInputTokens: 300, cacheWriteInputTokens: 40 } });
    const response = await handleGatewayRequest(request({ messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hi' }] }, { resource: '/v1/chat/completions' }), t.deps);
    expect(JSON.parse(response.body).usage).toEqual({ prompt_tokens: 350, completion_tokens: 5, total_tokens: 355, prompt_tokens_details: { cached_tokens: 300 }, cache_write_tokens: 40 });
    expect(t.table.items.get(TENANT)!.remainingTokens).toBe(1_000_000 - 355);
    expect(t.audit.events[0]).toMatchObject({ inputTokens: 10, outputTokens: 5, cacheReadTokens: 300, cacheWriteTokens: 40 });
    expect(t.metrics.count('TokensUsed')).toBe(355);
  });

  it('answers every route\'s errors in the OpenAI error shape with the stable code', async () => {
    const t = testDeps();
    const response = await handleGatewayRequest(request({ messages: [] }, { resource: '/v1/chat' }), t.deps);
    expect(JSON.parse(response.body)).toEqual({ error: { message: expect.any(String), type: 'invalid_request_error', param: 'messages', code: 'invalid_request', requestId: expect.any(String) } });
  });
});
