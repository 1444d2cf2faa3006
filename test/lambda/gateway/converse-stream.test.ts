import fc from 'fast-check';
import { CONVERSE } from '../../../lambda/gateway/aws';
import {
  BedrockConverseStream, CONVERSE_STREAM, type ConverseStreamEvent, type ConverseStreamInput, type StreamProgress, streamChargeTokens,
} from '../../../lambda/gateway/converse-stream';
import { sensitiveMatches, strongestAction } from '../../../lambda/gateway/providers';
import { classifyFailure } from '../../../lambda/gateway/routing';
import { AwsHttp } from '../../../lambda/shared/aws-http';
import type { ContractScope } from '../../../lambda/shared/operation-contract';
import { CREDENTIALS } from '../support/fake-aws';
import {
  concat, encodeFrames, fakeBedrock, type FakeBody, type Frame, manualTimers, settleUntil, textAnswer, toolUseAnswer,
} from './fake-converse-stream';

const INPUT: ConverseStreamInput = {
  modelId: 'eu.anthropic.claude-sonnet-4-5-20250929-v1:0',
  messages: [{ role: 'user', content: [{ guardContent: { text: { text: 'hello' } } }] }],
  guardrailConfig: { guardrailIdentifier: 'arn:aws:bedrock:eu-central-1:111122223333:guardrail/abc123', guardrailVersion: '3', trace: 'enabled' },
};
const IDLE_MS = 30_000;

/** Runs one ConverseStream against the fake and collects its events, or the error it ended with. */
async function run(body: FakeBody, options: { signal?: AbortSignal; timers?: ReturnType<typeof manualTimers> } = {}) {
  const fake = fakeBedrock(body);
  const timers = options.timers ?? manualTimers();
  const progress: StreamProgress = { outputBytes: 0 };
  const events: ConverseStreamEvent[] = [];
  let error: unknown;
  try {
    const stream = await new BedrockConverseStream(fake.http, timers.start).converseStream(INPUT, { signal: options.signal ?? new AbortController().signal, idleTimeoutMs: IDLE_MS, progress });
    for await (const event of stream) events.push(event);
  } catch (e) {
    error = e;
  }
  return { events, error, progress, seen: fake.seen };
}

const textOf = (events: readonly ConverseStreamEvent[]) => events.map((e) => (e.type === 'textDelta' ? e.text : '')).join('');
const FIXTURE = ['Paris is the capital', ' of France', '. It has about 2.1 million inhabitants ', '— and the Eiffel Tower (1889) ✓.'];

