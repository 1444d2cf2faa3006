import { DataClass } from '../core/data-class';
import { PavedRoadError } from '../core/errors';
import { PrivacyRegime } from '../residency/residency-zone';

/**
 * An S3 storage class a lifecycle rule may move objects into, with the facts that decide
 * whether the move pays: the earliest day S3 allows it and the minimum storage duration
 * S3 bills for (deleting earlier costs the remainder anyway).
 */
export class StorageTier {
  /** S3 Standard-IA: half the storage price, retrieval fee, 30-day minimum, allowed from day 30. */
  public static readonly INFREQUENT_ACCESS = new StorageTier('STANDARD_IA', 30, 30);
  /** S3 Glacier Instant Retrieval: millisecond reads (Athena still queries it), 90-day minimum. */
  public static readonly GLACIER_INSTANT_RETRIEVAL = new StorageTier('GLACIER_IR', 90, 90);
  /** S3 Glacier Deep Archive: cheapest, restores take hours, 180-day minimum. */
  public static readonly DEEP_ARCHIVE = new StorageTier('DEEP_ARCHIVE', 180, 180);

  /** Every tier, warmest first. */
  public static all(): StorageTier[] {
    return [StorageTier.INFREQUENT_ACCESS, StorageTier.GLACIER_INSTANT_RETRIEVAL, StorageTier.DEEP_ARCHIVE];
  }

  private constructor(
    /** The S3 storage class name, as in `x-amz-storage-class` and CloudFormation. */
    public readonly storageClass: string,
    /** The day after creation on which paved-road moves objects into this tier. */
    public readonly transitionDay: number,
    /** Days S3 bills for at minimum once an object enters this tier. */
    public readonly minimumStorageDays: number,
  ) {}

  /** Whether this tier is at least as cold as `other`. */
  public isAtLeastAsColdAs(other: StorageTier): boolean {
    return StorageTier.all().indexOf(this) >= StorageTier.all().indexOf(other);
  }

  public toString(): string {
    return this.storageClass;
  }
}

/** One storage-class transition of a retention plan. */
export interface TierTransition {
  /** The tier objects move into. */
  readonly tier: StorageTier;
  /** Days after object creation. */
  readonly afterDays: number;
}

/** A row of the default retention table: one data class under one privacy regime. */
export interface RetentionDefault {
  /** The data class. */
  readonly dataClass: DataClass;
  /** The privacy regime. */
  readonly regime: PrivacyRegime;
  /** Days after which current versions expire; `undefined` keeps them (non-personal classes only). */
  readonly expirationDays?: number;
  /** Days after which a version that was overwritten or deleted is removed for good. */
  readonly noncurrentExpirationDays: number;
  /** Why these numbers, in one sentence, for docs/data-lake.md and the template metadata. */
  readonly rationale: string;
}

/** Everything a lifecycle rule set needs, derived from a data class and a privacy regime. */
export interface RetentionPlan {
  /** The data class the plan is for. */
  readonly dataClass: DataClass;
  /** The privacy regime the plan is for. */
  readonly regime: PrivacyRegime;
  /** Days after which current versions expire; `undefined` keeps them. */
  readonly expirationDays?: number;
  /** Days after which noncurrent versions are removed. */
  readonly noncurrentExpirationDays: number;
  /** Storage-class transitions that pay before expiry, earliest first. */
  readonly transitions: TierTransition[];
  /** Days after which incomplete multipart uploads are aborted. */
  readonly abortIncompleteMultipartUploadDays: number;
  /** Whether delete markers with no versions left behind are removed. Always true. */
  readonly removeExpiredDeleteMarkers: boolean;
}

