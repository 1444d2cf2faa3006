import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { AuditEvent, AuditWriter } from '../../../lambda/gateway/audit';
import type { BedrockRuntimeApi, DynamoDbApi, SageMakerRuntimeApi, UpdateItemRequest } from '../../../lambda/gateway/aws';
import { AwsApiError } from '../../../lambda/shared/aws-http';
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
    region: 'eu-central-1',
    auditKeyArn: 'arn:aws:kms:eu-central-1:111122223333:key/k',
    deadlineMs: 1000,
    ...overrides,
  });
}

type BudgetItem = { tenantId: string; limitTokens: number; budgetPeriod: string; remainingTokens: number; reservedTokens?: number; inFlight?: Set<string> };

/**
 * In-memory budget items behind a fake DynamoDB that applies each of the gateway's conditional
 * updates atomically. Only for speed: test/lambda/gateway/budget-dynalite.test.ts runs the same
 * budget module against dynalite, a DynamoDB implementation written by others.
 */
export class FakeBudgetTable implements DynamoDbApi {
  public readonly items = new Map<string, BudgetItem>();
  public lowest = Number.POSITIVE_INFINITY;
  public calls = 0;

  constructor(private readonly jitterMs = 0) {}

  put(tenantId: string, limitTokens: number, budgetPeriod: string, remainingTokens = limitTokens): void {
    this.items.set(tenantId, { tenantId, limitTokens, budgetPeriod, remainingTokens });
  }

  /** Applies one UpdateItem; the check and the write run with no await between them, as in DynamoDB. */
  async updateItem(input: UpdateItemRequest, signal: AbortSignal): Promise<void> {
    this.calls++;
    if (this.jitterMs > 0) await new Promise((resolve) => setTimeout(resolve, Math.random() * this.jitterMs));
    if (signal.aborted) throw signal.reason;
    const item = this.items.get(String(input.Key.tenantId.S));
    const value = (name: string): AttributeValue | undefined => input.ExpressionAttributeValues[name];
    const n = Number(value(':n')?.N ?? 0);
    const p = String(value(':p')?.S);
    const id = String(value(':id')?.S ?? value(':ids')?.SS?.[0]);
    let ok = false;
    const is = (expression: { update: string; condition: string }) => input.UpdateExpression === expression.update && input.ConditionExpression === expression.condition;
    if (is(BUDGET_UPDATES.reserve)) {
      ok = item !== undefined && item.budgetPeriod === p && item.remainingTokens >= n && !item.inFlight?.has(id);
      if (ok) { item!.remainingTokens -= n; item!.reservedTokens = (item!.reservedTokens ?? 0) + n; (item!.inFlight ??= new Set()).add(id); }
    } else if (is(BUDGET_UPDATES.rollover)) {
      ok = item !== undefined && (item.budgetPeriod === undefined || item.budgetPeriod < p) && item.limitTokens >= n;
      if (ok) Object.assign(item!, { budgetPeriod: p, remainingTokens: item!.limitTokens - n, reservedTokens: n, inFlight: new Set([id]) });
    } else if (is(BUDGET_UPDATES.settle)) {
      ok = item !== undefined && item.budgetPeriod === p && item.inFlight?.has(id) === true;
      if (ok) { item!.remainingTokens += Number(value(':d')?.N); item!.reservedTokens! -= n; item!.inFlight!.delete(id); }
    } else {
      throw new Error(`unexpected update ${input.UpdateExpression}`);
    }
    if (item) this.lowest = Math.min(this.lowest, item.remainingTokens);
    if (!ok) {
      const old = input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' && item
        ? {
          tenantId: { S: item.tenantId }, budgetPeriod: { S: item.budgetPeriod }, limitTokens: { N: String(item.limitTokens) }, remainingTokens: { N: String(item.remainingTokens) },
          ...(item.reservedTokens !== undefined ? { reservedTokens: { N: String(item.reservedTokens) } } : {}),
          ...(item.inFlight?.size ? { inFlight: { SS: [...item.inFlight] } } : {}),
        }
        : undefined;
      throw new AwsApiError('ConditionalCheckFailedException', 'The conditional request failed', 400, old ? { Item: old } : {});
    }
  }

