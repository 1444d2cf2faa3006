/**
 * Facts about AWS regions that paved-road needs at synth time, recorded as data so that
 * synthesis never has to ask AWS (no context lookups, no credentials).
 *
 * Sources: AWS Regional Services lists, the Bedrock cross-region inference profile
 * documentation (geographic prefixes), the Deep Learning Containers region table
 * (registry accounts) and the OpenSearch Service version announcements (engine versions). GPU
 * families list only those known to be offered for SageMaker real-time inference in the region;
 * an empty list means "not verified", not "none".
 * Extend this file when AWS adds a region or capacity; never guess in code.
 */

/** An OpenSearch Service engine version recorded as offered in a region, and where that is recorded. */
export interface RecordedEngineVersion {
  /** The `EngineVersion` of `AWS::OpenSearchService::Domain`, e.g. `OpenSearch_3.7`. */
  readonly version: string;
  /** Where the version's availability in the region is recorded: a page, or the command and date of a check. */
  readonly source: string;
  /** Whether someone checked the region itself (`aws opensearch list-versions --region <region>`). */
  readonly checkedInRegion: boolean;
}

/**
 * OpenSearch 3.7, announced for every region that offers OpenSearch Service. The announcement
 * (AWS What's New, 2026-07-30, https://aws.amazon.com/about-aws/whats-new/2026/07/amazon-opensearch-service/)
 * was not readable offline; it is recorded as quoted by aws/aws-cdk#38484, which added
 * `EngineVersion.OPENSEARCH_3_7` ("in all regions where the service is available"), and by an
 * independent summary of the same announcement
 * (https://takech9203.github.io/aws-news-summary/20260730-amazon-opensearch-service.html). No
 * region was checked (checkedInRegion: false): docs/retrieval.md gives the first-deploy check.
 */
const OPENSEARCH_3_7_ANNOUNCED: RecordedEngineVersion = {
  version: 'OpenSearch_3.7',
  source: 'AWS What\'s New 2026-07-30 (https://aws.amazon.com/about-aws/whats-new/2026/07/amazon-opensearch-service/), as quoted by https://github.com/aws/aws-cdk/pull/38484: available in all regions where OpenSearch Service is available',
  checkedInRegion: false,
};

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
  /**
   * Whether the region is an opt-in region: launched after 20 March 2019, disabled in every
   * account until the account enables it, and unusable before (no CDK bootstrap, no stacks)
   * (https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-regions.html). Launch
   * dates as recorded in the region comments; check an account with
   * `aws account get-region-opt-status --region-name <region>`.
   * @default false - enabled by default
   */
  readonly optIn?: boolean;
  /**
   * The OpenSearch Service engine version retrieval (HybridSearch) deploys in the region.
   * @default - none recorded: HybridSearch refuses the region until one is
   */
  readonly openSearchEngine?: RecordedEngineVersion;
}

const azs = (region: string): string[] => [`${region}a`, `${region}b`, `${region}c`];
const DLC_DEFAULT_ACCOUNT = '763104351884';

