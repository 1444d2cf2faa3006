import type { GuardrailContentBlock } from '@aws-sdk/client-bedrock-runtime';
import { AwsApiError } from '../shared/aws-http';
import type { RetrievedChunk } from '../retrieval/core';
import type { GuardrailAction } from './audit';
import type { BedrockRuntimeApi, SageMakerRuntimeApi } from './aws';
import type { ChatTarget, EmbeddingTarget } from './config';
import { type Conversation, converseRequest, type FinishReason, finishReasonOf, supportsPromptCaching, type ToolCall, turnText } from './conversation';

/** The guardrail a call must carry. */
export interface GuardrailRef {
  readonly identifier: string;
  readonly version: string;
}

/** A value the guardrail's sensitive-information policy found, and its type (`EMAIL`, or a regex's name). */
export interface SensitiveMatch {
  readonly match: string;
  readonly type: string;
}

/** A model's answer, after the guardrail. */
export interface ChatResult {
  readonly text: string;
  /** The tools the model asked to call (Converse `toolUse` blocks). */
  readonly toolCalls: readonly ToolCall[];
  readonly finishReason: FinishReason;
  /** Input tokens outside the prompt cache. */
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Prompt tokens read from, and written to, the prompt cache (Converse `cacheReadInputTokens`, `cacheWriteInputTokens`). */
  readonly cacheReadTokens: number;
  readonly cacheWriteTokens: number;
  /** Whether the model reported its usage; when it did not, the gateway charges the whole reservation. */
  readonly usageReported: boolean;
  readonly guardrailAction: GuardrailAction;
  /** What the guardrail's sensitive-information policy detected in the prompt or the answer. */
  readonly sensitive: readonly SensitiveMatch[];
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
 * Every value the guardrail's sensitive-information policy matched (PII entities and custom
 * regexes, input and output assessments), so that content capture can remove exactly what the
 * guardrail recognised before the backstop detector runs.
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_GuardrailSensitiveInformationPolicyAssessment.html
 */
export function sensitiveMatches(assessments: unknown): SensitiveMatch[] {
  const found: SensitiveMatch[] = [];
  const visit = (value: unknown, inPolicy: boolean): void => {
    if (value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) { value.forEach((child) => visit(child, inPolicy)); return; }
    const record = value as Record<string, unknown>;
    if (inPolicy && typeof record.match === 'string' && record.match.length > 0) {
      found.push({ match: record.match, type: String(record.type ?? record.name ?? 'SENSITIVE').replace(/[^A-Za-z0-9_]/g, '_').toUpperCase() });
    }
    for (const [key, child] of Object.entries(record)) visit(child, inPolicy || key === 'sensitiveInformationPolicy');
  };
  visit(assessments, false);
  return found;
}

/** A provider answered 200 with a body that is not the operation's shape: transient, like a 5xx. */
function malformed(what: string): AwsApiError {
  return new AwsApiError('MalformedResponseError', `${what} answered without the expected fields`, undefined);
}

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);
const count = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined);

/**
 * A passage the retrieval function found, with its citation; the grounding source of a chat
 * answer. The retrieval function's own type, so the contract between the two is type-checked.
 */
export type GroundingPassage = RetrievedChunk;

