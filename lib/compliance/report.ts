import * as fs from 'node:fs';
import * as path from 'node:path';
import { CloudAssembly, type CloudFormationStackArtifact } from 'aws-cdk-lib/cx-api';

/** One acknowledged finding as recorded in a synthesized template. */
export interface AcknowledgedFinding {
  /** Logical id of the resource in its template. */
  readonly logicalId: string;
  /** CloudFormation resource type. */
  readonly resourceType: string;
  /** Construct path of the resource. */
  readonly constructPath: string;
  /** Exact finding id that was acknowledged. */
  readonly findingId: string;
  /** The reason given for the acknowledgment. */
  readonly reason: string;
}

/** One acknowledgment (finding id and reason) and every resource it covers. */
export interface AcknowledgmentGroup {
  /** Exact finding id that was acknowledged. */
  readonly findingId: string;
  /** The reason given for the acknowledgment. */
  readonly reason: string;
  /** Construct paths (or logical ids) of the resources it covers. */
  readonly resources: string[];
}

/** Groups per-resource acknowledgments by finding id and reason. */
export function groupAcknowledgments(acknowledgments: AcknowledgedFinding[]): AcknowledgmentGroup[] {
  const groups = new Map<string, AcknowledgmentGroup>();
  for (const a of acknowledgments) {
    const key = `${a.findingId}\u0000${a.reason}`;
    const group = groups.get(key) ?? { findingId: a.findingId, reason: a.reason, resources: [] };
    group.resources.push(a.constructPath || a.logicalId);
    groups.set(key, group);
  }
  return [...groups.values()];
}

/** What the compliance report says about one synthesized stack. */
export interface StackCompliance {
  /** Stack name as deployed. */
  readonly stackName: string;
  /** Construct path of the stack, e.g. `eu-prod/Platform`. */
  readonly path: string;
  /** Deployment region. */
  readonly region: string;
  /** Deployment account. */
  readonly account: string;
  /** Stack tags (environment, residency zone, stage). */
  readonly tags: Record<string, string>;
  /** Number of resources per CloudFormation type. */
  readonly resourceTypes: Record<string, number>;
  /** Every acknowledged finding in the template. */
  readonly acknowledgments: AcknowledgedFinding[];
}

interface TemplateResource {
  readonly Type: string;
  readonly Metadata?: { 'aws:cdk:path'?: string; cdk_nag?: { rules_to_suppress?: Array<{ id: string; reason: string }> } };
}

function describeStack(stack: CloudFormationStackArtifact): StackCompliance {
  const resources = Object.entries((stack.template as { Resources?: Record<string, TemplateResource> }).Resources ?? {});
  const resourceTypes: Record<string, number> = {};
  const acknowledgments: AcknowledgedFinding[] = [];
  for (const [logicalId, resource] of resources) {
    resourceTypes[resource.Type] = (resourceTypes[resource.Type] ?? 0) + 1;
    for (const rule of resource.Metadata?.cdk_nag?.rules_to_suppress ?? []) {
      acknowledgments.push({ logicalId, resourceType: resource.Type, constructPath: resource.Metadata?.['aws:cdk:path'] ?? '', findingId: rule.id, reason: rule.reason });
    }
  }
  return {
    stackName: stack.stackName,
    path: stack.hierarchicalId,
    region: stack.environment.region,
    account: stack.environment.account,
    tags: stack.tags,
    resourceTypes,
    acknowledgments,
  };
}

/** Reads every stack of a cloud assembly directory (nested stage assemblies included). */
export function readCompliance(assemblyDirectory: string): StackCompliance[] {
  return new CloudAssembly(assemblyDirectory).stacksRecursively.map(describeStack);
}

const count = (record: Record<string, number>): number => Object.values(record).reduce((a, b) => a + b, 0);

/** A few lines for the terminal: one per stack. */
export function formatSummary(stacks: StackCompliance[]): string {
  const label = (s: StackCompliance) => s.tags['paved-road:environment'] ?? s.path;
  const labelWidth = Math.max(10, ...stacks.map((s) => label(s).length));
  const nameWidth = Math.max(28, ...stacks.map((s) => s.stackName.length));
  const lines = stacks.map((s) => {
    const zone = s.tags['paved-road:residency-zone'] ?? '-';
    return `  ${label(s).padEnd(labelWidth)} ${s.region.padEnd(14)} zone ${zone.padEnd(3)} ${s.stackName.padEnd(nameWidth)} ${String(count(s.resourceTypes)).padStart(4)} resources  ${String(groupAcknowledgments(s.acknowledgments).length).padStart(3)} acknowledgments`;
  });
  // Environments are what the stacks' environment tags name; an account baseline serves
  // environments without being one.
  const environments = new Set(stacks.map((s) => s.tags['paved-road:environment']).filter((name) => name !== undefined)).size;
  return [`paved-road: ${environments} environment(s), ${stacks.length} stack(s), 0 unacknowledged findings`, ...lines].join('\n');
}

/** The auditor's report: per stack, what it contains and every acknowledged finding with its reason. */
export function formatReport(stacks: StackCompliance[], generatedAt: Date = new Date()): string {
  const out: string[] = [
    '# paved-road compliance report',
    '',
    `Generated ${generatedAt.toISOString()} from the synthesized templates.`,
    '',
    'Every stack below passed the compliance gate: cdk-nag AwsSolutions, HIPAA Security, NIST 800-53 rev 5,',
    'PCI DSS 3.2.1 and Serverless packs, the Control Tower proactive controls (cfn-guard) and PavedRoadChecks.',
    'Synthesis fails on any finding that is not acknowledged, so the acknowledgments listed here are the',
    'complete set of accepted deviations. Each is recorded in its resource\'s `Metadata.cdk_nag` in the template.',
    '',
  ];
  for (const s of stacks) {
    out.push(`## ${s.stackName} (${s.path})`, '');
    out.push(`- Account ${s.account}, region ${s.region}`);
    for (const [key, value] of Object.entries(s.tags).sort()) out.push(`- Tag \`${key}\` = \`${value}\``);
    out.push(`- ${count(s.resourceTypes)} resources`, '');
    out.push('| Resource type | Count |', '| --- | ---: |');
    for (const [type, n] of Object.entries(s.resourceTypes).sort()) out.push(`| ${type} | ${n} |`);
    const groups = groupAcknowledgments(s.acknowledgments);
    out.push('', `### Acknowledgments (${groups.length})`, '');
    if (groups.length === 0) {
      out.push('None.', '');
      continue;
    }
    out.push('| Finding | Reason | Resources |', '| --- | --- | --- |');
    for (const g of groups) {
      out.push(`| \`${g.findingId}\` | ${g.reason.replace(/\|/g, '\\|')} | ${g.resources.map((r) => `\`${r}\``).join('<br>')} |`);
    }
    out.push('');
  }
  return out.join('\n');
}

/** Writes `compliance-report.md` into the assembly directory and returns the terminal summary. */
export function writeComplianceReport(assemblyDirectory: string): string {
  const stacks = readCompliance(assemblyDirectory);
  fs.writeFileSync(path.join(assemblyDirectory, 'compliance-report.md'), formatReport(stacks));
  return formatSummary(stacks);
}