/** Options of {@link retentionPlan}. */
export interface RetentionPlanOptions {
  /**
   * The coldest tier the data may move into. Zones that Athena or a serving endpoint reads
   * stop at Glacier Instant Retrieval; archives may go to Deep Archive.
   * @default StorageTier.DEEP_ARCHIVE
   */
  readonly coldestTier?: StorageTier;
  /**
   * Current-version expiry overriding the table; `null` keeps current versions.
   * @default - the table's value
   */
  readonly expirationDays?: number | null;
  /**
   * Noncurrent-version expiry overriding the table.
   * @default - the table's value
   */
  readonly noncurrentExpirationDays?: number;
}

/** Incomplete multipart uploads are invisible, billed storage: abort them after a week. */
export const ABORT_INCOMPLETE_MULTIPART_UPLOAD_DAYS = 7;

/**
 * How long log data (application, access and processing logs that name people) is kept,
 * per regime. DPDP Rules 2025 r. 8(3) set a one-year minimum for processing logs; GDPR's
 * storage limitation and supervisory-authority guidance (e.g. CNIL: six months to a year)
 * favour the short end; the US has no federal rule, so the operational year applies.
 */
export const LOG_RETENTION_DAYS: ReadonlyMap<PrivacyRegime, number> = new Map([
  [PrivacyRegime.GDPR, 180],
  [PrivacyRegime.DPDP, 365],
  [PrivacyRegime.US, 365],
]);

/** The DPDP Rules' minimum retention of processing logs, in days. */
export const DPDP_LOG_MINIMUM_DAYS = 365;

const KEEP = undefined;
const PERSONAL_NONCURRENT_DAYS = 30;
const BUSINESS_NONCURRENT_DAYS = 90;

const nonPersonal = (dataClass: DataClass, why: string): RetentionDefault[] => [PrivacyRegime.GDPR, PrivacyRegime.DPDP, PrivacyRegime.US].map((regime) => ({
  dataClass, regime, expirationDays: KEEP, noncurrentExpirationDays: BUSINESS_NONCURRENT_DAYS, rationale: why,
}));

/**
 * The default retention table (class × regime → days). docs/data-lake.md prints and explains it;
 * test/data-lake/retention.test.ts pins every cell.
 */
export const RETENTION_TABLE: readonly RetentionDefault[] = [
  ...nonPersonal(DataClass.PUBLIC, 'No personal data and no storage-limitation duty; tiering controls cost, prefix rules control accumulation.'),
  ...nonPersonal(DataClass.INTERNAL, 'No personal data; business records may have their own statutory minimums, so nothing expires by default.'),
  ...nonPersonal(DataClass.CONFIDENTIAL, 'No personal data; contracts, weights and source often carry multi-year statutory retention.'),
  {
    dataClass: DataClass.PERSONAL, regime: PrivacyRegime.GDPR, expirationDays: 365, noncurrentExpirationDays: PERSONAL_NONCURRENT_DAYS,
    rationale: 'GDPR Art. 5(1)(e) storage limitation: one year covers a yearly processing cycle; erased versions go within the one-month erasure deadline of Art. 12(3).',
  },
  {
    dataClass: DataClass.PERSONAL, regime: PrivacyRegime.DPDP, expirationDays: 365, noncurrentExpirationDays: PERSONAL_NONCURRENT_DAYS,
    rationale: 'DPDP Act s. 8(7) erasure duty once the purpose is served, bounded below by the one-year retention of processing data and logs in DPDP Rules 2025 r. 8(3).',
  },
  {
    dataClass: DataClass.PERSONAL, regime: PrivacyRegime.US, expirationDays: 730, noncurrentExpirationDays: PERSONAL_NONCURRENT_DAYS,
    rationale: 'No federal storage limitation; CCPA s. 1798.100(a)(3) requires a disclosed, reasonably necessary period: two years.',
  },
  {
    dataClass: DataClass.SENSITIVE_PERSONAL, regime: PrivacyRegime.GDPR, expirationDays: 90, noncurrentExpirationDays: PERSONAL_NONCURRENT_DAYS,
    rationale: 'Special-category data (GDPR Art. 9): data minimisation and storage limitation call for the shortest default, one quarter.',
  },
  {
    dataClass: DataClass.SENSITIVE_PERSONAL, regime: PrivacyRegime.DPDP, expirationDays: 365, noncurrentExpirationDays: PERSONAL_NONCURRENT_DAYS,
    rationale: 'DPDP has no special categories; the one-year minimum of DPDP Rules 2025 r. 8(3) is also the erasure default.',
  },
  {
    dataClass: DataClass.SENSITIVE_PERSONAL, regime: PrivacyRegime.US, expirationDays: 365, noncurrentExpirationDays: PERSONAL_NONCURRENT_DAYS,
    rationale: 'State biometric and sensitive-data laws (Illinois BIPA, Texas CUBI, CPRA) require destruction once the purpose ends: one year.',
  },
];

