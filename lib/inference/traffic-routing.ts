import { Duration } from 'aws-cdk-lib';
import { PavedRoadError } from '../core/errors';

/** Options of {@link TrafficRouting.canary}. */
export interface CanaryTrafficRoutingOptions {
  /**
   * Share of the new (green) fleet's capacity that takes traffic first, 1-50 percent.
   * @default 25
   */
  readonly canaryPercent?: number;
  /**
   * How long the canary bakes, watched by the rollback alarms, before the rest shifts.
   * @default Duration.minutes(10)
   */
  readonly bakeTime?: Duration;
}

/** Options of {@link TrafficRouting.linear}. */
export interface LinearTrafficRoutingOptions {
  /**
   * Share of the green fleet's capacity added per step, 10-50 percent.
   * @default 25
   */
  readonly stepPercent?: number;
  /**
   * How long each step bakes, watched by the rollback alarms.
   * @default Duration.minutes(5)
   */
  readonly bakeTime?: Duration;
}

/** The CloudFormation shape of a traffic routing, shared by endpoint and inference-component updates. */
export interface TrafficRoutingSpec {
  /** `CANARY`, `LINEAR` or `ALL_AT_ONCE`. */
  readonly type: string;
  /** Percent of capacity per step (the canary, or a linear step); 100 for all at once. */
  readonly stepPercent: number;
  /** Bake time per step, in seconds. */
  readonly waitSeconds: number;
  /** Number of steps until the green fleet takes all traffic. */
  readonly steps: number;
}

/**
 * How an update shifts traffic from the old (blue) fleet to the new (green) fleet. Every step
 * bakes while the endpoint's rollback alarms watch it; an alarm rolls all traffic back to blue.
 */
export class TrafficRouting {
  /** A canary share of the green fleet first, then the rest after the bake time. */
  public static canary(options: CanaryTrafficRoutingOptions = {}): TrafficRouting {
    const percent = options.canaryPercent ?? 25;
    if (!Number.isInteger(percent) || percent < 1 || percent > 50) {
      throw new PavedRoadError(`TrafficRouting.canary: canaryPercent ${percent} must be a whole number from 1 to 50 (SageMaker limits the canary to half the green fleet)`);
    }
    return new TrafficRouting('CANARY', percent, bakeSeconds(options.bakeTime ?? Duration.minutes(10), 'canary'), 2);
  }

  /** Equal steps of the green fleet, each baking before the next. */
  public static linear(options: LinearTrafficRoutingOptions = {}): TrafficRouting {
    const percent = options.stepPercent ?? 25;
    if (!Number.isInteger(percent) || percent < 10 || percent > 50) {
      throw new PavedRoadError(`TrafficRouting.linear: stepPercent ${percent} must be a whole number from 10 to 50 (the SageMaker limits for a linear step)`);
    }
    return new TrafficRouting('LINEAR', percent, bakeSeconds(options.bakeTime ?? Duration.minutes(5), 'linear'), Math.ceil(100 / percent));
  }

  private constructor(
    private readonly type: string,
    private readonly stepPercent: number,
    private readonly waitSeconds: number,
    private readonly steps: number,
  ) {}

  /** The routing as plain values, for the construct that renders it. */
  public get spec(): TrafficRoutingSpec {
    return { type: this.type, stepPercent: this.stepPercent, waitSeconds: this.waitSeconds, steps: this.steps };
  }

  /**
   * Upper bound on a whole update: an hour to provision GPU instances and load weights, plus
   * every bake, capped at SageMaker's 8-hour maximum.
   */
  public get maximumExecutionSeconds(): number {
    return Math.min(28_800, 3_600 + (this.steps + 1) * this.waitSeconds);
  }
}

function bakeSeconds(bakeTime: Duration, kind: string): number {
  const seconds = bakeTime.toSeconds();
  if (seconds < 60 || seconds > 3_600) {
    throw new PavedRoadError(`TrafficRouting.${kind}: bakeTime ${seconds}s must be between 1 minute and 1 hour, long enough for the rollback alarms to evaluate`);
  }
  return seconds;
}
