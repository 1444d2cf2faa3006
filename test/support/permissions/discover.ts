import type { ModelResource } from './cfn-model';
import { deployerRoleName, type EnvironmentModel } from './environment-model';
import type { CallCheck } from './simulate';

/**
 * A service-to-resource edge the templates wire: some AWS service will call `action` on
 * `target` (or a resource under it) at run time, as `service` or with `roleArn`.
 */
export interface RequiredEdge {
  readonly environment: string;
  /** What wires it, e.g. `alarm GatewayThrottlesAlarm -> topic FoundationAlarmTopic`. */
  readonly what: string;
  /** The service principal that calls, when it calls as itself. */
  readonly service?: string;
  /** The role it calls with, when it assumes one. */
  readonly roleArn?: string;
  readonly action: string;
  /** The resource the call targets (an object, stream or path under it counts). */
  readonly target: ModelResource | { readonly arnPrefix: string };
}

/** An edge whose caller is outside the templates: recorded as unverified (docs/runtime-permissions.md). */
export interface UnverifiedEdge {
  readonly environment: string;
  /** The kind of edge, e.g. `WAF logging`. */
  readonly kind: string;
  readonly what: string;
  readonly why: string;
}

/** Resource types that wire no service-to-resource call of their own (their edges are found on the types below). */
const TYPES_WITHOUT_EDGES = new Set([
  'AWS::IAM::Role', 'AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::KMS::Key', 'AWS::KMS::Alias',
  'AWS::EC2::VPC', 'AWS::EC2::Subnet', 'AWS::EC2::RouteTable', 'AWS::EC2::SubnetRouteTableAssociation', 'AWS::EC2::SecurityGroup',
  'AWS::EC2::SecurityGroupIngress', 'AWS::EC2::SecurityGroupEgress', 'AWS::EC2::VPCEndpoint',
  'AWS::S3::BucketPolicy', 'AWS::SQS::Queue', 'AWS::SQS::QueuePolicy', 'AWS::SNS::Topic', 'AWS::SNS::TopicPolicy', 'AWS::DynamoDB::Table',
  'AWS::Glue::Database', 'AWS::Glue::Table', 'AWS::Cognito::UserPool',
  'AWS::ApiGateway::RestApi', 'AWS::ApiGateway::Resource', 'AWS::ApiGateway::Method', 'AWS::ApiGateway::Deployment', 'AWS::ApiGateway::Authorizer',
  'AWS::ApiGateway::Model', 'AWS::ApiGateway::RequestValidator', 'AWS::ApiGateway::GatewayResponse', 'AWS::ApiGateway::ApiKey', 'AWS::ApiGateway::UsagePlan', 'AWS::ApiGateway::UsagePlanKey',
  'AWS::WAFv2::WebACL', 'AWS::WAFv2::WebACLAssociation', 'AWS::SageMaker::Endpoint', 'AWS::SageMaker::InferenceComponent',
  'AWS::ApplicationAutoScaling::ScalingPolicy', 'AWS::Logs::ResourcePolicy', 'AWS::Bedrock::GuardrailVersion',
  'AWS::Bedrock::EnforcedGuardrailConfiguration', 'AWS::CDK::Metadata',
]);

const ARN_SERVICE = (arn: string) => arn.split(':')[2];

/**
 * Every service-to-resource edge the templates of an environment wire, found from the resources'
 * properties (not from the declarations), so that a new edge without a declaration fails.
 * A resource type this function does not know fails too: classify it here first.
 */
