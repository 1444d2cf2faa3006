import { Duration, TimeZone, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import {
  DataClass, GpuFamily, GpuInferenceEndpoint, GpuInstanceType, InferenceCapacity, InferenceImage, ModelArchitecture, RegionCatalogue, ResidencyZone, Stage, TrafficRouting, WeightPrecision,
} from '../../lib';
import { testApp } from '../support/app';
import { baseProps, EU_DEV, EU_PROD, inferenceFixture, type InferenceFixture, US_PROD } from './support';

describe('GpuInferenceEndpoint with instance capacity (eu-prod)', () => {
  let fixture: InferenceFixture;
  let endpoint: GpuInferenceEndpoint;
  let template: Template;
  let invoker: iam.Role;

  beforeAll(() => {
    fixture = inferenceFixture(testApp(), EU_PROD);
    endpoint = new GpuInferenceEndpoint(fixture.stack, 'Llm', {
      ...baseProps(fixture),
      capacity: InferenceCapacity.instances({ targetGpuUtilizationPercent: 70 }),
      officeHours: { timeZone: TimeZone.EUROPE_BERLIN },
    });
    invoker = new iam.Role(fixture.stack, 'Gateway', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    endpoint.grantInvoke(invoker);
    template = Template.fromStack(fixture.stack);
  });

  it('picks the cheapest instance type that fits among the families of the region', () => {
    // eu-central-1 offers g4dn, g5 and g6: Llama 3.1 8B bf16 4k x 4 fits one L4 of ml.g6.2xlarge.
    expect(endpoint.instanceSelection.instanceType).toBe(GpuInstanceType.ML_G6_2XLARGE);
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [Match.objectLike({ InstanceType: 'ml.g6.2xlarge', InitialInstanceCount: 2, VariantName: 'AllTraffic' })],
    });
  });

  it('isolates the model from the network inside the foundation isolated subnets with its own security group', () => {
    const model = template.findResources('AWS::SageMaker::Model');
    const props = Object.values(model)[0].Properties;
    expect(props.EnableNetworkIsolation).toBe(true);
    const subnets = fixture.foundation.vpc.isolatedSubnets.map((s) => fixture.stack.resolve(s.subnetId));
    expect(props.VpcConfig.Subnets).toEqual(subnets);
    expect(props.VpcConfig.SecurityGroupIds).toEqual([fixture.stack.resolve(endpoint.securityGroup.securityGroupId)]);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^SageMaker endpoint'),
      SecurityGroupEgress: [{ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443, Description: Match.anyValue() }],
      SecurityGroupIngress: Match.absent(),
    });
  });

  it('loads the weights from the model-artifact bucket and never from a hub', () => {
    template.hasResourceProperties('AWS::SageMaker::Model', {
      PrimaryContainer: {
        Image: '763104351884.dkr.ecr.eu-central-1.amazonaws.com/djl-inference:0.33.0-lmi15.0.0-cu128',
        Environment: Match.objectLike({ HF_MODEL_ID: '/opt/ml/model', OPTION_TENSOR_PARALLEL_DEGREE: '1', OPTION_MAX_MODEL_LEN: '4096' }),
        ModelDataSource: {
          S3DataSource: {
            S3DataType: 'S3Prefix',
            CompressionType: 'None',
            S3Uri: { 'Fn::Join': ['', ['s3://', { Ref: fixture.stack.getLogicalId(fixture.modelBucket.node.defaultChild as never) }, '/models/llama-3-1-8b/']] },
          },
        },
      },
    });
  });

  it('captures a sample of requests and responses into the capture bucket, KMS-encrypted', () => {
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      DataCaptureConfig: {
        EnableCapture: true,
        InitialSamplingPercentage: 10,
        KmsKeyId: fixture.stack.resolve(fixture.captureKey.keyArn),
        DestinationS3Uri: { 'Fn::Join': ['', ['s3://', { Ref: fixture.stack.getLogicalId(fixture.captureBucket.node.defaultChild as never) }, '/data-capture']] },
        CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
      },
    });
  });

  it('sets no volume KmsKeyId, which SageMaker rejects for GPU instances with NVMe instance storage, and records why', () => {
    const configs = template.findResources('AWS::SageMaker::EndpointConfig');
    const config = Object.values(configs)[0];
    expect(config.Properties.KmsKeyId).toBeUndefined();
    const acknowledged = JSON.stringify(endpoint.node.findChild('EndpointConfig').node.metadata.filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY));
    expect(acknowledged).toContain('HIPAA.Security-SageMakerEndpointConfigurationKMSKeyConfigured');
    expect(acknowledged).toContain('NVMe instance storage');
  });

  it('deploys blue/green with a canary and rolls back on the 5xx and latency alarms', () => {
    template.hasResourceProperties('AWS::SageMaker::Endpoint', {
      EndpointName: endpoint.endpointName,
      DeploymentConfig: {
        BlueGreenUpdatePolicy: {
          TrafficRoutingConfiguration: { Type: 'CANARY', CanarySize: { Type: 'CAPACITY_PERCENT', Value: 25 }, WaitIntervalInSeconds: 600 },
          TerminationWaitInSeconds: 600,
          MaximumExecutionTimeoutInSeconds: 3600 + 3 * 600,
        },
        AutoRollbackConfiguration: { Alarms: endpoint.rollbackAlarms.map((alarm) => ({ AlarmName: fixture.stack.resolve(alarm.alarmName) })) },
      },
      RetainAllVariantProperties: true,
      ExcludeRetainedVariantProperties: [{ VariantPropertyType: 'DataCaptureConfig' }],
    });
  });

  it('alarms on the stage thresholds and notifies an encrypted topic', () => {
    const topic = fixture.stack.resolve((endpoint.alarmTopic as unknown as { topicArn: string }).topicArn);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `${endpoint.endpointName}-p99-model-latency`,
      MetricName: 'ModelLatency',
      Namespace: 'AWS/SageMaker',
      ExtendedStatistic: 'p99',
      Dimensions: Match.arrayWith([{ Name: 'EndpointName', Value: endpoint.endpointName }, { Name: 'VariantName', Value: 'AllTraffic' }]),
      // Stage.PROD: p99 5,000 ms; ModelLatency is in microseconds.
      Threshold: 5_000_000,
      AlarmActions: [topic],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `${endpoint.endpointName}-5xx-rate`,
      Threshold: 1,
      Metrics: Match.arrayWith([Match.objectLike({ Expression: 'IF(invocations > 0, 100 * FILL(errors, 0) / invocations, 0)' })]),
      AlarmActions: [topic],
    });
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: fixture.stack.resolve(fixture.foundation.keyFor(DataClass.INTERNAL).keyArn) });
  });

  it('tracks invocations per instance and GPU utilization between 2 and 4 instances', () => {
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      ServiceNamespace: 'sagemaker',
      ResourceId: `endpoint/${endpoint.endpointName}/variant/AllTraffic`,
      ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      MinCapacity: 2,
      MaxCapacity: 4,
      RoleARN: Match.stringLikeRegexp('AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint$'),
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: {
        PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
        TargetValue: 12,
        ScaleInCooldown: 900,
        ScaleOutCooldown: 300,
      },
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        CustomizedMetricSpecification: Match.objectLike({ MetricName: 'GPUUtilization', Namespace: '/aws/sagemaker/Endpoints' }),
        TargetValue: 70,
      }),
    });
  });

  it('drops to one instance outside office hours', () => {
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      ScheduledActions: [
        { ScheduledActionName: 'OfficeHoursStart', Schedule: 'cron(0 7 ? * MON-FRI *)', Timezone: 'Europe/Berlin', ScalableTargetAction: { MinCapacity: 2, MaxCapacity: 4 } },
        { ScheduledActionName: 'OfficeHoursEnd', Schedule: 'cron(0 19 ? * MON-FRI *)', Timezone: 'Europe/Berlin', ScalableTargetAction: { MinCapacity: 1, MaxCapacity: 1 } },
      ],
    });
  });

  it('gives the execution role only the model prefix, the capture prefix, the keys, the DLC repository and its log group', () => {
    const policies = Object.values(template.findResources('AWS::IAM::ManagedPolicy'));
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement) as Array<Record<string, unknown>>;
    const bySid = (sid: string) => statements.find((s) => s.Sid === sid)!;
    const modelBucket = fixture.stack.getLogicalId(fixture.modelBucket.node.defaultChild as never);
    const captureBucket = fixture.stack.getLogicalId(fixture.captureBucket.node.defaultChild as never);
    expect(bySid('ReadModelArtifacts')).toMatchObject({ Action: 's3:GetObject', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [modelBucket, 'Arn'] }, '/models/llama-3-1-8b/*']] } });
    expect(bySid('ListModelPrefix')).toMatchObject({ Action: 's3:ListBucket', Condition: { StringLike: { 's3:prefix': ['models/llama-3-1-8b/*'] } } });
    expect(bySid('WriteCapturedData')).toMatchObject({ Action: 's3:PutObject', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [captureBucket, 'Arn'] }, '/data-capture/*']] } });
    expect(bySid('EncryptCapturedData')).toMatchObject({ Action: ['kms:Encrypt', 'kms:GenerateDataKey'], Resource: fixture.stack.resolve(fixture.captureKey.keyArn) });
    expect(bySid('DecryptModelArtifactsThroughS3')).toMatchObject({ Action: 'kms:Decrypt', Condition: { StringEquals: { 'kms:ViaService': 's3.eu-central-1.amazonaws.com' } } });
    expect(bySid('PullServingImage')).toMatchObject({ Resource: 'arn:aws:ecr:eu-central-1:763104351884:repository/djl-inference' });
    expect(bySid('WriteEndpointLogs')).toMatchObject({ Resource: `arn:aws:logs:eu-central-1:111111111111:log-group:/aws/sagemaker/Endpoints/${endpoint.endpointName}:log-stream:*` });
    expect(bySid('ManageEndpointInterfacesInFoundationVpc')).toMatchObject({ Condition: { ArnEquals: { 'ec2:Vpc': { 'Fn::Join': ['', ['arn:aws:ec2:eu-central-1:111111111111:vpc/', { Ref: fixture.stack.getLogicalId(fixture.foundation.vpc.node.defaultChild as never) }]] } } } });
    // Deployment guardrails read the rollback alarms with the execution role (deployment-guardrails-configuration.html).
    expect(bySid('DescribeRollbackAlarms')).toMatchObject({ Action: 'cloudwatch:DescribeAlarms', Resource: endpoint.rollbackAlarms.map((alarm) => fixture.stack.resolve(alarm.alarmArn)) });
    const wildcardActions = statements.flatMap((s) => [s.Action].flat() as string[]).filter((a) => a.includes('*'));
    expect(wildcardActions).toEqual([]);
    template.resourceCountIs('AWS::IAM::Policy', 1); // the invoker's grant only; the execution role has no inline policy
  });

  it('creates the endpoint log group encrypted and with retention', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: `/aws/sagemaker/Endpoints/${endpoint.endpointName}`,
      KmsKeyId: fixture.stack.resolve(fixture.foundation.logKey.keyArn),
      RetentionInDays: 365,
    });
  });

  it('grants invoke on this endpoint only', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: fixture.stack.getLogicalId(invoker.node.defaultChild as never) }],
      PolicyDocument: { Statement: [{ Effect: 'Allow', Action: ['sagemaker:InvokeEndpoint', 'sagemaker:InvokeEndpointWithResponseStream'], Resource: { Ref: Match.stringLikeRegexp('^Llm') } }] },
    });
  });
});

