import { RemovalPolicy } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { PavedRoadError } from '../core/errors';

/**
 * The one context flag that lets a dev environment destroy stateful data on stack deletion.
 * Staging and prod ignore it: their stateful resources are always retained.
 */
export const DESTROY_DEV_DATA_CONTEXT = 'paved-road:destroy-dev-data';

/** Alarm thresholds a stage sets for the constructs deployed into it. */
export interface AlarmThresholds {
  /** Share of failed invocations, in percent, above which an error alarm fires. */
  readonly errorRatePercent: number;
  /** p99 latency, in milliseconds, above which a latency alarm fires. */
  readonly p99LatencyMs: number;
}

/**
 * The lifecycle stage of an environment. Sets the defaults that differ between dev and prod:
 * how many availability zones, whether data may be destroyed, how tight the alarms are.
 */
export class Stage {
  /** Developer environment: two AZs, data retained unless the destroy flag is set. */
  public static readonly DEV = new Stage('dev', 2, { errorRatePercent: 10, p99LatencyMs: 15_000 });
  /** Pre-production: prod-like retention, two AZs. */
  public static readonly STAGING = new Stage('staging', 2, { errorRatePercent: 5, p99LatencyMs: 10_000 });
  /** Production: three AZs, data always retained, tight alarms. */
  public static readonly PROD = new Stage('prod', 3, { errorRatePercent: 1, p99LatencyMs: 5_000 });

  /** Every stage. */
  public static all(): Stage[] {
    return [Stage.DEV, Stage.STAGING, Stage.PROD];
  }

  /** The stage with this id, or an error that lists the valid ids. */
  public static fromId(id: string, context: string): Stage {
    const stage = Stage.all().find((s) => s.id === id);
    if (!stage) {
      throw new PavedRoadError(`${context}: stage '${id}' is unknown (use one of: ${Stage.all().map((s) => s.id).join(', ')})`);
    }
    return stage;
  }

  private constructor(
    /** Stage id: `dev`, `staging` or `prod`. */
    public readonly id: string,
    /** Number of availability zones for subnets and zone-aware services. */
    public readonly availabilityZoneCount: number,
    /** Alarm thresholds for this stage. */
    public readonly alarmThresholds: AlarmThresholds,
  ) {}

  /** Whether this is the production stage. */
  public get isProd(): boolean {
    return this === Stage.PROD;
  }

  /**
   * Removal policy for stateful resources (keys, buckets, tables, domains, log groups):
   * RETAIN_ON_UPDATE_OR_DELETE everywhere, except a dev environment whose app sets
   * {@link DESTROY_DEV_DATA_CONTEXT}.
   *
   * That is DeletionPolicy `RetainExceptOnCreate` and UpdateReplacePolicy `Retain`: kept on stack
   * deletion and replacement like `Retain`, but deleted when the stack operation that created
   * the resource rolls back, so a failed first deploy leaves no empty, orphaned resource whose
   * name blocks the retry (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html).
   */
  public statefulRemovalPolicy(scope: IConstruct): RemovalPolicy {
    const flag = scope.node.tryGetContext(DESTROY_DEV_DATA_CONTEXT);
    const destroy = flag === true || flag === 'true';
    return this === Stage.DEV && destroy ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE;
  }

  /**
   * Removal policy for a stateful resource that has deletion protection on: RETAIN. Rolling back
   * its create would try to delete it, which deletion protection refuses (DynamoDB:
   * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-dynamodb-table.html#cfn-dynamodb-table-deletionprotectionenabled,
   * Cognito: https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-settings-deletion-protection.html),
   * leaving the stack in ROLLBACK_FAILED. Give such a resource a generated name, so that one kept
   * after a failed first deploy does not block the retry. Without deletion protection, the
   * {@link statefulRemovalPolicy}.
   */
  public deletionProtectedRemovalPolicy(scope: IConstruct, deletionProtection: boolean): RemovalPolicy {
    return deletionProtection ? RemovalPolicy.RETAIN : this.statefulRemovalPolicy(scope);
  }

  public toString(): string {
    return this.id;
  }
}
