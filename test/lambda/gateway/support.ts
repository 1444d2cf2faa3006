import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { DynamoDBDocumentClient, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { AuditEvent, AuditWriter } from '../../../lambda/gateway/audit';
import { BUDGET_UPDATES, DynamoDbTokenBudget } from '../../../lambda/gateway/budget';
import { GatewayConfig } from '../../../lambda/gateway/config';
import type { GatewayDeps, GatewayRequest, LogSink, MetricSink } from '../../../lambda/gateway/core';

export const TENANT = 'acme';

/** A gateway configuration with a fallback chain bedrock -> bedrock -> sagemaker. */
export function testConfig(overrides: Record<string, unknown> = {}): GatewayConfig {
  return GatewayConfig.parse({
    chatModels: [
      { name: 'primary', provider: 'bedrock', target: 'eu.anthropic.claude-sonnet-4-5-20250929-v1:0', fallbacks: ['secondary', 'selfhosted'] },
      { name: 'secondary', provider: 'bedrock', target: 'anthropic.claude-3-haiku-20240307-v1:0' },
      { name: 'selfhosted', provider: 'sagemaker', target: 'llama-endpoint' },
    ],
    embeddingModels: [{ name: 'titan-embed', target: 'amazon.titan-embed-text-v2:0' }],
    guardrailIdentifier: 'arn:aws:bedrock:eu-central-1:111122223333:guardrail/abc123',
    guardrailVersion: '3',
    budgetTable: 'budgets',
    auditBucket: 'audit',
    auditKeyArn: 'arn:aws:kms:eu-central-1:111122223333:key/k',
    deadlineMs: 1000,
    ...overrides,
  });
}

/** In-memory budget items behind a DynamoDB mock that applies each conditional update atomically. */
export class FakeBudgetTable {
  public readonly items = new Map<string, { tenantId: string; limitTokens: number; budgetPeriod: string; remainingTokens: number }>();
  public lowest = Number.POSITIVE_INFINITY;

  constructor(private readonly jitterMs = 0) {}

  put(tenantId: string, limitTokens: number, budgetPeriod: string, remainingTokens = limitTokens): void {
    this.items.set(tenantId, { tenantId, limitTokens, budgetPeriod, remainingTokens });
  }

  /** Applies one UpdateItem; the check and the write run with no await between them, as in DynamoDB. */
  async update(input: UpdateCommandInput): Promise<Record<string, never>> {
    if (this.jitterMs > 0) await new Promise((resolve) => setTimeout(resolve, Math.random() * this.jitterMs));
    const item = this.items.get(String(input.Key?.tenantId));
    const v = input.ExpressionAttributeValues as Record<string, number | string>;
    const n = Number(v[':n'] ?? 0);
    let ok = false;
    if (input.UpdateExpression === BUDGET_UPDATES.reserve.update && input.ConditionExpression === BUDGET_UPDATES.reserve.condition) {
      ok = item !== undefined && item.budgetPeriod === v[':p'] && item.remainingTokens >= n;
      if (ok) item!.remainingTokens -= n;
    } else if (input.UpdateExpression === BUDGET_UPDATES.rollover.update && input.ConditionExpression === BUDGET_UPDATES.rollover.condition) {
      ok = item !== undefined && item.budgetPeriod !== v[':p'] && item.limitTokens >= n;
      if (ok) { item!.budgetPeriod = String(v[':p']); item!.remainingTokens = item!.limitTokens - n; }
    } else if (input.UpdateExpression === BUDGET_UPDATES.settle.update && input.ConditionExpression === BUDGET_UPDATES.settle.condition) {
      ok = item !== undefined && item.budgetPeriod === v[':p'];
      if (ok) item!.remainingTokens += Number(v[':d']);
    } else {
      throw new Error(`unexpected update ${input.UpdateExpression}`);
    }
    if (item) this.lowest = Math.min(this.lowest, item.remainingTokens);
    if (!ok) {
      const old = input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' && item
        ? { tenantId: { S: item.tenantId }, budgetPeriod: { S: item.budgetPeriod }, limitTokens: { N: String(item.limitTokens) }, remainingTokens: { N: String(item.remainingTokens) } }
        : undefined;
      throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item: old });
    }
    return {};
  }
}

