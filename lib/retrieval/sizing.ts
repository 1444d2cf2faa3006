import { PavedRoadError } from '../core/errors';

const GIB = 1024 ** 3;

/**
 * An OpenSearch Service data-node instance type with the numbers sizing needs.
 *
 * RAM and EBS quotas are from the Amazon OpenSearch Service "Supported instance types" and
 * "EBS volume size quotas" pages; hourly prices are approximate on-demand list prices in
 * us-east-1 (USD, AWS price list as of 2025) and only rank candidates against each other.
 */
export class SearchInstanceType {
  public static readonly M6G_LARGE = new SearchInstanceType('m6g.large.search', 8, 512, 0.128);
  public static readonly M6G_XLARGE = new SearchInstanceType('m6g.xlarge.search', 16, 1024, 0.256);
  public static readonly M6G_2XLARGE = new SearchInstanceType('m6g.2xlarge.search', 32, 1536, 0.512);
  public static readonly M6G_4XLARGE = new SearchInstanceType('m6g.4xlarge.search', 64, 3072, 1.023);
  public static readonly M6G_8XLARGE = new SearchInstanceType('m6g.8xlarge.search', 128, 6144, 2.045);
  public static readonly M6G_12XLARGE = new SearchInstanceType('m6g.12xlarge.search', 192, 9216, 3.068);
  public static readonly R6G_LARGE = new SearchInstanceType('r6g.large.search', 16, 1024, 0.167);
  public static readonly R6G_XLARGE = new SearchInstanceType('r6g.xlarge.search', 32, 1536, 0.335);
  public static readonly R6G_2XLARGE = new SearchInstanceType('r6g.2xlarge.search', 64, 3072, 0.669);
  public static readonly R6G_4XLARGE = new SearchInstanceType('r6g.4xlarge.search', 128, 6144, 1.339);
  public static readonly R6G_8XLARGE = new SearchInstanceType('r6g.8xlarge.search', 256, 12288, 2.677);
  public static readonly R6G_12XLARGE = new SearchInstanceType('r6g.12xlarge.search', 384, 18432, 4.016);
  public static readonly R7G_LARGE = new SearchInstanceType('r7g.large.search', 16, 1024, 0.177);
  public static readonly R7G_XLARGE = new SearchInstanceType('r7g.xlarge.search', 32, 1536, 0.354);
  public static readonly R7G_2XLARGE = new SearchInstanceType('r7g.2xlarge.search', 64, 3072, 0.708);
  public static readonly R7G_4XLARGE = new SearchInstanceType('r7g.4xlarge.search', 128, 6144, 1.416);
  public static readonly R7G_8XLARGE = new SearchInstanceType('r7g.8xlarge.search', 256, 12288, 2.832);
  public static readonly R7G_12XLARGE = new SearchInstanceType('r7g.12xlarge.search', 384, 18432, 4.248);
  public static readonly R7G_16XLARGE = new SearchInstanceType('r7g.16xlarge.search', 512, 24576, 5.664);

  /** Every data-node instance type sizing may pick, cheapest first. */
  public static all(): SearchInstanceType[] {
    return [
      SearchInstanceType.M6G_LARGE, SearchInstanceType.M6G_XLARGE, SearchInstanceType.M6G_2XLARGE, SearchInstanceType.M6G_4XLARGE,
      SearchInstanceType.M6G_8XLARGE, SearchInstanceType.M6G_12XLARGE,
      SearchInstanceType.R6G_LARGE, SearchInstanceType.R6G_XLARGE, SearchInstanceType.R6G_2XLARGE, SearchInstanceType.R6G_4XLARGE,
      SearchInstanceType.R6G_8XLARGE, SearchInstanceType.R6G_12XLARGE,
      SearchInstanceType.R7G_LARGE, SearchInstanceType.R7G_XLARGE, SearchInstanceType.R7G_2XLARGE, SearchInstanceType.R7G_4XLARGE,
      SearchInstanceType.R7G_8XLARGE, SearchInstanceType.R7G_12XLARGE, SearchInstanceType.R7G_16XLARGE,
    ].sort((a, b) => a.hourlyUsd - b.hourlyUsd);
  }

  /** The instance type with this name, e.g. `r6g.large.search`. */
  public static of(name: string): SearchInstanceType {
    const found = SearchInstanceType.all().find((t) => t.name === name);
    if (!found) {
      throw new PavedRoadError(`instance type '${name}' is not in the sizing table (known: ${SearchInstanceType.all().map((t) => t.name).join(', ')})`);
    }
    return found;
  }

  private constructor(
    /** OpenSearch Service instance type name. */
    public readonly name: string,
    /** Memory of one node in GiB. */
    public readonly memoryGiB: number,
    /** Largest gp3 volume one node may have, in GiB. */
    public readonly maxVolumeGiB: number,
    /** Approximate on-demand price per node-hour in us-east-1, USD. */
    public readonly hourlyUsd: number,
  ) {}

