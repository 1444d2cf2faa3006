import * as z from 'zod/mini';
import type { Conversation, FinishReason, ImageFormat, JsonAnswer, ToolCall, ToolChoice, ToolSpec, TurnPart } from './conversation';
import { hasToolTurns, toTurns } from './conversation';
import { GatewayError } from './errors';
import { MAX_MESSAGE_CHARS } from './schemas';

/*
 * The OpenAI Chat Completions, Embeddings and Models shapes
 * (https://platform.openai.com/docs/api-reference/chat/create), parsed at the edge into the
 * gateway's own {@link Conversation}, and the answers shaped back. Nothing here calls anything.
 */

/** Largest `/v1/chat/completions` body, in bytes: images travel inline, and Lambda takes at most 6 MB per synchronous request. */
export const MAX_CHAT_COMPLETIONS_BODY_BYTES = 5 * 1024 * 1024;
/** Converse takes at most 20 images, each at most 3.75 MB (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Message.html). */
export const MAX_IMAGES = 20;
export const MAX_IMAGE_BYTES = 3_750_000;
/** Messages of one request. */
export const MAX_MESSAGES = 256;

const opt = <T extends z.ZodMiniType>(type: T) => z.optional(z.nullable(type));
const text = (max: number) => z.string().check(z.maxLength(max));
const modelName = z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9.:_-]{0,127}$/));
// Converse's tool name and tool-use id patterns (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ToolSpecification.html, API_runtime_ToolUseBlock.html).
const toolName = z.string().check(z.regex(/^[a-zA-Z0-9_-]{1,64}$/));
const toolCallId = z.string().check(z.regex(/^[a-zA-Z0-9_-]{1,64}$/));

const TextPart = z.strictObject({ type: z.literal('text'), text: text(MAX_MESSAGE_CHARS) });
const ImagePart = z.strictObject({
  type: z.literal('image_url'),
  image_url: z.strictObject({ url: z.string(), detail: opt(z.enum(['auto', 'low', 'high'])) }),
});
const textContent = z.union([text(MAX_MESSAGE_CHARS), z.array(TextPart).check(z.maxLength(64))]);

const SystemMessage = z.strictObject({ role: z.enum(['system', 'developer']), content: textContent, name: opt(z.string()) });
const UserMessage = z.strictObject({ role: z.literal('user'), content: z.union([text(MAX_MESSAGE_CHARS), z.array(z.union([TextPart, ImagePart])).check(z.maxLength(64))]), name: opt(z.string()) });
const AssistantMessage = z.strictObject({
  role: z.literal('assistant'),
  content: opt(textContent),
  name: opt(z.string()),
  refusal: opt(z.string()),
  tool_calls: opt(z.array(z.strictObject({
    id: toolCallId,
    type: z.literal('function'),
    function: z.strictObject({ name: toolName, arguments: text(MAX_MESSAGE_CHARS) }),
  })).check(z.maxLength(64))),
});
const ToolMessage = z.strictObject({ role: z.literal('tool'), content: textContent, tool_call_id: toolCallId });

const Tool = z.strictObject({
  type: z.literal('function'),
  function: z.strictObject({
    name: toolName,
    description: opt(text(4096)),
    parameters: opt(z.record(z.string(), z.unknown())),
    strict: opt(z.boolean()),
  }),
});

const ResponseFormat = z.union([
  z.strictObject({ type: z.literal('text') }),
  z.strictObject({ type: z.literal('json_object') }),
  z.strictObject({
    type: z.literal('json_schema'),
    json_schema: z.strictObject({ name: toolName, description: opt(text(4096)), schema: opt(z.record(z.string(), z.unknown())), strict: opt(z.boolean()) }),
  }),
]);

const zeroOrNull = opt(z.literal(0));

/**
 * `POST /v1/chat/completions`. Honoured: `model`, `messages`, `max_completion_tokens` /
 * `max_tokens`, `temperature`, `top_p`, `stop`, `n` (1), `stream` (false), `tools`, `tool_choice`,
 * `response_format`, and the `retrieval` extension. Accepted and ignored, since they change
 * nothing a Bedrock model does or the gateway decides: `user` (the tenant comes from the
 * credentials), `seed`, `store`, `metadata`, `parallel_tool_calls`, `service_tier`,
 * `prompt_cache_key`, `prompt_cache_retention`, `safety_identifier`, `logit_bias`, `stream_options`,
 * and `frequency_penalty`, `presence_penalty`, `logprobs`, `top_logprobs` at their neutral values
 * (0, false). Every other field is refused, as OpenAI refuses an unrecognized argument.
 */
