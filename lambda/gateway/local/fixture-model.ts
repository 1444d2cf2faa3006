import { createHash } from 'node:crypto';
import type { ApplyGuardrailRequest, ApplyGuardrailResponse, ContentBlock, ConverseRequest, ConverseResponse } from '@aws-sdk/client-bedrock-runtime';
import type { BedrockRuntimeApi } from '../aws';

/** The prefix of a user message that makes the fixture model call a tool: `call:<tool> <JSON arguments>`. */
export const TOOL_CALL_PREFIX = 'call:';

const tokens = (text: string) => Math.max(1, Math.ceil(Buffer.byteLength(text, 'utf8') / 4));

/** The text the caller wrote in a Converse block: plain or guard content. */
function blockText(block: ContentBlock): string {
  if (typeof block.text === 'string') return block.text;
  const guarded = block.guardContent?.text;
  return guarded && !guarded.qualifiers?.includes('grounding_source') ? guarded.text ?? '' : '';
}

const isImage = (block: ContentBlock) => block.image !== undefined || block.guardContent?.image !== undefined;

/**
 * A deterministic Bedrock stand-in for local development, answering Converse the way a model would:
 * - a last user turn of tool results answers `<tool call id> returned: <result>` for each;
 * - a user text `call:<tool> {"arg": 1}` (with that tool in `toolConfig`) answers a call of it;
 * - with `outputConfig` (response_format) it answers `{"echo": "<text>"}`;
 * - anything else answers `echo: <text>`, with `[n image(s)]` when images came.
 * Usage is a quarter of the UTF-8 bytes, at least one token. Embeddings are unit vectors derived
 * from the SHA-256 of the input, so equal inputs embed equally. The guardrail lets everything pass.
 */
export class FixtureModel implements BedrockRuntimeApi {
  async converse(input: ConverseRequest): Promise<ConverseResponse> {
    const last = input.messages?.at(-1)?.content ?? [];
    const prompt = [...(input.system ?? []).map((block) => block.text ?? ''), ...(input.messages ?? []).flatMap((m) => (m.content ?? []).map(blockText))].join('\n');
    const results = last.flatMap((block) => (block.toolResult ? [block.toolResult] : []));
    const userText = last.map(blockText).filter((text) => text.length > 0).join('\n');
    const images = last.filter(isImage).length;
    let content: ContentBlock[];
    let stopReason: ConverseResponse['stopReason'] = 'end_turn';
    const call = userText.startsWith(TOOL_CALL_PREFIX) ? /^call:([a-zA-Z0-9_-]{1,64})\s*(.*)$/s.exec(userText) : null;
    const tool = call && input.toolConfig?.tools?.some((t) => t.toolSpec?.name === call[1]) ? call : null;
    if (results.length > 0) {
      content = [{ text: results.map((r) => `${r.toolUseId} returned: ${(r.content ?? []).map((c) => c.text ?? '').join('')}`).join('\n') }];
    } else if (tool) {
      const id = `tooluse_${createHash('sha256').update(userText).digest('hex').slice(0, 16)}`;
      content = [{ toolUse: { toolUseId: id, name: tool[1], input: JSON.parse(tool[2] || '{}') } }];
      stopReason = 'tool_use';
    } else if (input.outputConfig?.textFormat) {
      content = [{ text: JSON.stringify({ echo: userText }) }];
    } else {
      content = [{ text: `echo: ${userText}${images > 0 ? ` [${images} image${images > 1 ? 's' : ''}]` : ''}` }];
    }
    const answer = content.map((block) => block.text ?? JSON.stringify(block.toolUse)).join('');
    const usage = { inputTokens: tokens(prompt) + 256 * images, outputTokens: tokens(answer) };
    return {
      output: { message: { role: 'assistant', content } },
      stopReason,
      usage: { ...usage, totalTokens: usage.inputTokens + usage.outputTokens },
      metrics: { latencyMs: 0 },
    };
  }

  async applyGuardrail(input: ApplyGuardrailRequest): Promise<ApplyGuardrailResponse> {
    return { action: 'NONE', outputs: (input.content ?? []).map((block) => ({ text: block.text?.text ?? '' })), assessments: [], usage: undefined };
  }

  async invokeModel(_modelId: string, body: unknown): Promise<unknown> {
    const { inputText, dimensions } = body as { inputText: string; dimensions: number };
    const seed = createHash('sha256').update(inputText).digest();
    const raw = Array.from({ length: dimensions }, (_, i) => seed[i % seed.length] / 255 - 0.5 + i * 1e-6);
    const norm = Math.hypot(...raw) || 1;
    return { embedding: raw.map((x) => x / norm), inputTextTokenCount: tokens(inputText) };
  }
}
