import { Duration } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { reasonProblem } from '../compliance/acknowledge';
import type { DataClass } from '../core/data-class';
import { PavedRoadError } from '../core/errors';
import { PrivacyRegime } from '../residency/residency-zone';
import { LakeZone } from './lake-zone';
import { type LakeRetention, type PrefixRule, PrefixRuleKind } from './prefix-rule';
import { DPDP_LOG_MINIMUM_DAYS, isMoreSensitive, LOG_RETENTION_DAYS, type RetentionPlan, retentionDefault, retentionPlan } from './retention';

/** Everything that decides one zone's lifecycle. */
export interface ZoneLifecycleInput {
  /** The zone. */
  readonly zone: LakeZone;
  /** The data class of the zone's bucket. */
  readonly dataClass: DataClass;
  /** The environment's privacy regime. */
  readonly regime: PrivacyRegime;
  /** The zone's retention. */
  readonly retention: LakeRetention;
  /** Why the zone keeps personal data longer than the table, if it does. */
  readonly retentionJustification?: string;
  /** Prefix rules of this zone. */
  readonly prefixRules: PrefixRule[];
  /** Object Lock retention of the zone in days; the audit zone expires exactly then. */
  readonly objectLockDays?: number;
  /** Names the environment and lake, so messages say where to fix things. */
  readonly context: string;
}

/** The lifecycle of one prefix. */
export interface PrefixLifecycle {
  /** The prefix rule it comes from. */
  readonly rule: PrefixRule;
  /** Lifecycle rule id, unique in the bucket. */
  readonly ruleId: string;
  /** The derived plan. */
  readonly plan: RetentionPlan;
}

/** A recorded retention justification, for the template metadata. */
export interface RetentionJustification {
  /** What the justification covers: the zone, or the zone and prefix. */
  readonly scope: string;
  /** The data class kept longer. */
  readonly dataClass: string;
  /** The retention chosen instead of the table default. */
  readonly retention: string;
  /** The table default it departs from. */
  readonly tableDefault: string;
  /** The justification text. */
  readonly justification: string;
}

/** One zone's complete lifecycle: the bucket-wide plan and the prefix plans. */
export interface ZoneLifecycle {
  /** The zone. */
  readonly zone: LakeZone;
  /** The bucket-wide plan. */
  readonly plan: RetentionPlan;
  /** Plans of prefix rules, in declaration order. */
  readonly prefixes: PrefixLifecycle[];
  /** Justifications for keeping personal data longer than the table. */
  readonly justifications: RetentionJustification[];
}

const PREFIX_PATTERN = /^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*\/$/;

function days(value: number | undefined): string {
  return value === undefined ? 'keep indefinitely' : `${value} days`;
}

/**
 * Checks the retention of personal data against the table: keeping it without expiry, or longer
 * than the table's default, needs a specific justification. Returns the record to publish.
 */
function checkPersonalRetention(scope: string, dataClass: DataClass, regime: PrivacyRegime, expirationDays: number | undefined, justification: string | undefined, context: string): RetentionJustification | undefined {
  const tableDays = retentionDefault(dataClass, regime).expirationDays;
  const longer = expirationDays === undefined || (tableDays !== undefined && expirationDays > tableDays);
  if (!dataClass.isPersonal || !longer) return undefined;
  if (justification === undefined) {
    const what = expirationDays === undefined ? 'without expiry' : `for ${expirationDays} days, longer than the ${regime} default of ${tableDays} days`;
    throw new PavedRoadError(`${context}: ${scope} holds ${dataClass} data and keeps it ${what}; shorten the retention or set retentionJustification naming the legal basis (it is recorded in the template metadata for auditors)`);
  }
  const problem = reasonProblem(justification);
  if (problem) {
    throw new PavedRoadError(`${context}: retentionJustification of ${scope} ${problem}`);
  }
  return { scope, dataClass: dataClass.id, retention: days(expirationDays), tableDefault: days(tableDays), justification: justification.trim() };
}

