/** An error the caller can fix, or a dependency state it should retry on; carries a stable code. */
export class RequestError extends Error {
  constructor(
    /** HTTP status: 4xx for caller errors, 503 for throttled dependencies. */
    public readonly statusCode: number,
    /** Stable machine-readable code. */
    public readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

/** The embedding model still throttled after the bounded retries of the call. */
export class EmbeddingThrottledError extends Error {
  constructor() {
    super('the embedding model is throttling requests; retry later');
    this.name = 'EmbeddingThrottledError';
  }
}