/** The table row for `dataClass` under `regime`. */
export function retentionDefault(dataClass: DataClass, regime: PrivacyRegime): RetentionDefault {
  const row = RETENTION_TABLE.find((r) => r.dataClass === dataClass && r.regime === regime);
  if (!row) {
    throw new PavedRoadError(`retention table: no row for data class ${dataClass} under regime ${regime}; add one to lib/data-lake/retention.ts`);
  }
  return row;
}

/**
 * The transitions that pay: a tier is used only if objects stay in it at least its minimum
 * storage duration before the next transition or expiry, and only up to `coldestTier`.
 */
export function payingTransitions(expirationDays: number | undefined, coldestTier: StorageTier): TierTransition[] {
  const candidates = StorageTier.all().filter((tier) => coldestTier.isAtLeastAsColdAs(tier));
  const chosen: TierTransition[] = [];
  let boundary = expirationDays ?? Number.POSITIVE_INFINITY;
  for (const tier of [...candidates].reverse()) {
    if (boundary - tier.transitionDay >= tier.minimumStorageDays) {
      chosen.unshift({ tier, afterDays: tier.transitionDay });
      boundary = tier.transitionDay;
    }
  }
  return chosen;
}

function assertPositiveDays(days: number, what: string): void {
  if (!Number.isInteger(days) || days < 1) {
    throw new PavedRoadError(`${what}: ${days} is not a whole number of days >= 1; set a positive integer`);
  }
}

/**
 * The lifecycle plan for data of `dataClass` in an environment under `regime`: the table's
 * expiry and noncurrent expiry (or the overrides), the transitions that pay before expiry,
 * abort of incomplete multipart uploads after 7 days and removal of expired delete markers.
 */
export function retentionPlan(dataClass: DataClass, regime: PrivacyRegime, options: RetentionPlanOptions = {}): RetentionPlan {
  const row = retentionDefault(dataClass, regime);
  const expirationDays = options.expirationDays === null ? undefined : options.expirationDays ?? row.expirationDays;
  const noncurrentExpirationDays = options.noncurrentExpirationDays ?? row.noncurrentExpirationDays;
  if (expirationDays !== undefined) assertPositiveDays(expirationDays, `retention of ${dataClass} data: expirationDays`);
  assertPositiveDays(noncurrentExpirationDays, `retention of ${dataClass} data: noncurrentExpirationDays`);
  return {
    dataClass,
    regime,
    expirationDays,
    noncurrentExpirationDays,
    transitions: payingTransitions(expirationDays, options.coldestTier ?? StorageTier.DEEP_ARCHIVE),
    abortIncompleteMultipartUploadDays: ABORT_INCOMPLETE_MULTIPART_UPLOAD_DAYS,
    removeExpiredDeleteMarkers: true,
  };
}

/** Whether `dataClass` is more sensitive than `other` (later in {@link DataClass.all}). */
export function isMoreSensitive(dataClass: DataClass, other: DataClass): boolean {
  return DataClass.all().indexOf(dataClass) > DataClass.all().indexOf(other);
}
