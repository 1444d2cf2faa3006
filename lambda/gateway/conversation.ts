import type { ContentBlock, ConverseRequest, Message, Tool } from '@aws-sdk/client-bedrock-runtime';

/*
 * The one chat request the core serves, whichever API it came through (`/v1/chat/completions`,
 * or its alias `/v1/chat`): both edges parse into a {@link Conversation}, and the budget, the
 * guardrail, routing and audit see only this.
 */

/** Image formats Converse takes (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ImageBlock.html). */
export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'webp';

/** One piece of a turn. */
export type TurnPart =
  | { readonly type: 'text'; readonly text: string }
  /** `base64` is the image as the caller sent it; `bytes` its decoded size. */
  | { readonly type: 'image'; readonly format: ImageFormat; readonly base64: string; readonly bytes: number }
  | { readonly type: 'tool_call'; readonly id: string; readonly name: string; readonly input: Record<string, unknown> }
  | { readonly type: 'tool_result'; readonly toolCallId: string; readonly text: string };

/** Consecutive caller messages of one role, merged: Converse wants user and assistant turns to alternate. */
export interface Turn {
  readonly role: 'user' | 'assistant';
  readonly parts: readonly TurnPart[];
}

/** A function the model may call. */
export interface ToolSpec {
  readonly name: string;
  readonly description?: string;
  /** JSON Schema of the arguments. */
  readonly parameters: Record<string, unknown>;
}

/** Whether the model may, must, or must call one named tool. */
export type ToolChoice = { readonly mode: 'auto' } | { readonly mode: 'required' } | { readonly mode: 'tool'; readonly name: string };

/** An answer constrained to a JSON Schema (Converse structured output). */
export interface JsonAnswer {
  readonly name: string;
  readonly schema: Record<string, unknown>;
}

/** A chat request, validated, in the gateway's own terms. */
export interface Conversation {
  readonly model?: string;
  readonly system?: string;
  readonly turns: readonly Turn[];
  /** Messages the caller sent (before merging), for the chat-template allowance of the reservation. */
  readonly messageCount: number;
  readonly maxTokens: number;
  readonly temperature?: number;
  readonly topP?: number;
  readonly stop?: readonly string[];
  readonly tools?: readonly ToolSpec[];
  readonly toolChoice?: ToolChoice;
  readonly jsonAnswer?: JsonAnswer;
  /** Passages to retrieve for the last user turn (the retrieval extension). */
  readonly retrievalTopK?: number;
}

/** A call the model asked for, its arguments as the model produced them. */
export interface ToolCall {
  readonly id: string;
  readonly name: string;
  readonly input: unknown;
}

/** Why the model stopped, in OpenAI's terms (https://platform.openai.com/docs/api-reference/chat/object). */
export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

/**
 * Converse's stop reasons mapped to OpenAI's finish reasons
 * (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html#API_runtime_Converse_ResponseSyntax).
 */
export function finishReasonOf(stopReason: unknown): FinishReason {
  switch (stopReason) {
    case 'tool_use': return 'tool_calls';
    case 'max_tokens': case 'model_context_window_exceeded': return 'length';
    case 'guardrail_intervened': case 'content_filtered': return 'content_filter';
    default: return 'stop';
  }
}

/** The text of a turn's text parts, joined by blank lines. */
export function turnText(turn: Turn | undefined): string {
  return (turn?.parts ?? []).flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('\n\n');
}

/** Whether a turn calls a tool or answers a call: Converse then needs the tool configuration. */
export function hasToolTurns(turns: readonly Turn[]): boolean {
  return turns.some((turn) => turn.parts.some((part) => part.type === 'tool_call' || part.type === 'tool_result'));
}

/** Whether the request needs what only Converse offers here: images, tools or structured output. */
export function needsConverse(conversation: Conversation): boolean {
  return conversation.tools !== undefined || conversation.jsonAnswer !== undefined
    || conversation.turns.some((turn) => turn.parts.some((part) => part.type !== 'text'));
}

/** Merges consecutive messages of one role into one turn. */
export function toTurns(messages: ReadonlyArray<{ readonly role: 'user' | 'assistant'; readonly parts: readonly TurnPart[] }>): Turn[] {
  const turns: Array<{ role: 'user' | 'assistant'; parts: TurnPart[] }> = [];
  for (const message of messages) {
    const last = turns.at(-1);
    if (last && last.role === message.role) last.parts.push(...message.parts);
    else turns.push({ role: message.role, parts: [...message.parts] });
  }
  return turns;
}

/** Passage text as the model sees it, numbered so that `[n]` in the answer cites passage n. */
export interface Grounding {
  readonly passages: string;
}

