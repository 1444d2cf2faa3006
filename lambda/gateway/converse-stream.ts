import type { ConverseStreamRequest, ConverseStreamTrace, GuardrailStreamConfiguration, StopReason } from '@aws-sdk/client-bedrock-runtime';
import { EventStreamCodec, getChunkedStream, type Message } from '@smithy/core/event-streams';
import { AwsApiError, type AwsHttp } from '../shared/aws-http';
import type { OperationContract } from '../shared/operation-contract';
import { CONVERSE } from './aws';
import { estimateTokens } from './core';

/*
 * Bedrock ConverseStream over the gateway's SigV4 HTTP client (docs/adr/0004): the request is the
 * Converse JSON body; the answer is an AWS event stream (`application/vnd.amazon.eventstream`),
 * framed and CRC-checked by the SDK's own codec (@smithy/core/event-streams) as the body arrives,
 * and mapped to typed events. Every way a stream can end other than messageStop plus metadata (an
 * exception event, a reset, a body that breaks off, a hang, an abort) is an error, never a quiet end.
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/RESTSelectObjectAppendix.html (the event stream framing)
 */

/**
 * Bedrock ConverseStream: authorized as `bedrock:InvokeModelWithResponseStream` ("This operation
 * requires permission for the bedrock:InvokeModelWithResponseStream action", API reference), on
 * the same models and profiles, with the same guardrail condition and the same
 * `bedrock:ApplyGuardrail` on the guardrail as {@link CONVERSE}.
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html
 * https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-permissions.html
 * https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-permissions-id.html
 */
export const CONVERSE_STREAM: OperationContract = {
  signingName: 'bedrock',
  operation: 'ConverseStream',
  docs: [
    'https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html',
    ...CONVERSE.docs,
  ],
  calls: (scope) => CONVERSE.calls(scope).map((call) => (call.action === 'bedrock:InvokeModel' ? { ...call, action: 'bedrock:InvokeModelWithResponseStream' } : call)),
};

/** Usage as the stream's metadata event reported it. */
export interface ReportedUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Prompt tokens read from the prompt cache. */
  readonly cacheReadInputTokens: number;
  /** Prompt tokens written to the prompt cache. */
  readonly cacheWriteInputTokens: number;
}

/** One event of a Converse stream, as the gateway uses it. */
export type ConverseStreamEvent =
  | { readonly type: 'messageStart' }
  | { readonly type: 'toolUseStart'; readonly index: number; readonly toolUseId: string; readonly name: string }
  | { readonly type: 'textDelta'; readonly index: number; readonly text: string }
  /** A fragment of the tool call's input JSON; the fragments concatenated are the input. */
  | { readonly type: 'toolUseDelta'; readonly index: number; readonly input: string }
  | { readonly type: 'contentBlockStop'; readonly index: number }
  | { readonly type: 'messageStop'; readonly stopReason: StopReason | string }
  | { readonly type: 'metadata'; readonly usage: ReportedUsage; readonly trace?: ConverseStreamTrace };

/** What a stream produced so far; kept current while it runs, readable after it failed or was aborted. */
export interface StreamProgress {
  /** UTF-8 bytes of text and tool-call input received. */
  outputBytes: number;
  /** The metadata event's usage, once it arrived. */
  reported?: ReportedUsage;
}

/**
 * Tokens to charge for what a stream delivered: what Bedrock reported when its metadata arrived
 * (cache reads and writes included: Converse counts them apart from `inputTokens`,
 * https://docs.aws.amazon.com/bedrock/latest/userguide/prompt-caching.html), else the prompt's
 * reservation estimate plus one token per output byte received, the upper bound the budget uses
 * everywhere (core.ts `estimateTokens`). Tokens the model produced after the gateway stopped reading
 * are not seen (unverified whether Bedrock stops generating when the connection closes); a stream
 * abandoned at its idle bound is an abandoned attempt, which core.ts charges one more reservation.
 * @param promptTokens the prompt part of the request's reservation
 */
export function streamChargeTokens(progress: StreamProgress, promptTokens: number): number {
  const r = progress.reported;
  if (r) return r.inputTokens + r.outputTokens + r.cacheReadInputTokens + r.cacheWriteInputTokens;
  return promptTokens + progress.outputBytes;
}

/** Starts a timer that calls `fire` after `ms`; returns its cancel. Injected so tests control time. */
export type StartTimer = (ms: number, fire: () => void) => () => void;

const SYSTEM_TIMER: StartTimer = (ms, fire) => {
  const timer = setTimeout(fire, ms);
  return () => clearTimeout(timer);
};

