import { createHash } from 'node:crypto';
import type { S3Api } from './aws';
import type { ErrorCode } from './errors';
import { redactPii } from './redact';

/** What the guardrail did to a request. */
export type GuardrailAction = 'none' | 'masked' | 'blocked' | 'not_applied';

/** One audit record per request, whatever its outcome. Never holds clear-text content. */
export interface AuditEvent {
  readonly requestId: string;
  readonly timestamp: string;
  readonly tenantId: string | null;
  readonly route: string;
  readonly model: string | null;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly guardrailAction: GuardrailAction;
  readonly fallbackUsed: boolean;
  readonly attempts: number;
  readonly latencyMs: number;
  readonly status: number;
  /** `success` or the error code of the answer. */
  readonly outcome: 'success' | ErrorCode;
  /** Present only when the environment captures content: hashes or redacted text. */
  readonly content?: { readonly prompt: string; readonly completion?: string };
}

/** Where audit events go. */
export interface AuditWriter {
  write(event: AuditEvent): Promise<void>;
}

/** Whether and how prompts and completions appear in the audit record. */
export type ContentCapture = 'none' | 'hashed' | 'redacted';

const MAX_CAPTURED_CHARS = 4096;

/** The content field of an audit event under `mode`, or `undefined` when nothing is captured. */
export function captureContent(mode: ContentCapture, prompt: string | undefined, completion?: string): AuditEvent['content'] {
  if (mode === 'none' || prompt === undefined) return undefined;
  const render = (text: string) => (mode === 'hashed'
    ? `sha256:${createHash('sha256').update(text).digest('hex')}`
    : redactPii(text).slice(0, MAX_CAPTURED_CHARS));
  return { prompt: render(prompt), ...(completion !== undefined ? { completion: render(completion) } : {}) };
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
  ) {}

  async write(event: AuditEvent): Promise<void> {
    const tenant = event.tenantId ?? '_anonymous';
    await this.client.putObject({
      bucket: this.bucket,
      key: `${this.prefix}tenant=${tenant}/date=${event.timestamp.slice(0, 10)}/${event.timestamp}-${event.requestId}.json`,
      body: JSON.stringify(event),
      kmsKeyArn: this.kmsKeyArn,
    });
  }
}
