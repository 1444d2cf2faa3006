import {
  KnnEngine, SearchInstanceType, engineFor, knnMemoryBytes, sizeSearchDomain, storageBytes, type SearchWorkload,
} from '../../lib/retrieval/sizing';

const GIB = 1024 ** 3;
const base: SearchWorkload = { expectedChunks: 500_000, dimensions: 1024, replicas: 1, hnswM: 16, averageChunkBytes: 2_000, availabilityZoneCount: 2 };

/**
 * Worked cases (prices: approximate us-east-1 on-demand per node-hour from the sizing table).
 * k-NN memory = 1.1 x (4d + 8m) x vectors x (1 + replicas); budget per node = (RAM - min(RAM/2, 32 GiB)) x 0.5.
 *
 * | case                     | k-NN GiB | cheapest fit                         | why not the next one                  |
 * |--------------------------|---------:|--------------------------------------|---------------------------------------|
 * | 500k x 1024, 2 AZ        |     4.33 | 2 x r6g.large (4 GiB each) $0.334/h  | m6g.large needs 4 nodes, $0.512/h     |
 * | 500k x 1024, 3 AZ        |     4.33 | 3 x m6g.large (2 GiB each) $0.384/h  | r6g.large x 3 is $0.501/h             |
 * | 1M x 1024, 2 AZ          |     8.65 | 4 x r6g.large $0.668/h               | 2 x r6g.xlarge is $0.670/h            |
 * | 10k x 256, 2 AZ          |     0.02 | 2 x m6g.large $0.256/h               | the cheapest type, the minimum count  |
 * | 50M x 1024, 3 AZ         |   432.75 | 3 x r6g.12xlarge (176 GiB) $12.05/h  | 6 x r6g.8xlarge is $16.06/h; faiss    |
 * | 200k x 256, 2 MB chunks  |     0.47 | 2 x r6g.large: 541 GiB disk per node | m6g.large holds 512 GiB per node      |
 */
const cases: Array<[string, Partial<SearchWorkload>, string, number, number]> = [
  ['500k x 1024 in 2 AZ', {}, 'r6g.large.search', 2, 10],
  ['500k x 1024 in 3 AZ', { availabilityZoneCount: 3 }, 'm6g.large.search', 3, 10],
  ['1M x 1024 in 2 AZ', { expectedChunks: 1_000_000 }, 'r6g.large.search', 4, 10],
  ['10k x 256 in 2 AZ', { expectedChunks: 10_000, dimensions: 256 }, 'm6g.large.search', 2, 10],
  ['50M x 1024 in 3 AZ', { expectedChunks: 50_000_000, availabilityZoneCount: 3 }, 'r6g.12xlarge.search', 3, 300],
  ['200k x 256 with 2 MB chunks', { expectedChunks: 200_000, dimensions: 256, averageChunkBytes: 2_000_000 }, 'r6g.large.search', 2, 541],
];

