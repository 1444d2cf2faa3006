import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AwsHttp, credentialsFromEnv } from '../../shared/aws-http';
import { SYSTEM_CLOCK } from '../../shared/retry';
import { BedrockRuntime, type BedrockRuntimeApi } from '../aws';
import { GatewayConfig } from '../config';
import { type GatewayDeps, type GatewayRequest, handleGatewayRequest, type LogSink } from '../core';
import { MAX_CHAT_COMPLETIONS_BODY_BYTES } from '../openai';
import { FixtureModel } from './fixture-model';
import { InMemoryTokenBudget, LocalAuditWriter } from './stores';

/*
 * `npm run gateway:local`: the gateway's core (lambda/gateway/core.ts), unchanged, behind a small
 * node:http adapter on 127.0.0.1, with an embedded default for everything AWS provides.
 */

/** The tenant every local request belongs to. */
export const LOCAL_TENANT = 'local';
/** Its token budget per month. */
export const LOCAL_BUDGET_TOKENS = 10_000_000;
/** The local chat and embedding models' names. */
export const LOCAL_CHAT_MODEL = 'fixture';
export const LOCAL_EMBEDDING_MODEL = 'fixture-embed';

/** How the local gateway is set up; every field has an embedded default. */
export interface LocalGatewayOptions {
  /** @default 0 (an ephemeral port) */
  readonly port?: number;
  /** The model behind every chat and embedding call. @default - the {@link FixtureModel} */
  readonly bedrock?: BedrockRuntimeApi;
  /** Chat model names and the Bedrock ids they call. @default - `fixture` */
  readonly chatModels?: ReadonlyArray<{ readonly name: string; readonly target: string }>;
  /** Embedding model names and their Bedrock ids. @default - `fixture-embed` */
  readonly embeddingModels?: ReadonlyArray<{ readonly name: string; readonly target: string }>;
  /** The guardrail Converse calls carry. @default - a placeholder the fixture model ignores */
  readonly guardrail?: { readonly identifier: string; readonly version: string };
  /** The region of real Bedrock calls. @default 'eu-central-1' */
  readonly region?: string;
  /** Audit events as JSON lines to this file. @default - kept in memory (`LocalGateway.audit.events`) */
  readonly auditFile?: string;
  /** @default - JSON lines on stderr */
  readonly logger?: LogSink;
  /**
   * API keys (the `Authorization: Bearer <key>` the OpenAI SDK sends) and their tenants, to try
   * tenancy locally; a key not listed is refused with 401. Each tenant gets the local budget.
   * @default - any key, or none, is the tenant {@link LOCAL_TENANT}
   */
  readonly apiKeys?: Readonly<Record<string, string>>;
  /** Tokens per month of each tenant that has a budget. @default - {@link LOCAL_BUDGET_TOKENS} for `local` and every `apiKeys` tenant */
  readonly budgets?: Readonly<Record<string, number>>;
}

/** A running local gateway. */
export interface LocalGateway {
  /** The OpenAI base URL: `http://127.0.0.1:<port>/v1`. */
  readonly url: string;
  readonly server: Server;
  readonly budget: InMemoryTokenBudget;
  readonly audit: LocalAuditWriter;
  close(): Promise<void>;
}

const STDERR_LOGGER: LogSink = {
  info: (message, attributes) => process.stderr.write(`${JSON.stringify({ level: 'info', message, ...attributes })}\n`),
  warn: (message, attributes) => process.stderr.write(`${JSON.stringify({ level: 'warn', message, ...attributes })}\n`),
  error: (message, attributes) => process.stderr.write(`${JSON.stringify({ level: 'error', message, ...attributes })}\n`),
};

/** Real Bedrock in `region`, signed with the caller's credentials from the environment (AWS_ACCESS_KEY_ID, ...). */
export function bedrockWithCallerCredentials(region: string, env: Record<string, string | undefined> = process.env): BedrockRuntimeApi {
  return new BedrockRuntime(new AwsHttp(region, credentialsFromEnv(env)));
}

