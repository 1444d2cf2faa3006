import { randomUUID } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDbApi, UpdateItemRequest } from './aws';
import { TimeBudget } from './deadline';
import { GatewayError } from './errors';
import { type Clock, SYSTEM_CLOCK } from '../shared/retry';
import { classifyFailure, type FailureKind, retryWithin } from './routing';

/** Tokens held for one request until its actual usage is known. */
export interface Reservation {
  readonly tenantId: string;
  /** Budget period the tokens were taken from, e.g. `2026-11` or `2026-11-23`. */
  readonly period: string;
  readonly tokens: number;
  /** Unique id of the reservation; the budget item lists it while the request is in flight. */
  readonly id: string;
}

/**
 * A per-tenant token budget that never admits a request whose reservation does not fit. Every
 * operation gets a time budget and never outlives it.
 */
export interface TokenBudget {
  /**
   * Takes `tokens` from the tenant's budget.
   * @throws GatewayError `unauthorized` (not onboarded), `request_exceeds_budget` (larger than the
   * whole limit), `budget_busy` (the rest is held by requests in flight), `budget_exceeded` (the
   * period is used up) or `budget_unavailable` (the store failed, nothing was taken)
   */
  reserve(tenantId: string, tokens: number, now: Date, budgetMs: number): Promise<Reservation>;
  /**
   * Charges `actualTokens` for the reservation: returns the unused part, or charges an overrun.
   * @throws BudgetStoreError when the store failed; the reservation is then still held
   */
  settle(reservation: Reservation, actualTokens: number, budgetMs: number): Promise<void>;
  /**
   * Returns the whole reservation (the call failed before using tokens).
   * @throws BudgetStoreError when the store failed; the reservation is then still held
   */
  release(reservation: Reservation, budgetMs: number): Promise<void>;
}

/** The budget store failed to settle or release a reservation: the amount must be reconciled. */
export class BudgetStoreError extends Error {
  constructor(public readonly cause: unknown, public readonly kind: FailureKind) {
    super(`the budget store failed (${(cause as { name?: string })?.name ?? 'unknown'})`);
    this.name = 'BudgetStoreError';
  }
}

/**
 * The store failed during a reserve (`budget_unavailable`, 503): the reservation may still have
 * been applied with its answer lost, so the caller releases it (a no-op when it was not).
 */
export class BudgetUnavailableError extends GatewayError {
  constructor(message: string, retryAfterSeconds: number, public readonly possiblyHeld: Reservation) {
    super(503, 'budget_unavailable', message, retryAfterSeconds);
  }
}

/** Length of a budget period. */
export type BudgetPeriod = 'day' | 'month';

/** The period key of `now` (UTC). */
export function periodOf(now: Date, period: BudgetPeriod): string {
  const iso = now.toISOString();
  return period === 'day' ? iso.slice(0, 10) : iso.slice(0, 7);
}

/** Whole seconds from `now` until the next period starts. */
export function secondsUntilNextPeriod(now: Date, period: BudgetPeriod): number {
  const next = period === 'day'
    ? Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1)
    : Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
  return Math.max(1, Math.ceil((next - now.getTime()) / 1000));
}

/** Seconds a caller waits before retrying while the tenant's requests in flight hold its budget. */
export const BUSY_RETRY_AFTER_SECONDS = 2;

/**
 * The conditional updates the budget is built from, each atomic in DynamoDB. `remainingTokens`
 * is what no request has taken; `reservedTokens` what requests in flight hold; `inFlight` the
 * ids of their reservations. Listing the id makes every update idempotent: a reserve whose
 * answer was lost is found applied when retried, a settle cannot be applied twice.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.OperatorsAndFunctions.html
 */
