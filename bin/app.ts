import { App } from 'aws-cdk-lib';
import { AccountBaselineStage, ComplianceGate, type EnvironmentSpec, PlatformStage, planAccountBaselines, selectEnvironments } from '../lib';
import { ENVIRONMENTS } from './environments';

/**
 * Assembles the platform on `app`: the account baselines the selected environments need, then
 * one stage per catalogue environment (or only the one named with `-c env=NAME`), all behind
 * the compliance gate. Tests call this to check exactly what `npm run synth` deploys.
 */
export function buildPlatform(app: App, environments: EnvironmentSpec[] = ENVIRONMENTS): PlatformStage[] {
  const stages = assemblePlatform(app, environments);
  ComplianceGate.apply(app);
  return stages;
}

/**
 * {@link buildPlatform} without the compliance gate, whose only mark on the templates is their
 * acknowledgment metadata: for tests that read the templates and leave the findings to the
 * platform compliance test.
 */
export function assemblePlatform(app: App, environments: EnvironmentSpec[] = ENVIRONMENTS): PlatformStage[] {
  const catalogue = selectEnvironments(environments);
  const selected = selectEnvironments(environments, app.node.tryGetContext('env'));
  const baselines = AccountBaselineStage.forPlans(app, planAccountBaselines(catalogue, selected));
  const stages = selected.map((environment) => new PlatformStage(app, { environment }));
  for (const stage of stages) {
    // Stages cannot depend on each other in CDK: the import makes CloudFormation enforce the order.
    baselines.find((baseline) => baseline.account === stage.account)?.baselineIn(stage.platform.region)?.requireBefore(stage.platform);
  }
  return stages;
}
