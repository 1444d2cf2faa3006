import * as z from 'zod/mini';

const name = z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9.:_-]{0,127}$/));
const nonEmpty = () => z.string().check(z.minLength(1));
const intIn = (min: number, max: number, fallback: number) => z._default(z.int().check(z.gte(min), z.lte(max)), fallback);

const ChatTarget = z.strictObject({
  /** Name clients use; for Bedrock the model or inference-profile id. */
  name,
  provider: z.enum(['bedrock', 'sagemaker']),
  /** Bedrock model or inference-profile id, or SageMaker endpoint name. */
  target: nonEmpty(),
  /** SageMaker only: the inference component that hosts the model (endpoints that scale to zero host one). */
  inferenceComponent: z.optional(z.string().check(z.regex(/^[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$/))),
  /** Models to try, in order, when this one is throttled, failing or too slow. */
  fallbacks: z._default(z.array(name), []),
});
export type ChatTarget = z.infer<typeof ChatTarget>;

const EmbeddingTarget = z.strictObject({ name, target: nonEmpty() });
export type EmbeddingTarget = z.infer<typeof EmbeddingTarget>;

/** The gateway's per-environment configuration, set by the AiGateway construct. */
export const GatewayConfig = z.strictObject({
  chatModels: z.array(ChatTarget).check(z.minLength(1)),
  embeddingModels: z._default(z.array(EmbeddingTarget), []),
  guardrailIdentifier: nonEmpty(),
  guardrailVersion: z.string().check(z.regex(/^[0-9]{1,8}$/)),
  budgetTable: nonEmpty(),
  budgetPeriod: z._default(z.enum(['day', 'month']), 'month'),
  /** The environment's region: every AWS call stays in it. */
  region: z.string().check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d$/)),
  // Virtual-hosted-style S3 URLs need a bucket name without dots (TLS wildcard certificates).
  auditBucket: z.string().check(z.regex(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/)),
  auditPrefix: z._default(z.string(), 'gateway/'),
  auditKeyArn: nonEmpty(),
  contentCapture: z._default(z.enum(['none', 'hashed', 'redacted']), 'none'),
  /** ARN of the HMAC KMS key that `hashed` capture derives its hash key from; required with `hashed`. */
  contentHashKeyArn: z.optional(nonEmpty()),
  tenantClaim: z._default(nonEmpty(), 'custom:tenant_id'),
  apiKeyTenants: z._default(z.record(z.string(), z.string()), {}),
  /** ARN of the retrieval function; without it the retrieval routes answer `not_found`. */
  retrievalFunction: z.optional(z.string().check(z.regex(/^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}$/))),
  deadlineMs: intIn(1000, 28_000, 25_000),
  maxAttemptsPerTarget: intIn(1, 5, 3),
  baseDelayMs: intIn(1, 5_000, 100),
  maxDelayMs: intIn(1, 10_000, 2_000),
  /** While a chat target runs, time kept for each fallback after it (lambda/gateway/routing.ts). */
  fallbackReserveMs: intIn(0, 10_000, 5_000),
}).check(z.superRefine((config, ctx) => {
  if (config.contentCapture === 'hashed' && !config.contentHashKeyArn) {
    ctx.addIssue({ code: 'custom', message: 'hashed content capture needs CONTENT_HASH_KEY_ARN, the HMAC key the hashes are keyed with', path: ['contentHashKeyArn'] });
  }
  const names = new Set(config.chatModels.map((model) => model.name));
  for (const model of config.chatModels) {
    for (const fallback of model.fallbacks) {
      if (!names.has(fallback)) ctx.addIssue({ code: 'custom', message: `fallback '${fallback}' of '${model.name}' is not a chat model`, path: ['chatModels'] });
    }
  }
}));
export type GatewayConfig = z.infer<typeof GatewayConfig>;

/** Environment variable names the construct sets. */
export const CONFIG_ENV = {
  models: 'GATEWAY_MODELS',
  guardrailIdentifier: 'GUARDRAIL_IDENTIFIER',
  guardrailVersion: 'GUARDRAIL_VERSION',
  budgetTable: 'BUDGET_TABLE',
  budgetPeriod: 'BUDGET_PERIOD',
  auditBucket: 'AUDIT_BUCKET',
  auditPrefix: 'AUDIT_PREFIX',
  auditKeyArn: 'AUDIT_KEY_ARN',
  contentCapture: 'CONTENT_CAPTURE',
  contentHashKeyArn: 'CONTENT_HASH_KEY_ARN',
  tenantClaim: 'TENANT_CLAIM',
  apiKeyTenants: 'API_KEY_TENANTS',
  deadlineMs: 'DEADLINE_MS',
  retrievalFunction: 'RETRIEVAL_FUNCTION',
  region: 'AWS_REGION',
} as const;

/**
 * Reads the configuration from the function's environment.
 * @throws Error naming the variable that is missing or malformed (fails the cold start loudly)
 */
export function loadConfig(env: Record<string, string | undefined>): GatewayConfig {
  const json = (key: string) => {
    const value = env[key];
    if (value === undefined || value === '') return undefined;
    try {
      return JSON.parse(value);
    } catch {
      throw new Error(`gateway configuration: ${key} is not valid JSON`);
    }
  };
  const models = json(CONFIG_ENV.models) ?? {};
  const result = GatewayConfig.safeParse({
    chatModels: models.chatModels,
    embeddingModels: models.embeddingModels,
    guardrailIdentifier: env[CONFIG_ENV.guardrailIdentifier],
    guardrailVersion: env[CONFIG_ENV.guardrailVersion],
    budgetTable: env[CONFIG_ENV.budgetTable],
    budgetPeriod: env[CONFIG_ENV.budgetPeriod] || undefined,
    region: env[CONFIG_ENV.region],
    auditBucket: env[CONFIG_ENV.auditBucket],
    auditPrefix: env[CONFIG_ENV.auditPrefix] || undefined,
    auditKeyArn: env[CONFIG_ENV.auditKeyArn],
    contentCapture: env[CONFIG_ENV.contentCapture] || undefined,
    contentHashKeyArn: env[CONFIG_ENV.contentHashKeyArn] || undefined,
    tenantClaim: env[CONFIG_ENV.tenantClaim] || undefined,
    // A list of [apiKeyId, tenantId] pairs: the key ids are only known at deploy time.
    apiKeyTenants: (() => {
      const pairs = json(CONFIG_ENV.apiKeyTenants);
      return Array.isArray(pairs) ? Object.fromEntries(pairs) : pairs;
    })(),
    deadlineMs: env[CONFIG_ENV.deadlineMs] ? Number(env[CONFIG_ENV.deadlineMs]) : undefined,
    retrievalFunction: env[CONFIG_ENV.retrievalFunction] || undefined,
  });
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || 'config'}: ${issue.message}`).join('; ');
    throw new Error(`gateway configuration is invalid: ${problems}`);
  }
  return result.data;
}
