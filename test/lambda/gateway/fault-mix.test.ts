import type { AuditEvent } from '../../../lambda/gateway/audit';
import { S3AuditWriter } from '../../../lambda/gateway/audit';
import type { PutObjectRequest, S3Api, UpdateItemRequest } from '../../../lambda/gateway/aws';
import { DynamoDbTokenBudget } from '../../../lambda/gateway/budget';
import { chatReservationTokens, estimateTokens, handleGatewayRequest } from '../../../lambda/gateway/core';
import { ChatRequest, conversationOfChat } from '../../../lambda/gateway/schemas';
import { GatewayError } from '../../../lambda/gateway/errors';
import { converseOutput, deafHang, type Fault, FakeBudgetTable, guardrailAnswer, inject, request, TENANT, testConfig, testDeps } from './support';

const FAULTS: Fault[] = ['throttle', '5xx', 'reset', 'reset-mid-body', 'hang'];
const PASSAGE = { text: 'Unplug the router for ten seconds.', score: 0.9, citation: { docId: 'kb-1', sourceUri: 's3://kb/router.md', chunkIndex: 0, startOffset: 0, endOffset: 34 } };
const CHAT = { messages: [{ role: 'user', content: 'How do I reset my router?' }], maxTokens: 100 };

/** A deterministic pseudo-random sequence (mulberry32), so a failing mix can be replayed. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6D2B79F5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** S3 that keeps objects by key; a `reset-mid-body` fault stores the object and loses the answer. */
class FakeS3 implements S3Api {
  public readonly objects = new Map<string, AuditEvent>();
  constructor(private readonly fault: () => Fault | undefined) {}
  async putObject(input: PutObjectRequest, signal: AbortSignal): Promise<void> {
    const fault = this.fault();
    if (fault === 'reset-mid-body') this.objects.set(input.key, JSON.parse(input.body));
    if (fault) return inject(fault, signal);
    this.objects.set(input.key, JSON.parse(input.body));
  }
}

/** Every dependency of the gateway failing `rate` of its calls with one of `FAULTS`, at random. */
function faultyWorld(rate: number, seed: number) {
  const random = seeded(seed);
  const fault = (): Fault | undefined => (random() < rate ? FAULTS[Math.floor(random() * FAULTS.length)] : undefined);
  const table = new FakeBudgetTable();
  table.put(TENANT, 10_000_000, new Date().toISOString().slice(0, 7));
  const pending = new Set<AbortSignal>();
  /** Runs `answer` unless a fault strikes; every call's signal is tracked until it settles. */
  const call = async <T>(signal: AbortSignal, answer: () => T | Promise<T>, applyBeforeLoss?: () => Promise<unknown>): Promise<T> => {
    pending.add(signal);
    try {
      const struck = fault();
      if (struck === 'reset-mid-body' && applyBeforeLoss) await applyBeforeLoss();
      if (struck) return await inject(struck, signal);
      return await answer();
    } finally {
      pending.delete(signal);
    }
  };
  const t = testDeps({ config: testConfig({ deadlineMs: 1000 }), table });
  const dynamo = {
    updateItem: (input: UpdateItemRequest, signal: AbortSignal) => call(signal, () => table.updateItem(input, signal), () => table.updateItem(input, signal).catch(() => undefined)),
  };
  const s3 = new FakeS3(fault);
  t.bedrock.converse.mockImplementation((_input, signal) => call(signal, () => converseOutput('Unplug it [1].', { inputTokens: 40, outputTokens: 8 })));
  t.bedrock.applyGuardrail.mockImplementation((_input, signal) => call(signal, () => guardrailAnswer('NONE', [{}])));
  t.sagemaker.invokeEndpoint.mockImplementation((_name, _body, signal) => call(signal, () => ({ choices: [{ message: { content: 'Unplug it.' } }], usage: { prompt_tokens: 30, completion_tokens: 5 } })));
  const retrieve = jest.fn((_tenantId: string, _query: string, _topK: number, signal: AbortSignal) => call(signal, () => [PASSAGE]).catch((error: { name?: string }) => {
    // The retrieval client's own mapping (test/lambda/gateway/retriever.test.ts).
    if (error?.name === 'TimeoutError' || error?.name === 'AbortError') throw new GatewayError(504, 'timeout', 'retrieval did not answer in time', 1);
    throw new GatewayError(503, 'retrieval_unavailable', 'retrieval is not available', 2);
  }));
  const deps = {
    ...t.deps,
    budget: new DynamoDbTokenBudget(dynamo, 'budgets', 'month', t.deps.clock),
    audit: new S3AuditWriter(s3, 'audit', 'gateway/', 'k', t.deps.clock),
    retriever: { retrieve },
  };
  return { ...t, deps, s3, table, pending };
}

