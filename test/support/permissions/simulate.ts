import { createValidatedPolicy, validateResourcePolicy } from '@cloud-copilot/iam-policy';
import { runSimulation, runUnsafeSimulation } from '@cloud-copilot/iam-simulate';
import type { AwsCall, ImplicitKmsUse } from '../../../lambda/shared/operation-contract';
import { OPERATIONS_METADATA_KEY } from '../../../lib/serverless/paved-road-function';
import { SERVICE_OPERATIONS_METADATA_KEY } from '../../../lib/permissions/service-operations';
import type { ModelResource } from './cfn-model';
import { awsManagedPolicy, deployerRoleName, type EnvironmentModel, type NamedPolicy, type PolicyDocument, type VpcEndpointModel } from './environment-model';

/** Who makes a call, as the simulation sees it. */
export interface Caller {
  /** Human-readable name for the table, e.g. `GatewayHandler` or `cloudwatch.amazonaws.com`. */
  readonly label: string;
  /** The request principal: an assumed-role session ARN or a service principal. */
  readonly principal: string;
  /** The role, when the caller acts with one of ours. */
  readonly role?: ModelResource;
  /** Account of the caller. */
  readonly account: string;
  readonly identityPolicies: NamedPolicy[];
  /** Condition keys every request of this caller carries. */
  readonly context: Readonly<Record<string, string | readonly string[]>>;
}

/** One authorization check to evaluate. */
export interface CallCheck {
  /**
   * The resource lies in an account outside the templates whose policy the simulation cannot
   * read (the AWS-owned SageMaker Deep Learning Container registry): only the caller's identity
   * policies are evaluated, and the decision is reported as unverified.
   */
  readonly externalResourcePolicy?: boolean;
  readonly environment: string;
  readonly caller: Caller;
  /** The contract or service operation the check comes from. */
  readonly operation: string;
  readonly action: string;
  readonly resource: string;
  readonly resourceAccount: string;
  readonly resourcePolicy?: PolicyDocument;
  readonly context: Readonly<Record<string, string | readonly string[]>>;
  /** The VPC endpoint a call from inside a VPC passes through; its policy is evaluated too. */
  readonly endpoint?: VpcEndpointModel;
  /** Why the call cannot reach its service at all (a VPC without an endpoint for it or a route out). */
  readonly unreachable?: string;
  /** For a KMS call a service makes for the caller: that service (e.g. `sqs`). */
  readonly viaService?: string;
}

/** The outcome of a check. */
export interface CallResult {
  readonly check: CallCheck;
  readonly decision: string;
  /** Why it was denied, or the simulator's validation errors. */
  readonly detail?: string;
  /** Asserted context keys (ASSERTED_CONTEXT) without which the call would not be allowed. */
  readonly assertedContext?: readonly string[];
}

/** A function that declares no operation contract. */
export interface UncontractedFunction {
  readonly environment: string;
  readonly logicalId: string;
}

interface RecordedOperation {
  readonly operation: string;
  readonly calls: AwsCall[];
}

interface RecordedServiceOperation {
  readonly description: string;
  readonly caller: { service: string; role?: string; deployer?: boolean };
  readonly assumeRoleContext?: Record<string, string>;
  readonly calls: AwsCall[];
}

// Every AWS API is HTTPS-only, so requests (a service's own included) arrive over TLS.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-securetransport
const TRANSPORT = { 'aws:SecureTransport': 'true' };

/** The role a function or service acts with. */
export function roleCaller(model: EnvironmentModel, role: ModelResource, label: string): Caller {
  const arn = role.arn!;
  return {
    label,
    // Lambda and the other services call with a session of the role.
    principal: `arn:aws:sts::${role.stack.account}:assumed-role/${role.physicalId}/session`,
    role,
    account: role.stack.account,
    identityPolicies: model.identityPolicies(role),
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn
    // aws:ViaAWSService is false on the principal's own requests (#condition-keys-viaawsservice).
    context: { ...TRANSPORT, 'aws:PrincipalArn': arn, 'aws:PrincipalAccount': role.stack.account, 'aws:PrincipalType': 'AssumedRole', 'aws:PrincipalIsAWSService': 'false', 'aws:ViaAWSService': 'false' },
  };
}

function serviceCaller(service: string, account: string): Caller {
  return {
    label: service,
    principal: service,
    account,
    identityPolicies: [],
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalisawsservice
    context: { ...TRANSPORT, 'aws:PrincipalIsAWSService': 'true', 'aws:PrincipalServiceName': service },
  };
}

