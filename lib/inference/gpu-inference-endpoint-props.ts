import type { Duration } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Foundation } from '../foundation/foundation';
import type { GpuFamily, GpuInstanceType } from './gpu-instance-type';
import type { InferenceCapacity, OfficeHours } from './inference-capacity';
import type { InferenceImage } from './inference-image';
import type { ModelSizingProps } from './sizing';
import type { TrafficRouting } from './traffic-routing';

/** Properties of a {@link GpuInferenceEndpoint}. */
export interface GpuInferenceEndpointProps {
  /** The environment's foundation: VPC, keys, log settings and the environment (region, stage). */
  readonly foundation: Foundation;
  /** The in-zone bucket holding the model weights (the data lake's model-artifact zone). */
  readonly modelArtifactsBucket: s3.IBucket;
  /**
   * Where the weights are in {@link modelArtifactsBucket}: a key ending in `.tar.gz` (a
   * compressed tarball) or a prefix ending in `/` (uncompressed files, loaded faster).
   */
  readonly modelDataKey: string;
  /**
   * Key that encrypts the model artifacts; the endpoint role may decrypt with it through S3 only.
   * @default - the bucket's `encryptionKey`, if any
   */
  readonly modelArtifactsKey?: kms.IKey;
  /** What the model is and the load it must hold; decides the instance type and tensor parallelism. */
  readonly model: ModelSizingProps;
  /** The in-zone bucket that receives captured requests and responses (the lake's inference-capture zone). */
  readonly captureBucket: s3.IBucket;
  /**
   * Key SageMaker encrypts captured data with.
   * @default - the capture bucket's `encryptionKey`; synthesis fails if it has none
   */
  readonly captureKey?: kms.IKey;
  /**
   * Prefix in {@link captureBucket} under which SageMaker writes `<endpoint>/<variant>/yyyy/mm/dd/hh/`.
   * @default 'data-capture'
   */
  readonly capturePrefix?: string;
  /**
   * Share of requests captured, 0-100. Captured prompts are personal data: capture what
   * monitoring needs, not more.
   * @default 10
   */
  readonly captureSamplingPercentage?: number;
  /**
   * The model-server image.
   * @default InferenceImage.lmi() - LMI from the region's Deep Learning Containers registry, pinned tag
   */
  readonly image?: InferenceImage;
  /**
   * Extra container environment. Model ids must point below /opt/ml/model and hub tokens are
   * refused: weights never come from an outside hub at run time.
   * @default - only the serving environment derived from the sizing
   */
  readonly containerEnvironment?: Record<string, string>;
  /**
   * Instance type, instead of the cheapest that fits; it must be available in the region and fit.
   * @default - chosen by sizing
   */
  readonly instanceType?: GpuInstanceType;
  /**
   * GPU families the sizing may choose from; each must be available in the region.
   * @default - every family available in the region
   */
  readonly gpuFamilies?: GpuFamily[];
  /**
   * Tensor-parallel degree, instead of the smallest that fits.
   * @default - chosen by sizing
   */
  readonly tensorParallelDegree?: number;
  /**
   * How many instances run and how they scale.
   * @default InferenceCapacity.instances() - 2 to 4 instances in prod, 1 to 2 elsewhere
   */
  readonly capacity?: InferenceCapacity;
  /**
   * Working hours; outside them the endpoint drops to its minimum (one instance, or zero copies).
   * @default - same capacity around the clock
   */
  readonly officeHours?: OfficeHours;
  /**
   * How updates shift traffic to the new fleet.
   * @default TrafficRouting.canary() - 25 % canary, 10-minute bake
   */
  readonly trafficRouting?: TrafficRouting;
  /**
   * p99 model latency above which the rollback alarm fires. LLM latency grows with output
   * length: set it from a load test of the model.
   * @default - the stage's `alarmThresholds.p99LatencyMs`
   */
  readonly latencyAlarmThreshold?: Duration;
  /**
   * Share of invocations failing with 5xx, in percent, above which the rollback alarm fires.
   * @default - the stage's `alarmThresholds.errorRatePercent`
   */
  readonly errorRateAlarmPercent?: number;
  /**
   * Topic the alarms notify.
   * @default - the foundation's alarm topic
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * Endpoint name; also names the alarms and the log group.
   * @default - a unique name derived from the construct path
   */
  readonly endpointName?: string;
}