describe('gateway under a 30% fault mix on every dependency', () => {
  it.each([1, 2])('answers 200 or a retryable status with Retry-After, settles or records every reservation, audits every request once (seed %i)', async (seed) => {
    const world = faultyWorld(0.3, seed);
    const bodies = Array.from({ length: 200 }, (_, i) => (i % 4 === 0
      ? { body: { input: ['reset the router', 'reset the modem'], dimensions: 256 }, resource: '/v1/embeddings' }
      : { body: i % 4 === 1 ? { ...CHAT, retrieval: { topK: 1 } } : CHAT, resource: '/v1/chat' }));
    world.bedrock.invokeModel.mockImplementation(async () => ({ embedding: new Array(256).fill(0.01), inputTextTokenCount: 3 }));
    const requests = bodies.map(({ body, resource }) => request(body, { resource }));
    const responses = await Promise.all(requests.map((r) => handleGatewayRequest(r, world.deps)));
    // No call any request started outlives the answers.
    expect(world.pending.size).toBe(0);

    const statuses = responses.map((r) => r.statusCode);
    expect(statuses.filter((s) => ![200, 429, 503, 504].includes(s))).toEqual([]);
    expect(responses.filter((r) => r.statusCode !== 200 && !r.headers['retry-after'])).toEqual([]);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(100);

    // One audit object per request (retried PUTs of the same key stay one object); a request whose
    // every PUT failed has its event in the log instead (also when the last answer was lost after S3 stored it).
    const logged = world.logger.lines.map((line) => JSON.parse(line)).filter((line) => line.message === 'audit write failed; event follows without content');
    const objects = [...world.s3.objects.values()];
    expect(new Set(objects.map((e) => e.requestId)).size).toBe(objects.length);
    const stored = new Set(objects.map((e) => e.requestId));
    expect(requests.filter((r) => !stored.has(r.requestId) && !logged.some((line) => line.requestId === r.requestId))).toEqual([]);
    const audited = [...objects, ...logged];
    expect(logged.every((line) => typeof line.eventTimestamp === 'string')).toBe(true);

    // Every reservation is settled or released, or recorded for reconciliation.
    const unsettled = new Set(audited.filter((e) => e.unsettled).map((e) => e.reservationId));
    const stillHeld = world.table.inFlight().ids;
    expect(stillHeld.filter((id) => !unsettled.has(id))).toEqual([]);
    expect(world.metrics.count('UnsettledReservations')).toBe(unsettled.size);
    expect(world.metrics.count('Errors_internal_error')).toBe(0);
  });
});

