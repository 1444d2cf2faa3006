import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as fc from 'fast-check';
import { ABORT_INCOMPLETE_MULTIPART_UPLOAD_DAYS, DataClass, LOG_RETENTION_DAYS, payingTransitions, PrivacyRegime, RETENTION_TABLE, retentionDefault, retentionPlan, StorageTier } from '../../lib';

const REGIMES = [PrivacyRegime.GDPR, PrivacyRegime.DPDP, PrivacyRegime.US];
const { PUBLIC, INTERNAL, CONFIDENTIAL, PERSONAL, SENSITIVE_PERSONAL } = DataClass;
const { GDPR, DPDP, US } = PrivacyRegime;
const IA = StorageTier.INFREQUENT_ACCESS;
const GIR = StorageTier.GLACIER_INSTANT_RETRIEVAL;
const DA = StorageTier.DEEP_ARCHIVE;

describe('the retention table', () => {
  it('has exactly one row for every data class under every regime', () => {
    expect(RETENTION_TABLE).toHaveLength(DataClass.all().length * REGIMES.length);
    for (const dataClass of DataClass.all()) {
      for (const regime of REGIMES) {
        expect(RETENTION_TABLE.filter((row) => row.dataClass === dataClass && row.regime === regime)).toHaveLength(1);
      }
    }
  });

  // class, regime, current-version expiry (undefined = kept), noncurrent expiry
  it.each([
    [PUBLIC, GDPR, undefined, 90], [PUBLIC, DPDP, undefined, 90], [PUBLIC, US, undefined, 90],
    [INTERNAL, GDPR, undefined, 90], [INTERNAL, DPDP, undefined, 90], [INTERNAL, US, undefined, 90],
    [CONFIDENTIAL, GDPR, undefined, 90], [CONFIDENTIAL, DPDP, undefined, 90], [CONFIDENTIAL, US, undefined, 90],
    [PERSONAL, GDPR, 365, 30], [PERSONAL, DPDP, 365, 30], [PERSONAL, US, 730, 30],
    [SENSITIVE_PERSONAL, GDPR, 90, 30], [SENSITIVE_PERSONAL, DPDP, 365, 30], [SENSITIVE_PERSONAL, US, 365, 30],
  ])('keeps %s data under %s for %s days and noncurrent versions for %s days', (dataClass, regime, expiry, noncurrent) => {
    const row = retentionDefault(dataClass, regime);
    expect(row.expirationDays).toBe(expiry);
    expect(row.noncurrentExpirationDays).toBe(noncurrent);
    expect(row.rationale.length).toBeGreaterThan(40);
  });

  it('makes every personal class expire under every regime', () => {
    for (const row of RETENTION_TABLE.filter((r) => r.dataClass.isPersonal)) {
      expect(row.expirationDays).toBeGreaterThan(0);
    }
  });

  it('never keeps personal data below the DPDP one-year processing minimum in India', () => {
    expect(retentionDefault(PERSONAL, DPDP).expirationDays).toBeGreaterThanOrEqual(365);
    expect(retentionDefault(SENSITIVE_PERSONAL, DPDP).expirationDays).toBeGreaterThanOrEqual(365);
    expect(LOG_RETENTION_DAYS.get(DPDP)).toBe(365);
  });

  it('keeps sensitive personal data no longer than personal data', () => {
    for (const regime of REGIMES) {
      expect(retentionDefault(SENSITIVE_PERSONAL, regime).expirationDays!).toBeLessThanOrEqual(retentionDefault(PERSONAL, regime).expirationDays!);
    }
  });

  it('sets log retention for every regime', () => {
    expect([...LOG_RETENTION_DAYS.entries()].map(([regime, days]) => [regime.id, days])).toEqual([['GDPR', 180], ['DPDP', 365], ['US', 365]]);
  });
});

