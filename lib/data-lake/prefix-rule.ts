import type { DataClass } from '../core/data-class';
import type { LakeZone } from './lake-zone';

/**
 * How long a zone or prefix keeps current object versions.
 *
 * An enum-like class: the default follows the retention table; anything else is an explicit,
 * visible choice, and keeping personal data longer than the table needs a justification.
 */
export class LakeRetention {
  /** The retention table's value for the data class and the environment's regime. */
  public static classDefault(): LakeRetention {
    return new LakeRetention(undefined);
  }

  /** Expire current versions after `days` days. */
  public static expireAfterDays(days: number): LakeRetention {
    return new LakeRetention(days);
  }

  /** Never expire current versions. Personal data needs a retention justification for this. */
  public static keepIndefinitely(): LakeRetention {
    return new LakeRetention(null);
  }

  private constructor(
    /** Days, `null` to keep, or `undefined` for the table default. */
    public readonly expirationDays: number | null | undefined,
  ) {}

  /** Whether this is the table default. */
  public get isClassDefault(): boolean {
    return this.expirationDays === undefined;
  }

  public toString(): string {
    if (this.expirationDays === undefined) return 'class default';
    return this.expirationDays === null ? 'keep indefinitely' : `${this.expirationDays} days`;
  }
}

/** What every prefix rule names: the zone and the key prefix. */
export interface PrefixRuleOptions {
  /** The zone whose bucket holds the prefix. The audit zone takes no prefix rules. */
  readonly zone: LakeZone;
  /** Key prefix the rule applies to, ending in `/`, e.g. `uploads/zips/`. */
  readonly prefix: string;
}

/** Options of {@link PrefixRule.stagedUploads}. */
export interface StagedUploadsRuleOptions extends PrefixRuleOptions {
  /**
   * Days after which staged uploads expire; they are processed within minutes or hours.
   * Between 1 and 30.
   * @default 7
   */
  readonly expireAfterDays?: number;
}

/** Options of {@link PrefixRule.images}. */
export interface ImagesRuleOptions extends PrefixRuleOptions {
  /**
   * What the images show. Faces, licence plates or precise locations are `SENSITIVE_PERSONAL`.
   * @default - the zone's data class
   */
  readonly dataClass?: DataClass;
}

/** Options of {@link PrefixRule.logs}. */
export interface LogsRuleOptions extends PrefixRuleOptions {
  /**
   * Days after which log objects expire. Under DPDP at least 365 (processing-log minimum).
   * @default - LOG_RETENTION_DAYS of the environment's regime (GDPR 180, DPDP 365, US 365)
   */
  readonly expireAfterDays?: number;
  /**
   * The data class of the logs.
   * @default - the zone's data class
   */
  readonly dataClass?: DataClass;
}

/** Options of {@link PrefixRule.custom}. */
export interface CustomPrefixRuleOptions extends PrefixRuleOptions {
  /** The data class of the objects under the prefix; must not be more sensitive than the zone's. */
  readonly dataClass: DataClass;
  /**
   * How long current versions are kept.
   * @default LakeRetention.classDefault()
   */
  readonly retention?: LakeRetention;
  /**
   * Why personal data under this prefix is kept without expiry or longer than the retention
   * table. Recorded in the template metadata for auditors. At least 40 specific characters.
   * @default - none; keeping personal data longer than the table is then refused
   */
  readonly retentionJustification?: string;
}

/** The kind of a prefix rule, which decides how its retention is derived. */
export class PrefixRuleKind {
  /** Staged uploads (zips, multipart bundles): expire within days, no transitions. */
  public static readonly STAGED_UPLOADS = new PrefixRuleKind('staged-uploads');
  /** Image blobs: transitions, then expiry per data class. */
  public static readonly IMAGES = new PrefixRuleKind('images');
  /** Log data: expiry per privacy regime. */
  public static readonly LOGS = new PrefixRuleKind('logs');
  /** A product team's own rule. */
  public static readonly CUSTOM = new PrefixRuleKind('custom');

  private constructor(
    /** Identifier, used in lifecycle rule ids. */
    public readonly id: string,
  ) {}

  public toString(): string {
    return this.id;
  }
}

/**
 * A lifecycle rule for the blobs that pile up under one prefix of one zone.
 *
 * Product teams pass these in `DataLakeProps.prefixRules`. S3 applies the shortest expiry of
 * overlapping rules, so a prefix rule can only shorten the zone's retention, never lengthen it.
 */
export class PrefixRule {
  /** Staged uploads, such as zips waiting to be unpacked: expire after a week by default. */
  public static stagedUploads(options: StagedUploadsRuleOptions): PrefixRule {
    return new PrefixRule(PrefixRuleKind.STAGED_UPLOADS, options.zone, options.prefix, undefined, LakeRetention.expireAfterDays(options.expireAfterDays ?? 7));
  }

  /** Image blobs: move to cheaper tiers, then expire per their data class and the zone's regime. */
  public static images(options: ImagesRuleOptions): PrefixRule {
    return new PrefixRule(PrefixRuleKind.IMAGES, options.zone, options.prefix, options.dataClass, LakeRetention.classDefault());
  }

  /** Log data: expire per the environment's privacy regime. */
  public static logs(options: LogsRuleOptions): PrefixRule {
    const retention = options.expireAfterDays === undefined ? LakeRetention.classDefault() : LakeRetention.expireAfterDays(options.expireAfterDays);
    return new PrefixRule(PrefixRuleKind.LOGS, options.zone, options.prefix, options.dataClass, retention);
  }

  /** A product team's own rule, with an explicit data class and retention. */
  public static custom(options: CustomPrefixRuleOptions): PrefixRule {
    return new PrefixRule(PrefixRuleKind.CUSTOM, options.zone, options.prefix, options.dataClass, options.retention ?? LakeRetention.classDefault(), options.retentionJustification);
  }

  private constructor(
    /** How the rule's retention is derived. */
    public readonly kind: PrefixRuleKind,
    /** The zone whose bucket holds the prefix. */
    public readonly zone: LakeZone,
    /** The key prefix. */
    public readonly prefix: string,
    /** The data class of the objects, or `undefined` for the zone's. */
    public readonly dataClass: DataClass | undefined,
    /** How long current versions are kept. */
    public readonly retention: LakeRetention,
    /** Why personal data is kept longer than the table, if it is. */
    public readonly retentionJustification?: string,
  ) {}

  public toString(): string {
    return `${this.kind} rule on ${this.zone}/${this.prefix}`;
  }
}
