import { PavedRoadError } from '../core/errors';
import type { EnvironmentSpec } from '../environments/environment';
import type { ResidencyZone } from '../residency/residency-zone';

/** What the account baseline of one account and region creates, derived from the catalogue. */
export interface AccountBaselinePlan {
  /** The 12-digit AWS account id. */
  readonly account: string;
  /** The region the baseline deploys into. */
  readonly region: string;
  /** The residency zone of the environments in this account and region. */
  readonly zone: ResidencyZone;
  /** Names of the catalogue environments that deploy into this account and region. */
  readonly environments: readonly string[];
  /** Whether the baseline sets the region's API Gateway CloudWatch Logs role. */
  readonly apiGatewayCloudWatchRole: boolean;
  /**
   * Whether this baseline creates the account's OpenSearch service-linked role: IAM is global,
   * so only the baseline of the account's first region in the catalogue does.
   */
  readonly openSearchServiceLinkedRole: boolean;
}

type BaselineSetting = 'apiGatewayCloudWatchRole' | 'openSearchServiceLinkedRole';

/** The one value that every environment in `group` gives `setting` (unset means true). */
function agreedSetting(group: readonly EnvironmentSpec[], setting: BaselineSetting, shared: string, why: string): boolean {
  const value = (spec: EnvironmentSpec) => spec.accountBaseline?.[setting] ?? true;
  const dissent = group.find((spec) => value(spec) !== value(group[0]));
  if (dissent) {
    throw new PavedRoadError(`environments '${group[0].name}' and '${dissent.name}' share ${shared} but disagree on accountBaseline.${setting}; ${why}, so set the same value on every environment there`);
  }
  return value(group[0]);
}

/**
 * Plans one baseline per account and region of the catalogue, in catalogue order, and keeps the
 * ones the selected environments need: their own account and region's, and the baseline that
 * creates their account's OpenSearch service-linked role. Baselines with nothing to create are
 * left out.
 *
 * The whole catalogue is planned even when one environment is selected (`-c env=NAME`), so that
 * the account's service-linked role always belongs to the same baseline.
 * @throws PavedRoadError if environments sharing an account (and region) disagree on a setting
 */
export function planAccountBaselines(catalogue: readonly EnvironmentSpec[], selected: readonly EnvironmentSpec[] = catalogue): AccountBaselinePlan[] {
  const groups = new Map<string, EnvironmentSpec[]>();
  for (const spec of catalogue) {
    const key = `${spec.account}/${spec.region}`;
    groups.set(key, [...groups.get(key) ?? [], spec]);
  }
  const linkedRoleCreatedBy = new Map<string, string>();
  const plans: AccountBaselinePlan[] = [];
  for (const [key, group] of groups) {
    const { account, region } = group[0];
    const accountEnvironments = catalogue.filter((spec) => spec.account === account);
    const accountNeedsLinkedRole = agreedSetting(accountEnvironments, 'openSearchServiceLinkedRole', `account ${account}`, 'the service-linked role is one per account (IAM is global)');
    if (accountNeedsLinkedRole && !linkedRoleCreatedBy.has(account)) linkedRoleCreatedBy.set(account, key);
    plans.push({
      account,
      region,
      zone: group[0].zone,
      environments: group.map((spec) => spec.name),
      apiGatewayCloudWatchRole: agreedSetting(group, 'apiGatewayCloudWatchRole', `account ${account} in ${region}`, 'the API Gateway account setting is one per account and region'),
      openSearchServiceLinkedRole: linkedRoleCreatedBy.get(account) === key,
    });
  }
  const wanted = (plan: AccountBaselinePlan) => selected.some((spec) => spec.account === plan.account
    && (spec.region === plan.region || plan.openSearchServiceLinkedRole));
  return plans.filter((plan) => (plan.apiGatewayCloudWatchRole || plan.openSearchServiceLinkedRole) && wanted(plan));
}
