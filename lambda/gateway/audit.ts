import { createHash, createHmac } from 'node:crypto';
import type { KmsApi, S3Api } from './aws';
import type { ErrorCode } from './errors';
import type { SensitiveMatch } from './providers';
import { redactWithFindings } from './redact';
import type { Clock } from '../shared/retry';
import { withTimeout } from './deadline';
import { retryWithin } from './routing';

/** What the guardrail did to a request. */
export type GuardrailAction = 'none' | 'masked' | 'blocked' | 'not_applied';

/** One audit record per request, whatever its outcome. Never holds clear-text content. */
export interface AuditEvent {
  readonly requestId: string;
  readonly timestamp: string;
  readonly tenantId: string | null;
  readonly route: string;
  readonly model: string | null;
  /** Input tokens outside the prompt cache. */
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Prompt tokens read from and written to the prompt cache, when there were any. */
  readonly cacheReadTokens?: number;
  readonly cacheWriteTokens?: number;
  readonly guardrailAction: GuardrailAction;
  readonly fallbackUsed: boolean;
  readonly attempts: number;
  readonly latencyMs: number;
  readonly status: number;
  /** `success` or the error code of the answer. */
  readonly outcome: 'success' | ErrorCode;
  /** Present only when the environment captures content: keyed hashes or redacted text. */
  readonly content?: { readonly prompt: string; readonly completion?: string };
  /** Why content the environment captures is missing: the hash key could not be read. */
  readonly contentOmitted?: 'hash_key_unavailable';
  /** The request's budget reservation, when one was taken. */
  readonly reservationId?: string;
  /**
   * A reservation the budget store could not settle or release: the amount reconciliation must
   * apply to the tenant's item (`remainingTokens += reservedTokens - usedTokens`,
   * `reservedTokens -= reservedTokens`, remove `reservationId` from `inFlight`) if the item
   * still lists the reservation.
   */
  readonly unsettled?: { readonly period: string; readonly reservedTokens: number; readonly usedTokens: number };
}

/** Where audit events go. */
export interface AuditWriter {
  /** Writes one event within `budgetMs`; throws when it could not. */
  write(event: AuditEvent, budgetMs: number): Promise<void>;
}

/** Whether and how prompts and completions appear in the audit record. */
export type ContentCapture = 'none' | 'hashed' | 'redacted';

const MAX_CAPTURED_CHARS = 4096;

/** The key of `hashed` capture, read once and kept for the life of the execution environment. */
export interface ContentHashKey {
  /**
   * The key, waiting at most `budgetMs` for it, also when another caller started reading it.
   * @throws when the key cannot be read within `budgetMs` (the next call tries again)
   */
  get(budgetMs: number): Promise<Uint8Array>;
}

/** What `hashed` capture keys its HMAC with: the environment's HMAC KMS key applied to this label. */
export const CONTENT_HASH_KEY_LABEL = 'paved-road/ai-gateway/content-hash/v1';

/**
 * The `hashed` capture key derived from the environment's HMAC KMS key: one GenerateMac of a
 * fixed label (HMAC as a key-derivation function, RFC 2104 / NIST SP 800-108), asked once per
 * execution environment and then kept in memory, so that hashing adds no call to a request. The
 * KMS key never leaves KMS; whoever may call GenerateMac on it can derive the same key to verify
 * a hash, nobody else can confirm a guessed value.
 *
 * The GenerateMac call runs within the budget of whoever started it (the init phase, or a
 * request: its attempts are aborted when that budget ends); every caller waits at most its own
 * budget, so a request that finds a slow derivation in flight is not held past its deadline.
 */
export class KmsDerivedHashKey implements ContentHashKey {
  private pending?: Promise<Uint8Array>;

  constructor(
    private readonly kms: KmsApi,
    private readonly keyArn: string,
    private readonly clock: Clock,
  ) {}

