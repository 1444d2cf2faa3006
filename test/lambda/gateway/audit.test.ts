import { createHmac } from 'node:crypto';
import { type AuditEvent, CONTENT_HASH_KEY_LABEL, KmsDerivedHashKey, keyedHash, S3AuditWriter, tenantHashKey } from '../../../lambda/gateway/audit';
import type { KmsApi, PutObjectRequest } from '../../../lambda/gateway/aws';
import { handleGatewayRequest } from '../../../lambda/gateway/core';
import { converseOutput, deafHang, inject, request, TENANT, testConfig, testDeps } from './support';

const CHAT = { messages: [{ role: 'user', content: 'hi' }], maxTokens: 10 };

describe('audit object keys', () => {
  const HOSTILE_IDS = [
    'a/b',
    '../../tenant=globex/date=2026-01-01/x',
    '..',
    '%2e%2e%2f%2e%2e%2f',
    'ü🚀漢字',
    'r'.repeat(1024),
    '',
    'line\nbreak',
  ];

  it.each(HOSTILE_IDS.map((id) => [JSON.stringify(id).slice(0, 40), id]))('keeps the key under tenant=<t>/date=<d>/ and within 1024 bytes for request id %s, and the raw id in the body', async (_label, requestId) => {
    const t = testDeps();
    t.bedrock.converse.mockResolvedValue(converseOutput('ok'));
    const puts: PutObjectRequest[] = [];
    const audit = new S3AuditWriter({ putObject: async (input) => { puts.push(input); } }, 'audit', 'gateway/', 'k', t.deps.clock);
    await handleGatewayRequest({ ...request(CHAT), requestId }, { ...t.deps, audit });
    expect(puts).toHaveLength(1);
    const { key, body } = puts[0];
    expect(key).toMatch(new RegExp(`^gateway/tenant=${TENANT}/date=\\d{4}-\\d{2}-\\d{2}/\\d{4}-\\d{2}-\\d{2}T[0-9:.]+Z-(?:_sha256-[0-9a-f]{64})\\.json$`));
    expect(Buffer.byteLength(key, 'utf8')).toBeLessThanOrEqual(1024);
    expect(JSON.parse(body).requestId).toBe(requestId);
  });

  it('keeps an API Gateway request id (a UUID) as it is', async () => {
    const t = testDeps();
    t.bedrock.converse.mockResolvedValue(converseOutput('ok'));
    const puts: PutObjectRequest[] = [];
    const audit = new S3AuditWriter({ putObject: async (input) => { puts.push(input); } }, 'audit', 'gateway/', 'k', t.deps.clock);
    await handleGatewayRequest({ ...request(CHAT), requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef' }, { ...t.deps, audit });
    expect(puts[0].key).toMatch(/\/date=\d{4}-\d{2}-\d{2}\/[0-9T:.Z-]+-c6af9ac6-7b61-11e6-9a41-93e8deadbeef\.json$/);
  });
});

describe('hashed content capture', () => {
  const HASHED = { contentCapture: 'hashed', contentHashKeyArn: 'arn:aws:kms:eu-central-1:111122223333:key/h' };
  afterEach(() => jest.useRealTimers());

  /** Audit events, with the budget each write was given. */
  function budgetedAudit() {
    const writes: Array<{ event: AuditEvent; budgetMs: number }> = [];
    return { writes, audit: { write: async (event: AuditEvent, budgetMs: number) => { writes.push({ event, budgetMs }); } } };
  }

  it.each([
    ['hangs until aborted', (signal: AbortSignal) => inject('hang', signal)],
    ['hangs, ignoring its signal', () => deafHang()],
    ['is throttled', (signal: AbortSignal) => inject('throttle', signal)],
  ])('answers by the deadline and omits the content when GenerateMac %s, also when a derivation started at init is in flight', async (_case, generateMac) => {
    jest.useFakeTimers();
    const clock = { now: () => Date.now(), sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)), random: () => 0.5 };
    const t = testDeps({ config: testConfig({ deadlineMs: 1000, ...HASHED }) });
    t.bedrock.converse.mockResolvedValue(converseOutput('ok'));
    const kms: KmsApi = { generateMac: jest.fn((_key: string, _message: Uint8Array, signal: AbortSignal) => generateMac(signal)) };
    const contentHashKey = new KmsDerivedHashKey(kms, HASHED.contentHashKeyArn, clock);
    // The init phase asks with a budget of its own, longer than a request's deadline.
    void contentHashKey.get(60_000).catch(() => undefined);
    const { writes, audit } = budgetedAudit();
    const started = jest.now();
    let answeredAfterMs = Number.POSITIVE_INFINITY;
    const answered = handleGatewayRequest(request({ messages: [{ role: 'user', content: 'hi' }] }), { ...t.deps, clock, audit, contentHashKey })
      .then((response) => { answeredAfterMs = jest.now() - started; return response; });
    await jest.advanceTimersByTimeAsync(1000);
    expect(answeredAfterMs).toBeLessThanOrEqual(1000);
    expect((await answered).statusCode).toBe(200);
    expect(writes).toHaveLength(1);
    expect(writes[0].event).toMatchObject({ outcome: 'success', contentOmitted: 'hash_key_unavailable' });
    expect(writes[0].event.content).toBeUndefined();
    // The key's wait leaves the audit write at least half its slice (100 ms with a 1 s deadline).
    expect(writes[0].budgetMs).toBeGreaterThanOrEqual(50);
    await jest.advanceTimersByTimeAsync(60_000);
  });

  it('keys each tenant with its own hash key: the same value from two tenants gives different hashes, each verifiable with its key', async () => {
    const environmentKey = new Uint8Array(32).fill(9);
    const t = testDeps({ config: testConfig(HASHED) });
    t.table.put('globex', 1_000_000, new Date().toISOString().slice(0, 7));
    t.bedrock.converse.mockResolvedValue(converseOutput('same answer'));
    const deps = { ...t.deps, contentHashKey: { get: async () => environmentKey } };
    const value = 'my card is 4111 1111 1111 1111';
    await handleGatewayRequest(request({ messages: [{ role: 'user', content: value }] }), deps);
    await handleGatewayRequest(request({ messages: [{ role: 'user', content: value }] }, { tenant: 'globex' }), deps);
    const [acme, globex] = t.audit.events;
    expect(acme.tenantId).toBe(TENANT);
    expect(globex.tenantId).toBe('globex');
    expect(acme.content!.prompt).not.toBe(globex.content!.prompt);
    expect(acme.content!.completion).not.toBe(globex.content!.completion);
    expect(acme.content!.prompt).not.toBe(keyedHash(environmentKey, value));
    expect(acme.content!.prompt).toBe(keyedHash(tenantHashKey(environmentKey, TENANT), value));
    expect(globex.content!.prompt).toBe(`hmac-sha256:${createHmac('sha256', createHmac('sha256', environmentKey).update('tenant=globex').digest()).update(value).digest('hex')}`);
  });

  it('derives the environment key from one GenerateMac of the fixed label', async () => {
    const kms: KmsApi = { generateMac: jest.fn(async () => new Uint8Array(32).fill(1)) };
    const key = new KmsDerivedHashKey(kms, HASHED.contentHashKeyArn, { now: Date.now, sleep: async () => undefined, random: () => 0.5 });
    expect(await key.get(100)).toEqual(new Uint8Array(32).fill(1));
    expect(await key.get(100)).toEqual(new Uint8Array(32).fill(1));
    expect(kms.generateMac).toHaveBeenCalledTimes(1);
    expect(kms.generateMac).toHaveBeenCalledWith(HASHED.contentHashKeyArn, new TextEncoder().encode(CONTENT_HASH_KEY_LABEL), expect.any(AbortSignal));
  });
});
