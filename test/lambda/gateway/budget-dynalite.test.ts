import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';
import { DynamoDb } from '../../../lambda/gateway/aws';
import { BudgetStoreError, BudgetUnavailableError, DynamoDbTokenBudget, periodOf } from '../../../lambda/gateway/budget';
import { ChatRequest, conversationOfChat } from '../../../lambda/gateway/schemas';
import { chatReservationTokens, handleGatewayRequest } from '../../../lambda/gateway/core';
import { AwsHttp } from '../../../lambda/shared/aws-http';
import { converseOutput, request, testDeps } from './support';

/*
 * The real budget module and the real DynamoDB binding (signed requests over AwsHttp) against
 * dynalite, a DynamoDB implementation written by others that parses and evaluates update and
 * condition expressions itself, on 127.0.0.1 with an in-memory store.
 */

const TABLE = 'budgets';
const NOW = new Date();
const PERIOD = periodOf(NOW, 'month');
const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
const clock = { now: Date.now, sleep: async () => undefined, random: () => 0.5 };

let server: ReturnType<typeof dynalite>;
let endpoint: string;
/** How many of the next UpdateItem answers are lost after dynalite applied the update. */
let lostAnswers = 0;
/**
 * How the next UpdateItem answers are damaged: `cut` forwards to dynalite and breaks the answer's
 * body off halfway (a reset mid-body); `cut-throttle` and `html-400` answer without forwarding, with
 * a throttle whose body breaks off and with a 400 whose body is a proxy's HTML page; `html-200`
 * forwards to dynalite (the update is applied) and answers 200 with an HTML page instead of its JSON.
 */
let damaged: Array<'cut' | 'cut-throttle' | 'html-400' | 'html-200'> = [];

/** A response whose body breaks off halfway, as fetch reports a connection reset mid-body. */
function cutOff(status: number, text: string): Response {
  const bytes = new TextEncoder().encode(text);
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes.slice(0, Math.floor(bytes.length / 2)));
      controller.error(new TypeError('terminated: other side closed'));
    },
  });
  return new Response(body, { status, headers: { 'content-type': 'application/x-amz-json-1.0' } });
}

async function raw(operation: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `DynamoDB_20120810.${operation}`, authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/eu-central-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0', 'x-amz-date': '20260101T000000Z' }, body: JSON.stringify(body) });
  return await response.json() as Record<string, unknown>;
}

/**
 * Sends the gateway's signed request to dynalite instead of the regional endpoint. dynalite 4.0.0
 * predates `ReturnValuesOnConditionCheckFailure` (DynamoDB added it in 2023): for a failed
 * condition that asked for ALL_OLD, the item is read back and added to the error as DynamoDB
 * documents it.
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html#DDB-UpdateItem-request-ReturnValuesOnConditionCheckFailure
 */
async function send(signed: Request): Promise<Response> {
  expect(new URL(signed.url).hostname).toBe('dynamodb.eu-central-1.amazonaws.com');
  expect(signed.headers.get('authorization')).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-central-1\/dynamodb\/aws4_request/);
  const body = await signed.text();
  const damage = damaged.shift();
  if (damage === 'cut-throttle') return cutOff(400, JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException', message: 'Rate exceeded' }));
  if (damage === 'html-400') return new Response('<html><body><h1>400 Bad Request</h1></body></html>', { status: 400, headers: { 'content-type': 'text/html' } });
  const response = await fetch(endpoint, { method: 'POST', headers: signed.headers, body, signal: signed.signal });
  if (lostAnswers > 0) {
    lostAnswers--;
    await response.body?.cancel();
    throw new TypeError('fetch failed: socket hang up');
  }
  const input = JSON.parse(body) as { Key: unknown; ReturnValuesOnConditionCheckFailure?: string };
  if (damage === 'html-200' && response.ok) {
    await response.body?.cancel();
    return new Response('<html><body>OK</body></html>', { status: 200, headers: { 'content-type': 'text/html' } });
  }
  if (damage === 'cut') {
    const answer = await withOldItem(response, input);
    return cutOff(answer.status, await answer.text());
  }
  return withOldItem(response, input);
}

