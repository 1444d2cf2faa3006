import type { LambdaApi } from '../../../lambda/gateway/aws';
import { AwsApiError } from '../../../lambda/shared/aws-http';
import { LambdaRetriever } from '../../../lambda/gateway/retriever';
import { MAX_RETRIEVAL_QUERY_CHARS } from '../../../lambda/gateway/schemas';

const ARN = 'arn:aws:lambda:eu-central-1:111122223333:function:retrieval';
const CHUNK = { text: 'Unplug the router.', score: 0.8, citation: { docId: 'kb-1', sourceUri: 's3://curated/tenant=acme/router.md', chunkIndex: 2, startOffset: 10, endOffset: 28 } };
const signal = new AbortController().signal;

function retrieverAnswering(answer: () => Promise<unknown>) {
  const invoke = jest.fn<ReturnType<LambdaApi['invoke']>, Parameters<LambdaApi['invoke']>>(answer);
  return { invoke, retriever: new LambdaRetriever({ invoke }, ARN) };
}

describe('LambdaRetriever', () => {
  it('invokes the retrieval function with the verified tenant in the authorizer context and returns chunks with citations', async () => {
    const { invoke, retriever } = retrieverAnswering(async () => ({ statusCode: 200, body: JSON.stringify({ chunks: [CHUNK] }) }));
    expect(await retriever.retrieve('acme', 'how to reset', 3, signal)).toEqual([CHUNK]);
    const [functionName, event] = invoke.mock.calls[0];
    expect(functionName).toBe(ARN);
    expect(event).toMatchObject({ requestContext: { authorizer: { tenantId: 'acme' } } });
    expect(JSON.parse((event as { body: string }).body)).toEqual({ query: 'how to reset', k: 3 });
  });

  it('sends at most the retrieval function\'s longest query', async () => {
    const { invoke, retriever } = retrieverAnswering(async () => ({ statusCode: 200, body: '{"chunks":[]}' }));
    await retriever.retrieve('acme', 'q'.repeat(MAX_RETRIEVAL_QUERY_CHARS + 500), 1, signal);
    expect(JSON.parse((invoke.mock.calls[0][1] as { body: string }).body).query).toHaveLength(MAX_RETRIEVAL_QUERY_CHARS);
  });

  it.each([
    ['a throttled invocation', async () => { throw new AwsApiError('TooManyRequestsException', 'Rate exceeded', 429); }, 429, 'retrieval_unavailable', 2],
    ['a denied invocation', async () => { throw new AwsApiError('AccessDeniedException', 'not authorized', 403); }, 500, 'internal_error', undefined],
    ['a failed function', async () => { throw new AwsApiError('FunctionError', 'the function failed (Unhandled)', 502); }, 503, 'retrieval_unavailable', 5],
    ['a throttled embedding model', async () => ({ statusCode: 503, body: '{"code":"EMBEDDING_THROTTLED"}' }), 429, 'retrieval_unavailable', 2],
    ['a failed search', async () => ({ statusCode: 502, body: '{"code":"RETRIEVAL_FAILED"}' }), 503, 'retrieval_unavailable', 5],
    ['a refused query', async () => ({ statusCode: 400, body: '{"code":"INVALID_REQUEST"}' }), 400, 'invalid_request', undefined],
    ['an answer that is not a proxy result', async () => ({ chunks: [] }), 503, 'retrieval_unavailable', 5],
    ['chunks without citations', async () => ({ statusCode: 200, body: JSON.stringify({ chunks: [{ text: 'x' }] }) }), 503, 'retrieval_unavailable', 5],
    ['a body that is not JSON', async () => ({ statusCode: 200, body: 'oops' }), 503, 'retrieval_unavailable', 5],
    ['an abort at the deadline', async () => { throw new DOMException('aborted', 'AbortError'); }, 504, 'timeout', 1],
  ])('maps %s to a stable gateway error', async (_case, answer, status, code, retryAfterSeconds) => {
    const { retriever } = retrieverAnswering(answer);
    await expect(retriever.retrieve('acme', 'q', 1, signal)).rejects.toMatchObject({ status, code, retryAfterSeconds });
  });
});
