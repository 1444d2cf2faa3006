import { DataClass } from '../core/data-class';
import { StorageTier } from './retention';

/**
 * A zone of the data lake: one bucket with one purpose, one data class (hence one KMS key)
 * and one lifecycle.
 *
 * An enum-like class so that grants and accessors take `LakeZone.CURATED`, never a string.
 */
export class LakeZone {
  /** Landing zone for uploads as they arrive: documents, images, zips, exports. */
  public static readonly RAW = new LakeZone('raw', 'Raw', DataClass.PERSONAL, StorageTier.DEEP_ARCHIVE, false,
    'Raw uploads are re-ingestible from their sources and are curated within days; the curated zone, which is replicated in production, holds the lasting copy.');
  /** Cleaned, contract-conforming data products; Athena and retrieval read it. */
  public static readonly CURATED = new LakeZone('curated', 'Curated', DataClass.PERSONAL, StorageTier.GLACIER_INSTANT_RETRIEVAL, true);
  /** Features and embeddings derived from curated data; embeddings of personal data are personal data. */
  public static readonly EMBEDDINGS = new LakeZone('embeddings', 'Embeddings', DataClass.PERSONAL, StorageTier.GLACIER_INSTANT_RETRIEVAL, false,
    'Embeddings and features are derived data, rebuilt deterministically from the replicated curated zone and the versioned model artifacts.');
  /** Model weights, adapters, tokenizers and evaluation reports. */
  public static readonly MODEL_ARTIFACTS = new LakeZone('model-artifacts', 'ModelArtifacts', DataClass.CONFIDENTIAL, StorageTier.GLACIER_INSTANT_RETRIEVAL, true);
  /** Captured inference requests and responses for evaluation and drift analysis. */
  public static readonly INFERENCE_CAPTURE = new LakeZone('inference-capture', 'InferenceCapture', DataClass.PERSONAL, StorageTier.DEEP_ARCHIVE, false,
    'Inference capture is a sample of prompts and responses for evaluation; a second copy would double the personal data held without serving recovery of the service.');
  /** Audit events only (who did what, when), never personal payloads; Object Lock protects it. */
  public static readonly AUDIT = new LakeZone('audit', 'Audit', DataClass.CONFIDENTIAL, StorageTier.DEEP_ARCHIVE, true);

  /** Every zone, in data-flow order. */
  public static all(): LakeZone[] {
    return [LakeZone.RAW, LakeZone.CURATED, LakeZone.EMBEDDINGS, LakeZone.MODEL_ARTIFACTS, LakeZone.INFERENCE_CAPTURE, LakeZone.AUDIT];
  }

  private constructor(
    /** Stable identifier used in prefixes, names and tags, e.g. `model-artifacts`. */
    public readonly id: string,
    /** Construct id of the zone's bucket. */
    public readonly constructId: string,
    /** The data class the zone holds unless the lake's props say otherwise. */
    public readonly defaultDataClass: DataClass,
    /** The coldest storage tier the zone's readers tolerate. */
    public readonly coldestTier: StorageTier,
    /** Whether production environments replicate the zone to the in-zone DR region. */
    public readonly replicatedInProd: boolean,
    /** Why the zone is not replicated even in production (acknowledgment reason). */
    public readonly notReplicatedReason?: string,
  ) {}

  /** The zone's id with underscores, for Glue database names. */
  public get catalogName(): string {
    return this.id.replace(/-/g, '_');
  }

  public toString(): string {
    return this.id;
  }
}