async function withOldItem(response: Response, input: { Key: unknown; ReturnValuesOnConditionCheckFailure?: string }): Promise<Response> {
  if (response.status !== 400 || input.ReturnValuesOnConditionCheckFailure !== 'ALL_OLD') return response;
  const error = await response.json() as { __type: string };
  if (!error.__type.endsWith('#ConditionalCheckFailedException')) return Response.json(error, { status: 400 });
  const { Item } = await raw('GetItem', { TableName: TABLE, Key: input.Key, ConsistentRead: true });
  return Response.json({ ...error, ...(Item ? { Item } : {}) }, { status: 400 });
}

const budget = () => new DynamoDbTokenBudget(new DynamoDb(new AwsHttp('eu-central-1', CREDENTIALS, send)), TABLE, 'month', clock);

async function onboard(tenantId: string, limitTokens: number, budgetPeriod = PERIOD, remainingTokens = limitTokens): Promise<void> {
  await raw('PutItem', { TableName: TABLE, Item: { tenantId: { S: tenantId }, limitTokens: { N: String(limitTokens) }, budgetPeriod: { S: budgetPeriod }, remainingTokens: { N: String(remainingTokens) } } });
}

async function item(tenantId: string) {
  const { Item } = await raw('GetItem', { TableName: TABLE, Key: { tenantId: { S: tenantId } }, ConsistentRead: true }) as { Item: Record<string, { S?: string; N?: string; SS?: string[] }> };
  return { budgetPeriod: Item.budgetPeriod.S, remainingTokens: Number(Item.remainingTokens.N), reservedTokens: Number(Item.reservedTokens?.N ?? 0), inFlight: Item.inFlight?.SS ?? [] };
}

