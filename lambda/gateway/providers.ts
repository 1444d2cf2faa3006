import type { ContentBlock, Message } from '@aws-sdk/client-bedrock-runtime';
import type { RetrievedChunk } from '../retrieval/core';
import type { GuardrailAction } from './audit';
import type { BedrockRuntimeApi, SageMakerRuntimeApi } from './aws';
import type { ChatTarget, EmbeddingTarget } from './config';
import type { ChatRequest } from './schemas';

/** The guardrail a call must carry. */
export interface GuardrailRef {
  readonly identifier: string;
  readonly version: string;
}

/** A model's answer, after the guardrail. */
export interface ChatResult {
  readonly text: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly guardrailAction: GuardrailAction;
}

/** The clients the providers use. */
export interface ProviderClients {
  readonly bedrock: BedrockRuntimeApi;
  readonly sagemaker: SageMakerRuntimeApi;
}

/**
 * The strongest action any guardrail assessment records: `blocked` beats `masked` beats
 * `none`. Walks the assessment tree, so new policy types are covered without code changes.
 */
export function strongestAction(assessments: unknown): GuardrailAction {
  let found: GuardrailAction = 'none';
  const visit = (value: unknown): void => {
    if (found === 'blocked' || value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) { value.forEach(visit); return; }
    for (const [key, child] of Object.entries(value)) {
      if (key === 'action' && child === 'BLOCKED') { found = 'blocked'; return; }
      if (key === 'action' && child === 'ANONYMIZED') found = 'masked';
      else visit(child);
    }
  };
  visit(assessments);
  return found;
}

/**
 * A passage the retrieval function found, with its citation; the grounding source of a chat
 * answer. The retrieval function's own type, so the contract between the two is type-checked.
 */
export type GroundingPassage = RetrievedChunk;

/**
 * Converse messages in which every user turn is guard content, so the guardrail evaluates what
 * the caller wrote (the whole history is caller-controlled) but not the system prompt. With
 * retrieval, the passages are tagged as grounding source and the question as query, which
 * drives the contextual-grounding check.
 */
export function converseMessages(request: ChatRequest, passages: readonly GroundingPassage[]): Message[] {
  return request.messages.map((message, index): Message => {
    if (message.role === 'assistant') return { role: 'assistant', content: [{ text: message.content }] };
    const isLast = index === request.messages.length - 1;
    const content: ContentBlock[] = isLast && passages.length > 0
      ? [
        { guardContent: { text: { text: passages.map((p, i) => `[${i + 1}] ${p.text}`).join('\n\n'), qualifiers: ['grounding_source'] } } },
        { guardContent: { text: { text: message.content, qualifiers: ['query'] } } },
      ]
      : [{ guardContent: { text: { text: message.content } } }];
    return { role: 'user', content };
  });
}

/** One chat call to a Bedrock model through Converse with the guardrail attached. */
export async function bedrockChat(
  clients: ProviderClients, target: ChatTarget, request: ChatRequest, passages: readonly GroundingPassage[], guardrail: GuardrailRef, signal: AbortSignal,
): Promise<ChatResult> {
  const output = await clients.bedrock.converse({
    modelId: target.target,
    messages: converseMessages(request, passages),
    system: request.system ? [{ text: request.system }] : undefined,
    inferenceConfig: { maxTokens: request.maxTokens, temperature: request.temperature, topP: request.topP },
    guardrailConfig: { guardrailIdentifier: guardrail.identifier, guardrailVersion: guardrail.version, trace: 'enabled' },
  }, signal);
  const text = (output.output?.message?.content ?? []).map((block) => block.text ?? '').join('');
  let action = strongestAction(output.trace?.guardrail);
  // An intervention without a readable trace is treated as a block: fail closed.
  if (output.stopReason === 'guardrail_intervened' && action === 'none') action = 'blocked';
  return { text, inputTokens: output.usage?.inputTokens ?? 0, outputTokens: output.usage?.outputTokens ?? 0, guardrailAction: action };
}

