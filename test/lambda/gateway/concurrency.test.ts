import { handleGatewayRequest } from '../../../lambda/gateway/core';
import { ChatRequest, conversationOfChat } from '../../../lambda/gateway/schemas';
import { chatReservationTokens, estimateTokens } from '../../../lambda/gateway/core';
import { awsError, converseOutput, FakeBudgetTable, request, TENANT, testDeps } from './support';

describe('tenant budget under concurrency', () => {
  it('never lets 50 concurrent requests overspend a budget by more than one reservation', async () => {
    const period = new Date().toISOString().slice(0, 7);
    const table = new FakeBudgetTable(5);
    const content = 'Summarize the quarterly report in three bullet points.';
    const maxTokens = 200;
    const reservation = chatReservationTokens(conversationOfChat(ChatRequest.parse({ messages: [{ role: 'user', content }], maxTokens })));
    const limit = reservation * 10 + 17;
    table.put(TENANT, limit, period);
    const t = testDeps({ table });
    let used = 0;
    let calls = 0;
    t.bedrock.converse.mockImplementation(async () => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10));
      // Some calls fail after the reservation, some use every reserved token, some fewer.
      if (calls % 7 === 0) throw awsError('ValidationException', 400);
      const inputTokens = estimateTokens(content);
      const outputTokens = calls % 3 === 0 ? maxTokens : Math.floor(maxTokens / 2);
      used += inputTokens + outputTokens;
      return converseOutput('ok', { inputTokens, outputTokens });
    });

    const responses = await Promise.all(Array.from({ length: 50 }, () => handleGatewayRequest(request({ messages: [{ role: 'user', content }], maxTokens }), t.deps)));

    const statuses = responses.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(statuses.every((s) => [200, 400, 429].includes(s))).toBe(true);
    expect(used).toBeLessThanOrEqual(limit + reservation);
    expect(table.lowest).toBeGreaterThanOrEqual(-reservation);
    // Settling returned every unused token: what is left is exactly the limit minus what was used.
    expect(table.items.get(TENANT)!.remainingTokens).toBe(limit - used);
    expect(t.audit.events).toHaveLength(50);
  });

  it('admits exactly as many full reservations as the budget holds', async () => {
    const period = new Date().toISOString().slice(0, 7);
    const table = new FakeBudgetTable(3);
    const content = 'x'.repeat(100);
    const reservation = chatReservationTokens(conversationOfChat(ChatRequest.parse({ messages: [{ role: 'user', content }], maxTokens: 100 })));
    table.put(TENANT, reservation * 5, period);
    const t = testDeps({ table });
    t.bedrock.converse.mockImplementation(async () => {
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
      return converseOutput('ok', { inputTokens: reservation - 100, outputTokens: 100 });
    });
    const responses = await Promise.all(Array.from({ length: 50 }, () => handleGatewayRequest(request({ messages: [{ role: 'user', content }], maxTokens: 100 }), t.deps)));
    expect(responses.filter((r) => r.statusCode === 200)).toHaveLength(5);
    expect(table.items.get(TENANT)!.remainingTokens).toBe(0);
  });
});

describe('overspend bound under concurrency', () => {
  const content = 'Résumé des Quartalsberichts: 漢字, emoji 🚀 and plain ASCII.';
  const maxTokens = 150;

  async function run(concurrency: number, usage: (reservation: number) => { inputTokens: number; outputTokens: number } | undefined) {
    const reservation = chatReservationTokens(conversationOfChat(ChatRequest.parse({ messages: [{ role: 'user', content }], maxTokens })));
    const limit = reservation * 20 + 11;
    const table = new FakeBudgetTable(3);
    table.put(TENANT, limit, new Date().toISOString().slice(0, 7));
    const t = testDeps({ table });
    let charged = 0;
    t.bedrock.converse.mockImplementation(async () => {
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
      const reported = usage(reservation);
      charged += reported ? reported.inputTokens + reported.outputTokens : reservation;
      const answer = converseOutput('ok', reported ?? {});
      return reported ? answer : { ...answer, usage: undefined };
    });
    const responses = await Promise.all(Array.from({ length: concurrency }, () => handleGatewayRequest(request({ messages: [{ role: 'user', content }], maxTokens }), t.deps)));
    return { reservation, limit, table, t, charged, responses, statuses: responses.map((r) => r.statusCode) };
  }

  it.each([50, 200])('never overspends with %i concurrent requests using less than their reservation', async (concurrency) => {
    const { limit, table, charged, statuses } = await run(concurrency, (r) => ({ inputTokens: Math.floor((r - maxTokens) / 3), outputTokens: maxTokens / 2 }));
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    expect(table.lowest).toBeGreaterThanOrEqual(0);
    expect(table.items.get(TENANT)!.remainingTokens).toBe(limit - charged);
    expect(table.inFlight()).toEqual({ reservedTokens: 0, ids: [] });
  });

  it.each([50, 200])('never overspends with %i concurrent requests in the adversarial case: one token per UTF-8 byte and every output token', async (concurrency) => {
    const { limit, table, charged, statuses, responses } = await run(concurrency, (r) => ({ inputTokens: r - maxTokens, outputTokens: maxTokens }));
    expect(statuses.filter((s) => s === 200)).toHaveLength(20);
    expect(charged).toBeLessThanOrEqual(limit);
    expect(table.lowest).toBeGreaterThanOrEqual(0);
    // While requests were in flight the rest was held, not used: those were told to retry shortly.
    expect(responses.some((r) => JSON.parse(r.body).error?.code === 'budget_busy' && r.headers['retry-after'] === '2')).toBe(true);
  });

  it('charges the whole reservation for an answer without usage', async () => {
    const { reservation, limit, table, statuses } = await run(50, () => undefined);
    const admitted = statuses.filter((s) => s === 200).length;
    expect(admitted).toBe(20);
    expect(table.items.get(TENANT)!.remainingTokens).toBe(limit - admitted * reservation);
  });

  it('bounds the overspend by the excess of the requests in flight when a model reports more than the reservation', async () => {
    const { reservation, limit, table, charged, statuses, t } = await run(200, (r) => ({ inputTokens: 2 * r, outputTokens: maxTokens }));
    const admitted = statuses.filter((s) => s === 200).length;
    const excessPerRequest = 2 * reservation + maxTokens - reservation;
    // Accounting stays exact, and only requests admitted while the budget still held them overspend.
    expect(table.items.get(TENANT)!.remainingTokens).toBe(limit - charged);
    expect(admitted).toBeLessThanOrEqual(Math.floor(limit / reservation));
    expect(charged - limit).toBeLessThanOrEqual(admitted * excessPerRequest);
    expect(t.metrics.count('UsageAboveReservation')).toBe(admitted * excessPerRequest);
  });
});
