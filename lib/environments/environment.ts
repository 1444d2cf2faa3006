import { Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { AccountBaselineProps } from '../account-baseline/account-baseline';
import { PavedRoadError } from '../core/errors';
import { RegionCatalogue, type RegionInfo } from '../residency/region-catalogue';
import { ResidencyZone, resolveRegionInfo } from '../residency/residency-zone';
import type { Stage } from './stage';

/** One entry of an environment catalogue, as a platform team writes it. */
export interface EnvironmentSpec {
  /** Environment name: lower-case letters, digits and dashes, e.g. `eu-prod`. */
  readonly name: string;
  /** The 12-digit AWS account id the environment deploys into. */
  readonly account: string;
  /** The AWS region the environment deploys into; must lie inside {@link zone}. */
  readonly region: string;
  /** The residency zone nothing in this environment may leave. */
  readonly zone: ResidencyZone;
  /** The lifecycle stage, which sets multi-AZ, removal and alarm defaults. */
  readonly stage: Stage;
  /**
   * Catalogue entry for a region the region catalogue does not know yet.
   * @default - the entry from lib/residency/region-catalogue.ts; an unknown region is refused
   */
  readonly regionInfo?: RegionInfo;
  /**
   * What the account baseline of this environment's account and region creates (docs/deploy.md).
   * Environments sharing an account and region share one baseline and must agree.
   * @default - everything a fresh account needs: the API Gateway CloudWatch Logs role of the
   * region and the account's OpenSearch service-linked role
   */
  readonly accountBaseline?: AccountBaselineProps;
}

/** A validated environment: the spec plus everything resolved from the catalogue. */
export interface PavedRoadEnvironment extends EnvironmentSpec {
  /** The region's catalogue entry (or the override). */
  readonly regionInfo: RegionInfo;
}

const NAME_PATTERN = /^[a-z][a-z0-9-]{1,30}[a-z0-9]$/;
const ACCOUNT_PATTERN = /^\d{12}$/;

/**
 * Validates one catalogue entry.
 * @throws PavedRoadError naming the entry, the bad value and the fix
 */
export function resolveEnvironment(spec: EnvironmentSpec): PavedRoadEnvironment {
  const entry = `environment '${spec.name}'`;
  if (!NAME_PATTERN.test(spec.name)) {
    throw new PavedRoadError(`${entry}: name must be 3-32 lower-case letters, digits or dashes, starting with a letter (e.g. 'eu-prod')`);
  }
  if (!ACCOUNT_PATTERN.test(spec.account)) {
    throw new PavedRoadError(`${entry}: account '${spec.account}' is not a 12-digit AWS account id; set the id of the account this environment deploys into`);
  }
  if (!(spec.zone instanceof ResidencyZone)) {
    throw new PavedRoadError(`${entry}: zone must be one of ResidencyZone.${ResidencyZone.all().map((z) => z.id).join(', ResidencyZone.')}`);
  }
  const regionInfo = resolveRegionInfo(spec.region, entry, spec.regionInfo);
  spec.zone.assertRegion(spec.region, entry, regionInfo);
  if (regionInfo.availabilityZones.length < spec.stage.availabilityZoneCount) {
    throw new PavedRoadError(`${entry}: stage ${spec.stage} needs ${spec.stage.availabilityZoneCount} availability zones but ${spec.region} lists ${regionInfo.availabilityZones.length} in the region catalogue; add them there`);
  }
  return { ...spec, regionInfo };
}

/**
 * Validates a whole catalogue and picks the environments to synthesize.
 * @param only the name given with `-c env=NAME`; undefined selects every environment
 */
export function selectEnvironments(specs: EnvironmentSpec[], only?: string): PavedRoadEnvironment[] {
  const seen = new Set<string>();
  for (const spec of specs) {
    if (seen.has(spec.name)) {
      throw new PavedRoadError(`environment '${spec.name}': name is used twice in the catalogue; give each environment a unique name`);
    }
    seen.add(spec.name);
  }
  const resolved = specs.map(resolveEnvironment);
  if (only === undefined) return resolved;
  const match = resolved.filter((env) => env.name === only);
  if (match.length === 0) {
    throw new PavedRoadError(`-c env=${only}: no such environment (known: ${resolved.map((env) => env.name).join(', ')})`);
  }
  return match;
}

/** The tags every stack of an environment carries; the compliance report reads them. */
export function environmentTags(environment: PavedRoadEnvironment): Record<string, string> {
  return {
    'paved-road:environment': environment.name,
    'paved-road:residency-zone': environment.zone.id,
    'paved-road:stage': environment.stage.id,
  };
}

const ENVIRONMENT_OF_STACK = new WeakMap<Stack, PavedRoadEnvironment>();

/**
 * Records which environment a stack belongs to, for constructs and compliance checks, and pins the
 * stack's availability zones to the region catalogue's names.
 *
 * `Stack.availabilityZones` is aws-cdk-lib's documented override point; left alone it performs an
 * AZ context lookup, which needs AWS credentials (the VPC calls it even when given explicit AZs).
 */
export function bindEnvironment(stack: Stack, environment: PavedRoadEnvironment): void {
  ENVIRONMENT_OF_STACK.set(stack, environment);
  Object.defineProperty(stack, 'availabilityZones', { get: () => environment.regionInfo.availabilityZones, configurable: true });
}

/** The environment bound to the stack that contains `scope`, if any. */
export function tryEnvironmentOf(scope: IConstruct): PavedRoadEnvironment | undefined {
  return ENVIRONMENT_OF_STACK.get(Stack.of(scope));
}

/**
 * The residency zone that governs `scope`: the bound environment's zone, or else the zone the
 * region catalogue records for the stack's region. `undefined` for an environment-agnostic stack.
 */
export function residencyZoneOf(scope: IConstruct): ResidencyZone | undefined {
  const bound = tryEnvironmentOf(scope);
  if (bound) return bound.zone;
  const zoneId = RegionCatalogue.tryLookup(Stack.of(scope).region)?.zone;
  return ResidencyZone.all().find((zone) => zone.id === zoneId);
}
