import { type AuditEvent, type AuditWriter, captureContent, type ContentHashKey, type GuardrailAction, tenantHashKey } from './audit';
import { BudgetUnavailableError, type Reservation, type TokenBudget } from './budget';
import type { ChatTarget, GatewayConfig } from './config';
import { RequestDeadline, withTimeout } from './deadline';
import { GatewayError } from './errors';
import {
  bedrockChat, type ChatResult, type EmbeddingResult, type GroundingPassage, type ProviderClients, sagemakerChat, type SensitiveMatch, titanEmbeddings,
} from './providers';
import { redactPii } from './redact';
import type { Clock } from '../shared/retry';
import { callWithFallback } from './routing';
import { type Conversation, needsConverse, turnText } from './conversation';
import { base64Embedding, ChatCompletionsRequest, chatCompletion, conversationOf, EmbeddingsRequest, errorBody, MAX_CHAT_COMPLETIONS_BODY_BYTES } from './openai';
import { ChatRequest, conversationOfChat, parseBody, RetrieveRequest } from './schemas';

/** The parts of an API Gateway event the gateway reads. */
export interface GatewayRequest {
  readonly requestId: string;
  readonly method: string;
  /** The API resource path, e.g. `/v1/chat`. */
  readonly resource: string;
  /** The body as API Gateway passed it: a string or null; anything else is refused as invalid. */
  readonly body: unknown;
  readonly isBase64Encoded: boolean;
  /** The authorizer context API Gateway set: Cognito claims, or a Lambda authorizer's context. */
  readonly authorizer?: { readonly claims?: Record<string, unknown>; readonly [key: string]: unknown } | null;
  /** The API key id API Gateway matched, in API-key mode. */
  readonly apiKeyId?: string | null;
}

/** A Lambda proxy response. */
export interface GatewayResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Finds passages for a tenant's query (the retrieval capability). */
export interface Retriever {
  retrieve(tenantId: string, query: string, topK: number, signal: AbortSignal): Promise<GroundingPassage[]>;
}

/** Structured operational logging; receives metadata only, never content. */
export interface LogSink {
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
  error(message: string, attributes: Record<string, unknown>): void;
}

/** Operational metrics (CloudWatch EMF through Powertools in AWS). */
export interface MetricSink {
  addMetric(name: string, unit: 'Count' | 'Milliseconds', value: number): void;
}

/** Everything the core needs, injected so that tests and benchmarks replace any of it. */
export interface GatewayDeps {
  readonly config: GatewayConfig;
  readonly clients: ProviderClients;
  readonly budget: TokenBudget;
  readonly audit: AuditWriter;
  readonly logger: LogSink;
  readonly metrics: MetricSink;
  readonly clock: Clock;
  /** @default - retrieval is not enabled: `/v1/retrieve` and chat retrieval answer `not_found` */
  readonly retriever?: Retriever;
  /** @default - none: `hashed` capture then omits content and says so in the event */
  readonly contentHashKey?: ContentHashKey;
}

const TENANT_ID = /^[a-z0-9][a-z0-9-]{1,62}$/;

/**
 * Tokens a text can cost at most: one per UTF-8 byte. Byte-level tokenizers never make a token
 * of less than one byte, so the reservation is an upper bound of the prompt's tokens
 * (docs/gateway.md, Budgets); a cheaper estimate lets concurrent requests overspend.
 */
export function estimateTokens(...texts: Array<string | undefined>): number {
  return texts.reduce((sum, text) => sum + (text ? Buffer.byteLength(text, 'utf8') : 0), 0);
}

/** Tokens reserved per message, and for the system prompt, for the model's chat template (role markers). */
export const MESSAGE_OVERHEAD_TOKENS = 16;
/** Tokens reserved per requested retrieval passage; each passage is cut to fit, with its `[n] ` marker and separator. */
export const PASSAGE_TOKENS = 2048;
const PASSAGE_FRAMING_BYTES = 32;