export const ChatCompletionsRequest = z.strictObject({
  model: opt(modelName),
  messages: z.array(z.discriminatedUnion('role', [SystemMessage, UserMessage, AssistantMessage, ToolMessage])).check(z.minLength(1), z.maxLength(MAX_MESSAGES)),
  max_completion_tokens: opt(z.int().check(z.gte(1), z.lte(8192))),
  max_tokens: opt(z.int().check(z.gte(1), z.lte(8192))),
  // Bedrock's chat models take 0-1 (OpenAI's 0-2 would be refused by the model).
  temperature: opt(z.number().check(z.gte(0), z.lte(1))),
  top_p: opt(z.number().check(z.gte(0), z.lte(1))),
  stop: opt(z.union([text(256), z.array(text(256)).check(z.maxLength(4))])),
  n: opt(z.literal(1)),
  stream: opt(z.boolean()),
  stream_options: opt(z.record(z.string(), z.unknown())),
  tools: opt(z.array(Tool).check(z.maxLength(128))),
  tool_choice: opt(z.union([
    z.enum(['none', 'auto', 'required']),
    z.strictObject({ type: z.literal('function'), function: z.strictObject({ name: toolName }) }),
  ])),
  response_format: opt(ResponseFormat),
  retrieval: opt(z.strictObject({ topK: z._default(z.int().check(z.gte(1), z.lte(20)), 5) })),
  user: opt(z.string()),
  seed: opt(z.int()),
  store: opt(z.boolean()),
  metadata: opt(z.record(z.string(), z.string())),
  parallel_tool_calls: opt(z.boolean()),
  service_tier: opt(z.string()),
  prompt_cache_key: opt(z.string()),
  prompt_cache_retention: opt(z.string()),
  safety_identifier: opt(z.string()),
  logit_bias: opt(z.record(z.string(), z.number())),
  frequency_penalty: zeroOrNull,
  presence_penalty: zeroOrNull,
  logprobs: opt(z.literal(false)),
  top_logprobs: zeroOrNull,
});
export type ChatCompletionsRequest = z.infer<typeof ChatCompletionsRequest>;

/**
 * The one place that answers `stream: true`: streaming is not served yet, and a caller that asked
 * for it must not receive a non-streamed answer it cannot parse.
 */
function refuseStreaming(): never {
  throw GatewayError.invalid('stream: streaming is not available on this gateway yet; send stream: false (or omit it)', 400, 'stream');
}

const FORMATS: Record<string, ImageFormat> = { png: 'png', jpeg: 'jpeg', jpg: 'jpeg', gif: 'gif', webp: 'webp' };
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Whether the decoded bytes start the way the declared format does (its file signature). */
function hasSignature(format: ImageFormat, head: Buffer): boolean {
  switch (format) {
    case 'png': return head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    case 'jpeg': return head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff;
    case 'gif': return head.subarray(0, 4).toString('latin1') === 'GIF8';
    case 'webp': return head.subarray(0, 4).toString('latin1') === 'RIFF' && head.subarray(8, 12).toString('latin1') === 'WEBP';
  }
}

/**
 * An `image_url` part as a Converse image. Only `data:` URLs: fetching a remote URL would send the
 * gateway, inside the residency zone, to wherever the caller points it.
 */
export function imagePart(url: string, param: string): TurnPart {
  if (!url.startsWith('data:')) {
    throw GatewayError.invalid(`${param}: only data: URLs are accepted (data:image/png;base64,...); the gateway does not fetch remote images`, 400, param);
  }
  const comma = url.indexOf(',');
  const header = /^data:image\/([a-z]+);base64$/.exec(url.slice(0, comma < 0 ? 0 : comma));
  const format = header ? FORMATS[header[1]] : undefined;
  if (!format) throw GatewayError.invalid(`${param}: expected data:image/<png|jpeg|gif|webp>;base64,<data>`, 400, param);
  const base64 = url.slice(comma + 1);
  if (base64.length === 0 || base64.length % 4 !== 0 || !BASE64.test(base64)) throw GatewayError.invalid(`${param}: the image data is not valid base64`, 400, param);
  const bytes = base64.length / 4 * 3 - (base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0);
  if (bytes > MAX_IMAGE_BYTES) throw GatewayError.invalid(`${param}: the image is larger than ${MAX_IMAGE_BYTES} bytes, the model's limit; scale it down`, 400, param);
  if (!hasSignature(format, Buffer.from(base64.slice(0, 16), 'base64'))) throw GatewayError.invalid(`${param}: the data is not a ${format} image`, 400, param);
  return { type: 'image', format, base64, bytes };
}

