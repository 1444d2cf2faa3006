import { PavedRoadError } from '../core/errors';

/** How the hybrid search pipeline fuses the lexical (BM25) and the vector (k-NN) result lists. */
export class HybridFusion {
  /**
   * `normalization-processor`: min-max normalizes each list's scores, then a weighted arithmetic
   * mean. Scores stay interpretable; the weights need tuning per corpus.
   * @param lexicalWeight weight of the BM25 list; the vector list gets `1 - lexicalWeight`
   */
  public static normalization(lexicalWeight = 0.3): HybridFusion {
    if (!(lexicalWeight >= 0 && lexicalWeight <= 1)) {
      throw new PavedRoadError(`HybridFusion.normalization: lexicalWeight must be between 0 and 1, got ${lexicalWeight}; 0.3 weights vectors over keywords`);
    }
    return new HybridFusion('normalization', lexicalWeight, 60);
  }

  /**
   * `score-ranker-processor` with reciprocal rank fusion (OpenSearch 2.19+): ranks only, no
   * score calibration or weights to tune.
   * @param rankConstant `k` in 1 / (k + rank)
   */
  public static reciprocalRank(rankConstant = 60): HybridFusion {
    if (!Number.isInteger(rankConstant) || rankConstant < 1) {
      throw new PavedRoadError(`HybridFusion.reciprocalRank: rankConstant must be a positive integer, got ${rankConstant}; 60 is the published default`);
    }
    return new HybridFusion('rrf', 0.5, rankConstant);
  }

  private constructor(
    /** Technique name the search-setup function understands: `normalization` or `rrf`. */
    public readonly technique: string,
    /** Weight of the lexical sub-query (normalization only). */
    public readonly lexicalWeight: number,
    /** RRF rank constant (rrf only). */
    public readonly rankConstant: number,
  ) {}
}
