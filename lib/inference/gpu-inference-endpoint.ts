import { ArnFormat, Duration, Names, Stack, Token } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, type IConstruct } from 'constructs';
import { acknowledgeFinding, wildcardResourceFindingId } from '../compliance/acknowledge';
import { declareServiceOperations, ServiceCaller } from '../permissions/service-operations';
import { PavedRoadError } from '../core/errors';
import { addAlarmNotification } from '../foundation/alarm-notifications';
import type { Foundation } from '../foundation/foundation';
import type { GpuInferenceEndpointProps } from './gpu-inference-endpoint-props';
import { InferenceCapacity, type InferenceCapacitySpec, type OfficeHours } from './inference-capacity';
import { InferenceImage, MODEL_MOUNT_PATH } from './inference-image';
import { HOST_MEMORY_HEADROOM_GB, type InstanceSelection, selectInstance } from './sizing';
import { TrafficRouting } from './traffic-routing';

/** A SageMaker real-time endpoint that gateways and applications may invoke. */
export interface IGpuInferenceEndpoint extends IConstruct {
  /** The endpoint name, as `InvokeEndpoint` takes it. */
  readonly endpointName: string;
  /** The endpoint ARN. */
  readonly endpointArn: string;
  /** Lets `grantee` invoke this endpoint (and only this endpoint), streaming or not. */
  grantInvoke(grantee: iam.IGrantable): iam.Grant;
}

/** Name of the single production variant; blue/green updates need it to stay the same. */
export const VARIANT_NAME = 'AllTraffic';

const NAME_PATTERN = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
const HUB_TOKEN_VARIABLES = ['HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN', 'HF_API_TOKEN'];
const MODEL_ID_VARIABLES = ['HF_MODEL_ID', 'OPTION_MODEL_ID', 'MODEL_ID'];
const MODEL_LOAD_TIMEOUT_SECONDS = 3_600;

/**
 * A GPU inference endpoint on the paved road: sized from the model, region-checked, weights
 * from the in-zone model-artifact bucket (never a hub), network isolation inside the
 * foundation's isolated subnets, KMS-encrypted data capture, auto scaling, and blue/green
 * updates that roll back on 5xx and latency alarms.
 *
 * Volume encryption: every GPU instance type here has local NVMe instance storage, which the
 * instance hardware encrypts; SageMaker rejects an endpoint configuration `KmsKeyId` for such
 * instances, so the construct sets none and acknowledges the KMS findings on the configuration.
 */
export class GpuInferenceEndpoint extends Construct implements IGpuInferenceEndpoint {
  public readonly endpointName: string;
  public readonly endpointArn: string;
  /** The chosen instance type, tensor-parallel degree and memory estimate. */
  public readonly instanceSelection: InstanceSelection;
  /** The container image URI. */
  public readonly imageUri: string;
  /** The role SageMaker assumes to load the model and write captured data. */
  public readonly role: iam.IRole;
  /** Security group of the endpoint's network interfaces: HTTPS out, nothing in. */
  public readonly securityGroup: ec2.SecurityGroup;
  /** Topic the rollback alarms notify. */
  public readonly alarmTopic: sns.ITopic;
  /** Alarms that roll an update back: 5xx error rate and p99 model latency. */
  public readonly rollbackAlarms: cloudwatch.Alarm[];
  /** The scalable target (variant instance count, or inference-component copy count). */
  public readonly scalableTarget: appscaling.ScalableTarget;
  /** Name of the inference component, when the endpoint scales to zero. */
  public readonly inferenceComponentName?: string;

  private readonly foundation: Foundation;