const REGIONS: RegionInfo[] = [
  // EU / GDPR. eu-west-2 (UK) and eu-central-2 (Switzerland) hold EU adequacy decisions, and
  // both are destinations of the `eu.` inference profiles, so the zone must contain them for
  // `eu.` routing to be lawful. Opt-in: eu-south-1 (Milan, launched 2020), eu-south-2 (Spain)
  // and eu-central-2 (Zurich), both launched 2022.
  { region: 'eu-central-1', zone: 'EU', inferenceProfilePrefixes: ['eu'], dlcRegistryAccount: DLC_DEFAULT_ACCOUNT, gpuInstanceFamilies: ['g4dn', 'g5', 'g6'], availabilityZones: azs('eu-central-1'), drPartner: 'eu-west-1' , openSearchEngine: OPENSEARCH_3_7_ANNOUNCED },
  { region: 'eu-west-1', zone: 'EU', inferenceProfilePrefixes: ['eu'], dlcRegistryAccount: DLC_DEFAULT_ACCOUNT, gpuInstanceFamilies: ['g4dn', 'g5', 'g6', 'p4d'], availabilityZones: azs('eu-west-1'), drPartner: 'eu-central-1' , openSearchEngine: OPENSEARCH_3_7_ANNOUNCED },
  { region: 'eu-west-2', zone: 'EU', inferenceProfilePrefixes: ['eu'], dlcRegistryAccount: DLC_DEFAULT_ACCOUNT, gpuInstanceFamilies: ['g4dn', 'g5'], availabilityZones: azs('eu-west-2') , openSearchEngine: OPENSEARCH_3_7_ANNOUNCED },
  { region: 'eu-west-3', zone: 'EU', inferenceProfilePrefixes: ['eu'], dlcRegistryAccount: DLC_DEFAULT_ACCOUNT, gpuInstanceFamilies: ['g4dn'], availabilityZones: azs('eu-west-3') , openSearchEngine: OPENSEARCH_3_7_ANNOUNCED },
  { region: 'eu-north-1', zone: 'EU', inferenceProfilePrefixes: ['eu'], dlcRegistryAccount: DLC_DEFAULT_ACCOUNT, gpuInstanceFamilies: ['g4dn'], availabilityZones: azs('eu-north-1') , openSearchEngine: OPENSEARCH_3_7_ANNOUNCED },
  { region: 'eu-south-1', optIn: true, zone: 'EU', inferenceProfilePrefixes: ['eu'], dlcRegistryAccount: '692866216735', gpuInstanceFamilies: [], availabilityZones: azs('eu-south-1') , openSearchEngine: OPENSEARCH_3_7_ANNOUNCED },
  { region: 'eu-south-2', optIn: true, zone: 'EU', inferenceProfilePrefixes: ['eu'], dlcRegistryAccount: '503227376785', gpuInstanceFamilies: [], availabilityZones: azs('eu-south-2') , openSearchEngine: OPENSEARCH_3_7_ANNOUNCED },
  { region: 'eu-central-2', optIn: true, zone: 'EU', inferenceProfilePrefixes: ['eu'], dlcRegistryAccount: '380420809688', gpuInstanceFamilies: [], availabilityZones: azs('eu-central-2') , openSearchEngine: OPENSEARCH_3_7_ANNOUNCED },
  // India / DPDP. Both Indian regions are sources of the `apac.` profiles, whose other
  // destinations are outside India, and of the `in.` profiles (e.g. Claude Haiku 4.5), which
  // route only between Mumbai and Hyderabad: `in.` is allowed, `apac.` is not. Opt-in:
  // ap-south-2 (Hyderabad, launched 2022).
  { region: 'ap-south-1', zone: 'IN', inferenceProfilePrefixes: ['apac', 'in'], dlcRegistryAccount: DLC_DEFAULT_ACCOUNT, gpuInstanceFamilies: ['g4dn', 'g5', 'g6'], availabilityZones: azs('ap-south-1'), drPartner: 'ap-south-2' , openSearchEngine: OPENSEARCH_3_7_ANNOUNCED },
  { region: 'ap-south-2', optIn: true, zone: 'IN', inferenceProfilePrefixes: ['apac', 'in'], dlcRegistryAccount: '772153158452', gpuInstanceFamilies: [], availabilityZones: azs('ap-south-2'), drPartner: 'ap-south-1' , openSearchEngine: OPENSEARCH_3_7_ANNOUNCED },
  // United States.
  { region: 'us-east-1', zone: 'US', inferenceProfilePrefixes: ['us'], dlcRegistryAccount: DLC_DEFAULT_ACCOUNT, gpuInstanceFamilies: ['g4dn', 'g5', 'g6', 'g6e', 'p4d', 'p5'], availabilityZones: azs('us-east-1'), drPartner: 'us-west-2' , openSearchEngine: OPENSEARCH_3_7_ANNOUNCED },
  { region: 'us-east-2', zone: 'US', inferenceProfilePrefixes: ['us'], dlcRegistryAccount: DLC_DEFAULT_ACCOUNT, gpuInstanceFamilies: ['g4dn', 'g5', 'g6'], availabilityZones: azs('us-east-2') , openSearchEngine: OPENSEARCH_3_7_ANNOUNCED },
  { region: 'us-west-1', zone: 'US', inferenceProfilePrefixes: ['us'], dlcRegistryAccount: DLC_DEFAULT_ACCOUNT, gpuInstanceFamilies: ['g4dn'], availabilityZones: azs('us-west-1').slice(0, 2) , openSearchEngine: OPENSEARCH_3_7_ANNOUNCED },
  { region: 'us-west-2', zone: 'US', inferenceProfilePrefixes: ['us'], dlcRegistryAccount: DLC_DEFAULT_ACCOUNT, gpuInstanceFamilies: ['g4dn', 'g5', 'g6', 'g6e', 'p4d', 'p5'], availabilityZones: azs('us-west-2'), drPartner: 'us-east-1' , openSearchEngine: OPENSEARCH_3_7_ANNOUNCED },
  // Outside every zone: recorded because they are `apac.` profile destinations.
  { region: 'ap-northeast-1', inferenceProfilePrefixes: ['apac'], dlcRegistryAccount: DLC_DEFAULT_ACCOUNT, gpuInstanceFamilies: [], availabilityZones: azs('ap-northeast-1') , openSearchEngine: OPENSEARCH_3_7_ANNOUNCED },
  { region: 'ap-northeast-2', inferenceProfilePrefixes: ['apac'], dlcRegistryAccount: DLC_DEFAULT_ACCOUNT, gpuInstanceFamilies: [], availabilityZones: azs('ap-northeast-2') , openSearchEngine: OPENSEARCH_3_7_ANNOUNCED },
  { region: 'ap-southeast-1', inferenceProfilePrefixes: ['apac'], dlcRegistryAccount: DLC_DEFAULT_ACCOUNT, gpuInstanceFamilies: [], availabilityZones: azs('ap-southeast-1') , openSearchEngine: OPENSEARCH_3_7_ANNOUNCED },
  { region: 'ap-southeast-2', inferenceProfilePrefixes: ['apac'], dlcRegistryAccount: DLC_DEFAULT_ACCOUNT, gpuInstanceFamilies: [], availabilityZones: azs('ap-southeast-2') , openSearchEngine: OPENSEARCH_3_7_ANNOUNCED },
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