function deployerCaller(account: string, region: string): Caller {
  const name = deployerRoleName(account, region);
  return {
    label: `CloudFormation (${name})`,
    principal: `arn:aws:sts::${account}:assumed-role/${name}/AWSCloudFormation`,
    account,
    identityPolicies: [awsManagedPolicy('arn:aws:iam::aws:policy/AdministratorAccess')],
    context: { ...TRANSPORT, 'aws:PrincipalArn': `arn:aws:iam::${account}:role/${name}`, 'aws:PrincipalAccount': account, 'aws:PrincipalIsAWSService': 'false' },
  };
}

/** The account that owns an ARN: its account field, the owning template resource's, or (AWS-owned resources such as foundation models) the caller's. */
function accountOf(model: EnvironmentModel, arn: string, caller: Caller): string {
  const field = arn.split(':')[4];
  if (field) return field;
  return model.owner(arn)?.stack.account ?? caller.account;
}

/**
 * The VPC endpoint service (`com.amazonaws.<region>.<name>`) a call from inside a VPC reaches its
 * service through, by IAM action, or `undefined` for a call to a resource inside the VPC.
 * Endpoint service names: https://docs.aws.amazon.com/vpc/latest/privatelink/aws-services-privatelink-support.html
 */
function endpointServiceOf(action: string): string | undefined {
  const [prefix, name] = action.split(':');
  switch (prefix) {
    // A VPC domain's endpoint resolves to the domain's network interfaces in the VPC.
    // https://docs.aws.amazon.com/opensearch-service/latest/developerguide/vpc.html
    case 'es': return undefined;
    // InvokeModel* (Converse included) and ApplyGuardrail are bedrock-runtime operations.
    // https://docs.aws.amazon.com/bedrock/latest/userguide/vpc-interface-endpoints.html
    case 'bedrock': return name.startsWith('InvokeModel') || name === 'ApplyGuardrail' ? 'bedrock-runtime' : 'bedrock';
    // https://docs.aws.amazon.com/sagemaker/latest/dg/interface-vpc-endpoint.html
    case 'sagemaker': return name.startsWith('InvokeEndpoint') ? 'sagemaker.runtime' : 'sagemaker.api';
    default: return prefix;
  }
}

/** How a call from a function in `vpcId` leaves the VPC: through an endpoint, not at all, or (in-VPC resource) not through one. */
function networkPath(model: EnvironmentModel, vpcId: string, call: AwsCall, region: string): Pick<CallCheck, 'endpoint' | 'unreachable'> {
  const service = endpointServiceOf(call.action);
  if (!service) return {};
  const endpoint = model.vpcEndpoint(vpcId, `com.amazonaws.${region}.${service}`);
  if (endpoint) return { endpoint };
  if (model.hasInternetGateway(vpcId)) throw new Error(`${model.name}: ${call.action} leaves VPC ${vpcId} over the internet, which the harness does not model`);
  return { unreachable: `VPC ${vpcId} has no endpoint for com.amazonaws.${region}.${service} and no internet gateway` };
}

/**
 * The checks of one call and of the KMS calls the service makes for it with the caller's
 * credentials. A call of a function in a VPC goes through the VPC's endpoint for the service,
 * whose policy must allow it too, and carries `aws:SourceVpc` and `aws:SourceVpce`; the KMS calls
 * the service then makes for it do not pass through the VPC and carry neither.
 * https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourcevpc
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourcevpce
 */
export function checksOfCall(model: EnvironmentModel, caller: Caller, operation: string, call: AwsCall, vpcId?: string): CallCheck[] {
  const owner = model.owner(call.resource);
  const resourceAccount = accountOf(model, call.resource, caller);
  const external = !owner && resourceAccount !== caller.account;
  const path = vpcId ? networkPath(model, vpcId, call, caller.role?.stack.region ?? model.stacks[0].region) : {};
  const checks: CallCheck[] = [{
    environment: model.name,
    caller,
    operation,
    action: call.action,
    resource: call.resource,
    // Identity policies alone decide a same-account request without a resource policy.
    resourceAccount: external ? caller.account : resourceAccount,
    ...(external ? { externalResourcePolicy: true } : {}),
    resourcePolicy: owner ? model.resourcePolicy(owner) : undefined,
    context: { ...caller.context, ...call.context, ...(path.endpoint ? { 'aws:SourceVpc': vpcId!, 'aws:SourceVpce': path.endpoint.id } : {}) },
    ...path,
  }];
  if (call.kms) checks.push(...kmsChecks(model, caller, operation, call, call.kms));
  return checks;
}

