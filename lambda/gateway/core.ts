import { type AuditEvent, type AuditWriter, captureContent, type GuardrailAction } from './audit';
import type { TokenBudget, Reservation } from './budget';
import type { ChatTarget, GatewayConfig } from './config';
import { GatewayError } from './errors';
import { bedrockChat, type ChatResult, type GroundingPassage, type ProviderClients, sagemakerChat, titanEmbeddings } from './providers';
import { redactPii } from './redact';
import { callWithFallback, type Clock } from './routing';
import { ChatRequest, EmbeddingsRequest, parseBody, RetrieveRequest } from './schemas';

/** The parts of an API Gateway event the gateway reads. */
export interface GatewayRequest {
  readonly requestId: string;
  readonly method: string;
  /** The API resource path, e.g. `/v1/chat`. */
  readonly resource: string;
  readonly body: string | null;
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
}

const TENANT_ID = /^[a-z0-9][a-z0-9-]{1,62}$/;

/** Tokens to reserve for a prompt: a deliberately high estimate (two UTF-8 bytes per token). */
export function estimateTokens(...texts: Array<string | undefined>): number {
  return Math.ceil(texts.reduce((sum, text) => sum + (text ? Buffer.byteLength(text, 'utf8') : 0), 0) / 2);
}

/** The tenant from the authorizer context only; the body, query and headers are never consulted. */
export function tenantOf(request: GatewayRequest, config: GatewayConfig): string {
  const fromClaims = request.authorizer?.claims?.[config.tenantClaim];
  const fromKey = request.apiKeyId ? config.apiKeyTenants[request.apiKeyId] : undefined;
  const tenant = typeof fromClaims === 'string' ? fromClaims : fromKey;
  if (tenant === undefined || !TENANT_ID.test(tenant)) {
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
}

function chatTargets(config: GatewayConfig, requested: string | undefined): ChatTarget[] {
  const byName = new Map(config.chatModels.map((model) => [model.name, model]));
  const first = requested === undefined ? config.chatModels[0] : byName.get(requested);
  if (!first) throw GatewayError.invalid('model: not available in this environment; GET /v1/models lists the models you may use');
  return [first, ...first.fallbacks.map((name) => byName.get(name)!)];
}

function providerClientError(error: unknown): GatewayError {
  const name = (error as { name?: string })?.name;
  if (name === 'ValidationException') return GatewayError.invalid('the model refused the request as invalid; check maxTokens and the conversation length');
  return new GatewayError(500, 'internal_error', 'the gateway could not call the model; the platform team has been alerted');
}

async function withReservation<T>(
  deps: GatewayDeps, tenantId: string, tokens: number, run: () => Promise<{ value: T; usedTokens: number }>,
): Promise<T> {
  const reservation: Reservation = await deps.budget.reserve(tenantId, tokens, new Date(deps.clock.now()));
  let outcome: { value: T; usedTokens: number };
  try {
    outcome = await run();
  } catch (error) {
    await deps.budget.release(reservation);
    throw error;
  }
  await deps.budget.settle(reservation, outcome.usedTokens);
  return outcome.value;
}

async function chat(request: GatewayRequest, tenantId: string, deps: GatewayDeps, trace: Trace, deadline: number): Promise<GatewayResponse> {
  const body = parseBody(ChatRequest, request.body, request.isBase64Encoded);
  const targets = chatTargets(deps.config, body.model);
  trace.model = targets[0].name;
  trace.prompt = body.messages[body.messages.length - 1].content;
  if (body.retrieval && !deps.retriever) throw new GatewayError(404, 'not_found', 'retrieval is not enabled in this environment; remove the retrieval field');
  const reserveTokens = estimateTokens(body.system, ...body.messages.map((m) => m.content)) + body.maxTokens + (body.retrieval ? 2048 * body.retrieval.topK : 0);
  const guardrail = { identifier: deps.config.guardrailIdentifier, version: deps.config.guardrailVersion };

  const result = await withReservation(deps, tenantId, reserveTokens, async () => {
    const passages = body.retrieval
      ? await deps.retriever!.retrieve(tenantId, trace.prompt!, body.retrieval.topK, AbortSignal.timeout(Math.max(1, deadline - deps.clock.now())))
      : [];
    const progress = { attempts: 0, targetIndex: 0 };
    const routed = await callWithFallback<ChatTarget, ChatResult>(
      targets,
      (target, signal) => (target.provider === 'bedrock' ? bedrockChat : sagemakerChat)(deps.clients, target, body, passages, guardrail, signal),
      deadline,
      deps.config,
      deps.clock,
      providerClientError,
      progress,
    ).finally(() => {
      trace.attempts = progress.attempts;
      trace.fallbackUsed = progress.targetIndex > 0;
      trace.model = targets[progress.targetIndex].name;
    });
    trace.inputTokens = routed.result.inputTokens;
    trace.outputTokens = routed.result.outputTokens;
    trace.guardrailAction = routed.result.guardrailAction;
    return { value: { ...routed, passages }, usedTokens: routed.result.inputTokens + routed.result.outputTokens };
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

async function embeddings(request: GatewayRequest, tenantId: string, deps: GatewayDeps, trace: Trace, deadline: number): Promise<GatewayResponse> {
  const body = parseBody(EmbeddingsRequest, request.body, request.isBase64Encoded);
  const models = deps.config.embeddingModels;
  const target = body.model === undefined ? models[0] : models.find((m) => m.name === body.model);
  if (!target) throw GatewayError.invalid('model: not an embedding model of this environment; GET /v1/models lists the models you may use');
  trace.model = target.name;
  trace.guardrailAction = 'not_applied';
  const inputs = typeof body.input === 'string' ? [body.input] : body.input;
  trace.prompt = inputs.join('\n');
  const result = await withReservation(deps, tenantId, estimateTokens(...inputs), async () => {
    const progress = { attempts: 0, targetIndex: 0 };
    const routed = await callWithFallback(
      [target],
      (t, signal) => titanEmbeddings(deps.clients, t, inputs, body.dimensions, signal),
      deadline, deps.config, deps.clock, providerClientError, progress,
    ).finally(() => { trace.attempts = progress.attempts; });
    trace.inputTokens = routed.result.inputTokens;
    return { value: routed.result, usedTokens: routed.result.inputTokens };
  });
  return json(200, request.requestId, {
    model: target.name,
    data: result.embeddings.map((embedding, index) => ({ index, embedding })),
    usage: { inputTokens: result.inputTokens },
  });
}

async function retrieve(request: GatewayRequest, tenantId: string, deps: GatewayDeps, trace: Trace, deadline: number): Promise<GatewayResponse> {
  const body = parseBody(RetrieveRequest, request.body, request.isBase64Encoded);
  if (!deps.retriever) throw new GatewayError(404, 'not_found', 'retrieval is not enabled in this environment');
  trace.guardrailAction = 'not_applied';
  trace.prompt = body.query;
  const passages = await deps.retriever.retrieve(tenantId, body.query, body.topK, AbortSignal.timeout(Math.max(1, deadline - deps.clock.now())));
  return json(200, request.requestId, { data: passages });
}

function models(request: GatewayRequest, deps: GatewayDeps, trace: Trace): GatewayResponse {
  trace.guardrailAction = 'not_applied';
  return json(200, request.requestId, {
    data: [
      ...deps.config.chatModels.map((m) => ({ id: m.name, type: 'chat', fallbacks: m.fallbacks })),
      ...deps.config.embeddingModels.map((m) => ({ id: m.name, type: 'embedding' })),
    ],
  });
}

/**
 * Handles one gateway request: tenant from the authorizer, body through its schema, budget
 * reserved, model called with the guardrail and fallback, budget settled, one audit event
 * written whatever happened. Never throws: every failure becomes a response with a stable code.
 */
export async function handleGatewayRequest(request: GatewayRequest, deps: GatewayDeps): Promise<GatewayResponse> {
  const started = deps.clock.now();
  const deadline = started + deps.config.deadlineMs;
  const route = `${request.method} ${request.resource}`;
  const trace: Trace = { tenantId: null, model: null, inputTokens: 0, outputTokens: 0, guardrailAction: 'none', fallbackUsed: false, attempts: 0 };
  let response: GatewayResponse;
  let outcome: AuditEvent['outcome'] = 'success';
  try {
    const tenantId = tenantOf(request, deps.config);
    trace.tenantId = tenantId;
    switch (route) {
      case 'POST /v1/chat': response = await chat(request, tenantId, deps, trace, deadline); break;
      case 'POST /v1/embeddings': response = await embeddings(request, tenantId, deps, trace, deadline); break;
      case 'POST /v1/retrieve': response = await retrieve(request, tenantId, deps, trace, deadline); break;
      case 'GET /v1/models': response = models(request, deps, trace); break;
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

  const latencyMs = deps.clock.now() - started;
  const content = captureContent(deps.config.contentCapture, trace.prompt, trace.completion);
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
    latencyMs,
    status: response.statusCode,
    outcome,
    ...(content ? { content } : {}),
  };
  try {
    await deps.audit.write(event);
  } catch (error) {
    deps.metrics.addMetric('AuditWriteFailures', 'Count', 1);
    const { content: _omitted, ...withoutContent } = event;
    deps.logger.error('audit write failed; event follows without content', { ...withoutContent, errorName: (error as { name?: string })?.name });
  }
  deps.logger.info('request', { requestId: request.requestId, tenantId: trace.tenantId, route, model: trace.model, status: response.statusCode, outcome, latencyMs, attempts: trace.attempts, fallbackUsed: trace.fallbackUsed, guardrailAction: trace.guardrailAction });
  deps.metrics.addMetric(outcome === 'success' ? 'Requests' : `Errors_${outcome}`, 'Count', 1);
  deps.metrics.addMetric('TokensUsed', 'Count', trace.inputTokens + trace.outputTokens);
  if (trace.fallbackUsed) deps.metrics.addMetric('Fallbacks', 'Count', 1);
  deps.metrics.addMetric('Latency', 'Milliseconds', latencyMs);
  return response;
}
