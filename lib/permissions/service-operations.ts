import { CfnResource, Lazy, Stack } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import type { AwsCall } from '../../lambda/shared/operation-contract';
import { PavedRoadError } from '../core/errors';

/** Template metadata key under which a resource's declared service operations are recorded. */
export const SERVICE_OPERATIONS_METADATA_KEY = 'paved-road:service-operations';

/** Template metadata key under which a role's justified unused grants are recorded. */
export const UNUSED_GRANTS_METADATA_KEY = 'paved-road:unused-grants';

/**
 * The identity an AWS service acts with when it writes into (or reads from) one of our
 * resources: its own service principal, a role of ours that it assumes, or the CloudFormation
 * execution role during deployment.
 */
export class ServiceCaller {
  /**
   * The service signs the request as itself (e.g. CloudWatch publishing an alarm notification);
   * only resource policies (topic, queue, key, log resource policy, function permission) can
   * allow it.
   * @param servicePrincipal e.g. `cloudwatch.amazonaws.com`
   */
  public static servicePrincipal(servicePrincipal: string): ServiceCaller {
    return new ServiceCaller(servicePrincipal, undefined, false);
  }

  /**
   * The service assumes `role` and calls with its credentials (e.g. Lambda with a function's
   * execution role, S3 with the replication role); the role's trust policy must let the service
   * assume it, and its identity policies plus the resource policies must allow each call.
   */
  public static role(servicePrincipal: string, role: iam.IRole): ServiceCaller {
    return new ServiceCaller(servicePrincipal, role.roleArn, false);
  }

  /**
   * The CloudFormation execution role of the CDK bootstrap (`cdk-hnb659fds-cfn-exec-role-*`),
   * which creates the resource and calls the service with its own credentials during deployment
   * (e.g. Bedrock encrypting a new guardrail with its key).
   */
  public static deployer(): ServiceCaller {
    return new ServiceCaller('cloudformation.amazonaws.com', undefined, true);
  }

  private constructor(
    /** The service that makes the calls. */
    public readonly servicePrincipal: string,
    /** ARN of the role it acts with, when it assumes one of ours. */
    public readonly roleArn: string | undefined,
    /** Whether it acts with the deployment's CloudFormation execution role. */
    public readonly isDeployer: boolean,
  ) {}
}

/**
 * One thing an AWS service does to our resources at run time (or at deployment), with every
 * authorization check it causes. Declared next to the construct that wires it, so a new
 * service-to-resource edge cannot be added without saying what IAM must allow.
 */
export interface ServiceOperation {
  /** What happens, e.g. `CloudWatch alarm actions publish to the alarm topic`. */
  readonly description: string;
  /** Documentation pages for the calls, their condition keys and their KMS use. */
  readonly docs: readonly string[];
  /** The identity the service acts with. */
  readonly caller: ServiceCaller;
  /**
   * The authorization checks, each with the condition keys the service sets
   * (`aws:SourceArn`, `aws:SourceAccount`, `kms:EncryptionContext:*`, ...).
   */
  readonly calls: readonly AwsCall[];
  /**
   * Condition keys the service sets when it assumes {@link ServiceCaller.role}'s role, e.g.
   * `aws:SourceAccount`.
   * @default - none
   */
  readonly assumeRoleContext?: Readonly<Record<string, string>>;
}

/** A granted action that no contract or service operation uses, and why it stays. */
export interface UnusedGrant {
  /** The actions, as the service authorization reference names them. */
  readonly actions: readonly string[];
  /** Why they are granted although nothing declared uses them. At least 40 characters. */
  readonly reason: string;
}

function cfnResourceOf(scope: IConstruct, what: string): CfnResource {
  const resource = CfnResource.isCfnResource(scope) ? scope : scope.node.defaultChild;
  if (!resource || !CfnResource.isCfnResource(resource)) {
    throw new PavedRoadError(`${scope.node.path}: ${what} must be recorded on a CloudFormation resource; pass the L1 or an L2 whose default child is one`);
  }
  return resource;
}

/**
 * Placeholder for a reference of the recording resource to itself: CloudFormation resolves
 * intrinsics in Metadata, so a resource's metadata may not Ref or Fn::GetAtt the resource
 * itself (a circular dependency). `{ "paved-road:self": "Ref" }` stands for `{ "Ref": <self> }`,
 * `{ "paved-road:self": "Arn" }` for `{ "Fn::GetAtt": [<self>, "Arn"] }`.
 */
export const SELF_REFERENCE_KEY = 'paved-road:self';

function replaceSelfReferences(value: unknown, logicalId: string): unknown {
  if (Array.isArray(value)) return value.map((item) => replaceSelfReferences(item, logicalId));
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  if (object.Ref === logicalId) return { [SELF_REFERENCE_KEY]: 'Ref' };
  const getAtt = object['Fn::GetAtt'];
  if (Array.isArray(getAtt) && getAtt[0] === logicalId) return { [SELF_REFERENCE_KEY]: getAtt[1] };
  return Object.fromEntries(Object.entries(object).map(([key, item]) => [key, replaceSelfReferences(item, logicalId)]));
}

const recorded = new WeakMap<CfnResource, Map<string, unknown[]>>();

function record(resource: CfnResource, key: string, entries: readonly unknown[]): void {
  let byKey = recorded.get(resource);
  if (!byKey) {
    byKey = new Map();
    recorded.set(resource, byKey);
  }
  let list = byKey.get(key);
  if (!list) {
    list = [];
    byKey.set(key, list);
    const values = list;
    const stack = Stack.of(resource);
    resource.addMetadata(key, Lazy.any({ produce: () => replaceSelfReferences(stack.resolve(values), stack.getLogicalId(resource)) }));
  }
  list.push(...entries);
}

/**
 * Records what AWS services do to `scope`'s resource (or, with it, to others) in the template
 * under `Metadata['paved-road:service-operations']`, where the runtime-permission simulation
 * and auditors read it. Tokens (ARNs of other resources) resolve in the template.
 */
export function declareServiceOperations(scope: IConstruct, ...operations: ServiceOperation[]): void {
  const resource = cfnResourceOf(scope, 'service operations');
  record(resource, SERVICE_OPERATIONS_METADATA_KEY, operations.map((operation) => ({
    description: operation.description,
    docs: operation.docs,
    caller: {
      service: operation.caller.servicePrincipal,
      ...(operation.caller.roleArn ? { role: operation.caller.roleArn } : {}),
      ...(operation.caller.isDeployer ? { deployer: true } : {}),
    },
    ...(operation.assumeRoleContext ? { assumeRoleContext: operation.assumeRoleContext } : {}),
    calls: operation.calls,
  })));
}

/**
 * Records actions granted to `role` that nothing declared uses, with the reason they stay
 * (e.g. an AWS managed policy that cannot be trimmed). The runtime-permission test fails on
 * any unused action of a role that is not listed here.
 */
export function justifyUnusedGrants(role: iam.IRole, ...grants: UnusedGrant[]): void {
  for (const grant of grants) {
    if (grant.reason.trim().length < 40) {
      throw new PavedRoadError(`${role.node.path}: the reason for unused grants ${grant.actions.join(', ')} is too short; say in at least 40 characters why each stays`);
    }
  }
  record(cfnResourceOf(role, 'unused grants'), UNUSED_GRANTS_METADATA_KEY, grants.map((grant) => ({ actions: grant.actions, reason: grant.reason })));
}