describe('ConverseStream binding', () => {
  it('posts to /model/{modelId}/converse-stream, signed for bedrock, asking for an event stream with the guardrail in synchronous mode', async () => {
    const { seen } = await run({ chunks: encodeFrames(textAnswer(['hi'])) });
    const [request] = seen.requests;
    expect(request.method).toBe('POST');
    expect(request.url).toBe('https://bedrock-runtime.eu-central-1.amazonaws.com/model/eu.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse-stream');
    expect(request.headers.get('authorization')).toMatch(/Credential=AKIDEXAMPLE\/\d{8}\/eu-central-1\/bedrock\/aws4_request/);
    expect(request.headers.get('accept')).toBe('application/vnd.amazon.eventstream');
    expect(await request.json()).toEqual({
      messages: INPUT.messages,
      guardrailConfig: { ...INPUT.guardrailConfig, streamProcessingMode: 'sync' },
    });
  });

  it('never asks for asynchronous guardrail processing, even when the input says so', async () => {
    const fake = fakeBedrock({ chunks: encodeFrames(textAnswer(['hi'])) });
    const sneaky = { ...INPUT, guardrailConfig: { ...INPUT.guardrailConfig, streamProcessingMode: 'async' } } as ConverseStreamInput;
    const stream = await new BedrockConverseStream(fake.http, manualTimers().start).converseStream(sneaky, { signal: new AbortController().signal, idleTimeoutMs: IDLE_MS });
    for await (const _ of stream) { /* drain */ }
    expect((await fake.seen.requests[0].json() as { guardrailConfig: { streamProcessingMode: string } }).guardrailConfig.streamProcessingMode).toBe('sync');
  });

  it('assembles the streamed text exactly, in event order, with the usage of the metadata event', async () => {
    const { events, error, progress } = await run({ chunks: encodeFrames(textAnswer(FIXTURE)) });
    expect(error).toBeUndefined();
    expect(textOf(events)).toBe(FIXTURE.join(''));
    expect(events.map((e) => e.type)).toEqual(['messageStart', 'textDelta', 'textDelta', 'textDelta', 'textDelta', 'contentBlockStop', 'messageStop', 'metadata']);
    expect(events.at(-2)).toEqual({ type: 'messageStop', stopReason: 'end_turn' });
    expect(progress.reported).toEqual({ inputTokens: 12, outputTokens: 7, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 });
    expect(streamChargeTokens(progress, 500)).toBe(19);
  });

  it('streams a tool call: its id and name, then input JSON fragments that concatenate to the input', async () => {
    const fragments = ['{"loc', 'ation": "Par', 'is, FR", "unit": "cel', 'sius"}'];
    const { events, error, progress } = await run({ chunks: encodeFrames(toolUseAnswer(fragments)) });
    expect(error).toBeUndefined();
    expect(events.find((e) => e.type === 'toolUseStart')).toEqual({ type: 'toolUseStart', index: 1, toolUseId: 'tooluse_kZJMlvQmRJ6eAyJE5GIl7Q', name: 'get_weather' });
    const input = events.map((e) => (e.type === 'toolUseDelta' ? e.input : '')).join('');
    expect(JSON.parse(input)).toEqual({ location: 'Paris, FR', unit: 'celsius' });
    expect(events.find((e) => e.type === 'messageStop')).toEqual({ type: 'messageStop', stopReason: 'tool_use' });
    // Cache reads and writes are charged: Converse counts them apart from inputTokens.
    expect(progress.reported).toEqual({ inputTokens: 40, outputTokens: 25, cacheReadInputTokens: 1024, cacheWriteInputTokens: 0 });
    expect(streamChargeTokens(progress, 5000)).toBe(40 + 25 + 1024);
  });

  it('ends the stream at its metadata event, without waiting for the body to close', async () => {
    const fake = fakeBedrock({ chunks: encodeFrames(textAnswer(FIXTURE)), thenHang: true });
    // Signing is done once the stream is returned; what follows is in-memory, so settling is bounded.
    const stream = await new BedrockConverseStream(fake.http, manualTimers().start).converseStream(INPUT, { signal: new AbortController().signal, idleTimeoutMs: IDLE_MS });
    const events: ConverseStreamEvent[] = [];
    let finished = false;
    const draining = (async () => { for await (const event of stream) events.push(event); })().finally(() => { finished = true; });
    await settleUntil(() => finished);
    await draining;
    expect(events.at(-1)?.type).toBe('metadata');
    expect(fake.seen.cancelled).toBe(true);
  });

  it('skips content it does not use (reasoning, unknown events) without failing', async () => {
    const frames: Frame[] = textAnswer(['ok']);
    frames.splice(1, 0,
      { event: 'contentBlockDelta', body: { contentBlockIndex: 0, delta: { reasoningContent: { text: 'thinking' } } } },
      { event: 'someFutureEvent', body: { x: 1 } });
    const { events, error } = await run({ chunks: encodeFrames(frames) });
    expect(error).toBeUndefined();
    expect(textOf(events)).toBe('ok');
  });

  it.each([
    ['throttlingException', 'ThrottlingException', 'throttled'],
    ['modelStreamErrorException', 'ModelStreamErrorException', 'model'],
    ['validationException', 'ValidationException', 'client'],
    ['internalServerException', 'InternalServerException', 'server'],
    ['serviceUnavailableException', 'ServiceUnavailableException', 'server'],
  ])('ends with %s mid-stream as %s, classified %s like the same error before the stream, counting the text sent before', async (exception, name, kind) => {
    const frames: Frame[] = [...textAnswer(['Hello, wor']).slice(0, 2), { exception, message: 'the model failed' }];
    const { events, error, progress } = await run({ chunks: encodeFrames(frames) });
    expect(textOf(events)).toBe('Hello, wor');
    expect(error).toMatchObject({ name, message: 'the model failed' });
    expect(classifyFailure(error)).toBe(kind);
    expect(progress).toEqual({ outputBytes: 10 });
    expect(streamChargeTokens(progress, 100)).toBe(110);
  });

  it('ends with an unmodeled error message as the error its code names', async () => {
    const { error } = await run({ chunks: encodeFrames([textAnswer(['a'])[0], { errorCode: 'InternalFailure', message: 'try again' }]) });
    expect(error).toMatchObject({ name: 'InternalFailure', message: 'try again' });
    expect(classifyFailure(error)).toBe('server');
  });

  it('fails, transiently, when the body ends inside an event frame (a truncated stream is not a quiet end)', async () => {
    const bytes = concat(encodeFrames(textAnswer(FIXTURE)));
    const { events, error, progress } = await run({ chunks: [bytes.slice(0, bytes.length - 7)] });
    expect(events.some((e) => e.type === 'metadata')).toBe(false);
    expect(error).toMatchObject({ name: 'NetworkingError', message: 'bedrock: the stream ended inside an event' });
    expect(classifyFailure(error)).toBe('server');
    expect(progress.reported).toBeUndefined();
    expect(progress.outputBytes).toBe(Buffer.byteLength(FIXTURE.join('')));
  });

  it.each([
    ['messageStop', 4, 'bedrock: the stream ended before messageStop'],
    ['its metadata', 1, 'bedrock: the stream ended before its metadata'],
  ])('fails when the body ends cleanly between frames but before %s', async (_what, dropped, message) => {
    const frames = textAnswer(FIXTURE);
    const { error } = await run({ chunks: encodeFrames(frames.slice(0, frames.length - dropped)) });
    expect(error).toMatchObject({ name: 'NetworkingError', message });
    expect(classifyFailure(error)).toBe('server');
  });

  it('refuses a frame whose checksum does not match, as a malformed answer', async () => {
    const [first, ...rest] = encodeFrames(textAnswer(['x']));
    const corrupt = first.slice();
    corrupt[corrupt.length - 10] ^= 0xff;
    const { error } = await run({ chunks: [corrupt, ...rest] });
    expect(error).toMatchObject({ name: 'MalformedResponseError' });
    expect(classifyFailure(error)).toBe('server');
  });

  it('reads a stream split at every byte boundary, and many frames in one chunk, the same', async () => {
    const frames = textAnswer(['Grüße ', 'aus 東京 🗼', '!']);
    const bytes = concat(encodeFrames(frames));
    const whole = await run({ chunks: [bytes] });
    expect(textOf(whole.events)).toBe('Grüße aus 東京 🗼!');
    for (let cut = 1; cut < bytes.length; cut++) {
      const split = await run({ chunks: [bytes.slice(0, cut), bytes.slice(cut)] });
      expect(split.error).toBeUndefined();
      expect(split.events).toEqual(whole.events);
    }
  });

  it('reads any text in any chunking the same as whole (property)', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 6 }),
      fc.uniqueArray(fc.integer({ min: 1, max: 10_000 }), { maxLength: 12 }),
      async (deltas, cuts) => {
        const bytes = concat(encodeFrames(textAnswer(deltas)));
        const points = [...new Set(cuts.map((c) => c % bytes.length).filter((c) => c > 0))].sort((a, b) => a - b);
        const chunks = [0, ...points].map((start, i) => bytes.slice(start, [...points, bytes.length][i]));
        const { events, error } = await run({ chunks });
        expect(error).toBeUndefined();
        expect(textOf(events)).toBe(deltas.join(''));
      },
    ), { numRuns: 150 });
  });

  it('on abort mid-stream, cancels the upstream body and reports the tokens used so far', async () => {
    const controller = new AbortController();
    const fake = fakeBedrock({ chunks: encodeFrames(textAnswer(FIXTURE).slice(0, 3)), thenHang: true });
    const progress: StreamProgress = { outputBytes: 0 };
    const stream = await new BedrockConverseStream(fake.http, manualTimers().start).converseStream(INPUT, { signal: controller.signal, idleTimeoutMs: IDLE_MS, progress });
    const events: ConverseStreamEvent[] = [];
    const failure = (async () => {
      for await (const event of stream) {
        events.push(event);
        // The client disconnects after the second delta.
        if (events.length === 3) controller.abort(new DOMException('the client went away', 'AbortError'));
      }
    })().catch((error: unknown) => error);
    await settleUntil(() => fake.seen.cancelled);
    expect(await failure).toMatchObject({ name: 'AbortError' });
    expect(textOf(events)).toBe(FIXTURE[0] + FIXTURE[1]);
    expect(progress).toEqual({ outputBytes: Buffer.byteLength(FIXTURE[0] + FIXTURE[1]) });
    expect(streamChargeTokens(progress, 300)).toBe(300 + Buffer.byteLength(FIXTURE[0] + FIXTURE[1]));
  });

  it('cancels the upstream body when the consumer stops reading early', async () => {
    const fake = fakeBedrock({ chunks: encodeFrames(textAnswer(FIXTURE)), thenHang: true });
    const stream = await new BedrockConverseStream(fake.http, manualTimers().start).converseStream(INPUT, { signal: new AbortController().signal, idleTimeoutMs: IDLE_MS });
    for await (const event of stream) if (event.type === 'textDelta') break;
    expect(fake.seen.cancelled).toBe(true);
  });

  it.each([
    ['after the first events', 3],
    ['before the first byte', 0],
  ])('ends a stream that goes idle %s with a transient timeout, and cancels the upstream', async (_when, sent) => {
    const timers = manualTimers();
    const fake = fakeBedrock({ chunks: encodeFrames(textAnswer(FIXTURE)).slice(0, sent), thenHang: true });
    const stream = await new BedrockConverseStream(fake.http, timers.start).converseStream(INPUT, { signal: new AbortController().signal, idleTimeoutMs: IDLE_MS });
    const iterator = stream[Symbol.asyncIterator]();
    for (let i = 0; i < sent; i++) await iterator.next();
    const next = iterator.next();
    await settleUntil(() => timers.pending.size > 0);
    expect([...timers.pending].map((t) => t.ms)).toEqual([IDLE_MS]);
    timers.fireAll();
    const error = await next.catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'TimeoutError', message: `the model stream sent nothing for ${IDLE_MS} ms` });
    expect(classifyFailure(error)).toBe('timeout');
    expect(fake.seen.cancelled).toBe(true);
    expect(timers.pending.size).toBe(0);
  });

  it('streams a guardrail intervention: masked text, stop reason guardrail_intervened, the assessment in the trace', async () => {
    const trace = {
      guardrail: {
        outputAssessments: {
          'arn:aws:bedrock:eu-central-1:111122223333:guardrail/abc123': [{
            sensitiveInformationPolicy: { piiEntities: [{ match: 'jane@example.com', type: 'EMAIL', action: 'ANONYMIZED', detected: true }] },
          }],
        },
      },
    };
    const { events, error } = await run({ chunks: encodeFrames(textAnswer(['Write to ', '{EMAIL}', ' for details.'], 'guardrail_intervened', { inputTokens: 9, outputTokens: 8, totalTokens: 17 }, trace)) });
    expect(error).toBeUndefined();
    expect(textOf(events)).toBe('Write to {EMAIL} for details.');
    expect(textOf(events)).not.toContain('jane@example.com');
    expect(events.find((e) => e.type === 'messageStop')).toEqual({ type: 'messageStop', stopReason: 'guardrail_intervened' });
    const metadata = events.find((e) => e.type === 'metadata');
    expect(metadata?.type === 'metadata' && strongestAction(metadata.trace?.guardrail)).toBe('masked');
    expect(metadata?.type === 'metadata' && sensitiveMatches(metadata.trace?.guardrail)).toEqual([{ match: 'jane@example.com', type: 'EMAIL' }]);
  });

  it('fails before the stream on an error answer, classified like Converse', async () => {
    const throttled = new AwsHttp('eu-central-1', CREDENTIALS, async () => new Response('{"message":"Too many requests"}', { status: 429, headers: { 'x-amzn-errortype': 'ThrottlingException' } }));
    const error = await new BedrockConverseStream(throttled).converseStream(INPUT, { signal: new AbortController().signal, idleTimeoutMs: IDLE_MS }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ThrottlingException', $metadata: { httpStatusCode: 429 } });
    expect(classifyFailure(error)).toBe('throttled');
  });

  it('refuses a 200 that is not an event stream, as a malformed answer', async () => {
    const fake = fakeBedrock(() => Response.json({ output: {} }));
    const error = await new BedrockConverseStream(fake.http).converseStream(INPUT, { signal: new AbortController().signal, idleTimeoutMs: IDLE_MS }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'MalformedResponseError', message: 'bedrock: ConverseStream answered application/json, not an event stream' });
  });
});

