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
import { ChatRequest, EmbeddingsRequest, parseBody, RetrieveRequest } from './schemas';

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
 * The reservation of a chat request: an upper bound of its tokens when the model counts at most
 * one token per UTF-8 byte, plus the chat template, plus every output token it may produce, plus
 * the passages (each cut to {@link PASSAGE_TOKENS} bytes before the model sees it).
 */
export function chatReservationTokens(body: ChatRequest): number {
  return estimateTokens(body.system, ...body.messages.map((m) => m.content))
    + MESSAGE_OVERHEAD_TOKENS * (body.messages.length + (body.system ? 1 : 0))
    + body.maxTokens
    + (body.retrieval ? PASSAGE_TOKENS * body.retrieval.topK : 0);
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

function json(status: number, requestId: string, body: unknown, retryAfterSeconds?: number): GatewayResponse {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'cache-control': 'no-store', 'x-request-id': requestId };
  if (retryAfterSeconds !== undefined) headers['retry-after'] = String(retryAfterSeconds);
  return { statusCode: status, headers, body: JSON.stringify(body) };
}

/** Mutable facts gathered while a request runs, turned into the audit event at the end. */
interface Trace {
  tenantId: string | null;
  model: string | null;
  inputTokens: number;
  outputTokens: number;
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

function chatTargets(config: GatewayConfig, requested: string | undefined): ChatTarget[] {
  const byName = new Map(config.chatModels.map((model) => [model.name, model]));
  const first = requested === undefined ? config.chatModels[0] : byName.get(requested);
  if (!first) throw GatewayError.invalid('model: not available in this environment; GET /v1/models lists the models you may use');
  return [first, ...first.fallbacks.map((name) => byName.get(name)!)];
}

function providerClientError(error: unknown): GatewayError {
  const name = (error as { name?: string })?.name;
  // Bedrock's ValidationException, SageMaker Runtime's ValidationError: the same refusal, the same answer.
  if (name === 'ValidationException' || name === 'ValidationError') return GatewayError.invalid('the model refused the request as invalid; check maxTokens and the conversation length');
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

async function chat(scope: RequestScope): Promise<GatewayResponse> {
  const { request, deps, trace, deadline } = scope;
  const body = parseBody(ChatRequest, request.body, request.isBase64Encoded);
  const targets = chatTargets(deps.config, body.model);
  trace.model = targets[0].name;
  trace.prompt = body.messages[body.messages.length - 1].content;
  if (body.retrieval && !deps.retriever) throw new GatewayError(404, 'not_found', 'retrieval is not enabled in this environment; remove the retrieval field');
  const reserveTokens = chatReservationTokens(body);
  const guardrail = { identifier: deps.config.guardrailIdentifier, version: deps.config.guardrailVersion };

  const result = await withReservation(scope, reserveTokens, async (abandoned) => {
    const passages = body.retrieval
      ? (await retrievePassages(scope, trace.prompt!, body.retrieval.topK, targets.length + 1))
        .slice(0, body.retrieval.topK)
        .map((passage) => ({ ...passage, text: truncateUtf8(passage.text, PASSAGE_TOKENS - PASSAGE_FRAMING_BYTES) }))
      : [];
    const progress = { attempts: 0, targetIndex: 0, abandoned: 0 };
    const routed = await callWithFallback<ChatTarget, ChatResult>(
      targets,
      (target, signal) => (target.provider === 'bedrock' ? bedrockChat : sagemakerChat)(deps.clients, target, body, passages, guardrail, signal),
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
    trace.inputTokens = routed.result.inputTokens;
    trace.outputTokens = routed.result.outputTokens;
    trace.guardrailAction = routed.result.guardrailAction;
    trace.sensitive.push(...routed.result.sensitive);
    // An answer without usage is charged the whole reservation.
    const usedTokens = routed.result.usageReported ? routed.result.inputTokens + routed.result.outputTokens : reserveTokens;
    return { value: { ...routed, passages }, usedTokens };
  });
  if (result.result.guardrailAction === 'blocked') {
    throw new GatewayError(422, 'guardrail_blocked', 'the content policy of this service blocked the request or its answer');
  }
  trace.completion = result.result.text;
  return json(200, request.requestId, {
    id: request.requestId,
    model: result.target.name,
    message: { role: 'assistant', content: result.result.text },
    usage: { inputTokens: result.result.inputTokens, outputTokens: result.result.outputTokens },
    guardrail: { action: result.result.guardrailAction },
    fallbackUsed: result.fallbackUsed,
    // `[n]` in the answer refers to citations[n - 1], the order the passages were given to the model.
    ...(body.retrieval ? { citations: result.passages.map((passage, index) => ({ index: index + 1, ...passage.citation })) } : {}),
  });
}

async function embeddings(scope: RequestScope): Promise<GatewayResponse> {
  const { request, deps, trace, deadline } = scope;
  const body = parseBody(EmbeddingsRequest, request.body, request.isBase64Encoded);
  const models = deps.config.embeddingModels;
  const target = body.model === undefined ? models[0] : models.find((m) => m.name === body.model);
  if (!target) throw GatewayError.invalid('model: not an embedding model of this environment; GET /v1/models lists the models you may use');
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
    model: target.name,
    data: results.map((result, index) => ({ index, embedding: result.embedding })),
    usage: { inputTokens: trace.inputTokens },
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
  return json(200, scope.request.requestId, {
    data: [
      ...deps.config.chatModels.map((m) => ({ id: m.name, type: 'chat', fallbacks: m.fallbacks })),
      ...deps.config.embeddingModels.map((m) => ({ id: m.name, type: 'embedding' })),
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
  const trace: Trace = { tenantId: null, model: null, inputTokens: 0, outputTokens: 0, guardrailAction: 'none', fallbackUsed: false, attempts: 0, sensitive: [] };
  let response: GatewayResponse;
  let outcome: AuditEvent['outcome'] = 'success';
  try {
    const tenantId = tenantOf(request, deps.config);
    trace.tenantId = tenantId;
    const scope: RequestScope = { request, tenantId, deps, trace, deadline };
    switch (route) {
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
    response = json(failure.status, request.requestId, { error: { code: failure.code, message: failure.message, requestId: request.requestId } }, failure.retryAfterSeconds);
  }

  const event: AuditEvent = {
    requestId: request.requestId,
    timestamp: new Date(started).toISOString(),
    tenantId: trace.tenantId,
    route,
    model: trace.model,
    inputTokens: trace.inputTokens,
    outputTokens: trace.outputTokens,
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
  deps.metrics.addMetric('TokensUsed', 'Count', trace.inputTokens + trace.outputTokens);
  if (trace.fallbackUsed) deps.metrics.addMetric('Fallbacks', 'Count', 1);
  deps.metrics.addMetric('Latency', 'Milliseconds', latencyMs);
  return response;
}
