import { createHash } from 'node:crypto';

/*
 * Synthesized CloudFormation templates resolved to concrete strings, as they would be after a
 * deployment: every resource gets a fabricated physical id, and Ref / Fn::GetAtt return what the
 * CloudFormation resource reference documents for its type. An intrinsic, pseudo parameter,
 * resource type or attribute this file does not know fails loudly: nothing is guessed.
 */

/** One synthesized stack: its template and where it deploys. */
export interface StackTemplate {
  readonly stackName: string;
  readonly account: string;
  readonly region: string;
  readonly template: { Resources: Record<string, CfnResourceJson>; Conditions?: unknown };
}

/** A template resource. */
export interface CfnResourceJson {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

/** A resource of a resolved stack, with the physical identity it was given. */
export interface ModelResource {
  readonly stack: ResolvedStack;
  readonly logicalId: string;
  readonly type: string;
  /** The name or id the resource would get: its name property, or a fabricated one. */
  readonly physicalId: string;
  /** Its ARN, for types that have one. */
  readonly arn?: string;
}

const PARTITION = 'aws';
const REFERENCE = 'https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference';

const hex = (seed: string, length: number) => createHash('sha256').update(seed).digest('hex').slice(0, length);
const uuid = (seed: string) => { const h = hex(seed, 32); return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`; };

interface Formats {
  /** Documentation page of the type (its "Return values" section). */
  readonly docs: string;
  /** The physical id when the template names none. */
  fabricate(resource: { logicalId: string; stack: ResolvedStack }): string;
  /** The property that names the resource, when it has one. */
  readonly nameProperty?: string;
  /** The ARN, from the physical id. */
  arn?(physicalId: string, stack: ResolvedStack, properties: Record<string, unknown>): string;
  /** What Ref returns. */
  ref(physicalId: string, arn: string | undefined, stack: ResolvedStack): string;
  /** What each Fn::GetAtt attribute returns. */
  readonly attributes: Readonly<Record<string, (physicalId: string, arn: string | undefined, stack: ResolvedStack, properties: Record<string, unknown>) => string>>;
}

const generatedName = (maxLength: number, lowerCase = false) => ({ logicalId, stack }: { logicalId: string; stack: ResolvedStack }) => {
  const name = `${stack.stackName}-${logicalId}`.slice(0, maxLength - 13) + `-${hex(stack.stackName + logicalId, 12).toUpperCase()}`;
  return lowerCase ? name.toLowerCase() : name;
};
const prefixedId = (prefix: string, length = 17) => ({ logicalId, stack }: { logicalId: string; stack: ResolvedStack }) => `${prefix}${hex(stack.stackName + logicalId, length)}`;
const same = (id: string) => id;
const arnOf = (_id: string, arn: string | undefined) => { if (!arn) throw new Error('no ARN'); return arn; };

/** Return values of a named SageMaker resource (`AWS::SageMaker::<Type>`, its reference page by the lower-cased type). */
function sageMakerFormats(resourceType: string, nameProperty: string): Formats {
  return {
    docs: `${REFERENCE}/aws-resource-sagemaker-${resourceType.replace(/-/g, '')}.html`,
    nameProperty,
    fabricate: generatedName(63),
    arn: (id, s) => `arn:${PARTITION}:sagemaker:${s.region}:${s.account}:${resourceType}/${id.toLowerCase()}`,
    ref: arnOf,
    attributes: { [nameProperty]: same },
  };
}

/**
 * Return values per resource type, as the CloudFormation template reference documents them
 * (`<REFERENCE>/aws-resource-<service>-<type>.html`, section "Return values").
 */
const FORMATS: Readonly<Record<string, Formats>> = {
  'AWS::IAM::Role': {
    docs: `${REFERENCE}/aws-resource-iam-role.html`,
    nameProperty: 'RoleName',
    fabricate: generatedName(64),
    arn: (id, s, p) => `arn:${PARTITION}:iam::${s.account}:role${(p.Path as string | undefined) ?? '/'}${id}`,
    ref: same,
    attributes: { Arn: arnOf, RoleId: (id) => `AROA${hex(id, 17).toUpperCase()}` },
  },
  'AWS::IAM::ManagedPolicy': {
    docs: `${REFERENCE}/aws-resource-iam-managedpolicy.html`,
    nameProperty: 'ManagedPolicyName',
    fabricate: generatedName(128),
    arn: (id, s) => `arn:${PARTITION}:iam::${s.account}:policy/${id}`,
    ref: arnOf,
    attributes: { PolicyArn: arnOf },
  },
  'AWS::KMS::Key': {
    docs: `${REFERENCE}/aws-resource-kms-key.html`,
    fabricate: ({ logicalId, stack }) => uuid(stack.stackName + logicalId),
    arn: (id, s) => `arn:${PARTITION}:kms:${s.region}:${s.account}:key/${id}`,
    ref: same,
    attributes: { Arn: arnOf, KeyId: same },
  },
  'AWS::KMS::Alias': {
    docs: `${REFERENCE}/aws-resource-kms-alias.html`,
    nameProperty: 'AliasName',
    fabricate: () => { throw new Error('an alias always has a name'); },
    arn: (id, s) => `arn:${PARTITION}:kms:${s.region}:${s.account}:${id}`,
    ref: same,
    attributes: {},
  },
  'AWS::Lambda::Function': {
    docs: `${REFERENCE}/aws-resource-lambda-function.html`,
    nameProperty: 'FunctionName',
    fabricate: generatedName(64),
    arn: (id, s) => `arn:${PARTITION}:lambda:${s.region}:${s.account}:function:${id}`,
    ref: same,
    attributes: { Arn: arnOf },
  },
  'AWS::S3::Bucket': {
    docs: `${REFERENCE}/aws-resource-s3-bucket.html`,
    nameProperty: 'BucketName',
    fabricate: generatedName(63, true),
    arn: (id) => `arn:${PARTITION}:s3:::${id}`,
    ref: same,
    attributes: { Arn: arnOf, DomainName: (id) => `${id}.s3.amazonaws.com`, RegionalDomainName: (id, _a, s) => `${id}.s3.${s.region}.amazonaws.com` },
  },
  'AWS::SQS::Queue': {
    docs: `${REFERENCE}/aws-resource-sqs-queue.html`,
    nameProperty: 'QueueName',
    fabricate: generatedName(80),
    arn: (id, s) => `arn:${PARTITION}:sqs:${s.region}:${s.account}:${id}`,
    ref: (id, _a, s) => `https://sqs.${s.region}.amazonaws.com/${s.account}/${id}`,
    attributes: { Arn: arnOf, QueueName: same, QueueUrl: (id, _a, s) => `https://sqs.${s.region}.amazonaws.com/${s.account}/${id}` },
  },
  'AWS::SNS::Topic': {
    docs: `${REFERENCE}/aws-resource-sns-topic.html`,
    nameProperty: 'TopicName',
    fabricate: generatedName(256),
    arn: (id, s) => `arn:${PARTITION}:sns:${s.region}:${s.account}:${id}`,
    ref: arnOf,
    attributes: { TopicArn: arnOf, TopicName: same },
  },
  'AWS::DynamoDB::Table': {
    docs: `${REFERENCE}/aws-resource-dynamodb-table.html`,
    nameProperty: 'TableName',
    fabricate: generatedName(255),
    arn: (id, s) => `arn:${PARTITION}:dynamodb:${s.region}:${s.account}:table/${id}`,
    ref: same,
    attributes: { Arn: arnOf },
  },
  'AWS::Logs::LogGroup': {
    docs: `${REFERENCE}/aws-resource-logs-loggroup.html`,
    nameProperty: 'LogGroupName',
    fabricate: generatedName(512),
    // The ARN without the `:*` suffix: the log-group resource type of the service authorization reference.
    arn: (id, s) => `arn:${PARTITION}:logs:${s.region}:${s.account}:log-group:${id}`,
    ref: same,
    // "Arn: The ARN of the log group, such as arn:aws:logs:us-west-1:123456789012:log-group:/mystack-testgroup-12ABC1AHYI:*"
    attributes: { Arn: (_id, arn) => `${arn}:*` },
  },
  'AWS::OpenSearchService::Domain': {
    docs: `${REFERENCE}/aws-resource-opensearchservice-domain.html`,
    nameProperty: 'DomainName',
    fabricate: generatedName(28, true),
    arn: (id, s) => `arn:${PARTITION}:es:${s.region}:${s.account}:domain/${id}`,
    ref: same,
    attributes: { Arn: arnOf, DomainArn: arnOf, DomainEndpoint: (id, _a, s) => `vpc-${id}-${hex(id, 26)}.${s.region}.es.amazonaws.com` },
  },
  'AWS::Bedrock::Guardrail': {
    docs: `${REFERENCE}/aws-resource-bedrock-guardrail.html`,
    fabricate: ({ logicalId, stack }) => hex(stack.stackName + logicalId, 12),
    arn: (id, s) => `arn:${PARTITION}:bedrock:${s.region}:${s.account}:guardrail/${id}`,
    ref: arnOf,
    attributes: { GuardrailArn: arnOf, GuardrailId: same, Version: () => 'DRAFT' },
  },
  'AWS::Bedrock::GuardrailVersion': {
    docs: `${REFERENCE}/aws-resource-bedrock-guardrailversion.html`,
    fabricate: () => '1',
    ref: () => { throw new Error('Ref of a guardrail version is <guardrail-id>|<version>; use Fn::GetAtt'); },
    attributes: { Version: same },
  },
  // SageMaker ARNs carry the name in lower case; Ref returns the ARN.
  'AWS::SageMaker::Endpoint': sageMakerFormats('endpoint', 'EndpointName'),
  'AWS::SageMaker::EndpointConfig': sageMakerFormats('endpoint-config', 'EndpointConfigName'),
  'AWS::SageMaker::Model': sageMakerFormats('model', 'ModelName'),
  'AWS::SageMaker::InferenceComponent': { ...sageMakerFormats('inference-component', 'InferenceComponentName'), attributes: { InferenceComponentName: same, InferenceComponentArn: arnOf } },
  'AWS::EC2::VPC': {
    docs: `${REFERENCE}/aws-resource-ec2-vpc.html`,
    fabricate: prefixedId('vpc-'),
    arn: (id, s) => `arn:${PARTITION}:ec2:${s.region}:${s.account}:vpc/${id}`,
    ref: same,
    attributes: { VpcId: same, CidrBlock: (_id, _a, _s, p) => p.CidrBlock as string, DefaultSecurityGroup: (id) => `sg-${hex(`${id}default`, 17)}` },
  },
  'AWS::EC2::Subnet': {
    docs: `${REFERENCE}/aws-resource-ec2-subnet.html`,
    fabricate: prefixedId('subnet-'),
    arn: (id, s) => `arn:${PARTITION}:ec2:${s.region}:${s.account}:subnet/${id}`,
    ref: same,
    attributes: { SubnetId: same },
  },
  'AWS::EC2::SecurityGroup': {
    docs: `${REFERENCE}/aws-resource-ec2-securitygroup.html`,
    fabricate: prefixedId('sg-'),
    arn: (id, s) => `arn:${PARTITION}:ec2:${s.region}:${s.account}:security-group/${id}`,
    ref: same,
    attributes: { GroupId: same },
  },
  'AWS::EC2::VPCEndpoint': {
    docs: `${REFERENCE}/aws-resource-ec2-vpcendpoint.html`,
    fabricate: prefixedId('vpce-'),
    arn: (id, s) => `arn:${PARTITION}:ec2:${s.region}:${s.account}:vpc-endpoint/${id}`,
    ref: same,
    attributes: { Id: same },
  },
  'AWS::EC2::RouteTable': { docs: `${REFERENCE}/aws-resource-ec2-routetable.html`, fabricate: prefixedId('rtb-'), ref: same, attributes: {} },
  'AWS::ApiGateway::RestApi': {
    docs: `${REFERENCE}/aws-resource-apigateway-restapi.html`,
    fabricate: prefixedId('', 10),
    ref: same,
    attributes: { RootResourceId: (id) => hex(`${id}root`, 10) },
  },
  'AWS::ApiGateway::Resource': { docs: `${REFERENCE}/aws-resource-apigateway-resource.html`, fabricate: prefixedId('', 6), ref: same, attributes: {} },
  'AWS::ApiGateway::Authorizer': { docs: `${REFERENCE}/aws-resource-apigateway-authorizer.html`, fabricate: prefixedId('', 6), ref: same, attributes: {} },
  'AWS::ApiGateway::RequestValidator': { docs: `${REFERENCE}/aws-resource-apigateway-requestvalidator.html`, fabricate: prefixedId('', 6), ref: same, attributes: {} },
  'AWS::ApiGateway::Model': { docs: `${REFERENCE}/aws-resource-apigateway-model.html`, nameProperty: 'Name', fabricate: prefixedId('Model', 8), ref: same, attributes: {} },
  'AWS::ApiGateway::Deployment': { docs: `${REFERENCE}/aws-resource-apigateway-deployment.html`, fabricate: prefixedId('', 6), ref: same, attributes: {} },
  'AWS::ApiGateway::Stage': { docs: `${REFERENCE}/aws-resource-apigateway-stage.html`, nameProperty: 'StageName', fabricate: () => { throw new Error('a stage always has a name'); }, ref: same, attributes: {} },
  'AWS::ApiGateway::ApiKey': { docs: `${REFERENCE}/aws-resource-apigateway-apikey.html`, fabricate: prefixedId('', 10), ref: same, attributes: {} },
  'AWS::Cognito::UserPool': {
    docs: `${REFERENCE}/aws-resource-cognito-userpool.html`,
    fabricate: ({ logicalId, stack }) => `${stack.region}_${hex(stack.stackName + logicalId, 9)}`,
    arn: (id, s) => `arn:${PARTITION}:cognito-idp:${s.region}:${s.account}:userpool/${id}`,
    ref: same,
    attributes: { Arn: arnOf },
  },
  'AWS::WAFv2::WebACL': {
    docs: `${REFERENCE}/aws-resource-wafv2-webacl.html`,
    nameProperty: 'Name',
    fabricate: generatedName(128),
    arn: (id, s) => `arn:${PARTITION}:wafv2:${s.region}:${s.account}:regional/webacl/${id}/${uuid(id)}`,
    // "Ref returns the web ACL name, physical ID and scope, separated by |"
    ref: (id) => `${id}|${uuid(id)}|REGIONAL`,
    attributes: { Arn: arnOf, Id: (id) => uuid(id) },
  },
  'AWS::CloudWatch::Alarm': {
    docs: `${REFERENCE}/aws-resource-cloudwatch-alarm.html`,
    nameProperty: 'AlarmName',
    fabricate: generatedName(255),
    arn: (id, s) => `arn:${PARTITION}:cloudwatch:${s.region}:${s.account}:alarm:${id}`,
    ref: same,
    attributes: { Arn: arnOf },
  },
  'AWS::Events::Rule': {
    docs: `${REFERENCE}/aws-resource-events-rule.html`,
    nameProperty: 'Name',
    fabricate: generatedName(64),
    arn: (id, s) => `arn:${PARTITION}:events:${s.region}:${s.account}:rule/${id}`,
    ref: same,
    attributes: { Arn: arnOf },
  },
  'AWS::Glue::Database': { docs: `${REFERENCE}/aws-resource-glue-database.html`, fabricate: prefixedId('db', 8), ref: same, attributes: {} },
  'AWS::ApplicationAutoScaling::ScalableTarget': {
    docs: `${REFERENCE}/aws-resource-applicationautoscaling-scalabletarget.html`,
    // "Ref returns the CloudFormation-generated ID of the resource, such as service/ecsStack-MyECSCluster-AB12CDE3F4GH/ecsStack-MyECSService-AB12CDE3F4GH|ecs:service:DesiredCount|ecs"
    fabricate: () => { throw new Error('computed from its properties'); },
    ref: same,
    attributes: {},
  },
  'AWS::ApplicationAutoScaling::ScalingPolicy': {
    docs: `${REFERENCE}/aws-resource-applicationautoscaling-scalingpolicy.html`,
    fabricate: generatedName(255),
    arn: (id, s) => `arn:${PARTITION}:autoscaling:${s.region}:${s.account}:scalingPolicy:${uuid(id)}:resource/sagemaker/${id}:policyName/${id}`,
    ref: arnOf,
    attributes: { Arn: arnOf },
  },
};

