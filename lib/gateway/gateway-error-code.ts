import { PavedRoadError } from '../core/errors';

/** CloudWatch namespace of the metrics the gateway function publishes (Powertools EMF). */
export const GATEWAY_METRICS_NAMESPACE = 'PavedRoad/AiGateway';
/** Value of the `service` dimension Powertools puts on every gateway metric. */
export const GATEWAY_SERVICE_NAME = 'ai-gateway';

/**
 * An error code the gateway answers with (`{ "error": { "code" } }`); each has a metric
 * `Errors_<code>` counting the requests that ended with it.
 */
export class GatewayErrorCode {
  /** 400/413: malformed JSON, schema violation, unknown field, model not allowed, body too large. */
  public static readonly INVALID_REQUEST = new GatewayErrorCode('invalid_request');
  /** 401/403: no valid tenant claim or key, or a tenant without a budget. */
  public static readonly UNAUTHORIZED = new GatewayErrorCode('unauthorized');
  /** 404: unknown route, or retrieval not enabled. */
  public static readonly NOT_FOUND = new GatewayErrorCode('not_found');
  /** 429: the tenant's token budget for the period is used up; Retry-After counts the seconds to the next period. */
  public static readonly BUDGET_EXCEEDED = new GatewayErrorCode('budget_exceeded');
  /** 429: the rest of the budget is held by the tenant's requests in flight; retry after a few seconds. */
  public static readonly BUDGET_BUSY = new GatewayErrorCode('budget_busy');
  /** 400: the request's reservation is larger than the tenant's whole limit, so it can never be admitted. */
  public static readonly REQUEST_EXCEEDS_BUDGET = new GatewayErrorCode('request_exceeds_budget');
  /** 503: the budget store is throttled, failing or too slow; nothing was charged. */
  public static readonly BUDGET_UNAVAILABLE = new GatewayErrorCode('budget_unavailable');
  /** 422: the guardrail blocked the prompt or the answer. */
  public static readonly GUARDRAIL_BLOCKED = new GatewayErrorCode('guardrail_blocked');
  /** 429/503: every model of the fallback chain was throttled (429) or failed (503). */
  public static readonly MODEL_UNAVAILABLE = new GatewayErrorCode('model_unavailable');
  /** 429/503: the retrieval function, its embedding model or its search domain is throttled (429) or failing (503). */
  public static readonly RETRIEVAL_UNAVAILABLE = new GatewayErrorCode('retrieval_unavailable');
  /** 504: the gateway deadline passed. */
  public static readonly TIMEOUT = new GatewayErrorCode('timeout');
  /** 500: anything else; details only in the (redacted) logs. */
  public static readonly INTERNAL_ERROR = new GatewayErrorCode('internal_error');

  /** Every error code, in the order of the API reference. */
  public static all(): GatewayErrorCode[] {
    return [...ALL];
  }

  /**
   * The error code with this wire value, e.g. `GatewayErrorCode.of('timeout')`.
   * @throws PavedRoadError naming the valid codes when `code` is not one of them
   */
  public static of(code: string): GatewayErrorCode {
    const found = ALL.find((candidate) => candidate.code === code);
    if (!found) {
      throw new PavedRoadError(`GatewayErrorCode: '${code}' is not a gateway error code; use one of ${ALL.map((c) => c.code).join(', ')}`);
    }
    return found;
  }

  /** Whether `value` is one of the codes above (not a look-alike object or a bare string). */
  public static isGatewayErrorCode(value: unknown): value is GatewayErrorCode {
    return ALL.includes(value as GatewayErrorCode);
  }

  private constructor(
    /** The `code` field of the error response. */
    public readonly code: string,
  ) {}

  /** Name of the metric counting requests that ended with this code. */
  public get metricName(): string {
    return `Errors_${this.code}`;
  }

  /** The wire value. */
  public toString(): string {
    return this.code;
  }
}

const ALL: readonly GatewayErrorCode[] = [
  GatewayErrorCode.INVALID_REQUEST,
  GatewayErrorCode.UNAUTHORIZED,
  GatewayErrorCode.NOT_FOUND,
  GatewayErrorCode.BUDGET_EXCEEDED,
  GatewayErrorCode.BUDGET_BUSY,
  GatewayErrorCode.REQUEST_EXCEEDS_BUDGET,
  GatewayErrorCode.BUDGET_UNAVAILABLE,
  GatewayErrorCode.GUARDRAIL_BLOCKED,
  GatewayErrorCode.MODEL_UNAVAILABLE,
  GatewayErrorCode.RETRIEVAL_UNAVAILABLE,
  GatewayErrorCode.TIMEOUT,
  GatewayErrorCode.INTERNAL_ERROR,
];
