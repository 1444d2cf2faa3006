import { type CfnResource, Stack, Token } from 'aws-cdk-lib';

/** The resource's CloudFormation properties, with tokens resolved and overrides applied. */
export function resolvedProperties(node: CfnResource): Record<string, unknown> {
  // `_toCloudFormation` is how aws-cdk-lib renders a resource, overrides included; reading
  // the typed L1 props would miss `addPropertyOverride` escape hatches.
  const rendered = Stack.of(node).resolve((node as unknown as { _toCloudFormation(): unknown })._toCloudFormation()) as {
    Resources: Record<string, { Properties?: Record<string, unknown> }>;
  };
  return Object.values(rendered.Resources)[0]?.Properties ?? {};
}

/** Every string that appears anywhere in a resolved value (object keys excluded). */
export function stringsIn(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) value.forEach((item) => stringsIn(item, out));
  else if (value !== null && typeof value === 'object') Object.values(value).forEach((item) => stringsIn(item, out));
  return out;
}

/**
 * Renders a resolved CloudFormation value as a string, substituting the stack's pseudo
 * parameters and marking any other intrinsic as `${...}`, so ARNs can be pattern-matched.
 */
export function flattenToString(node: CfnResource, value: unknown): string {
  const stack = Stack.of(node);
  const pseudo: Record<string, string | undefined> = {
    'AWS::Region': Token.isUnresolved(stack.region) ? undefined : stack.region,
    'AWS::AccountId': Token.isUnresolved(stack.account) ? undefined : stack.account,
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
  };
  const render = (v: unknown): string => {
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (v !== null && typeof v === 'object') {
      const obj = v as Record<string, unknown>;
      if (typeof obj.Ref === 'string') return pseudo[obj.Ref] ?? `\${${obj.Ref}}`;
      const join = obj['Fn::Join'];
      if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
        return (join[1] as unknown[]).map(render).join(join[0]);
      }
      const sub = obj['Fn::Sub'];
      if (typeof sub === 'string') return sub.replace(/\$\{([^}]+)\}/g, (whole, name: string) => pseudo[name] ?? whole);
    }
    return '${intrinsic}';
  };
  return render(value);
}

/** Wraps a value that CloudFormation allows as a single item or a list into a list. */
export function asList<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
