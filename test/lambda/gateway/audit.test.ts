import { S3AuditWriter } from '../../../lambda/gateway/audit';
import type { PutObjectRequest } from '../../../lambda/gateway/aws';
import { handleGatewayRequest } from '../../../lambda/gateway/core';
import { converseOutput, request, TENANT, testDeps } from './support';

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
