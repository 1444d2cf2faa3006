import { Stack, type StackProps, Stage } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { DataLake } from '../data-lake/data-lake';
import { DataLakeReplicaStack } from '../data-lake/replica-stack';
import { PavedRoadError } from '../core/errors';
import { bindEnvironment, environmentTags, type PavedRoadEnvironment } from '../environments/environment';
import { Foundation } from '../foundation/foundation';
import { AiGateway } from '../gateway/ai-gateway';
import { GatewayModel } from '../gateway/ai-gateway-props';
import { GuardrailPolicy } from '../guardrails/guardrail-policy';
import { GuardrailPreset } from '../guardrails/guardrail-preset';
import { HybridSearch } from '../retrieval/hybrid-search';
import { GpuInferenceEndpoint } from '../inference/gpu-inference-endpoint';
import { InferenceCapacity } from '../inference/inference-capacity';
import { ModelArchitecture, WeightPrecision } from '../inference/sizing';

/**
 * Context flag for the example self-hosted model endpoint: off by default in every environment,
 * `true` turns it on. A fresh account has neither the model artifacts the endpoint loads
 * (`models/llama-3-1-8b-instruct/` in the model-artifacts bucket, which the first deploy creates)
 * nor, usually, GPU instance quota, so an endpoint in the first deploy fails it; docs/deploy.md
 * describes the second phase that turns it on.
 */
export const EXAMPLE_INFERENCE_CONTEXT = 'paved-road:example-inference-endpoint';

/**
 * Default Bedrock chat models per residency zone, first is the primary: only the zone's own
 * geographic profiles (`eu.`, `us.`, India's `in.`), never `global.` or `apac.`. Claude 3 Haiku,
 * the former in-region fallback, reached end of life on 2026-09-10.
 */
const DEFAULT_CHAT_MODELS: Readonly<Record<string, readonly string[]>> = {
  EU: ['eu.anthropic.claude-sonnet-4-5-20250929-v1:0', 'eu.anthropic.claude-haiku-4-5-20251001-v1:0'],
  US: ['us.anthropic.claude-sonnet-4-5-20250929-v1:0', 'us.anthropic.claude-haiku-4-5-20251001-v1:0'],
  IN: ['in.anthropic.claude-haiku-4-5-20251001-v1:0'],
};

/** Properties of a {@link PlatformStack}. */
export interface PlatformStackProps extends StackProps {
  /** The environment the stack deploys. */
  readonly environment: PavedRoadEnvironment;
  /**
   * Bedrock chat model or profile ids of the gateway, first is the default; each falls back to
   * the ones after it, then to the example self-hosted model when it exists.
   * @default - the residency zone's defaults: Claude Sonnet 4.5 then Claude Haiku 4.5 through the
   * `eu.`/`us.` profiles; Claude Haiku 4.5 through the `in.` profile in India
   */
  readonly chatModelIds?: string[];
}

/** The paved-road platform of one environment: the foundation and the capabilities on it. */
export class PlatformStack extends Stack {
  /** The paved-road environment this stack deploys (`Stack.environment` is CDK's env string). */
  public readonly platformEnvironment: PavedRoadEnvironment;
  /** Keys, network and logging every capability builds on. */
  public readonly foundation: Foundation;
  /** The zoned data lake: raw, curated, embeddings, model artifacts, inference capture, audit. */
  public readonly dataLake: DataLake;
  /** The example open-weight model endpoint, when {@link EXAMPLE_INFERENCE_CONTEXT} enables it. */
  public readonly exampleEndpoint?: GpuInferenceEndpoint;
  /** Hybrid (BM25 + k-NN) retrieval over the curated zone, with its ingestion path. */
  public readonly retrieval: HybridSearch;
  /** The environment's Bedrock guardrail, bound to every model invocation by IAM. */
  public readonly guardrail: GuardrailPolicy;
  /** The AI gateway every product team calls. */
  public readonly gateway: AiGateway;