  /** JVM heap OpenSearch Service gives a node: half the RAM, at most 32 GiB. */
  public get heapBytes(): number {
    return Math.min(this.memoryGiB / 2, 32) * GIB;
  }

  /** Native memory the k-NN plugin may use on one node: (RAM - heap) x circuit-breaker limit. */
  public knnBudgetBytes(circuitBreakerLimit: number): number {
    return (this.memoryGiB * GIB - this.heapBytes) * circuitBreakerLimit;
  }

  public toString(): string {
    return this.name;
  }
}

/** The k-NN library that builds the HNSW graphs. */
export class KnnEngine {
  /** Lucene: in the JVM's segment files, supports efficient filtering; best below ~10M vectors. */
  public static readonly LUCENE = new KnnEngine('lucene');
  /** Faiss: native library, scales to billions of vectors. */
  public static readonly FAISS = new KnnEngine('faiss');

  private constructor(
    /** Engine name in the index mapping. */
    public readonly name: string,
  ) {}

  public toString(): string {
    return this.name;
  }
}

/** Vector count from which {@link sizeSearchDomain} picks Faiss instead of Lucene. */
export const FAISS_THRESHOLD_VECTORS = 10_000_000;
/** AWS sizing guidance: 10% indexing overhead, 5% OS reserve, 20% service overhead, plus headroom. */
export const STORAGE_OVERHEAD_FACTOR = 1.45;
/** Data-node quota of one OpenSearch Service domain without a limit increase. */
export const MAX_DATA_NODES = 80;
/** Smallest gp3 volume OpenSearch Service accepts, GiB. */
export const MIN_VOLUME_GIB = 10;

/** What the index will hold, and the explicit choices that override sizing. */
export interface SearchWorkload {
  /** Chunks (vectors) the index is expected to hold, without replicas. */
  readonly expectedChunks: number;
  /** Embedding dimensions (Titan Text Embeddings V2: 256, 512 or 1024). */
  readonly dimensions: number;
  /** Replica shards per primary. */
  readonly replicas: number;
  /** HNSW `m`: graph edges per vector. */
  readonly hnswM: number;
  /** Average chunk text size in bytes, including its metadata. */
  readonly averageChunkBytes: number;
  /** Availability zones of the domain; the node count is a multiple of it. */
  readonly availabilityZoneCount: number;
  /**
   * k-NN memory circuit-breaker limit, a fraction of the native memory.
   * @default 0.5
   */
  readonly circuitBreakerLimit?: number;
  /**
   * Data-node instance type; sizing then only picks the count.
   * @default - the cheapest type and count that fit
   */
  readonly instanceType?: SearchInstanceType;
  /**
   * Data-node count; sizing then only picks the type.
   * @default - the cheapest type and count that fit
   */
  readonly dataNodeCount?: number;
  /**
   * EBS volume per data node, GiB.
   * @default - the storage need spread over the nodes, at least 10 GiB
   */
  readonly volumeSizeGiB?: number;
}

/** The sizing decision, with the arithmetic that led to it. */
export interface SearchSizing {
  /** Data-node instance type. */
  readonly instanceType: SearchInstanceType;
  /** Data-node count, a multiple of the AZ count. */
  readonly dataNodeCount: number;
  /** gp3 volume per data node, GiB. */
  readonly volumeSizeGiB: number;
  /** k-NN native memory the graphs need across the cluster, bytes (replicas included). */
  readonly knnMemoryBytes: number;
  /** k-NN native memory the chosen cluster offers, bytes. */
  readonly knnBudgetBytes: number;
  /** Disk the index needs across the cluster, bytes (replicas and overhead included). */
  readonly storageBytes: number;
  /** HNSW engine for the vector count. */
  readonly engine: KnnEngine;
  /** Approximate on-demand price of the data nodes per month (730 h), USD. */
  readonly monthlyDataNodeUsd: number;
}

/** k-NN memory of the HNSW graphs: 1.1 x (4 x d + 8 x m) bytes per vector x vectors x (1 + replicas). */
export function knnMemoryBytes(vectors: number, dimensions: number, hnswM: number, replicas: number): number {
  return 1.1 * (4 * dimensions + 8 * hnswM) * vectors * (1 + replicas);
}

/** Disk for vectors and text: (vector graph + text) x (1 + replicas) x {@link STORAGE_OVERHEAD_FACTOR}. */
export function storageBytes(vectors: number, dimensions: number, hnswM: number, replicas: number, averageChunkBytes: number): number {
  const perVector = 1.1 * (4 * dimensions + 8 * hnswM) + averageChunkBytes;
  return perVector * vectors * (1 + replicas) * STORAGE_OVERHEAD_FACTOR;
}

/** The HNSW engine for `vectors` primary vectors. */
export function engineFor(vectors: number): KnnEngine {
  return vectors >= FAISS_THRESHOLD_VECTORS ? KnnEngine.FAISS : KnnEngine.LUCENE;
}

function assertPositiveInteger(value: number, name: string, fix: string): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new PavedRoadError(`sizing: ${name} must be a positive integer, got ${value}; ${fix}`);
  }
}

