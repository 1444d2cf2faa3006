import { TitanEmbeddings, embedTexts } from '../../../lambda/shared/embeddings';
import { FAST, fakeAws, json, titan } from '../support/fake-aws';
import { scopeOf, sdkSignature, signatureOf } from '../support/sdk-signature';

const model = { modelId: 'amazon.titan-embed-text-v2:0', dimensions: 4 };
const signal = new AbortController().signal;

describe('TitanEmbeddings', () => {
  it('sends InvokeModel to the regional Bedrock Runtime endpoint, signed for bedrock exactly as the AWS SDK signer does', async () => {
    const { http, sent } = fakeAws({ bedrock: titan(4) });
    expect(await new TitanEmbeddings(http, model).embed('hello', signal)).toEqual([0.005, 0.006, 0.007, 0.008]);
    const [request] = sent.raw;
    expect(request.url).toBe('https://bedrock-runtime.eu-central-1.amazonaws.com/model/amazon.titan-embed-text-v2%3A0/invoke');
    expect(request.headers.get('accept')).toBe('application/json');
    expect(scopeOf(request)).toBe('eu-central-1/bedrock/aws4_request');
    expect(signatureOf(request)).toBe(await sdkSignature(request, 'bedrock'));
    expect(sent.bedrock[0].body).toEqual({ inputText: 'hello', dimensions: 4, normalize: true });
  });

  it('cuts an input to the 50,000 characters Titan V2 accepts', async () => {
    const { http, sent } = fakeAws({ bedrock: titan(4) });
    await new TitanEmbeddings(http, model).embed('x'.repeat(60_000), signal);
    expect((sent.bedrock[0].body as { inputText: string }).inputText).toHaveLength(50_000);
  });

  it('refuses an answer without an embedding', async () => {
    const { http } = fakeAws({ bedrock: () => json({ inputTextTokenCount: 1 }) });
    await expect(new TitanEmbeddings(http, model).embed('x', signal)).rejects.toThrow('the embedding model answered without an embedding');
  });
});

describe('embedTexts', () => {
  it('keeps the order of its inputs and retries only the inputs that failed', async () => {
    const failed = new Set<string>();
    const { http, sent } = fakeAws({
      bedrock: (request, attempt, raw) => {
        const text = (request.body as { inputText: string }).inputText;
        if (text === 'bb' && !failed.has(text)) {
          failed.add(text);
          return json({ message: 'slow down' }, 429, { 'x-amzn-errortype': 'ThrottlingException' });
        }
        return titan(4)(request, attempt, raw);
      },
    });
    const vectors = await embedTexts(new TitanEmbeddings(http, model), ['a', 'bb', 'ccc'], 2, FAST, Date.now() + 10_000);
    expect(vectors.map((v) => v[0])).toEqual([0.001, 0.002, 0.003]);
    expect(sent.bedrock.map((r) => (r.body as { inputText: string }).inputText).sort()).toEqual(['a', 'bb', 'bb', 'ccc']);
  });
});