export const BUDGET_UPDATES = {
  reserve: {
    update: 'SET remainingTokens = remainingTokens - :n, reservedTokens = if_not_exists(reservedTokens, :zero) + :n ADD inFlight :ids',
    condition: 'budgetPeriod = :p AND remainingTokens >= :n AND NOT contains(inFlight, :id)',
  },
  rollover: {
    update: 'SET budgetPeriod = :p, remainingTokens = limitTokens - :n, reservedTokens = :n, inFlight = :ids',
    condition: 'attribute_exists(tenantId) AND (attribute_not_exists(budgetPeriod) OR budgetPeriod < :p) AND limitTokens >= :n',
  },
  settle: {
    update: 'SET remainingTokens = remainingTokens + :d, reservedTokens = reservedTokens - :n DELETE inFlight :ids',
    condition: 'budgetPeriod = :p AND contains(inFlight, :id)',
  },
} as const;

/** The budget item as DynamoDB returned it with a failed condition (ALL_OLD). */
interface BudgetItem {
  readonly budgetPeriod?: string;
  readonly limitTokens: number;
  readonly remainingTokens: number;
  readonly reservedTokens: number;
  readonly inFlight: readonly string[];
}

function conditionFailure(error: unknown): { item?: BudgetItem } | undefined {
  const e = error as { name?: string; details?: { Item?: Record<string, AttributeValue> } };
  if (e?.name !== 'ConditionalCheckFailedException') return undefined;
  const raw = e.details?.Item;
  if (!raw) return {};
  const number = (value: AttributeValue | undefined) => Number(value?.N ?? 0);
  return {
    item: {
      budgetPeriod: raw.budgetPeriod?.S,
      limitTokens: number(raw.limitTokens),
      remainingTokens: number(raw.remainingTokens),
      reservedTokens: number(raw.reservedTokens),
      inFlight: raw.inFlight?.SS ?? [],
    },
  };
}

/** Rounds of reserve and rollover before a contended reservation gives up. */
const ATTEMPTS = 3;

/**
 * Token budgets in a DynamoDB table keyed by `tenantId`, one item per tenant:
 * `{ tenantId, limitTokens, budgetPeriod, remainingTokens }` written by onboarding, plus
 * `reservedTokens` and `inFlight` kept by the gateway. The first request of a new period resets
 * `remainingTokens` to `limitTokens` atomically.
 *
 * Store calls are retried within the operation's time budget on throttling, 5xx, resets and
 * timeouts ({@link retryWithin}), which the idempotent updates make safe.
 */
export class DynamoDbTokenBudget implements TokenBudget {
  constructor(
    private readonly client: DynamoDbApi,
    private readonly tableName: string,
    private readonly period: BudgetPeriod,
    private readonly clock: Clock = SYSTEM_CLOCK,
  ) {}

