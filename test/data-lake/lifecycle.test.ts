import { DataClass, LakeRetention, LakeZone, planZoneLifecycle, PrefixRule, PrivacyRegime, type ZoneLifecycleInput } from '../../lib';

const JUSTIFICATION = 'Tax law (HGB s. 257) requires invoices naming customers to be kept for ten years; access is limited to the finance role.';

function plan(overrides: Partial<ZoneLifecycleInput> = {}) {
  return planZoneLifecycle({
    zone: LakeZone.RAW,
    dataClass: DataClass.PERSONAL,
    regime: PrivacyRegime.GDPR,
    retention: LakeRetention.classDefault(),
    prefixRules: [],
    context: 'eu-dev: data lake Lake',
    ...overrides,
  });
}

describe('planZoneLifecycle', () => {
  it('uses the table for the zone and caps transitions at the zone\'s coldest tier', () => {
    const curated = plan({ zone: LakeZone.CURATED });
    expect(curated.plan.expirationDays).toBe(365);
    expect(curated.plan.transitions.map((t) => t.tier.storageClass)).toEqual(['STANDARD_IA', 'GLACIER_IR']);
    const raw = plan({ zone: LakeZone.RAW });
    expect(raw.plan.transitions.map((t) => t.tier.storageClass)).toEqual(['STANDARD_IA', 'GLACIER_IR', 'DEEP_ARCHIVE']);
  });

  it('refuses personal data kept without expiry and without a justification', () => {
    expect(() => plan({ retention: LakeRetention.keepIndefinitely() })).toThrow(
      'eu-dev: data lake Lake: zone raw holds personal data and keeps it without expiry; shorten the retention or set retentionJustification naming the legal basis (it is recorded in the template metadata for auditors)',
    );
  });

  it('refuses personal data kept longer than the table without a justification', () => {
    expect(() => plan({ dataClass: DataClass.SENSITIVE_PERSONAL, retention: LakeRetention.expireAfterDays(120) })).toThrow(
      /zone raw holds sensitive-personal data and keeps it for 120 days, longer than the GDPR default of 90 days/,
    );
  });

  it('refuses a vague justification', () => {
    expect(() => plan({ retention: LakeRetention.keepIndefinitely(), retentionJustification: 'needed by the business for now, trust us please' })).toThrow(/retentionJustification of zone raw is a placeholder/);
    expect(() => plan({ retention: LakeRetention.keepIndefinitely(), retentionJustification: 'short' })).toThrow(/retentionJustification of zone raw is 5 characters/);
  });

  it('records a specific justification with the retention it allows and the default it departs from', () => {
    const lifecycle = plan({ retention: LakeRetention.keepIndefinitely(), retentionJustification: JUSTIFICATION });
    expect(lifecycle.plan.expirationDays).toBeUndefined();
    expect(lifecycle.justifications).toEqual([{ scope: 'zone raw', dataClass: 'personal', retention: 'keep indefinitely', tableDefault: '365 days', justification: JUSTIFICATION }]);
  });

  it('lets non-personal data be kept without a justification and personal data be kept shorter', () => {
    expect(plan({ dataClass: DataClass.INTERNAL, retention: LakeRetention.keepIndefinitely() }).justifications).toEqual([]);
    expect(plan({ retention: LakeRetention.expireAfterDays(30) }).plan.expirationDays).toBe(30);
  });

  it('expires the audit zone exactly when its Object Lock ends', () => {
    expect(plan({ zone: LakeZone.AUDIT, dataClass: DataClass.CONFIDENTIAL, objectLockDays: 400 }).plan.expirationDays).toBe(400);
  });
});

