import { readCompliance, formatSummary, groupAcknowledgments, reasonProblem } from '../../lib';
import { buildPlatform } from '../../bin/app';
import { testApp } from '../support/app';

// One synthesis of every default environment through the whole gate (all cdk-nag packs,
// cfn-guard and PavedRoadChecks): `app.synth()` throws on any unacknowledged finding.
describe('default platform', () => {
  const app = testApp();
  const stages = buildPlatform(app);
  let assemblyDirectory: string;
  let missingContext: unknown[];

  beforeAll(() => {
    const assembly = app.synth();
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

  it('prints a summary line per environment', () => {
    const summary = formatSummary(readCompliance(assemblyDirectory));
    expect(summary).toMatch(/^paved-road: 4 environment\(s\), 7 stack\(s\), 0 unacknowledged findings/);
    expect(summary).toMatch(/in-prod\s+ap-south-1\s+zone IN/);
    expect(summary).toMatch(/in-prod\s+ap-south-2\s+zone IN\s+paved-road-in-prod-lake-replica/);
  });
});
