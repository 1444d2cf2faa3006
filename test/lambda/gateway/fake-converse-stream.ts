import { EventStreamCodec } from '@smithy/core/event-streams';
import { fromUtf8, toUtf8 } from '@smithy/core/serde';
import type { StartTimer } from '../../../lambda/gateway/converse-stream';
import { AwsHttp } from '../../../lambda/shared/aws-http';
import { CREDENTIALS } from '../support/fake-aws';

/*
 * A fake Bedrock ConverseStream: answers are AWS event-stream frames encoded with the SDK's own
 * codec, the way Bedrock sends them (`:message-type`, `:event-type` or `:exception-type`,
 * `:content-type` headers; a JSON body with Bedrock's `p` padding member).
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStreamOutput.html
 */

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const PADDING = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0';

/** One frame: an event or an exception of the ConverseStream output union. */
export type Frame =
  | { readonly event: string; readonly body: Record<string, unknown> }
  | { readonly exception: string; readonly message: string }
  /** An unmodeled error, which the protocol carries in headers only. */
  | { readonly errorCode: string; readonly message: string };

/** The event-stream bytes of `frames`, one message each. */
export function encodeFrames(frames: readonly Frame[]): Uint8Array[] {
  return frames.map((frame, i) => {
    if ('errorCode' in frame) {
      return codec.encode({
        headers: { ':message-type': { type: 'string', value: 'error' }, ':error-code': { type: 'string', value: frame.errorCode }, ':error-message': { type: 'string', value: frame.message } },
        body: new Uint8Array(0),
      });
    }
    const common = { ':content-type': { type: 'string' as const, value: 'application/json' } };
    const headers = 'event' in frame
      ? { ...common, ':message-type': { type: 'string' as const, value: 'event' }, ':event-type': { type: 'string' as const, value: frame.event } }
      : { ...common, ':message-type': { type: 'string' as const, value: 'exception' }, ':exception-type': { type: 'string' as const, value: frame.exception } };
    const body = 'event' in frame ? { ...frame.body, p: PADDING.slice(0, 1 + (i % PADDING.length)) } : { message: frame.message };
    return codec.encode({ headers, body: fromUtf8(JSON.stringify(body)) });
  });
}

/** All frames' bytes as one buffer. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const part of parts) { out.set(part, offset); offset += part.byteLength; }
  return out;
}

/** The frames of a text answer: messageStart, one text block in `deltas`, messageStop, metadata. */
export function textAnswer(deltas: readonly string[], stopReason = 'end_turn', usage: Record<string, number> = { inputTokens: 12, outputTokens: 7, totalTokens: 19 }, trace?: unknown): Frame[] {
  return [
    { event: 'messageStart', body: { role: 'assistant' } },
    ...deltas.map((text) => ({ event: 'contentBlockDelta', body: { contentBlockIndex: 0, delta: { text } } })),
    { event: 'contentBlockStop', body: { contentBlockIndex: 0 } },
    { event: 'messageStop', body: { stopReason } },
    { event: 'metadata', body: { usage, metrics: { latencyMs: 321 }, ...(trace ? { trace } : {}) } },
  ];
}

/** A text block, then a tool call whose input JSON arrives in `inputFragments`, stopping for tool use. */
export function toolUseAnswer(inputFragments: readonly string[]): Frame[] {
  return [
    { event: 'messageStart', body: { role: 'assistant' } },
    { event: 'contentBlockDelta', body: { contentBlockIndex: 0, delta: { text: 'Let me look that up.' } } },
    { event: 'contentBlockStop', body: { contentBlockIndex: 0 } },
    { event: 'contentBlockStart', body: { contentBlockIndex: 1, start: { toolUse: { toolUseId: 'tooluse_kZJMlvQmRJ6eAyJE5GIl7Q', name: 'get_weather' } } } },
    ...inputFragments.map((input) => ({ event: 'contentBlockDelta', body: { contentBlockIndex: 1, delta: { toolUse: { input } } } })),
    { event: 'contentBlockStop', body: { contentBlockIndex: 1 } },
    { event: 'messageStop', body: { stopReason: 'tool_use' } },
    { event: 'metadata', body: { usage: { inputTokens: 40, outputTokens: 25, totalTokens: 65, cacheReadInputTokens: 1024, cacheWriteInputTokens: 0 }, metrics: { latencyMs: 500 } } },
  ];
}

/** How the fake's body behaves after its chunks: end, or hang until cancelled. */
export interface FakeBody {
  readonly chunks: readonly Uint8Array[];
  readonly thenHang?: boolean;
}

/** A fake Bedrock whose ConverseStream answers 200 with `body`; records the request and whether the body was cancelled. */
export function fakeBedrock(body: FakeBody | (() => Response)) {
  const seen = { requests: [] as Request[], cancelled: false, cancelReason: undefined as unknown, pulls: 0 };
  const http = new AwsHttp('eu-central-1', CREDENTIALS, async (request) => {
    seen.requests.push(request);
    if (typeof body === 'function') return body();
    const queue = [...body.chunks];
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        seen.pulls++;
        const next = queue.shift();
        if (next) controller.enqueue(next);
        else if (!body.thenHang) controller.close();
        // Hanging: no chunk and no close; the reader waits until it cancels the body.
      },
      cancel(reason) {
        seen.cancelled = true;
        seen.cancelReason = reason;
      },
    }, { highWaterMark: 0 });
    return new Response(stream, { status: 200, headers: { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': 'req-1' } });
  });
  return { http, seen };
}

/** Timers the test fires by hand: no real waiting. */
export function manualTimers() {
  const pending = new Set<{ ms: number; fire: () => void }>();
  const start: StartTimer = (ms, fire) => {
    const timer = { ms, fire };
    pending.add(timer);
    return () => pending.delete(timer);
  };
  return {
    start,
    pending,
    /** Fires every pending timer. */
    fireAll: () => { for (const timer of [...pending]) { pending.delete(timer); timer.fire(); } },
  };
}

/** Lets queued promise callbacks and I/O callbacks run, until `condition` holds (bounded: no timed wait). */
export async function settleUntil(condition: () => boolean, rounds = 1000): Promise<void> {
  for (let i = 0; i < rounds && !condition(); i++) await new Promise((resolve) => setImmediate(resolve));
  if (!condition()) throw new Error('condition never held');
}
