import type { Clock } from '../shared/retry';
import { CallTimeoutError, TimeBudget, withTimeout } from './deadline';
import { GatewayError } from './errors';

/**
 * How a provider failure is treated: `model` is the model itself failing (its container or its
 * inference), which a retry of the same model rarely cures, so routing moves to the next target.
 */
export type FailureKind = 'throttled' | 'server' | 'model' | 'timeout' | 'client';

/*
 * Error names from the API references' error lists (each is a 4xx there, so the status alone
 * would call it a caller error):
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html#API_runtime_Converse_Errors
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html#API_runtime_ConverseStream_Errors
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpoint.html#API_runtime_InvokeEndpoint_Errors
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html#API_UpdateItem_Errors
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/CommonErrors.html
 */
const THROTTLING = new Set([
  'ThrottlingException', 'TooManyRequestsException', 'ServiceQuotaExceededException', 'ModelNotReadyException',
  'ProvisionedThroughputExceededException', 'RequestLimitExceeded',
]);
/** Bedrock ModelErrorException and ModelStreamErrorException (424), SageMaker ModelError (424): the model failed. */
const MODEL_FAILURE = new Set(['ModelErrorException', 'ModelStreamErrorException', 'ModelError']);
/**
 * Server-side failures, whatever status they came with; a reset connection, and an answer whose body
 * broke off or is not the JSON the protocol promises (a 200 or an error), are transient like a 5xx.
 */
const TRANSIENT = new Set([
  'InternalServerException', 'InternalServerError', 'ServiceUnavailableException', 'ServiceUnavailable', 'InternalFailure',
  'InternalDependencyException', 'NetworkingError', 'MalformedResponseError',
]);
const TIMEOUT = new Set(['TimeoutError', 'AbortError', 'RequestTimeout', 'RequestTimeoutException', 'ModelTimeoutException']);

/** Classifies an AWS error: retry throttling, 5xx and timeouts, fall back on model failures; never retry other 4xx. */
export function classifyFailure(error: unknown): FailureKind {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number }; $retryable?: { throttling?: boolean } };
  const name = e?.name ?? '';
  const status = e?.$metadata?.httpStatusCode;
  if (THROTTLING.has(name) || e?.$retryable?.throttling || status === 429) return 'throttled';
  if (MODEL_FAILURE.has(name)) return 'model';
  if (TIMEOUT.has(name) || status === 408) return 'timeout';
  if (TRANSIENT.has(name) || (status !== undefined && status >= 500)) return 'server';
  return 'client';
}

/** Retry and deadline settings. */
export interface RetryPolicy {
  /** Attempts per target, first call included. */
  readonly maxAttemptsPerTarget: number;
  /** Base of the exponential backoff, in ms. */
  readonly baseDelayMs: number;
  /** Cap of one backoff, in ms. */
  readonly maxDelayMs: number;
  /** Time kept for each later target of a fallback chain while a target runs, in ms. */
  readonly fallbackReserveMs: number;
}


/** The outcome of {@link callWithFallback}. */
export interface Routed<T, R> {
  readonly result: R;
  readonly target: T;
  readonly attempts: number;
  readonly fallbackUsed: boolean;
}

/** Full-jitter exponential backoff: uniform in [0, min(cap, base * 2^attempt)). */
export function backoffMs(attempt: number, policy: RetryPolicy, random: () => number): number {
  return Math.floor(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt));
}

/**
 * Time the target `targetsLeft` from the end of a fallback chain may use: all that is left but a
 * reserve for each later target, and never less than an equal share. The primary gets most of the
 * deadline, so a long answer is not cut off for a fallback that is never needed; a hung primary
 * still leaves every fallback its reserve (or an equal share, when the deadline is short).
 */
export function targetShareMs(remainingMs: number, targetsLeft: number, reserveMs: number): number {
  return Math.max(remainingMs / targetsLeft, remainingMs - (targetsLeft - 1) * reserveMs);
}

/**
 * Runs one idempotent store call (a budget update, an audit PUT) within `budget`: up to
 * `attempts` tries, retried on throttling, 5xx, resets and timeouts after a short jittered pause.
 * The time is split once, up front, into equal attempt slices and the pauses between them, and
 * each is granted from the {@link TimeBudget}: tries and pauses add up to at most the budget
 * whatever the store's latency and however the clock reads.
 * @param budget ms, or the budget of an operation several calls share (a reserve and its rollover)
 * @throws the failure of the last try, or the first non-transient one; a `TimeoutError` when no time is left
 */
