import { PavedRoadError } from '../core/errors';
import { type GpuFamily, GpuInstanceType } from './gpu-instance-type';

/** Numeric precision of model weights or of the KV cache. */
export class WeightPrecision {
  /** IEEE half precision, 2 bytes per value. */
  public static readonly FP16 = new WeightPrecision('fp16', 2);
  /** bfloat16, 2 bytes per value. */
  public static readonly BF16 = new WeightPrecision('bf16', 2);
  /** 8-bit floating point (e.g. FP8 E4M3), 1 byte per value. */
  public static readonly FP8 = new WeightPrecision('fp8', 1);
  /** 8-bit integer quantization (e.g. GPTQ/AWQ 8-bit, LLM.int8), 1 byte per value. */
  public static readonly INT8 = new WeightPrecision('int8', 1);
  /** 4-bit integer quantization (e.g. AWQ, GPTQ 4-bit), half a byte per value. */
  public static readonly INT4 = new WeightPrecision('int4', 0.5);

  private constructor(
    /** Name, e.g. `bf16`. */
    public readonly id: string,
    /** Bytes per parameter or cached value. */
    public readonly bytes: number,
  ) {}

  public toString(): string {
    return this.id;
  }
}

/** Shape of a decoder-only transformer, as far as GPU memory is concerned. */
export interface ModelArchitectureSpec {
  /** Human-readable name, used in error messages. */
  readonly name: string;
  /** Number of parameters, in billions. */
  readonly parametersBillions: number;
  /** Number of transformer layers (`num_hidden_layers`). */
  readonly layers: number;
  /** Number of attention heads (`num_attention_heads`); the tensor-parallel degree must divide it. */
  readonly attentionHeads: number;
  /** Number of key/value heads (`num_key_value_heads`; equals attentionHeads without GQA). */
  readonly kvHeads: number;
  /** Dimension of one attention head (`head_dim`, usually hidden_size / attentionHeads). */
  readonly headDim: number;
}

/** A model architecture; presets carry the values of the model's published `config.json`. */
export class ModelArchitecture {
  /** Llama 3.2 3B: 3.21 B parameters, 28 layers, 24 heads, 8 KV heads, head dim 128. */
  public static readonly LLAMA_3_2_3B = new ModelArchitecture({ name: 'Llama 3.2 3B', parametersBillions: 3.21, layers: 28, attentionHeads: 24, kvHeads: 8, headDim: 128 });
  /** Llama 3.1 8B: 8.03 B parameters, 32 layers, 32 heads, 8 KV heads, head dim 128. */
  public static readonly LLAMA_3_1_8B = new ModelArchitecture({ name: 'Llama 3.1 8B', parametersBillions: 8.03, layers: 32, attentionHeads: 32, kvHeads: 8, headDim: 128 });
  /** Mistral 7B v0.3: 7.25 B parameters, 32 layers, 32 heads, 8 KV heads, head dim 128. */
  public static readonly MISTRAL_7B = new ModelArchitecture({ name: 'Mistral 7B', parametersBillions: 7.25, layers: 32, attentionHeads: 32, kvHeads: 8, headDim: 128 });
  /** Qwen2.5 7B: 7.62 B parameters, 28 layers, 28 heads, 4 KV heads, head dim 128. */
  public static readonly QWEN_2_5_7B = new ModelArchitecture({ name: 'Qwen2.5 7B', parametersBillions: 7.62, layers: 28, attentionHeads: 28, kvHeads: 4, headDim: 128 });
  /** Llama 3.1 70B: 70.6 B parameters, 80 layers, 64 heads, 8 KV heads, head dim 128. */
  public static readonly LLAMA_3_1_70B = new ModelArchitecture({ name: 'Llama 3.1 70B', parametersBillions: 70.6, layers: 80, attentionHeads: 64, kvHeads: 8, headDim: 128 });
  /** Llama 3.1 405B: 405.9 B parameters, 126 layers, 128 heads, 8 KV heads, head dim 128. */
  public static readonly LLAMA_3_1_405B = new ModelArchitecture({ name: 'Llama 3.1 405B', parametersBillions: 405.9, layers: 126, attentionHeads: 128, kvHeads: 8, headDim: 128 });