function prefixLifecycle(input: ZoneLifecycleInput, zonePlan: RetentionPlan, rule: PrefixRule, index: number): { lifecycle: PrefixLifecycle; justification?: RetentionJustification } {
  const where = `${input.context}: prefix rule '${rule.prefix}' of zone ${input.zone}`;
  const scope = `zone ${input.zone} prefix '${rule.prefix}'`;
  const dataClass = rule.dataClass ?? input.dataClass;
  if (isMoreSensitive(dataClass, input.dataClass)) {
    throw new PavedRoadError(`${where}: data class ${dataClass} is more sensitive than the zone's class ${input.dataClass}, whose KMS key encrypts the bucket; store it in a zone of class ${dataClass} or raise the zone's dataClass`);
  }
  let requested = rule.retention.expirationDays;
  if (rule.kind === PrefixRuleKind.STAGED_UPLOADS && (requested! < 1 || requested! > 30)) {
    throw new PavedRoadError(`${where}: staged uploads expire after ${requested} days; use 1 to 30 days (they are processed within hours)`);
  }
  if (rule.kind === PrefixRuleKind.LOGS) {
    const minimum = input.regime === PrivacyRegime.DPDP ? DPDP_LOG_MINIMUM_DAYS : 1;
    if (typeof requested === 'number' && requested < minimum) {
      throw new PavedRoadError(`${where}: logs expire after ${requested} days but DPDP Rules 2025 r. 8(3) require processing logs for at least ${DPDP_LOG_MINIMUM_DAYS} days; set expireAfterDays >= ${DPDP_LOG_MINIMUM_DAYS}`);
    }
    requested ??= LOG_RETENTION_DAYS.get(input.regime);
  }
  const tableDays = retentionDefault(dataClass, input.regime).expirationDays;
  const zoneDays = zonePlan.expirationDays;
  let expirationDays: number | undefined;
  if (requested === undefined) {
    // Table value, capped by the zone's own expiry (the shorter rule wins in S3 anyway).
    expirationDays = tableDays === undefined ? zoneDays : zoneDays === undefined ? tableDays : Math.min(tableDays, zoneDays);
  } else {
    expirationDays = requested ?? undefined;
    if (zoneDays !== undefined && (expirationDays === undefined || expirationDays > zoneDays)) {
      throw new PavedRoadError(`${where}: keeps objects ${days(expirationDays)} but the zone expires everything after ${zoneDays} days and S3 applies the shortest expiry of overlapping rules; lengthen the zone's retention in zoneSettings or shorten the prefix rule`);
    }
  }
  const justification = checkPersonalRetention(scope, dataClass, input.regime, expirationDays, rule.retentionJustification, input.context);
  const plan = retentionPlan(dataClass, input.regime, {
    coldestTier: input.zone.coldestTier,
    expirationDays: expirationDays ?? null,
    // Staged uploads are transient copies: a replaced or deleted one is worthless the next day.
    noncurrentExpirationDays: rule.kind === PrefixRuleKind.STAGED_UPLOADS ? 1 : undefined,
  });
  const ruleId = `prefix-${index + 1}-${rule.kind}`;
  return { lifecycle: { rule, ruleId, plan }, justification };
}

/**
 * Derives and validates one zone's lifecycle.
 * @throws PavedRoadError for personal data kept without justification, prefix rules that
 * could not take effect, prefixes of the wrong shape, and prefix rules on the audit zone
 */
