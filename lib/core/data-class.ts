/**
 * How sensitive a piece of data is. Decides which KMS key encrypts it and, in the data lake,
 * how long it may be kept.
 *
 * An enum-like class rather than a string union so that product teams get a closed set
 * and auditors find the same five names in every template tag.
 */
export class DataClass {
  /** Published or publishable material. */
  public static readonly PUBLIC = new DataClass('public', false);
  /** Internal business data with no personal content. */
  public static readonly INTERNAL = new DataClass('internal', false);
  /** Business secrets: contracts, source, model weights, unreleased material. */
  public static readonly CONFIDENTIAL = new DataClass('confidential', false);
  /** Personal data (GDPR Art. 4(1), DPDP Act s. 2(t)): names, e-mail, prompts that mention people. */
  public static readonly PERSONAL = new DataClass('personal', true);
  /** Special-category personal data: biometrics, faces, precise location, health. */
  public static readonly SENSITIVE_PERSONAL = new DataClass('sensitive-personal', true);

  /** Every data class, least sensitive first. */
  public static all(): DataClass[] {
    return [DataClass.PUBLIC, DataClass.INTERNAL, DataClass.CONFIDENTIAL, DataClass.PERSONAL, DataClass.SENSITIVE_PERSONAL];
  }

  private constructor(
    /** Stable identifier, used in tags, key aliases and construct ids. */
    public readonly id: string,
    /** Whether the class holds personal data, which must always expire. */
    public readonly isPersonal: boolean,
  ) {}

  public toString(): string {
    return this.id;
  }
}