describe('one hung call site at a time', () => {
  function healthy(configOverrides: Record<string, unknown> = {}) {
    const t = testDeps({ config: testConfig({ deadlineMs: 1000, ...configOverrides }) });
    t.bedrock.converse.mockResolvedValue(converseOutput('Unplug it.'));
    t.bedrock.applyGuardrail.mockResolvedValue(guardrailAnswer('NONE', [{}]));
    t.sagemaker.invokeEndpoint.mockResolvedValue({ choices: [{ message: { content: 'Unplug it.' } }], usage: { prompt_tokens: 3, completion_tokens: 2 } });
    return t;
  }

  it('answers 200 from the fallback when the primary hangs, and ignores its signal', async () => {
    const t = healthy();
    t.bedrock.converse.mockImplementation(async (input) => (String(input.modelId).startsWith('eu.') ? deafHang() : converseOutput('From the fallback.')));
    const response = await handleGatewayRequest(request(CHAT), t.deps);
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ model: 'secondary', fallbackUsed: true, message: { content: 'From the fallback.' } });
    expect(t.table.inFlight().ids).toEqual([]);
  });

  it('charges a model attempt abandoned at its timeout one reservation on top of the answer used, as the provider may bill it', async () => {
    const t = healthy();
    t.bedrock.converse.mockImplementation(async (input, signal) => (String(input.modelId).startsWith('eu.') ? inject('hang', signal) : converseOutput('From the fallback.', { inputTokens: 10, outputTokens: 20 })));
    const response = await handleGatewayRequest(request(CHAT), t.deps);
    expect(response.statusCode).toBe(200);
    const reservation = chatReservationTokens(conversationOfChat(ChatRequest.parse(CHAT)));
    expect(t.table.items.get(TENANT)!.remainingTokens).toBe(1_000_000 - 30 - reservation);
    expect(t.table.inFlight()).toEqual({ reservedTokens: 0, ids: [] });
    expect(t.metrics.count('UsageAboveReservation')).toBe(30);
  });

  it('charges the abandoned attempt of a request that then fails, instead of releasing its reservation', async () => {
    const t = healthy({ chatModels: [{ name: 'primary', provider: 'bedrock', target: 'eu.anthropic.claude-sonnet-4-5-20250929-v1:0' }] });
    t.bedrock.converse.mockImplementation((_input, signal) => inject('hang', signal));
    const response = await handleGatewayRequest(request(CHAT), t.deps);
    expect(response.statusCode).toBe(504);
    expect(t.table.items.get(TENANT)!.remainingTokens).toBe(1_000_000 - chatReservationTokens(conversationOfChat(ChatRequest.parse(CHAT))));
    expect(t.table.inFlight().ids).toEqual([]);
  });

  it('charges an embeddings attempt abandoned at its timeout its reservation', async () => {
    const t = healthy();
    t.bedrock.invokeModel.mockImplementation((_model, _body, signal) => inject('hang', signal));
    const response = await handleGatewayRequest(request({ input: ['reset the router', 'reset the modem'], dimensions: 256 }, { resource: '/v1/embeddings' }), t.deps);
    expect(response.statusCode).toBe(504);
    expect(t.table.items.get(TENANT)!.remainingTokens).toBe(1_000_000 - estimateTokens('reset the router', 'reset the modem'));
  });

  it('answers 200 from the self-hosted fallback when both Bedrock models hang', async () => {
    const t = healthy();
    t.bedrock.converse.mockImplementation((_input, signal) => inject('hang', signal));
    const response = await handleGatewayRequest(request(CHAT), t.deps);
    expect(JSON.parse(response.body)).toMatchObject({ model: 'selfhosted', fallbackUsed: true });
  });

  it('answers 504 with Retry-After and releases the reservation when retrieval hangs', async () => {
    const t = healthy();
    const deps = { ...t.deps, retriever: { retrieve: (_t: string, _q: string, _k: number, signal: AbortSignal) => inject('hang', signal) } };
    const response = await handleGatewayRequest(request({ ...CHAT, retrieval: { topK: 1 } }), deps);
    expect(response.statusCode).toBe(504);
    expect(response.headers['retry-after']).toBe('1');
    expect(t.bedrock.converse).not.toHaveBeenCalled();
    expect(t.table.inFlight()).toEqual({ reservedTokens: 0, ids: [] });
    expect(t.table.items.get(TENANT)!.remainingTokens).toBe(1_000_000);
  });

  it.each(['throttle', '5xx', 'hang'] as const)('answers 503 with Retry-After, and calls no model, when the reserve meets %s on every try', async (fault) => {
    const t = healthy();
    const deps = { ...t.deps, budget: new DynamoDbTokenBudget({ updateItem: (_input, signal) => inject(fault, signal) }, 'budgets', 'month', t.deps.clock) };
    const response = await handleGatewayRequest(request(CHAT), deps);
    expect(response.statusCode).toBe(503);
    expect(JSON.parse(response.body).error.code).toBe('budget_unavailable');
    expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    expect(t.providerCalls()).toBe(0);
    expect(t.audit.events).toHaveLength(1);
  });

  it.each(['throttle', '5xx', 'hang'] as const)('returns the answer and records the unsettled amount when the settle meets %s on every try', async (fault) => {
    const t = healthy();
    let calls = 0;
    const deps = { ...t.deps, budget: new DynamoDbTokenBudget({ updateItem: (input, signal) => (calls++ === 0 ? t.table.updateItem(input, signal) : inject(fault, signal)) }, 'budgets', 'month', t.deps.clock) };
    const response = await handleGatewayRequest(request(CHAT), deps);
    expect(response.statusCode).toBe(200);
    const event = t.audit.events[0];
    expect(event).toMatchObject({ outcome: 'success', unsettled: { period: expect.any(String), usedTokens: 30, reservedTokens: expect.any(Number) }, reservationId: t.table.inFlight().ids[0] });
    expect(t.metrics.count('UnsettledReservations')).toBe(1);
  });

  it('keeps the retryable 503 of a failed model when the release fails too', async () => {
    const t = healthy();
    t.bedrock.converse.mockRejectedValue(new GatewayError(503, 'model_unavailable', 'down', 5));
    let calls = 0;
    const deps = { ...t.deps, budget: new DynamoDbTokenBudget({ updateItem: (input, signal) => (calls++ === 0 ? t.table.updateItem(input, signal) : inject('5xx', signal)) }, 'budgets', 'month', t.deps.clock) };
    const response = await handleGatewayRequest(request(CHAT), deps);
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(t.audit.events[0]).toMatchObject({ outcome: 'model_unavailable', unsettled: { usedTokens: 0 } });
  });

  it.each(['throttle', '5xx', 'hang'] as const)('still answers, and logs the event with its timestamp, when the audit store meets %s on every try', async (fault) => {
    const t = healthy();
    const deps = { ...t.deps, audit: new S3AuditWriter({ putObject: (_input, signal) => inject(fault, signal) }, 'audit', 'gateway/', 'k', t.deps.clock) };
    const response = await handleGatewayRequest(request(CHAT), deps);
    expect(response.statusCode).toBe(200);
    const line = JSON.parse(t.logger.lines.find((l) => l.includes('audit write failed'))!);
    expect(line).toMatchObject({ eventTimestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/), outcome: 'success', tenantId: TENANT });
    expect(line).not.toHaveProperty('timestamp');
    expect(t.metrics.count('AuditWriteFailures')).toBe(1);
  });
});

