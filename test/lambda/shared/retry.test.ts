import { type Clock, DeadlineExceededError, callWithRetries, deadlineOf, isRetryable, readJson } from '../../../lambda/shared/retry';

/** A clock whose time moves only when the code under test sleeps. */
function steppedClock(start = 1_000_000) {
  let now = start;
  const sleeps: number[] = [];
  const clock: Clock = { now: () => now, sleep: async (ms) => { sleeps.push(ms); now += ms; }, random: () => 0.5 };
  return { clock, sleeps, advance: (ms: number) => { now += ms; } };
}
const throttled = () => Object.assign(new Error('slow down'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
const policy = { attempts: 4, attemptTimeoutMs: 1_000, baseDelayMs: 100, maxDelayMs: 250 };

describe('callWithRetries', () => {
  it('retries a retryable failure with full-jitter exponential backoff, capped', async () => {
    const { clock, sleeps } = steppedClock();
    let calls = 0;
    const result = await callWithRetries('x', async () => {
      calls++;
      if (calls < 4) throw throttled();
      return 'ok';
    }, policy, clock.now() + 10_000, clock);
    expect(result).toBe('ok');
    expect(sleeps).toEqual([50, 100, 125]);
  });

  it('throws the last failure once the attempts are used up', async () => {
    const { clock } = steppedClock();
    let calls = 0;
    await expect(callWithRetries('x', async () => { calls++; throw throttled(); }, policy, clock.now() + 10_000, clock)).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(calls).toBe(4);
  });

  it('does not retry a client error', async () => {
    const { clock } = steppedClock();
    let calls = 0;
    const invalid = Object.assign(new Error('bad'), { name: 'ValidationException', $metadata: { httpStatusCode: 400 } });
    await expect(callWithRetries('x', async () => { calls++; throw invalid; }, policy, clock.now() + 10_000, clock)).rejects.toBe(invalid);
    expect(calls).toBe(1);
  });

  it('does not sleep past the deadline: it gives up with the last failure instead', async () => {
    const { clock, sleeps } = steppedClock();
    let calls = 0;
    await expect(callWithRetries('x', async () => { calls++; throw throttled(); }, policy, clock.now() + 40, clock)).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect([calls, sleeps]).toEqual([1, []]);
  });

  it('starts no attempt once the deadline has passed', async () => {
    const { clock } = steppedClock();
    let calls = 0;
    await expect(callWithRetries('the domain', async () => { calls++; return 1; }, policy, clock.now() - 1, clock)).rejects.toEqual(new DeadlineExceededError('the domain'));
    expect(calls).toBe(0);
  });

  it('abandons an attempt that ignores its signal when its time is up, with the signal aborted', async () => {
    const signals: AbortSignal[] = [];
    const started = Date.now();
    await expect(callWithRetries('x', (signal) => { signals.push(signal); return new Promise(() => undefined); }, { ...policy, attempts: 1, attemptTimeoutMs: 20 }, started + 10_000))
      .rejects.toMatchObject({ name: 'TimeoutError' });
    expect(signals[0].aborted).toBe(true);
  });

  it('gives an attempt no more than the time left before the deadline', async () => {
    const signals: AbortSignal[] = [];
    await expect(callWithRetries('x', (signal) => { signals.push(signal); return new Promise(() => undefined); }, { ...policy, attemptTimeoutMs: 60_000 }, Date.now() + 30))
      .rejects.toMatchObject({ name: 'TimeoutError', message: expect.stringMatching(/^no answer within [0-3]?\d ms$/) });
    expect(signals).toHaveLength(1);
  });
});

describe('isRetryable', () => {
  it.each([
    [{ name: 'ThrottlingException' }, true],
    [{ name: 'x', $metadata: { httpStatusCode: 429 } }, true],
    [{ name: 'x', $metadata: { httpStatusCode: 503 } }, true],
    [{ name: 'NetworkingError' }, true],
    [{ name: 'TimeoutError' }, true],
    [{ name: 'InvalidResponseError' }, true],
    [{ name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } }, false],
    [{ name: 'mapper_parsing_exception', $metadata: { httpStatusCode: 400 } }, false],
    [new TypeError('boom'), false],
  ])('classifies %o as retryable: %s', (error, expected) => {
    expect(isRetryable(error)).toBe(expected);
  });
});

describe('readJson', () => {
  it('parses a JSON body and reports a cut-off one as an invalid response', async () => {
    const signal = new AbortController().signal;
    expect(await readJson(new Response('{"a":1}'), signal)).toEqual({ a: 1 });
    await expect(readJson(new Response('{"a":'), signal)).rejects.toMatchObject({ name: 'InvalidResponseError', message: 'the response body is not JSON (5 characters)' });
  });

  it('stops reading a body that stalls when the attempt is aborted', async () => {
    const controller = new AbortController();
    const stalled = new Response(new ReadableStream({ start: (c) => c.enqueue(new TextEncoder().encode('{"a"')) }));
    const reading = readJson(stalled, controller.signal);
    controller.abort(Object.assign(new Error('no answer within 10 ms'), { name: 'TimeoutError' }));
    await expect(reading).rejects.toMatchObject({ name: 'TimeoutError' });
  });

  it('reports a body whose connection broke mid-way as an invalid response', async () => {
    const broken = new Response(new ReadableStream({ start: (c) => { c.enqueue(new TextEncoder().encode('{"a"')); c.error(new TypeError('terminated')); } }));
    await expect(readJson(broken, new AbortController().signal)).rejects.toMatchObject({ name: 'InvalidResponseError', message: 'the response body could not be read: terminated' });
  });
});

describe('deadlineOf', () => {
  it('keeps a margin back from the invocation time left, and gives a fixed time without a context', () => {
    const { clock } = steppedClock(5_000);
    expect(deadlineOf({ getRemainingTimeInMillis: () => 15_000 }, 500, 10_000, clock)).toBe(19_500);
    expect(deadlineOf(undefined, 500, 10_000, clock)).toBe(15_000);
  });
});
