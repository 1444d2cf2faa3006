import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI, { APIError } from 'openai';
import { BedrockConverseStream, type ConverseStreamInput, type StreamProgress, streamChargeTokens } from '../../../lambda/gateway/converse-stream';
import { ChatCompletionChunkEncoder, finishReasonOf } from '../../../lambda/gateway/sse';
import { classifyFailure } from '../../../lambda/gateway/routing';
import { encodeFrames, fakeBedrock, type FakeBody, type Frame, manualTimers, settleUntil, textAnswer, toolUseAnswer } from './fake-converse-stream';

/*
 * The SSE encoder against the official openai SDK: a small node:http server streams what the
 * encoder makes of a fake Bedrock's ConverseStream answer, and the SDK's own client parses it.
 */

const INPUT: ConverseStreamInput = {
  modelId: 'eu.anthropic.claude-sonnet-4-5-20250929-v1:0',
  messages: [{ role: 'user', content: [{ text: 'hello' }] }],
  guardrailConfig: { guardrailIdentifier: 'g', guardrailVersion: '1', trace: 'enabled' },
};
const PROMPT_TOKENS = 200;

interface Served {
  readonly client: OpenAI;
  readonly upstream: ReturnType<typeof fakeBedrock>['seen'];
  readonly progress: StreamProgress;
  /** Resolves when the server finished the request, with what it wrote. */
  readonly finished: Promise<string>;
}

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => { server?.close(() => resolve()); server?.closeAllConnections(); if (!server) resolve(); }));