/**
 * Services that set aws:CalledVia (and aws:CalledViaFirst / aws:CalledViaLast) on the requests
 * they make with the caller's credentials; the other services set only aws:ViaAWSService.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-calledvia
 * (the list there: Athena, CloudFormation, DynamoDB, KMS; also in
 * https://aws.amazon.com/blogs/security/how-to-define-least-privileged-permissions-for-actions-called-by-aws-services/).
 */
const CALLED_VIA_SERVICES: ReadonlySet<string> = new Set(['athena', 'cloudformation', 'dynamodb', 'kms']);

function kmsChecks(model: EnvironmentModel, caller: Caller, operation: string, call: AwsCall, kms: ImplicitKmsUse): CallCheck[] {
  const key = (() => {
    if (kms.keyArn) return model.key(kms.keyArn);
    const encrypted = model.owner(kms.keyOf ?? call.resource);
    if (!encrypted) throw new Error(`${operation}: ${kms.keyOf ?? call.resource} declares KMS use but is not a resource of the templates; name the key with keyArn`);
    const found = model.keyOf(encrypted);
    if (!found) throw new Error(`${operation}: ${encrypted.logicalId} declares KMS use but has no customer managed key`);
    return found;
  })();
  // Condition keys KMS sets: https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html
  // A service principal's request to the service (e.g. CloudWatch's aws:SourceArn) is not carried
  // on to KMS: no documentation says it is. A role's request made by the service for it carries
  // aws:ViaAWSService = true, and aws:CalledVia for the services that set it.
  // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-viaawsservice
  const calledVia = `${kms.viaService}.amazonaws.com`;
  const onBehalfOfRole = caller.role || caller.principal.includes(':assumed-role/')
    ? { 'aws:ViaAWSService': 'true', ...(CALLED_VIA_SERVICES.has(kms.viaService) ? { 'aws:CalledVia': [calledVia], 'aws:CalledViaFirst': calledVia, 'aws:CalledViaLast': calledVia } : {}) }
    : {};
  const context: Record<string, string | readonly string[]> = {
    ...caller.context,
    ...onBehalfOfRole,
    'kms:ViaService': `${kms.viaService}.${key.stack.region}.amazonaws.com`,
    'kms:CallerAccount': caller.account,
    ...Object.fromEntries(Object.entries(kms.encryptionContext ?? {}).map(([k, v]) => [`kms:EncryptionContext:${k}`, v])),
    ...(kms.encryptionContext ? { 'kms:EncryptionContextKeys': Object.keys(kms.encryptionContext) } : {}),
  };
  const aliases = model.aliasesOf(key.arn!);
  if (aliases.length > 0) context['kms:ResourceAliases'] = aliases;
  return kms.actions.map((action) => ({
    environment: model.name,
    caller,
    operation: `${operation} -> ${kms.viaService} -> KMS`,
    action,
    resource: key.arn!,
    resourceAccount: key.stack.account,
    resourcePolicy: model.resourcePolicy(key),
    context,
    viaService: kms.viaService,
  }));
}

/**
 * The KMS calls a service makes with the caller's credentials for an action on a resource
 * encrypted with a customer managed key: a declaration that omits one would pass the simulation
 * while failing in AWS, so the harness requires them.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html
 * https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html
 * https://docs.aws.amazon.com/kms/latest/developerguide/services-dynamodb.html
 */
const IMPLICIT_KMS: Readonly<Record<string, readonly string[]>> = {
  'sqs:SendMessage': ['kms:GenerateDataKey', 'kms:Decrypt'],
  'sqs:ReceiveMessage': ['kms:Decrypt'],
  'sns:Publish': ['kms:GenerateDataKey', 'kms:Decrypt'],
  's3:PutObject': ['kms:GenerateDataKey'],
  's3:GetObject': ['kms:Decrypt'],
  's3:GetObjectVersionForReplication': ['kms:Decrypt'],
  's3:ReplicateObject': ['kms:Encrypt'],
  ...Object.fromEntries(['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query', 'Scan', 'BatchGetItem', 'BatchWriteItem'].map((op) => [`dynamodb:${op}`, ['kms:Decrypt']])),
};

/** A declared call that omits KMS use the service performs, or names another key than the resource's. */
export interface KmsDeclarationProblem {
  readonly environment: string;
  readonly problem: string;
}

