import { randomUUID } from 'node:crypto';
import { appendFile } from 'node:fs/promises';
import type { AuditEvent, AuditWriter } from '../audit';
import { type BudgetPeriod, BUSY_RETRY_AFTER_SECONDS, periodOf, type Reservation, secondsUntilNextPeriod, type TokenBudget } from '../budget';
import { GatewayError } from '../errors';

interface Held {
  period: string;
  remaining: number;
  reserved: Map<string, number>;
}

/**
 * The token budget in memory, for local development: the same admission rules as the DynamoDB
 * budget (a reservation that never fits, one that fits once requests in flight return, a used-up
 * period), without a store that can fail. One process, so each update is atomic by construction.
 */
export class InMemoryTokenBudget implements TokenBudget {
  private readonly tenants = new Map<string, Held>();

  constructor(private readonly limits: Readonly<Record<string, number>>, private readonly period: BudgetPeriod = 'month') {}

  async reserve(tenantId: string, tokens: number, now: Date): Promise<Reservation> {
    const limit = this.limits[tenantId];
    if (limit === undefined) throw new GatewayError(403, 'unauthorized', 'this tenant has no token budget; ask the platform team to onboard it');
    if (tokens > limit) throw new GatewayError(400, 'request_exceeds_budget', `this request needs ${tokens} tokens, more than the tenant's whole limit of ${limit} per ${this.period}`);
    const period = periodOf(now, this.period);
    let held = this.tenants.get(tenantId);
    if (!held || held.period < period) {
      held = { period, remaining: limit, reserved: new Map() };
      this.tenants.set(tenantId, held);
    }
    if (held.remaining < tokens) {
      const inFlight = [...held.reserved.values()].reduce((sum, n) => sum + n, 0);
      if (held.remaining + inFlight >= tokens) throw new GatewayError(429, 'budget_busy', "the rest of the tenant's token budget is held by its requests in flight; retry after the indicated delay", BUSY_RETRY_AFTER_SECONDS);
      throw new GatewayError(429, 'budget_exceeded', `the tenant's token budget for this ${this.period} is used up`, secondsUntilNextPeriod(now, this.period));
    }
    const reservation = { tenantId, period, tokens, id: randomUUID() };
    held.remaining -= tokens;
    held.reserved.set(reservation.id, tokens);
    return reservation;
  }

  async settle(reservation: Reservation, actualTokens: number): Promise<void> {
    const held = this.tenants.get(reservation.tenantId);
    if (!held || held.period !== reservation.period || !held.reserved.delete(reservation.id)) return;
    held.remaining += reservation.tokens - actualTokens;
  }

  release(reservation: Reservation): Promise<void> {
    return this.settle(reservation, 0);
  }

  /** Tokens the tenant has left in the current period, and what its requests in flight hold. */
  state(tenantId: string): { remaining: number; reserved: number } | undefined {
    const held = this.tenants.get(tenantId);
    return held ? { remaining: held.remaining, reserved: [...held.reserved.values()].reduce((sum, n) => sum + n, 0) } : undefined;
  }
}

/** Audit events as JSON lines appended to a local file, or kept in memory when no file is given. */
export class LocalAuditWriter implements AuditWriter {
  public readonly events: AuditEvent[] = [];

  constructor(private readonly file?: string) {}

  async write(event: AuditEvent): Promise<void> {
    if (this.file) await appendFile(this.file, `${JSON.stringify(event)}\n`, 'utf8');
    else this.events.push(event);
  }
}