/** One chat call to a Bedrock model through Converse with the guardrail attached. */
export async function bedrockChat(
  clients: ProviderClients, target: ChatTarget, conversation: Conversation, passages: readonly GroundingPassage[], guardrail: GuardrailRef, signal: AbortSignal,
): Promise<ChatResult> {
  const output = await clients.bedrock.converse({
    modelId: target.target,
    ...converseRequest(conversation, passages.length > 0 ? { passages: numberedPassages(passages) } : undefined, supportsPromptCaching(target.target)),
    guardrailConfig: { guardrailIdentifier: guardrail.identifier, guardrailVersion: guardrail.version, trace: 'enabled' },
  }, signal);
  const content = isRecord(output) && isRecord(output.output) && isRecord(output.output.message) ? output.output.message.content : undefined;
  if (!Array.isArray(content)) throw malformed('Converse');
  const text = content.map((block) => (isRecord(block) && typeof block.text === 'string' ? block.text : '')).join('');
  const toolCalls = content.flatMap((block): ToolCall[] => {
    const use = isRecord(block) && isRecord(block.toolUse) ? block.toolUse : undefined;
    return use && typeof use.toolUseId === 'string' && typeof use.name === 'string' ? [{ id: use.toolUseId, name: use.name, input: use.input }] : [];
  });
  let action = strongestAction(output.trace?.guardrail);
  // An intervention without a readable trace is treated as a block: fail closed.
  if (output.stopReason === 'guardrail_intervened' && action === 'none') action = 'blocked';
  const inputTokens = count(output.usage?.inputTokens);
  const outputTokens = count(output.usage?.outputTokens);
  return {
    text,
    toolCalls,
    cacheReadTokens: count(output.usage?.cacheReadInputTokens) ?? 0,
    cacheWriteTokens: count(output.usage?.cacheWriteInputTokens) ?? 0,
    finishReason: finishReasonOf(output.stopReason),
    inputTokens: inputTokens ?? 0,
    outputTokens: outputTokens ?? 0,
    usageReported: inputTokens !== undefined && outputTokens !== undefined,
    guardrailAction: action,
    sensitive: sensitiveMatches(output.trace?.guardrail),
  };
}

/**
 * ApplyGuardrail on the caller's text (INPUT) or the model's answer (OUTPUT); returns the action
 * and the (possibly masked) text. An answer to a question with passages is sent with the
 * passages as `grounding_source` and the question as `query`, and the answer as `guard_content`:
 * without those qualifiers the contextual-grounding check does not run.
 * https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-contextual-grounding-check.html
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_GuardrailTextBlock.html
 */
async function applyGuardrail(
  clients: ProviderClients, guardrail: GuardrailRef, source: 'INPUT' | 'OUTPUT', text: string, signal: AbortSignal,
  grounding?: { readonly passages: string; readonly query: string },
): Promise<{ action: GuardrailAction; text: string; sensitive: SensitiveMatch[] }> {
  const content: GuardrailContentBlock[] = grounding
    ? [
      { text: { text: grounding.passages, qualifiers: ['grounding_source'] } },
      { text: { text: grounding.query, qualifiers: ['query'] } },
      { text: { text, qualifiers: ['guard_content'] } },
    ]
    : [{ text: { text } }];
  const result = await clients.bedrock.applyGuardrail({ guardrailIdentifier: guardrail.identifier, guardrailVersion: guardrail.version, source, content }, signal);
  if (!isRecord(result) || typeof result.action !== 'string') throw malformed('ApplyGuardrail');
  let action = strongestAction(result.assessments);
  if (result.action === 'GUARDRAIL_INTERVENED' && action === 'none') action = 'blocked';
  const masked = (Array.isArray(result.outputs) ? result.outputs : []).map((o) => o?.text ?? '').join('');
  return { action, text: action === 'masked' && masked ? masked : text, sensitive: sensitiveMatches(result.assessments) };
}

/** The passages as the model sees them: numbered, so that `[n]` in the answer cites passage n. */
export function numberedPassages(passages: readonly GroundingPassage[]): string {
  return passages.map((p, i) => `[${i + 1}] ${p.text}`).join('\n\n');
}

const stronger = (a: GuardrailAction, b: GuardrailAction): GuardrailAction => (a === 'blocked' || b === 'blocked' ? 'blocked' : a === 'masked' || b === 'masked' ? 'masked' : 'none');

/**
 * One chat call to a self-hosted SageMaker endpoint (OpenAI-compatible messages API, as served
 * by the LMI and TGI containers). Such endpoints have no native guardrail, so ApplyGuardrail
 * runs on the caller's input before and on the answer after, the answer with the passages and
 * the question so that the contextual-grounding check scores it as it does on Converse.
 */