  /** Requests in flight on `tenantId`: what it holds, and the reservation ids. */
  inFlight(tenantId = TENANT): { reservedTokens: number; ids: string[] } {
    const item = this.items.get(tenantId)!;
    return { reservedTokens: item.reservedTokens ?? 0, ids: [...(item.inFlight ?? [])] };
  }
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

/** A fault a fake dependency injects into one call. */
export type Fault = 'throttle' | '5xx' | 'reset' | 'reset-mid-body' | 'non-json' | 'hang';

/** The error, or hang, a fault stands for, as the gateway's AWS layer produces it. */
export function inject(fault: Fault, signal: AbortSignal): Promise<never> {
  switch (fault) {
    case 'throttle': return Promise.reject(new AwsApiError('ThrottlingException', 'Rate exceeded', 400));
    case '5xx': return Promise.reject(new AwsApiError('InternalServerError', 'internal error', 500));
    case 'reset': return Promise.reject(new AwsApiError('NetworkingError', 'no response: socket hang up', undefined));
    case 'reset-mid-body': return Promise.reject(new AwsApiError('NetworkingError', 'the connection broke while the answer was read', undefined));
    case 'non-json': return Promise.reject(new AwsApiError('MalformedResponseError', 'the answer is not JSON', undefined));
    case 'hang': return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
  }
}

/** A hang that ignores its signal: only the gateway's own timeout ends it. */
export const deafHang = (): Promise<never> => new Promise(() => undefined);

/** Bedrock Runtime whose operations are jest mocks, answering `undefined` until a test says otherwise. */
export function fakeBedrock() {
  return {
    converse: jest.fn<ReturnType<BedrockRuntimeApi['converse']>, Parameters<BedrockRuntimeApi['converse']>>(),
    applyGuardrail: jest.fn<ReturnType<BedrockRuntimeApi['applyGuardrail']>, Parameters<BedrockRuntimeApi['applyGuardrail']>>(),
    invokeModel: jest.fn<ReturnType<BedrockRuntimeApi['invokeModel']>, Parameters<BedrockRuntimeApi['invokeModel']>>(),
  };
}

/** SageMaker Runtime whose operation is a jest mock. */
export function fakeSageMaker() {
  return { invokeEndpoint: jest.fn<ReturnType<SageMakerRuntimeApi['invokeEndpoint']>, Parameters<SageMakerRuntimeApi['invokeEndpoint']>>() };
}

/** Fake clients (to be programmed by the test), fakes for everything else. */
export function testDeps(options: { config?: GatewayConfig; table?: FakeBudgetTable } = {}) {
  const table = options.table ?? new FakeBudgetTable();
  if (!options.table) table.put(TENANT, 1_000_000, new Date().toISOString().slice(0, 7));
  const bedrock = fakeBedrock();
  const sagemaker = fakeSageMaker();
  const logger = new CapturingLogger();
  const metrics = new CapturingMetrics();
  const audit = new CapturingAudit();
  const deps: GatewayDeps = {
    config: options.config ?? testConfig(),
    clients: { bedrock, sagemaker },
    budget: new DynamoDbTokenBudget(table, 'budgets', 'month', { now: Date.now, sleep: async () => undefined, random: () => 0.5 }),
    audit,
    logger,
    metrics,
    clock: { now: Date.now, sleep: async () => undefined, random: () => 0.5 },
  };
  const providerCalls = () => bedrock.converse.mock.calls.length + bedrock.applyGuardrail.mock.calls.length + bedrock.invokeModel.mock.calls.length + sagemaker.invokeEndpoint.mock.calls.length;
  return { deps, table, bedrock, sagemaker, logger, metrics, audit, providerCalls };
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
  } as Awaited<ReturnType<BedrockRuntimeApi['converse']>>;
}

/** An ApplyGuardrail answer: the action, the assessments and the (masked) outputs. */
export function guardrailAnswer(action: 'NONE' | 'GUARDRAIL_INTERVENED', assessments: unknown[], outputs: Array<{ text: string }> = []) {
  return { action, assessments, outputs, usage: { topicPolicyUnits: 1, contentPolicyUnits: 1, wordPolicyUnits: 1, sensitiveInformationPolicyUnits: 1, sensitiveInformationPolicyFreeUnits: 0, contextualGroundingPolicyUnits: 0 } } as Awaited<ReturnType<BedrockRuntimeApi['applyGuardrail']>>;
}

/** An AWS service error as the gateway's AWS layer throws it. */
export function awsError(name: string, status: number): Error {
  return new AwsApiError(name, `${name} from the service`, status);
}