describe('GpuInferenceEndpoint with scale-to-zero capacity (eu-dev)', () => {
  let endpoint: GpuInferenceEndpoint;
  let template: Template;

  beforeAll(() => {
    const fixture = inferenceFixture(testApp(), EU_DEV);
    endpoint = new GpuInferenceEndpoint(fixture.stack, 'Llm', {
      ...baseProps(fixture),
      modelDataKey: 'models/llama-3-1-8b.tar.gz',
      image: InferenceImage.tgi(),
      capacity: InferenceCapacity.scaleToZero({ maxCopies: 2 }),
      trafficRouting: TrafficRouting.linear({ stepPercent: 50, bakeTime: Duration.minutes(5) }),
      captureSamplingPercentage: 100,
    });
    template = Template.fromStack(fixture.stack);
  });

  it('hosts the model as an inference component on an endpoint that may run zero instances', () => {
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      EnableNetworkIsolation: true,
      VpcConfig: Match.objectLike({ Subnets: Match.anyValue() }),
      ExecutionRoleArn: Match.anyValue(),
      ProductionVariants: [Match.objectLike({
        ManagedInstanceScaling: { Status: 'ENABLED', MinInstanceCount: 0, MaxInstanceCount: 2 },
        RoutingConfig: { RoutingStrategy: 'LEAST_OUTSTANDING_REQUESTS' },
        ModelName: Match.absent(),
      })],
    });
    template.hasResourceProperties('AWS::SageMaker::InferenceComponent', {
      InferenceComponentName: endpoint.inferenceComponentName,
      Specification: { ComputeResourceRequirements: { NumberOfAcceleratorDevicesRequired: 1, MinMemoryRequiredInMb: 20_060 } },
      RuntimeConfig: { CopyCount: 1 },
      DeploymentConfig: {
        RollingUpdatePolicy: { MaximumBatchSize: { Type: 'CAPACITY_PERCENT', Value: 50 }, WaitIntervalInSeconds: 300 },
        AutoRollbackConfiguration: { Alarms: [{ AlarmName: { Ref: Match.stringLikeRegexp('^LlmErrorRateAlarm') } }, { AlarmName: { Ref: Match.stringLikeRegexp('^LlmLatencyAlarm') } }] },
      },
    });
    template.hasResourceProperties('AWS::SageMaker::Endpoint', { DeploymentConfig: Match.absent() });
  });

  it('loads a model tarball with the TGI image, offline', () => {
    template.hasResourceProperties('AWS::SageMaker::Model', {
      PrimaryContainer: Match.objectLike({
        Image: Match.stringLikeRegexp('^763104351884\\.dkr\\.ecr\\.eu-west-1\\.amazonaws\\.com/huggingface-pytorch-tgi-inference:'),
        ModelDataUrl: Match.objectLike({ 'Fn::Join': ['', ['s3://', Match.anyValue(), '/models/llama-3-1-8b.tar.gz']] }),
        Environment: Match.objectLike({ HF_MODEL_ID: '/opt/ml/model', HF_HUB_OFFLINE: '1' }),
      }),
    });
  });

  it('scales copies between zero and the maximum, and starts the first copy on NoCapacityInvocationFailures', () => {
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      ResourceId: `inference-component/${endpoint.inferenceComponentName}`,
      ScalableDimension: 'sagemaker:inference-component:DesiredCopyCount',
      MinCapacity: 0,
      MaxCapacity: 2,
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({ PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerInferenceComponentInvocationsPerCopy' } }),
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'StepScaling',
      StepScalingPolicyConfiguration: Match.objectLike({ AdjustmentType: 'ChangeInCapacity', StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }] }),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'NoCapacityInvocationFailures',
      Dimensions: [{ Name: 'InferenceComponentName', Value: endpoint.inferenceComponentName }],
      AlarmActions: [Match.objectLike({ Ref: Match.stringLikeRegexp('ScaleFromZero') })],
    });
  });

  it('alarms on the dev thresholds per inference component', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ModelLatency',
      Dimensions: [{ Name: 'InferenceComponentName', Value: endpoint.inferenceComponentName }],
      Threshold: 15_000_000,
    });
  });
});

