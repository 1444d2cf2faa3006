import type { Clock } from '../shared/retry';

/**
 * One deadline per request, split into budgets for the calls made under it, so that no call
 * (a hung model, a hung budget or audit store) can use the time the others need.
 */

/** A timeout of one bounded call: the call's signal was aborted because its budget ran out. */
export class CallTimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what} did not answer within ${Math.round(ms)} ms`);
    this.name = 'TimeoutError';
  }
}

/**
 * Runs `call` with a signal that aborts after `ms`, and settles after at most `ms` even when the
 * call ignores its signal (a client that never looks at it cannot hang the request).
 * @throws CallTimeoutError (`name` = `TimeoutError`) when the budget runs out first
 */
export async function withTimeout<T>(what: string, ms: number, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const budget = Math.max(1, Math.floor(ms));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new CallTimeoutError(what, budget);
      controller.abort(error);
      reject(error);
    }, budget);
  });
  try {
    return await Promise.race([call(controller.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The time of one store operation (all its attempts and pauses), counted twice: by the clock, and
 * by the time granted so far, each grant bounding the attempt or pause it was given to. The
 * operation then fits its budget by construction, also when the clock's reading lags the timers
 * that end the attempts (a fake-timer harness, a clock read late): a slow store that answers just
 * before each attempt's timeout cannot stretch the operation past its budget.
 */
export class TimeBudget {
  private readonly endAt: number;
  private grantedMs = 0;

  constructor(private readonly clock: Clock, private readonly totalMs: number) {
    this.endAt = clock.now() + totalMs;
  }

  /** Milliseconds left: the smaller of what the clock and what the grants say (never negative). */
  remainingMs(): number {
    return Math.max(0, Math.min(this.endAt - this.clock.now(), this.totalMs - this.grantedMs));
  }

  /** Grants up to `ms` of what is left, in whole milliseconds; returns what was granted. */
  grant(ms: number): number {
    const granted = Math.floor(Math.max(0, Math.min(ms, this.remainingMs())));
    this.grantedMs += granted;
    return granted;
  }
}

/** Milliseconds the gateway keeps, at the end of a request, for settling the budget and writing the audit event. */
export function storeBudgetMs(deadlineMs: number): number {
  return Math.min(1000, Math.floor(deadlineMs / 10));
}

/**
 * The deadline of one request (epoch ms) and the budgets derived from it: store calls get a
 * fixed slice each, and model calls must end early enough to leave two of them (settle and
 * audit) before the answer is due.
 */
export class RequestDeadline {
  /** When the answer is due, epoch ms. */
  public readonly at: number;
  /** Budget of one budget-store or audit-store operation (all its attempts), ms. */
  public readonly storeMs: number;
  /** When model and retrieval calls must have ended, epoch ms. */
  public readonly callsEndAt: number;

  constructor(private readonly now: () => number, started: number, deadlineMs: number) {
    this.at = started + deadlineMs;
    this.storeMs = storeBudgetMs(deadlineMs);
    this.callsEndAt = this.at - 2 * this.storeMs;
  }

  /** Milliseconds left for model and retrieval calls (never negative). */
  callsRemainingMs(): number {
    return Math.max(0, this.callsEndAt - this.now());
  }

  /**
   * Milliseconds the content-hash key may take before the audit write (only when it is not yet
   * cached): half a store slice, and never the other half, which the audit write keeps.
   */
  hashKeyRemainingMs(): number {
    return Math.max(0, Math.min(this.storeMs / 2, this.at - this.now() - this.storeMs / 2));
  }

  /** Milliseconds a store operation may take now: its slice, but never past the answer's deadline. */
  storeRemainingMs(): number {
    return Math.max(1, Math.min(this.storeMs, this.at - this.now()));
  }
}