describe('a slow, not hung, budget store', () => {
  /** The process clock as the bundled handler reads it: jest's fake timers do not move it. */
  const realNow = Date.now;
  afterEach(() => jest.useRealTimers());

  it.each([
    ['follows the timers', () => Date.now()],
    ['lags the timers', () => realNow()],
  ])('never pushes the request past its deadline, with a clock that %s', async (_case, now) => {
    jest.useFakeTimers();
    const clock = { now, sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)), random: () => 0.5 };
    const t = testDeps({ config: testConfig({ deadlineMs: 1000, chatModels: [{ name: 'primary', provider: 'bedrock', target: 'eu.anthropic.claude-sonnet-4-5-20250929-v1:0' }] }) });
    const pending = new Set<AbortSignal>();
    // Every answer comes after 60 ms: inside the store's 100 ms budget, past an even share of it.
    const slowStore = {
      updateItem: async (input: UpdateItemRequest, signal: AbortSignal) => {
        pending.add(signal);
        try {
          await new Promise((resolve) => setTimeout(resolve, 60));
          return await t.table.updateItem(input, signal);
        } finally {
          pending.delete(signal);
        }
      },
    };
    t.bedrock.converse.mockImplementation(() => new Promise((resolve) => setTimeout(() => resolve(converseOutput('ok')), 700)));
    const deps = { ...t.deps, clock, budget: new DynamoDbTokenBudget(slowStore, 'budgets', 'month', clock) };
    const started = jest.now();
    let answeredAfterMs = Number.POSITIVE_INFINITY;
    const answered = handleGatewayRequest(request(CHAT), deps).then((response) => { answeredAfterMs = jest.now() - started; return response; });
    await jest.advanceTimersByTimeAsync(1000);
    expect(answeredAfterMs).toBeLessThanOrEqual(1000);
    const response = await answered;
    expect([200, 503]).toContain(response.statusCode);
    expect(pending.size).toBe(0);
    expect(t.audit.events).toHaveLength(1);
    // Every reservation is settled or released, or recorded for reconciliation.
    expect(t.table.inFlight().ids.filter((id) => id !== t.audit.events[0].reservationId || !t.audit.events[0].unsettled)).toEqual([]);
  });
});
