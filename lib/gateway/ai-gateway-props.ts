import type * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Foundation } from '../foundation/foundation';
import type { IGuardrailPolicy } from '../guardrails/guardrail-policy';
import type { IHybridSearch } from '../retrieval/hybrid-search';
import { PavedRoadError } from '../core/errors';

/** A chat model the gateway may route to. */
export class GatewayModel {
  /**
   * A Bedrock model or geographic inference profile, called through Converse with the guardrail.
   * @param modelId e.g. `eu.anthropic.claude-sonnet-4-5-20250929-v1:0`; must stay inside the residency zone
   * @param fallbacks names of other gateway models to try, in order, when this one fails
   */
  public static bedrock(modelId: string, fallbacks: string[] = []): GatewayModel {
    return new GatewayModel(modelId, 'bedrock', modelId, fallbacks);
  }

  /**
   * A self-hosted model on a SageMaker real-time endpoint speaking the OpenAI-compatible messages
   * API (LMI, TGI). The gateway runs ApplyGuardrail on its input and output.
   * @param name the name clients use
   * @param endpointName the SageMaker endpoint name
   * @param fallbacks names of other gateway models to try, in order, when this one fails
   * @param inferenceComponentName the inference component that hosts the model, for endpoints that
   * host components (a `GpuInferenceEndpoint` that scales to zero does): the gateway names it in every
   * call and may invoke only it
   */
  public static selfHosted(name: string, endpointName: string, fallbacks: string[] = [], inferenceComponentName?: string): GatewayModel {
    return new GatewayModel(name, 'sagemaker', endpointName, fallbacks, inferenceComponentName);
  }

  private constructor(
    /** The name clients pass as `model`. */
    public readonly name: string,
    /** `bedrock` or `sagemaker`. */
    public readonly provider: string,
    /** Bedrock model id or SageMaker endpoint name. */
    public readonly target: string,
    /** Names of the models to fall back to, in order. */
    public readonly fallbacks: string[],
    /** The inference component of a self-hosted model, when its endpoint hosts components. */
    public readonly inferenceComponentName?: string,
  ) {
    if (!/^[A-Za-z0-9][A-Za-z0-9.:_-]{0,127}$/.test(name)) {
      throw new PavedRoadError(`GatewayModel: name '${name}' must be 1-128 letters, digits or .:_- characters`);
    }
  }
}

/** How callers authenticate and how the gateway learns their tenant. */
export class GatewayAuthorization {
  /**
   * Cognito user pool ID tokens; the tenant is the value of a custom attribute claim.
   * @param userPool the pool; a hardened pool (MFA, threat protection) is created when omitted
   * @param tenantAttribute custom attribute holding the tenant id, without the `custom:` prefix
   */
  public static cognito(userPool?: cognito.IUserPool, tenantAttribute = 'tenant_id'): GatewayAuthorization {
    return new GatewayAuthorization('cognito', userPool, tenantAttribute, []);
  }

  /**
   * One API key per tenant, in a usage plan with the gateway's throttling. Keys identify, they do
   * not authenticate strongly: use for service-to-service callers inside a private API.
   * @param tenants tenant ids; one key is created per tenant
   */
  public static apiKeys(tenants: string[]): GatewayAuthorization {
    if (tenants.length === 0) throw new PavedRoadError('GatewayAuthorization.apiKeys: pass at least one tenant id');
    for (const tenant of tenants) {
      if (!/^[a-z0-9][a-z0-9-]{1,62}$/.test(tenant)) {
        throw new PavedRoadError(`GatewayAuthorization.apiKeys: tenant '${tenant}' must be 2-63 lower-case letters, digits or dashes`);
      }
    }
    return new GatewayAuthorization('api-keys', undefined, undefined, tenants);
  }

  private constructor(
    /** `cognito` or `api-keys`. */
    public readonly mode: string,
    /** The user pool, in Cognito mode, if one was given. */
    public readonly userPool: cognito.IUserPool | undefined,
    /** The tenant custom attribute, in Cognito mode. */
    public readonly tenantAttribute: string | undefined,
    /** Tenants with API keys, in API-key mode. */
    public readonly tenants: string[],
  ) {}
}