/**
 * Tokens reserved per image. Claude models scale an image down to about 1,600 tokens at most
 * (https://docs.anthropic.com/en/docs/build-with-claude/vision#evaluate-image-size); other model
 * families' image costs are unverified (docs/gateway.md, First deploy).
 */
export const IMAGE_TOKENS = 2048;

/**
 * The reservation of a chat request: an upper bound of its tokens when the model counts at most
 * one token per UTF-8 byte (text, tool definitions, tool calls and results, the answer's schema),
 * plus the chat template, plus {@link IMAGE_TOKENS} per image, plus every output token it may
 * produce, plus the passages (each cut to {@link PASSAGE_TOKENS} bytes before the model sees it).
 */
export function chatReservationTokens(conversation: Conversation): number {
  let tokens = estimateTokens(conversation.system)
    + MESSAGE_OVERHEAD_TOKENS * (conversation.messageCount + (conversation.system ? 1 : 0))
    + conversation.maxTokens
    + PASSAGE_TOKENS * (conversation.retrievalTopK ?? 0);
  for (const turn of conversation.turns) {
    for (const part of turn.parts) {
      if (part.type === 'text') tokens += estimateTokens(part.text);
      else if (part.type === 'image') tokens += IMAGE_TOKENS;
      else if (part.type === 'tool_call') tokens += estimateTokens(part.id, part.name, JSON.stringify(part.input));
      else tokens += estimateTokens(part.toolCallId, part.text);
    }
  }
  if (conversation.tools) tokens += estimateTokens(JSON.stringify(conversation.tools), JSON.stringify(conversation.toolChoice));
  if (conversation.jsonAnswer) tokens += estimateTokens(JSON.stringify(conversation.jsonAnswer));
  return tokens;
}

/** `text` cut to at most `maxBytes` UTF-8 bytes, on a character boundary. */
function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  return text.slice(0, new TextEncoder().encodeInto(text, new Uint8Array(maxBytes)).read);
}

/** The tenant from the authorizer context only; the body, query and headers are never consulted. */
export function tenantOf(request: GatewayRequest, config: GatewayConfig): string {
  const fromClaims = request.authorizer?.claims?.[config.tenantClaim];
  const keyId = request.apiKeyId;
  const fromKey = typeof keyId === 'string' && Object.hasOwn(config.apiKeyTenants, keyId) ? config.apiKeyTenants[keyId] : undefined;
  const tenant = typeof fromClaims === 'string' ? fromClaims : fromKey;
  if (typeof tenant !== 'string' || !TENANT_ID.test(tenant)) {
    throw new GatewayError(401, 'unauthorized', 'no tenant in your credentials; use a token with a tenant claim or a tenant API key');
  }
  return tenant;
}

function json(status: number, requestId: string, body: unknown, retryAfterSeconds?: number, retryUseless = false): GatewayResponse {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'cache-control': 'no-store', 'x-request-id': requestId };
  if (retryAfterSeconds !== undefined) headers['retry-after'] = String(retryAfterSeconds);
  // The OpenAI SDKs obey `x-should-retry` before the status: a used-up budget comes back only with the next period.
  if (retryUseless) headers['x-should-retry'] = 'false';
  return { statusCode: status, headers, body: JSON.stringify(body) };
}

/** Mutable facts gathered while a request runs, turned into the audit event at the end. */
interface Trace {
  tenantId: string | null;
  model: string | null;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  guardrailAction: GuardrailAction;
  fallbackUsed: boolean;
  attempts: number;
  prompt?: string;
  completion?: string;
  sensitive: SensitiveMatch[];
  reservationId?: string;
  unsettled?: AuditEvent['unsettled'];
}

/** What one request works with: its deadline, its trace and everything injected. */
interface RequestScope {
  readonly request: GatewayRequest;
  readonly tenantId: string;
  readonly deps: GatewayDeps;
  readonly trace: Trace;
  readonly deadline: RequestDeadline;
}

