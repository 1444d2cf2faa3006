/**
 * Facts about AWS regions that paved-road needs at synth time, recorded as data so that
 * synthesis never has to ask AWS (no context lookups, no credentials).
 *
 * Sources: AWS Regional Services lists, the Bedrock cross-region inference profile
 * documentation (geographic prefixes) and the Deep Learning Containers region table
 * (registry accounts). GPU families list only those known to be offered for SageMaker
 * real-time inference in the region; an empty list means "not verified", not "none".
 * Extend this file when AWS adds a region or capacity; never guess in code.
 */

/** What paved-road knows about one AWS region. */
export interface RegionInfo {
  /** Region code, e.g. `eu-central-1`. */
  readonly region: string;
  /**
   * Id of the residency zone the region belongs to (`EU`, `IN`, `US`), or `undefined` for a
   * known region outside every zone (recorded so that profile destinations can be checked).
   */
  readonly zone?: string;
  /**
   * Prefixes of the Bedrock geographic cross-region inference profiles sourced from this
   * region (`eu`, `us`, `apac`, `in`). Every region sharing a prefix is a possible destination.
   * @default - none: the region sources no geographic profile
   */
  readonly inferenceProfilePrefixes?: string[];
  /** AWS account that hosts the SageMaker Deep Learning Container images in this region. */
  readonly dlcRegistryAccount: string;
  /** GPU instance families (e.g. `g5`) known to be available for SageMaker hosting. */
  readonly gpuInstanceFamilies: string[];
  /** Availability zone names used for subnets, so that no AZ lookup is needed. */
  readonly availabilityZones: string[];
  /** The region's pair for in-zone disaster recovery, if the zone has a second region. */
  readonly drPartner?: string;
}

const azs = (region: string): string[] => [`${region}a`, `${region}b`, `${region}c`];
const DLC_DEFAULT_ACCOUNT = '763104351884';