/** ApplyGuardrail on one text; returns the action and the (possibly masked) text. */
async function applyGuardrail(
  clients: ProviderClients, guardrail: GuardrailRef, source: 'INPUT' | 'OUTPUT', text: string, signal: AbortSignal,
): Promise<{ action: GuardrailAction; text: string }> {
  const result = await clients.bedrock.applyGuardrail({
    guardrailIdentifier: guardrail.identifier,
    guardrailVersion: guardrail.version,
    source,
    content: [{ text: { text } }],
  }, signal);
  let action = strongestAction(result.assessments);
  if (result.action === 'GUARDRAIL_INTERVENED' && action === 'none') action = 'blocked';
  const masked = (result.outputs ?? []).map((o) => o.text ?? '').join('');
  return { action, text: action === 'masked' && masked ? masked : text };
}

const stronger = (a: GuardrailAction, b: GuardrailAction): GuardrailAction => (a === 'blocked' || b === 'blocked' ? 'blocked' : a === 'masked' || b === 'masked' ? 'masked' : 'none');

/**
 * One chat call to a self-hosted SageMaker endpoint (OpenAI-compatible messages API, as served
 * by the LMI and TGI containers). Such endpoints have no native guardrail, so ApplyGuardrail
 * runs on the caller's input before and on the answer after.
 */
export async function sagemakerChat(
  clients: ProviderClients, target: ChatTarget, request: ChatRequest, passages: readonly GroundingPassage[], guardrail: GuardrailRef, signal: AbortSignal,
): Promise<ChatResult> {
  const userTurns = request.messages.filter((m) => m.role === 'user').map((m) => m.content).join('\n\n');
  const input = await applyGuardrail(clients, guardrail, 'INPUT', userTurns, signal);
  if (input.action === 'blocked') return { text: '', inputTokens: 0, outputTokens: 0, guardrailAction: 'blocked' };
  const messages = request.messages.map((m) => ({ role: m.role, content: m.content }));
  if (input.action === 'masked') {
    // The masked text replaces the caller's turns; earlier assistant turns stay for context.
    const assistants = messages.filter((m) => m.role === 'assistant');
    messages.splice(0, messages.length, ...assistants, { role: 'user', content: input.text });
  }
  if (passages.length > 0) {
    messages[messages.length - 1] = { role: 'user', content: `Sources:\n${passages.map((p, i) => `[${i + 1}] ${p.text}`).join('\n\n')}\n\nQuestion: ${messages[messages.length - 1].content}` };
  }
  const body = await clients.sagemaker.invokeEndpoint(target.target, {
    messages: [...(request.system ? [{ role: 'system', content: request.system }] : []), ...messages],
    max_tokens: request.maxTokens,
    temperature: request.temperature,
    top_p: request.topP,
  }, signal) as {
    choices?: Array<{ message?: { content?: string } }>;
    usage?: { prompt_tokens?: number; completion_tokens?: number };
  };
  const answer = body.choices?.[0]?.message?.content ?? '';
  const output = await applyGuardrail(clients, guardrail, 'OUTPUT', answer, signal);
  return {
    text: output.action === 'blocked' ? '' : output.text,
    inputTokens: body.usage?.prompt_tokens ?? 0,
    outputTokens: body.usage?.completion_tokens ?? 0,
    guardrailAction: stronger(input.action, output.action),
  };
}

/** Embeddings of `inputs` from an Amazon Titan text-embedding model, one call per input. */
export async function titanEmbeddings(
  clients: ProviderClients, target: EmbeddingTarget, inputs: readonly string[], dimensions: number, signal: AbortSignal,
): Promise<{ embeddings: number[][]; inputTokens: number }> {
  const results = await Promise.all(inputs.map(async (inputText) => {
    return await clients.bedrock.invokeModel(target.target, { inputText, dimensions, normalize: true }, signal) as { embedding: number[]; inputTextTokenCount?: number };
  }));
  return { embeddings: results.map((r) => r.embedding), inputTokens: results.reduce((sum, r) => sum + (r.inputTextTokenCount ?? 0), 0) };
}