export function discoverEdges(model: EnvironmentModel): { required: RequiredEdge[]; unverified: UnverifiedEdge[] } {
  const required: RequiredEdge[] = [];
  const unverified: UnverifiedEdge[] = [];
  const env = model.name;
  const need = (what: string, caller: { service?: string; roleArn?: string }, action: string, target: RequiredEdge['target']) => required.push({ environment: env, what, ...caller, action, target });
  const byArn = (arn: string, what: string): ModelResource => {
    const owner = model.owner(arn);
    if (!owner) throw new Error(`${env}: ${what} names ${arn}, which is not a resource of the templates`);
    return owner;
  };
  const bucketByName = (name: string) => byArn(`arn:aws:s3:::${name}`, `bucket ${name}`);
  const logGroupByName = (stackOf: ModelResource, name: string) => byArn(`arn:aws:logs:${stackOf.stack.region}:${stackOf.stack.account}:log-group:${name}`, `log group ${name}`);

  for (const resource of model.allResources()) {
    const p = model.properties(resource);
    const id = resource.logicalId;
    switch (resource.type) {
      case 'AWS::CloudWatch::Alarm':
        for (const arn of [...(p.AlarmActions as string[] ?? []), ...(p.OKActions as string[] ?? []), ...(p.InsufficientDataActions as string[] ?? [])]) {
          if (ARN_SERVICE(arn) === 'sns') need(`alarm ${id} -> topic`, { service: 'cloudwatch.amazonaws.com' }, 'sns:Publish', byArn(arn, id));
          else if (ARN_SERVICE(arn) === 'autoscaling') {
            unverified.push({ environment: env, kind: 'alarm -> scaling policy', what: `alarm ${id} -> scaling policy`, why: 'CloudWatch runs Application Auto Scaling policies through the service-linked role AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint, which AWS owns; no policy of ours takes part' });
          } else throw new Error(`${env}: alarm ${id} has an action ${arn} of a kind the discovery does not know; model it`);
        }
        break;
      case 'AWS::Events::Rule':
        for (const target of p.Targets as Array<{ Arn: string; DeadLetterConfig?: { Arn: string } }> ?? []) {
          for (const arn of [target.Arn, ...(target.DeadLetterConfig ? [target.DeadLetterConfig.Arn] : [])]) {
            if (ARN_SERVICE(arn) !== 'sqs') throw new Error(`${env}: rule ${id} targets ${arn}, a kind the discovery does not know; model it`);
            need(`rule ${id} -> queue`, { service: 'events.amazonaws.com' }, 'sqs:SendMessage', byArn(arn, id));
          }
        }
        break;
      case 'AWS::Logs::LogGroup':
        if (p.KmsKeyId) need(`encrypted log group ${id}`, { service: `logs.${resource.stack.region}.amazonaws.com` }, 'kms:GenerateDataKey', model.key(p.KmsKeyId as string));
        break;
      case 'AWS::S3::Bucket': {
        const replication = p.ReplicationConfiguration as { Role: string; Rules: Array<{ Destination: { Bucket: string } }> } | undefined;
        for (const rule of replication?.Rules ?? []) {
          need(`replication of ${id}`, { roleArn: replication!.Role }, 's3:GetObjectVersionForReplication', resource);
          need(`replication of ${id}`, { roleArn: replication!.Role }, 's3:ReplicateObject', byArn(rule.Destination.Bucket, id));
        }
        const logging = p.LoggingConfiguration as { DestinationBucketName: string } | undefined;
        if (logging) need(`server access logs of ${id}`, { service: 'logging.s3.amazonaws.com' }, 's3:PutObject', bucketByName(logging.DestinationBucketName));
        if ((p.NotificationConfiguration as { EventBridgeConfiguration?: unknown } | undefined)?.EventBridgeConfiguration) {
          unverified.push({ environment: env, kind: 'bucket -> EventBridge', what: `bucket ${id} -> EventBridge`, why: 'S3 sends object events to the account\'s default event bus without an authorization check against any policy of ours' });
        }
        break;
      }
      case 'AWS::Lambda::Function': {
        const roleArn = p.Role as string;
        const logging = p.LoggingConfig as { LogGroup?: string } | undefined;
        const group = logging?.LogGroup
          ? logGroupByName(resource, logging.LogGroup)
          : { arnPrefix: `arn:aws:logs:${resource.stack.region}:${resource.stack.account}:log-group:/aws/lambda/${resource.physicalId}` };
        need(`logs of function ${id}`, { roleArn }, 'logs:PutLogEvents', group);
        if (p.VpcConfig) need(`VPC attachment of function ${id}`, { roleArn }, 'ec2:CreateNetworkInterface', { arnPrefix: `arn:aws:ec2:${resource.stack.region}:${resource.stack.account}:network-interface/` });
        if ((p.TracingConfig as { Mode?: string } | undefined)?.Mode === 'Active') need(`tracing of function ${id}`, { roleArn }, 'xray:PutTraceSegments', { arnPrefix: '*' });
        const dlq = (p.DeadLetterConfig as { TargetArn?: string } | undefined)?.TargetArn;
        if (dlq) need(`dead-letter queue of function ${id}`, { roleArn }, 'sqs:SendMessage', byArn(dlq, id));
        // Lambda encrypts a customer-managed-key environment and grants itself the key with the creator's credentials.
        if (p.KmsKeyArn) need(`environment encryption of function ${id}`, { roleArn: `arn:aws:iam::${resource.stack.account}:role/${deployerRoleName(resource.stack.account, resource.stack.region)}` }, 'kms:Encrypt', model.key(p.KmsKeyArn as string));
        break;
      }
      case 'AWS::Lambda::EventSourceMapping': {
        const fn = model.ofType('AWS::Lambda::Function').find((f) => f.physicalId === p.FunctionName || f.arn === p.FunctionName)!;
        need(`event source of ${fn.logicalId}`, { roleArn: model.properties(fn).Role as string }, 'sqs:ReceiveMessage', byArn(p.EventSourceArn as string, id));
        break;
      }
      case 'AWS::Lambda::Permission':
        need(`permission ${id}`, { service: p.Principal as string }, p.Action as string, byArn(p.FunctionName as string, id));
        break;
      case 'AWS::OpenSearchService::Domain':
        for (const option of Object.values(p.LogPublishingOptions as Record<string, { CloudWatchLogsLogGroupArn: string }> ?? {})) {
          need(`logs of domain ${id}`, { service: 'es.amazonaws.com' }, 'logs:PutLogEvents', byArn(option.CloudWatchLogsLogGroupArn.replace(/:\*$/, ''), id));
        }
        break;
      case 'AWS::Bedrock::Guardrail':
        if (p.KmsKeyArn) need(`encrypted guardrail ${id}`, { roleArn: `arn:aws:iam::${resource.stack.account}:role/${deployerRoleName(resource.stack.account, resource.stack.region)}` }, 'kms:GenerateDataKey', model.key(p.KmsKeyArn as string));
        break;
      case 'AWS::SageMaker::Model': {
        const container = p.PrimaryContainer as { ModelDataUrl?: string; ModelDataSource?: { S3DataSource: { S3Uri: string } } };
        const uri = container.ModelDataUrl ?? container.ModelDataSource!.S3DataSource.S3Uri;
        need(`model data of ${id}`, { roleArn: p.ExecutionRoleArn as string }, 's3:GetObject', bucketByName(uri.slice('s3://'.length).split('/')[0]));
        break;
      }
      case 'AWS::SageMaker::EndpointConfig': {
        const capture = p.DataCaptureConfig as { DestinationS3Uri: string } | undefined;
        const models = (p.ProductionVariants as Array<{ ModelName?: string }>).map((v) => v.ModelName).filter((name): name is string => name !== undefined);
        const roleArn = (p.ExecutionRoleArn as string | undefined) ?? model.properties(model.ofType('AWS::SageMaker::Model').find((m) => models.includes(m.physicalId))!).ExecutionRoleArn as string;
        if (capture) need(`data capture of ${id}`, { roleArn }, 's3:PutObject', bucketByName(capture.DestinationS3Uri.slice('s3://'.length).split('/')[0]));
        break;
      }
      case 'AWS::EC2::FlowLog':
        need(`flow log ${id}`, { roleArn: p.DeliverLogsPermissionArn as string }, 'logs:PutLogEvents', logGroupByName(resource, p.LogGroupName as string));
        break;
      case 'AWS::ApiGateway::Stage':
        if (p.AccessLogSetting) unverified.push({ environment: env, kind: 'API stage logs', what: `access logs of stage ${id}`, why: 'API Gateway writes execution and access logs with the account\'s CloudWatch role (AWS::ApiGateway::Account, the account baseline), which is not in these templates' });
        break;
      case 'AWS::WAFv2::LoggingConfiguration':
        unverified.push({ environment: env, kind: 'WAF logging', what: `WAF logging ${id}`, why: 'WAF delivers logs through CloudWatch Logs vended delivery and adds the log resource policy itself when the configuration is created' });
        break;
      case 'AWS::ApplicationAutoScaling::ScalableTarget':
        unverified.push({ environment: env, kind: 'endpoint auto scaling', what: `scalable target ${id}`, why: 'Application Auto Scaling scales the endpoint with its AWS-owned service-linked role' });
        break;
      default:
        if (resource.type.startsWith('Custom::') || resource.type === 'AWS::CloudFormation::CustomResource') {
          need(`custom resource ${id}`, { roleArn: `arn:aws:iam::${resource.stack.account}:role/${deployerRoleName(resource.stack.account, resource.stack.region)}` }, 'lambda:InvokeFunction', byArn(p.ServiceToken as string, id));
        } else if (!TYPES_WITHOUT_EDGES.has(resource.type)) {
          throw new Error(`${env}: ${id} is a ${resource.type}, which the edge discovery has not classified; say which service-to-resource calls it wires (or that it wires none)`);
        }
    }
  }
  return { required, unverified };
}

/** Whether a check covers an edge: same caller, same action, a resource at or under the target. */
export function covers(model: EnvironmentModel, check: CallCheck, edge: RequiredEdge): boolean {
  if (check.action !== edge.action) return false;
  if (edge.service ? check.caller.principal !== edge.service : !(check.caller.role?.arn === edge.roleArn || check.caller.principal.includes(`:assumed-role/${edge.roleArn!.split('/').pop()}/`))) return false;
  if ('arnPrefix' in edge.target) return edge.target.arnPrefix === '*' ? check.resource === '*' : check.resource.startsWith(edge.target.arnPrefix);
  return check.resource === edge.target.arn || model.owner(check.resource) === edge.target;
}
