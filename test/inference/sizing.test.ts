import {
  estimateGpuMemory, GpuFamily, GpuInstanceType, ModelArchitecture, type ModelSizingProps, perGpuMemoryGb, selectInstance, WeightPrecision,
} from '../../lib';

const ALL = ['g5', 'g6', 'g6e', 'p4d', 'p5'];
const EU_CENTRAL_1 = ['g4dn', 'g5', 'g6'];
const EU_WEST_1 = ['g4dn', 'g5', 'g6', 'p4d'];
const { LLAMA_3_2_3B, LLAMA_3_1_8B, QWEN_2_5_7B, LLAMA_3_1_70B, LLAMA_3_1_405B } = ModelArchitecture;
const { BF16, FP16, FP8, INT4 } = WeightPrecision;

describe('estimateGpuMemory', () => {
  it('computes weights as parameters times bytes per parameter', () => {
    expect(estimateGpuMemory({ architecture: LLAMA_3_1_8B, precision: BF16 }).weightsGb).toBeCloseTo(16.06, 2);
    expect(estimateGpuMemory({ architecture: LLAMA_3_1_8B, precision: FP8 }).weightsGb).toBeCloseTo(8.03, 2);
    expect(estimateGpuMemory({ architecture: LLAMA_3_1_8B, precision: INT4 }).weightsGb).toBeCloseTo(4.015, 3);
  });

  it('computes the KV cache as 2 x layers x kv heads x head dim x bytes x context x sequences', () => {
    // Llama 3.1 8B: 2 x 32 x 8 x 128 x 2 B = 131,072 B per token; x 4096 x 4 = 2.147 GB.
    expect(LLAMA_3_1_8B.kvCacheBytesPerToken(FP16)).toBe(131_072);
    expect(estimateGpuMemory({ architecture: LLAMA_3_1_8B, precision: BF16 }).kvCacheGb).toBeCloseTo(2.147, 3);
    expect(estimateGpuMemory({ architecture: LLAMA_3_1_8B, precision: BF16, kvCachePrecision: FP8 }).kvCacheGb).toBeCloseTo(1.074, 3);
    // Llama 3.1 70B: 2 x 80 x 8 x 128 x 2 B = 327,680 B per token.
    expect(LLAMA_3_1_70B.kvCacheBytesPerToken(FP16)).toBe(327_680);
  });

  it('adds 15 % overhead on weights plus KV cache', () => {
    const e = estimateGpuMemory({ architecture: LLAMA_3_1_8B, precision: BF16 });
    expect(e.overheadGb).toBeCloseTo(0.15 * (e.weightsGb + e.kvCacheGb), 6);
    expect(e.totalGb).toBeCloseTo(20.94, 2);
  });

  it('shards weights by the tensor-parallel degree and the KV cache by at most the KV heads', () => {
    const sizing = { architecture: QWEN_2_5_7B, precision: BF16, maxContextTokens: 32_768 };
    const e = estimateGpuMemory(sizing);
    expect(perGpuMemoryGb(sizing, 2)).toBeCloseTo((e.weightsGb / 2 + e.kvCacheGb / 2) * 1.15, 6);
    // Qwen2.5 7B has 4 KV heads: at degree 8 each KV head lives on two GPUs.
    expect(perGpuMemoryGb(sizing, 8)).toBeCloseTo((e.weightsGb / 8 + e.kvCacheGb / 4) * 1.15, 6);
  });

  it('refuses sizing values that are not whole positive numbers', () => {
    expect(() => estimateGpuMemory({ architecture: LLAMA_3_1_8B, precision: BF16, maxContextTokens: 0 })).toThrow(/maxContextTokens must be a whole number of at least 1 \(got 0\)/);
    expect(() => estimateGpuMemory({ architecture: LLAMA_3_1_8B, precision: BF16, maxConcurrentSequences: 2.5 })).toThrow(/maxConcurrentSequences/);
  });
});

