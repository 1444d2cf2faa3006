import { GatewayError } from './errors';

/** How a provider failure is treated. */
export type FailureKind = 'throttled' | 'server' | 'timeout' | 'client';

const THROTTLING = new Set(['ThrottlingException', 'TooManyRequestsException', 'ServiceQuotaExceededException', 'ModelNotReadyException', 'ProvisionedThroughputExceededException']);
const TIMEOUT = new Set(['TimeoutError', 'AbortError', 'RequestTimeout', 'RequestTimeoutException', 'ModelTimeoutException']);

/** Classifies an SDK error: retry throttling, 5xx and timeouts; never retry other 4xx. */
export function classifyFailure(error: unknown): FailureKind {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number }; $retryable?: { throttling?: boolean } };
  if (THROTTLING.has(e?.name ?? '') || e?.$retryable?.throttling || e?.$metadata?.httpStatusCode === 429) return 'throttled';
  if (TIMEOUT.has(e?.name ?? '') || e?.$metadata?.httpStatusCode === 408) return 'timeout';
  const status = e?.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 500) return 'server';
  if (status === undefined && ['InternalServerException', 'ServiceUnavailableException', 'ServiceUnavailable', 'InternalFailure', 'NetworkingError'].includes(e?.name ?? '')) return 'server';
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
}

/** Time and randomness, injected so that tests and benchmarks control them. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
  random(): number;
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

const DEADLINE = Symbol('deadline');

/** Attempts made so far and the target tried last; kept up to date while routing runs, for the audit event. */
export interface RoutingProgress {
  attempts: number;
  targetIndex: number;
}

/**
 * Calls `targets` in order until one answers: each target is retried with jittered
 * exponential backoff on throttling, 5xx and timeouts, then the next target is tried. A
 * client error (4xx) ends the routing at once. Nothing runs past `deadline` (epoch ms).
 *
 * @throws GatewayError `timeout` (504) when the deadline passes, `model_unavailable` (429 when
 * the last failure was throttling, else 503) when every target failed, or the mapped client error
 */
export async function callWithFallback<T, R>(
  targets: readonly T[],
  call: (target: T, signal: AbortSignal) => Promise<R>,
  deadline: number,
  policy: RetryPolicy,
  clock: Clock,
  onClientError: (error: unknown) => GatewayError,
  progress: RoutingProgress = { attempts: 0, targetIndex: 0 },
): Promise<Routed<T, R>> {
  let last: FailureKind = 'server';
  for (let index = 0; index < targets.length; index++) {
    progress.targetIndex = index;
    for (let attempt = 0; attempt < policy.maxAttemptsPerTarget; attempt++) {
      const remaining = deadline - clock.now();
      if (remaining <= 0) throw new GatewayError(504, 'timeout', 'the model did not answer in time; try again with a shorter prompt or fewer tokens', 1);
      progress.attempts++;
      const controller = new AbortController();
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        const result = await Promise.race([
          call(targets[index], controller.signal),
          new Promise<typeof DEADLINE>((resolve) => { timer = setTimeout(() => resolve(DEADLINE), remaining); }),
        ]);
        if (result === DEADLINE) {
          controller.abort();
          throw new GatewayError(504, 'timeout', 'the model did not answer in time; try again with a shorter prompt or fewer tokens', 1);
        }
        return { result, target: targets[index], attempts: progress.attempts, fallbackUsed: index > 0 };
      } catch (error) {
        if (error instanceof GatewayError) throw error;
        last = classifyFailure(error);
        if (last === 'client') throw onClientError(error);
        const isLastAttempt = attempt === policy.maxAttemptsPerTarget - 1;
        if (!isLastAttempt) {
          const delay = backoffMs(attempt, policy, clock.random);
          if (clock.now() + delay >= deadline) break;
          await clock.sleep(delay);
        }
      } finally {
        clearTimeout(timer);
      }
    }
  }
  return last === 'throttled'
    ? Promise.reject(new GatewayError(429, 'model_unavailable', 'every model for this request is throttled; retry after the indicated delay', 2))
    : Promise.reject(new GatewayError(503, 'model_unavailable', 'no model for this request is available right now; retry after the indicated delay', 5));
}
