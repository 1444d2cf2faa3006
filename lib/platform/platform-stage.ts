import { Stack, type StackProps, Stage } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { bindEnvironment, type PavedRoadEnvironment } from '../environments/environment';
import { Foundation } from '../foundation/foundation';

/** Properties of a {@link PlatformStack}. */
export interface PlatformStackProps extends StackProps {
  /** The environment the stack deploys. */
  readonly environment: PavedRoadEnvironment;
}

/** The paved-road platform of one environment: the foundation and the capabilities on it. */
export class PlatformStack extends Stack {
  /** The paved-road environment this stack deploys (`Stack.environment` is CDK's env string). */
  public readonly platformEnvironment: PavedRoadEnvironment;
  /** Keys, network and logging every capability builds on. */
  public readonly foundation: Foundation;

  constructor(scope: Construct, id: string, props: PlatformStackProps) {
    const env = props.environment;
    super(scope, id, {
      ...props,
      env: { account: env.account, region: env.region },
      description: `paved-road platform for ${env.name} (${env.stage} stage, residency zone ${env.zone})`,
      terminationProtection: props.terminationProtection ?? env.stage.isProd,
      tags: {
        ...props.tags,
        'paved-road:environment': env.name,
        'paved-road:residency-zone': env.zone.id,
        'paved-road:stage': env.stage.id,
      },
    });
    this.platformEnvironment = env;
    bindEnvironment(this, env);

    this.foundation = new Foundation(this, 'Foundation', { environment: env });
  }
}

/** Properties of a {@link PlatformStage}. */
export interface PlatformStageProps {
  /** The environment the stage deploys. */
  readonly environment: PavedRoadEnvironment;
}

/** One deployable environment: a CDK stage named after it, holding its platform stack. */
export class PlatformStage extends Stage {
  /** The platform stack of this environment. */
  public readonly platform: PlatformStack;

  constructor(scope: Construct, props: PlatformStageProps) {
    const env = props.environment;
    super(scope, env.name, { env: { account: env.account, region: env.region } });
    this.platform = new PlatformStack(this, 'Platform', { environment: env, stackName: `paved-road-${env.name}` });
  }
}
