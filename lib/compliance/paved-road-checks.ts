import { CfnDeletionPolicy, CfnResource } from 'aws-cdk-lib';
import { NagMessageLevel, NagPack, type NagPackProps, NagRuleCompliance, type NagRuleResult } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { residencyZoneOf, tryEnvironmentOf } from '../environments/environment';
import { Stage } from '../environments/stage';
import { ResidencyZone } from '../residency/residency-zone';
import { asList, flattenToString, resolvedProperties, stringsIn } from './template-values';

const REGION_PATTERN = /\b((?:us|eu|ap|sa|ca|me|af|il|mx|cn)(?:-gov)?-(?:north|south|east|west|central|northeast|northwest|southeast|southwest)-\d)[a-z]?\b/g;
const MODEL_ROUTE_PATTERN = /\b((?:global|apac|eu|us|us-gov|jp|au|ca)\.[a-z0-9-]+\.[A-Za-z0-9._:-]+)/g;
const INVOKE_ACTIONS = ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream', 'bedrock:Converse', 'bedrock:ConverseStream'];
const BEDROCK_MODEL_ARN = /^arn:[a-z-]+:bedrock:([a-z0-9-]+):(\d{12}|\$\{[^}]+\})?:(foundation-model|inference-profile|application-inference-profile)\/([^*?]+)$/;
const GUARDRAIL_CONDITION_KEY = 'bedrock:guardrailidentifier';
const IAM_POLICY_TYPES = new Set(['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::Role', 'AWS::IAM::User', 'AWS::IAM::Group']);
/** Resource types that hold data: their loss on a stack deletion or replacement is not undoable. */
const STATEFUL_TYPES = new Set(['AWS::KMS::Key', 'AWS::S3::Bucket', 'AWS::Logs::LogGroup', 'AWS::DynamoDB::Table', 'AWS::DynamoDB::GlobalTable', 'AWS::OpenSearchService::Domain', 'AWS::Cognito::UserPool']);
/**
 * Deletion policies that keep a resource on stack deletion. `RetainExceptOnCreate` also deletes it
 * when the operation that created it rolls back, before it holds data
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html).
 */
const RETAINING_DELETION_POLICIES = new Set([CfnDeletionPolicy.RETAIN, CfnDeletionPolicy.RETAIN_EXCEPT_ON_CREATE]);

interface PolicyStatement {
  readonly Effect?: string;
  readonly Action?: unknown;
  readonly NotAction?: unknown;
  readonly Resource?: unknown;
  readonly NotResource?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

function globMatches(pattern: string, action: string): boolean {
  const regex = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');
  return regex.test(action);
}

/** Statements of every policy document an IAM resource carries. */
function policyStatements(type: string, props: Record<string, unknown>): PolicyStatement[] {
  const documents = type === 'AWS::IAM::Policy' || type === 'AWS::IAM::ManagedPolicy'
    ? [props.PolicyDocument]
    : asList(props.Policies as Array<{ PolicyDocument?: unknown }> | undefined).map((policy) => policy.PolicyDocument);
  return documents.flatMap((doc) => asList((doc as { Statement?: PolicyStatement | PolicyStatement[] } | undefined)?.Statement));
}

/** Whether an Allow statement grants any Bedrock model-invocation action. */
function allowsInvocation(statement: PolicyStatement): boolean {
  if (statement.Effect !== 'Allow') return false;
  if (statement.NotAction !== undefined) {
    const excluded = asList(statement.NotAction as string | string[]);
    return INVOKE_ACTIONS.some((action) => !excluded.some((pattern) => typeof pattern === 'string' && globMatches(pattern, action)));
  }
  const actions = asList(statement.Action as string | string[]);
  return INVOKE_ACTIONS.some((action) => actions.some((pattern) => typeof pattern === 'string' && globMatches(pattern, action)));
}

interface ParsedModelArn {
  readonly region: string;
  readonly kind: string;
  readonly id: string;
}

function parseModelArn(arn: string): ParsedModelArn | undefined {
  const match = BEDROCK_MODEL_ARN.exec(arn);
  return match ? { region: match[1], kind: match[3], id: match[4] } : undefined;
}

function isEmbeddingModel(arn: ParsedModelArn): boolean {
  return arn.kind !== 'application-inference-profile' && /(^|\.)[a-z0-9-]*embed/.test(arn.id);
}

/**
 * paved-road's own rules: residency, AI governance and data retention, which no upstream pack checks.
 *
 * Each rule reads the synthesized (resolved) properties, so escape-hatch overrides are seen.
 */
export class PavedRoadChecks extends NagPack {
  public readonly name = 'PavedRoad';