  /**
   * Any other architecture; copy the values from the model's `config.json`.
   * @throws PavedRoadError if a value is not a positive number or kvHeads does not divide attentionHeads
   */
  public static custom(spec: ModelArchitectureSpec): ModelArchitecture {
    const where = `ModelArchitecture '${spec.name}'`;
    for (const [key, value] of Object.entries(spec)) {
      if (key !== 'name' && !(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
        throw new PavedRoadError(`${where}: ${key} must be a positive number (got ${String(value)}); copy it from the model's config.json`);
      }
    }
    for (const key of ['layers', 'attentionHeads', 'kvHeads', 'headDim'] as const) {
      if (!Number.isInteger(spec[key])) {
        throw new PavedRoadError(`${where}: ${key} must be a whole number (got ${spec[key]})`);
      }
    }
    if (spec.attentionHeads % spec.kvHeads !== 0) {
      throw new PavedRoadError(`${where}: kvHeads ${spec.kvHeads} must divide attentionHeads ${spec.attentionHeads}; check num_key_value_heads in config.json`);
    }
    return new ModelArchitecture(spec);
  }

  private constructor(
    /** The architecture's values. */
    public readonly spec: ModelArchitectureSpec,
  ) {}

  /** Bytes the KV cache holds per token: 2 (K and V) x layers x kvHeads x headDim x bytes. */
  public kvCacheBytesPerToken(precision: WeightPrecision): number {
    return 2 * this.spec.layers * this.spec.kvHeads * this.spec.headDim * precision.bytes;
  }

  public toString(): string {
    return this.spec.name;
  }
}

/** What a model needs to serve: its shape, its precision and the load it must hold. */
export interface ModelSizingProps {
  /** The model's architecture. */
  readonly architecture: ModelArchitecture;
  /** Precision of the weights as stored in the model artifact (quantization included). */
  readonly precision: WeightPrecision;
  /**
   * Longest sequence (prompt plus generated tokens) a request may reach.
   * @default 4096
   */
  readonly maxContextTokens?: number;
  /**
   * Sequences one model copy serves at once at full context (the continuous-batching size).
   * @default 4
   */
  readonly maxConcurrentSequences?: number;
  /**
   * Precision of the KV cache.
   * @default WeightPrecision.FP16
   */
  readonly kvCachePrecision?: WeightPrecision;
}

/** Share added to weights plus KV cache for activations, CUDA graphs and fragmentation. */
export const ACTIVATION_OVERHEAD = 0.15;
/**
 * Share of each GPU's memory the model server may use. vLLM-based servers (LMI) default
 * `gpu_memory_utilization` to 0.9; the rest is the CUDA context, NCCL buffers and runtime reserve.
 */
export const GPU_MEMORY_UTILIZATION = 0.9;
/** Host memory the container and model server need besides a copy of the weights, in GB. */
export const HOST_MEMORY_HEADROOM_GB = 4;

/** GPU memory a model needs, in GB (10^9 bytes). */
export interface MemoryEstimate {
  /** Weights: parameters x bytes per parameter. */
  readonly weightsGb: number;
  /** KV cache: bytes per token x context x concurrent sequences. */
  readonly kvCacheGb: number;
  /** Activation overhead: {@link ACTIVATION_OVERHEAD} x (weights + KV cache). */
  readonly overheadGb: number;
  /** Weights + KV cache + overhead, on one GPU (tensor-parallel degree 1). */
  readonly totalGb: number;
}

/** Resolved sizing inputs, defaults applied. */
interface ResolvedSizing {
  readonly architecture: ModelArchitecture;
  readonly precision: WeightPrecision;
  readonly maxContextTokens: number;
  readonly maxConcurrentSequences: number;
  readonly kvCachePrecision: WeightPrecision;
}

function resolveSizing(props: ModelSizingProps): ResolvedSizing {
  const resolved = {
    architecture: props.architecture,
    precision: props.precision,
    maxContextTokens: props.maxContextTokens ?? 4096,
    maxConcurrentSequences: props.maxConcurrentSequences ?? 4,
    kvCachePrecision: props.kvCachePrecision ?? WeightPrecision.FP16,
  };
  for (const key of ['maxContextTokens', 'maxConcurrentSequences'] as const) {
    if (!Number.isInteger(resolved[key]) || resolved[key] < 1) {
      throw new PavedRoadError(`model sizing of ${props.architecture}: ${key} must be a whole number of at least 1 (got ${resolved[key]})`);
    }
  }
  return resolved;
}

const round2 = (value: number): number => Math.round(value * 100) / 100;

/** Estimates the GPU memory a model needs on one GPU. Pure arithmetic, documented in docs/inference.md. */
export function estimateGpuMemory(props: ModelSizingProps): MemoryEstimate {
  const sizing = resolveSizing(props);
  const weightsGb = (sizing.architecture.spec.parametersBillions * 1e9 * sizing.precision.bytes) / 1e9;
  const kvCacheGb = (sizing.architecture.kvCacheBytesPerToken(sizing.kvCachePrecision) * sizing.maxContextTokens * sizing.maxConcurrentSequences) / 1e9;
  const overheadGb = ACTIVATION_OVERHEAD * (weightsGb + kvCacheGb);
  return { weightsGb, kvCacheGb, overheadGb, totalGb: weightsGb + kvCacheGb + overheadGb };
}

/**
 * GPU memory each GPU needs at a tensor-parallel degree: weights shard evenly across the
 * degree; the KV cache shards by KV head, so beyond `kvHeads` GPUs it is replicated.
 */
export function perGpuMemoryGb(props: ModelSizingProps, tensorParallelDegree: number): number {
  const estimate = estimateGpuMemory(props);
  const kvShards = Math.min(tensorParallelDegree, props.architecture.spec.kvHeads);
  return (estimate.weightsGb / tensorParallelDegree + estimate.kvCacheGb / kvShards) * (1 + ACTIVATION_OVERHEAD);
}

/** The instance type and tensor-parallel degree chosen for a model. */
export interface InstanceSelection {
  /** The chosen SageMaker instance type. */
  readonly instanceType: GpuInstanceType;
  /** GPUs one model copy spans; a power of two that divides the instance's GPU count. */
  readonly tensorParallelDegree: number;
  /** The model's memory estimate. */
  readonly estimate: MemoryEstimate;
  /** Memory each of the {@link tensorParallelDegree} GPUs needs, in GB. */
  readonly perGpuRequiredGb: number;
  /** Memory of each GPU the model server may use, in GB. */
  readonly perGpuUsableGb: number;
}

/** Constraints on {@link selectInstance}. */
export interface InstanceSelectionOptions {
  /** Names of the GPU families available in the region (`regionInfo.gpuInstanceFamilies`). */
  readonly availableFamilies: string[];
  /** Says where the request comes from, so errors name the construct or environment. */
  readonly context: string;
  /**
   * Use this instance type instead of choosing one; it must still fit and be in the region.
   * @default - the cheapest instance type that fits
   */
  readonly instanceType?: GpuInstanceType;
  /**
   * Consider only these families.
   * @default - every family of {@link GpuFamily.all} available in the region
   */
  readonly families?: GpuFamily[];
  /**
   * Use this tensor-parallel degree instead of the smallest that fits.
   * @default - the smallest power of two that fits
   */
  readonly tensorParallelDegree?: number;
}

function powersOfTwoUpTo(limit: number): number[] {
  const result: number[] = [];
  for (let degree = 1; degree <= limit; degree *= 2) result.push(degree);
  return result;
}

function fitOn(sizing: ModelSizingProps, instance: GpuInstanceType, degrees: number[]): InstanceSelection | undefined {
  const estimate = estimateGpuMemory(sizing);
  if (instance.hostMemoryGb < estimate.weightsGb + HOST_MEMORY_HEADROOM_GB) return undefined;
  const perGpuUsableGb = instance.family.gpuMemoryGb * GPU_MEMORY_UTILIZATION;
  for (const degree of degrees) {
    if (instance.gpuCount % degree !== 0 || sizing.architecture.spec.attentionHeads % degree !== 0) continue;
    const perGpuRequiredGb = perGpuMemoryGb(sizing, degree);
    if (perGpuRequiredGb <= perGpuUsableGb) {
      return { instanceType: instance, tensorParallelDegree: degree, estimate, perGpuRequiredGb, perGpuUsableGb };
    }
  }
  return undefined;
}

function describe(sizing: ModelSizingProps): string {
  const e = estimateGpuMemory(sizing);
  const resolved = resolveSizing(sizing);
  return `${sizing.architecture} ${sizing.precision} with ${resolved.maxContextTokens} tokens x ${resolved.maxConcurrentSequences} sequences needs ${round2(e.totalGb)} GB `
    + `(weights ${round2(e.weightsGb)} GB + KV cache ${round2(e.kvCacheGb)} GB + ${ACTIVATION_OVERHEAD * 100}% overhead ${round2(e.overheadGb)} GB) `
    + `and ${round2(e.weightsGb + HOST_MEMORY_HEADROOM_GB)} GB of host memory`;
}

/**
 * Picks the cheapest instance type whose GPUs hold the model, with the smallest tensor-parallel
 * degree (a power of two dividing both the GPU count and the attention heads) that fits.
 * @throws PavedRoadError with the numbers when nothing available fits, or when an explicit
 * instance type or degree is outside the region or too small
 */
export function selectInstance(sizing: ModelSizingProps, options: InstanceSelectionOptions): InstanceSelection {
  resolveSizing(sizing);
  const available = new Set(options.availableFamilies);
  const degree = options.tensorParallelDegree;
  if (degree !== undefined && !(Number.isInteger(degree) && degree >= 1 && (degree & (degree - 1)) === 0)) {
    throw new PavedRoadError(`${options.context}: tensorParallelDegree ${degree} is not a power of two; use 1, 2, 4 or 8`);
  }
  if (degree !== undefined && sizing.architecture.spec.attentionHeads % degree !== 0) {
    throw new PavedRoadError(`${options.context}: tensorParallelDegree ${degree} does not divide the ${sizing.architecture.spec.attentionHeads} attention heads of ${sizing.architecture}; use a degree that does`);
  }
  const degrees = degree !== undefined ? [degree] : powersOfTwoUpTo(8);

  if (options.instanceType) {
    const instance = options.instanceType;
    if (!available.has(instance.family.id)) {
      throw new PavedRoadError(`${options.context}: instance type ${instance} (family ${instance.family}) is not available in this region; available GPU families: ${[...available].join(', ') || 'none recorded'}`);
    }
    if (degree !== undefined && instance.gpuCount % degree !== 0) {
      throw new PavedRoadError(`${options.context}: tensorParallelDegree ${degree} does not divide the ${instance.gpuCount} GPUs of ${instance}`);
    }
    const fit = fitOn(sizing, instance, degrees);
    if (!fit) {
      const best = Math.max(...degrees.filter((d) => instance.gpuCount % d === 0 && sizing.architecture.spec.attentionHeads % d === 0));
      throw new PavedRoadError(`${options.context}: ${describe(sizing)}, but ${instance} offers ${round2(instance.family.gpuMemoryGb * GPU_MEMORY_UTILIZATION)} GB usable per GPU `
        + `(needs ${round2(perGpuMemoryGb(sizing, best))} GB per GPU at tensor-parallel degree ${best}) and ${round2(instance.hostMemoryGb)} GB of host memory; `
        + 'choose a larger instance type, a lower precision, or fewer tokens or sequences');
    }
    return fit;
  }

  const families = (options.families ?? []).map((f) => f.id);
  const missing = families.filter((family) => !available.has(family));
  if (missing.length > 0) {
    throw new PavedRoadError(`${options.context}: GPU family ${missing.join(', ')} is not available in this region; available GPU families: ${[...available].join(', ') || 'none recorded'}`);
  }
  const candidates = GpuInstanceType.all()
    .filter((instance) => available.has(instance.family.id))
    .filter((instance) => families.length === 0 || families.includes(instance.family.id));
  for (const instance of candidates) {
    const fit = fitOn(sizing, instance, degrees);
    if (fit) return fit;
  }
  const largest = candidates.reduce<GpuInstanceType | undefined>((acc, i) => (!acc || i.family.gpuMemoryGb > acc.family.gpuMemoryGb ? i : acc), undefined);
  const offered = largest
    ? `the largest GPU available here is ${largest.family.gpuModel} with ${round2(largest.family.gpuMemoryGb * GPU_MEMORY_UTILIZATION)} GB usable, and at tensor-parallel degree ${degrees[degrees.length - 1]} the model needs ${round2(perGpuMemoryGb(sizing, degrees[degrees.length - 1]))} GB per GPU`
    : 'no GPU instance family paved-road sizes for is available here';
  throw new PavedRoadError(`${options.context}: ${describe(sizing)}; ${offered} (region families: ${[...available].join(', ') || 'none recorded'}). `
    + 'Use a lower precision (e.g. WeightPrecision.INT4 or FP8), fewer tokens or sequences, or a region with larger GPUs');
}
