import { Duration, type TimeZone } from 'aws-cdk-lib';
import { PavedRoadError } from '../core/errors';

/** Options of {@link InferenceCapacity.instances}. */
export interface InstanceCapacityOptions {
  /**
   * Fewest instances. SageMaker spreads instances over availability zones, so 2 survives a zone.
   * @default - 2 in prod, 1 elsewhere
   */
  readonly minInstances?: number;
  /**
   * Most instances auto scaling may run.
   * @default - twice minInstances
   */
  readonly maxInstances?: number;
  /**
   * Invocations per instance per minute that target tracking keeps the fleet at.
   * @default - 3 x maxConcurrentSequences x model copies per instance (about 20 s per request at full batch)
   */
  readonly targetInvocationsPerInstancePerMinute?: number;
  /**
   * Also track average GPU utilization (the `GPUUtilization` endpoint metric) at this percent;
   * whichever policy asks for more instances wins.
   * @default - invocations only
   */
  readonly targetGpuUtilizationPercent?: number;
  /**
   * Wait after a scale-out before another; GPU instances take minutes to load weights.
   * @default Duration.minutes(5)
   */
  readonly scaleOutCooldown?: Duration;
  /**
   * Wait after a scale-in before another.
   * @default Duration.minutes(15)
   */
  readonly scaleInCooldown?: Duration;
}

/** Options of {@link InferenceCapacity.scaleToZero}. */
export interface ScaleToZeroCapacityOptions {
  /**
   * Most model copies (and, with one copy per instance, instances).
   * @default 2
   */
  readonly maxCopies?: number;
  /**
   * Invocations per copy per minute that target tracking keeps the copies at.
   * @default - 3 x maxConcurrentSequences
   */
  readonly targetInvocationsPerCopyPerMinute?: number;
  /**
   * Idle time after a scale-in before another; the last copy goes after this much quiet.
   * @default Duration.minutes(15)
   */
  readonly scaleInCooldown?: Duration;
}

/** Resolved capacity, for the construct that renders it. */
export interface InferenceCapacitySpec {
  /** Whether the endpoint hosts an inference component that can scale to zero. */
  readonly scaleToZero: boolean;
  /** Fewest instances (instance mode) or copies (scale-to-zero mode). */
  readonly min?: number;
  /** Most instances or copies. */
  readonly max?: number;
  /** Target invocations per instance or copy per minute. */
  readonly targetInvocationsPerMinute?: number;
  /** Target GPU utilization percent (instance mode only). */
  readonly targetGpuUtilizationPercent?: number;
  /** Scale-out cooldown. */
  readonly scaleOutCooldown: Duration;
  /** Scale-in cooldown. */
  readonly scaleInCooldown: Duration;
}

/**
 * How many GPU instances an endpoint runs and how it scales.
 *
 * `instances` is a classic endpoint with Application Auto Scaling on the variant's instance
 * count. `scaleToZero` hosts the model as an inference component on an endpoint with managed
 * instance scaling down to zero instances: no GPU cost while idle, but the first request after
 * idle fails while an instance starts (minutes), so it suits dev, not prod.
 */
export class InferenceCapacity {
  /** A fixed-model endpoint whose instance count tracks invocations (and optionally GPU utilization). */
  public static instances(options: InstanceCapacityOptions = {}): InferenceCapacity {
    const { minInstances, maxInstances } = options;
    positiveInteger('minInstances', minInstances, 1);
    positiveInteger('maxInstances', maxInstances, 1);
    if (minInstances !== undefined && maxInstances !== undefined && maxInstances < minInstances) {
      throw new PavedRoadError(`InferenceCapacity.instances: maxInstances ${maxInstances} is below minInstances ${minInstances}`);
    }
    positiveInteger('targetInvocationsPerInstancePerMinute', options.targetInvocationsPerInstancePerMinute, 1);
    const gpu = options.targetGpuUtilizationPercent;
    if (gpu !== undefined && !(gpu >= 10 && gpu <= 95)) {
      throw new PavedRoadError(`InferenceCapacity.instances: targetGpuUtilizationPercent ${gpu} must be between 10 and 95`);
    }
    return new InferenceCapacity({
      scaleToZero: false,
      min: minInstances,
      max: maxInstances,
      targetInvocationsPerMinute: options.targetInvocationsPerInstancePerMinute,
      targetGpuUtilizationPercent: gpu,
      scaleOutCooldown: options.scaleOutCooldown ?? Duration.minutes(5),
      scaleInCooldown: options.scaleInCooldown ?? Duration.minutes(15),
    });
  }

  /** An inference component on an endpoint that scales to zero instances when idle. */
  public static scaleToZero(options: ScaleToZeroCapacityOptions = {}): InferenceCapacity {
    positiveInteger('maxCopies', options.maxCopies, 1);
    positiveInteger('targetInvocationsPerCopyPerMinute', options.targetInvocationsPerCopyPerMinute, 1);
    return new InferenceCapacity({
      scaleToZero: true,
      min: 0,
      max: options.maxCopies ?? 2,
      targetInvocationsPerMinute: options.targetInvocationsPerCopyPerMinute,
      scaleOutCooldown: Duration.minutes(5),
      scaleInCooldown: options.scaleInCooldown ?? Duration.minutes(15),
    });
  }

  private constructor(
    /** The resolved capacity. */
    public readonly spec: InferenceCapacitySpec,
  ) {}
}

function positiveInteger(name: string, value: number | undefined, min: number): void {
  if (value !== undefined && !(Number.isInteger(value) && value >= min)) {
    throw new PavedRoadError(`InferenceCapacity: ${name} ${value} must be a whole number of at least ${min}`);
  }
}

/**
 * Working hours during which an endpoint keeps its configured capacity. Outside them, scheduled
 * scaling pins an instance endpoint to one instance and a scale-to-zero endpoint to zero copies.
 */
export interface OfficeHours {
  /** Time zone the hours are in, e.g. `TimeZone.EUROPE_BERLIN`. */
  readonly timeZone: TimeZone;
  /**
   * Hour (0-23) at which full capacity returns.
   * @default 7
   */
  readonly startHour?: number;
  /**
   * Hour (0-23) at which capacity drops, after startHour.
   * @default 19
   */
  readonly endHour?: number;
  /**
   * Days of the week, in cron day-of-week syntax.
   * @default 'MON-FRI'
   */
  readonly weekDays?: string;
}