describe('sizeSearchDomain', () => {
  it.each(cases)('sizes %s', (_name, overrides, type, count, volume) => {
    const sizing = sizeSearchDomain({ ...base, ...overrides });
    expect([sizing.instanceType.name, sizing.dataNodeCount, sizing.volumeSizeGiB]).toEqual([type, count, volume]);
    expect(sizing.knnBudgetBytes).toBeGreaterThanOrEqual(sizing.knnMemoryBytes);
    expect(sizing.volumeSizeGiB * sizing.dataNodeCount * GIB).toBeGreaterThanOrEqual(sizing.storageBytes);
  });

  it('prices the default dev size at 2 x r6g.large for about 244 USD a month', () => {
    expect(sizeSearchDomain(base).monthlyDataNodeUsd).toBe(243.82);
  });

  it('picks faiss from 10 million vectors and lucene below', () => {
    expect(engineFor(9_999_999)).toBe(KnnEngine.LUCENE);
    expect(engineFor(10_000_000)).toBe(KnnEngine.FAISS);
    expect(sizeSearchDomain({ ...base, expectedChunks: 50_000_000, availabilityZoneCount: 3 }).engine).toBe(KnnEngine.FAISS);
  });

  it('only picks the count when the instance type is given', () => {
    const sizing = sizeSearchDomain({ ...base, expectedChunks: 1_000_000, instanceType: SearchInstanceType.R7G_LARGE });
    expect([sizing.instanceType, sizing.dataNodeCount]).toEqual([SearchInstanceType.R7G_LARGE, 4]);
  });

  it('only picks the type when the count is given', () => {
    const sizing = sizeSearchDomain({ ...base, expectedChunks: 1_000_000, dataNodeCount: 2 });
    expect([sizing.instanceType, sizing.dataNodeCount]).toEqual([SearchInstanceType.R6G_XLARGE, 2]);
  });

  it('keeps an explicit volume size', () => {
    expect(sizeSearchDomain({ ...base, volumeSizeGiB: 100 }).volumeSizeGiB).toBe(100);
  });

  it('keeps at least one node per copy of a shard', () => {
    expect(sizeSearchDomain({ ...base, expectedChunks: 1_000, replicas: 2 }).dataNodeCount).toBe(4);
  });

  it('gives more budget with a higher circuit-breaker limit', () => {
    const sizing = sizeSearchDomain({ ...base, expectedChunks: 1_000_000, circuitBreakerLimit: 0.6, instanceType: SearchInstanceType.R6G_LARGE });
    // 8.65 GiB needed: at 0.5 four r6g.large (4 GiB each), at 0.6 two (4.8 GiB each).
    expect(sizing.dataNodeCount).toBe(2);
    expect(sizing.knnBudgetBytes).toBeCloseTo(2 * 8 * GIB * 0.6);
  });

  it('refuses an override that cannot hold the vectors', () => {
    expect(() => sizeSearchDomain({ ...base, expectedChunks: 1_000_000, instanceType: SearchInstanceType.R6G_LARGE, dataNodeCount: 2 })).toThrow(
      /^sizing: instanceType r6g\.large\.search, dataNodeCount 2 cannot hold 1000000 vectors of 1024 dimensions with 1 replica\(s\) \(k-NN memory 8\.7 GiB/,
    );
  });

  it('refuses a node count that is not a multiple of the zones', () => {
    expect(() => sizeSearchDomain({ ...base, availabilityZoneCount: 3, dataNodeCount: 4 })).toThrow('sizing: dataNodeCount 4 is not a multiple of the 3 availability zones; use 6');
  });

  it('refuses nonsense inputs, naming the fix', () => {
    expect(() => sizeSearchDomain({ ...base, dimensions: 0 })).toThrow(/^sizing: dimensions must be a positive integer, got 0; set the embedding model's output dimensions/);
    expect(() => sizeSearchDomain({ ...base, replicas: -1 })).toThrow(/replicas must be a non-negative integer/);
    expect(() => sizeSearchDomain({ ...base, circuitBreakerLimit: 1.5 })).toThrow(/circuitBreakerLimit must be in \(0, 1\]/);
  });

  it('refuses a workload no table entry can hold', () => {
    expect(() => sizeSearchDomain({ ...base, expectedChunks: 3_000_000_000 })).toThrow(/up to 80 nodes of any type in the table cannot hold/);
  });
});

describe('sizing arithmetic', () => {
  it('computes k-NN memory with the OpenSearch formula', () => {
    expect(knnMemoryBytes(1_000_000, 768, 16, 1)).toBeCloseTo(1.1 * 3_200 * 1_000_000 * 2);
    expect(knnMemoryBytes(1_000_000, 1024, 16, 0)).toBeCloseTo(4_646_400_000);
  });

  it('adds text, replicas and the 1.45 overhead to storage', () => {
    expect(storageBytes(1_000, 1024, 16, 1, 2_000)).toBeCloseTo((4_646.4 + 2_000) * 1_000 * 2 * 1.45);
  });

  it('caps the JVM heap at 32 GiB and otherwise takes half the RAM', () => {
    expect(SearchInstanceType.M6G_LARGE.heapBytes).toBe(4 * GIB);
    expect(SearchInstanceType.R7G_16XLARGE.heapBytes).toBe(32 * GIB);
    expect(SearchInstanceType.R7G_16XLARGE.knnBudgetBytes(0.5)).toBe(240 * GIB);
  });

  it('looks instance types up by name and refuses unknown ones', () => {
    expect(SearchInstanceType.of('r7g.xlarge.search')).toBe(SearchInstanceType.R7G_XLARGE);
    expect(() => SearchInstanceType.of('t3.small.search')).toThrow(/instance type 't3\.small\.search' is not in the sizing table/);
  });
});
