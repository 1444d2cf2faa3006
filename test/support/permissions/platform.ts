import { assemblePlatform } from '../../../bin/app';
import { testApp } from '../app';
import { EnvironmentModel } from './environment-model';

/**
 * Every default environment (bin/environments.ts), assembled as bin/app.ts assembles them and
 * synthesized without bundling (test/support/app.ts). Without the compliance gate: it adds only
 * metadata (acknowledgments), never a resource or a policy, and would cost a cfn-guard run per
 * template (docs/runtime-permissions.md).
 */
export function synthesizeEnvironmentModels(): EnvironmentModel[] {
  const app = testApp();
  const stages = assemblePlatform(app);
  const assembly = app.synth();
  return stages.map((stage) => new EnvironmentModel(stage.stageName, assembly.getNestedAssembly(stage.artifactId).stacks.map((stack) => ({
    stackName: stack.stackName,
    account: stack.environment.account,
    region: stack.environment.region,
    template: stack.template,
  }))));
}
