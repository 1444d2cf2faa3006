import { AwsApiError, type AwsHttp } from '../shared/aws-http';
import type { OperationContract } from '../shared/operation-contract';
import { InvalidResponseError } from '../shared/retry';

/**
 * The `s3:prefix` patterns of the keys ingestion reads: keys with a `tenant=<id>` segment
 * anywhere (`tenantOfKey`), the curated zone's partition. The ingestion role's `s3:ListBucket` is
 * conditioned on them.
 */
export const TENANT_KEY_PREFIXES = ['tenant=*', '*/tenant=*'] as const;

/**
 * S3 GetObject of a curated object. The curated bucket is SSE-KMS with an S3 Bucket Key: S3 asks
 * KMS to decrypt with the caller's credentials (`kms:Decrypt`), in the encryption context of the
 * bucket ARN (the object ARN for an object written without the bucket key).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html
 * https://docs.aws.amazon.com/kms/latest/developerguide/services-s3.html#s3-encryption-context
 *
 * For a key that does not exist (deleted between the event and the read), S3 answers 404
 * NoSuchKey only to a caller with `s3:ListBucket` on the bucket, and 403 AccessDenied otherwise
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, Permissions). S3 checks
 * that permission with the requested key as `s3:prefix`: unverified against AWS itself; Ceph RGW
 * adopted it "to match aws behavior" (https://github.com/ceph/ceph/pull/68577).
 */
export const GET_CURATED_OBJECT: OperationContract = {
  signingName: 's3',
  operation: 'GetObject',
  docs: [
    'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html',
    'https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html',
    'https://docs.aws.amazon.com/kms/latest/developerguide/services-s3.html',
  ],
  calls: (scope) => {
    const bucketArn = `arn:${scope.partition}:s3:::${scope.env.CURATED_BUCKET}`;
    return [{
      action: 's3:GetObject',
      resource: `${bucketArn}/docs/tenant=acme/handbook.md`,
      kms: { actions: ['kms:Decrypt'], viaService: 's3', encryptionContext: { 'aws:s3:arn': bucketArn } },
    }, {
      action: 's3:ListBucket',
      resource: bucketArn,
      context: { 's3:prefix': 'docs/tenant=acme/handbook.md' },
    }];
  },
};

/** The S3 operation ingestion uses. */
export interface CuratedObjectsApi {
  /** The object's bytes, or `undefined` when the key does not exist (any more). */
  getObject(bucket: string, key: string, signal: AbortSignal): Promise<Uint8Array | undefined>;
}

/** S3 over HTTPS, virtual-hosted-style (the platform's bucket names have no dots). */
export class CuratedObjects implements CuratedObjectsApi {
  constructor(private readonly http: AwsHttp) {}

  /**
   * @returns `undefined` on 404 NoSuchKey (also a versioned key whose current version is a delete marker)
   * @throws InvalidResponseError when fewer bytes arrive than the response announced
   * @throws AwsApiError on any other error, AccessDenied (403) included
   */
  async getObject(bucket: string, key: string, signal: AbortSignal): Promise<Uint8Array | undefined> {
    // Each key segment percent-encoded as RFC 3986 asks (S3 signs the path encoded once).
    const path = key.split('/').map((part) => encodeURIComponent(part).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)).join('/');
    let response: Response;
    try {
      response = await this.http.request(GET_CURATED_OBJECT, `${this.http.endpoint(`${bucket}.s3`)}/${path}`, { method: 'GET', headers: {} }, signal);
    } catch (error) {
      if (error instanceof AwsApiError && error.name === 'NoSuchKey') return undefined;
      throw error;
    }
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await response.arrayBuffer());
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw new InvalidResponseError(`the object body could not be read: ${(error as Error).message}`);
    }
    const announced = Number(response.headers.get('content-length') ?? Number.NaN);
    if (Number.isFinite(announced) && announced !== bytes.byteLength) {
      throw new InvalidResponseError(`the object body is ${bytes.byteLength} of ${announced} bytes`);
    }
    return bytes;
  }
}
