import * as fs from 'node:fs';
import * as path from 'node:path';
import { CfnElement, CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { ACCOUNT_BASELINE_EXPORT, AccountBaselineStage, EXAMPLE_INFERENCE_CONTEXT, type PlatformStack, RegionCatalogue } from '../../lib';
import { buildPlatform } from '../../bin/app';
import { ENVIRONMENTS } from '../../bin/environments';
import { testApp } from '../support/app';

const read = (file: string) => fs.readFileSync(path.join(__dirname, '..', '..', file), 'utf8');

// What bin/ builds for the default catalogue, and what docs/deploy.md and the README's Deploy
// section say about it: commands, logical ids and numbers (no synthesis needed).
describe('bin/ wiring and docs/deploy.md', () => {
  const deployDoc = read('docs/deploy.md');
  const readme = read('README.md');
  const app = testApp();
  const stages = buildPlatform(app);
  const baselines = app.node.children.filter((child): child is AccountBaselineStage => child instanceof AccountBaselineStage);
  // Every default environment with the second deploy phase's example endpoint, built once.
  const withEndpoint = buildPlatform(testApp({ [EXAMPLE_INFERENCE_CONTEXT]: 'true' }));
  const resources = <T>(stack: Stack, type: new (...args: never[]) => T) => stack.node.findAll().filter((node): node is T & CfnElement => node instanceof type);

  it('gives every default environment\'s account and region a baseline that its platform stack imports', () => {
    expect(baselines.flatMap((stage) => stage.baselines.map((stack) => stack.node.path))).toEqual(
      ENVIRONMENTS.map((environment) => `baseline-${environment.account}/${environment.region}`),
    );
    const importOf = (stack: Stack) => stack.resolve((stack.node.tryFindChild('AccountBaseline') as { value?: unknown } | undefined)?.value);
    for (const stage of stages) expect([stage.stageName, importOf(stage.platform)]).toEqual([stage.stageName, { 'Fn::ImportValue': ACCOUNT_BASELINE_EXPORT }]);
    // The data lake replicas need no baseline: buckets and keys only.
    expect(stages.flatMap((stage) => (stage.lakeReplica ? [importOf(stage.lakeReplica)] : []))).toEqual([undefined, undefined, undefined]);
  });

  it('bootstraps every account and region a stack of each environment deploys into', () => {
    for (const stage of stages) {
      const stacks = [stage.platform, ...(stage.lakeReplica ? [stage.lakeReplica] : [])];
      expect(deployDoc).toContain(`| ${stage.stageName} | \`npx cdk bootstrap ${stacks.map((stack) => `aws://${stack.account}/${stack.region}`).join(' ')}\` |`);
    }
    const euProd = stages.find((stage) => stage.stageName === 'eu-prod')!;
    expect(readme).toContain(`npx cdk bootstrap aws://${euProd.platform.account}/${euProd.platform.region} aws://${euProd.lakeReplica!.account}/${euProd.lakeReplica!.region}`);
  });

  it('lists every environment\'s pinned availability zones and interface endpoint services for the pre-deploy check', () => {
    const section = deployDoc.slice(deployDoc.indexOf('### Availability zones'), deployDoc.indexOf('### What each resource type needs'));
    expect(section.length).toBeGreaterThan(0);
    for (const stage of stages) {
      const stack = stage.platform;
      const zones = resources(stack, ec2.CfnSubnet).map((subnet) => stack.resolve(subnet.availabilityZone));
      const services = resources(stack, ec2.CfnVPCEndpoint).filter((endpoint) => endpoint.vpcEndpointType === 'Interface')
        .map((endpoint) => (stack.resolve(endpoint.serviceName) as string).replace(`com.amazonaws.${stack.region}.`, ''));
      expect(section).toContain(`| ${stage.stageName} | ${zones.join(', ')} | ${services.join(', ')} |`);
      expect(section).toContain(`for s in ${services.join(' ')}; do`);
    }
  });

  it('enables every opt-in region a default environment deploys into before that region\'s bootstrap', () => {
    const optIn = stages.flatMap((stage) => [stage.platform, ...(stage.lakeReplica ? [stage.lakeReplica] : [])])
      .filter((stack) => RegionCatalogue.tryLookup(stack.region)?.optIn === true)
      .map((stack) => ({ environment: stack.node.scope!.node.id, account: stack.account, region: stack.region }));
    expect(optIn.map(({ environment, region }) => `${environment} ${region}`)).toEqual(['in-prod ap-south-2']);
    const section = deployDoc.slice(deployDoc.indexOf('## 1. Opt-in regions'), deployDoc.indexOf('## 2. CDK bootstrap'));
    expect(section.length).toBeGreaterThan(0);
    const listed = [...section.matchAll(/^\| ([a-z]+-[a-z]+) \| ([a-z]+-[a-z]+-\d) /gm)].map((match) => `${match[1]} ${match[2]}`);
    expect(listed).toEqual(optIn.map(({ environment, region }) => `${environment} ${region}`));
    for (const { account, region } of optIn) {
      const enable = deployDoc.indexOf(`\`aws account enable-region --region-name ${region}\` in account ${account}`);
      const bootstrap = deployDoc.indexOf(`aws://${account}/${region}`);
      expect([enable > 0, bootstrap > enable]).toEqual([true, true]);
    }
    const steps = [...deployDoc.matchAll(/^\| (\d)\. ([^|]+) \|/gm)].map((match) => `${match[1]}. ${match[2].split(' ')[0]}`);
    expect(steps).toEqual(['1. Enable', '2. Bootstrap', '3. Bedrock', '4. Account', '5. Environment']);
    expect(readme.indexOf('An opt-in region is enabled first')).toBeGreaterThan(0);
    expect(readme.indexOf('An opt-in region is enabled first')).toBeLessThan(readme.indexOf('npx cdk bootstrap'));
  });

  it('says how to retry a failed first create: what the rollback deletes, and lifting termination protection first', () => {
    const section = deployDoc.slice(deployDoc.indexOf('**A failed first deploy.**'), deployDoc.indexOf('## 5. The environment'));
    const [baseline] = baselines[0].baselines;
    const resourceOf = (type: string) => Object.values(Template.fromStack(baseline).findResources(type))[0];
    expect([resourceOf('AWS::IAM::ServiceLinkedRole').DeletionPolicy, resourceOf('AWS::IAM::Role').DeletionPolicy]).toEqual(['RetainExceptOnCreate', 'Retain']);
    expect(section).toContain('The service-linked role has DeletionPolicy `RetainExceptOnCreate`');
    expect(section).toContain('The CloudWatch role and the account setting stay `Retain`');
    expect(section).toContain('The role ARN does not have required permissions set to API Gateway');
    expect(baseline.terminationProtection).toBe(true);
    const unprotect = section.indexOf(`--stack-name ${baseline.stackName} --no-enable-termination-protection`);
    expect(unprotect).toBeGreaterThan(0);
    expect(section.indexOf("npx cdk deploy 'baseline-*/*'", unprotect)).toBeGreaterThan(unprotect);
  });

  it('deploys the baselines with the glob that selects exactly the environment\'s baseline stacks', () => {
    expect(baselines.flatMap((stage) => stage.baselines).every((stack) => /^baseline-\d{12}\/[a-z0-9-]+$/.test(stack.node.path))).toBe(true);
    for (const doc of [deployDoc, readme]) {
      expect(doc).toMatch(/npx cdk deploy 'baseline-\*\/\*' -c env=(eu-dev|eu-prod)/);
      expect(doc).toMatch(/npx cdk deploy '(eu-dev|eu-prod)\/\*' -c env=\1/);
    }
  });

  it('names logical ids that exist in the environment and baseline stacks', () => {
    const logicalIds = new Set([stages[1].platform, baselines[1].baselines[0]].flatMap((stack) => stack.node.findAll()
      .filter(CfnElement.isCfnElement).map((element) => stack.getLogicalId(element))));
    const named = [...deployDoc.matchAll(/\bres (\w+) /g)].map((match) => match[1]);
    expect(named.length).toBeGreaterThan(5);
    expect(named.filter((id) => !logicalIds.has(id))).toEqual([]);
    expect(stages[1].stageName).toBe('eu-dev');
  });

  it('lists the destination regions the region catalogue allows for each inference profile prefix', () => {
    for (const prefix of ['eu', 'us', 'in']) {
      expect(deployDoc).toContain(`| \`${prefix}.\` | ${RegionCatalogue.profileDestinations(prefix).join(', ')} |`);
    }
  });

  it('states each environment\'s reserved Lambda concurrency', () => {
    const reserved = (platform: PlatformStack) => resources(platform, lambda.CfnFunction).reduce((sum, fn) => sum + Number(platform.resolve(fn.reservedConcurrentExecutions) ?? 0), 0);
    const of = (fn: lambda.Function) => (fn.node.defaultChild as lambda.CfnFunction).reservedConcurrentExecutions!;
    for (const { platform } of stages) {
      const total = reserved(platform);
      const [gateway, retrieval, ingestion] = [platform.gateway.handler, platform.retrieval.retrievalFunction, platform.retrieval.ingestionFunction].map(of);
      expect(deployDoc).toContain(`${total} reserved (gateway ${gateway}, retrieval ${retrieval}, ingestion ${ingestion}, search setup ${total - gateway - retrieval - ingestion}) + the 100 Lambda keeps unreserved = **${total + 100}**`);
    }
  });

  it('deploys no example endpoint by default: a fresh account has no model artifacts and no GPU quota for it', () => {
    expect(stages.filter((stage) => stage.platform.exampleEndpoint).map((stage) => stage.stageName)).toEqual([]);
    expect(readme).toContain(`\`-c ${EXAMPLE_INFERENCE_CONTEXT}=true\``);
    const phase2 = deployDoc.slice(deployDoc.indexOf('### Phase 2: the example endpoint'));
    expect(phase2).toContain(`npx cdk deploy 'eu-prod/*' -c env=eu-prod -c ${EXAMPLE_INFERENCE_CONTEXT}=true`);
  });

  it('names the bucket prefix the example endpoint loads its model from in the phase-2 upload', () => {
    const euProd = withEndpoint.find((stage) => stage.stageName === 'eu-prod')!.platform;
    const model = resources(euProd, sagemaker.CfnModel)[0];
    const source = euProd.resolve(model.primaryContainer) as { modelDataSource: { s3DataSource: { s3Uri: unknown } } };
    expect(JSON.stringify(source.modelDataSource.s3DataSource.s3Uri)).toContain('/models/llama-3-1-8b-instruct/');
    expect(deployDoc).toContain('aws s3 sync ./llama-3-1-8b-instruct/ "s3://$ARTIFACTS/models/llama-3-1-8b-instruct/"');
    expect(deployDoc).toContain(`ARTIFACTS=$(res ${euProd.getLogicalId(euProd.dataLake.modelArtifacts.node.defaultChild as CfnElement)} paved-road-eu-prod)`);
  });

  it('states the GPU endpoint quota of the production environments with the example endpoint', () => {
    const prod = withEndpoint.filter((stage) => stage.platform.platformEnvironment.stage.isProd);
    expect(prod.map((stage) => stage.stageName)).toEqual(['eu-prod', 'in-prod', 'us-prod']);
    for (const { platform } of prod) {
      const endpoint = platform.exampleEndpoint!;
      const maxInstances = (endpoint.scalableTarget.node.defaultChild as appscaling.CfnScalableTarget).maxCapacity;
      expect(deployDoc).toContain(`| SageMaker \`${endpoint.instanceSelection.instanceType.name} for endpoint usage\` (prod, example endpoint, phase 2) | ${maxInstances} (auto scaling maximum), **${2 * maxInstances}** during a blue/green update`);
    }
  });

  it('says what the account needs for every resource type the templates hold', () => {
    const section = deployDoc.slice(deployDoc.indexOf('### What each resource type needs from the account'), deployDoc.indexOf('## 4. The account baseline'));
    const patterns = section.split('\n').filter((line) => line.startsWith('| `'))
      .flatMap((line) => [...line.split(' | ')[0].matchAll(/`([A-Za-z0-9:*]+)`/g)].map((match) => match[1]));
    const covered = (type: string) => patterns.some((pattern) => new RegExp(`^${pattern.replace(/\*/g, '.*')}$`).test(type));
    const types = new Set([...stages.flatMap((stage) => [stage.platform, ...(stage.lakeReplica ? [stage.lakeReplica] : [])]), ...baselines.flatMap((stage) => stage.baselines)]
      .flatMap((stack) => stack.node.findAll().filter((node): node is CfnResource => node instanceof CfnResource).map((resource) => resource.cfnResourceType)));
    expect(types.size).toBeGreaterThan(40);
    expect([...types].filter((type) => !covered(type))).toEqual([]);
  });

  it('states the network and log quotas one environment uses', () => {
    for (const { platform } of stages) {
      const endpoints = resources(platform, ec2.CfnVPCEndpoint).map((endpoint) => platform.resolve(endpoint.vpcEndpointType) ?? 'Gateway');
      const counts = {
        vpcs: resources(platform, ec2.CfnVPC).length,
        gateway: endpoints.filter((type) => type === 'Gateway').length,
        interface: endpoints.filter((type) => type === 'Interface').length,
        logPolicies: resources(platform, logs.CfnResourcePolicy).length,
      };
      expect(counts).toEqual({ vpcs: 1, gateway: 2, interface: 7, logPolicies: 1 });
    }
    expect(deployDoc).toContain('| VPCs per region | 1 |');
    expect(deployDoc).toContain('| Gateway VPC endpoints per region | 2 (S3, DynamoDB) |');
    expect(deployDoc).toContain('| Interface endpoints per VPC | 7 |');
    expect(deployDoc).toContain('| CloudWatch Logs resource policies per region | 1 (OpenSearch log publishing)');
  });
});