/**
 * The model and its fallbacks. Images, tools and structured output go only to Bedrock (Converse)
 * models: a self-hosted model is refused as the requested model and skipped as a fallback.
 */
function chatTargets(config: GatewayConfig, conversation: Conversation): ChatTarget[] {
  const byName = new Map(config.chatModels.map((model) => [model.name, model]));
  const requested = conversation.model;
  const first = requested === undefined ? config.chatModels[0] : byName.get(requested);
  if (!first) throw GatewayError.invalid('model: not available in this environment; GET /v1/models lists the models you may use', 400, 'model');
  const chain = [first, ...first.fallbacks.map((name) => byName.get(name)!)];
  if (!needsConverse(conversation)) return chain;
  if (first.provider !== 'bedrock') throw GatewayError.invalid('model: this self-hosted model takes text only; use a Bedrock model for images, tools or response_format', 400, 'model');
  return chain.filter((target) => target.provider === 'bedrock');
}

function providerClientError(error: unknown): GatewayError {
  const name = (error as { name?: string })?.name;
  // Bedrock's ValidationException, SageMaker Runtime's ValidationError: the same refusal, the same answer.
  if (name === 'ValidationException' || name === 'ValidationError') return GatewayError.invalid('the model refused the request as invalid; check maxTokens and the conversation length, and that the model takes the images, tools or response_format you sent');
  return new GatewayError(500, 'internal_error', 'the gateway could not call the model; the platform team has been alerted');
}

/** Records a reservation the store could not settle or release, for reconciliation. */
function recordUnsettled(scope: RequestScope, reservation: Reservation, usedTokens: number, error: unknown): void {
  scope.trace.unsettled = { period: reservation.period, reservedTokens: reservation.tokens, usedTokens };
  scope.deps.metrics.addMetric('UnsettledReservations', 'Count', 1);
  scope.deps.logger.warn('reservation not settled; the audit event carries it for reconciliation', {
    requestId: scope.request.requestId, tenantId: reservation.tenantId, reservationId: reservation.id, period: reservation.period,
    reservedTokens: reservation.tokens, usedTokens, errorName: (error as { cause?: { name?: string } })?.cause?.name,
  });
}

/** Tokens a request is charged for model attempts it abandoned at their timeout, which the provider may have billed. */
interface AbandonedCharge {
  tokens: number;
}

/**
 * Reserves `tokens`, runs `run`, then settles the tokens it used, or releases them all when it
 * failed. Attempts abandoned at their timeout are charged on top (`run` adds them to its
 * {@link AbandonedCharge}), also when the request failed. A settle or release the store cannot
 * do never changes the answer: the answer (or the original error) is returned and the amount
 * recorded for reconciliation.
 */
async function withReservation<T>(scope: RequestScope, tokens: number, run: (abandoned: AbandonedCharge) => Promise<{ value: T; usedTokens: number }>): Promise<T> {
  const { deps, deadline } = scope;
  const release = (held: Reservation) => deps.budget.release(held, deadline.storeRemainingMs()).catch((storeError: unknown) => recordUnsettled(scope, held, 0, storeError));
  const settle = (held: Reservation, usedTokens: number) => {
    if (usedTokens > held.tokens) deps.metrics.addMetric('UsageAboveReservation', 'Count', usedTokens - held.tokens);
    return deps.budget.settle(held, usedTokens, deadline.storeRemainingMs()).catch((storeError: unknown) => recordUnsettled(scope, held, usedTokens, storeError));
  };
  let reservation: Reservation;
  try {
    reservation = await deps.budget.reserve(scope.tenantId, tokens, new Date(deps.clock.now()), deadline.storeRemainingMs());
  } catch (error) {
    if (error instanceof BudgetUnavailableError) {
      scope.trace.reservationId = error.possiblyHeld.id;
      await release(error.possiblyHeld);
    }
    throw error;
  }
  scope.trace.reservationId = reservation.id;
  const abandoned: AbandonedCharge = { tokens: 0 };
  let outcome: { value: T; usedTokens: number };
  try {
    outcome = await run(abandoned);
  } catch (error) {
    await (abandoned.tokens > 0 ? settle(reservation, abandoned.tokens) : release(reservation));
    throw error;
  }
  await settle(reservation, outcome.usedTokens + abandoned.tokens);
  return outcome.value;
}

