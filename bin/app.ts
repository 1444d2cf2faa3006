import { App } from 'aws-cdk-lib';
import { ComplianceGate, type EnvironmentSpec, PlatformStage, selectEnvironments } from '../lib';
import { ENVIRONMENTS } from './environments';

/**
 * Assembles the platform on `app`: one stage per catalogue environment (or only the one named
 * with `-c env=NAME`), all behind the compliance gate. Tests call this to check exactly what
 * `npm run synth` deploys.
 */
export function buildPlatform(app: App, environments: EnvironmentSpec[] = ENVIRONMENTS): PlatformStage[] {
  const stages = buildPlatformStages(app, environments);
  ComplianceGate.apply(app);
  return stages;
}

/**
 * The stages {@link buildPlatform} creates, without the compliance gate (which adds only
 * template metadata): for tests that read the templates' resources and policies.
 */
export function buildPlatformStages(app: App, environments: EnvironmentSpec[] = ENVIRONMENTS): PlatformStage[] {
  return selectEnvironments(environments, app.node.tryGetContext('env')).map((environment) => new PlatformStage(app, { environment }));
}
