import fc from 'fast-check';
import { periodOf, secondsUntilNextPeriod } from '../../../lambda/gateway/budget';
import { loadConfig } from '../../../lambda/gateway/config';
import { redactPii } from '../../../lambda/gateway/redact';
import { backoffMs, classifyFailure, targetShareMs } from '../../../lambda/gateway/routing';
import { strongestAction } from '../../../lambda/gateway/providers';
import { awsError } from './support';

describe('redactPii', () => {
  it.each([
    ['write to jane.doe+x@example.co.uk today', 'write to [EMAIL] today'],
    ['call +49 30 1234567 now', 'call [PHONE] now'],
    ['call (555) 123-4567', 'call [PHONE]'],
    ['card 4111 1111 1111 1111 exp', 'card [CARD_NUMBER] exp'],
    ['iban DE89370400440532013000', 'iban [IBAN]'],
    ['key AKIAIOSFODNN7EXAMPLE', 'key [AWS_ACCESS_KEY]'],
    ['password: hunter2', 'password: [CREDENTIAL]'],
    ['aadhaar 2345 6789 0124', 'aadhaar [AADHAAR]'],
    ['ssn 123-45-6789', 'ssn [SSN]'],
    ['from 10.0.12.7', 'from [IP_ADDRESS]'],
  ])('redacts %s', (input, expected) => {
    expect(redactPii(input)).toBe(expected);
  });

  it('never lets an e-mail address through, whatever surrounds it', () => {
    fc.assert(fc.property(fc.emailAddress(), fc.string({ maxLength: 20 }), (email, around) => {
      expect(redactPii(`${around} ${email} ${around}`)).not.toContain(email);
    }));
  });
});

describe('routing', () => {
  it('retries throttling, 5xx and timeouts but never other 4xx', () => {
    expect(classifyFailure(awsError('ThrottlingException', 429))).toBe('throttled');
    expect(classifyFailure(awsError('ServiceUnavailableException', 503))).toBe('server');
    expect(classifyFailure(Object.assign(new Error('t'), { name: 'TimeoutError' }))).toBe('timeout');
    expect(classifyFailure(awsError('AccessDeniedException', 403))).toBe('client');
    expect(classifyFailure(awsError('ValidationException', 400))).toBe('client');
  });

  it('keeps every backoff inside the full-jitter envelope', () => {
    const policy = { maxAttemptsPerTarget: 3, baseDelayMs: 100, maxDelayMs: 2000, fallbackReserveMs: 5000 };
    fc.assert(fc.property(fc.integer({ min: 0, max: 10 }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (attempt, r) => {
      const delay = backoffMs(attempt, policy, () => r);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(Math.min(2000, 100 * 2 ** attempt));
    }));
  });
});

describe('fallback time shares', () => {
  it('gives the primary all but a reserve per fallback, so a long answer is not cut for a fallback never needed', () => {
    // 23 s for model calls, three targets, 5 s reserve: 13 s, then 5 s and 5 s if the primary hangs.
    expect(targetShareMs(23_000, 3, 5_000)).toBe(13_000);
    expect(targetShareMs(10_000, 2, 5_000)).toBe(5_000);
    expect(targetShareMs(5_000, 1, 5_000)).toBe(5_000);
  });

  it('falls back to equal shares when the deadline is short', () => {
    expect(targetShareMs(900, 3, 5_000)).toBe(300);
  });

  it('never gives a target less than an equal share, nor more than what is left', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 28_000 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 10_000 }), (remaining, left, reserve) => {
      const share = targetShareMs(remaining, left, reserve);
      expect(share).toBeGreaterThanOrEqual(remaining / left);
      expect(share).toBeLessThanOrEqual(remaining);
    }));
  });
});

describe('guardrail assessments', () => {
  it('ranks blocked over masked over none', () => {
    expect(strongestAction(undefined)).toBe('none');
    expect(strongestAction({ a: [{ sensitiveInformationPolicy: { piiEntities: [{ action: 'ANONYMIZED' }] } }] })).toBe('masked');
    expect(strongestAction({ a: { piiEntities: [{ action: 'ANONYMIZED' }], topics: [{ action: 'BLOCKED' }] } })).toBe('blocked');
    expect(strongestAction({ a: { filters: [{ action: 'NONE', detected: true }] } })).toBe('none');
  });
});

describe('budget periods', () => {
  it('keys budgets by UTC month or day and counts the seconds to the next one', () => {
    const now = new Date('2026-11-30T23:59:30Z');
    expect(periodOf(now, 'month')).toBe('2026-11');
    expect(periodOf(now, 'day')).toBe('2026-11-30');
    expect(secondsUntilNextPeriod(now, 'month')).toBe(30);
    expect(secondsUntilNextPeriod(now, 'day')).toBe(30);
  });
});

describe('loadConfig', () => {
  const env = {
    GATEWAY_MODELS: JSON.stringify({ chatModels: [{ name: 'a', provider: 'bedrock', target: 'anthropic.x', fallbacks: ['b'] }] }),
    GUARDRAIL_IDENTIFIER: 'arn:aws:bedrock:eu-central-1:111122223333:guardrail/abc', GUARDRAIL_VERSION: '1',
    BUDGET_TABLE: 't', AUDIT_BUCKET: 'audit-bucket', AUDIT_KEY_ARN: 'k', AWS_REGION: 'eu-central-1',
  };
  const oneModel = JSON.stringify({ chatModels: [{ name: 'a', provider: 'bedrock', target: 'x' }] });

  it('names the variable that is wrong', () => {
    expect(() => loadConfig({ ...env, GATEWAY_MODELS: '{' })).toThrow('gateway configuration: GATEWAY_MODELS is not valid JSON');
    expect(() => loadConfig(env)).toThrow(/fallback 'b' of 'a' is not a chat model/);
    expect(() => loadConfig({ ...env, GUARDRAIL_VERSION: 'DRAFT', GATEWAY_MODELS: JSON.stringify({ chatModels: [{ name: 'a', provider: 'bedrock', target: 'x' }] }) })).toThrow(/guardrailVersion/);
  });

  it('applies the safe defaults: no content capture, no retrieval', () => {
    const config = loadConfig({ ...env, GATEWAY_MODELS: oneModel });
    expect(config).toMatchObject({ contentCapture: 'none', budgetPeriod: 'month', deadlineMs: 25_000, tenantClaim: 'custom:tenant_id', auditPrefix: 'gateway/', region: 'eu-central-1' });
    expect(config.retrievalFunction).toBeUndefined();
  });

  it('refuses an audit bucket that virtual-hosted S3 URLs cannot address, and a malformed retrieval function', () => {
    expect(() => loadConfig({ ...env, GATEWAY_MODELS: oneModel, AUDIT_BUCKET: 'audit.example.com' })).toThrow(/auditBucket/);
    expect(() => loadConfig({ ...env, GATEWAY_MODELS: oneModel, RETRIEVAL_FUNCTION: 'retrieval' })).toThrow(/retrievalFunction/);
    expect(() => loadConfig({ ...env, GATEWAY_MODELS: oneModel, AWS_REGION: undefined })).toThrow(/region/);
    const arn = 'arn:aws:lambda:eu-central-1:111122223333:function:paved-road-retrieval';
    expect(loadConfig({ ...env, GATEWAY_MODELS: oneModel, RETRIEVAL_FUNCTION: arn }).retrievalFunction).toBe(arn);
  });
});
