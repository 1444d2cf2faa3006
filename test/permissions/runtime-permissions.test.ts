import type { StackTemplate } from '../support/permissions/cfn-model';
import { covers, discoverEdges, type RequiredEdge, type UnverifiedEdge } from '../support/permissions/discover';
import { EnvironmentModel, type PolicyDocument } from '../support/permissions/environment-model';
import { roleUsage, type RoleUsage } from '../support/permissions/least-privilege';
import { EU_PROD_WITH_ENDPOINT, synthesizeEnvironmentModels } from '../support/permissions/platform';
import { type CallCheck, type CallResult, collectChecks, describeCheck, evaluate, type KmsDeclarationProblem, type UncontractedFunction } from '../support/permissions/simulate';

/*
 * The runtime-permission simulation (docs/runtime-permissions.md, docs/adr/0006): every call of
 * every operation contract and every declared service operation, in every default environment,
 * evaluated by iam-simulate against the synthesized identity and resource policies.
 * `PAVED_ROAD_PERMISSIONS_TABLE=full npx jest test/permissions` prints every row.
 */

const ALLOWED = /^Allowed/;

async function evaluateAll(checks: CallCheck[]): Promise<CallResult[]> {
  const results: CallResult[] = [];
  for (const check of checks) results.push(await evaluate(check));
  return results;
}

function table(results: CallResult[]): string {
  return results.map((r) => [r.check.environment, r.check.caller.label, r.check.operation, r.check.action, r.check.resource, r.decision].join(' | ')).join('\n');
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

  afterAll(() => {
    if (!results) return;
    const counts = models.map((model) => {
      const own = results.filter((r) => r.check.environment === model.name);
      const unverified = own.filter((r) => r.decision !== 'Allowed' && ALLOWED.test(r.decision)).length;
      return `${model.name}: ${own.length} calls, ${own.filter((r) => r.decision === 'Allowed').length} allowed, ${unverified} allowed by identity policy only (resource policy unverified), ${own.filter((r) => !ALLOWED.test(r.decision)).length} denied`;
    });
    const denied = results.filter((r) => !ALLOWED.test(r.decision));
    const shown = process.env.PAVED_ROAD_PERMISSIONS_TABLE === 'full' ? results : denied;
    const roles = process.env.PAVED_ROAD_PERMISSIONS_TABLE === 'full'
      ? `\nRoles (environment | role | granted | used | unused, justified)\n${usage.map((u) => `${u.environment} | ${u.role.logicalId} | ${u.granted.length} | ${u.granted.length - u.unused.length} | ${u.justified.join(', ') || '-'}`).join('\n')}\n`
      : '';
    process.stdout.write(`\nRuntime permissions (environment | caller | operation | action | resource | decision)\n${counts.join('\n')}\n${table(shown)}\n${roles}`);
  });

  it('allows every contracted call and every declared service operation: 0 denied', () => {
    expect(results.length).toBeGreaterThan(0);
    const denied = results.filter((r) => !ALLOWED.test(r.decision)).map((r) => `${r.decision}: ${describeCheck(r.check)}${r.detail ? ` (${r.detail})` : ''}`);
    expect(denied).toEqual([]);
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
      expect.stringMatching(/^eu-prod: GatewayHandler\w+ dynamodb:UpdateItem on arn:aws:dynamodb:eu-central-1:111111111111:table\/paved-road-eu-prod-GatewayBudgets[\w-]+ \(dynamodb:UpdateItem\)$/),
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
});
