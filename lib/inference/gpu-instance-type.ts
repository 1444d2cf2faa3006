/**
 * The GPUs and SageMaker hosting instance types paved-road sizes models for.
 *
 * Memory per GPU is the nominal size in GB (10^9 bytes), which matches what the driver reports
 * (an A10G shows 23,028 MiB = 24.1 GB). Prices are approximate SageMaker real-time inference
 * on-demand list prices in us-east-1, in USD per hour, as published in 2025; they rank
 * candidates and feed the cost table in docs/inference.md, and are not a quote. Every type
 * listed has local NVMe instance storage, encrypted by the instance hardware.
 */

/** A GPU model and the SageMaker instance family built on it. */
export class GpuFamily {
  /** NVIDIA A10G, 24 GB (Ampere). */
  public static readonly G5 = new GpuFamily('g5', 'NVIDIA A10G', 24);
  /** NVIDIA L4, 24 GB (Ada Lovelace). */
  public static readonly G6 = new GpuFamily('g6', 'NVIDIA L4', 24);
  /** NVIDIA L40S, 48 GB (Ada Lovelace). */
  public static readonly G6E = new GpuFamily('g6e', 'NVIDIA L40S', 48);
  /** NVIDIA A100, 40 GB (Ampere). */
  public static readonly P4D = new GpuFamily('p4d', 'NVIDIA A100 40GB', 40);
  /** NVIDIA H100, 80 GB (Hopper). */
  public static readonly P5 = new GpuFamily('p5', 'NVIDIA H100 80GB', 80);

  /** Every family paved-road sizes for. */
  public static all(): GpuFamily[] {
    return [GpuFamily.G5, GpuFamily.G6, GpuFamily.G6E, GpuFamily.P4D, GpuFamily.P5];
  }

  private constructor(
    /** Family name as in the instance type and the region catalogue, e.g. `g5`. */
    public readonly id: string,
    /** The GPU model. */
    public readonly gpuModel: string,
    /** Memory of one GPU in GB (10^9 bytes). */
    public readonly gpuMemoryGb: number,
  ) {}

  public toString(): string {
    return this.id;
  }
}

/** A SageMaker hosting instance type with GPUs. */
export class GpuInstanceType {
  /** ml.g5.xlarge: 1 x A10G, 4 vCPU, 16 GiB host memory, about $1.408/h. */
  public static readonly ML_G5_XLARGE = new GpuInstanceType('ml.g5.xlarge', GpuFamily.G5, 1, 4, 16, 1.408);
  /** ml.g5.2xlarge: 1 x A10G, 8 vCPU, 32 GiB host memory, about $1.515/h. */
  public static readonly ML_G5_2XLARGE = new GpuInstanceType('ml.g5.2xlarge', GpuFamily.G5, 1, 8, 32, 1.515);
  /** ml.g5.4xlarge: 1 x A10G, 16 vCPU, 64 GiB host memory, about $2.03/h. */
  public static readonly ML_G5_4XLARGE = new GpuInstanceType('ml.g5.4xlarge', GpuFamily.G5, 1, 16, 64, 2.03);
  /** ml.g5.8xlarge: 1 x A10G, 32 vCPU, 128 GiB host memory, about $3.06/h. */
  public static readonly ML_G5_8XLARGE = new GpuInstanceType('ml.g5.8xlarge', GpuFamily.G5, 1, 32, 128, 3.06);
  /** ml.g5.12xlarge: 4 x A10G, 48 vCPU, 192 GiB host memory, about $7.09/h. */
  public static readonly ML_G5_12XLARGE = new GpuInstanceType('ml.g5.12xlarge', GpuFamily.G5, 4, 48, 192, 7.09);
  /** ml.g5.48xlarge: 8 x A10G, 192 vCPU, 768 GiB host memory, about $20.36/h. */
  public static readonly ML_G5_48XLARGE = new GpuInstanceType('ml.g5.48xlarge', GpuFamily.G5, 8, 192, 768, 20.36);
  /** ml.g6.xlarge: 1 x L4, 4 vCPU, 16 GiB host memory, about $1.006/h. */
  public static readonly ML_G6_XLARGE = new GpuInstanceType('ml.g6.xlarge', GpuFamily.G6, 1, 4, 16, 1.006);
  /** ml.g6.2xlarge: 1 x L4, 8 vCPU, 32 GiB host memory, about $1.222/h. */
  public static readonly ML_G6_2XLARGE = new GpuInstanceType('ml.g6.2xlarge', GpuFamily.G6, 1, 8, 32, 1.222);
  /** ml.g6.4xlarge: 1 x L4, 16 vCPU, 64 GiB host memory, about $1.656/h. */
  public static readonly ML_G6_4XLARGE = new GpuInstanceType('ml.g6.4xlarge', GpuFamily.G6, 1, 16, 64, 1.656);
  /** ml.g6.8xlarge: 1 x L4, 32 vCPU, 128 GiB host memory, about $2.52/h. */
  public static readonly ML_G6_8XLARGE = new GpuInstanceType('ml.g6.8xlarge', GpuFamily.G6, 1, 32, 128, 2.52);
  /** ml.g6.12xlarge: 4 x L4, 48 vCPU, 192 GiB host memory, about $5.752/h. */
  public static readonly ML_G6_12XLARGE = new GpuInstanceType('ml.g6.12xlarge', GpuFamily.G6, 4, 48, 192, 5.752);
  /** ml.g6.48xlarge: 8 x L4, 192 vCPU, 768 GiB host memory, about $16.69/h. */
  public static readonly ML_G6_48XLARGE = new GpuInstanceType('ml.g6.48xlarge', GpuFamily.G6, 8, 192, 768, 16.69);
  /** ml.g6e.xlarge: 1 x L40S, 4 vCPU, 32 GiB host memory, about $2.33/h. */
  public static readonly ML_G6E_XLARGE = new GpuInstanceType('ml.g6e.xlarge', GpuFamily.G6E, 1, 4, 32, 2.33);
  /** ml.g6e.2xlarge: 1 x L40S, 8 vCPU, 64 GiB host memory, about $2.81/h. */
  public static readonly ML_G6E_2XLARGE = new GpuInstanceType('ml.g6e.2xlarge', GpuFamily.G6E, 1, 8, 64, 2.81);
  /** ml.g6e.12xlarge: 4 x L40S, 48 vCPU, 384 GiB host memory, about $13.12/h. */
  public static readonly ML_G6E_12XLARGE = new GpuInstanceType('ml.g6e.12xlarge', GpuFamily.G6E, 4, 48, 384, 13.12);
  /** ml.g6e.48xlarge: 8 x L40S, 192 vCPU, 1536 GiB host memory, about $37.53/h. */
  public static readonly ML_G6E_48XLARGE = new GpuInstanceType('ml.g6e.48xlarge', GpuFamily.G6E, 8, 192, 1536, 37.53);
  /** ml.p4d.24xlarge: 8 x A100 40GB, 96 vCPU, 1152 GiB host memory, about $37.69/h. */
  public static readonly ML_P4D_24XLARGE = new GpuInstanceType('ml.p4d.24xlarge', GpuFamily.P4D, 8, 96, 1152, 37.69);
  /** ml.p5.48xlarge: 8 x H100 80GB, 192 vCPU, 2048 GiB host memory, about $113.07/h. */
  public static readonly ML_P5_48XLARGE = new GpuInstanceType('ml.p5.48xlarge', GpuFamily.P5, 8, 192, 2048, 113.07);