/** Serves one streaming chat completion from a fake Bedrock answering with `body`. */
async function serve(body: FakeBody): Promise<Served> {
  const fake = fakeBedrock(body);
  const progress: StreamProgress = { outputBytes: 0 };
  let finish: (written: string) => void = () => {};
  const finished = new Promise<string>((resolve) => { finish = resolve; });
  server = createServer(async (req, res) => {
    const request = JSON.parse(await new Response(req as unknown as ReadableStream).text()) as { model: string; stream_options?: { include_usage?: boolean } };
    const disconnect = new AbortController();
    res.on('close', () => { if (!res.writableFinished) disconnect.abort(new DOMException('the client disconnected', 'AbortError')); });
    const encoder = new ChatCompletionChunkEncoder({ id: 'chatcmpl-req-1', model: request.model, created: 1_764_700_000, includeUsage: request.stream_options?.include_usage === true });
    let written = '';
    const write = (frames: string) => { if (frames) { written += frames; res.write(frames); } };
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
    try {
      const events = await new BedrockConverseStream(fake.http, manualTimers().start).converseStream(INPUT, { signal: disconnect.signal, idleTimeoutMs: 30_000, progress });
      for await (const event of events) write(encoder.encode(event));
      write(encoder.end());
    } catch (error) {
      if (!disconnect.signal.aborted) {
        const throttled = classifyFailure(error) === 'throttled';
        write(encoder.error({ message: 'the model failed mid-answer; retry', type: throttled ? 'rate_limit_error' : 'server_error', code: 'model_unavailable' }));
      }
    }
    res.end();
    finish(written);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const client = new OpenAI({ apiKey: 'test-key', baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
  return { client, upstream: fake.seen, progress, finished };
}

const FIXTURE = ['The answer', ' is 42', ' — "quoted",\nnew line and émoji 🎉.'];

describe('chat.completion.chunk SSE, read by the openai SDK', () => {
  it('assembles the same text as the Converse stream, with finish_reason stop and the usage chunk', async () => {
    const { client, finished } = await serve({ chunks: encodeFrames(textAnswer(FIXTURE)) });
    const stream = client.chat.completions.stream({ model: 'primary', messages: [{ role: 'user', content: 'hello' }], stream_options: { include_usage: true } });
    const completion = await stream.finalChatCompletion();
    expect(completion.choices[0].message).toMatchObject({ role: 'assistant', content: FIXTURE.join('') });
    expect(completion.choices[0].finish_reason).toBe('stop');
    expect(completion.usage).toEqual({ prompt_tokens: 12, completion_tokens: 7, total_tokens: 19, prompt_tokens_details: { cached_tokens: 0 } });
    const written = await finished;
    // The role delta comes first, [DONE] last, and the usage chunk has no choices.
    expect(written.startsWith('data: {"id":"chatcmpl-req-1","object":"chat.completion.chunk","created":1764700000,"model":"primary","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}],"usage":null}\n\n')).toBe(true);
    expect(written.endsWith('"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":7,"total_tokens":19,"prompt_tokens_details":{"cached_tokens":0}}}\n\ndata: [DONE]\n\n')).toBe(true);
  });

  it('streams a tool call the SDK assembles: id, function name and the arguments from their fragments, finish_reason tool_calls', async () => {
    const { client } = await serve({ chunks: encodeFrames(toolUseAnswer(['{"location', '": "Paris', ', FR"}'])) });
    const completion = await client.chat.completions.stream({ model: 'primary', messages: [{ role: 'user', content: 'weather?' }], stream_options: { include_usage: true } }).finalChatCompletion();
    const [choice] = completion.choices;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBe('Let me look that up.');
    expect(choice.message.tool_calls).toEqual([{ id: 'tooluse_kZJMlvQmRJ6eAyJE5GIl7Q', type: 'function', function: { name: 'get_weather', arguments: '{"location": "Paris, FR"}' } }]);
    // OpenAI's prompt_tokens include the cached ones.
    expect(completion.usage).toMatchObject({ prompt_tokens: 40 + 1024, completion_tokens: 25, prompt_tokens_details: { cached_tokens: 1024 } });
  });

  it('numbers two tool calls 0 and 1 whatever their Converse block indexes', async () => {
    const frames: Frame[] = [
      { event: 'messageStart', body: { role: 'assistant' } },
      { event: 'contentBlockStart', body: { contentBlockIndex: 3, start: { toolUse: { toolUseId: 'a', name: 'f' } } } },
      { event: 'contentBlockDelta', body: { contentBlockIndex: 3, delta: { toolUse: { input: '{}' } } } },
      { event: 'contentBlockStart', body: { contentBlockIndex: 5, start: { toolUse: { toolUseId: 'b', name: 'g' } } } },
      { event: 'contentBlockDelta', body: { contentBlockIndex: 5, delta: { toolUse: { input: '{"x":1}' } } } },
      { event: 'messageStop', body: { stopReason: 'tool_use' } },
      { event: 'metadata', body: { usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 } } },
    ];
    const { client } = await serve({ chunks: encodeFrames(frames) });
    const completion = await client.chat.completions.stream({ model: 'primary', messages: [{ role: 'user', content: 'x' }] }).finalChatCompletion();
    expect(completion.choices[0].message.tool_calls?.map((call) => [call.id, call.type === 'function' && call.function.name, call.type === 'function' && call.function.arguments])).toEqual([['a', 'f', '{}'], ['b', 'g', '{"x":1}']]);
    expect(completion.usage).toBeUndefined();
  });

  it('ends a guardrail intervention with finish_reason content_filter and the masked text', async () => {
    const { client } = await serve({ chunks: encodeFrames(textAnswer(['Mail ', '{EMAIL}', '.'], 'guardrail_intervened')) });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of await client.chat.completions.create({ model: 'primary', messages: [{ role: 'user', content: 'x' }], stream: true })) chunks.push(chunk);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Mail {EMAIL}.');
    expect(chunks.at(-1)?.choices[0].finish_reason).toBe('content_filter');
    expect(chunks.every((c) => !('usage' in c))).toBe(true);
  });

  it('raises a mid-stream failure as the SDK\'s APIError carrying the code and type, after the text that came before', async () => {
    const frames: Frame[] = [...textAnswer(['partial ', 'answer']).slice(0, 3), { exception: 'throttlingException', message: 'Too many tokens' }];
    const { client, finished } = await serve({ chunks: encodeFrames(frames) });
    const received: string[] = [];
    const failure = await (async () => {
      for await (const chunk of await client.chat.completions.create({ model: 'primary', messages: [{ role: 'user', content: 'x' }], stream: true })) received.push(chunk.choices[0]?.delta.content ?? '');
    })().catch((error: unknown) => error);
    expect(received.join('')).toBe('partial answer');
    expect(failure).toBeInstanceOf(APIError);
    expect(failure).toMatchObject({ code: 'model_unavailable', type: 'rate_limit_error', message: 'the model failed mid-answer; retry' });
    expect(await finished).not.toContain('[DONE]');
  });

  it('on a client disconnect mid-stream, cancels the Bedrock stream and keeps the usage so far for the budget', async () => {
    const { client, upstream, progress, finished } = await serve({ chunks: encodeFrames(textAnswer(FIXTURE).slice(0, 3)), thenHang: true });
    const stream = await client.chat.completions.create({ model: 'primary', messages: [{ role: 'user', content: 'x' }], stream: true });
    let text = '';
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (text === FIXTURE[0] + FIXTURE[1]) break; // the SDK aborts its request on break
    }
    await finished;
    await settleUntil(() => upstream.cancelled);
    expect(progress).toEqual({ outputBytes: Buffer.byteLength(FIXTURE[0] + FIXTURE[1]) });
    expect(streamChargeTokens(progress, PROMPT_TOKENS)).toBe(PROMPT_TOKENS + Buffer.byteLength(FIXTURE[0] + FIXTURE[1]));
  });
});

describe('finishReasonOf', () => {
  it.each([
    ['end_turn', 'stop'], ['stop_sequence', 'stop'], ['max_tokens', 'length'], ['model_context_window_exceeded', 'length'],
    ['tool_use', 'tool_calls'], ['guardrail_intervened', 'content_filter'], ['content_filtered', 'content_filter'], ['malformed_tool_use', 'stop'],
  ])('maps %s to %s', (stopReason, finishReason) => {
    expect(finishReasonOf(stopReason)).toBe(finishReason);
  });
});