describe('GpuInferenceEndpoint validation', () => {
  it('refuses a GPU family the region does not offer, naming the families available there', () => {
    const fixture = inferenceFixture(testApp(), EU_PROD);
    expect(() => new GpuInferenceEndpoint(fixture.stack, 'Llm', { ...baseProps(fixture), instanceType: GpuInstanceType.ML_G6E_XLARGE })).toThrow(
      /GpuInferenceEndpoint Inference\/Llm \(eu-prod, eu-central-1\): instance type ml\.g6e\.xlarge \(family g6e\) is not available in this region; available GPU families: g4dn, g5, g6$/,
    );
    expect(() => new GpuInferenceEndpoint(fixture.stack, 'Llm2', { ...baseProps(fixture), gpuFamilies: [GpuFamily.P5] })).toThrow(/GPU family p5 is not available in this region; available GPU families: g4dn, g5, g6/);
  });

  it('refuses a model that no instance of the region can hold, with the numbers', () => {
    const fixture = inferenceFixture(testApp(), EU_PROD);
    expect(() => new GpuInferenceEndpoint(fixture.stack, 'Llm', { ...baseProps(fixture), model: { architecture: ModelArchitecture.LLAMA_3_1_405B, precision: WeightPrecision.FP8 } })).toThrow(
      /needs 476\.51 GB .* the largest GPU available here is NVIDIA L4 with 21\.6 GB usable/,
    );
  });

  it('refuses a region whose catalogue entry lists no GPU family, and accepts an override that adds one', () => {
    const eus1 = RegionCatalogue.tryLookup('eu-south-1')!;
    const plain = inferenceFixture(testApp(), { name: 'eu-milan', account: '555555555555', region: 'eu-south-1', zone: ResidencyZone.EU, stage: Stage.DEV });
    expect(() => new GpuInferenceEndpoint(plain.stack, 'Llm', baseProps(plain))).toThrow(/\(region families: none recorded\)/);
    const withGpus = inferenceFixture(testApp(), { name: 'eu-milan', account: '555555555555', region: 'eu-south-1', zone: ResidencyZone.EU, stage: Stage.DEV, regionInfo: { ...eus1, gpuInstanceFamilies: ['g5'] } });
    const endpoint = new GpuInferenceEndpoint(withGpus.stack, 'Llm', baseProps(withGpus));
    expect(endpoint.imageUri).toBe('692866216735.dkr.ecr.eu-south-1.amazonaws.com/djl-inference:0.33.0-lmi15.0.0-cu128');
    expect(endpoint.instanceSelection.instanceType).toBe(GpuInstanceType.ML_G5_2XLARGE);
    Template.fromStack(withGpus.stack).hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'PullServingImage', Resource: 'arn:aws:ecr:eu-south-1:692866216735:repository/djl-inference' })]) },
    });
  });

  it('refuses hub model ids and hub tokens in the container environment', () => {
    const fixture = inferenceFixture(testApp(), US_PROD);
    expect(() => new GpuInferenceEndpoint(fixture.stack, 'A', { ...baseProps(fixture), containerEnvironment: { HF_MODEL_ID: 'meta-llama/Llama-3.1-8B-Instruct' } })).toThrow(
      /HF_MODEL_ID='meta-llama\/Llama-3.1-8B-Instruct' points outside \/opt\/ml\/model/,
    );
    expect(() => new GpuInferenceEndpoint(fixture.stack, 'B', { ...baseProps(fixture), containerEnvironment: { HF_TOKEN: 'hf_x' } })).toThrow(/HF_TOKEN, a model-hub token/);
    expect(() => new GpuInferenceEndpoint(fixture.stack, 'C', { ...baseProps(fixture), containerEnvironment: { HF_HUB_OFFLINE: '0' } })).toThrow(/HF_HUB_OFFLINE must stay '1'/);
    expect(() => new GpuInferenceEndpoint(fixture.stack, 'D', { ...baseProps(fixture), containerEnvironment: { OPTION_MODEL_ID: '/opt/ml/model/merged' } })).not.toThrow();
  });

  it('refuses model data keys that are neither a tarball nor a prefix, and bad capture settings', () => {
    const fixture = inferenceFixture(testApp(), US_PROD);
    expect(() => new GpuInferenceEndpoint(fixture.stack, 'A', { ...baseProps(fixture), modelDataKey: 'models/llama' })).toThrow(/must end in '\.tar\.gz' \(a model tarball\) or '\/'/);
    expect(() => new GpuInferenceEndpoint(fixture.stack, 'B', { ...baseProps(fixture), modelDataKey: 's3://other/models/' })).toThrow(/without a leading '\/' or 's3:\/\/'/);
    expect(() => new GpuInferenceEndpoint(fixture.stack, 'C', { ...baseProps(fixture), captureSamplingPercentage: 101 })).toThrow(/captureSamplingPercentage 101 must be a whole number from 0 to 100/);
    expect(() => new GpuInferenceEndpoint(fixture.stack, 'D', { ...baseProps(fixture), capturePrefix: '/capture/' })).toThrow(/capturePrefix '\/capture\/' must be a literal S3 key prefix/);
  });

  it('refuses invalid traffic routing and capacity settings', () => {
    expect(() => TrafficRouting.canary({ canaryPercent: 60 })).toThrow(/canaryPercent 60 must be a whole number from 1 to 50/);
    expect(() => TrafficRouting.linear({ stepPercent: 5 })).toThrow(/stepPercent 5 must be a whole number from 10 to 50/);
    expect(() => TrafficRouting.canary({ bakeTime: Duration.seconds(30) })).toThrow(/bakeTime 30s must be between 1 minute and 1 hour/);
    expect(() => InferenceCapacity.instances({ minInstances: 3, maxInstances: 2 })).toThrow(/maxInstances 2 is below minInstances 3/);
    expect(() => InferenceCapacity.instances({ minInstances: 0 })).toThrow(/minInstances 0 must be a whole number of at least 1/);
    expect(() => InferenceCapacity.instances({ targetGpuUtilizationPercent: 100 })).toThrow(/targetGpuUtilizationPercent 100 must be between 10 and 95/);
  });

  it('uses linear routing when asked', () => {
    const fixture = inferenceFixture(testApp(), US_PROD);
    new GpuInferenceEndpoint(fixture.stack, 'Llm', { ...baseProps(fixture), trafficRouting: TrafficRouting.linear() });
    Template.fromStack(fixture.stack).hasResourceProperties('AWS::SageMaker::Endpoint', {
      DeploymentConfig: Match.objectLike({
        BlueGreenUpdatePolicy: Match.objectLike({ TrafficRoutingConfiguration: { Type: 'LINEAR', LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: 25 }, WaitIntervalInSeconds: 300 } }),
      }),
    });
  });
});
