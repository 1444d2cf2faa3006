import { CfnOutput, Fn, Stack, type StackProps, Stage } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { PavedRoadError } from '../core/errors';
import { AccountBaseline } from './account-baseline';
import type { AccountBaselinePlan } from './plan';

/**
 * The CloudFormation export every account baseline stack writes and every environment stack of
 * its account and region imports. Its value never changes (CloudFormation refuses to change an
 * export that is imported); a baseline that needs new prerequisites gets a new export name.
 */
export const ACCOUNT_BASELINE_EXPORT = 'paved-road:account-baseline:v1';

/** Properties of an {@link AccountBaselineStack}. */
export interface AccountBaselineStackProps extends Omit<StackProps, 'env'> {
  /** What the baseline creates, and for which environments: from `planAccountBaselines`. */
  readonly plan: AccountBaselinePlan;
}

/**
 * The account baseline of one account and region: deployed once, before the first environment
 * there, and shared by every environment in that account and region.
 *
 * Named `paved-road-account-baseline` in every account and region (stack names are unique per
 * account and region), with termination protection: its resources are retained on deletion, so
 * a deleted and redeployed baseline would fail on the service-linked role that still exists.
 */
export class AccountBaselineStack extends Stack {
  /** What this baseline creates, and for which environments. */
  public readonly plan: AccountBaselinePlan;
  /** The prerequisites themselves. */
  public readonly baseline: AccountBaseline;

  constructor(scope: Construct, id: string, props: AccountBaselineStackProps) {
    const plan = props.plan;
    super(scope, id, {
      ...props,
      env: { account: plan.account, region: plan.region },
      stackName: props.stackName ?? 'paved-road-account-baseline',
      description: props.description ?? `paved-road account baseline of ${plan.account} in ${plan.region}: one-time prerequisites of ${plan.environments.join(', ')}; deploy it before them`,
      terminationProtection: props.terminationProtection ?? true,
      tags: { ...props.tags, 'paved-road:account-baseline': plan.region, 'paved-road:residency-zone': plan.zone.id },
    });
    this.plan = plan;
    this.baseline = new AccountBaseline(this, 'Baseline', {
      apiGatewayCloudWatchRole: plan.apiGatewayCloudWatchRole,
      openSearchServiceLinkedRole: plan.openSearchServiceLinkedRole,
    });
    new CfnOutput(this, 'Version', {
      value: '1',
      exportName: ACCOUNT_BASELINE_EXPORT,
      description: 'Imported by the paved-road environment stacks of this account and region: they cannot deploy before this baseline, and it cannot be deleted while they exist',
    });
  }

  /**
   * Makes `stack` import this baseline's export, so that CloudFormation refuses to deploy it
   * before the baseline ("No export named paved-road:account-baseline:v1 found") and refuses to
   * delete the baseline while it exists. Works across stages, where CDK dependencies cannot.
   * @throws PavedRoadError if `stack` deploys into another account or region
   */
  public requireBefore(stack: Stack): void {
    if (stack.account !== this.account || stack.region !== this.region) {
      throw new PavedRoadError(`${stack.node.path}: deploys into ${stack.account}/${stack.region} but the account baseline ${this.node.path} is for ${this.account}/${this.region}; use the baseline of the stack's own account and region`);
    }
    new CfnOutput(stack, 'AccountBaseline', {
      value: Fn.importValue(ACCOUNT_BASELINE_EXPORT),
      description: `Version of the account baseline this stack needs; deploy it first: npx cdk deploy '${this.node.path}'`,
    });
  }
}

/** Properties of an {@link AccountBaselineStage}. */
export interface AccountBaselineStageProps {
  /** The baselines of one account, one per region: from `planAccountBaselines`. */
  readonly plans: readonly AccountBaselinePlan[];
}

/**
 * The account baselines of one account, as a CDK stage named `baseline-<account>` with one stack
 * per region (construct id = region). The baseline that creates the account's service-linked
 * role deploys first; the others depend on it.
 */
export class AccountBaselineStage extends Stage {
  /** One stage per account, in the order the plans name the accounts. */
  public static forPlans(scope: Construct, plans: readonly AccountBaselinePlan[]): AccountBaselineStage[] {
    const accounts = [...new Set(plans.map((plan) => plan.account))];
    return accounts.map((account) => new AccountBaselineStage(scope, { plans: plans.filter((plan) => plan.account === account) }));
  }

  /** The baseline stacks, one per region. */
  public readonly baselines: readonly AccountBaselineStack[];

  constructor(scope: Construct, props: AccountBaselineStageProps) {
    const accounts = [...new Set(props.plans.map((plan) => plan.account))];
    if (accounts.length !== 1) {
      throw new PavedRoadError(`AccountBaselineStage: pass the baselines of exactly one account (got ${accounts.length === 0 ? 'none' : accounts.join(', ')}); AccountBaselineStage.forPlans splits plans by account`);
    }
    super(scope, `baseline-${accounts[0]}`, { env: { account: accounts[0] } });
    this.baselines = props.plans.map((plan) => new AccountBaselineStack(this, plan.region, { plan }));
    const linkedRoleHome = this.baselines.find((stack) => stack.plan.openSearchServiceLinkedRole);
    for (const stack of this.baselines) {
      if (linkedRoleHome && stack !== linkedRoleHome) {
        stack.addStackDependency(linkedRoleHome, `the account's OpenSearch service-linked role is created by the baseline in ${linkedRoleHome.region}`);
      }
    }
  }

  /** The baseline stack of `region`, if this account has one there. */
  public baselineIn(region: string): AccountBaselineStack | undefined {
    return this.baselines.find((stack) => stack.region === region);
  }
}