describe('prefix rules', () => {
  it('expires staged uploads after 7 days and their old versions after a day', () => {
    const [staged] = plan({ prefixRules: [PrefixRule.stagedUploads({ zone: LakeZone.RAW, prefix: 'uploads/zips/' })] }).prefixes;
    expect(staged.ruleId).toBe('prefix-1-staged-uploads');
    expect(staged.plan.expirationDays).toBe(7);
    expect(staged.plan.noncurrentExpirationDays).toBe(1);
    expect(staged.plan.transitions).toEqual([]);
  });

  it('transitions images and expires them per their data class', () => {
    const [faces] = plan({ dataClass: DataClass.SENSITIVE_PERSONAL, prefixRules: [PrefixRule.images({ zone: LakeZone.RAW, prefix: 'images/faces/' })] }).prefixes;
    expect(faces.plan.expirationDays).toBe(90);
    expect(faces.plan.transitions.map((t) => `${t.tier}@${t.afterDays}`)).toEqual(['STANDARD_IA@30']);
    const [products] = plan({ prefixRules: [PrefixRule.images({ zone: LakeZone.RAW, prefix: 'images/products/', dataClass: DataClass.PUBLIC })] }).prefixes;
    // Public images carry no expiry of their own; the zone's 365 days still apply in S3.
    expect(products.plan.expirationDays).toBe(365);
    expect(products.plan.dataClass).toBe(DataClass.PUBLIC);
  });

  it.each([
    [PrivacyRegime.GDPR, 180],
    [PrivacyRegime.DPDP, 365],
    [PrivacyRegime.US, 365],
  ])('expires logs under %s after %d days', (regime, days) => {
    const [logs] = plan({ regime, prefixRules: [PrefixRule.logs({ zone: LakeZone.RAW, prefix: 'logs/' })] }).prefixes;
    expect(logs.plan.expirationDays).toBe(days);
  });

  it('refuses DPDP logs kept less than a year', () => {
    expect(() => plan({ regime: PrivacyRegime.DPDP, prefixRules: [PrefixRule.logs({ zone: LakeZone.RAW, prefix: 'logs/', expireAfterDays: 90 })] })).toThrow(
      "eu-dev: data lake Lake: prefix rule 'logs/' of zone raw: logs expire after 90 days but DPDP Rules 2025 r. 8(3) require processing logs for at least 365 days; set expireAfterDays >= 365",
    );
  });

  it('refuses a prefix rule that would keep objects longer than the zone, since S3 applies the shortest expiry', () => {
    expect(() => plan({ prefixRules: [PrefixRule.custom({ zone: LakeZone.RAW, prefix: 'keep/', dataClass: DataClass.PERSONAL, retention: LakeRetention.expireAfterDays(400) })] })).toThrow(
      /prefix rule 'keep\/' of zone raw: keeps objects 400 days but the zone expires everything after 365 days/,
    );
  });

  it('refuses a personal prefix kept without expiry in a zone that keeps data, unless justified', () => {
    const zone = { retention: LakeRetention.keepIndefinitely(), retentionJustification: JUSTIFICATION };
    const rule = (justification?: string) => PrefixRule.custom({ zone: LakeZone.RAW, prefix: 'invoices/', dataClass: DataClass.PERSONAL, retention: LakeRetention.keepIndefinitely(), retentionJustification: justification });
    expect(() => plan({ ...zone, prefixRules: [rule()] })).toThrow(/zone raw prefix 'invoices\/' holds personal data and keeps it without expiry/);
    expect(plan({ ...zone, prefixRules: [rule(JUSTIFICATION)] }).justifications.map((j) => j.scope)).toEqual(['zone raw', "zone raw prefix 'invoices/'"]);
  });

  it('refuses a prefix more sensitive than the zone, whose key encrypts it', () => {
    expect(() => plan({ dataClass: DataClass.INTERNAL, prefixRules: [PrefixRule.images({ zone: LakeZone.RAW, prefix: 'faces/', dataClass: DataClass.SENSITIVE_PERSONAL })] })).toThrow(
      /data class sensitive-personal is more sensitive than the zone's class internal, whose KMS key encrypts the bucket/,
    );
  });

  it.each(['/leading/', 'no-trailing-slash', '', 'a//b/'])('refuses the malformed prefix %j', (prefix) => {
    expect(() => plan({ prefixRules: [PrefixRule.stagedUploads({ zone: LakeZone.RAW, prefix })] })).toThrow(/must be one or more path segments ending in '\/'/);
  });

  it('refuses two rules for one prefix, staged uploads beyond 30 days and prefix rules on the audit zone', () => {
    const staged = PrefixRule.stagedUploads({ zone: LakeZone.RAW, prefix: 'zips/' });
    expect(() => plan({ prefixRules: [staged, staged] })).toThrow("prefix 'zips/' has two rules; merge them into one");
    expect(() => plan({ prefixRules: [PrefixRule.stagedUploads({ zone: LakeZone.RAW, prefix: 'zips/', expireAfterDays: 31 })] })).toThrow(/staged uploads expire after 31 days; use 1 to 30 days/);
    expect(() => plan({ zone: LakeZone.AUDIT, dataClass: DataClass.CONFIDENTIAL, objectLockDays: 365, prefixRules: [PrefixRule.logs({ zone: LakeZone.AUDIT, prefix: 'logs/' })] })).toThrow(/zone audit: takes no prefix rules/);
  });

  it('ignores rules of other zones', () => {
    expect(plan({ prefixRules: [PrefixRule.logs({ zone: LakeZone.CURATED, prefix: 'logs/' })] }).prefixes).toEqual([]);
  });
});