describe('CONVERSE_STREAM contract', () => {
  const scope: ContractScope = {
    env: {
      GATEWAY_MODELS: JSON.stringify({ chatModels: [{ provider: 'bedrock', target: 'eu.anthropic.claude-sonnet-4-5-20250929-v1:0' }, { provider: 'sagemaker', target: 'llama' }] }),
      GUARDRAIL_IDENTIFIER: 'arn:aws:bedrock:eu-central-1:111122223333:guardrail/abc123',
      GUARDRAIL_VERSION: '3',
    },
    partition: 'aws',
    region: 'eu-central-1',
    account: '111122223333',
    profileDestinations: (id) => (id.startsWith('eu.') ? ['eu-central-1', 'eu-west-1'] : []),
  };

  it('is authorized as InvokeModelWithResponseStream on the models Converse may call, with the guardrail condition, plus ApplyGuardrail', () => {
    const calls = CONVERSE_STREAM.calls(scope);
    expect(calls.map((c) => c.action)).toEqual(['bedrock:InvokeModelWithResponseStream', 'bedrock:InvokeModelWithResponseStream', 'bedrock:InvokeModelWithResponseStream', 'bedrock:ApplyGuardrail']);
    expect(calls.map((c) => c.resource)).toEqual(CONVERSE.calls(scope).map((c) => c.resource));
    expect(calls[0]).toMatchObject({
      resource: 'arn:aws:bedrock:eu-central-1:111122223333:inference-profile/eu.anthropic.claude-sonnet-4-5-20250929-v1:0',
      context: { 'bedrock:GuardrailIdentifier': 'arn:aws:bedrock:eu-central-1:111122223333:guardrail/abc123:3' },
      kms: { actions: ['kms:Decrypt'], viaService: 'bedrock' },
    });
    expect(CONVERSE_STREAM.docs).toContain('https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html');
  });
});