/** The core's dependencies with the local defaults. */
export function localDeps(options: LocalGatewayOptions = {}): { deps: GatewayDeps; budget: InMemoryTokenBudget; audit: LocalAuditWriter } {
  const config = GatewayConfig.parse({
    chatModels: (options.chatModels ?? [{ name: LOCAL_CHAT_MODEL, target: LOCAL_CHAT_MODEL }]).map((m) => ({ ...m, provider: 'bedrock' })),
    embeddingModels: options.embeddingModels ?? [{ name: LOCAL_EMBEDDING_MODEL, target: LOCAL_EMBEDDING_MODEL }],
    guardrailIdentifier: options.guardrail?.identifier ?? 'local-guardrail',
    guardrailVersion: options.guardrail?.version ?? '1',
    budgetTable: 'local',
    region: options.region ?? 'eu-central-1',
    auditBucket: 'local-audit',
    auditKeyArn: 'local',
    tenantClaim: 'custom:tenant_id',
  });
  const tenants = [LOCAL_TENANT, ...Object.values(options.apiKeys ?? {})];
  const budget = new InMemoryTokenBudget(options.budgets ?? Object.fromEntries(tenants.map((tenant) => [tenant, LOCAL_BUDGET_TOKENS])));
  const audit = new LocalAuditWriter(options.auditFile);
  const unavailable = async (): Promise<never> => { throw new Error('no self-hosted models in local mode'); };
  const deps: GatewayDeps = {
    config,
    clients: { bedrock: options.bedrock ?? new FixtureModel(), sagemaker: { invokeEndpoint: unavailable } },
    budget,
    audit,
    logger: options.logger ?? STDERR_LOGGER,
    metrics: { addMetric: () => undefined },
    clock: SYSTEM_CLOCK,
  };
  return { deps, budget, audit };
}

/** The body, read up to one byte past the largest the gateway accepts (the core then answers 413). */
async function readBody(message: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of message) {
    const buffer = chunk as Buffer;
    if (size <= MAX_CHAT_COMPLETIONS_BODY_BYTES) chunks.push(buffer);
    size += buffer.length;
  }
  return size === 0 ? null : Buffer.concat(chunks).subarray(0, MAX_CHAT_COMPLETIONS_BODY_BYTES + 1).toString('utf8');
}

/**
 * The request as API Gateway would pass it: the route, the body and the tenant as the authorizer's
 * claim (none when `apiKeys` are given and the bearer key is not one of them: the core answers 401).
 */
export function toLocalRequest(method: string, url: string, body: string | null, authorization: string | undefined, apiKeys?: Readonly<Record<string, string>>): GatewayRequest {
  const path = new URL(url, 'http://127.0.0.1').pathname.replace(/\/+$/, '');
  const key = authorization?.replace(/^Bearer\s+/i, '');
  const tenant = apiKeys ? (key !== undefined && Object.hasOwn(apiKeys, key) ? apiKeys[key] : undefined) : LOCAL_TENANT;
  return {
    requestId: randomUUID(),
    method,
    resource: path,
    body,
    isBase64Encoded: false,
    authorizer: tenant === undefined ? null : { claims: { 'custom:tenant_id': tenant } },
  };
}

/**
 * Starts the local gateway on 127.0.0.1 (never another interface: every request is the local
 * tenant's, whatever credentials it carries).
 */
export async function startLocalGateway(options: LocalGatewayOptions = {}): Promise<LocalGateway> {
  const { deps, budget, audit } = localDeps(options);
  const server = createServer((message, reply) => {
    void (async () => {
      const request = toLocalRequest(message.method ?? 'GET', message.url ?? '/', await readBody(message), message.headers.authorization, options.apiKeys);
      const response = await handleGatewayRequest(request, deps);
      reply.writeHead(response.statusCode, response.headers).end(response.body);
    })().catch(() => { if (!reply.headersSent) reply.writeHead(500).end(); else reply.destroy(); });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    server,
    budget,
    audit,
    close: () => new Promise((resolve, reject) => {
      server.closeAllConnections();
      server.close((error) => (error ? reject(error) : resolve()));
    }),
  };
}
