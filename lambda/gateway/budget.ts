import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDbApi } from './aws';
import { GatewayError } from './errors';

/** Tokens held for one request until its actual usage is known. */
export interface Reservation {
  readonly tenantId: string;
  /** Budget period the tokens were taken from, e.g. `2026-11` or `2026-11-23`. */
  readonly period: string;
  readonly tokens: number;
}

/** A per-tenant token budget that never lets concurrent requests overspend it. */
export interface TokenBudget {
  /** Takes `tokens` from the tenant's budget, or throws `budget_exceeded` / `unauthorized`. */
  reserve(tenantId: string, tokens: number, now: Date): Promise<Reservation>;
  /** Returns the unused part of a reservation, or charges an overrun. */
  settle(reservation: Reservation, actualTokens: number): Promise<void>;
  /** Returns the whole reservation (the call failed before using tokens). */
  release(reservation: Reservation): Promise<void>;
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

/**
 * The three conditional updates the budget is built from. Each is atomic in DynamoDB, so a
 * tenant's `remainingTokens` can only go below zero by the overrun of requests already admitted.
 */
export const BUDGET_UPDATES = {
  reserve: {
    update: 'SET remainingTokens = remainingTokens - :n',
    condition: 'budgetPeriod = :p AND remainingTokens >= :n',
  },
  rollover: {
    update: 'SET budgetPeriod = :p, remainingTokens = limitTokens - :n',
    condition: 'attribute_exists(tenantId) AND budgetPeriod <> :p AND limitTokens >= :n',
  },
  settle: {
    update: 'SET remainingTokens = remainingTokens + :d',
    condition: 'budgetPeriod = :p',
  },
} as const;

function isConditionFailure(error: unknown): error is { details: { Item?: Record<string, AttributeValue> } } {
  return (error as { name?: string })?.name === 'ConditionalCheckFailedException';
}

/**
 * Token budgets in a DynamoDB table keyed by `tenantId`, one item per tenant:
 * `{ tenantId, limitTokens, budgetPeriod, remainingTokens }`. Onboarding writes the item; the
 * first request of a new period resets `remainingTokens` to `limitTokens` atomically.
 */
export class DynamoDbTokenBudget implements TokenBudget {
  constructor(
    private readonly client: DynamoDbApi,
    private readonly tableName: string,
    private readonly period: BudgetPeriod,
  ) {}

  async reserve(tenantId: string, tokens: number, now: Date): Promise<Reservation> {
    const period = periodOf(now, this.period);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await this.update(tenantId, BUDGET_UPDATES.reserve, { ':n': tokens, ':p': period }, true);
        return { tenantId, period, tokens };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const item = error.details?.Item;
        if (!item) throw new GatewayError(403, 'unauthorized', 'this tenant has no token budget; ask the platform team to onboard it');
        if (item.budgetPeriod?.S === period) throw this.exceeded(now);
      }
      try {
        await this.update(tenantId, BUDGET_UPDATES.rollover, { ':n': tokens, ':p': period }, false);
        return { tenantId, period, tokens };
      } catch (error) {
        // Another request rolled the period over first (try again), or the limit is below the request.
        if (!isConditionFailure(error)) throw error;
      }
    }
    throw this.exceeded(now);
  }

  async settle(reservation: Reservation, actualTokens: number): Promise<void> {
    const delta = reservation.tokens - actualTokens;
    if (delta === 0) return;
    try {
      await this.update(reservation.tenantId, BUDGET_UPDATES.settle, { ':d': delta, ':p': reservation.period }, false);
    } catch (error) {
      // The period rolled over meanwhile: the new period starts from the full limit.
      if (!isConditionFailure(error)) throw error;
    }
  }

  release(reservation: Reservation): Promise<void> {
    return this.settle(reservation, 0);
  }

  private exceeded(now: Date): GatewayError {
    return new GatewayError(429, 'budget_exceeded', `the tenant's token budget for this ${this.period} is used up`, secondsUntilNextPeriod(now, this.period));
  }

  private async update(tenantId: string, expression: { update: string; condition: string }, values: Record<string, number | string>, returnOld: boolean): Promise<void> {
    await this.client.updateItem({
      TableName: this.tableName,
      Key: { tenantId: { S: tenantId } },
      UpdateExpression: expression.update,
      ConditionExpression: expression.condition,
      ExpressionAttributeValues: Object.fromEntries(Object.entries(values).map(([name, value]) => [name, typeof value === 'number' ? { N: String(value) } : { S: value }])),
      ...(returnOld ? { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const } : {}),
    });
  }
}