  async reserve(tenantId: string, tokens: number, now: Date, budgetMs: number): Promise<Reservation> {
    const reservation: Reservation = { tenantId, period: periodOf(now, this.period), tokens, id: randomUUID() };
    // The reserve and its rollover rounds share one budget.
    const time = new TimeBudget(this.clock, budgetMs);
    const values = { ':n': tokens, ':p': reservation.period, ':id': reservation.id, ':ids': [reservation.id] };
    for (let round = 0; round < ATTEMPTS; round++) {
      const failed = await this.conditional(tenantId, BUDGET_UPDATES.reserve, { ...values, ':zero': 0 }, true, time).catch((error: unknown) => { throw this.unavailable(error, reservation); });
      if (!failed) return reservation;
      const item = failed.item;
      if (!item) throw new GatewayError(403, 'unauthorized', 'this tenant has no token budget; ask the platform team to onboard it');
      // An earlier attempt was applied and its answer lost.
      if (item.inFlight.includes(reservation.id)) return reservation;
      if (tokens > item.limitTokens) {
        throw new GatewayError(400, 'request_exceeds_budget', `this request needs ${tokens} tokens, more than the tenant's whole limit of ${item.limitTokens} per ${this.period}; lower maxTokens, shorten the prompt or ask for fewer passages`);
      }
      if (item.budgetPeriod === reservation.period) {
        if (item.remainingTokens + item.reservedTokens >= tokens) {
          throw new GatewayError(429, 'budget_busy', "the rest of the tenant's token budget is held by its requests in flight; retry after the indicated delay", BUSY_RETRY_AFTER_SECONDS);
        }
        throw new GatewayError(429, 'budget_exceeded', `the tenant's token budget for this ${this.period} is used up`, secondsUntilNextPeriod(now, this.period));
      }
      if (item.budgetPeriod !== undefined && item.budgetPeriod > reservation.period) {
        // Another instance already lives in the next period: this clock is behind, a moment from now it is not.
        throw new GatewayError(503, 'budget_unavailable', 'the budget period is changing; retry after the indicated delay', 1);
      }
      const rolled = await this.conditional(tenantId, BUDGET_UPDATES.rollover, values, false, time).catch((error: unknown) => { throw this.unavailable(error, reservation); });
      // Another request rolled the period over first: reserve again in the new period.
      if (!rolled) return reservation;
    }
    throw new GatewayError(429, 'budget_busy', "the tenant's budget is contended by its requests in flight; retry after the indicated delay", BUSY_RETRY_AFTER_SECONDS);
  }

  async settle(reservation: Reservation, actualTokens: number, budgetMs: number): Promise<void> {
    try {
      // A failed condition means there is nothing to do: the period rolled over (the new one
      // starts from the full limit), or an earlier attempt settled it and its answer was lost.
      await this.conditional(reservation.tenantId, BUDGET_UPDATES.settle, {
        ':d': reservation.tokens - actualTokens, ':n': reservation.tokens, ':p': reservation.period, ':id': reservation.id, ':ids': [reservation.id],
      }, false, new TimeBudget(this.clock, budgetMs));
    } catch (error) {
      throw new BudgetStoreError(error, classifyFailure(error));
    }
  }

  release(reservation: Reservation, budgetMs: number): Promise<void> {
    return this.settle(reservation, 0, budgetMs);
  }

  /** A transient store failure as the caller's answer; anything else (access denied, say) stays an internal error. */
  private unavailable(error: unknown, reservation: Reservation): unknown {
    const kind = classifyFailure(error);
    if (kind === 'client') return error;
    return kind === 'throttled'
      ? new BudgetUnavailableError('the budget store is throttled; retry after the indicated delay', 2, reservation)
      : new BudgetUnavailableError('the budget store did not answer; retry after the indicated delay', 1, reservation);
  }

  /**
   * One conditional update, retried on transient failures within `time`; resolves `undefined`
   * when applied and the failed condition (with the old item when `returnOld`) when not.
   * @throws the last transient failure, or any other error
   */
  private async conditional(
    tenantId: string, expression: { update: string; condition: string }, values: Record<string, number | string | string[]>, returnOld: boolean, time: TimeBudget,
  ): Promise<{ item?: BudgetItem } | undefined> {
    const input: UpdateItemRequest = {
      TableName: this.tableName,
      Key: { tenantId: { S: tenantId } },
      UpdateExpression: expression.update,
      ConditionExpression: expression.condition,
      ExpressionAttributeValues: Object.fromEntries(Object.entries(values)
        // DynamoDB refuses values that no expression uses.
        .filter(([name]) => new RegExp(`${name}\\b`).test(`${expression.update} ${expression.condition}`))
        .map(([name, value]) => [name, Array.isArray(value) ? { SS: value } : typeof value === 'number' ? { N: String(value) } : { S: value }])),
      ...(returnOld ? { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const } : {}),
    };
    try {
      await retryWithin('the budget store', time, this.clock, (signal) => this.client.updateItem(input, signal));
      return undefined;
    } catch (error) {
      const failed = conditionFailure(error);
      if (failed) return failed;
      throw error;
    }
  }
}
