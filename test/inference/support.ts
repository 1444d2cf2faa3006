import { type App, Duration, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { acknowledgeFinding, bindEnvironment, DataClass, type EnvironmentSpec, Foundation, type GpuInferenceEndpointProps, ModelArchitecture, ResidencyZone, resolveEnvironment, Stage, WeightPrecision } from '../../lib';
import { enableEventBridgeNotifications } from '../../lib/foundation/bucket-notifications';

/** A stack bound to an environment, with a foundation and two encrypted buckets standing in for the data lake. */
export interface InferenceFixture {
  readonly stack: Stack;
  readonly foundation: Foundation;
  readonly modelBucket: s3.Bucket;
  readonly captureBucket: s3.Bucket;
  readonly captureKey: kms.IKey;
}

export const EU_PROD: EnvironmentSpec = { name: 'eu-prod', account: '111111111111', region: 'eu-central-1', zone: ResidencyZone.EU, stage: Stage.PROD };
export const EU_DEV: EnvironmentSpec = { name: 'eu-dev', account: '222222222222', region: 'eu-west-1', zone: ResidencyZone.EU, stage: Stage.DEV };
export const US_PROD: EnvironmentSpec = { name: 'us-prod', account: '444444444444', region: 'us-east-1', zone: ResidencyZone.US, stage: Stage.PROD };

/** Builds the fixture in a new stack of `app`. */
export function inferenceFixture(app: App, spec: EnvironmentSpec, id = 'Inference'): InferenceFixture {
  const environment = resolveEnvironment(spec);
  const stack = new Stack(app, id, { env: { account: environment.account, region: environment.region } });
  bindEnvironment(stack, environment);
  const foundation = new Foundation(stack, 'Foundation', { environment });
  const bucket = (bucketId: string, key: kms.IKey): s3.Bucket => {
    const b = new s3.Bucket(stack, bucketId, {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: foundation.accessLogBucket,
      serverAccessLogsPrefix: `${bucketId}/`,
      lifecycleRules: [{ id: 'expire', expiration: Duration.days(365), noncurrentVersionExpiration: Duration.days(7), abortIncompleteMultipartUploadAfter: Duration.days(7) }],
      objectLockEnabled: true,
      objectLockDefaultRetention: s3.ObjectLockRetention.governance(Duration.days(1)),
    });
    enableEventBridgeNotifications(b);
    // The data lake owns these buckets in the platform and replicates them to the zone's DR region.
    const reason = 'Test stand-in for a data-lake bucket; the lake construct replicates its buckets to the in-zone disaster-recovery region.';
    acknowledgeFinding(b, ...['HIPAA.Security', 'NIST.800.53.R5', 'PCI.DSS.321'].map((pack) => ({ id: `${pack}-S3BucketReplicationEnabled`, reason })));
    return b;
  };
  const captureKey = foundation.keyFor(DataClass.PERSONAL);
  return {
    stack,
    foundation,
    modelBucket: bucket('ModelArtifacts', foundation.keyFor(DataClass.CONFIDENTIAL)),
    captureBucket: bucket('Capture', captureKey),
    captureKey,
  };
}


/** The props every test starts from: Llama 3.1 8B in bf16 from a prefix of uncompressed files. */
export function baseProps(fixture: InferenceFixture): GpuInferenceEndpointProps {
  return {
    foundation: fixture.foundation,
    modelArtifactsBucket: fixture.modelBucket,
    modelDataKey: 'models/llama-3-1-8b/',
    captureBucket: fixture.captureBucket,
    model: { architecture: ModelArchitecture.LLAMA_3_1_8B, precision: WeightPrecision.BF16 },
  };
}
