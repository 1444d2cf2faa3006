/**
 * Bounded AWS calls: every call gets a time limit per attempt, a bounded number of attempts with
 * full-jitter exponential backoff, and never runs past the deadline of the work it belongs to
 * (the request, the SQS batch, the custom-resource event).
 */

/** How one kind of call is bounded. */
export interface CallPolicy {
  /** Attempts, the first included. */
  readonly attempts: number;
  /** Time one attempt may take, response body included, in ms. */
  readonly attemptTimeoutMs: number;
  /** Base of the full-jitter exponential backoff, in ms. */
  readonly baseDelayMs: number;
  /** Cap of one backoff, in ms. */
  readonly maxDelayMs: number;
}

/** Time and randomness, injected so that tests control them. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
  random(): number;
}

/** The process clock. */
export const SYSTEM_CLOCK: Clock = {
  now: Date.now,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

/** The work's deadline passed before the call could answer. */
export class DeadlineExceededError extends Error {
  constructor(what: string) {
    super(`${what} did not answer before the deadline`);
    this.name = 'DeadlineExceededError';
  }
}

/** A 2xx response whose body was cut off or is not the JSON the operation answers with. */
export class InvalidResponseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidResponseError';
  }
}

/** An attempt that took longer than its policy allows. */
class AttemptTimeoutError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

const THROTTLING = new Set(['ThrottlingException', 'TooManyRequestsException', 'ServiceQuotaExceededException', 'ProvisionedThroughputExceededException', 'SlowDown', 'RequestLimitExceeded']);
const TRANSIENT = new Set(['NetworkingError', 'TimeoutError', 'InvalidResponseError', 'InternalServerException', 'InternalFailure', 'InternalError', 'ServiceUnavailableException', 'ServiceUnavailable', 'ModelNotReadyException']);

/** Throttling: the caller should slow down (HTTP 429 or a throttling error type). */
export function isThrottling(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return THROTTLING.has(e?.name ?? '') || e?.$metadata?.httpStatusCode === 429;
}

/** Worth another attempt: throttling, 5xx, no response, a timed-out attempt, a cut-off body. 4xx are not. */
export function isRetryable(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  const status = e?.$metadata?.httpStatusCode;
  return isThrottling(error) || (status !== undefined && status >= 500) || TRANSIENT.has(e?.name ?? '');
}

/** Full-jitter exponential backoff: uniform in [0, min(cap, base * 2^attempt)). */
function backoffMs(attempt: number, policy: CallPolicy, random: () => number): number {
  return Math.floor(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt));
}

/**
 * Runs `attempt` until it answers, a non-retryable error ends it, the attempts are used up or the
 * deadline (epoch ms) leaves no time for another. Each attempt gets a signal that aborts when its
 * time is up; an attempt that ignores the signal is abandoned all the same.
 * @throws the last attempt's error, or DeadlineExceededError when no attempt could start in time
 */
export async function callWithRetries<T>(what: string, attempt: (signal: AbortSignal) => Promise<T>, policy: CallPolicy, deadline: number, clock: Clock = SYSTEM_CLOCK): Promise<T> {
  let last: unknown = new DeadlineExceededError(what);
  for (let i = 0; i < policy.attempts; i++) {
    const remaining = deadline - clock.now();
    if (remaining <= 0) throw last;
    const timeoutMs = Math.min(policy.attemptTimeoutMs, remaining);
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new AttemptTimeoutError(timeoutMs);
        controller.abort(error);
        reject(error);
      }, timeoutMs);
    });
    try {
      return await Promise.race([attempt(controller.signal), timedOut]);
    } catch (error) {
      last = controller.signal.aborted ? controller.signal.reason : error;
      if (!isRetryable(last) || i === policy.attempts - 1) throw last;
      const delay = backoffMs(i, policy, clock.random);
      if (clock.now() + delay >= deadline) throw last;
      await clock.sleep(delay);
    } finally {
      clearTimeout(timer);
    }
  }
  throw last;
}

/**
 * Reads a response body as JSON within the attempt's time. A body that is cut off or not JSON is
 * an InvalidResponseError (retryable: the service answered, the answer did not arrive whole).
 */
export async function readJson(response: Response, signal: AbortSignal): Promise<unknown> {
  let text: string;
  try {
    text = await abortable(response.text(), signal);
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    throw new InvalidResponseError(`the response body could not be read: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidResponseError(`the response body is not JSON (${text.length} characters)`);
  }
}

/** `promise`, or a rejection with the signal's reason as soon as it aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => { signal.removeEventListener('abort', onAbort); resolve(value); },
      (error: unknown) => { signal.removeEventListener('abort', onAbort); reject(error); },
    );
  });
}

/**
 * The deadline (epoch ms) of a Lambda invocation: its remaining time less `marginMs`, kept back to
 * answer after the last call gave up. Without a context (a direct call of the handler in a test or
 * a local run) the work gets `withoutContextMs`.
 */
export function deadlineOf(context: { getRemainingTimeInMillis(): number } | undefined, marginMs: number, withoutContextMs = 10_000, clock: Clock = SYSTEM_CLOCK): number {
  return clock.now() + (context ? context.getRemainingTimeInMillis() - marginMs : withoutContextMs);
}