/** A real DynamoDbTokenBudget whose document client is mocked onto `table`. */
export function budgetOn(table: FakeBudgetTable, period: 'day' | 'month' = 'month'): DynamoDbTokenBudget {
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-central-1' }));
  mockClient(client).on(UpdateCommand).callsFake((input: UpdateCommandInput) => table.update(input));
  return new DynamoDbTokenBudget(client, 'budgets', period);
}

/** Collects everything logged, so tests can search it for content that must not be there. */
export class CapturingLogger implements LogSink {
  public readonly lines: string[] = [];
  info(message: string, attributes: Record<string, unknown>): void { this.lines.push(JSON.stringify({ level: 'info', message, ...attributes })); }
  warn(message: string, attributes: Record<string, unknown>): void { this.lines.push(JSON.stringify({ level: 'warn', message, ...attributes })); }
  error(message: string, attributes: Record<string, unknown>): void { this.lines.push(JSON.stringify({ level: 'error', message, ...attributes })); }
  get text(): string { return this.lines.join('\n'); }
}

export class CapturingMetrics implements MetricSink {
  public readonly metrics: Array<{ name: string; value: number }> = [];
  addMetric(name: string, _unit: 'Count' | 'Milliseconds', value: number): void { this.metrics.push({ name, value }); }
  count(name: string): number { return this.metrics.filter((m) => m.name === name).reduce((sum, m) => sum + m.value, 0); }
}

export class CapturingAudit implements AuditWriter {
  public readonly events: AuditEvent[] = [];
  public failWith?: Error;
  async write(event: AuditEvent): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.events.push(event);
  }
}

/** Fresh clients (to be mocked by the test), fakes for everything else. */
export function testDeps(options: { config?: GatewayConfig; table?: FakeBudgetTable } = {}) {
  const table = options.table ?? new FakeBudgetTable();
  if (!options.table) table.put(TENANT, 1_000_000, new Date().toISOString().slice(0, 7));
  const bedrock = new BedrockRuntimeClient({ region: 'eu-central-1' });
  const sagemaker = new SageMakerRuntimeClient({ region: 'eu-central-1' });
  const logger = new CapturingLogger();
  const metrics = new CapturingMetrics();
  const audit = new CapturingAudit();
  const deps: GatewayDeps = {
    config: options.config ?? testConfig(),
    clients: { bedrock, sagemaker },
    budget: budgetOn(table),
    audit,
    logger,
    metrics,
    clock: { now: Date.now, sleep: async () => undefined, random: () => 0.5 },
  };
  return { deps, table, bedrock, sagemaker, logger, metrics, audit };
}

let counter = 0;

/** A gateway request as API Gateway would pass it, with the tenant in the Cognito claims. */
export function request(body: unknown, options: { resource?: string; method?: string; tenant?: string | null; raw?: boolean } = {}): GatewayRequest {
  counter++;
  const tenant = options.tenant === undefined ? TENANT : options.tenant;
  return {
    requestId: `req-${counter}`,
    method: options.method ?? 'POST',
    resource: options.resource ?? '/v1/chat',
    body: options.raw ? (body as string) : JSON.stringify(body),
    isBase64Encoded: false,
    authorizer: tenant === null ? null : { claims: { 'custom:tenant_id': tenant, sub: 'user-1' } },
  };
}

/** A Converse answer with usage and an optional guardrail trace. */
export function converseOutput(text: string, options: { inputTokens?: number; outputTokens?: number; stopReason?: string; guardrail?: unknown } = {}) {
  return {
    output: { message: { role: 'assistant' as const, content: [{ text }] } },
    stopReason: (options.stopReason ?? 'end_turn') as 'end_turn',
    usage: { inputTokens: options.inputTokens ?? 10, outputTokens: options.outputTokens ?? 20, totalTokens: (options.inputTokens ?? 10) + (options.outputTokens ?? 20) },
    metrics: { latencyMs: 5 },
    ...(options.guardrail ? { trace: { guardrail: options.guardrail } } : {}),
    $metadata: {},
  };
}

/** An AWS SDK service error as the clients throw it. */
export function awsError(name: string, status: number): Error {
  return Object.assign(new Error(`${name} from the service`), { name, $metadata: { httpStatusCode: status }, $fault: status >= 500 ? 'server' : 'client' });
}