/**
 * The Converse content of one turn. Every user text and every PNG or JPEG image is guard content,
 * so the guardrail evaluates all the caller wrote (the whole history is caller-controlled) but not
 * the system prompt; GIF and WebP images are plain image blocks, since guard content takes only
 * PNG and JPEG (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_GuardrailConverseImageBlock.html).
 * Tool results and tool calls are not evaluated by the guardrail
 * (https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-use-converse-api.html).
 * With passages, the last user turn's text is the `query` and the passages its `grounding_source`.
 */
function converseContent(turn: Turn, grounding: Grounding | undefined): ContentBlock[] {
  const blocks: ContentBlock[] = [];
  if (grounding) blocks.push({ guardContent: { text: { text: grounding.passages, qualifiers: ['grounding_source'] } } });
  for (const part of turn.parts) {
    switch (part.type) {
      case 'text':
        if (turn.role === 'assistant') blocks.push({ text: part.text });
        else blocks.push({ guardContent: { text: grounding ? { text: part.text, qualifiers: ['query'] } : { text: part.text } } });
        break;
      case 'image': {
        // restJson1 sends blobs as base64 text: the caller's base64 goes as it is, never decoded and re-encoded.
        const bytes = part.base64 as unknown as Uint8Array;
        if (part.format === 'png' || part.format === 'jpeg') blocks.push({ guardContent: { image: { format: part.format, source: { bytes } } } });
        else blocks.push({ image: { format: part.format, source: { bytes } } });
        break;
      }
      case 'tool_call':
        blocks.push({ toolUse: { toolUseId: part.id, name: part.name, input: part.input as never } });
        break;
      case 'tool_result':
        blocks.push({ toolResult: { toolUseId: part.toolCallId, content: [{ text: part.text }] } });
        break;
    }
  }
  return blocks;
}

/** The Converse messages of a conversation; the grounding goes to the last turn (a user turn). */
export function converseMessages(conversation: Conversation, grounding?: Grounding): Message[] {
  const last = conversation.turns.length - 1;
  return conversation.turns.map((turn, index) => ({ role: turn.role, content: converseContent(turn, index === last ? grounding : undefined) }));
}

/**
 * Whether a Bedrock model (or inference profile) takes Converse cache points: Claude 3.7 Sonnet,
 * 3.5 Haiku and the Claude 4 families, and Amazon Nova. A cache point before the model's minimum
 * prefix length is ignored, the call still succeeds.
 * https://docs.aws.amazon.com/bedrock/latest/userguide/prompt-caching.html
 */
export function supportsPromptCaching(modelId: string): boolean {
  return /(^|\.)anthropic\.claude-(3-7-sonnet|3-5-haiku|sonnet-4|opus-4|haiku-4)/.test(modelId) || /(^|\.)amazon\.nova-(micro|lite|pro|premier)/.test(modelId);
}

const CACHE_POINT: ContentBlock = { cachePoint: { type: 'default' } };

/**
 * The Converse request of a conversation, without model id and guardrail. With `cache`, cache points
 * follow the system prompt and the retrieved passages: both repeat across a tenant's requests.
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
 * https://docs.aws.amazon.com/bedrock/latest/userguide/tool-use.html
 * https://docs.aws.amazon.com/bedrock/latest/userguide/structured-output.html
 */
export function converseRequest(conversation: Conversation, grounding?: Grounding, cache = false): Omit<ConverseRequest, 'modelId' | 'guardrailConfig'> {
  const { tools, toolChoice, jsonAnswer } = conversation;
  const messages = converseMessages(conversation, grounding);
  if (cache && grounding) messages.at(-1)!.content!.splice(1, 0, CACHE_POINT);
  return {
    messages,
    system: conversation.system ? [{ text: conversation.system }, ...(cache ? [{ cachePoint: { type: 'default' as const } }] : [])] : undefined,
    inferenceConfig: {
      maxTokens: conversation.maxTokens,
      temperature: conversation.temperature,
      topP: conversation.topP,
      ...(conversation.stop?.length ? { stopSequences: [...conversation.stop] } : {}),
    },
    ...(tools?.length
      ? {
        toolConfig: {
          tools: tools.map((tool): Tool => ({ toolSpec: { name: tool.name, description: tool.description, inputSchema: { json: tool.parameters as never } } })),
          ...(toolChoice?.mode === 'required' ? { toolChoice: { any: {} } } : toolChoice?.mode === 'tool' ? { toolChoice: { tool: { name: toolChoice.name } } } : {}),
        },
      }
      : {}),
    ...(jsonAnswer ? { outputConfig: { textFormat: { type: 'json_schema', structure: { jsonSchema: { name: jsonAnswer.name, schema: JSON.stringify(jsonAnswer.schema) } } } } } : {}),
  };
}