const PSEUDO_PARAMETERS = ['AWS::Partition', 'AWS::Region', 'AWS::AccountId', 'AWS::URLSuffix', 'AWS::StackName', 'AWS::StackId', 'AWS::NoValue'];

/** A stack whose intrinsics resolve to concrete strings. */
export class ResolvedStack {
  public readonly stackName: string;
  public readonly account: string;
  public readonly region: string;
  public readonly partition = PARTITION;
  public readonly resources: Readonly<Record<string, CfnResourceJson>>;
  private readonly identities = new Map<string, ModelResource>();

  constructor(readonly source: StackTemplate) {
    this.stackName = source.stackName;
    this.account = source.account;
    this.region = source.region;
    this.resources = source.template.Resources;
    if (source.template.Conditions && Object.keys(source.template.Conditions).length > 0) {
      throw new Error(`${this.stackName}: the template has Conditions; teach the permission model to evaluate them`);
    }
  }

  /** Every resource of the stack with its physical identity (types without formats are skipped). */
  public modelResources(): ModelResource[] {
    return Object.keys(this.resources).filter((id) => FORMATS[this.resources[id].Type] && this.canIdentify(id)).map((id) => this.identity(id));
  }

  /** The physical identity of a resource; fails for a type whose return values are not recorded here. */
  public identity(logicalId: string): ModelResource {
    const cached = this.identities.get(logicalId);
    if (cached) return cached;
    const resource = this.resources[logicalId];
    if (!resource) throw new Error(`${this.stackName}: no resource ${logicalId}`);
    const formats = FORMATS[resource.Type];
    if (!formats) throw new Error(`${this.stackName}/${logicalId}: resource type ${resource.Type} has no recorded Ref/GetAtt formats; add them from its CloudFormation reference page`);
    const properties = resource.Properties ?? {};
    const named = formats.nameProperty ? properties[formats.nameProperty] : undefined;
    const physicalId = named === undefined ? this.fabricatedId(resource.Type, logicalId, properties) : this.resolveString(named);
    const identity: ModelResource = { stack: this, logicalId, type: resource.Type, physicalId, arn: formats.arn?.(physicalId, this, properties) };
    this.identities.set(logicalId, identity);
    return identity;
  }