/**
 * Picks the cheapest data-node type and count whose k-NN budget and disk fit the workload.
 *
 * The count is a multiple of the AZ count and at least 1 + replicas, so every replica can sit on
 * another node. Explicit `instanceType`, `dataNodeCount` and `volumeSizeGiB` override the choice;
 * an override that cannot hold the workload is refused.
 * @throws PavedRoadError when the inputs are invalid or nothing in the table fits
 */
export function sizeSearchDomain(workload: SearchWorkload): SearchSizing {
  const { expectedChunks, dimensions, replicas, hnswM, averageChunkBytes, availabilityZoneCount } = workload;
  const limit = workload.circuitBreakerLimit ?? 0.5;
  assertPositiveInteger(expectedChunks, 'expectedChunks', 'set the number of chunks the index will hold');
  assertPositiveInteger(dimensions, 'dimensions', 'set the embedding model\'s output dimensions (Titan V2: 256, 512 or 1024)');
  assertPositiveInteger(hnswM, 'hnswM', 'use 16 (the OpenSearch default) unless recall measurements say otherwise');
  assertPositiveInteger(averageChunkBytes, 'averageChunkBytes', 'set the average chunk size in bytes');
  assertPositiveInteger(availabilityZoneCount, 'availabilityZoneCount', 'use the stage\'s availability-zone count');
  if (!Number.isInteger(replicas) || replicas < 0) {
    throw new PavedRoadError(`sizing: replicas must be a non-negative integer, got ${replicas}; use 1 or more for zone-aware domains`);
  }
  if (!(limit > 0 && limit <= 1)) {
    throw new PavedRoadError(`sizing: circuitBreakerLimit must be in (0, 1], got ${limit}; OpenSearch's default is 0.5`);
  }
  const memory = knnMemoryBytes(expectedChunks, dimensions, hnswM, replicas);
  const storage = storageBytes(expectedChunks, dimensions, hnswM, replicas, averageChunkBytes);
  const minimumCount = Math.ceil(Math.max(availabilityZoneCount, 1 + replicas) / availabilityZoneCount) * availabilityZoneCount;

  if (workload.dataNodeCount !== undefined) {
    assertPositiveInteger(workload.dataNodeCount, 'dataNodeCount', `use a multiple of the ${availabilityZoneCount} availability zones`);
    if (workload.dataNodeCount % availabilityZoneCount !== 0) {
      throw new PavedRoadError(`sizing: dataNodeCount ${workload.dataNodeCount} is not a multiple of the ${availabilityZoneCount} availability zones; use ${Math.ceil(workload.dataNodeCount / availabilityZoneCount) * availabilityZoneCount}`);
    }
  }
  if (workload.volumeSizeGiB !== undefined) {
    assertPositiveInteger(workload.volumeSizeGiB, 'volumeSizeGiB', `use at least ${MIN_VOLUME_GIB} GiB`);
  }
  const types = workload.instanceType ? [workload.instanceType] : SearchInstanceType.all();
  const counts = workload.dataNodeCount !== undefined
    ? [workload.dataNodeCount]
    : Array.from({ length: Math.floor(MAX_DATA_NODES / availabilityZoneCount) }, (_, i) => (i + 1) * availabilityZoneCount).filter((c) => c >= minimumCount);

  let best: SearchSizing | undefined;
  for (const type of types) {
    for (const count of counts) {
      const budget = type.knnBudgetBytes(limit) * count;
      const volume = workload.volumeSizeGiB ?? Math.max(MIN_VOLUME_GIB, Math.ceil(storage / count / GIB));
      if (budget < memory || volume > type.maxVolumeGiB || volume * count * GIB < storage) continue;
      const monthly = type.hourlyUsd * count * 730;
      if (!best || monthly < best.monthlyDataNodeUsd) {
        best = {
          instanceType: type,
          dataNodeCount: count,
          volumeSizeGiB: volume,
          knnMemoryBytes: memory,
          knnBudgetBytes: budget,
          storageBytes: storage,
          engine: engineFor(expectedChunks),
          monthlyDataNodeUsd: Math.round(monthly * 100) / 100,
        };
      }
      break;
    }
  }
  if (!best) {
    const what = [workload.instanceType && `instanceType ${workload.instanceType}`, workload.dataNodeCount && `dataNodeCount ${workload.dataNodeCount}`, workload.volumeSizeGiB && `volumeSizeGiB ${workload.volumeSizeGiB}`]
      .filter(Boolean).join(', ') || `up to ${MAX_DATA_NODES} nodes of any type in the table`;
    throw new PavedRoadError(`sizing: ${what} cannot hold ${expectedChunks} vectors of ${dimensions} dimensions with ${replicas} replica(s) `
      + `(k-NN memory ${(memory / GIB).toFixed(1)} GiB, storage ${(storage / GIB).toFixed(1)} GiB); `
      + 'remove the override, pick a larger instance type or more nodes, or reduce dimensions');
  }
  return best;
}