/** The non-empty texts of a string or text-part content. */
const textsOf = (content: string | ReadonlyArray<{ text: string }>): string[] => (typeof content === 'string' ? [content] : content.map((part) => part.text)).filter((t) => t.length > 0);
const texts = (content: string | ReadonlyArray<{ text: string }>): TurnPart[] => textsOf(content).map((t) => ({ type: 'text', text: t }));

function toolArguments(raw: string, param: string): Record<string, unknown> {
  let input: unknown;
  try {
    input = JSON.parse(raw === '' ? '{}' : raw);
  } catch {
    throw GatewayError.invalid(`${param}: not valid JSON; send the arguments the model produced`, 400, param);
  }
  if (input === null || typeof input !== 'object' || Array.isArray(input)) throw GatewayError.invalid(`${param}: must be a JSON object`, 400, param);
  return input as Record<string, unknown>;
}

function jsonAnswerOf(format: ChatCompletionsRequest['response_format']): JsonAnswer | undefined {
  if (!format || format.type === 'text') return undefined;
  if (format.type === 'json_object') return { name: 'json_object', schema: { type: 'object' } };
  return { name: format.json_schema.name, schema: format.json_schema.schema ?? { type: 'object' } };
}

/**
 * A Chat Completions request as a {@link Conversation}: system and developer messages, in order,
 * become the system prompt; consecutive messages of one role one turn; `tool` messages tool
 * results in a user turn.
 * @throws GatewayError `invalid_request` naming the field for what the gateway cannot serve
 */
export function conversationOf(request: ChatCompletionsRequest): Conversation {
  if (request.stream) refuseStreaming();
  const system: string[] = [];
  const messages: Array<{ role: 'user' | 'assistant'; parts: TurnPart[] }> = [];
  let images = 0;
  request.messages.forEach((message, index) => {
    const param = `messages[${index}]`;
    switch (message.role) {
      case 'system': case 'developer':
        system.push(...textsOf(message.content));
        break;
      case 'user': {
        const content = typeof message.content === 'string' ? [{ type: 'text' as const, text: message.content }] : message.content;
        const parts = content.flatMap((part, p): TurnPart[] => {
          if (part.type === 'text') return part.text.length > 0 ? [{ type: 'text', text: part.text }] : [];
          images++;
          return [imagePart(part.image_url.url, `${param}.content[${p}].image_url.url`)];
        });
        if (parts.length === 0) throw GatewayError.invalid(`${param}.content: empty; send text or an image`, 400, `${param}.content`);
        messages.push({ role: 'user', parts });
        break;
      }
      case 'assistant': {
        const parts: TurnPart[] = [
          ...(message.content ? texts(message.content) : []),
          ...(message.tool_calls ?? []).map((call, c): TurnPart => ({
            type: 'tool_call', id: call.id, name: call.function.name, input: toolArguments(call.function.arguments, `${param}.tool_calls[${c}].function.arguments`),
          })),
        ];
        if (parts.length === 0) throw GatewayError.invalid(`${param}: an assistant message needs content or tool_calls`, 400, param);
        messages.push({ role: 'assistant', parts });
        break;
      }
      case 'tool':
        messages.push({ role: 'user', parts: [{ type: 'tool_result', toolCallId: message.tool_call_id, text: textsOf(message.content).join('\n\n') }] });
        break;
    }
  });
  if (images > MAX_IMAGES) throw GatewayError.invalid(`messages: ${images} images; the models take at most ${MAX_IMAGES} per request`, 400, 'messages');
  if (messages.length === 0) throw GatewayError.invalid('messages: at least one user message is required', 400, 'messages');
  if (messages.at(-1)!.role !== 'user') throw GatewayError.invalid('messages: the last message must have role user or tool', 400, 'messages');
  const turns = toTurns(messages);

  const choice = request.tool_choice;
  const tools: ToolSpec[] | undefined = choice === 'none' ? undefined : request.tools?.map((tool) => ({
    name: tool.function.name,
    ...(tool.function.description ? { description: tool.function.description } : {}),
    parameters: tool.function.parameters ?? { type: 'object', properties: {} },
  }));
  if (hasToolTurns(turns) && !tools?.length) {
    throw GatewayError.invalid('tools: the conversation has tool calls, so the model needs the tools (send them again, with tool_choice auto, required or a function)', 400, 'tools');
  }
  if (choice && choice !== 'none' && !tools?.length) throw GatewayError.invalid('tool_choice: given without tools', 400, 'tool_choice');
  const toolChoice: ToolChoice | undefined = choice === 'required' ? { mode: 'required' }
    : typeof choice === 'object' && choice ? { mode: 'tool', name: choice.function.name }
      : tools ? { mode: 'auto' } : undefined;
  if (toolChoice?.mode === 'tool' && !tools!.some((tool) => tool.name === toolChoice.name)) {
    throw GatewayError.invalid('tool_choice: names a function that is not in tools', 400, 'tool_choice.function.name');
  }
  const jsonAnswer = jsonAnswerOf(request.response_format);
  if (request.retrieval && !/\S/.test(turns.at(-1)!.parts.map((part) => (part.type === 'text' ? part.text : '')).join(''))) {
    throw GatewayError.invalid('messages: with retrieval, the last message is the search query and must contain text', 400, 'messages');
  }
  return {
    model: request.model ?? undefined,
    system: system.length > 0 ? system.join('\n\n') : undefined,
    turns,
    messageCount: request.messages.length,
    maxTokens: request.max_completion_tokens ?? request.max_tokens ?? 1024,
    temperature: request.temperature ?? undefined,
    topP: request.top_p ?? undefined,
    stop: typeof request.stop === 'string' ? [request.stop] : request.stop ?? undefined,
    ...(tools ? { tools, toolChoice } : {}),
    ...(jsonAnswer ? { jsonAnswer } : {}),
    ...(request.retrieval ? { retrievalTopK: request.retrieval.topK } : {}),
  };
}

