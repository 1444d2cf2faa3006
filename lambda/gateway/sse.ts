import type { ConverseStreamEvent, ReportedUsage } from './converse-stream';

/*
 * Server-Sent Events in OpenAI's `chat.completion.chunk` shape, from Converse stream events: what
 * the OpenAI SDKs (and LangChain, LlamaIndex, the Vercel AI SDK through them) parse when they call
 * `/v1/chat/completions` with `stream: true`.
 * https://platform.openai.com/docs/api-reference/chat-streaming/streaming
 * https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 */

/** OpenAI's `finish_reason` values the gateway sends. */
export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

/**
 * OpenAI's finish reason for a Converse stop reason. A guardrail intervention (masked or blocked)
 * is `content_filter`; a model that ran out of context stopped for length. Reasons Converse adds
 * later, and the malformed-output ones, end the message as `stop`.
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_MessageStopEvent.html
 */
export function finishReasonOf(stopReason: string): FinishReason {
  switch (stopReason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use': return 'tool_calls';
    case 'guardrail_intervened':
    case 'content_filtered':
      return 'content_filter';
    default: return 'stop';
  }
}

/** The error object OpenAI-compatible servers send (`error.message/type/code/param`). */
export interface StreamErrorBody {
  readonly message: string;
  readonly type: string;
  /** The gateway's stable code, e.g. `model_unavailable`. */
  readonly code: string;
  readonly param?: string | null;
}

/** The chunks' fixed fields. */
export interface ChunkStreamOptions {
  /** `chatcmpl-...`: the same on every chunk of one completion. */
  readonly id: string;
  /** The model name the caller asked for (the environment's name, not the Bedrock id). */
  readonly model: string;
  /** Unix seconds, the same on every chunk. */
  readonly created: number;
  /** `stream_options.include_usage`: every chunk carries `usage: null` and a last chunk the usage. */
  readonly includeUsage: boolean;
}

const frame = (data: unknown) => `data: ${JSON.stringify(data)}\n\n`;

/**
 * Turns one completion's Converse events into SSE frames: a role delta first, then content and
 * tool-call deltas (a tool call's first delta carries its `index`, `id`, `type` and `function.name`,
 * later ones argument fragments), then an empty delta with `finish_reason`; {@link end} adds the
 * usage chunk when asked for and `data: [DONE]`. A failure after the 200 ends the stream with
 * {@link error} instead: `data: {"error": {...}}` and no `[DONE]`, which the openai SDK's stream
 * parser raises as an `APIError` carrying `code`, `type` and `param` (openai/core/streaming.js,
 * `Stream.fromSSEResponse`: `if (data && data.error) throw new APIError(...)`).
 */
export class ChatCompletionChunkEncoder {
  private roleSent = false;
  /** Converse content-block index -> OpenAI tool-call index (0, 1, ... in order of appearance). */
  private readonly toolCalls = new Map<number, number>();
  private usage?: ReportedUsage;

  constructor(private readonly options: ChunkStreamOptions) {}

  /** The frames for one event: none for events with nothing to say. */
  encode(event: ConverseStreamEvent): string {
    switch (event.type) {
      case 'messageStart': return this.roleFrame();
      case 'textDelta': return event.text.length === 0 ? this.roleFrame() : this.roleFrame() + this.chunk({ content: event.text });
      case 'toolUseStart': {
        const index = this.toolCalls.size;
        this.toolCalls.set(event.index, index);
        return this.roleFrame() + this.chunk({ tool_calls: [{ index, id: event.toolUseId, type: 'function', function: { name: event.name, arguments: '' } }] });
      }
      case 'toolUseDelta': {
        const index = this.toolCalls.get(event.index);
        // Input for a block that never started as a tool use: Bedrock does not send it; nothing to attach it to.
        if (index === undefined || event.input.length === 0) return '';
        return this.chunk({ tool_calls: [{ index, function: { arguments: event.input } }] });
      }
      case 'messageStop': return this.roleFrame() + this.chunk({}, finishReasonOf(event.stopReason));
      case 'metadata': this.usage = event.usage; return '';
      case 'contentBlockStop': return '';
    }
  }

  /** The last frames of a complete stream: the usage chunk (when asked for and reported) and `[DONE]`. */
  end(): string {
    const u = this.usage;
    const usage = this.options.includeUsage && u
      ? frame({
        ...this.fixed(),
        choices: [],
        usage: {
          // OpenAI's prompt_tokens include the cached ones; Converse counts them apart.
          prompt_tokens: u.inputTokens + u.cacheReadInputTokens + u.cacheWriteInputTokens,
          completion_tokens: u.outputTokens,
          total_tokens: u.inputTokens + u.cacheReadInputTokens + u.cacheWriteInputTokens + u.outputTokens,
          prompt_tokens_details: { cached_tokens: u.cacheReadInputTokens },
        },
      })
      : '';
    return `${usage}data: [DONE]\n\n`;
  }

  /** The frame of a failure after the stream started; nothing may follow it. */
  error(body: StreamErrorBody): string {
    return frame({ error: { message: body.message, type: body.type, code: body.code, param: body.param ?? null } });
  }

  private fixed() {
    return { id: this.options.id, object: 'chat.completion.chunk', created: this.options.created, model: this.options.model };
  }

  private chunk(delta: Record<string, unknown>, finishReason: FinishReason | null = null): string {
    return frame({
      ...this.fixed(),
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      ...(this.options.includeUsage ? { usage: null } : {}),
    });
  }

  private roleFrame(): string {
    if (this.roleSent) return '';
    this.roleSent = true;
    return this.chunk({ role: 'assistant', content: '' });
  }
}