/** Passages for the tenant's query, within an equal share of the time left for calls (the model calls get the rest). */
async function retrievePassages(scope: RequestScope, query: string, topK: number, shares: number): Promise<GroundingPassage[]> {
  const retriever = scope.deps.retriever!;
  try {
    return await withTimeout('retrieval', scope.deadline.callsRemainingMs() / shares, (signal) => retriever.retrieve(scope.tenantId, query, topK, signal));
  } catch (error) {
    if ((error as { name?: string })?.name === 'TimeoutError') throw new GatewayError(504, 'timeout', 'retrieval did not answer in time; try again', 1);
    throw error;
  }
}

/** A chat served: the routed answer and the passages it was grounded on. */
interface ServedChat {
  readonly result: ChatResult;
  readonly target: ChatTarget;
  readonly fallbackUsed: boolean;
  readonly passages: readonly GroundingPassage[];
}

/** Serves a conversation, whichever API it came through: budget, retrieval, guardrail, fallback, trace. */
async function serveChat(scope: RequestScope, conversation: Conversation): Promise<ServedChat> {
  const { deps, trace, deadline } = scope;
  const targets = chatTargets(deps.config, conversation);
  trace.model = targets[0].name;
  const query = turnText(conversation.turns.at(-1));
  trace.prompt = query;
  const topK = conversation.retrievalTopK;
  if (topK !== undefined && !deps.retriever) throw new GatewayError(404, 'not_found', 'retrieval is not enabled in this environment; remove the retrieval field', undefined, 'retrieval');
  const reserveTokens = chatReservationTokens(conversation);
  const guardrail = { identifier: deps.config.guardrailIdentifier, version: deps.config.guardrailVersion };

  const served = await withReservation(scope, reserveTokens, async (abandoned) => {
    const passages = topK !== undefined
      ? (await retrievePassages(scope, query, topK, targets.length + 1))
        .slice(0, topK)
        .map((passage) => ({ ...passage, text: truncateUtf8(passage.text, PASSAGE_TOKENS - PASSAGE_FRAMING_BYTES) }))
      : [];
    const progress = { attempts: 0, targetIndex: 0, abandoned: 0 };
    const routed = await callWithFallback<ChatTarget, ChatResult>(
      targets,
      (target, signal) => (target.provider === 'bedrock' ? bedrockChat : sagemakerChat)(deps.clients, target, conversation, passages, guardrail, signal),
      deadline.callsEndAt,
      deps.config,
      deps.clock,
      providerClientError,
      progress,
    ).finally(() => {
      trace.attempts = progress.attempts;
      trace.fallbackUsed = progress.targetIndex > 0;
      trace.model = targets[progress.targetIndex].name;
      // An abandoned call can have used at most what the request reserves for one call.
      abandoned.tokens = progress.abandoned * reserveTokens;
    });
    const { result } = routed;
    trace.inputTokens = result.inputTokens;
    trace.outputTokens = result.outputTokens;
    trace.cacheReadTokens = result.cacheReadTokens;
    trace.cacheWriteTokens = result.cacheWriteTokens;
    trace.guardrailAction = result.guardrailAction;
    trace.sensitive.push(...result.sensitive);
    // Cached prompt tokens are prompt tokens: charged like the others. An answer without usage is charged the whole reservation.
    const usedTokens = result.usageReported ? result.inputTokens + result.outputTokens + result.cacheReadTokens + result.cacheWriteTokens : reserveTokens;
    return { value: { ...routed, passages }, usedTokens };
  });
  if (served.result.guardrailAction === 'blocked') {
    throw new GatewayError(422, 'guardrail_blocked', 'the content policy of this service blocked the request or its answer');
  }
  trace.completion = served.result.text;
  return served;
}

