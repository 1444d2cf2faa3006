import { PavedRoadError } from '../core/errors';
import type { RegionInfo } from '../residency/region-catalogue';

/** The path where SageMaker places the model artifact inside the container. */
export const MODEL_MOUNT_PATH = '/opt/ml/model';

/** What a model server needs to know to serve the sized model. */
export interface ServingParameters {
  /** GPUs one model copy spans. */
  readonly tensorParallelDegree: number;
  /** Longest sequence, prompt plus generation, in tokens. */
  readonly maxContextTokens: number;
  /** Sequences served at once (batch size). */
  readonly maxConcurrentSequences: number;
}

/** A family of model-server images in the AWS Deep Learning Containers registry. */
export class InferenceImageFamily {
  /** Large Model Inference (DJL Serving with vLLM / TensorRT-LLM back ends). */
  public static readonly LMI = new InferenceImageFamily('djl-inference', '0.33.0-lmi15.0.0-cu128', (p) => ({
    HF_MODEL_ID: MODEL_MOUNT_PATH,
    OPTION_TENSOR_PARALLEL_DEGREE: String(p.tensorParallelDegree),
    OPTION_MAX_MODEL_LEN: String(p.maxContextTokens),
    OPTION_MAX_ROLLING_BATCH_SIZE: String(p.maxConcurrentSequences),
    OPTION_ROLLING_BATCH: 'vllm',
  }));
  /** Hugging Face Text Generation Inference. */
  public static readonly TGI = new InferenceImageFamily('huggingface-pytorch-tgi-inference', '2.7.0-tgi3.3.6-gpu-py311-cu124-ubuntu22.04', (p) => ({
    HF_MODEL_ID: MODEL_MOUNT_PATH,
    HF_HUB_OFFLINE: '1',
    SM_NUM_GPUS: String(p.tensorParallelDegree),
    MAX_TOTAL_TOKENS: String(p.maxContextTokens),
    MAX_INPUT_TOKENS: String(p.maxContextTokens - 1),
    MAX_BATCH_SIZE: String(p.maxConcurrentSequences),
  }));

  private constructor(
    /** ECR repository name in the DLC registry account. */
    public readonly repository: string,
    /** The pinned default tag; change it here, in one reviewed commit. */
    public readonly defaultTag: string,
    private readonly environmentFor: (parameters: ServingParameters) => Record<string, string>,
  ) {}

  /**
   * Container environment that makes the server load the model from {@link MODEL_MOUNT_PATH}
   * (never from a model hub) with the sized parallelism, context and batch.
   */
  public servingEnvironment(parameters: ServingParameters): Record<string, string> {
    return this.environmentFor(parameters);
  }

  public toString(): string {
    return this.repository;
  }
}

/** The container image of a {@link GpuInferenceEndpoint}. */
export class InferenceImage {
  /**
   * An LMI (DJL Serving) image from the region's Deep Learning Containers registry.
   * @param tag image tag; defaults to {@link InferenceImageFamily.LMI}'s pinned tag
   */
  public static lmi(tag?: string): InferenceImage {
    return new InferenceImage(InferenceImageFamily.LMI, tag);
  }

  /**
   * A Hugging Face TGI image from the region's Deep Learning Containers registry.
   * @param tag image tag; defaults to {@link InferenceImageFamily.TGI}'s pinned tag
   */
  public static tgi(tag?: string): InferenceImage {
    return new InferenceImage(InferenceImageFamily.TGI, tag);
  }

  /**
   * An explicit image URI, e.g. a copy of a DLC image in the account's own ECR. The server must
   * understand the environment of `family`.
   * @param imageUri full URI: `<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>` or `@sha256:` digest
   */
  public static fromUri(imageUri: string, family: InferenceImageFamily): InferenceImage {
    const match = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com\/([a-z0-9._/-]+)(:[\w.-]+|@sha256:[a-f0-9]{64})$/.exec(imageUri);
    if (!match) {
      throw new PavedRoadError(`InferenceImage.fromUri: '${imageUri}' is not a pinned ECR image URI; use <account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag> (or @sha256:<digest>)`);
    }
    return new InferenceImage(family, undefined, { uri: imageUri, account: match[1], region: match[2], repository: match[3] });
  }

  private constructor(
    /** The server family, which decides the container environment. */
    public readonly family: InferenceImageFamily,
    private readonly tag?: string,
    private readonly explicit?: { uri: string; account: string; region: string; repository: string },
  ) {
    if (tag !== undefined && !/^[\w][\w.-]{0,127}$/.test(tag)) {
      throw new PavedRoadError(`InferenceImage: tag '${tag}' is not a valid image tag`);
    }
  }

  /** Where the image lives in `regionInfo`'s region. */
  public bind(regionInfo: RegionInfo): InferenceImageLocation {
    if (this.explicit) {
      if (this.explicit.region !== regionInfo.region) {
        throw new PavedRoadError(`InferenceImage.fromUri: image is in ${this.explicit.region} but the endpoint is in ${regionInfo.region}; SageMaker pulls images only from its own region, so copy the image there`);
      }
      return { imageUri: this.explicit.uri, registryAccount: this.explicit.account, repository: this.explicit.repository };
    }
    const account = regionInfo.dlcRegistryAccount;
    return {
      imageUri: `${account}.dkr.ecr.${regionInfo.region}.amazonaws.com/${this.family.repository}:${this.tag ?? this.family.defaultTag}`,
      registryAccount: account,
      repository: this.family.repository,
    };
  }
}

/** A resolved image location. */
export interface InferenceImageLocation {
  /** The full image URI. */
  readonly imageUri: string;
  /** Account that owns the ECR repository. */
  readonly registryAccount: string;
  /** ECR repository name. */
  readonly repository: string;
}