export async function sagemakerChat(
  clients: ProviderClients, target: ChatTarget, conversation: Conversation, passages: readonly GroundingPassage[], guardrail: GuardrailRef, signal: AbortSignal,
): Promise<ChatResult> {
  const userTurns = conversation.turns.filter((turn) => turn.role === 'user').map(turnText).join('\n\n');
  const input = await applyGuardrail(clients, guardrail, 'INPUT', userTurns, signal);
  if (input.action === 'blocked') return { text: '', toolCalls: [], finishReason: 'content_filter', cacheReadTokens: 0, cacheWriteTokens: 0, inputTokens: 0, outputTokens: 0, usageReported: true, guardrailAction: 'blocked', sensitive: input.sensitive };
  // Only text conversations reach a self-hosted model (the core routes the others to Converse models).
  const messages = conversation.turns.map((turn) => ({ role: turn.role, content: turnText(turn) }));
  if (input.action === 'masked') {
    // The masked text replaces the caller's turns; earlier assistant turns stay for context.
    const assistants = messages.filter((m) => m.role === 'assistant');
    messages.splice(0, messages.length, ...assistants, { role: 'user', content: input.text });
  }
  const question = messages[messages.length - 1].content;
  const sources = numberedPassages(passages);
  if (passages.length > 0) {
    messages[messages.length - 1] = { role: 'user', content: `Sources:\n${sources}\n\nQuestion: ${question}` };
  }
  const body = await clients.sagemaker.invokeEndpoint(target.target, {
    messages: [...(conversation.system ? [{ role: 'system', content: conversation.system }] : []), ...messages],
    max_tokens: conversation.maxTokens,
    temperature: conversation.temperature,
    top_p: conversation.topP,
    ...(conversation.stop?.length ? { stop: conversation.stop } : {}),
  }, signal, target.inferenceComponent);
  const choices = isRecord(body) ? body.choices : undefined;
  const firstChoice = Array.isArray(choices) && isRecord(choices[0]) ? choices[0] : undefined;
  const first = firstChoice && isRecord(firstChoice.message) ? firstChoice.message : undefined;
  if (!first || (first.content !== undefined && first.content !== null && typeof first.content !== 'string')) throw malformed('InvokeEndpoint');
  const answer = typeof first.content === 'string' ? first.content : '';
  const output = await applyGuardrail(clients, guardrail, 'OUTPUT', answer, signal, passages.length > 0 ? { passages: sources, query: question } : undefined);
  const usage = isRecord(body) && isRecord(body.usage) ? body.usage : {};
  const inputTokens = count(usage.prompt_tokens);
  const outputTokens = count(usage.completion_tokens);
  return {
    text: output.action === 'blocked' ? '' : output.text,
    toolCalls: [],
    finishReason: firstChoice?.finish_reason === 'length' ? 'length' : 'stop',
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    inputTokens: inputTokens ?? 0,
    outputTokens: outputTokens ?? 0,
    usageReported: inputTokens !== undefined && outputTokens !== undefined,
    guardrailAction: stronger(input.action, output.action),
    sensitive: [...input.sensitive, ...output.sensitive],
  };
}

/** One input's embedding and the tokens the model counted for it (undefined when it did not say). */
export interface EmbeddingResult {
  readonly embedding: number[];
  readonly inputTokens?: number;
}

/**
 * Embeddings of `inputs` from an Amazon Titan text-embedding model, one call per input. Only the
 * inputs without a result in `done` are sent, and each result is stored there as it arrives, so
 * that a retry after a partial failure repeats only the failed inputs.
 * @throws the first failure among the inputs sent, after all of them settled
 */
export async function titanEmbeddings(
  clients: ProviderClients, target: EmbeddingTarget, inputs: readonly string[], dimensions: number, signal: AbortSignal, done: Array<EmbeddingResult | undefined>,
): Promise<EmbeddingResult[]> {
  const pending = inputs.map((_, index) => index).filter((index) => done[index] === undefined);
  const outcomes = await Promise.allSettled(pending.map(async (index) => {
    const answer = await clients.bedrock.invokeModel(target.target, { inputText: inputs[index], dimensions, normalize: true }, signal);
    const embedding = isRecord(answer) ? answer.embedding : undefined;
    if (!Array.isArray(embedding) || embedding.length !== dimensions || !embedding.every((x) => typeof x === 'number')) throw malformed('InvokeModel');
    done[index] = { embedding: embedding as number[], inputTokens: count((answer as Record<string, unknown>).inputTextTokenCount) };
  }));
  const failure = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failure) throw failure.reason;
  return done as EmbeddingResult[];
}
