import { PavedRoadError } from '../core/errors';
import { RegionCatalogue, type RegionInfo } from './region-catalogue';

/** Profile prefixes Bedrock uses for cross-region inference that are not in the catalogue. */
const PROFILE_PREFIXES_OUTSIDE_CATALOGUE = ['global', 'us-gov', 'jp', 'au', 'ca'];

/** The privacy regime that decides retention defaults inside a residency zone. */
export class PrivacyRegime {
  /** EU General Data Protection Regulation. */
  public static readonly GDPR = new PrivacyRegime('GDPR');
  /** India's Digital Personal Data Protection Act, 2023, and its 2025 Rules. */
  public static readonly DPDP = new PrivacyRegime('DPDP');
  /** United States: sectoral and state privacy law, no federal storage-limitation duty. */
  public static readonly US = new PrivacyRegime('US');

  private constructor(
    /** Short name used in tags and documentation. */
    public readonly id: string,
  ) {}

  public toString(): string {
    return this.id;
  }
}

/**
 * A residency zone: the set of regions an environment's data, calls and replicas must stay in.
 *
 * Regions come from the {@link RegionCatalogue}, so the zone, the Bedrock profile check and the
 * disaster-recovery partner all read the same data.
 */
export class ResidencyZone {
  /** European Union and GDPR-adequate neighbours reached by the `eu.` inference profiles. */
  public static readonly EU = new ResidencyZone('EU', PrivacyRegime.GDPR);
  /** India (DPDP Act): Mumbai and Hyderabad, Bedrock strictly in-region. */
  public static readonly IN = new ResidencyZone('IN', PrivacyRegime.DPDP);
  /** United States commercial regions. */
  public static readonly US = new ResidencyZone('US', PrivacyRegime.US);

  /** Every zone. */
  public static all(): ResidencyZone[] {
    return [ResidencyZone.EU, ResidencyZone.IN, ResidencyZone.US];
  }

  /** The zone with this id, or an error that lists the valid ids. */
  public static fromId(id: string, context: string): ResidencyZone {
    const zone = ResidencyZone.all().find((z) => z.id === id);
    if (!zone) {
      throw new PavedRoadError(`${context}: residency zone '${id}' is unknown (use one of: ${ResidencyZone.all().map((z) => z.id).join(', ')})`);
    }
    return zone;
  }

  private constructor(
    /** Zone id, e.g. `EU`. */
    public readonly id: string,
    /** The privacy regime that sets retention defaults in this zone. */
    public readonly regime: PrivacyRegime,
  ) {}

  /** Regions inside the zone, from the region catalogue. */
  public get regions(): string[] {
    return RegionCatalogue.all().filter((info) => info.zone === this.id).map((info) => info.region);
  }

  /**
   * Whether `region` is inside the zone.
   * @param info the region's entry; defaults to the catalogue's (pass an override entry here)
   */
  public includesRegion(region: string, info: RegionInfo | undefined = RegionCatalogue.tryLookup(region)): boolean {
    return info?.region === region && info.zone === this.id;
  }

  /**
   * Throws unless `region` is inside the zone.
   * @param context names the environment or construct, so the message says where to fix it
   * @param info the region's entry; defaults to the catalogue's (pass an override entry here)
   */
  public assertRegion(region: string, context: string, info?: RegionInfo): void {
    if (!this.includesRegion(region, info ?? RegionCatalogue.tryLookup(region))) {
      throw new PavedRoadError(`${context}: region ${region} is outside residency zone ${this.id} (allowed: ${this.regions.join(', ')})`);
    }
  }

  /**
   * The geographic inference-profile prefix of a Bedrock model or profile id
   * (`eu.anthropic.claude-...` → `eu`), or `undefined` for an in-region model id.
   */
  public static profilePrefixOf(modelId: string): string | undefined {
    const first = modelId.split('.')[0];
    const known = new Set([...PROFILE_PREFIXES_OUTSIDE_CATALOGUE, ...RegionCatalogue.all().flatMap((info) => info.inferenceProfilePrefixes ?? [])]);
    return known.has(first) && modelId.includes('.') ? first : undefined;
  }

  /**
   * Whether Bedrock may route `modelId` from inside this zone: always for an in-region model id;
   * for a geographic profile only when every destination region is inside the zone; never for
   * `global.` profiles.
   */
  public allowsModel(modelId: string): boolean {
    const prefix = ResidencyZone.profilePrefixOf(modelId);
    if (prefix === undefined) return true;
    const destinations = RegionCatalogue.profileDestinations(prefix);
    return destinations.length > 0 && destinations.every((region) => this.includesRegion(region));
  }

  /** Throws unless {@link allowsModel} holds, naming the profile's destinations. */
  public assertModel(modelId: string, context: string): void {
    if (this.allowsModel(modelId)) return;
    const prefix = ResidencyZone.profilePrefixOf(modelId)!;
    const outside = RegionCatalogue.profileDestinations(prefix).filter((region) => !this.includesRegion(region));
    const where = prefix === 'global'
      ? 'global profiles route to any commercial region'
      : outside.length > 0 ? `'${prefix}.' profiles route to ${outside.join(', ')}` : `'${prefix}.' profile destinations are not in the region catalogue`;
    const allowed = this.profilePrefixes();
    throw new PavedRoadError(`${context}: Bedrock model '${modelId}' leaves residency zone ${this.id} (${where}); use the in-region model id${allowed.length ? ` or a profile with prefix '${allowed.join("./")}.'` : ''}`);
  }

  /** Geographic profile prefixes whose every destination lies inside the zone. */
  public profilePrefixes(): string[] {
    const prefixes = new Set(RegionCatalogue.all().filter((info) => info.zone === this.id).flatMap((info) => info.inferenceProfilePrefixes ?? []));
    return [...prefixes].filter((p) => this.allowsModel(`${p}.probe`));
  }

  /**
   * The in-zone disaster-recovery partner of `region`.
   * @throws if the catalogue records no partner inside the zone
   */
  public drPartnerOf(region: string, context: string): string {
    const partner = RegionCatalogue.tryLookup(region)?.drPartner;
    if (!partner || !this.includesRegion(partner)) {
      throw new PavedRoadError(`${context}: region ${region} has no disaster-recovery partner inside residency zone ${this.id}; set one in lib/residency/region-catalogue.ts`);
    }
    return partner;
  }

  public toString(): string {
    return this.id;
  }
}

/**
 * Resolves the catalogue entry for an environment's region.
 * @param override an explicit entry for a region the catalogue does not know yet
 */
export function resolveRegionInfo(region: string, context: string, override?: RegionInfo): RegionInfo {
  if (override) {
    if (override.region !== region) {
      throw new PavedRoadError(`${context}: regionInfo override is for ${override.region} but the environment is in ${region}; make them match`);
    }
    return override;
  }
  const info = RegionCatalogue.tryLookup(region);
  if (!info) {
    throw new PavedRoadError(`${context}: region ${region} is not in the region catalogue; add it to lib/residency/region-catalogue.ts or pass an explicit regionInfo override`);
  }
  return info;
}