/** The stream sent nothing for longer than its idle bound: a hung provider, transient like any timeout. */
export class StreamIdleError extends Error {
  constructor(ms: number) {
    super(`the model stream sent nothing for ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

/** A ConverseStream call. */
export interface ConverseStreamOptions {
  /** Ends the stream (and cancels the upstream body) when aborted: the request's deadline, a client disconnect. */
  readonly signal: AbortSignal;
  /** Longest gap between two chunks of the body (the first one included), ms. */
  readonly idleTimeoutMs: number;
  /** Updated as events arrive; pass one to read what was used after a failure. */
  readonly progress?: StreamProgress;
}

/** A ConverseStream request; the guardrail is required, and always applied in synchronous mode. */
export type ConverseStreamInput = Omit<ConverseStreamRequest, 'guardrailConfig'> & {
  readonly guardrailConfig: Omit<GuardrailStreamConfiguration, 'streamProcessingMode'>;
};

/** The Bedrock Runtime streaming operation the gateway uses. */
export interface ConverseStreamApi {
  /**
   * Sends the request; resolves once Bedrock answered 200, with the events as they arrive.
   * @throws AwsApiError before the stream starts, like Converse (throttling, validation, 5xx, no response)
   */
  converseStream(input: ConverseStreamInput, options: ConverseStreamOptions): Promise<AsyncIterable<ConverseStreamEvent>>;
}

const EVENT_STREAM = 'application/vnd.amazon.eventstream';
// The codec's arguments are named from the bytes' side: toUtf8 decodes bytes, fromUtf8 encodes a string.
const codec = new EventStreamCodec((bytes) => new TextDecoder().decode(bytes), (text) => new TextEncoder().encode(text));

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);
const count = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0);
const header = (message: Message, name: string): string | undefined => {
  const value = message.headers[name]?.value;
  return typeof value === 'string' ? value : undefined;
};

/** A stream that ended or broke before it was complete: transient, like a reset mid-body. */
const brokenOff = (what: string) => new AwsApiError('NetworkingError', `bedrock: the stream ${what}`, undefined);
/** A frame or event that is not what the protocol promises: transient, like a malformed answer. */
const malformed = (what: string) => new AwsApiError('MalformedResponseError', `bedrock: ${what}`, undefined);

function bodyOf(message: Message): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(message.body));
  } catch {
    throw malformed(`the ${header(message, ':event-type') ?? header(message, ':exception-type') ?? 'event'} event is not JSON`);
  }
  if (!isRecord(parsed)) throw malformed('an event is not a JSON object');
  return parsed;
}

/**
 * The event of one decoded message, or undefined for an event the gateway does not use (reasoning
 * content, citations, images: newer members are skipped the way the SDK skips `$unknown` ones).
 * An exception event becomes the AwsApiError its name says (`throttlingException` ->
 * `ThrottlingException`), so that routing.ts classifies it as it classifies the same error before
 * the stream: throttled, model failure, transient or the caller's fault.
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStreamOutput.html
 */
export function eventOf(message: Message): ConverseStreamEvent | undefined {
  const messageType = header(message, ':message-type');
  if (messageType === 'exception') {
    const type = header(message, ':exception-type') ?? 'UnknownException';
    const body = bodyOf(message);
    const name = type.charAt(0).toUpperCase() + type.slice(1);
    throw new AwsApiError(name, String(body.message ?? name), undefined);
  }
  if (messageType === 'error') {
    const code = header(message, ':error-code') ?? 'UnknownError';
    throw new AwsApiError(code, header(message, ':error-message') ?? code, undefined);
  }
  if (messageType !== 'event') throw malformed(`unknown message type ${messageType}`);
  const body = bodyOf(message);
  const index = count(body.contentBlockIndex);
  switch (header(message, ':event-type')) {
    case 'messageStart': return { type: 'messageStart' };
    case 'contentBlockStart': {
      const toolUse = isRecord(body.start) && isRecord(body.start.toolUse) ? body.start.toolUse : undefined;
      if (!toolUse) return undefined;
      if (typeof toolUse.toolUseId !== 'string' || typeof toolUse.name !== 'string') throw malformed('a toolUse start lacks its id or name');
      return { type: 'toolUseStart', index, toolUseId: toolUse.toolUseId, name: toolUse.name };
    }
    case 'contentBlockDelta': {
      const delta = isRecord(body.delta) ? body.delta : {};
      if (typeof delta.text === 'string') return { type: 'textDelta', index, text: delta.text };
      if (isRecord(delta.toolUse) && typeof delta.toolUse.input === 'string') return { type: 'toolUseDelta', index, input: delta.toolUse.input };
      return undefined;
    }
    case 'contentBlockStop': return { type: 'contentBlockStop', index };
    case 'messageStop':
      if (typeof body.stopReason !== 'string') throw malformed('messageStop lacks its stopReason');
      return { type: 'messageStop', stopReason: body.stopReason };
    case 'metadata': {
      const usage = isRecord(body.usage) ? body.usage : {};
      return {
        type: 'metadata',
        usage: {
          inputTokens: count(usage.inputTokens),
          outputTokens: count(usage.outputTokens),
          cacheReadInputTokens: count(usage.cacheReadInputTokens),
          cacheWriteInputTokens: count(usage.cacheWriteInputTokens),
        },
        ...(isRecord(body.trace) ? { trace: body.trace as ConverseStreamTrace } : {}),
      };
    }
    default: return undefined;
  }
}

/**
 * The body's chunks, each read within `idleTimeoutMs` and never past the signal. On idle, abort,
 * or the consumer stopping early, the body is cancelled, which closes the upstream connection.
 */
async function* chunksOf(body: ReadableStream<Uint8Array>, options: ConverseStreamOptions, startTimer: StartTimer): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  let finished = false;
  try {
    for (;;) {
      let cancelTimer = () => {};
      let onAbort = () => {};
      const stopped = new Promise<never>((_, reject) => {
        cancelTimer = startTimer(options.idleTimeoutMs, () => reject(new StreamIdleError(options.idleTimeoutMs)));
        onAbort = () => reject(options.signal.reason);
        if (options.signal.aborted) onAbort();
        else options.signal.addEventListener('abort', onAbort, { once: true });
      });
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await Promise.race([reader.read(), stopped]);
      } catch (error) {
        if (error instanceof StreamIdleError || options.signal.aborted) throw error;
        throw brokenOff('broke off (the connection failed while it was read)');
      } finally {
        cancelTimer();
        options.signal.removeEventListener('abort', onAbort);
      }
      if (chunk.done) { finished = true; return; }
      yield chunk.value;
    }
  } finally {
    if (!finished) reader.cancel(options.signal.aborted ? options.signal.reason : undefined).catch(() => {});
    reader.releaseLock();
  }
}

async function* eventsOf(body: ReadableStream<Uint8Array>, options: ConverseStreamOptions, startTimer: StartTimer): AsyncGenerator<ConverseStreamEvent> {
  const progress = options.progress ?? { outputBytes: 0 };
  let stopped = false;
  const chunks = chunksOf(body, options, startTimer);
  const frames = getChunkedStream(chunks)[Symbol.asyncIterator]();
  try {
    for (;;) {
      let frame: IteratorResult<Uint8Array>;
      try {
        frame = await frames.next();
      } catch (error) {
        // The codec's own error for a body that ended inside a frame.
        if (error instanceof Error && /Truncated event message/.test(error.message)) throw brokenOff('ended inside an event');
        throw error;
      }
      if (frame.done) break;
      let message: Message;
      try {
        message = codec.decode(frame.value);
      } catch (error) {
        throw malformed(`an event frame is corrupt (${(error as Error).message})`);
      }
      const event = eventOf(message);
      if (!event) continue;
      if (event.type === 'textDelta') progress.outputBytes += estimateTokens(event.text);
      if (event.type === 'toolUseDelta') progress.outputBytes += estimateTokens(event.input);
      if (event.type === 'messageStop') stopped = true;
      if (event.type === 'metadata') progress.reported = event.usage;
      yield event;
      // Metadata follows messageStop and ends the answer: nothing after it is waited for.
      if (stopped && progress.reported) break;
    }
  } finally {
    // The codec's framer does not pass an early return on to its source: end the body here.
    await chunks.return(undefined);
  }
  if (!stopped || !progress.reported) throw brokenOff(`ended before ${stopped ? 'its metadata' : 'messageStop'}`);
}

/** Bedrock Runtime ConverseStream over HTTPS (restJson1 request, event-stream answer, signing name `bedrock`). */
export class BedrockConverseStream implements ConverseStreamApi {
  private readonly base: string;

  constructor(private readonly http: AwsHttp, private readonly startTimer: StartTimer = SYSTEM_TIMER) {
    this.base = http.endpoint('bedrock-runtime');
  }

  async converseStream({ modelId, guardrailConfig, ...rest }: ConverseStreamInput, options: ConverseStreamOptions): Promise<AsyncIterable<ConverseStreamEvent>> {
    // Synchronous mode: the guardrail scans each chunk before it is sent. Asynchronous mode sends
    // chunks unscanned and cannot mask sensitive information, so it is never asked for.
    // https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-streaming.html
    const body = { ...rest, guardrailConfig: { ...guardrailConfig, streamProcessingMode: 'sync' } };
    const response = await this.http.request(CONVERSE_STREAM, `${this.base}/model/${encodeURIComponent(String(modelId))}/converse-stream`, {
      headers: { 'content-type': 'application/json', accept: EVENT_STREAM },
      body: JSON.stringify(body),
    }, options.signal);
    if (!response.body || !(response.headers.get('content-type') ?? '').startsWith(EVENT_STREAM)) {
      await response.body?.cancel();
      throw malformed(`ConverseStream answered ${response.headers.get('content-type') ?? 'without a content type'}, not an event stream`);
    }
    return eventsOf(response.body, options, this.startTimer);
  }
}
