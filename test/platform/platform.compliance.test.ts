import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { EXAMPLE_INFERENCE_CONTEXT, readCompliance, formatSummary, groupAcknowledgments, reasonProblem } from '../../lib';
import { buildPlatform } from '../../bin/app';
import { testApp } from '../support/app';

// One synthesis of every default environment through the whole gate (all cdk-nag packs,
// cfn-guard and PavedRoadChecks): `app.synth()` throws on any unacknowledged finding.
describe('default platform', () => {
  const app = testApp();
  const stages = buildPlatform(app);
  let assembly: CloudAssembly;
  let assemblyDirectory: string;
  let missingContext: unknown[];

  beforeAll(() => {
    assembly = app.synth();
    assemblyDirectory = assembly.directory;
    missingContext = [...assembly.manifest.missing ?? [], ...assembly.nestedAssemblies.flatMap((nested) => nested.nestedAssembly.manifest.missing ?? [])];
  });

  it('needs no context lookups (no AWS credentials at synth)', () => {
    expect(missingContext).toEqual([]);
  });

  it('synthesizes every default environment with zero unacknowledged findings', () => {
    expect(stages.map((stage) => stage.stageName)).toEqual(['eu-prod', 'eu-dev', 'in-prod', 'us-prod']);
    const stacks = readCompliance(assemblyDirectory);
    expect(stacks.map((s) => [s.stackName, s.region]).sort()).toEqual([
      ['paved-road-account-baseline', 'ap-south-1'],
      ['paved-road-account-baseline', 'eu-central-1'],
      ['paved-road-account-baseline', 'eu-west-1'],
      ['paved-road-account-baseline', 'us-east-1'],
      ['paved-road-eu-dev', 'eu-west-1'],
      ['paved-road-eu-prod', 'eu-central-1'],
      ['paved-road-eu-prod-lake-replica', 'eu-west-1'],
      ['paved-road-in-prod', 'ap-south-1'],
      ['paved-road-in-prod-lake-replica', 'ap-south-2'],
      ['paved-road-us-prod', 'us-east-1'],
      ['paved-road-us-prod-lake-replica', 'us-west-2'],
    ]);
  });

  it('tags each stack with its environment, residency zone and stage', () => {
    const inProd = readCompliance(assemblyDirectory).find((s) => s.stackName === 'paved-road-in-prod');
    expect(inProd?.tags).toEqual({ 'paved-road:environment': 'in-prod', 'paved-road:residency-zone': 'IN', 'paved-road:stage': 'prod' });
  });

  it('records every acknowledgment in the template metadata with a specific reason', () => {
    for (const stack of readCompliance(assemblyDirectory)) {
      const ours = groupAcknowledgments(stack.acknowledgments).filter((g) => !g.findingId.startsWith('CloudFormation-Validate::'));
      expect(ours.length).toBeGreaterThan(0);
      for (const group of ours) expect([group.findingId, reasonProblem(group.reason)]).toEqual([group.findingId, undefined]);
    }
  });

  it('wires every gateway to its environment\'s retrieval function through the gate', () => {
    for (const stage of stages) {
      const platform = stage.platform;
      const template = assembly.getNestedAssembly(stage.artifactId).getStackArtifact(platform.artifactId).template;
      const logicalId = (construct: { node: { defaultChild?: unknown } }) => platform.getLogicalId(construct.node.defaultChild as never);
      const retrievalArn = { 'Fn::GetAtt': [logicalId(platform.retrieval.retrievalFunction), 'Arn'] };
      expect(template.Resources[logicalId(platform.gateway.handler)].Properties.Environment.Variables.RETRIEVAL_FUNCTION).toEqual(retrievalArn);
      const invoke = Object.values(template.Resources as Record<string, { Type: string; Properties: { PolicyDocument?: { Statement: Array<{ Action: unknown; Resource: unknown }> } } }>)
        .filter((resource) => resource.Type === 'AWS::IAM::Policy')
        .flatMap((policy) => policy.Properties.PolicyDocument!.Statement)
        .filter((statement) => statement.Action === 'lambda:InvokeFunction');
      expect(invoke.map((statement) => statement.Resource)).toEqual([[retrievalArn, { 'Fn::Join': ['', [retrievalArn, ':*']] }]]);
    }
  });

  it('prints a summary line per environment', () => {
    const summary = formatSummary(readCompliance(assemblyDirectory));
    expect(summary).toMatch(/^paved-road: 4 environment\(s\), 11 stack\(s\), 0 unacknowledged findings/);
    expect(summary).toMatch(/baseline-333333333333\/ap-south-1\s+ap-south-1\s+zone IN\s+paved-road-account-baseline\s+3 resources\s+1 acknowledgments/);
    expect(summary).toMatch(/in-prod\s+ap-south-1\s+zone IN/);
    expect(summary).toMatch(/in-prod\s+ap-south-2\s+zone IN\s+paved-road-in-prod-lake-replica/);
  });
});

// The second deploy phase (docs/deploy.md): eu-prod with the example SageMaker endpoint, which no
// default environment deploys, through the same gate.
describe('eu-prod with the example endpoint', () => {
  it('synthesizes with zero unacknowledged findings and holds the endpoint', () => {
    const app = testApp({ [EXAMPLE_INFERENCE_CONTEXT]: 'true', env: 'eu-prod' });
    const [stage] = buildPlatform(app);
    const assembly = app.synth();
    expect(stage.platform.exampleEndpoint).toBeDefined();
    const stacks = readCompliance(assembly.directory);
    expect(formatSummary(stacks)).toMatch(/0 unacknowledged findings/);
    const template = assembly.getNestedAssembly(stage.artifactId).getStackArtifact(stage.platform.artifactId).template as { Resources: Record<string, { Type: string }> };
    expect(Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::SageMaker::Endpoint')).toHaveLength(1);
  });
});
