/** The stable error codes of the gateway API. Clients switch on these, never on messages. */
export const ERROR_CODES = [
  'invalid_request',
  'unauthorized',
  'not_found',
  'budget_exceeded',
  'budget_busy',
  'request_exceeds_budget',
  'budget_unavailable',
  'guardrail_blocked',
  'model_unavailable',
  'retrieval_unavailable',
  'timeout',
  'internal_error',
] as const;

/** One of {@link ERROR_CODES}. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * An error the gateway answers with: HTTP status, stable code, a message safe to show the
 * caller (never a prompt, ARN or stack trace) and, where waiting helps, seconds to wait.
 */
export class GatewayError extends Error {
  constructor(
    public readonly status: number,
    public readonly code: ErrorCode,
    message: string,
    public readonly retryAfterSeconds?: number,
    /** The request field at fault, as OpenAI's `param` names it (`messages[0].content`). */
    public readonly param?: string,
  ) {
    super(message);
    this.name = 'GatewayError';
  }

  static invalid(message: string, status = 400, param?: string): GatewayError {
    return new GatewayError(status, 'invalid_request', message, undefined, param);
  }
}