function kmsDeclarationProblems(model: EnvironmentModel, caller: Caller, operation: string, call: AwsCall): KmsDeclarationProblem[] {
  const required = IMPLICIT_KMS[call.action];
  const owner = model.owner(call.resource);
  const key = owner && required && owner.type !== 'AWS::KMS::Key' ? model.keyOf(owner) : undefined;
  if (!key) return [];
  const where = `${caller.label} ${call.action} on ${call.resource} (${operation})`;
  const missing = required!.filter((action) => !call.kms?.actions.includes(action as never));
  const problems = missing.length > 0 ? [`${where} declares no ${missing.join(', ')} on ${key.logicalId}, which the service calls with the caller's credentials; add them to the call's kms`] : [];
  if (call.kms?.keyArn && model.key(call.kms.keyArn) !== key) problems.push(`${where} names key ${call.kms.keyArn}, but ${owner!.logicalId} is encrypted with ${key.logicalId}`);
  return problems.map((problem) => ({ environment: model.name, problem }));
}

/** Every check of every function's operation contracts and every declared service operation. */
export function collectChecks(model: EnvironmentModel): { checks: CallCheck[]; uncontracted: UncontractedFunction[]; kmsProblems: KmsDeclarationProblem[] } {
  const checks: CallCheck[] = [];
  const uncontracted: UncontractedFunction[] = [];
  const kmsProblems: KmsDeclarationProblem[] = [];
  for (const fn of model.ofType('AWS::Lambda::Function')) {
    const operations = model.metadata(fn, OPERATIONS_METADATA_KEY) as RecordedOperation[] | undefined;
    if (!operations || operations.length === 0) {
      uncontracted.push({ environment: model.name, logicalId: fn.logicalId });
      continue;
    }
    const caller = roleCaller(model, model.role(model.properties(fn).Role as string), fn.logicalId);
    const vpcId = model.vpcOf(fn);
    for (const operation of operations) {
      for (const call of operation.calls) {
        checks.push(...checksOfCall(model, caller, operation.operation, call, vpcId));
        kmsProblems.push(...kmsDeclarationProblems(model, caller, operation.operation, call));
      }
    }
  }
  for (const resource of model.allResources()) {
    const operations = model.metadata(resource, SERVICE_OPERATIONS_METADATA_KEY) as RecordedServiceOperation[] | undefined;
    for (const operation of operations ?? []) {
      const operationChecks = serviceOperationChecks(model, resource, operation);
      checks.push(...operationChecks);
      const caller = operationChecks.find((check) => check.action !== 'sts:AssumeRole')?.caller;
      if (caller) for (const call of operation.calls) kmsProblems.push(...kmsDeclarationProblems(model, caller, operation.description, call));
    }
  }
  return { checks, uncontracted, kmsProblems };
}

function serviceOperationChecks(model: EnvironmentModel, declaredOn: ModelResource, operation: RecordedServiceOperation): CallCheck[] {
  const { service, role, deployer } = operation.caller;
  const stack = declaredOn.stack;
  const label = `${operation.description} [${declaredOn.logicalId}]`;
  let caller: Caller;
  const checks: CallCheck[] = [];
  if (deployer) {
    caller = deployerCaller(stack.account, stack.region);
  } else if (role) {
    const roleResource = model.role(role);
    caller = roleCaller(model, roleResource, `${service} as ${roleResource.logicalId}`);
    // The service first assumes the role: its trust policy is the resource policy.
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-service.html
    const assume = serviceCaller(service, stack.account);
    checks.push({
      environment: model.name,
      caller: assume,
      operation: label,
      action: 'sts:AssumeRole',
      resource: roleResource.arn!,
      resourceAccount: roleResource.stack.account,
      resourcePolicy: model.resourcePolicy(roleResource),
      context: { ...assume.context, ...operation.assumeRoleContext },
    });
  } else {
    caller = serviceCaller(service, stack.account);
  }
  for (const call of operation.calls) checks.push(...checksOfCall(model, caller, label, call));
  return checks;
}

const ENCRYPTION_CONTEXT = /^kms:EncryptionContext:/i;

/**
 * Evaluates a check with iam-simulate: the caller's identity policies and the resource's policy,
 * same-account or cross-account, with the service's own authorization rules (KMS key policies
 * must trust the account before identity policies count).
 *
 * `runSimulation` validates the policies, the action, the resource type and the context keys,
 * and decides. iam-simulate 0.1.173 drops `kms:EncryptionContext:<key>` context keys (it matches
 * only `/`-separated variable keys such as `aws:PrincipalTag/<key>`), so a check that carries an
 * encryption context is decided again by `runUnsafeSimulation` (the same engine without input
 * normalization), with the validated context plus the encryption-context keys.
 */