  /** Every instance type paved-road sizes for, cheapest first. */
  public static all(): GpuInstanceType[] {
    return [
      GpuInstanceType.ML_G5_XLARGE, GpuInstanceType.ML_G5_2XLARGE, GpuInstanceType.ML_G5_4XLARGE, GpuInstanceType.ML_G5_8XLARGE,
      GpuInstanceType.ML_G5_12XLARGE, GpuInstanceType.ML_G5_48XLARGE,
      GpuInstanceType.ML_G6_XLARGE, GpuInstanceType.ML_G6_2XLARGE, GpuInstanceType.ML_G6_4XLARGE, GpuInstanceType.ML_G6_8XLARGE,
      GpuInstanceType.ML_G6_12XLARGE, GpuInstanceType.ML_G6_48XLARGE,
      GpuInstanceType.ML_G6E_XLARGE, GpuInstanceType.ML_G6E_2XLARGE, GpuInstanceType.ML_G6E_12XLARGE, GpuInstanceType.ML_G6E_48XLARGE,
      GpuInstanceType.ML_P4D_24XLARGE, GpuInstanceType.ML_P5_48XLARGE,
    ].sort((a, b) => a.hourlyPriceUsd - b.hourlyPriceUsd);
  }

  private constructor(
    /** The SageMaker instance type, e.g. `ml.g5.2xlarge`. */
    public readonly name: string,
    /** The GPU family. */
    public readonly family: GpuFamily,
    /** Number of GPUs. */
    public readonly gpuCount: number,
    /** Number of vCPUs. */
    public readonly vcpus: number,
    /** Host memory in GiB, as AWS lists it. */
    public readonly hostMemoryGib: number,
    /** Approximate on-demand price for SageMaker real-time inference in us-east-1, USD per hour (2025 list). */
    public readonly hourlyPriceUsd: number,
  ) {}

  /** Memory of all GPUs together, in GB. */
  public get totalGpuMemoryGb(): number {
    return this.gpuCount * this.family.gpuMemoryGb;
  }

  /** Host memory in GB (10^9 bytes). */
  public get hostMemoryGb(): number {
    return (this.hostMemoryGib * 2 ** 30) / 1e9;
  }


  public toString(): string {
    return this.name;
  }
}