/** Where the API is reachable. */
export class GatewayEndpoint {
  /** A regional endpoint behind the WAF web ACL. */
  public static readonly REGIONAL = new GatewayEndpoint('REGIONAL');
  /**
   * A private endpoint reachable only through an execute-api VPC endpoint in the foundation VPC:
   * the resource policy denies every request that does not arrive through that endpoint. The WAF
   * web ACL stays associated (AWS WAF protects REST API stages of every endpoint type); its
   * per-IP rate rule then counts the callers' private addresses.
   */
  public static readonly PRIVATE = new GatewayEndpoint('PRIVATE');

  private constructor(
    /** The API Gateway endpoint type. */
    public readonly type: string,
  ) {}
}

/** Whether and how prompts and completions are kept in the audit trail. */
export class ContentCapture {
  /** Only metadata: tokens, model, outcome. */
  public static readonly NONE = new ContentCapture('none');
  /**
   * HMAC-SHA256 of prompt and completion, keyed from an HMAC KMS key of the environment, to prove
   * what was sent without keeping it: nobody without GenerateMac on that key can confirm a guess.
   */
  public static readonly HASHED = new ContentCapture('hashed');
  /** PII-redacted text, truncated to 4 KB. */
  public static readonly REDACTED = new ContentCapture('redacted');

  private constructor(
    /** The value the gateway function reads. */
    public readonly value: string,
  ) {}
}

/** Length of a tenant token-budget period. */
export class BudgetPeriod {
  /** Budgets reset at 00:00 UTC. */
  public static readonly DAILY = new BudgetPeriod('day');
  /** Budgets reset on the first of the month, 00:00 UTC. */
  public static readonly MONTHLY = new BudgetPeriod('month');

  private constructor(
    /** The value the gateway function reads. */
    public readonly value: string,
  ) {}
}

/** Properties of an {@link AiGateway}. */
export interface AiGatewayProps {
  /** The environment's foundation: VPC, keys, log settings. */
  readonly foundation: Foundation;
  /** The guardrail every model call is bound to. */
  readonly guardrail: IGuardrailPolicy;
  /** Chat models, first is the default. Bedrock ids must stay inside the residency zone. */
  readonly chatModels: GatewayModel[];
  /**
   * Bedrock embedding model ids (Amazon Titan text embeddings).
   * @default ['amazon.titan-embed-text-v2:0']
   */
  readonly embeddingModels?: string[];
  /** Bucket that receives one audit object per request (the data lake's audit bucket). */
  readonly auditBucket: s3.IBucket;
  /**
   * Key the audit objects are encrypted with (SSE-KMS).
   * @default - the bucket's encryption key; a bucket without one is refused
   */
  readonly auditKey?: kms.IKey;
  /**
   * Key prefix of the audit objects.
   * @default 'gateway/'
   */
  readonly auditPrefix?: string;
  /**
   * Whether prompts and completions appear in the audit trail, hashed or redacted.
   * @default ContentCapture.NONE
   */
  readonly contentCapture?: ContentCapture;
  /**
   * How callers authenticate.
   * @default GatewayAuthorization.cognito() with a new, hardened user pool
   */
  readonly authorization?: GatewayAuthorization;
  /**
   * Where the API is reachable.
   * @default GatewayEndpoint.REGIONAL
   */
  readonly endpoint?: GatewayEndpoint;
  /**
   * Length of a tenant budget period.
   * @default BudgetPeriod.MONTHLY
   */
  readonly budgetPeriod?: BudgetPeriod;
  /**
   * Steady-state requests per second of the stage, across tenants.
   * @default 50
   */
  readonly throttlingRatePerSecond?: number;
  /**
   * Burst of requests the stage admits above the steady rate.
   * @default 100
   */
  readonly throttlingBurst?: number;
  /**
   * Requests per client IP per 5 minutes before the WAF rate-based rule blocks it.
   * @default 1000
   */
  readonly wafRequestsPer5MinutesPerIp?: number;
  /**
   * Concurrency reserved for (and capping) the gateway function.
   * @default 50
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Hybrid retrieval the gateway calls for POST /v1/retrieve and chat with `retrieval`. The
   * gateway may invoke only its retrieval function, through the Lambda Invoke API.
   * @default - retrieval routes answer 404 not_found
   */
  readonly retrieval?: IHybridSearch;
  /**
   * Topic the gateway's alarms notify when they go into ALARM and back to OK.
   * @default - the foundation's alarm topic
   */
  readonly alarmTopic?: sns.ITopic;
}