/** The assistant message of a completion; a structured answer is its text, tool calls with their arguments as JSON text. */
export function completionMessage(answer: string, toolCalls: readonly ToolCall[]) {
  return {
    role: 'assistant' as const,
    content: answer.length > 0 || toolCalls.length === 0 ? answer : null,
    refusal: null,
    ...(toolCalls.length > 0
      ? { tool_calls: toolCalls.map((call) => ({ id: call.id, type: 'function' as const, function: { name: call.name, arguments: JSON.stringify(call.input ?? {}) } })) }
      : {}),
  };
}

/** A `chat.completion` object (https://platform.openai.com/docs/api-reference/chat/object). */
export function chatCompletion(options: {
  readonly requestId: string; readonly createdMs: number; readonly model: string; readonly text: string; readonly toolCalls: readonly ToolCall[];
  readonly finishReason: FinishReason; readonly inputTokens: number; readonly outputTokens: number;
  readonly cacheReadTokens: number; readonly cacheWriteTokens: number; readonly extensions: Record<string, unknown>;
}) {
  // OpenAI's prompt_tokens include the cached ones; Converse counts them apart.
  const promptTokens = options.inputTokens + options.cacheReadTokens + options.cacheWriteTokens;
  return {
    id: `chatcmpl-${options.requestId}`,
    object: 'chat.completion',
    created: Math.floor(options.createdMs / 1000),
    model: options.model,
    choices: [{ index: 0, message: completionMessage(options.text, options.toolCalls), logprobs: null, finish_reason: options.finishReason }],
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: options.outputTokens,
      total_tokens: promptTokens + options.outputTokens,
      prompt_tokens_details: { cached_tokens: options.cacheReadTokens },
      cache_write_tokens: options.cacheWriteTokens,
    },
    ...options.extensions,
  };
}

/** `POST /v1/embeddings` (https://platform.openai.com/docs/api-reference/embeddings/create). Token-array inputs are refused. */
export const EmbeddingsRequest = z.strictObject({
  model: opt(modelName),
  input: z.union([text(32 * 1024).check(z.minLength(1)), z.array(text(32 * 1024).check(z.minLength(1))).check(z.minLength(1), z.maxLength(16))]),
  dimensions: z._default(z.union([z.literal(256), z.literal(512), z.literal(1024)]), 1024),
  encoding_format: z._default(z.enum(['float', 'base64']), 'float'),
  user: opt(z.string()),
});
export type EmbeddingsRequest = z.infer<typeof EmbeddingsRequest>;

/** A vector as OpenAI's `base64` encoding: the little-endian float32 array, base64. */
export function base64Embedding(vector: readonly number[]): string {
  const buffer = Buffer.alloc(vector.length * 4);
  vector.forEach((value, index) => buffer.writeFloatLE(value, index * 4));
  return buffer.toString('base64');
}

/** The OpenAI error `type` of a status, which SDKs show next to the message. */
function errorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** OpenAI's error object, carrying the gateway's stable code (https://platform.openai.com/docs/guides/error-codes). */
export function errorBody(error: GatewayError, requestId: string) {
  return { error: { message: error.message, type: errorType(error.status), param: error.param ?? null, code: error.code, requestId } };
}
