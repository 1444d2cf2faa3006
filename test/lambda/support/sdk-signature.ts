import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { CREDENTIALS } from './fake-aws';

/** SHA-256 and HMAC-SHA-256 for the SDK's signer, from node:crypto. */
class NodeSha256 {
  private readonly hash;

  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    const key = typeof secret === 'string' ? secret : secret instanceof ArrayBuffer ? new Uint8Array(secret) : secret && new Uint8Array(secret.buffer, secret.byteOffset, secret.byteLength);
    this.hash = key ? createHmac('sha256', key) : createHash('sha256');
  }

  update(data: string | Uint8Array): void { this.hash.update(data); }

  async digest(): Promise<Uint8Array> { return new Uint8Array(this.hash.digest()); }

  reset(): void { /* one digest per instance */ }
}

/**
 * The signature the AWS SDK's own signer (@smithy/signature-v4) computes for the same request,
 * headers and instant: S3 signs its path encoded once, every other service twice.
 */
export async function sdkSignature(request: Request, service: string, region = 'eu-central-1'): Promise<string> {
  const url = new URL(request.url);
  // fetch sets Host itself; aws4fetch signed it from the URL.
  const headers: Record<string, string> = { ...Object.fromEntries([...request.headers].filter(([name]) => name !== 'authorization')), host: url.hostname };
  const amzDate = headers['x-amz-date'];
  const signer = new SignatureV4({ service, region, credentials: CREDENTIALS, sha256: NodeSha256, uriEscapePath: service !== 's3', applyChecksum: false });
  const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : await request.clone().text();
  const signed = await signer.sign({
    method: request.method, protocol: 'https:', hostname: url.hostname, path: url.pathname, headers, body, query: Object.fromEntries(url.searchParams),
  }, {
    // aws4fetch leaves Content-Type unsigned (SigV4 requires only Host and X-Amz-Date); the rest must match.
    unsignableHeaders: new Set(['content-type']),
    signingDate: new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`),
  });
  return String(signed.headers.authorization).split('Signature=')[1];
}

/** The signature of a request signed by aws4fetch. */
export function signatureOf(request: Request): string {
  return request.headers.get('authorization')!.split('Signature=')[1];
}

/** The SigV4 credential scope of a signed request: region/service/aws4_request. */
export function scopeOf(request: Request): string {
  return /Credential=AKIDEXAMPLE\/\d{8}\/([^,]+),/.exec(request.headers.get('authorization') ?? '')?.[1] ?? '';
}