describe('retentionPlan', () => {
  const tiers = (plan: ReturnType<typeof retentionPlan>) => plan.transitions.map((t) => `${t.tier}@${t.afterDays}`);

  it.each([
    [PUBLIC, GDPR, DA, ['STANDARD_IA@30', 'GLACIER_IR@90', 'DEEP_ARCHIVE@180']],
    [PUBLIC, GDPR, GIR, ['STANDARD_IA@30', 'GLACIER_IR@90']],
    [CONFIDENTIAL, US, IA, ['STANDARD_IA@30']],
    [PERSONAL, GDPR, DA, ['STANDARD_IA@30', 'GLACIER_IR@90', 'DEEP_ARCHIVE@180']],
    [PERSONAL, GDPR, GIR, ['STANDARD_IA@30', 'GLACIER_IR@90']],
    [PERSONAL, US, DA, ['STANDARD_IA@30', 'GLACIER_IR@90', 'DEEP_ARCHIVE@180']],
    [SENSITIVE_PERSONAL, GDPR, DA, ['STANDARD_IA@30']],
    [SENSITIVE_PERSONAL, DPDP, GIR, ['STANDARD_IA@30', 'GLACIER_IR@90']],
  ])('moves %s data under %s (coldest %s) through %j', (dataClass, regime, coldest, expected) => {
    expect(tiers(retentionPlan(dataClass, regime, { coldestTier: coldest }))).toEqual(expected);
  });

  it('always aborts incomplete multipart uploads after 7 days and removes expired delete markers', () => {
    for (const row of RETENTION_TABLE) {
      const plan = retentionPlan(row.dataClass, row.regime);
      expect(plan.abortIncompleteMultipartUploadDays).toBe(ABORT_INCOMPLETE_MULTIPART_UPLOAD_DAYS);
      expect(ABORT_INCOMPLETE_MULTIPART_UPLOAD_DAYS).toBe(7);
      expect(plan.removeExpiredDeleteMarkers).toBe(true);
      expect(plan.expirationDays).toBe(row.expirationDays);
      expect(plan.noncurrentExpirationDays).toBe(row.noncurrentExpirationDays);
    }
  });

  it('skips transitions that would not outlast the minimum storage duration before expiry', () => {
    expect(payingTransitions(7, DA)).toEqual([]);
    expect(payingTransitions(59, DA)).toEqual([]);
    expect(payingTransitions(60, DA)).toEqual([{ tier: IA, afterDays: 30 }]);
    expect(payingTransitions(180, DA)).toEqual([{ tier: IA, afterDays: 30 }, { tier: GIR, afterDays: 90 }]);
    expect(payingTransitions(359, DA)).toEqual([{ tier: IA, afterDays: 30 }, { tier: GIR, afterDays: 90 }]);
    expect(payingTransitions(360, DA)).toEqual([{ tier: IA, afterDays: 30 }, { tier: GIR, afterDays: 90 }, { tier: DA, afterDays: 180 }]);
  });

  it('only ever chooses transitions that pay and stay within the coldest tier', () => {
    fc.assert(fc.property(fc.option(fc.integer({ min: 1, max: 4000 }), { nil: undefined }), fc.constantFrom(...StorageTier.all()), (expiry, coldest) => {
      const chosen = payingTransitions(expiry, coldest);
      const boundaries = [...chosen.slice(1).map((t) => t.afterDays), expiry ?? Number.POSITIVE_INFINITY];
      chosen.forEach((t, i) => {
        expect(coldest.isAtLeastAsColdAs(t.tier)).toBe(true);
        expect(boundaries[i] - t.afterDays).toBeGreaterThanOrEqual(t.tier.minimumStorageDays);
        if (i > 0) expect(t.afterDays).toBeGreaterThan(chosen[i - 1].afterDays);
      });
    }));
  });

  it('applies overrides and keeps current versions when asked', () => {
    expect(retentionPlan(PERSONAL, GDPR, { expirationDays: 30 }).expirationDays).toBe(30);
    expect(retentionPlan(PERSONAL, GDPR, { expirationDays: null }).expirationDays).toBeUndefined();
    expect(retentionPlan(INTERNAL, US, { noncurrentExpirationDays: 1 }).noncurrentExpirationDays).toBe(1);
  });

  it('refuses days that are not positive whole numbers', () => {
    expect(() => retentionPlan(PERSONAL, GDPR, { expirationDays: 0 })).toThrow('retention of personal data: expirationDays: 0 is not a whole number of days >= 1; set a positive integer');
    expect(() => retentionPlan(PERSONAL, GDPR, { noncurrentExpirationDays: 1.5 })).toThrow(/noncurrentExpirationDays: 1.5 is not a whole number/);
  });
});

describe('docs/data-lake.md', () => {
  it('prints the same retention table as the code', () => {
    const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'data-lake.md'), 'utf8');
    const cell = (days: number | undefined, noncurrent: number) => `${days === undefined ? 'keep' : `**${days}**`} / ${noncurrent}`;
    for (const dataClass of DataClass.all()) {
      const row = REGIMES.map((regime) => retentionDefault(dataClass, regime)).map((r) => cell(r.expirationDays, r.noncurrentExpirationDays));
      expect(doc).toContain(`| ${dataClass.id.toUpperCase().replace('-', '_')} | ${row.join(' | ')} |`);
    }
  });
});