export function planZoneLifecycle(input: ZoneLifecycleInput): ZoneLifecycle {
  const where = `${input.context}: zone ${input.zone}`;
  const rules = input.prefixRules.filter((rule) => rule.zone === input.zone);
  if (input.zone === LakeZone.AUDIT && rules.length > 0) {
    throw new PavedRoadError(`${where}: takes no prefix rules; Object Lock keeps every audit event for the lock period and lifecycle rules cannot shorten it`);
  }
  const seen = new Set<string>();
  for (const rule of rules) {
    if (!PREFIX_PATTERN.test(rule.prefix)) {
      throw new PavedRoadError(`${where}: prefix '${rule.prefix}' must be one or more path segments ending in '/', without a leading '/', e.g. 'uploads/zips/'`);
    }
    if (seen.has(rule.prefix)) {
      throw new PavedRoadError(`${where}: prefix '${rule.prefix}' has two rules; merge them into one`);
    }
    seen.add(rule.prefix);
  }
  const requested = input.objectLockDays ?? input.retention.expirationDays;
  const plan = retentionPlan(input.dataClass, input.regime, {
    coldestTier: input.zone.coldestTier,
    expirationDays: requested,
  });
  const justifications: RetentionJustification[] = [];
  const zoneJustification = checkPersonalRetention(`zone ${input.zone}`, input.dataClass, input.regime, plan.expirationDays, input.retentionJustification, input.context);
  if (zoneJustification) justifications.push(zoneJustification);
  const prefixes = rules.map((rule, index) => {
    const { lifecycle, justification } = prefixLifecycle(input, plan, rule, index);
    if (justification) justifications.push(justification);
    return lifecycle;
  });
  return { zone: input.zone, plan, prefixes, justifications };
}

function transitionsOf(plan: RetentionPlan): s3.Transition[] {
  return plan.transitions.map((t) => ({ storageClass: new s3.StorageClass(t.tier.storageClass), transitionAfter: Duration.days(t.afterDays) }));
}

/**
 * Renders a plan as S3 lifecycle rules: a bucket-wide retention rule, a cleanup rule (abort
 * incomplete multipart uploads, remove expired delete markers; S3 forbids combining the latter
 * with a days-based expiry in one rule) and one rule per prefix.
 */
export function toLifecycleRules(lifecycle: Pick<ZoneLifecycle, 'plan' | 'prefixes'>): s3.LifecycleRule[] {
  const { plan } = lifecycle;
  const rules: s3.LifecycleRule[] = [
    {
      id: `retention-${plan.dataClass.id}-${plan.regime.id.toLowerCase()}`,
      transitions: transitionsOf(plan),
      expiration: plan.expirationDays === undefined ? undefined : Duration.days(plan.expirationDays),
      noncurrentVersionExpiration: Duration.days(plan.noncurrentExpirationDays),
    },
    {
      id: 'cleanup-multipart-and-delete-markers',
      abortIncompleteMultipartUploadAfter: Duration.days(plan.abortIncompleteMultipartUploadDays),
      expiredObjectDeleteMarker: plan.removeExpiredDeleteMarkers,
    },
  ];
  for (const prefix of lifecycle.prefixes) {
    rules.push({
      id: prefix.ruleId,
      prefix: prefix.rule.prefix,
      transitions: transitionsOf(prefix.plan),
      expiration: prefix.plan.expirationDays === undefined ? undefined : Duration.days(prefix.plan.expirationDays),
      noncurrentVersionExpiration: Duration.days(prefix.plan.noncurrentExpirationDays),
    });
  }
  return rules;
}

/**
 * Writes the bucket's retention into the template metadata, so auditors read the data class,
 * regime, days and any justification next to the resource.
 */
export function recordRetention(bucket: s3.Bucket, lifecycle: ZoneLifecycle): void {
  const cfn = bucket.node.defaultChild as s3.CfnBucket;
  const plan = lifecycle.plan;
  cfn.addMetadata('paved-road:retention', {
    lakeZone: lifecycle.zone.id,
    dataClass: plan.dataClass.id,
    regime: plan.regime.id,
    expirationDays: plan.expirationDays ?? 'none',
    noncurrentExpirationDays: plan.noncurrentExpirationDays,
    transitions: plan.transitions.map((t) => `${t.tier}@${t.afterDays}d`),
    prefixes: lifecycle.prefixes.map((p) => ({ prefix: p.rule.prefix, kind: p.rule.kind.id, dataClass: p.plan.dataClass.id, expirationDays: p.plan.expirationDays ?? 'none' })),
  });
  if (lifecycle.justifications.length > 0) {
    cfn.addMetadata('paved-road:retention-justifications', lifecycle.justifications);
  }
}