  constructor(scope: Construct, id: string, props: GpuInferenceEndpointProps) {
    super(scope, id);
    this.foundation = props.foundation;
    const env = props.foundation.environment;
    const where = `GpuInferenceEndpoint ${this.node.path} (${env.name}, ${env.region})`;

    const capacity = (props.capacity ?? InferenceCapacity.instances()).spec;
    const routing = props.trafficRouting ?? TrafficRouting.canary();
    const captureKey = props.captureKey ?? props.captureBucket.encryptionKey;
    if (!captureKey) {
      throw new PavedRoadError(`${where}: captureBucket has no encryptionKey; pass captureKey, the KMS key SageMaker encrypts captured data with`);
    }
    const sampling = props.captureSamplingPercentage ?? 10;
    if (!Number.isInteger(sampling) || sampling < 0 || sampling > 100) {
      throw new PavedRoadError(`${where}: captureSamplingPercentage ${sampling} must be a whole number from 0 to 100`);
    }
    const capturePrefix = validatePrefix(props.capturePrefix ?? 'data-capture', where);
    const modelData = parseModelDataKey(props.modelDataKey, where);

    this.instanceSelection = selectInstance(props.model, {
      availableFamilies: env.regionInfo.gpuInstanceFamilies,
      context: where,
      instanceType: props.instanceType,
      families: props.gpuFamilies,
      tensorParallelDegree: props.tensorParallelDegree,
    });
    const selection = this.instanceSelection;
    const image = (props.image ?? InferenceImage.lmi()).bind(env.regionInfo);
    this.imageUri = image.imageUri;

    this.endpointName = props.endpointName ?? Names.uniqueResourceName(this, { maxLength: 63, separator: '-', allowedSpecialCharacters: '-' }).toLowerCase();
    if (!Token.isUnresolved(this.endpointName) && !NAME_PATTERN.test(this.endpointName)) {
      throw new PavedRoadError(`${where}: endpointName '${this.endpointName}' must be 1-63 letters, digits or single dashes, starting and ending with a letter or digit`);
    }
    const componentName = capacity.scaleToZero ? `${this.endpointName.slice(0, 59)}-ic` : undefined;
    this.inferenceComponentName = componentName;

    const vpc = props.foundation.vpc;
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc,
      description: `SageMaker endpoint ${this.endpointName}: no inbound, HTTPS out to S3 and VPC endpoints`,
      allowAllOutbound: false,
    });
    // No internet route exists (no IGW, no NAT): 443 reaches only the S3 gateway and the interface endpoints.
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to the S3 gateway endpoint and AWS interface endpoints');
    const vpcConfig = { securityGroupIds: [this.securityGroup.securityGroupId], subnets: vpc.selectSubnets(props.foundation.workloadSubnets).subnetIds };

    // Created here so that they are KMS-encrypted and expire; SageMaker would create them without either.
    const logGroupNames = [`/aws/sagemaker/Endpoints/${this.endpointName}`, ...(componentName ? [`/aws/sagemaker/InferenceComponents/${componentName}`] : [])];
    const logGroups = logGroupNames.map((logGroupName, index) => props.foundation.createLogGroup(this, index === 0 ? 'EndpointLogs' : 'ComponentLogs', { logGroupName }));

    const { role, policy } = this.createRole({
      props, modelData, capturePrefix, captureKey, registryAccount: image.registryAccount, repository: image.repository, logGroupNames: logGroupNames, vpc,
    });
    this.role = role;

    const environment = {
      ...(props.image ?? InferenceImage.lmi()).family.servingEnvironment({
        tensorParallelDegree: selection.tensorParallelDegree,
        maxContextTokens: props.model.maxContextTokens ?? 4096,
        maxConcurrentSequences: props.model.maxConcurrentSequences ?? 4,
      }),
      ...validateEnvironment(props.containerEnvironment ?? {}, where),
    };
    const model = new sagemaker.CfnModel(this, 'Model', {
      executionRoleArn: role.roleArn,
      enableNetworkIsolation: true,
      vpcConfig,
      primaryContainer: {
        image: image.imageUri,
        mode: 'SingleModel',
        environment,
        ...(modelData.compressed
          ? { modelDataUrl: `s3://${props.modelArtifactsBucket.bucketName}/${modelData.key}` }
          : { modelDataSource: { s3DataSource: { s3Uri: `s3://${props.modelArtifactsBucket.bucketName}/${modelData.key}`, s3DataType: 'S3Prefix', compressionType: 'None' } } }),
      },
    });
    model.node.addDependency(policy);

    const variant: sagemaker.CfnEndpointConfig.ProductionVariantProperty = capacity.scaleToZero
      ? {
        variantName: VARIANT_NAME,
        instanceType: selection.instanceType.name,
        initialInstanceCount: 1,
        managedInstanceScaling: { status: 'ENABLED', minInstanceCount: 0, maxInstanceCount: this.maxInstancesForCopies(capacity) },
        routingConfig: { routingStrategy: 'LEAST_OUTSTANDING_REQUESTS' },
        modelDataDownloadTimeoutInSeconds: MODEL_LOAD_TIMEOUT_SECONDS,
        containerStartupHealthCheckTimeoutInSeconds: MODEL_LOAD_TIMEOUT_SECONDS,
      }
      : {
        variantName: VARIANT_NAME,
        modelName: model.attrModelName,
        instanceType: selection.instanceType.name,
        initialInstanceCount: this.minInstances(capacity),
        initialVariantWeight: 1,
        modelDataDownloadTimeoutInSeconds: MODEL_LOAD_TIMEOUT_SECONDS,
        containerStartupHealthCheckTimeoutInSeconds: MODEL_LOAD_TIMEOUT_SECONDS,
      };
    const endpointConfig = new sagemaker.CfnEndpointConfig(this, 'EndpointConfig', {
      productionVariants: [variant],
      dataCaptureConfig: {
        enableCapture: sampling > 0,
        initialSamplingPercentage: sampling,
        destinationS3Uri: `s3://${props.captureBucket.bucketName}/${capturePrefix}`,
        kmsKeyId: captureKey.keyArn,
        captureOptions: [{ captureMode: 'Input' }, { captureMode: 'Output' }],
        captureContentTypeHeader: { jsonContentTypes: ['application/json'] },
      },
      // Endpoints that host inference components carry the role, network isolation and VPC themselves.
      ...(capacity.scaleToZero ? { executionRoleArn: role.roleArn, enableNetworkIsolation: true, vpcConfig } : {}),
    });
    endpointConfig.node.addDependency(policy);
    const nvme = `${selection.instanceType} has local NVMe instance storage, encrypted by the instance hardware (XTS-AES-256); SageMaker rejects an endpoint configuration KmsKeyId for such instances. Captured data is KMS-encrypted with the capture key.`;
    acknowledgeFinding(endpointConfig,
      { id: 'HIPAA.Security-SageMakerEndpointConfigurationKMSKeyConfigured', reason: nvme },
      { id: 'NIST.800.53.R5-SageMakerEndpointConfigurationKMSKeyConfigured', reason: nvme },
      { id: 'PCI.DSS.321-SageMakerEndpointConfigurationKMSKeyConfigured', reason: nvme },
    );

    this.alarmTopic = props.alarmTopic ?? this.foundation.alarmTopic;
    this.rollbackAlarms = this.createRollbackAlarms(props, componentName);
    this.grantRollbackAlarmReads(role, policy);
    const rollback = { alarms: this.rollbackAlarms.map((alarm) => ({ alarmName: alarm.alarmName })) };
    const route = routing.spec;

    const endpoint = new sagemaker.CfnEndpoint(this, 'Resource', {
      endpointName: this.endpointName,
      endpointConfigName: endpointConfig.attrEndpointConfigName,
      ...(capacity.scaleToZero ? {} : {
        deploymentConfig: {
          blueGreenUpdatePolicy: {
            trafficRoutingConfiguration: {
              type: route.type,
              waitIntervalInSeconds: route.waitSeconds,
              ...(route.type === 'CANARY' ? { canarySize: { type: 'CAPACITY_PERCENT', value: route.stepPercent } } : {}),
              ...(route.type === 'LINEAR' ? { linearStepSize: { type: 'CAPACITY_PERCENT', value: route.stepPercent } } : {}),
            },
            terminationWaitInSeconds: route.waitSeconds,
            maximumExecutionTimeoutInSeconds: routing.maximumExecutionSeconds,
          },
          autoRollbackConfiguration: rollback,
        },
        // Keep the instance count auto scaling set; take the new data-capture settings.
        retainAllVariantProperties: true,
        excludeRetainedVariantProperties: [{ variantPropertyType: 'DataCaptureConfig' }],
      }),
    });
    for (const logGroup of logGroups) endpoint.node.addDependency(logGroup);
    this.endpointArn = endpoint.ref;

    const scalingRole = iam.Role.fromRoleArn(this, 'ScalingServiceLinkedRole', Stack.of(this).formatArn({
      service: 'iam',
      region: '',
      resource: 'role',
      resourceName: 'aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint',
    }), { mutable: false });

    if (componentName) {
      const component = new sagemaker.CfnInferenceComponent(this, 'InferenceComponent', {
        inferenceComponentName: componentName,
        endpointName: endpoint.attrEndpointName,
        variantName: VARIANT_NAME,
        specification: {
          modelName: model.attrModelName,
          computeResourceRequirements: {
            numberOfAcceleratorDevicesRequired: selection.tensorParallelDegree,
            minMemoryRequiredInMb: Math.ceil((selection.estimate.weightsGb + HOST_MEMORY_HEADROOM_GB) * 1000),
          },
        },
        runtimeConfig: { copyCount: 1 },
        deploymentConfig: {
          rollingUpdatePolicy: {
            maximumBatchSize: { type: 'CAPACITY_PERCENT', value: route.stepPercent },
            waitIntervalInSeconds: route.waitSeconds,
            maximumExecutionTimeoutInSeconds: routing.maximumExecutionSeconds,
          },
          autoRollbackConfiguration: rollback,
        },
      });
      this.scalableTarget = new appscaling.ScalableTarget(this, 'ScalableTarget', {
        serviceNamespace: appscaling.ServiceNamespace.SAGEMAKER,
        resourceId: `inference-component/${componentName}`,
        scalableDimension: 'sagemaker:inference-component:DesiredCopyCount',
        minCapacity: 0,
        maxCapacity: capacity.max!,
        role: scalingRole,
      });
      this.scalableTarget.node.addDependency(component);
      this.scalableTarget.scaleToTrackMetric('InvocationsPerCopy', {
        predefinedMetric: appscaling.PredefinedMetric.SAGEMAKER_INFERENCE_COMPONENT_INVOCATIONS_PER_COPY,
        targetValue: capacity.targetInvocationsPerMinute ?? 3 * (props.model.maxConcurrentSequences ?? 4),
        scaleInCooldown: capacity.scaleInCooldown,
        scaleOutCooldown: capacity.scaleOutCooldown,
      });
      this.createScaleFromZero(componentName);
    } else {
      this.scalableTarget = new appscaling.ScalableTarget(this, 'ScalableTarget', {
        serviceNamespace: appscaling.ServiceNamespace.SAGEMAKER,
        resourceId: `endpoint/${this.endpointName}/variant/${VARIANT_NAME}`,
        scalableDimension: 'sagemaker:variant:DesiredInstanceCount',
        minCapacity: this.minInstances(capacity),
        maxCapacity: this.maxInstances(capacity),
        role: scalingRole,
      });
      this.scalableTarget.node.addDependency(endpoint);
      const copiesPerInstance = selection.instanceType.gpuCount / selection.tensorParallelDegree;
      this.scalableTarget.scaleToTrackMetric('InvocationsPerInstance', {
        predefinedMetric: appscaling.PredefinedMetric.SAGEMAKER_VARIANT_INVOCATIONS_PER_INSTANCE,
        targetValue: capacity.targetInvocationsPerMinute ?? 3 * (props.model.maxConcurrentSequences ?? 4) * copiesPerInstance,
        scaleInCooldown: capacity.scaleInCooldown,
        scaleOutCooldown: capacity.scaleOutCooldown,
      });
      if (capacity.targetGpuUtilizationPercent !== undefined) {
        this.scalableTarget.scaleToTrackMetric('GpuUtilization', {
          // GPUUtilization sums over the instance's GPUs: 100 % per GPU.
          customMetric: new cloudwatch.Metric({
            namespace: '/aws/sagemaker/Endpoints',
            metricName: 'GPUUtilization',
            dimensionsMap: { EndpointName: this.endpointName, VariantName: VARIANT_NAME },
            statistic: cloudwatch.Stats.AVERAGE,
            period: Duration.minutes(1),
          }),
          targetValue: capacity.targetGpuUtilizationPercent * selection.instanceType.gpuCount,
          scaleInCooldown: capacity.scaleInCooldown,
          scaleOutCooldown: capacity.scaleOutCooldown,
        });
      }
    }
    if (props.officeHours) {
      this.scheduleOfficeHours(props.officeHours, capacity, where);
    }
  }

  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['sagemaker:InvokeEndpoint', 'sagemaker:InvokeEndpointWithResponseStream'],
      resourceArns: [this.endpointArn],
    });
  }

  /** A metric of the endpoint (namespace `AWS/SageMaker`), per variant or per inference component. */
  public metric(metricName: string, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    const dimensionsMap: cloudwatch.DimensionsMap = this.inferenceComponentName
      ? { InferenceComponentName: this.inferenceComponentName }
      : { EndpointName: this.endpointName, VariantName: VARIANT_NAME };
    return new cloudwatch.Metric({ namespace: 'AWS/SageMaker', metricName, dimensionsMap, period: Duration.minutes(1), ...props });
  }

  /** Time the model container takes to answer, in microseconds. @default p99 over 1 minute */
  public metricModelLatency(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.metric('ModelLatency', { statistic: cloudwatch.Stats.p(99), ...props });
  }

  /** Invocations answered with a 5xx error. @default sum over 1 minute */
  public metricInvocation5xxErrors(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.metric('Invocation5XXErrors', { statistic: cloudwatch.Stats.SUM, ...props });
  }

  /** Invocations. @default sum over 1 minute */
  public metricInvocations(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.metric('Invocations', { statistic: cloudwatch.Stats.SUM, ...props });
  }

  private minInstances(capacity: InferenceCapacitySpec): number {
    return capacity.min ?? (this.foundation.environment.stage.isProd ? 2 : 1);
  }

  private maxInstances(capacity: InferenceCapacitySpec): number {
    return capacity.max ?? Math.max(2 * this.minInstances(capacity), 2);
  }

  private maxInstancesForCopies(capacity: InferenceCapacitySpec): number {
    const copiesPerInstance = this.instanceSelection.instanceType.gpuCount / this.instanceSelection.tensorParallelDegree;
    return Math.ceil(capacity.max! / copiesPerInstance);
  }

  private createRole(args: {
    props: GpuInferenceEndpointProps;
    modelData: ModelDataLocation;
    capturePrefix: string;
    captureKey: kms.IKey;
    registryAccount: string;
    repository: string;
    logGroupNames: string[];
    vpc: ec2.IVpc;
  }): { role: iam.IRole; policy: iam.ManagedPolicy } {
    const { props, modelData } = args;
    const stack = Stack.of(this);
    const logStreamArns = args.logGroupNames.map((name) => stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: `${name}:log-stream:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }));
    const role = new iam.Role(this, 'ExecutionRole', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: `SageMaker endpoint ${this.endpointName}: reads its model, writes captured data and logs`,
    });
    const statements = [
      new iam.PolicyStatement({
        sid: 'ReadModelArtifacts',
        actions: ['s3:GetObject'],
        resources: [props.modelArtifactsBucket.arnForObjects(modelData.compressed ? modelData.key : `${modelData.key}*`)],
      }),
      new iam.PolicyStatement({
        sid: 'WriteCapturedData',
        actions: ['s3:PutObject'],
        resources: [props.captureBucket.arnForObjects(`${args.capturePrefix}/*`)],
      }),
      new iam.PolicyStatement({
        sid: 'EncryptCapturedData',
        actions: ['kms:Encrypt', 'kms:GenerateDataKey'],
        resources: [args.captureKey.keyArn],
      }),
      new iam.PolicyStatement({
        sid: 'PullServingImage',
        actions: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'],
        resources: [stack.formatArn({ service: 'ecr', account: args.registryAccount, resource: 'repository', resourceName: args.repository })],
      }),
      new iam.PolicyStatement({
        sid: 'EcrAuthorization',
        actions: ['ecr:GetAuthorizationToken'],
        resources: ['*'],
      }),
      new iam.PolicyStatement({
        sid: 'WriteEndpointLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        resources: logStreamArns,
      }),
      new iam.PolicyStatement({
        sid: 'DescribeNetwork',
        actions: ['ec2:DescribeVpcs', 'ec2:DescribeSubnets', 'ec2:DescribeSecurityGroups', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeDhcpOptions'],
        resources: ['*'],
      }),
      new iam.PolicyStatement({
        sid: 'ManageEndpointInterfacesInFoundationVpc',
        actions: ['ec2:CreateNetworkInterface', 'ec2:CreateNetworkInterfacePermission', 'ec2:DeleteNetworkInterface', 'ec2:DeleteNetworkInterfacePermission'],
        resources: ['*'],
        conditions: { ArnEquals: { 'ec2:Vpc': stack.formatArn({ service: 'ec2', resource: 'vpc', resourceName: args.vpc.vpcId }) } },
      }),
    ];
    if (!modelData.compressed) {
      statements.push(new iam.PolicyStatement({
        sid: 'ListModelPrefix',
        actions: ['s3:ListBucket'],
        resources: [props.modelArtifactsBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${modelData.key}*`] } },
      }));
    }
    const modelKey = props.modelArtifactsKey ?? props.modelArtifactsBucket.encryptionKey;
    if (modelKey) {
      statements.push(new iam.PolicyStatement({
        sid: 'DecryptModelArtifactsThroughS3',
        actions: ['kms:Decrypt'],
        resources: [modelKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } },
      }));
    }
    const policy = new iam.ManagedPolicy(this, 'ExecutionPolicy', { roles: [role], statements });
    this.declareExecutionRoleUse(role, args, modelKey);
    this.acknowledgeRoleWildcards(policy, props, modelData, args.capturePrefix, logStreamArns);
    return { role: role.withoutPolicyUpdates(), policy };
  }

  /**
   * Deployment guardrails: SageMaker reads the rollback alarms with the execution role ("Ensure
   * that your IAM execution role has permission to perform the cloudwatch:DescribeAlarms action on
   * the auto-rollback alarms you specify"); without it a blue/green update cannot roll back.
   * https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html
   */
  private grantRollbackAlarmReads(role: iam.IRole, policy: iam.ManagedPolicy): void {
    const alarmArns = this.rollbackAlarms.map((alarm) => alarm.alarmArn);
    policy.addStatements(new iam.PolicyStatement({ sid: 'DescribeRollbackAlarms', actions: ['cloudwatch:DescribeAlarms'], resources: alarmArns }));
    declareServiceOperations(role, {
      description: 'SageMaker reads the auto-rollback alarms with the execution role during a deployment',
      docs: ['https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html'],
      caller: ServiceCaller.role('sagemaker.amazonaws.com', role),
      calls: alarmArns.map((resource) => ({ action: 'cloudwatch:DescribeAlarms', resource })),
    });
  }

  /**
   * What SageMaker does with the execution role: pull the serving image, read the model from
   * the artifact bucket (S3 decrypts it with the role's credentials), attach network interfaces
   * in the foundation VPC, write logs, and write captured data (SSE-KMS with the capture key).
   * https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html#sagemaker-roles-createmodel-perms
   * https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture.html
   */
  private declareExecutionRoleUse(role: iam.IRole, args: { props: GpuInferenceEndpointProps; modelData: ModelDataLocation; capturePrefix: string; captureKey: kms.IKey; registryAccount: string; repository: string; logGroupNames: string[]; vpc: ec2.IVpc }, modelKey: kms.IKey | undefined): void {
    const { props, modelData } = args;
    const stack = Stack.of(this);
    const modelObject = props.modelArtifactsBucket.arnForObjects(modelData.compressed ? modelData.key : `${modelData.key}model-00001-of-00004.safetensors`);
    const captureObject = props.captureBucket.arnForObjects(`${args.capturePrefix}/${this.endpointName}/${VARIANT_NAME}/2026/01/01/00/capture.jsonl`);
    const vpcArn = stack.formatArn({ service: 'ec2', resource: 'vpc', resourceName: args.vpc.vpcId });
    const subnet = stack.formatArn({ service: 'ec2', resource: 'subnet', resourceName: args.vpc.selectSubnets(this.foundation.workloadSubnets).subnetIds[0] });
    const networkInterface = stack.formatArn({ service: 'ec2', resource: 'network-interface', resourceName: 'eni-0123456789abcdef0' });
    const inVpc = { 'ec2:Vpc': vpcArn };
    const logStreams = args.logGroupNames.map((name) => `${stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME })}:log-stream:${VARIANT_NAME}/i-0123456789abcdef0`);
    declareServiceOperations(role, {
      description: 'SageMaker hosts the model with the execution role',
      docs: ['https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html#sagemaker-roles-createmodel-perms', 'https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture.html', 'https://docs.aws.amazon.com/sagemaker/latest/dg/host-vpc.html'],
      caller: ServiceCaller.role('sagemaker.amazonaws.com', role),
      calls: [
        { action: 'ecr:GetAuthorizationToken', resource: '*' },
        ...['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'].map((action) => ({
          action, resource: stack.formatArn({ service: 'ecr', account: args.registryAccount, resource: 'repository', resourceName: args.repository }),
        })),
        {
          action: 's3:GetObject',
          resource: modelObject,
          ...(modelKey ? { kms: { actions: ['kms:Decrypt' as const], viaService: 's3', keyArn: modelKey.keyArn, encryptionContext: { 'aws:s3:arn': props.modelArtifactsBucket.bucketArn } } } : {}),
        },
        ...(modelData.compressed ? [] : [{ action: 's3:ListBucket', resource: props.modelArtifactsBucket.bucketArn, context: { 's3:prefix': modelData.key } }]),
        {
          action: 's3:PutObject',
          resource: captureObject,
          kms: { actions: ['kms:GenerateDataKey'], viaService: 's3', keyArn: args.captureKey.keyArn, encryptionContext: { 'aws:s3:arn': props.captureBucket.bucketArn } },
        },
        // "If you use a KMS key ID or an alias of your KMS key, the SageMaker execution role must include permissions to call kms:Encrypt."
        // https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProductionVariantCoreDumpConfig.html
        { action: 'kms:Encrypt', resource: args.captureKey.keyArn },
        ...logStreams.flatMap((stream) => [{ action: 'logs:CreateLogStream', resource: stream }, { action: 'logs:PutLogEvents', resource: stream }, { action: 'logs:DescribeLogStreams', resource: stream }]),
        ...['ec2:DescribeVpcs', 'ec2:DescribeSubnets', 'ec2:DescribeSecurityGroups', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeDhcpOptions'].map((action) => ({ action, resource: '*' })),
        ...[networkInterface, subnet, stack.formatArn({ service: 'ec2', resource: 'security-group', resourceName: this.securityGroup.securityGroupId })]
          .map((resource) => ({ action: 'ec2:CreateNetworkInterface', resource, context: inVpc })),
        ...['ec2:CreateNetworkInterfacePermission', 'ec2:DeleteNetworkInterface', 'ec2:DeleteNetworkInterfacePermission'].map((action) => ({ action, resource: networkInterface, context: inVpc })),
      ],
    });
  }

  /**
   * Acknowledges the wildcard resources of the execution policy, each by its exact finding id
   * (rendered the way cdk-nag renders it) and with the control that bounds it.
   */
  private acknowledgeRoleWildcards(policy: iam.ManagedPolicy, props: GpuInferenceEndpointProps, modelData: ModelDataLocation, capturePrefix: string, logStreamArns: string[]): void {
    const id = (resource: string): string => wildcardResourceFindingId(this, resource);
    const acks = [
      {
        id: id('*'),
        reason: 'ecr:GetAuthorizationToken and the ec2:Describe calls SageMaker makes to attach the endpoint to the VPC support no resource-level permissions; creating and deleting interfaces is limited to the foundation VPC by an ec2:Vpc condition.',
      },
      {
        id: id(props.captureBucket.arnForObjects(`${capturePrefix}/*`)),
        reason: 'SageMaker data capture writes objects under generated endpoint/variant/date keys below the capture prefix; the role may only put objects there, encrypted with the capture KMS key, and cannot read them back.',
      },
      ...logStreamArns.map((arn) => ({
        id: id(arn),
        reason: 'SageMaker names the log streams of an endpoint after its instances at run time; the role may write only to streams of this endpoint log group, which is KMS-encrypted with retention.',
      })),
    ];
    if (!modelData.compressed) {
      acks.push({
        id: id(props.modelArtifactsBucket.arnForObjects(`${modelData.key}*`)),
        reason: 'An uncompressed model is a directory of weight shards and tokenizer files; the role may only read objects below this model prefix of the in-zone model-artifact bucket, nothing else in it.',
      });
    }
    acknowledgeFinding(policy, ...acks);
  }

  private createRollbackAlarms(props: GpuInferenceEndpointProps, componentName: string | undefined): cloudwatch.Alarm[] {
    const thresholds = this.foundation.environment.stage.alarmThresholds;
    const errorPercent = props.errorRateAlarmPercent ?? thresholds.errorRatePercent;
    if (!(errorPercent > 0 && errorPercent <= 100)) {
      throw new PavedRoadError(`GpuInferenceEndpoint ${this.node.path}: errorRateAlarmPercent ${errorPercent} must be above 0 and at most 100`);
    }
    const latency = props.latencyAlarmThreshold ?? Duration.millis(thresholds.p99LatencyMs);
    const subject = componentName ?? this.endpointName;
    const errorRate = new cloudwatch.MathExpression({
      expression: 'IF(invocations > 0, 100 * FILL(errors, 0) / invocations, 0)',
      usingMetrics: { errors: this.metricInvocation5xxErrors(), invocations: this.metricInvocations() },
      label: '5xx error rate (%)',
      period: Duration.minutes(1),
    });
    const errorAlarm = new cloudwatch.Alarm(this, 'ErrorRateAlarm', {
      alarmName: `${subject}-5xx-rate`,
      alarmDescription: `More than ${errorPercent}% of invocations of ${subject} fail with 5xx; rolls back an update in progress`,
      metric: errorRate,
      threshold: errorPercent,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const latencyAlarm = new cloudwatch.Alarm(this, 'LatencyAlarm', {
      alarmName: `${subject}-p99-model-latency`,
      alarmDescription: `p99 model latency of ${subject} above ${latency.toMilliseconds()} ms; rolls back an update in progress`,
      metric: this.metricModelLatency(),
      threshold: latency.toMilliseconds() * 1000,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    for (const alarm of [errorAlarm, latencyAlarm]) addAlarmNotification(alarm, this.alarmTopic, { onOk: true });
    return [errorAlarm, latencyAlarm];
  }

  /** Requests that find no copy fail with NoCapacityInvocationFailures; that starts the first copy. */
  private createScaleFromZero(componentName: string): void {
    const stepUp = new appscaling.StepScalingAction(this, 'ScaleFromZero', {
      scalingTarget: this.scalableTarget,
      adjustmentType: appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
      cooldown: Duration.minutes(5),
      metricAggregationType: appscaling.MetricAggregationType.MAXIMUM,
    });
    stepUp.addAdjustment({ adjustment: 1, lowerBound: 0 });
    const alarm = new cloudwatch.Alarm(this, 'NoCapacityAlarm', {
      alarmName: `${componentName}-no-capacity`,
      alarmDescription: `Requests to ${componentName} found no model copy; starts one`,
      metric: this.metric('NoCapacityInvocationFailures', { statistic: cloudwatch.Stats.MAXIMUM }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new cwActions.ApplicationScalingAction(stepUp));
  }

  private scheduleOfficeHours(hours: OfficeHours, capacity: InferenceCapacitySpec, where: string): void {
    const start = hours.startHour ?? 7;
    const end = hours.endHour ?? 19;
    if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && end <= 23 && start < end)) {
      throw new PavedRoadError(`${where}: officeHours ${start}-${end} must be whole hours with 0 <= startHour < endHour <= 23`);
    }
    const weekDay = hours.weekDays ?? 'MON-FRI';
    const [min, max] = capacity.scaleToZero ? [0, capacity.max!] : [this.minInstances(capacity), this.maxInstances(capacity)];
    const idle = capacity.scaleToZero ? 0 : 1;
    this.scalableTarget.scaleOnSchedule('OfficeHoursStart', {
      schedule: appscaling.Schedule.cron({ minute: '0', hour: String(start), weekDay }),
      timeZone: hours.timeZone,
      minCapacity: min,
      maxCapacity: max,
    });
    this.scalableTarget.scaleOnSchedule('OfficeHoursEnd', {
      schedule: appscaling.Schedule.cron({ minute: '0', hour: String(end), weekDay }),
      timeZone: hours.timeZone,
      minCapacity: idle,
      maxCapacity: idle,
    });
  }
}

interface ModelDataLocation {
  readonly key: string;
  readonly compressed: boolean;
}

function parseModelDataKey(key: string, where: string): ModelDataLocation {
  if (Token.isUnresolved(key)) {
    throw new PavedRoadError(`${where}: modelDataKey must be a literal string so that the role can be scoped to it`);
  }
  if (key.startsWith('/') || key.startsWith('s3://')) {
    throw new PavedRoadError(`${where}: modelDataKey '${key}' must be a key inside modelArtifactsBucket, without a leading '/' or 's3://'`);
  }
  if (key.endsWith('.tar.gz')) return { key, compressed: true };
  if (key.endsWith('/') && key.length > 1) return { key, compressed: false };
  throw new PavedRoadError(`${where}: modelDataKey '${key}' must end in '.tar.gz' (a model tarball) or '/' (a prefix of uncompressed model files)`);
}

function validatePrefix(prefix: string, where: string): string {
  if (Token.isUnresolved(prefix) || !/^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*$/.test(prefix)) {
    throw new PavedRoadError(`${where}: capturePrefix '${prefix}' must be a literal S3 key prefix without leading or trailing '/', e.g. 'data-capture'`);
  }
  return prefix;
}

function validateEnvironment(environment: Record<string, string>, where: string): Record<string, string> {
  for (const [name, value] of Object.entries(environment)) {
    if (HUB_TOKEN_VARIABLES.includes(name)) {
      throw new PavedRoadError(`${where}: containerEnvironment sets ${name}, a model-hub token; weights come from the in-zone model-artifact bucket, never from a hub at run time`);
    }
    if (MODEL_ID_VARIABLES.includes(name) && !(value === MODEL_MOUNT_PATH || value.startsWith(`${MODEL_MOUNT_PATH}/`))) {
      throw new PavedRoadError(`${where}: containerEnvironment ${name}='${value}' points outside ${MODEL_MOUNT_PATH}; the model is loaded from modelArtifactsBucket, never from a hub`);
    }
    if (name === 'HF_HUB_OFFLINE' && value !== '1') {
      throw new PavedRoadError(`${where}: containerEnvironment HF_HUB_OFFLINE must stay '1'; the model never comes from a hub`);
    }
  }
  return environment;
}