  /** Resolves a template value (intrinsics included) to plain JSON. */
  public resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((item) => this.resolve(item));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [key, argument] = entries[0];
      if (key === 'Ref') return this.ref(argument as string);
      if (key === 'Fn::GetAtt') return this.getAtt(argument as [string, string]);
      if (key === 'Fn::Join') {
        const [separator, parts] = argument as [string, unknown[]];
        return (this.resolve(parts) as unknown[]).map((part) => this.asString(part, 'Fn::Join')).join(separator);
      }
      if (key === 'Fn::Sub') return this.sub(argument as string | [string, Record<string, unknown>]);
      if (key === 'Fn::Select') {
        const [index, list] = argument as [unknown, unknown];
        const items = this.resolve(list) as unknown[];
        return items[Number(this.resolve(index))];
      }
      if (key === 'Fn::Split') {
        const [separator, source] = argument as [string, unknown];
        return this.resolveString(source).split(separator);
      }
      if (key.startsWith('Fn::') || key === 'Condition') {
        throw new Error(`${this.stackName}: intrinsic ${key} is not modelled; teach the permission model to resolve it (${JSON.stringify(value).slice(0, 200)})`);
      }
    }
    return Object.fromEntries(entries.map(([key, item]) => [key, this.resolve(item)]));
  }

  /** Resolves a value that must be a string. */
  public resolveString(value: unknown): string {
    return this.asString(this.resolve(value), JSON.stringify(value).slice(0, 200));
  }

  private canIdentify(logicalId: string): boolean {
    const resource = this.resources[logicalId];
    return !(resource.Type === 'AWS::ApplicationAutoScaling::ScalableTarget' || resource.Type === 'AWS::Bedrock::GuardrailVersion');
  }

  private fabricatedId(type: string, logicalId: string, properties: Record<string, unknown>): string {
    if (type === 'AWS::ApplicationAutoScaling::ScalableTarget') {
      return [properties.ResourceId, properties.ScalableDimension, properties.ServiceNamespace].map((part) => this.resolveString(part)).join('|');
    }
    if (type === 'AWS::Bedrock::GuardrailVersion') return '1';
    return FORMATS[type].fabricate({ logicalId, stack: this });
  }

  private asString(value: unknown, where: string): string {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    throw new Error(`${this.stackName}: expected a string from ${where}, got ${JSON.stringify(value)}`);
  }

  private pseudo(name: string): string {
    switch (name) {
      case 'AWS::Partition': return PARTITION;
      case 'AWS::Region': return this.region;
      case 'AWS::AccountId': return this.account;
      case 'AWS::URLSuffix': return 'amazonaws.com';
      case 'AWS::StackName': return this.stackName;
      case 'AWS::StackId': return `arn:${PARTITION}:cloudformation:${this.region}:${this.account}:stack/${this.stackName}/${uuid(this.stackName)}`;
      default: throw new Error(`${this.stackName}: pseudo parameter ${name} is not modelled`);
    }
  }

  private ref(name: string): string {
    if (PSEUDO_PARAMETERS.includes(name)) return this.pseudo(name);
    const resource = this.resources[name];
    if (!resource) throw new Error(`${this.stackName}: Ref to ${name}, which is neither a resource nor a modelled pseudo parameter (parameters are not modelled)`);
    const identity = this.identity(name);
    return FORMATS[resource.Type].ref(identity.physicalId, identity.arn, this);
  }

  private getAtt([logicalId, attribute]: [string, string]): string {
    const resource = this.resources[logicalId];
    if (!resource) throw new Error(`${this.stackName}: Fn::GetAtt of unknown resource ${logicalId}`);
    const formats = FORMATS[resource.Type];
    const format = formats?.attributes[attribute];
    if (!format) throw new Error(`${this.stackName}/${logicalId}: attribute ${attribute} of ${resource.Type} is not modelled; add it from ${formats?.docs ?? 'its CloudFormation reference page'}`);
    if (resource.Type === 'AWS::Bedrock::GuardrailVersion') return '1';
    const identity = this.identity(logicalId);
    return format(identity.physicalId, identity.arn, this, resource.Properties ?? {});
  }

  private sub(argument: string | [string, Record<string, unknown>]): string {
    const [text, variables] = typeof argument === 'string' ? [argument, {}] : argument;
    return text.replace(/\$\{([^}!]+)\}/g, (_match, name: string) => {
      if (name in variables) return this.resolveString(variables[name]);
      if (PSEUDO_PARAMETERS.includes(name)) return this.pseudo(name);
      const [logicalId, attribute] = name.split('.');
      return attribute ? this.getAtt([logicalId, attribute]) : this.ref(logicalId);
    });
  }
}
