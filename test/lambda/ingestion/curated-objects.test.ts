import { CuratedObjects } from '../../../lambda/ingestion/curated-objects';
import { fakeAws } from '../support/fake-aws';
import { scopeOf, sdkSignature, signatureOf } from '../support/sdk-signature';

const signal = new AbortController().signal;

describe('CuratedObjects', () => {
  it('gets an object virtual-hosted-style with an unsigned payload, signed for s3 exactly as the AWS SDK signer does', async () => {
    const { http, sent } = fakeAws({ s3: () => new Response('hello', { status: 200, headers: { 'content-length': '5' } }) });
    const key = "docs/tenant=acme/Q&A (draft)+notes ü's.md";
    const bytes = await new CuratedObjects(http).getObject('paved-road-eu-dev-curated', key, signal);
    expect(new TextDecoder().decode(bytes)).toBe('hello');
    const [request] = sent.raw;
    expect(request.method).toBe('GET');
    // Every character outside RFC 3986's unreserved set is percent-encoded, once.
    expect(request.url).toBe('https://paved-road-eu-dev-curated.s3.eu-central-1.amazonaws.com/docs/tenant%3Dacme/Q%26A%20%28draft%29%2Bnotes%20%C3%BC%27s.md');
    expect(sent.s3[0].path).toBe(`/${key}`);
    expect(request.headers.get('x-amz-content-sha256')).toBe('UNSIGNED-PAYLOAD');
    expect(scopeOf(request)).toBe('eu-central-1/s3/aws4_request');
    expect(signatureOf(request)).toBe(await sdkSignature(request, 's3'));
  });

  it('reports a body shorter than its Content-Length as an invalid response', async () => {
    const { http } = fakeAws({ s3: () => new Response('hel', { status: 200, headers: { 'content-length': '5' } }) });
    await expect(new CuratedObjects(http).getObject('b', 'k', signal)).rejects.toMatchObject({ name: 'InvalidResponseError', message: 'the object body is 3 of 5 bytes' });
  });

  it('answers no bytes for a key that does not exist', async () => {
    const { http } = fakeAws({ s3: () => new Response('<?xml version="1.0"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>', { status: 404 }) });
    await expect(new CuratedObjects(http).getObject('b', 'k', signal)).resolves.toBeUndefined();
  });

  it('reads the error code of any other S3 XML error', async () => {
    const { http } = fakeAws({ s3: () => new Response('<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>', { status: 403 }) });
    await expect(new CuratedObjects(http).getObject('b', 'k', signal)).rejects.toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
  });
});