  constructor(scope: Construct, id: string, props: PlatformStackProps) {
    const env = props.environment;
    super(scope, id, {
      ...props,
      env: { account: env.account, region: env.region },
      description: `paved-road platform for ${env.name} (${env.stage} stage, residency zone ${env.zone})`,
      terminationProtection: props.terminationProtection ?? env.stage.isProd,
      tags: { ...props.tags, ...environmentTags(env) },
    });
    this.platformEnvironment = env;
    bindEnvironment(this, env);

    this.foundation = new Foundation(this, 'Foundation', { environment: env });
    this.dataLake = new DataLake(this, 'DataLake', { foundation: this.foundation });

    const flag = this.node.tryGetContext(EXAMPLE_INFERENCE_CONTEXT);
    if (flag === true || flag === 'true') {
      this.exampleEndpoint = new GpuInferenceEndpoint(this, 'ExampleLlm', {
        foundation: this.foundation,
        modelArtifactsBucket: this.dataLake.modelArtifacts,
        modelDataKey: 'models/llama-3-1-8b-instruct/',
        captureBucket: this.dataLake.inferenceCapture,
        model: { architecture: ModelArchitecture.LLAMA_3_1_8B, precision: WeightPrecision.BF16 },
        capacity: env.stage.isProd ? undefined : InferenceCapacity.scaleToZero(),
      });
    }

    this.retrieval = new HybridSearch(this, 'Retrieval', { foundation: this.foundation, curatedBucket: this.dataLake.curated });
    this.guardrail = new GuardrailPolicy(this, 'Guardrail', {
      foundation: this.foundation,
      preset: env.stage.isProd ? GuardrailPreset.strict() : GuardrailPreset.standard(),
    });
    const modelIds = props.chatModelIds ?? DEFAULT_CHAT_MODELS[env.zone.id];
    if (!modelIds || modelIds.length === 0) {
      throw new PavedRoadError(`${env.name}: residency zone ${env.zone.id} has no default chat models; pass chatModelIds`);
    }
    const selfHosted = this.exampleEndpoint ? 'llama-3-1-8b-instruct' : undefined;
    const chatModels = modelIds.map((id, index) => GatewayModel.bedrock(id, [...modelIds.slice(index + 1), ...(selfHosted ? [selfHosted] : [])]));
    if (this.exampleEndpoint && selfHosted) {
      chatModels.push(GatewayModel.selfHosted(selfHosted, this.exampleEndpoint.endpointName, [], this.exampleEndpoint.inferenceComponentName));
    }
    this.gateway = new AiGateway(this, 'Gateway', {
      foundation: this.foundation,
      guardrail: this.guardrail,
      auditBucket: this.dataLake.audit,
      chatModels,
      retrieval: this.retrieval,
    });
  }
}

/** Properties of a {@link PlatformStage}. */
export interface PlatformStageProps {
  /** The environment the stage deploys. */
  readonly environment: PavedRoadEnvironment;
  /**
   * Bedrock chat model or profile ids of the environment's gateway, first is the default.
   * @default - the residency zone's defaults (see {@link PlatformStackProps.chatModelIds})
   */
  readonly chatModelIds?: string[];
}

/** One deployable environment: a CDK stage named after it, holding its platform stack. */
export class PlatformStage extends Stage {
  /** The platform stack of this environment. */
  public readonly platform: PlatformStack;
  /** The data lake's replicas in the in-zone DR region; production environments only. */
  public readonly lakeReplica?: DataLakeReplicaStack;

  constructor(scope: Construct, props: PlatformStageProps) {
    const env = props.environment;
    super(scope, env.name, { env: { account: env.account, region: env.region } });
    this.platform = new PlatformStack(this, 'Platform', { environment: env, chatModelIds: props.chatModelIds, stackName: `paved-road-${env.name}` });
    const replication = this.platform.dataLake.replication;
    if (replication) {
      this.lakeReplica = new DataLakeReplicaStack(this, 'LakeReplica', { replication, stackName: `paved-road-${env.name}-lake-replica` });
      // S3 checks that the destination buckets exist when the source's replication is configured.
      this.platform.addStackDependency(this.lakeReplica, 'replica buckets must exist before replication is configured');
    }
  }
}