const REGIONS: RegionInfo[] = [
  // EU / GDPR. eu-west-2 (UK) and eu-central-2 (Switzerland) hold EU adequacy decisions, and
  // both are destinations of the `eu.` inference profiles, so the zone must contain them for
  // `eu.` routing to be lawful.
  { region: 'eu-central-1', zone: 'EU', inferenceProfilePrefixes: ['eu'], dlcRegistryAccount: DLC_DEFAULT_ACCOUNT, gpuInstanceFamilies: ['g4dn', 'g5', 'g6'], availabilityZones: azs('eu-central-1'), drPartner: 'eu-west-1' },
  { region: 'eu-west-1', zone: 'EU', inferenceProfilePrefixes: ['eu'], dlcRegistryAccount: DLC_DEFAULT_ACCOUNT, gpuInstanceFamilies: ['g4dn', 'g5', 'g6', 'p4d'], availabilityZones: azs('eu-west-1'), drPartner: 'eu-central-1' },
  { region: 'eu-west-2', zone: 'EU', inferenceProfilePrefixes: ['eu'], dlcRegistryAccount: DLC_DEFAULT_ACCOUNT, gpuInstanceFamilies: ['g4dn', 'g5'], availabilityZones: azs('eu-west-2') },
  { region: 'eu-west-3', zone: 'EU', inferenceProfilePrefixes: ['eu'], dlcRegistryAccount: DLC_DEFAULT_ACCOUNT, gpuInstanceFamilies: ['g4dn'], availabilityZones: azs('eu-west-3') },
  { region: 'eu-north-1', zone: 'EU', inferenceProfilePrefixes: ['eu'], dlcRegistryAccount: DLC_DEFAULT_ACCOUNT, gpuInstanceFamilies: ['g4dn'], availabilityZones: azs('eu-north-1') },
  { region: 'eu-south-1', zone: 'EU', inferenceProfilePrefixes: ['eu'], dlcRegistryAccount: '692866216735', gpuInstanceFamilies: [], availabilityZones: azs('eu-south-1') },
  { region: 'eu-south-2', zone: 'EU', inferenceProfilePrefixes: ['eu'], dlcRegistryAccount: '503227376785', gpuInstanceFamilies: [], availabilityZones: azs('eu-south-2') },
  { region: 'eu-central-2', zone: 'EU', inferenceProfilePrefixes: ['eu'], dlcRegistryAccount: '380420809688', gpuInstanceFamilies: [], availabilityZones: azs('eu-central-2') },
  // India / DPDP. Both Indian regions are sources of the `apac.` profiles, whose other
  // destinations are outside India, and of the `in.` profiles (e.g. Claude Haiku 4.5), which
  // route only between Mumbai and Hyderabad: `in.` is allowed, `apac.` is not.
  { region: 'ap-south-1', zone: 'IN', inferenceProfilePrefixes: ['apac', 'in'], dlcRegistryAccount: DLC_DEFAULT_ACCOUNT, gpuInstanceFamilies: ['g4dn', 'g5', 'g6'], availabilityZones: azs('ap-south-1'), drPartner: 'ap-south-2' },
  { region: 'ap-south-2', zone: 'IN', inferenceProfilePrefixes: ['apac', 'in'], dlcRegistryAccount: '772153158452', gpuInstanceFamilies: [], availabilityZones: azs('ap-south-2'), drPartner: 'ap-south-1' },
  // United States.
  { region: 'us-east-1', zone: 'US', inferenceProfilePrefixes: ['us'], dlcRegistryAccount: DLC_DEFAULT_ACCOUNT, gpuInstanceFamilies: ['g4dn', 'g5', 'g6', 'g6e', 'p4d', 'p5'], availabilityZones: azs('us-east-1'), drPartner: 'us-west-2' },
  { region: 'us-east-2', zone: 'US', inferenceProfilePrefixes: ['us'], dlcRegistryAccount: DLC_DEFAULT_ACCOUNT, gpuInstanceFamilies: ['g4dn', 'g5', 'g6'], availabilityZones: azs('us-east-2') },
  { region: 'us-west-1', zone: 'US', inferenceProfilePrefixes: ['us'], dlcRegistryAccount: DLC_DEFAULT_ACCOUNT, gpuInstanceFamilies: ['g4dn'], availabilityZones: azs('us-west-1').slice(0, 2) },
  { region: 'us-west-2', zone: 'US', inferenceProfilePrefixes: ['us'], dlcRegistryAccount: DLC_DEFAULT_ACCOUNT, gpuInstanceFamilies: ['g4dn', 'g5', 'g6', 'g6e', 'p4d', 'p5'], availabilityZones: azs('us-west-2'), drPartner: 'us-east-1' },
  // Outside every zone: recorded because they are `apac.` profile destinations.
  { region: 'ap-northeast-1', inferenceProfilePrefixes: ['apac'], dlcRegistryAccount: DLC_DEFAULT_ACCOUNT, gpuInstanceFamilies: [], availabilityZones: azs('ap-northeast-1') },
  { region: 'ap-northeast-2', inferenceProfilePrefixes: ['apac'], dlcRegistryAccount: DLC_DEFAULT_ACCOUNT, gpuInstanceFamilies: [], availabilityZones: azs('ap-northeast-2') },
  { region: 'ap-southeast-1', inferenceProfilePrefixes: ['apac'], dlcRegistryAccount: DLC_DEFAULT_ACCOUNT, gpuInstanceFamilies: [], availabilityZones: azs('ap-southeast-1') },
  { region: 'ap-southeast-2', inferenceProfilePrefixes: ['apac'], dlcRegistryAccount: DLC_DEFAULT_ACCOUNT, gpuInstanceFamilies: [], availabilityZones: azs('ap-southeast-2') },
];

const BY_REGION = new Map(REGIONS.map((info) => [info.region, info]));

/** Read access to the region catalogue. */
export class RegionCatalogue {
  /** Every region in the catalogue. */
  public static all(): RegionInfo[] {
    return [...REGIONS];
  }

  /** The catalogue entry for `region`, or `undefined` if the region is not recorded. */
  public static tryLookup(region: string): RegionInfo | undefined {
    return BY_REGION.get(region);
  }

  /** Regions that are possible destinations of a geographic inference profile prefix. */
  public static profileDestinations(prefix: string): string[] {
    return REGIONS.filter((info) => info.inferenceProfilePrefixes?.includes(prefix)).map((info) => info.region);
  }

  private constructor() {}
}