beforeAll(async () => {
  server = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await raw('CreateTable', { TableName: TABLE, KeySchema: [{ AttributeName: 'tenantId', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'tenantId', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' });
  while ((await raw('DescribeTable', { TableName: TABLE }) as { Table?: { TableStatus?: string } }).Table?.TableStatus !== 'ACTIVE') await new Promise((resolve) => setTimeout(resolve, 5));
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => { lostAnswers = 0; damaged = []; });

describe('DynamoDbTokenBudget against dynalite', () => {
  it('reserves, then settles the actual usage, leaving nothing in flight', async () => {
    await onboard('t-settle', 1000);
    const b = budget();
    const reservation = await b.reserve('t-settle', 300, NOW, 1000);
    expect(await item('t-settle')).toEqual({ budgetPeriod: PERIOD, remainingTokens: 700, reservedTokens: 300, inFlight: [reservation.id] });
    await b.settle(reservation, 120, 1000);
    expect(await item('t-settle')).toEqual({ budgetPeriod: PERIOD, remainingTokens: 880, reservedTokens: 0, inFlight: [] });
  });

  it('refuses a tenant that was never onboarded with 403', async () => {
    await expect(budget().reserve('t-stranger', 10, NOW, 1000)).rejects.toMatchObject({ status: 403, code: 'unauthorized' });
  });

  it('tells a used-up period (Retry-After to the next period) from a budget held by requests in flight (short Retry-After)', async () => {
    await onboard('t-used', 1000, PERIOD, 100);
    await expect(budget().reserve('t-used', 200, NOW, 1000)).rejects.toMatchObject({ status: 429, code: 'budget_exceeded', retryAfterSeconds: expect.any(Number) });
    const error: unknown = await budget().reserve('t-used', 200, NOW, 1000).catch((e: unknown) => e);
    expect((error as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(60);

    await onboard('t-busy', 1000);
    await budget().reserve('t-busy', 600, NOW, 1000);
    await expect(budget().reserve('t-busy', 600, NOW, 1000)).rejects.toMatchObject({ status: 429, code: 'budget_busy', retryAfterSeconds: 2 });
  });

  it('refuses a request larger than the whole limit with its own code, in the current and in a new period', async () => {
    await onboard('t-small', 1000);
    await expect(budget().reserve('t-small', 1001, NOW, 1000)).rejects.toMatchObject({ status: 400, code: 'request_exceeds_budget' });
    await onboard('t-small-old', 1000, '2020-01', 0);
    await expect(budget().reserve('t-small-old', 1001, NOW, 1000)).rejects.toMatchObject({ status: 400, code: 'request_exceeds_budget' });
  });

  it('rolls a past period over to the full limit at the first request', async () => {
    await onboard('t-roll', 1000, '2020-01', 0);
    const reservation = await budget().reserve('t-roll', 250, NOW, 1000);
    expect(await item('t-roll')).toEqual({ budgetPeriod: PERIOD, remainingTokens: 750, reservedTokens: 250, inFlight: [reservation.id] });
  });

  it('applies a reserve and a settle once when their answers are lost and they are retried', async () => {
    await onboard('t-lost', 1000);
    const b = budget();
    lostAnswers = 1;
    const reservation = await b.reserve('t-lost', 400, NOW, 1000);
    expect(await item('t-lost')).toMatchObject({ remainingTokens: 600, reservedTokens: 400, inFlight: [reservation.id] });
    lostAnswers = 1;
    await b.settle(reservation, 100, 1000);
    expect(await item('t-lost')).toEqual({ budgetPeriod: PERIOD, remainingTokens: 900, reservedTokens: 0, inFlight: [] });
  });

  it.each([
    ['under', 0.5],
    ['exactly at', 1],
  ])('never overspends with 50 concurrent requests using %s their reservation', async (_case, share) => {
    const tenant = `t-conc-${share * 10}`;
    const reservation = chatReservationTokens(conversationOfChat(ChatRequest.parse({ messages: [{ role: 'user', content: 'Summarize the quarterly report: ümlauts, 漢字 and 🚀.' }], maxTokens: 200 })));
    const limit = reservation * 12 + 17;
    await onboard(tenant, limit);
    const b = budget();
    let used = 0;
    const outcomes = await Promise.all(Array.from({ length: 50 }, async () => {
      try {
        const held = await b.reserve(tenant, reservation, NOW, 10_000);
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 10));
        const tokens = Math.floor(reservation * share);
        used += tokens;
        await b.settle(held, tokens, 10_000);
        return 'admitted';
      } catch (error) {
        return (error as { code: string }).code;
      }
    }));
    expect(outcomes.filter((o) => !['admitted', 'budget_busy', 'budget_exceeded'].includes(o))).toEqual([]);
    expect(outcomes.filter((o) => o === 'admitted').length).toBeGreaterThanOrEqual(12);
    expect(used).toBeLessThanOrEqual(limit);
    expect(await item(tenant)).toEqual({ budgetPeriod: PERIOD, remainingTokens: limit - used, reservedTokens: 0, inFlight: [] });
  });
});

describe('DynamoDB answers whose body breaks off or is not JSON', () => {
  it.each(['cut-throttle', 'html-400'] as const)('treats a %s answer as a transient store failure: retried, then 503 with Retry-After and nothing taken', async (damage) => {
    await onboard(`t-${damage}`, 1000);
    damaged = [damage, damage, damage];
    const failure = await budget().reserve(`t-${damage}`, 100, NOW, 1000).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(BudgetUnavailableError);
    expect(failure).toMatchObject({ status: 503, code: 'budget_unavailable', retryAfterSeconds: 1 });
    expect(damaged).toEqual([]);
    expect(await item(`t-${damage}`)).toEqual({ budgetPeriod: PERIOD, remainingTokens: 1000, reservedTokens: 0, inFlight: [] });
  });

  it('retries a failed condition whose body broke off instead of taking the lost item for a missing tenant', async () => {
    await onboard('t-cut-old', 1000, '2020-01', 0);
    damaged = ['cut'];
    const reservation = await budget().reserve('t-cut-old', 250, NOW, 1000);
    expect(await item('t-cut-old')).toEqual({ budgetPeriod: PERIOD, remainingTokens: 750, reservedTokens: 250, inFlight: [reservation.id] });
  });

  it.each(['cut', 'html-200'] as const)('does not take a 200 whose body is %s for a write it can trust: retries, and the idempotent update is applied once', async (damage) => {
    await onboard(`t-200-${damage}`, 1000);
    damaged = [damage];
    const reservation = await budget().reserve(`t-200-${damage}`, 250, NOW, 1000);
    expect(damaged).toEqual([]);
    expect(await item(`t-200-${damage}`)).toEqual({ budgetPeriod: PERIOD, remainingTokens: 750, reservedTokens: 250, inFlight: [reservation.id] });
  });

  it('confirms a reserve whose 200 was not JSON by its retry, which finds the reservation applied, and charges it once', async () => {
    await onboard('t-html-200', 1000);
    damaged = ['html-200', 'html-200', 'html-200'];
    const reservation = await budget().reserve('t-html-200', 250, NOW, 1000);
    // The retry's failed condition (already in flight) is a real 400 with the old item: the reservation is found applied.
    expect(await item('t-html-200')).toEqual({ budgetPeriod: PERIOD, remainingTokens: 750, reservedTokens: 250, inFlight: [reservation.id] });
  });

  it('answers a chat 503 when a reserve\'s 200 is not JSON and the retries cannot confirm it, and calls no model', async () => {
    await onboard('acme-html-200', 1000);
    const t = testDeps();
    damaged = ['html-200', 'cut-throttle', 'cut-throttle', 'cut-throttle', 'cut-throttle', 'cut-throttle'];
    const response = await handleGatewayRequest(request({ messages: [{ role: 'user', content: 'hi' }], maxTokens: 10 }, { tenant: 'acme-html-200' }), { ...t.deps, budget: budget() });
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBeDefined();
    expect(t.bedrock.converse).not.toHaveBeenCalled();
  });

  it('retries a settle whose throttle answer broke off, and settles once', async () => {
    await onboard('t-cut-settle', 1000);
    const b = budget();
    const reservation = await b.reserve('t-cut-settle', 300, NOW, 1000);
    damaged = ['cut-throttle'];
    await b.settle(reservation, 100, 1000);
    expect(await item('t-cut-settle')).toEqual({ budgetPeriod: PERIOD, remainingTokens: 900, reservedTokens: 0, inFlight: [] });
    damaged = ['html-400', 'html-400', 'html-400'];
    const failure = await b.settle(reservation, 100, 1000).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(BudgetStoreError);
    expect(failure).toMatchObject({ kind: 'server' });
  });

  it('answers a chat 503 with Retry-After when every reserve answer breaks off, records the possibly-held reservation, and calls no model', async () => {
    await onboard('acme-cut', 1000);
    const t = testDeps();
    damaged = Array(6).fill('cut-throttle');
    const response = await handleGatewayRequest(request({ messages: [{ role: 'user', content: 'hi' }], maxTokens: 10 }, { tenant: 'acme-cut' }), { ...t.deps, budget: budget() });
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('1');
    expect(JSON.parse(response.body).error.code).toBe('budget_unavailable');
    expect(t.bedrock.converse).not.toHaveBeenCalled();
    // The release of the possibly-held reservation broke off too: it is recorded for reconciliation.
    expect(t.audit.events[0]).toMatchObject({ outcome: 'budget_unavailable', status: 503, reservationId: expect.any(String), unsettled: { period: PERIOD, usedTokens: 0 } });
    expect(t.metrics.count('UnsettledReservations')).toBe(1);
  });

  it('returns the answer when every settle answer breaks off, and records the unsettled amount', async () => {
    await onboard('acme-cut-settle', 1000);
    const t = testDeps();
    t.bedrock.converse.mockImplementation(async () => {
      damaged = Array(3).fill('cut-throttle');
      return converseOutput('ok', { inputTokens: 5, outputTokens: 7 });
    });
    const response = await handleGatewayRequest(request({ messages: [{ role: 'user', content: 'hi' }], maxTokens: 10 }, { tenant: 'acme-cut-settle' }), { ...t.deps, budget: budget() });
    expect(response.statusCode).toBe(200);
    expect(t.audit.events[0]).toMatchObject({ outcome: 'success', unsettled: { period: PERIOD, usedTokens: 12 } });
    expect((await item('acme-cut-settle')).inFlight).toHaveLength(1);
  });
});
