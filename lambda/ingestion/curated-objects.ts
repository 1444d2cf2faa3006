import type { AwsHttp } from '../shared/aws-http';
import type { OperationContract } from '../shared/operation-contract';
import { InvalidResponseError } from '../shared/retry';

/**
 * S3 GetObject of a curated object. The curated bucket is SSE-KMS with an S3 Bucket Key: S3 asks
 * KMS to decrypt with the caller's credentials (`kms:Decrypt`), in the encryption context of the
 * bucket ARN (the object ARN for an object written without the bucket key).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html
 * https://docs.aws.amazon.com/kms/latest/developerguide/services-s3.html#s3-encryption-context
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
    }];
  },
};

/** The S3 operation ingestion uses. */
export interface CuratedObjectsApi {
  /** The object's bytes. */
  getObject(bucket: string, key: string, signal: AbortSignal): Promise<Uint8Array>;
}

/** S3 over HTTPS, virtual-hosted-style (the platform's bucket names have no dots). */
export class CuratedObjects implements CuratedObjectsApi {
  constructor(private readonly http: AwsHttp) {}

  /** @throws InvalidResponseError when fewer bytes arrive than the response announced */
  async getObject(bucket: string, key: string, signal: AbortSignal): Promise<Uint8Array> {
    // Each key segment percent-encoded as RFC 3986 asks (S3 signs the path encoded once).
    const path = key.split('/').map((part) => encodeURIComponent(part).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)).join('/');
    const response = await this.http.request(GET_CURATED_OBJECT, `${this.http.endpoint(`${bucket}.s3`)}/${path}`, { method: 'GET', headers: {} }, signal);
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