  constructor(scope?: IConstruct, props?: NagPackProps) {
    super(scope, props);
    this.packName = 'PavedRoad';
  }

  protected checkResource(node: CfnResource): void {
    const rules: Array<{ suffix: string; info: string; explanation: string; rule: (node: CfnResource) => NagRuleResult }> = [
      {
        suffix: 'ResidencyRegion',
        info: 'A resource property names an AWS region outside the environment\'s residency zone.',
        explanation: 'Data, calls and replicas must stay inside the residency zone (GDPR Chapter V, DPDP s. 16). Use a region of the zone; see lib/residency/region-catalogue.ts.',
        rule: residencyRegion,
      },
      {
        suffix: 'ResidencyModelRoute',
        info: 'A resource property names a Bedrock inference profile that routes outside the residency zone.',
        explanation: 'Geographic profiles are allowed only when every destination is inside the zone; global profiles never. Use the in-region model id or the zone\'s own profile prefix.',
        rule: residencyModelRoute,
      },
      {
        suffix: 'S3LifecycleRules',
        info: 'The S3 bucket has no enabled lifecycle rule.',
        explanation: 'Every bucket must expire or transition what it accumulates; data kept forever breaks storage limitation and cost budgets.',
        rule: s3LifecycleRules,
      },
      {
        suffix: 'LogGroupRetention',
        info: 'The CloudWatch log group has no retention period.',
        explanation: 'Logs kept forever hold personal data without limit; set RetentionInDays (at least one year for DPDP processing logs).',
        rule: logGroupRetention,
      },
      {
        suffix: 'StatefulRetention',
        info: 'A stateful resource of a staging or production environment is deleted with its stack or on replacement.',
        explanation: 'Keys, buckets, tables, domains, user pools and log groups outside dev must have DeletionPolicy Retain or RetainExceptOnCreate and UpdateReplacePolicy Retain; use Stage.statefulRemovalPolicy.',
        rule: statefulRetention,
      },
      {
        suffix: 'KMSKeyRotationSingleRegion',
        info: 'The KMS key does not rotate, or it is a multi-Region key.',
        explanation: 'Keys must rotate yearly, and multi-Region keys replicate key material out of the region, which residency forbids.',
        rule: kmsKeyRotationSingleRegion,
      },
      {
        suffix: 'BedrockInvokeScope',
        info: 'An IAM statement allows Bedrock model invocation on resources that are not in-zone model or inference-profile ARNs.',
        explanation: 'Model invocation must be scoped to the environment\'s allowed model and profile ARNs in its residency zone, never to * or to AWS managed Bedrock policies.',
        rule: bedrockInvokeScope,
      },
      {
        suffix: 'BedrockGuardrailCondition',
        info: 'An IAM statement allows Bedrock model invocation without a bedrock:GuardrailIdentifier condition.',
        explanation: 'Invocations of generative models must be bound to the environment\'s guardrail by IAM; only embedding models are exempt.',
        rule: bedrockGuardrailCondition,
      },
    ];
    for (const { suffix, info, explanation, rule } of rules) {
      this.applyRule({ ruleSuffixOverride: suffix, info, explanation, level: NagMessageLevel.ERROR, rule, node });
    }
  }
}

function zoneOrUnknown(node: CfnResource): ResidencyZone | undefined {
  return residencyZoneOf(node);
}

function residencyRegion(node: CfnResource): NagRuleResult {
  const zone = zoneOrUnknown(node);
  if (!zone) return NagRuleCompliance.NOT_APPLICABLE;
  for (const value of stringsIn(resolvedProperties(node))) {
    for (const match of value.matchAll(REGION_PATTERN)) {
      if (!zone.includesRegion(match[1])) return NagRuleCompliance.NON_COMPLIANT;
    }
  }
  return NagRuleCompliance.COMPLIANT;
}

function residencyModelRoute(node: CfnResource): NagRuleResult {
  const zone = zoneOrUnknown(node);
  if (!zone) return NagRuleCompliance.NOT_APPLICABLE;
  for (const value of stringsIn(resolvedProperties(node))) {
    for (const match of value.matchAll(MODEL_ROUTE_PATTERN)) {
      if (ResidencyZone.profilePrefixOf(match[1]) !== undefined && !zone.allowsModel(match[1])) return NagRuleCompliance.NON_COMPLIANT;
    }
  }
  return NagRuleCompliance.COMPLIANT;
}

function s3LifecycleRules(node: CfnResource): NagRuleResult {
  if (node.cfnResourceType !== 'AWS::S3::Bucket') return NagRuleCompliance.NOT_APPLICABLE;
  const rules = asList((resolvedProperties(node).LifecycleConfiguration as { Rules?: Array<{ Status?: string }> } | undefined)?.Rules);
  return rules.some((rule) => rule.Status === 'Enabled') ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
}

function logGroupRetention(node: CfnResource): NagRuleResult {
  if (node.cfnResourceType !== 'AWS::Logs::LogGroup') return NagRuleCompliance.NOT_APPLICABLE;
  const days = resolvedProperties(node).RetentionInDays;
  return typeof days === 'number' && days > 0 ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
}

function statefulRetention(node: CfnResource): NagRuleResult {
  const stage = tryEnvironmentOf(node)?.stage;
  if (!STATEFUL_TYPES.has(node.cfnResourceType) || !stage || stage === Stage.DEV) return NagRuleCompliance.NOT_APPLICABLE;
  const { deletionPolicy, updateReplacePolicy } = node.cfnOptions;
  return deletionPolicy !== undefined && RETAINING_DELETION_POLICIES.has(deletionPolicy) && updateReplacePolicy === CfnDeletionPolicy.RETAIN
    ? NagRuleCompliance.COMPLIANT
    : NagRuleCompliance.NON_COMPLIANT;
}

function kmsKeyRotationSingleRegion(node: CfnResource): NagRuleResult {
  if (node.cfnResourceType !== 'AWS::KMS::Key') return NagRuleCompliance.NOT_APPLICABLE;
  const props = resolvedProperties(node);
  return props.EnableKeyRotation === true && props.MultiRegion !== true ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
}

function invocationStatements(node: CfnResource): PolicyStatement[] | undefined {
  if (!IAM_POLICY_TYPES.has(node.cfnResourceType)) return undefined;
  return policyStatements(node.cfnResourceType, resolvedProperties(node)).filter(allowsInvocation);
}

function bedrockInvokeScope(node: CfnResource): NagRuleResult {
  const statements = invocationStatements(node);
  if (statements === undefined) return NagRuleCompliance.NOT_APPLICABLE;
  const managed = asList(resolvedProperties(node).ManagedPolicyArns as unknown[]).map((arn) => flattenToString(node, arn));
  if (managed.some((arn) => /:policy\/AmazonBedrock/i.test(arn))) return NagRuleCompliance.NON_COMPLIANT;
  const zone = zoneOrUnknown(node);
  for (const statement of statements) {
    if (statement.NotResource !== undefined || statement.Resource === undefined) return NagRuleCompliance.NON_COMPLIANT;
    for (const resource of asList(statement.Resource as unknown[])) {
      const arn = parseModelArn(flattenToString(node, resource));
      if (!arn || !zone || !zone.includesRegion(arn.region)) return NagRuleCompliance.NON_COMPLIANT;
      if (arn.kind !== 'application-inference-profile' && !zone.allowsModel(arn.id)) return NagRuleCompliance.NON_COMPLIANT;
    }
  }
  return NagRuleCompliance.COMPLIANT;
}

function bedrockGuardrailCondition(node: CfnResource): NagRuleResult {
  const statements = invocationStatements(node);
  if (statements === undefined) return NagRuleCompliance.NOT_APPLICABLE;
  for (const statement of statements) {
    const arns = asList(statement.Resource as unknown[]).map((resource) => parseModelArn(flattenToString(node, resource)));
    const embeddingOnly = arns.length > 0 && arns.every((arn) => arn !== undefined && isEmbeddingModel(arn));
    if (embeddingOnly) continue;
    // A `Null` test only proves that *some* guardrail is attached; the binding must name one.
    const bindsGuardrail = Object.entries(statement.Condition ?? {})
      .filter(([operator]) => !operator.startsWith('Null'))
      .some(([, block]) => Object.entries(block ?? {}).some(([key, value]) => key.toLowerCase() === GUARDRAIL_CONDITION_KEY && !asList(value).includes('*')));
    if (!bindsGuardrail) return NagRuleCompliance.NON_COMPLIANT;
  }
  return NagRuleCompliance.COMPLIANT;
}