export async function evaluate(check: CallCheck): Promise<CallResult> {
  if (check.unreachable) return { check, decision: 'Unreachable', detail: check.unreachable };
  const decided = await decide(check, check.context);
  if (decided.decision !== 'Allowed') return { check, ...decided };
  const assertedContext: string[] = [];
  for (const assertion of ASSERTED_CONTEXT) {
    if (!(assertion.key in check.context) || !assertion.applies(check)) continue;
    const { [assertion.key]: _asserted, ...without } = check.context;
    if ((await decide(check, without)).decision !== 'Allowed') assertedContext.push(assertion.key);
  }
  const decision = assertedContext.length > 0
    ? `Allowed (asserted context: ${assertedContext.join(', ')})`
    : check.externalResourcePolicy ? 'Allowed by identity policy (resource policy unverified)' : 'Allowed';
  return { check, decision, ...(assertedContext.length > 0 ? { assertedContext } : {}) };
}

async function decide(check: CallCheck, context: CallCheck['context']): Promise<{ decision: string; detail?: string }> {
  const encryptionContext = Object.fromEntries(Object.entries(context).filter(([key]) => ENCRYPTION_CONTEXT.test(key)));
  const otherContext = Object.fromEntries(Object.entries(context).filter(([key]) => !ENCRYPTION_CONTEXT.test(key)));
  const simulation = {
    request: {
      principal: check.caller.principal,
      action: check.action,
      resource: { resource: check.resource, accountId: check.resourceAccount },
      contextVariables: otherContext as Record<string, string | string[]>,
    },
    identityPolicies: check.caller.identityPolicies.map((p) => ({ name: p.name, policy: p.policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: check.resourcePolicy,
    ...(check.endpoint ? { vpcEndpointPolicies: [{ name: `endpoint policy of ${check.endpoint.resource.logicalId}`, policy: check.endpoint.policy }] } : {}),
  };
  const response = await runSimulation(simulation, { simulationMode: 'Strict' });
  if (response.resultType === 'error') return { decision: 'Error', detail: `${response.errors.message}: ${JSON.stringify(response.errors)}` };
  const ignored = response.resultType === 'single' ? response.result.ignoredContextKeys ?? [] : response.results.flatMap((r) => r.ignoredContextKeys ?? []);
  let decision: string = response.overallResult;
  if (Object.keys(encryptionContext).length > 0) {
    // The unsafe engine evaluates no endpoint policy; no call through an endpoint carries an encryption context today.
    if (check.endpoint) throw new Error(`${describeCheck(check)}: a call through a VPC endpoint with an encryption context is not modelled`);
    const validated = Object.fromEntries(Object.entries(otherContext).filter(([key]) => !ignored.includes(key)));
    // The unsafe engine loads the resource policy without a name unless it comes validated.
    const resourcePolicy = check.resourcePolicy && createValidatedPolicy(check.resourcePolicy, validateResourcePolicy, { name: 'resource policy' });
    decision = runUnsafeSimulation({ ...simulation, resourcePolicy, request: { ...simulation.request, contextVariables: { ...validated, ...encryptionContext } as Record<string, string | string[]> } }, { simulationMode: 'Strict' });
  }
  if (decision === 'Allowed') return { decision };
  return { decision, detail: ignored.length > 0 ? `context keys that do not apply to this action were dropped: ${ignored.join(', ')}` : undefined };
}

/** A request-context value the harness sets although AWS documents it for no such request, and why it is set. */
export interface AssertedContext {
  /** The condition key. */
  readonly key: string;
  /** Whether the harness asserts the key on this check. */
  applies(check: CallCheck): boolean;
  /** Why the value is set, and what would show it wrong. */
  readonly reason: string;
}

/**
 * Context the harness asserts without AWS documentation. A call allowed only because of one is
 * reported as `Allowed (asserted context: <key>)` and counted apart (docs/runtime-permissions.md).
 */
export const ASSERTED_CONTEXT: readonly AssertedContext[] = [{
  key: 'kms:ViaService',
  applies: (check) => check.viaService !== undefined && check.caller.role === undefined && !check.caller.principal.includes(':assumed-role/'),
  reason: 'KMS documents kms:ViaService for the requests a service makes on behalf of an IAM principal '
    + '(https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service); that SNS and SQS set it '
    + 'on the KMS request they make for a service principal (CloudWatch alarms, EventBridge) is not documented. The key policies '
    + 'condition on it with the encryption context of the one topic or queue (which SNS and SQS send); if the key were absent, '
    + 'alarm notifications and curated-object events would be dropped, which the first-deploy checks of docs/runtime-permissions.md show.',
}];

/** One line naming a check: caller, action, resource, and the VPC endpoint it passes through. */
export function describeCheck(check: CallCheck): string {
  return `${check.environment}: ${check.caller.label} ${check.action} on ${check.resource} (${check.operation}${check.endpoint ? `, through ${check.endpoint.resource.logicalId}` : ''})`;
}