  get(budgetMs: number): Promise<Uint8Array> {
    if (!this.pending) {
      const derivation = retryWithin('KMS', budgetMs, this.clock, (signal) => this.kms.generateMac(this.keyArn, new TextEncoder().encode(CONTENT_HASH_KEY_LABEL), signal));
      this.pending = derivation;
      // A failure is not kept: the next request asks again.
      derivation.catch(() => { if (this.pending === derivation) this.pending = undefined; });
    }
    const pending = this.pending;
    return withTimeout('the content hash key', budgetMs, () => pending);
  }
}

/**
 * The hash key of one tenant: the HMAC of its id under the environment's key. Equal values sent by
 * two tenants hash differently, so the hashes of one tenant's records cannot be correlated with
 * another's to confirm a value; an auditor derives the tenant's key the same way to verify one.
 */
export function tenantHashKey(environmentKey: Uint8Array, tenantId: string): Uint8Array {
  return new Uint8Array(createHmac('sha256', environmentKey).update(`tenant=${tenantId}`, 'utf8').digest());
}

/** `hmac-sha256:<hex>` of `text` under `key`. */
export function keyedHash(key: Uint8Array, text: string): string {
  return `hmac-sha256:${createHmac('sha256', key).update(text).digest('hex')}`;
}

/**
 * The content field of an audit event under `mode`, or `undefined` when nothing is captured.
 * `hashed` needs the key; `redacted` removes what the guardrail found, then what the backstop finds.
 */
export function captureContent(
  mode: ContentCapture, prompt: string | undefined, completion: string | undefined,
  options: { readonly hashKey?: Uint8Array; readonly sensitive?: readonly SensitiveMatch[] } = {},
): AuditEvent['content'] {
  if (mode === 'none' || prompt === undefined) return undefined;
  if (mode === 'hashed' && !options.hashKey) return undefined;
  const render = (text: string) => (mode === 'hashed'
    ? keyedHash(options.hashKey!, text)
    : redactWithFindings(text, options.sensitive ?? []).slice(0, MAX_CAPTURED_CHARS));
  return { prompt: render(prompt), ...(completion !== undefined ? { completion: render(completion) } : {}) };
}

const KEY_SAFE_REQUEST_ID = /^[A-Za-z0-9-]{1,128}$/;

/**
 * The request id as it may appear in an object key: as it is when it has only letters, digits and
 * dashes (API Gateway's ids are UUIDs), else `_sha256-<hex>` of it (`_` never occurs in the first
 * form, so the two cannot collide). A `/`, `..`, `%` or a long id would otherwise change the key's
 * layout or length (a key is at most 1,024 bytes, prefixes included:
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html); the event body keeps
 * the id as it came, JSON-escaped.
 */
export function requestIdInKey(requestId: string): string {
  return KEY_SAFE_REQUEST_ID.test(requestId) ? requestId : `_sha256-${createHash('sha256').update(requestId, 'utf8').digest('hex')}`;
}

/**
 * Writes each event as one JSON object to S3, SSE-KMS with the given key, partitioned by
 * tenant and day so that a tenant's trail can be produced (or erased) on its own.
 */
export class S3AuditWriter implements AuditWriter {
  constructor(
    private readonly client: S3Api,
    private readonly bucket: string,
    private readonly prefix: string,
    private readonly kmsKeyArn: string,
    private readonly clock: Clock,
  ) {}

  /** Retried on transient failures: a PUT of the same key and body is idempotent. */
  async write(event: AuditEvent, budgetMs: number): Promise<void> {
    const tenant = event.tenantId ?? '_anonymous';
    const input = {
      bucket: this.bucket,
      key: `${this.prefix}tenant=${tenant}/date=${event.timestamp.slice(0, 10)}/${event.timestamp}-${requestIdInKey(event.requestId)}.json`,
      body: JSON.stringify(event),
      kmsKeyArn: this.kmsKeyArn,
    };
    await retryWithin('the audit store', budgetMs, this.clock, (signal) => this.client.putObject(input, signal));
  }
}
