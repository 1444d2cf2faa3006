import { handleGatewayRequest } from '../../../lambda/gateway/core';
import { chatReservationTokens, estimateTokens } from '../../../lambda/gateway/core';
import { awsError, converseOutput, FakeBudgetTable, request, TENANT, testDeps } from './support';

describe('tenant budget under concurrency', () => {
  it('never lets 50 concurrent requests overspend a budget by more than one reservation', async () => {
    const period = new Date().toISOString().slice(0, 7);
    const table = new FakeBudgetTable(5);
    const content = 'Summarize the quarterly report in three bullet points.';
    const maxTokens = 200;
    const reservation = chatReservationTokens({ messages: [{ role: 'user', content }], maxTokens });
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
    const reservation = chatReservationTokens({ messages: [{ role: 'user', content }], maxTokens: 100 });
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
