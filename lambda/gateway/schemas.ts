import * as z from 'zod/mini';
import { type Conversation, toTurns } from './conversation';
import { GatewayError } from './errors';

/** Largest request body accepted, in bytes; larger bodies are refused before parsing. */
export const MAX_BODY_BYTES = 256 * 1024;
/** Longest retrieval query, in characters (the retrieval function's own limit). */
export const MAX_RETRIEVAL_QUERY_CHARS = 2000;
/** Largest text of one message, in characters. */
export const MAX_MESSAGE_CHARS = 64 * 1024;

const modelName = z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9.:_-]{0,127}$/));
const text = (max: number) => z.string().check(z.minLength(1), z.maxLength(max));

const intIn = (min: number, max: number) => z.int().check(z.gte(min), z.lte(max));
const unit = () => z.number().check(z.gte(0), z.lte(1));

/**
 * `POST /v1/chat`, the alias kept for callers of the gateway's first API. Unknown fields (a
 * `tenant`, say) are refused: tenancy comes from the authorizer.
 */
export const ChatRequest = z.strictObject({
  model: z.optional(modelName),
  system: z.optional(text(16 * 1024)),
  messages: z.array(z.strictObject({
    role: z.enum(['user', 'assistant']),
    content: text(MAX_MESSAGE_CHARS),
  })).check(z.minLength(1), z.maxLength(64)),
  maxTokens: z._default(intIn(1, 8192), 1024),
  temperature: z.optional(unit()),
  topP: z.optional(unit()),
  retrieval: z.optional(z.strictObject({ topK: z._default(intIn(1, 20), 5) })),
}).check(
  z.refine((request) => request.messages?.at(-1)?.role === 'user', { message: 'the last message must have role user', path: ['messages'] }),
  // With retrieval the last user message is the search query: a blank one can find nothing.
  z.refine((request) => !request.retrieval || /\S/.test(request.messages?.at(-1)?.content ?? ''), { message: 'with retrieval, the last message is the search query and must contain text', path: ['messages'] }),
);
export type ChatRequest = z.infer<typeof ChatRequest>;

/** A `/v1/chat` request as the conversation the core serves: the same core as `/v1/chat/completions`. */
export function conversationOfChat(request: ChatRequest): Conversation {
  return {
    model: request.model,
    system: request.system,
    turns: toTurns(request.messages.map((message) => ({ role: message.role, parts: [{ type: 'text', text: message.content }] }))),
    messageCount: request.messages.length,
    maxTokens: request.maxTokens,
    temperature: request.temperature,
    topP: request.topP,
    ...(request.retrieval ? { retrievalTopK: request.retrieval.topK } : {}),
  };
}

/** `POST /v1/retrieve`. */
export const RetrieveRequest = z.strictObject({
  query: text(MAX_RETRIEVAL_QUERY_CHARS).check(z.regex(/\S/)),
  topK: z._default(intIn(1, 20), 5),
});
export type RetrieveRequest = z.infer<typeof RetrieveRequest>;

const SAFE_KEY = /^[A-Za-z0-9_]{1,32}$/;

/**
 * Where an issue is, as OpenAI's `param` names a field (`messages[0].content`). An unknown field is
 * not named (its name is caller-chosen text, never echoed): `param` is the object that holds it.
 */
function paramOf(issue: z.core.$ZodIssue): string | undefined {
  const param = issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : SAFE_KEY.test(String(part)) ? `.${String(part)}` : '.<field>')).join('').replace(/^\./, '');
  return param || undefined;
}

/**
 * Where a validation problem is, naming only field names the schema knows or array indexes,
 * so that no caller-chosen text is echoed.
 */
function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : SAFE_KEY.test(String(part)) ? `.${String(part)}` : '.<field>')).join('');
  if (issue.code === 'unrecognized_keys') return `${path || 'body'}: unknown field(s); remove them (tenancy and identity come from your credentials, not the body)`;
  const what: Record<string, string> = {
    invalid_type: `expected ${'expected' in issue ? String(issue.expected) : 'another type'}`,
    too_big: 'too large',
    too_small: 'too small or empty',
    invalid_format: 'wrong format',
    invalid_value: 'not an allowed value',
    invalid_union: 'not an allowed shape',
    custom: issue.message,
  };
  return `${path.replace(/^\./, '') || 'body'}: ${what[issue.code] ?? 'invalid'}`;
}

/** Decodes and validates a JSON body of at most `maxBytes`; every failure is a 4xx {@link GatewayError}. */
export function parseBody<T>(schema: z.ZodMiniType<T>, body: unknown, isBase64Encoded = false, maxBytes = MAX_BODY_BYTES): T {
  if (body === null || body === undefined || body === '') throw GatewayError.invalid('body: a JSON object is required');
  if (typeof body !== 'string') throw GatewayError.invalid('body: must be JSON text');
  if (body.length > maxBytes * (isBase64Encoded ? 1.4 : 1)) {
    throw GatewayError.invalid(`body: larger than ${maxBytes} bytes; shorten the prompt or split the input`, 413);
  }
  const raw = isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
  if (Buffer.byteLength(raw, 'utf8') > maxBytes) {
    throw GatewayError.invalid(`body: larger than ${maxBytes} bytes; shorten the prompt or split the input`, 413);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw GatewayError.invalid('body: not valid JSON');
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    throw GatewayError.invalid(result.error.issues.slice(0, 3).map(describeIssue).join('; '), 400, paramOf(result.error.issues[0]));
  }
  return result.data;
}
