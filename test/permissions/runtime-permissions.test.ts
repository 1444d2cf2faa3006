import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StackTemplate } from '../support/permissions/cfn-model';
import { covers, discoverEdges, type RequiredEdge, type UnverifiedEdge } from '../support/permissions/discover';
import { DEFAULT_ENDPOINT_POLICY, EnvironmentModel, type PolicyDocument } from '../support/permissions/environment-model';
import { roleUsage, type RoleUsage } from '../support/permissions/least-privilege';
import { EU_PROD_WITH_ENDPOINT, synthesizeEnvironmentModels } from '../support/permissions/platform';
import { ASSERTED_CONTEXT, type CallCheck, type CallResult, collectChecks, describeCheck, evaluate, type KmsDeclarationProblem, type UncontractedFunction } from '../support/permissions/simulate';

/*
 * The runtime-permission simulation (docs/runtime-permissions.md, docs/adr/0006): every call of
 * every operation contract and every declared service operation, in every default environment,
 * evaluated by iam-simulate against the synthesized identity and resource policies.
 * `PAVED_ROAD_PERMISSIONS_TABLE=full npx jest test/permissions` prints every row.
 */

const ALLOWED = /^Allowed/;
const ASSERTED = /^Allowed \(asserted context: /;

async function evaluateAll(checks: CallCheck[]): Promise<CallResult[]> {
  const results: CallResult[] = [];
  for (const check of checks) results.push(await evaluate(check));
  return results;
}

function table(results: CallResult[]): string {
  return results.map((r) => [r.check.environment, r.check.caller.label, r.check.operation, r.check.action, r.check.resource, r.check.endpoint?.resource.logicalId ?? '-', r.decision].join(' | ')).join('\n');
}

describe('runtime permissions of every default environment', () => {
  let models: EnvironmentModel[];
  let checks: CallCheck[];
  let results: CallResult[];
  let uncontracted: UncontractedFunction[];
  let kmsProblems: KmsDeclarationProblem[];
  let edges: { required: RequiredEdge[]; unverified: UnverifiedEdge[] };
  let usage: RoleUsage[];

  beforeAll(async () => {
    models = synthesizeEnvironmentModels();
    const collected = models.map((model) => collectChecks(model));
    checks = collected.flatMap((c) => c.checks);
    uncontracted = collected.flatMap((c) => c.uncontracted);
    kmsProblems = collected.flatMap((c) => c.kmsProblems);
    results = await evaluateAll(checks);
    const discovered = models.map((model) => discoverEdges(model));
    edges = { required: discovered.flatMap((d) => d.required), unverified: discovered.flatMap((d) => d.unverified) };
    usage = (await Promise.all(models.map((model) => roleUsage(model, checks.filter((c) => c.environment === model.name))))).flat();
  });

  /** Per environment: calls, allowed, allowed on asserted context, identity-only, denied, through a VPC endpoint. */
  const countsOf = (environment: string): number[] => {
    const own = results.filter((r) => r.check.environment === environment);
    return [
      own.length,
      own.filter((r) => r.decision === 'Allowed').length,
      own.filter((r) => ASSERTED.test(r.decision)).length,
      own.filter((r) => r.check.externalResourcePolicy && ALLOWED.test(r.decision)).length,
      own.filter((r) => !ALLOWED.test(r.decision)).length,
      own.filter((r) => r.check.endpoint).length,
    ];
  };

  afterAll(() => {
    if (!results) return;
    const counts = models.map((model) => {
      const [calls, allowed, asserted, unverified, denied, throughEndpoint] = countsOf(model.name);
      return `${model.name}: ${calls} calls, ${allowed} allowed, ${asserted} allowed on asserted context, ${unverified} allowed by identity policy only (resource policy unverified), ${denied} denied, ${throughEndpoint} through a VPC endpoint`;
    });
    const denied = results.filter((r) => !ALLOWED.test(r.decision));
    const shown = process.env.PAVED_ROAD_PERMISSIONS_TABLE === 'full' ? results : denied;
    const roles = process.env.PAVED_ROAD_PERMISSIONS_TABLE === 'full'
      ? `\nRoles (environment | role | granted | used | unused, justified)\n${usage.map((u) => `${u.environment} | ${u.role.logicalId} | ${u.granted.length} | ${u.granted.length - u.unused.length} | ${u.justified.join(', ') || '-'}`).join('\n')}\n`
      : '';
    process.stdout.write(`\nRuntime permissions (environment | caller | operation | action | resource | VPC endpoint | decision)\n${counts.join('\n')}\n${table(shown)}\n${roles}`);
  });

  it('allows every contracted call and every declared service operation: 0 denied', () => {
    expect(results.length).toBeGreaterThan(0);
    const denied = results.filter((r) => !ALLOWED.test(r.decision)).map((r) => `${r.decision}: ${describeCheck(r.check)}${r.detail ? ` (${r.detail})` : ''}`);
    expect(denied).toEqual([]);
  });

  it('matches the counts per environment docs/runtime-permissions.md states', () => {
    const doc = readFileSync(join(__dirname, '../../docs/runtime-permissions.md'), 'utf8');
    const stated = Object.fromEntries([...doc.matchAll(/^\| (eu-prod|eu-dev|in-prod|us-prod|eu-prod\+example-endpoint) \|((?: \d+ \|){6})$/gm)]
      .map((row) => [row[1], row[2].split('|').map((cell) => cell.trim()).filter(Boolean).map(Number)]));
    expect(stated).toEqual(Object.fromEntries(models.map((model) => [model.name, countsOf(model.name)])));
  });

  it('declares the KMS calls every service makes with the caller\'s credentials on an encrypted resource', () => {
    expect(kmsProblems.map((p) => `${p.environment}: ${p.problem}`)).toEqual([]);
  });

  it('covers every environment and every stack, the lake replicas included', () => {
    expect(models.map((m) => [m.name, m.stacks.map((s) => s.stackName)])).toEqual([
      ['eu-prod', ['paved-road-eu-prod-lake-replica', 'paved-road-eu-prod']],
      ['eu-dev', ['paved-road-eu-dev']],
      ['in-prod', ['paved-road-in-prod-lake-replica', 'paved-road-in-prod']],
      ['us-prod', ['paved-road-us-prod-lake-replica', 'paved-road-us-prod']],
      [EU_PROD_WITH_ENDPOINT, ['paved-road-eu-prod-lake-replica', 'paved-road-eu-prod']],
    ]);
  });

  it('simulates the example SageMaker endpoint and the gateway\'s self-hosted path only where the flag turns them on', () => {
    const sageMakerCallers = (name: string) => results.filter((r) => r.check.environment === name && /sagemaker|ecr:/.test(`${r.check.caller.label} ${r.check.action}`));
    for (const name of ['eu-prod', 'eu-dev', 'in-prod', 'us-prod']) expect([name, sageMakerCallers(name)]).toEqual([name, []]);
    const withEndpoint = results.filter((r) => r.check.environment === EU_PROD_WITH_ENDPOINT);
    expect(withEndpoint.filter((r) => r.check.action === 'sagemaker:InvokeEndpoint').map((r) => [r.check.resource, r.decision]))
      .toEqual([[expect.stringMatching(/^arn:aws:sagemaker:eu-central-1:111111111111:endpoint\//), 'Allowed']]);
    expect(withEndpoint.filter((r) => !ALLOWED.test(r.decision))).toEqual([]);
  });

  it('has operation contracts for every Lambda function', () => {
    const missing = uncontracted.map((f) => `${f.environment}: function ${f.logicalId} declares no operation contract (PavedRoadFunction prop operations, lambda/shared/operation-contract.ts)`);
    expect(missing).toEqual([]);
  });

  it('declares every service-to-resource edge the templates wire', () => {
    const byEnvironment = new Map(models.map((m) => [m.name, m]));
    const undeclared = edges.required
      .filter((edge) => !checks.some((check) => check.environment === edge.environment && covers(byEnvironment.get(edge.environment)!, check, edge)))
      .map((edge) => `${edge.environment}: ${edge.what}: ${edge.service ?? edge.roleArn} ${edge.action} on ${'arnPrefix' in edge.target ? edge.target.arnPrefix : edge.target.logicalId} is not declared (declareServiceOperations next to the construct that wires it)`);
    expect(undeclared).toEqual([]);
    expect(edges.required.length).toBeGreaterThan(0);
  });

  it('records the edges whose callers are outside the templates, for the first-deploy checks', () => {
    expect([...new Set(edges.unverified.map((e) => e.kind))].sort()).toEqual(['API stage logs', 'WAF logging', 'bucket -> EventBridge', 'endpoint auto scaling']);
  });

  it('leaves no granted action unused unless the construct that grants it says why', () => {
    const unjustified = usage
      .filter((u) => u.unjustified.length > 0)
      .map((u) => `${u.environment}: role ${u.role.logicalId} is granted ${u.unjustified.join(', ')}, which no operation contract or service operation uses; remove the grant or justifyUnusedGrants() next to it`);
    expect(unjustified).toEqual([]);
  });

  it('fails, naming the caller, the action and the resource, when one grant is removed', async () => {
    const euProd = models.find((m) => m.name === 'eu-prod')!;
    const templates: StackTemplate[] = euProd.stacks.map((s) => structuredClone(s.source));
    const platform = templates.find((t) => t.stackName === 'paved-road-eu-prod')!;
    // Drop the gateway's dynamodb:UpdateItem grant from its policy.
    let removed = 0;
    for (const resource of Object.values(platform.template.Resources)) {
      if (resource.Type !== 'AWS::IAM::Policy') continue;
      const document = resource.Properties!.PolicyDocument as PolicyDocument;
      const before = document.Statement.length;
      document.Statement = document.Statement.filter((s) => s.Action !== 'dynamodb:UpdateItem');
      removed += before - document.Statement.length;
    }
    expect(removed).toBe(1);
    const model = new EnvironmentModel('eu-prod', templates);
    const denied = (await evaluateAll(collectChecks(model).checks)).filter((r) => !ALLOWED.test(r.decision));
    expect(denied.map((r) => describeCheck(r.check))).toEqual([
      expect.stringMatching(/^eu-prod: GatewayHandler\w+ dynamodb:UpdateItem on arn:aws:dynamodb:eu-central-1:111111111111:table\/paved-road-eu-prod-GatewayBudgets[\w-]+ \(dynamodb:UpdateItem, through FoundationVpcDynamoDB\w+\)$/),
    ]);
  });

  it('fails, naming the service and the key, when a key policy stops allowing a service principal', async () => {
    const euDev = models.find((m) => m.name === 'eu-dev')!;
    const templates: StackTemplate[] = euDev.stacks.map((s) => structuredClone(s.source));
    const logKey = Object.values(templates[0].template.Resources).find((r) => r.Type === 'AWS::KMS::Key' && JSON.stringify(r.Properties).includes('AllowCloudWatchLogsForThisAccountOnly'))!;
    const policy = logKey.Properties!.KeyPolicy as PolicyDocument;
    policy.Statement = policy.Statement.filter((s) => s.Sid !== 'AllowCloudWatchLogsForThisAccountOnly');
    const denied = (await evaluateAll(collectChecks(new EnvironmentModel('eu-dev', templates)).checks)).filter((r) => !ALLOWED.test(r.decision));
    expect(denied.length).toBeGreaterThan(0);
    for (const r of denied) expect(describeCheck(r.check)).toMatch(/^eu-dev: logs\.eu-west-1\.amazonaws\.com kms:(Encrypt|Decrypt|GenerateDataKey|DescribeKey) on arn:aws:kms:eu-west-1:222222222222:key\/\S+ \(CloudWatch Logs encrypts and decrypts the log group's events with the log key \[\w+\]\)$/);
  });

  it('fails, naming the call, when a contract omits the KMS use its service performs', () => {
    const euDev = models.find((m) => m.name === 'eu-dev')!;
    const templates: StackTemplate[] = euDev.stacks.map((s) => structuredClone(s.source));
    const gateway = Object.entries(templates[0].template.Resources).find(([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith('GatewayHandler'))![1];
    const operations = gateway.Metadata!['paved-road:operations'] as Array<{ operation: string; calls: Array<{ kms?: unknown }> }>;
    delete operations.find((o) => o.operation === 'dynamodb:UpdateItem')!.calls[0].kms;
    const { kmsProblems: problems } = collectChecks(new EnvironmentModel('eu-dev', templates));
    expect(problems.map((p) => p.problem)).toEqual([
      expect.stringMatching(/^GatewayHandler\w+ dynamodb:UpdateItem on arn:aws:dynamodb:eu-west-1:222222222222:table\/\S+ \(dynamodb:UpdateItem\) declares no kms:Decrypt on FoundationKeyconfidential\w+/),
    ]);
  });

  /** The eu-prod templates, cloned, with `change` applied to the platform stack's resources. */
  function changedEuProd(change: (resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>) => void): EnvironmentModel {
    const templates: StackTemplate[] = models.find((m) => m.name === 'eu-prod')!.stacks.map((s) => structuredClone(s.source));
    change(templates.find((t) => t.stackName === 'paved-road-eu-prod')!.template.Resources as never);
    return new EnvironmentModel('eu-prod', templates);
  }

  it('sends every call of a function in the VPC through the VPC endpoint for its service, with aws:SourceVpc and aws:SourceVpce', () => {
    const fromVpc = checks.filter((c) => c.endpoint);
    expect(fromVpc.length).toBeGreaterThan(0);
    for (const check of fromVpc) {
      expect(check.context['aws:SourceVpce']).toBe(check.endpoint!.id);
      expect(check.context['aws:SourceVpc']).toBe(check.endpoint!.vpcId);
    }
    const services = (environment: string, label: RegExp) => [...new Set(fromVpc.filter((c) => c.environment === environment && label.test(c.caller.label)).map((c) => c.endpoint!.serviceName))].sort();
    const endpointsOf = (...names: string[]) => names.map((name) => `com.amazonaws.eu-central-1.${name}`);
    expect(services('eu-prod', /^GatewayHandler/)).toEqual(endpointsOf('bedrock-runtime', 'dynamodb', 'lambda', 's3'));
    // The self-hosted path, only with the example endpoint, goes through the SageMaker runtime endpoint.
    expect(services(EU_PROD_WITH_ENDPOINT, /^GatewayHandler/)).toEqual(endpointsOf('bedrock-runtime', 'dynamodb', 'lambda', 's3', 'sagemaker.runtime'));
    // No endpoint of the default environments sets a policy: AWS's default full-access policy applies.
    expect(fromVpc.every((c) => c.endpoint!.policy === DEFAULT_ENDPOINT_POLICY)).toBe(true);
    // The OpenSearch domain sits in the VPC: its HTTP calls pass through no endpoint.
    expect(checks.filter((c) => c.action.startsWith('es:')).every((c) => !c.endpoint && !('aws:SourceVpce' in c.context))).toBe(true);
  });

  it('sets aws:ViaAWSService and aws:CalledVia on the KMS calls a service makes for a role, and no aws:SourceVpce', () => {
    const viaService = checks.filter((c) => c.viaService && c.caller.role);
    expect(viaService.length).toBeGreaterThan(0);
    for (const check of viaService) {
      expect(check.context['aws:ViaAWSService']).toBe('true');
      expect(check.context).not.toHaveProperty('aws:SourceVpce');
      expect(check.context).not.toHaveProperty('aws:SourceVpc');
      expect(check.endpoint).toBeUndefined();
    }
    const budget = viaService.find((c) => c.environment === 'eu-prod' && c.operation === 'dynamodb:UpdateItem -> dynamodb -> KMS')!;
    expect(budget.context).toMatchObject({ 'aws:CalledVia': ['dynamodb.amazonaws.com'], 'aws:CalledViaFirst': 'dynamodb.amazonaws.com', 'kms:ViaService': 'dynamodb.eu-central-1.amazonaws.com' });
    expect(viaService.filter((c) => c.viaService !== 'dynamodb').every((c) => !('aws:CalledVia' in c.context))).toBe(true);
    // The functions' own requests say they are not made by a service.
    expect(checks.filter((c) => c.endpoint).every((c) => c.context['aws:ViaAWSService'] === 'false')).toBe(true);
  });

  it('fails, naming the call and the endpoint, when an endpoint policy stops allowing a call', async () => {
    const model = changedEuProd((resources) => {
      const [, endpoint] = Object.entries(resources).find(([id, r]) => r.Type === 'AWS::EC2::VPCEndpoint' && id.startsWith('FoundationVpcDynamoDB'))!;
      endpoint.Properties!.PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: ['dynamodb:GetItem', 'dynamodb:Query'], Resource: '*' }] };
    });
    const denied = (await evaluateAll(collectChecks(model).checks)).filter((r) => !ALLOWED.test(r.decision));
    expect(denied.map((r) => `${r.decision}: ${describeCheck(r.check)}`)).toEqual([
      expect.stringMatching(/^ImplicitlyDenied: eu-prod: GatewayHandler\w+ dynamodb:UpdateItem on arn:aws:dynamodb:eu-central-1:111111111111:table\/\S+ \(dynamodb:UpdateItem, through FoundationVpcDynamoDB\w+\)$/),
    ]);
  });

  it('fails, naming the call, when the VPC has no endpoint for a service a function calls', async () => {
    const model = changedEuProd((resources) => {
      for (const [id, r] of Object.entries(resources)) if (r.Type === 'AWS::EC2::VPCEndpoint' && id.startsWith('FoundationVpcLambda')) delete resources[id];
    });
    const denied = (await evaluateAll(collectChecks(model).checks)).filter((r) => !ALLOWED.test(r.decision));
    expect(denied.map((r) => `${r.decision}: ${describeCheck(r.check)}: ${r.detail}`)).toEqual([
      expect.stringMatching(/^Unreachable: eu-prod: GatewayHandler\w+ lambda:InvokeFunction on arn:aws:lambda:eu-central-1:111111111111:function:\S+ \(lambda:Invoke\): VPC vpc-\w+ has no endpoint for com\.amazonaws\.eu-central-1\.lambda and no internet gateway$/),
    ]);
  });

  it('evaluates a Deny on aws:SourceVpce: allowed through the named endpoint, denied through another', async () => {
    const euProd = models.find((m) => m.name === 'eu-prod')!;
    const audit = checks.find((c) => c.environment === 'eu-prod' && /^GatewayHandler/.test(c.caller.label) && c.action === 's3:PutObject')!;
    const bucket = euProd.owner(audit.resource)!;
    const denyOutside = (vpce: string) => changedEuProd((resources) => {
      const [, policy] = Object.entries(resources).find(([, r]) => r.Type === 'AWS::S3::BucketPolicy' && (r.Properties!.Bucket as { Ref?: string }).Ref === bucket.logicalId)!;
      (policy.Properties!.PolicyDocument as PolicyDocument).Statement.push({
        Effect: 'Deny', Principal: '*', Action: 's3:PutObject', Resource: `${bucket.arn}/*`, Condition: { StringNotEquals: { 'aws:SourceVpce': vpce } },
      });
    });
    const putObject = async (model: EnvironmentModel) => (await evaluateAll(collectChecks(model).checks)).filter((r) => r.check.action === 's3:PutObject' && r.check.resource === audit.resource).map((r) => r.decision);
    expect(await putObject(denyOutside(audit.endpoint!.id))).toEqual(['Allowed']);
    expect(await putObject(denyOutside('vpce-0123456789abcdef0'))).toEqual(['ExplicitlyDenied']);
  });

  it('finds no resource policy in the default environments that conditions on aws:SourceVpc or aws:SourceVpce beyond the ones simulated', () => {
    // A private API (GatewayEndpoint.PRIVATE) would add one; no default environment uses it. A new
    // one must be exercised by a check that passes through the endpoint it names.
    const conditioned = models.flatMap((model) => model.resources.flatMap((resource) => (model.resourcePolicy(resource)?.Statement ?? [])
      .filter((statement) => /aws:SourceVpce?"/i.test(JSON.stringify(statement.Condition ?? {})))
      .map(() => `${model.name} ${resource.logicalId}`)));
    expect(conditioned).toEqual([]);
  });

  it('reports the calls allowed only on an asserted context value, each assertion with its reason', () => {
    for (const assertion of ASSERTED_CONTEXT) expect(assertion.reason.length).toBeGreaterThan(80);
    const asserted = results.filter((r) => ASSERTED.test(r.decision));
    expect(asserted.length).toBeGreaterThan(0);
    for (const r of asserted) {
      expect(r.decision).toBe('Allowed (asserted context: kms:ViaService)');
      expect(r.check.caller.principal).toMatch(/^(cloudwatch|events)\.amazonaws\.com$/);
      expect(r.check.viaService).toMatch(/^(sns|sqs)$/);
    }
  });
});