/** `[n]` in the answer refers to citations[n - 1], the order the passages were given to the model. */
const citationsOf = (served: ServedChat) => served.passages.map((passage, index) => ({ index: index + 1, ...passage.citation }));

/** `POST /v1/chat/completions`: the OpenAI shape, with the gateway's extensions (`retrieval` in, `citations` and `guardrail` out). */
async function chatCompletions(scope: RequestScope): Promise<GatewayResponse> {
  const { request, deps } = scope;
  const conversation = conversationOf(parseBody(ChatCompletionsRequest, request.body, request.isBase64Encoded, MAX_CHAT_COMPLETIONS_BODY_BYTES));
  const served = await serveChat(scope, conversation);
  return json(200, request.requestId, chatCompletion({
    requestId: request.requestId,
    createdMs: deps.clock.now(),
    model: served.target.name,
    text: served.result.text,
    toolCalls: served.result.toolCalls,
    finishReason: served.result.finishReason,
    inputTokens: served.result.inputTokens,
    outputTokens: served.result.outputTokens,
    cacheReadTokens: served.result.cacheReadTokens,
    cacheWriteTokens: served.result.cacheWriteTokens,
    extensions: {
      guardrail: { action: served.result.guardrailAction },
      fallback_used: served.fallbackUsed,
      ...(conversation.retrievalTopK !== undefined ? { citations: citationsOf(served) } : {}),
    },
  }));
}

/** `POST /v1/chat`, the gateway's first API: an alias over the same core, in its own shape. */
async function chat(scope: RequestScope): Promise<GatewayResponse> {
  const { request } = scope;
  const body = parseBody(ChatRequest, request.body, request.isBase64Encoded);
  const served = await serveChat(scope, conversationOfChat(body));
  return json(200, request.requestId, {
    id: request.requestId,
    model: served.target.name,
    message: { role: 'assistant', content: served.result.text },
    usage: { inputTokens: served.result.inputTokens, outputTokens: served.result.outputTokens },
    guardrail: { action: served.result.guardrailAction },
    fallbackUsed: served.fallbackUsed,
    ...(body.retrieval ? { citations: citationsOf(served) } : {}),
  });
}

async function embeddings(scope: RequestScope): Promise<GatewayResponse> {
  const { request, deps, trace, deadline } = scope;
  const body = parseBody(EmbeddingsRequest, request.body, request.isBase64Encoded);
  const models = deps.config.embeddingModels;
  const target = body.model === undefined ? models[0] : models.find((m) => m.name === body.model);
  if (!target) throw GatewayError.invalid('model: not an embedding model of this environment; GET /v1/models lists the models you may use', 400, 'model');
  trace.model = target.name;
  trace.guardrailAction = 'not_applied';
  const inputs = typeof body.input === 'string' ? [body.input] : body.input;
  trace.prompt = inputs.join('\n');
  const reserveTokens = estimateTokens(...inputs);
  const results = await withReservation(scope, reserveTokens, async (abandoned) => {
    const progress = { attempts: 0, targetIndex: 0, abandoned: 0 };
    // Results survive a failed attempt, so a retry sends only the inputs that failed.
    const done: Array<EmbeddingResult | undefined> = inputs.map(() => undefined);
    const routed = await callWithFallback(
      [target],
      (t, signal) => titanEmbeddings(deps.clients, t, inputs, body.dimensions, signal, done),
      deadline.callsEndAt, deps.config, deps.clock, providerClientError, progress,
    ).finally(() => {
      trace.attempts = progress.attempts;
      abandoned.tokens = progress.abandoned * reserveTokens;
    });
    trace.inputTokens = routed.result.reduce((sum, r) => sum + (r.inputTokens ?? 0), 0);
    // An input the model did not count is charged its reservation.
    return { value: routed.result, usedTokens: routed.result.reduce((sum, r, i) => sum + (r.inputTokens ?? estimateTokens(inputs[i])), 0) };
  });
  return json(200, request.requestId, {
    object: 'list',
    data: results.map((result, index) => ({ object: 'embedding', index, embedding: body.encoding_format === 'base64' ? base64Embedding(result.embedding) : result.embedding })),
    model: target.name,
    usage: { prompt_tokens: trace.inputTokens, total_tokens: trace.inputTokens },
  });
}

