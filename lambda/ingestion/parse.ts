/** The text of a document, or why it was rejected. */
export type ParseResult =
  | { readonly ok: true; readonly contentType: string; readonly text: string }
  | { readonly ok: false; readonly reason: string };

/** Largest object ingestion reads, bytes. */
export const MAX_OBJECT_BYTES = 10 * 1024 * 1024;

const TEXT_FIELDS = ['text', 'content', 'body'];

function extension(key: string): string {
  const name = key.slice(key.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
}

function parseJsonLines(body: string): ParseResult {
  const texts: string[] = [];
  const lines = body.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    let record: unknown;
    try {
      record = JSON.parse(lines[i]);
    } catch {
      return { ok: false, reason: `line ${i + 1} is not valid JSON` };
    }
    const field = typeof record === 'object' && record !== null
      ? TEXT_FIELDS.find((f) => typeof (record as Record<string, unknown>)[f] === 'string')
      : undefined;
    if (!field) {
      return { ok: false, reason: `line ${i + 1} has no string field named ${TEXT_FIELDS.join(', ')}` };
    }
    texts.push((record as Record<string, string>)[field]);
  }
  return { ok: true, contentType: 'application/x-ndjson', text: texts.join('\n\n') };
}

/**
 * Reads text, Markdown and JSON lines (the `text`, `content` or `body` field of each line).
 * Anything else, empty documents and invalid UTF-8 are rejected with a reason, never thrown.
 */
export function parseDocument(key: string, bytes: Uint8Array): ParseResult {
  const ext = extension(key);
  if (bytes.byteLength > MAX_OBJECT_BYTES) {
    return { ok: false, reason: `object is ${bytes.byteLength} bytes; the limit is ${MAX_OBJECT_BYTES}` };
  }
  const kinds: Record<string, string> = { txt: 'text/plain', text: 'text/plain', md: 'text/markdown', markdown: 'text/markdown', jsonl: 'application/x-ndjson', ndjson: 'application/x-ndjson' };
  const contentType = kinds[ext];
  if (!contentType) {
    return { ok: false, reason: `unsupported file type '.${ext}' (supported: ${Object.keys(kinds).map((k) => `.${k}`).join(', ')})` };
  }
  let body: string;
  try {
    body = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, reason: 'object is not valid UTF-8 text' };
  }
  const parsed = contentType === 'application/x-ndjson' ? parseJsonLines(body) : { ok: true as const, contentType, text: body };
  if (parsed.ok && parsed.text.trim() === '') {
    return { ok: false, reason: 'document has no text' };
  }
  return parsed;
}
