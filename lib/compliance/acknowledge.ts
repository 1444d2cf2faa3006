import { Stack, Stage, Validations } from 'aws-cdk-lib';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import type { IConstruct } from 'constructs';
import { PavedRoadError } from '../core/errors';

/** A compliance finding that a construct accepts, and why that is safe. */
export interface FindingAcknowledgment {
  /**
   * The exact finding id as the gate reports it, e.g. `AwsSolutions-IAM5[Action::kms:GenerateDataKey*]`,
   * `HIPAA.Security-LambdaDLQ` or `cdk-validator-cfnguard::ct-s3-pr-9`.
   */
  readonly id: string;
  /** Why the finding is safe here, naming the compensating control. At least 40 characters. */
  readonly reason: string;
}

/** Finding-id prefixes of the plugins the compliance gate runs. */
export const FINDING_ID_PREFIXES = [
  'AwsSolutions-',
  'HIPAA.Security-',
  'NIST.800.53.R5-',
  'PCI.DSS.321-',
  'Serverless-',
  'PavedRoad-',
  'cdk-validator-cfnguard::',
];

const MIN_REASON_LENGTH = 40;
const MIN_CONTENT_WORDS = 5;
const PLACEHOLDER = /\b(todo|tbd|fixme|xxx|lorem|placeholder|for now)\b/i;
const GENERIC_OPENING = /^(this is )?(not (needed|required|applicable|relevant|important)|n\/a|false positive|suppress(ed)?|ignored?|accepted|acceptable( risk)?|by design|known issue|ok|fine|approved)\b/i;
const STOP_WORDS = new Set(['this', 'that', 'with', 'from', 'there', 'their', 'have', 'because', 'which', 'when', 'only', 'does', 'into', 'than', 'they', 'also', 'here', 'what']);

/**
 * Checks that a reason says something specific. Returns the problem, or `undefined` when the
 * reason is acceptable. Exported for tests and for tooling that lints acknowledgments.
 */
export function reasonProblem(reason: string): string | undefined {
  const text = reason.trim().replace(/\s+/g, ' ');
  if (text.length < MIN_REASON_LENGTH) {
    return `is ${text.length} characters; write at least ${MIN_REASON_LENGTH} that name the compensating control`;
  }
  if (PLACEHOLDER.test(text)) {
    return 'is a placeholder; say why the finding is safe now and what compensates for it';
  }
  if (GENERIC_OPENING.test(text)) {
    return 'is a generic dismissal; say why the finding is safe here and what compensates for it';
  }
  const contentWords = new Set(text.toLowerCase().match(/[a-z][a-z0-9-]{3,}/g)?.filter((w) => !STOP_WORDS.has(w)) ?? []);
  if (contentWords.size < MIN_CONTENT_WORDS) {
    return `names only ${contentWords.size} distinct terms; name the resource, the risk and the compensating control`;
  }
  return undefined;
}

/**
 * Acknowledges one compliance finding on the narrowest construct that causes it.
 *
 * This is the only way paved-road code acknowledges findings: it refuses app-, stage- and
 * stack-level acknowledgments, inexact ids and vague reasons. The gate writes every
 * acknowledgment into the template metadata (`cdk_nag.rules_to_suppress`), so auditors see
 * each one with its reason next to the resource.
 */
export function acknowledgeFinding(scope: IConstruct, ...acks: FindingAcknowledgment[]): void {
  if (Stage.isStage(scope) || Stack.isStack(scope)) {
    throw new PavedRoadError(`${scope.node.path || 'app'}: acknowledgments on an app, stage or stack hide findings of every resource in it; acknowledge on the construct that causes the finding`);
  }
  for (const ack of acks) {
    const where = `${scope.node.path}: acknowledgment of '${ack.id}'`;
    if (!FINDING_ID_PREFIXES.some((prefix) => ack.id.startsWith(prefix)) || /[\s]/.test(ack.id)) {
      throw new PavedRoadError(`${where}: id must be an exact finding id starting with one of ${FINDING_ID_PREFIXES.join(', ')}`);
    }
    const problem = reasonProblem(ack.reason);
    if (problem) {
      throw new PavedRoadError(`${where}: reason ${problem}`);
    }
    Validations.of(scope).acknowledge({ id: ack.id, reason: ack.reason.trim() });
  }
}

/**
 * The exact id under which AwsSolutions-IAM5 reports a wildcard `resource` of a policy in the
 * stack of `scope`: cdk-nag renders intrinsics as `<LogicalId.Attr>`, so an id built from a token
 * would never match.
 */
export function wildcardResourceFindingId(scope: IConstruct, resource: string): string {
  return `AwsSolutions-IAM5[Resource::${flattenCfnReference(Stack.of(scope).resolve(resource))}]`;
}