async function retrieve(scope: RequestScope): Promise<GatewayResponse> {
  const { request, deps, trace } = scope;
  const body = parseBody(RetrieveRequest, request.body, request.isBase64Encoded);
  if (!deps.retriever) throw new GatewayError(404, 'not_found', 'retrieval is not enabled in this environment');
  trace.guardrailAction = 'not_applied';
  trace.prompt = body.query;
  // The retrieval function embeds the query and reports no usage: the reservation is charged.
  const tokens = estimateTokens(body.query);
  const passages = await withReservation(scope, tokens, async () => ({ value: await retrievePassages(scope, body.query, body.topK, 1), usedTokens: tokens }));
  return json(200, request.requestId, { data: passages });
}

function models(scope: RequestScope): GatewayResponse {
  const { deps, trace } = scope;
  trace.guardrailAction = 'not_applied';
  // OpenAI's model object, with the gateway's `type` and `fallbacks`; `created` is not known for a configured model.
  const model = (id: string) => ({ id, object: 'model', created: 0, owned_by: 'paved-road' });
  return json(200, scope.request.requestId, {
    object: 'list',
    data: [
      ...deps.config.chatModels.map((m) => ({ ...model(m.name), type: 'chat', fallbacks: m.fallbacks })),
      ...deps.config.embeddingModels.map((m) => ({ ...model(m.name), type: 'embedding' })),
    ],
  });
}

/** The content field of the audit event, and why it is missing when the environment captures content. */
async function auditContent(deps: GatewayDeps, trace: Trace, deadline: RequestDeadline): Promise<Pick<AuditEvent, 'content' | 'contentOmitted'>> {
  const mode = deps.config.contentCapture;
  // A request refused before its reservation (bad body, no route, no budget) never reached a model:
  // nothing to capture, and no redaction or hashing work for hostile input.
  if (mode === 'none' || trace.prompt === undefined || trace.reservationId === undefined) return {};
  if (mode === 'redacted') return { content: captureContent(mode, trace.prompt, trace.completion, { sensitive: trace.sensitive }) };
  const hashKey = await deps.contentHashKey?.get(deadline.hashKeyRemainingMs()).catch(() => undefined);
  if (!hashKey) {
    deps.metrics.addMetric('ContentCaptureFailures', 'Count', 1);
    return { contentOmitted: 'hash_key_unavailable' };
  }
  return { content: captureContent(mode, trace.prompt, trace.completion, { hashKey: tenantHashKey(hashKey, trace.tenantId ?? '_anonymous') }) };
}

/**
 * Handles one gateway request: tenant from the authorizer, body through its schema, budget
 * reserved, model called with the guardrail and fallback, budget settled, one audit event
 * written whatever happened, all within the request's deadline. Never throws: every failure
 * becomes a response with a stable code.
 */