describe('selectInstance', () => {
  // The documented table of docs/inference.md ("Sizing table"). Columns: model, sizing,
  // GPU families available, expected instance, tensor-parallel degree, GB needed per GPU.
  const table: Array<[string, ModelSizingProps, string[], string, number, number]> = [
    ['Llama 3.2 3B bf16, 4k x 4', { architecture: LLAMA_3_2_3B, precision: BF16 }, ALL, 'ml.g6.xlarge', 1, 9.54],
    ['Llama 3.1 8B int4, 4k x 4', { architecture: LLAMA_3_1_8B, precision: INT4 }, ALL, 'ml.g6.xlarge', 1, 7.09],
    ['Llama 3.1 8B fp16, 4k x 4', { architecture: LLAMA_3_1_8B, precision: FP16 }, ALL, 'ml.g6.2xlarge', 1, 20.94],
    ['Llama 3.1 8B fp16, 4k x 4, g5 only', { architecture: LLAMA_3_1_8B, precision: FP16 }, ['g4dn', 'g5'], 'ml.g5.2xlarge', 1, 20.94],
    ['Llama 3.1 8B bf16, 8k x 8', { architecture: LLAMA_3_1_8B, precision: BF16, maxContextTokens: 8192, maxConcurrentSequences: 8 }, ALL, 'ml.g6e.xlarge', 1, 28.35],
    ['Llama 3.1 8B bf16, 8k x 8, eu-central-1', { architecture: LLAMA_3_1_8B, precision: BF16, maxContextTokens: 8192, maxConcurrentSequences: 8 }, EU_CENTRAL_1, 'ml.g6.12xlarge', 2, 14.17],
    ['Llama 3.1 70B int4, 4k x 4, g5 only', { architecture: LLAMA_3_1_70B, precision: INT4 }, ['g5'], 'ml.g5.12xlarge', 4, 11.69],
    ['Llama 3.1 70B fp16, 4k x 4', { architecture: LLAMA_3_1_70B, precision: FP16 }, ALL, 'ml.g6e.12xlarge', 4, 42.14],
    ['Llama 3.1 70B fp16, 4k x 4, eu-west-1', { architecture: LLAMA_3_1_70B, precision: FP16 }, EU_WEST_1, 'ml.g6.48xlarge', 8, 21.07],
    ['Llama 3.1 70B fp16, 8k x 16, eu-west-1', { architecture: LLAMA_3_1_70B, precision: FP16, maxContextTokens: 8192, maxConcurrentSequences: 16 }, EU_WEST_1, 'ml.p4d.24xlarge', 8, 26.47],
    ['Llama 3.1 405B fp8, 4k x 4', { architecture: LLAMA_3_1_405B, precision: FP8 }, ALL, 'ml.p5.48xlarge', 8, 59.56],
  ];

  it.each(table)('sizes %s', (_name, sizing, families, instance, degree, perGpu) => {
    const selection = selectInstance(sizing, { availableFamilies: families, context: 'test' });
    expect(selection.instanceType.name).toBe(instance);
    expect(selection.tensorParallelDegree).toBe(degree);
    expect(selection.perGpuRequiredGb).toBeCloseTo(perGpu, 2);
    expect(selection.perGpuRequiredGb).toBeLessThanOrEqual(selection.perGpuUsableGb);
    expect(selection.instanceType.gpuCount % selection.tensorParallelDegree).toBe(0);
  });

  it('skips instances whose host memory cannot stage the weights', () => {
    // 8B fp16 fits one 24 GB GPU, but ml.g6.xlarge has 16 GiB (17.2 GB) of host memory for 16 GB of weights.
    const selection = selectInstance({ architecture: LLAMA_3_1_8B, precision: FP16 }, { availableFamilies: ['g6'], context: 'test' });
    expect(selection.instanceType).toBe(GpuInstanceType.ML_G6_2XLARGE);
  });

  it('fails with the numbers when nothing in the region fits', () => {
    expect(() => selectInstance({ architecture: LLAMA_3_1_405B, precision: FP16 }, { availableFamilies: ALL, context: 'us-prod/Llm' })).toThrow(
      'us-prod/Llm: Llama 3.1 405B fp16 with 4096 tokens x 4 sequences needs 943.29 GB (weights 811.8 GB + KV cache 8.46 GB + 15% overhead 123.04 GB) and 815.8 GB of host memory; '
      + 'the largest GPU available here is NVIDIA H100 80GB with 72 GB usable, and at tensor-parallel degree 8 the model needs 117.91 GB per GPU (region families: g5, g6, g6e, p4d, p5). '
      + 'Use a lower precision (e.g. WeightPrecision.INT4 or FP8), fewer tokens or sequences, or a region with larger GPUs',
    );
  });

  it('fails when a region has no GPU family paved-road sizes for', () => {
    expect(() => selectInstance({ architecture: LLAMA_3_2_3B, precision: BF16 }, { availableFamilies: ['g4dn'], context: 'eu-x' })).toThrow(
      /no GPU instance family paved-road sizes for is available here \(region families: g4dn\)/,
    );
  });

  it('uses an explicit instance type when it fits, with the smallest degree that fits', () => {
    const selection = selectInstance({ architecture: LLAMA_3_1_8B, precision: BF16 }, { availableFamilies: ALL, context: 'test', instanceType: GpuInstanceType.ML_G5_12XLARGE });
    expect(selection.instanceType).toBe(GpuInstanceType.ML_G5_12XLARGE);
    expect(selection.tensorParallelDegree).toBe(1);
  });

  it('refuses an explicit instance type that is too small, with the numbers', () => {
    expect(() => selectInstance({ architecture: LLAMA_3_1_70B, precision: FP16 }, { availableFamilies: ALL, context: 'test', instanceType: GpuInstanceType.ML_G5_12XLARGE })).toThrow(
      /needs 168\.55 GB .* but ml\.g5\.12xlarge offers 21\.6 GB usable per GPU \(needs 42\.14 GB per GPU at tensor-parallel degree 4\)/,
    );
  });

  it('refuses an explicit instance type of a family the region does not offer, naming the available families', () => {
    expect(() => selectInstance({ architecture: LLAMA_3_1_8B, precision: BF16 }, { availableFamilies: EU_CENTRAL_1, context: 'eu-prod/Llm', instanceType: GpuInstanceType.ML_P5_48XLARGE })).toThrow(
      'eu-prod/Llm: instance type ml.p5.48xlarge (family p5) is not available in this region; available GPU families: g4dn, g5, g6',
    );
  });

  it('refuses requested families the region does not offer', () => {
    expect(() => selectInstance({ architecture: LLAMA_3_1_8B, precision: BF16 }, { availableFamilies: EU_CENTRAL_1, context: 'eu-prod/Llm', families: [GpuFamily.G6E] })).toThrow(
      'eu-prod/Llm: GPU family g6e is not available in this region; available GPU families: g4dn, g5, g6',
    );
  });

  it('refuses a tensor-parallel degree that is not a power of two or does not divide the attention heads', () => {
    expect(() => selectInstance({ architecture: LLAMA_3_1_8B, precision: BF16 }, { availableFamilies: ALL, context: 't', tensorParallelDegree: 3 })).toThrow(/not a power of two/);
    expect(() => selectInstance({ architecture: QWEN_2_5_7B, precision: BF16 }, { availableFamilies: ALL, context: 't', tensorParallelDegree: 8 })).toThrow(
      /tensorParallelDegree 8 does not divide the 28 attention heads of Qwen2.5 7B/,
    );
  });

  it('honours an explicit tensor-parallel degree', () => {
    const selection = selectInstance({ architecture: LLAMA_3_1_8B, precision: BF16 }, { availableFamilies: ALL, context: 't', tensorParallelDegree: 4 });
    expect(selection.tensorParallelDegree).toBe(4);
    expect(selection.instanceType.gpuCount % 4).toBe(0);
  });
});

describe('ModelArchitecture.custom', () => {
  it('accepts a config.json shape and refuses inconsistent head counts', () => {
    const arch = ModelArchitecture.custom({ name: 'Gemma-like', parametersBillions: 9.24, layers: 42, attentionHeads: 16, kvHeads: 8, headDim: 256 });
    expect(arch.kvCacheBytesPerToken(BF16)).toBe(2 * 42 * 8 * 256 * 2);
    expect(() => ModelArchitecture.custom({ name: 'bad', parametersBillions: 7, layers: 32, attentionHeads: 32, kvHeads: 6, headDim: 128 })).toThrow(/kvHeads 6 must divide attentionHeads 32/);
    expect(() => ModelArchitecture.custom({ name: 'bad', parametersBillions: -1, layers: 32, attentionHeads: 32, kvHeads: 8, headDim: 128 })).toThrow(/parametersBillions must be a positive number/);
  });
});
