import type { App } from 'aws-cdk-lib';
import { assemblePlatform } from '../../../bin/app';
import { EXAMPLE_INFERENCE_CONTEXT } from '../../../lib';
import { testApp } from '../app';
import { EnvironmentModel } from './environment-model';

/** Name of the simulated eu-prod with the example endpoint, which no default environment deploys. */
export const EU_PROD_WITH_ENDPOINT = 'eu-prod+example-endpoint';

function models(app: App, name: (stageName: string) => string): EnvironmentModel[] {
  const stages = assemblePlatform(app);
  const assembly = app.synth();
  return stages.map((stage) => new EnvironmentModel(name(stage.stageName), assembly.getNestedAssembly(stage.artifactId).stacks.map((stack) => ({
    stackName: stack.stackName,
    account: stack.environment.account,
    region: stack.environment.region,
    template: stack.template,
  }))));
}

/**
 * Every default environment (bin/environments.ts), assembled as bin/app.ts assembles them and
 * synthesized without bundling (test/support/app.ts), plus eu-prod with the example SageMaker
 * endpoint on (`-c paved-road:example-inference-endpoint=true`, the second deploy phase of
 * docs/deploy.md), so that the endpoint's and the self-hosted gateway path's calls are simulated
 * although no default environment deploys them. Without the compliance gate: it adds only
 * metadata (acknowledgments), never a resource or a policy, and would cost a cfn-guard run per
 * template (docs/runtime-permissions.md).
 */
export function synthesizeEnvironmentModels(): EnvironmentModel[] {
  return [
    ...models(testApp(), (stageName) => stageName),
    ...models(testApp({ [EXAMPLE_INFERENCE_CONTEXT]: 'true', env: 'eu-prod' }), () => EU_PROD_WITH_ENDPOINT),
  ];
}