export async function handleGatewayRequest(request: GatewayRequest, deps: GatewayDeps): Promise<GatewayResponse> {
  const started = deps.clock.now();
  const deadline = new RequestDeadline(deps.clock.now, started, deps.config.deadlineMs);
  const route = `${request.method} ${request.resource}`;
  const trace: Trace = { tenantId: null, model: null, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, guardrailAction: 'none', fallbackUsed: false, attempts: 0, sensitive: [] };
  let response: GatewayResponse;
  let outcome: AuditEvent['outcome'] = 'success';
  try {
    const tenantId = tenantOf(request, deps.config);
    trace.tenantId = tenantId;
    const scope: RequestScope = { request, tenantId, deps, trace, deadline };
    switch (route) {
      case 'POST /v1/chat/completions': response = await chatCompletions(scope); break;
      case 'POST /v1/chat': response = await chat(scope); break;
      case 'POST /v1/embeddings': response = await embeddings(scope); break;
      case 'POST /v1/retrieve': response = await retrieve(scope); break;
      case 'GET /v1/models': response = models(scope); break;
      default: throw new GatewayError(404, 'not_found', 'no such route; see GET /v1/models and the gateway API reference');
    }
  } catch (error) {
    const known = error instanceof GatewayError ? error : undefined;
    if (!known) {
      const e = error as { name?: string; message?: string };
      deps.logger.error('unhandled failure', { requestId: request.requestId, errorName: e?.name ?? typeof error, errorMessage: redactPii(String(e?.message ?? '')).slice(0, 200) });
    }
    const failure = known ?? new GatewayError(500, 'internal_error', 'the gateway failed to handle the request; the platform team has been alerted');
    outcome = failure.code;
    if (failure.code === 'guardrail_blocked') trace.guardrailAction = 'blocked';
    response = json(failure.status, request.requestId, errorBody(failure, request.requestId), failure.retryAfterSeconds, failure.code === 'budget_exceeded');
  }

  const event: AuditEvent = {
    requestId: request.requestId,
    timestamp: new Date(started).toISOString(),
    tenantId: trace.tenantId,
    route,
    model: trace.model,
    inputTokens: trace.inputTokens,
    outputTokens: trace.outputTokens,
    ...(trace.cacheReadTokens + trace.cacheWriteTokens > 0 ? { cacheReadTokens: trace.cacheReadTokens, cacheWriteTokens: trace.cacheWriteTokens } : {}),
    guardrailAction: trace.guardrailAction,
    fallbackUsed: trace.fallbackUsed,
    attempts: trace.attempts,
    latencyMs: deps.clock.now() - started,
    status: response.statusCode,
    outcome,
    ...(trace.reservationId ? { reservationId: trace.reservationId } : {}),
    ...(trace.unsettled ? { unsettled: trace.unsettled } : {}),
    ...await auditContent(deps, trace, deadline),
  };
  try {
    await deps.audit.write(event, deadline.storeRemainingMs());
  } catch (error) {
    deps.metrics.addMetric('AuditWriteFailures', 'Count', 1);
    // Powertools Logger reserves `timestamp` (and level, message, service, sampling_rate) for its own fields.
    const { content: _omitted, timestamp, ...withoutContent } = event;
    deps.logger.error('audit write failed; event follows without content', { ...withoutContent, eventTimestamp: timestamp, errorName: (error as { name?: string })?.name });
  }
  const latencyMs = deps.clock.now() - started;
  deps.logger.info('request', { requestId: request.requestId, tenantId: trace.tenantId, route, model: trace.model, status: response.statusCode, outcome, latencyMs, attempts: trace.attempts, fallbackUsed: trace.fallbackUsed, guardrailAction: trace.guardrailAction });
  deps.metrics.addMetric(outcome === 'success' ? 'Requests' : `Errors_${outcome}`, 'Count', 1);
  deps.metrics.addMetric('TokensUsed', 'Count', trace.inputTokens + trace.outputTokens + trace.cacheReadTokens + trace.cacheWriteTokens);
  if (trace.fallbackUsed) deps.metrics.addMetric('Fallbacks', 'Count', 1);
  deps.metrics.addMetric('Latency', 'Milliseconds', latencyMs);
  return response;
}