export async function retryWithin<T>(what: string, budget: number | TimeBudget, clock: Clock, call: (signal: AbortSignal) => Promise<T>, attempts = 3): Promise<T> {
  const time = typeof budget === 'number' ? new TimeBudget(clock, budget) : budget;
  const totalMs = time.remainingMs();
  const pauseMs = Math.min(50, totalMs / (4 * attempts));
  const attemptMs = (totalMs - (attempts - 1) * pauseMs) / attempts;
  for (let attempt = 0; ; attempt++) {
    const grantedMs = time.grant(attemptMs);
    if (grantedMs < 1) throw new CallTimeoutError(what, 0);
    try {
      return await withTimeout(what, grantedMs, call);
    } catch (error) {
      if (classifyFailure(error) === 'client' || attempt === attempts - 1 || time.remainingMs() < 1) throw error;
      await clock.sleep(time.grant(clock.random() * pauseMs));
    }
  }
}

/** Attempts made so far and the target tried last; kept up to date while routing runs, for the audit event. */
export interface RoutingProgress {
  attempts: number;
  targetIndex: number;
  /**
   * Attempts the gateway abandoned at their timeout. The provider may still have run, and billed,
   * such a call. At most one per target: an attempt times out only at the end of its target's share.
   */
  abandoned: number;
}

const TIMEOUT_MESSAGE = 'the model did not answer in time; try again with a shorter prompt or fewer tokens';

/**
 * Calls `targets` in order until one answers: each target is retried with jittered
 * exponential backoff on throttling, 5xx, malformed answers and timeouts, then the next target
 * is tried. A client error (4xx) ends the routing at once.
 *
 * Time is split so that a hung target cannot starve its fallbacks: each target gets
 * {@link targetShareMs} of what is left for all its attempts; an attempt that is still running
 * when its target's share ends is aborted and the next target is tried.
 * Nothing runs past `endAt` (epoch ms).
 *
 * @throws GatewayError `timeout` (504) when time ran out before any target answered,
 * `model_unavailable` (429 when the last failure was throttling, else 503) when every target
 * failed, or the mapped client error
 */
export async function callWithFallback<T, R>(
  targets: readonly T[],
  call: (target: T, signal: AbortSignal) => Promise<R>,
  endAt: number,
  policy: RetryPolicy,
  clock: Clock,
  onClientError: (error: unknown) => GatewayError,
  progress: RoutingProgress = { attempts: 0, targetIndex: 0, abandoned: 0 },
): Promise<Routed<T, R>> {
  let last: FailureKind | undefined;
  for (let index = 0; index < targets.length; index++) {
    progress.targetIndex = index;
    const targetEndAt = clock.now() + targetShareMs(endAt - clock.now(), targets.length - index, policy.fallbackReserveMs);
    for (let attempt = 0; attempt < policy.maxAttemptsPerTarget; attempt++) {
      const remaining = targetEndAt - clock.now();
      if (remaining <= 0) break;
      progress.attempts++;
      try {
        const result = await withTimeout('the model', remaining, (signal) => call(targets[index], signal));
        return { result, target: targets[index], attempts: progress.attempts, fallbackUsed: index > 0 };
      } catch (error) {
        if (error instanceof GatewayError) throw error;
        if (error instanceof CallTimeoutError) progress.abandoned++;
        last = classifyFailure(error);
        if (last === 'client') throw onClientError(error);
        if (last === 'model') break;
        if (attempt < policy.maxAttemptsPerTarget - 1) {
          const delay = backoffMs(attempt, policy, clock.random);
          if (clock.now() + delay >= targetEndAt) break;
          await clock.sleep(delay);
        }
      }
    }
  }
  if (last === undefined || last === 'timeout') throw new GatewayError(504, 'timeout', TIMEOUT_MESSAGE, 1);
  return last === 'throttled'
    ? Promise.reject(new GatewayError(429, 'model_unavailable', 'every model for this request is throttled; retry after the indicated delay', 2))
    : Promise.reject(new GatewayError(503, 'model_unavailable', 'no model for this request is available right now; retry after the indicated delay', 5));
}
