import { createHash } from 'node:crypto';
import { ArnFormat, Fn, Stack, Token } from 'aws-cdk-lib';
import * as bedrock from 'aws-cdk-lib/aws-bedrock';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct, type IConstruct } from 'constructs';
import { DataClass } from '../core/data-class';
import { PavedRoadError } from '../core/errors';
import type { Foundation } from '../foundation/foundation';
import { RegionCatalogue } from '../residency/region-catalogue';
import { ResidencyZone } from '../residency/residency-zone';
import { declareServiceOperations, justifyUnusedGrants, ServiceCaller } from '../permissions/service-operations';
import { GuardrailPreset } from './guardrail-preset';

/**
 * The IAM actions that authorize running a model: Converse is authorized by
 * `bedrock:InvokeModel` and ConverseStream by `bedrock:InvokeModelWithResponseStream`; the
 * service authorization reference has no `bedrock:Converse*` action.
 * https://docs.aws.amazon.com/bedrock/latest/userguide/conversation-inference-call.html
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonbedrock.html
 */
export const MODEL_INVOCATION_ACTIONS = ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'];

const EMBEDDING_MODEL = /(^|\.)[a-z0-9-]*embed/;

/** A Bedrock guardrail with a published version that model calls can be bound to. */
export interface IGuardrailPolicy extends IConstruct {
  /** ARN of the guardrail, e.g. `arn:aws:bedrock:eu-central-1:111122223333:guardrail/abc123`. */
  readonly guardrailArn: string;
  /** Id of the guardrail. */
  readonly guardrailId: string;
  /** The published version number callers must pass (never `DRAFT`). */
  readonly guardrailVersion: string;
  /** `<guardrailArn>:<version>`, the value of the `bedrock:GuardrailIdentifier` condition key. */
  readonly guardrailVersionArn: string;
  /**
   * Lets `grantee` call ApplyGuardrail with this guardrail: for models without native guardrails,
   * and for Converse calls that name it, which Bedrock authorizes as ApplyGuardrail on it too.
   */
  grantApply(grantee: iam.IGrantable): iam.Grant;
  /**
   * Lets `grantee` invoke `models` only with this guardrail version, and denies every
   * invocation without a guardrail. Call once per grantee with every model it needs.
   */
  grantModelInvocation(grantee: iam.IGrantable, models: string[]): iam.Grant;
}

/** Properties of a {@link GuardrailPolicy}. */
export interface GuardrailPolicyProps {
  /** The environment's foundation: its CONFIDENTIAL key encrypts the guardrail. */
  readonly foundation: Foundation;
  /**
   * The guardrail configuration.
   * @default GuardrailPreset.strict()
   */
  readonly preset?: GuardrailPreset;
  /**
   * Name of the guardrail.
   * @default 'paved-road-<environment>-<preset>'
   */
  readonly guardrailName?: string;
  /**
   * Message returned when the guardrail blocks a prompt.
   * @default 'This request was blocked by the content policy of this service.'
   */
  readonly blockedInputMessage?: string;
  /**
   * Message returned when the guardrail blocks a model response.
   * @default 'The answer was withheld by the content policy of this service.'
   */
  readonly blockedOutputMessage?: string;
  /**
   * Also enforce this guardrail on every Bedrock inference call of the account in this region,
   * through `AWS::Bedrock::EnforcedGuardrailConfiguration`. The configuration is one per account
   * and region: enable it in exactly one stack per account and region.
   * @default false
   */
  readonly enforceAccountWide?: boolean;
}

/**
 * A Bedrock guardrail from a typed preset, encrypted with the foundation's CONFIDENTIAL key,
 * plus a published version. A new version is published whenever the configuration changes,
 * because the version's description carries a hash of the configuration.
 *
 * {@link grantModelInvocation} is the paved road's answer to "a model call without the
 * guardrail": IAM denies it.
 */
export class GuardrailPolicy extends Construct implements IGuardrailPolicy {
  public readonly guardrailArn: string;
  public readonly guardrailId: string;
  public readonly guardrailVersion: string;
  public readonly guardrailVersionArn: string;
  /** The preset the guardrail was built from. */
  public readonly preset: GuardrailPreset;
  /** The key that encrypts the guardrail. */
  public readonly encryptionKey: kms.IKey;
  /** The guardrail resource. */
  public readonly guardrail: bedrock.CfnGuardrail;
  /** The published version. */
  public readonly version: bedrock.CfnGuardrailVersion;
  /** The account-level enforcement, when {@link GuardrailPolicyProps.enforceAccountWide} is set. */
  public readonly accountEnforcement?: bedrock.CfnEnforcedGuardrailConfiguration;
  private readonly foundation: Foundation;
  private readonly invokers = new Set<iam.IPrincipal>();

  constructor(scope: Construct, id: string, props: GuardrailPolicyProps) {
    super(scope, id);
    const env = props.foundation.environment;
    this.foundation = props.foundation;
    this.preset = props.preset ?? GuardrailPreset.strict();
    this.encryptionKey = props.foundation.keyFor(DataClass.CONFIDENTIAL);
    const name = props.guardrailName ?? `paved-road-${env.name}-${this.preset.id}`;
    if (!Token.isUnresolved(name) && !/^[0-9a-zA-Z-_]{1,50}$/.test(name)) {
      throw new PavedRoadError(`${this.node.path}: guardrailName '${name}' must be 1-50 letters, digits, dashes or underscores`);
    }
    const blockedInputMessaging = props.blockedInputMessage ?? 'This request was blocked by the content policy of this service.';
    const blockedOutputsMessaging = props.blockedOutputMessage ?? 'The answer was withheld by the content policy of this service.';
    for (const [prop, message] of [['blockedInputMessage', blockedInputMessaging], ['blockedOutputMessage', blockedOutputsMessaging]]) {
      if (message.length < 1 || message.length > 500) {
        throw new PavedRoadError(`${this.node.path}: ${prop} is ${message.length} characters; write 1-500`);
      }
    }
    const policies = this.preset.renderPolicies();

    this.guardrail = new bedrock.CfnGuardrail(this, 'Resource', {
      name,
      description: `paved-road ${env.name}: ${this.preset.id} guardrail for every model call`,
      blockedInputMessaging,
      blockedOutputsMessaging,
      kmsKeyArn: this.encryptionKey.keyArn,
      ...policies,
    });
    const configHash = createHash('sha256').update(JSON.stringify({ policies, blockedInputMessaging, blockedOutputsMessaging })).digest('hex').slice(0, 16);
    this.version = new bedrock.CfnGuardrailVersion(this, 'Version', {
      guardrailIdentifier: this.guardrail.attrGuardrailId,
      description: `paved-road ${this.preset.id} preset, configuration ${configHash}`,
    });
    this.guardrailArn = this.guardrail.attrGuardrailArn;
    this.guardrailId = this.guardrail.attrGuardrailId;
    this.guardrailVersion = this.version.attrVersion;
    this.guardrailVersionArn = Fn.join(':', [this.guardrailArn, this.guardrailVersion]);
    this.declareKeyUseAtCreation(env.region, env.account);

    if (props.enforceAccountWide ?? false) {
      this.accountEnforcement = new bedrock.CfnEnforcedGuardrailConfiguration(this, 'AccountEnforcement', {
        guardrailIdentifier: this.guardrailId,
        guardrailVersion: this.guardrailVersion,
        // Every user message is evaluated; system prompts only where a caller tags them.
        selectiveContentGuarding: { messages: 'COMPREHENSIVE', system: 'SELECTIVE' },
      });
    }
  }

  public grantApply(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipal({ grantee, actions: ['bedrock:ApplyGuardrail'], resourceArns: [this.guardrailArn] });
    this.grantKeyUse(grantee);
    return grant;
  }

  public grantModelInvocation(grantee: iam.IGrantable, models: string[]): iam.Grant {
    const env = this.foundation.environment;
    const context = `${this.node.path}: grantModelInvocation`;
    if (models.length === 0) {
      throw new PavedRoadError(`${context}: pass at least one model id (e.g. '${env.zone.profilePrefixes()[0] ?? 'anthropic'}...')`);
    }
    if (this.invokers.has(grantee.grantPrincipal)) {
      throw new PavedRoadError(`${context}: already called for this principal; call it once with every model the principal needs, so that its Deny statement matches its Allow statements`);
    }
    this.invokers.add(grantee.grantPrincipal);
    for (const model of models) {
      if (Token.isUnresolved(model)) {
        throw new PavedRoadError(`${context}: model ids must be literal strings so residency can be checked at synth time`);
      }
      env.zone.assertModel(model, context);
    }
    const generative = models.filter((model) => !EMBEDDING_MODEL.test(GuardrailPolicy.foundationModelOf(model)));
    const embedding = models.filter((model) => EMBEDDING_MODEL.test(GuardrailPolicy.foundationModelOf(model)));
    const generativeArns = [...new Set(generative.flatMap((model) => this.modelArns(model)))];
    const embeddingArns = [...new Set(embedding.flatMap((model) => this.modelArns(model)))];

    let grant: iam.Grant | undefined;
    if (generativeArns.length > 0) {
      const role = grantee.grantPrincipal instanceof iam.Role ? grantee.grantPrincipal : undefined;
      if (role) {
        justifyUnusedGrants(role, {
          actions: ['bedrock:InvokeModelWithResponseStream'],
          reason: 'grantModelInvocation allows the streaming action with InvokeModel so a grantee that streams (ConverseStream) is held to the same guardrail condition; the Deny statement covers both, so streaming without the guardrail stays impossible.',
        });
      }
      grant = iam.Grant.addToPrincipal({
        grantee,
        actions: MODEL_INVOCATION_ACTIONS,
        resourceArns: generativeArns,
        conditions: { StringEquals: { 'bedrock:GuardrailIdentifier': this.guardrailVersionArn } },
      });
    }
    if (embeddingArns.length > 0) {
      // Embedding models take no guardrail: they return vectors, not text.
      const embeddingGrant = iam.Grant.addToPrincipal({ grantee, actions: ['bedrock:InvokeModel'], resourceArns: embeddingArns });
      grant = grant ? grant.combine(embeddingGrant) : embeddingGrant;
    }
    // Whatever else the principal is ever granted, a model call without a guardrail is denied.
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'DenyModelInvocationWithoutGuardrail',
      effect: iam.Effect.DENY,
      actions: MODEL_INVOCATION_ACTIONS,
      ...(embeddingArns.length > 0 ? { notResources: embeddingArns } : { resources: ['*'] }),
      conditions: { Null: { 'bedrock:GuardrailIdentifier': 'true' } },
    }));
    this.grantKeyUse(grantee);
    return grant!;
  }

  /**
   * The foundation model behind a model or geographic profile id
   * (`eu.anthropic.claude-x` → `anthropic.claude-x`).
   */
  public static foundationModelOf(model: string): string {
    const prefix = ResidencyZone.profilePrefixOf(model);
    return prefix === undefined ? model : model.slice(prefix.length + 1);
  }

  /**
   * The ARNs a call of `model` touches: the foundation model in this region, or for a
   * geographic profile the profile in this region plus the foundation model in every
   * destination region of the profile.
   */
  private modelArns(model: string): string[] {
    const stack = Stack.of(this);
    const region = this.foundation.environment.region;
    const foundationModelArn = (inRegion: string, id: string) => stack.formatArn({
      service: 'bedrock', region: inRegion, account: '', resource: 'foundation-model', resourceName: id, arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    const prefix = ResidencyZone.profilePrefixOf(model);
    if (prefix === undefined) return [foundationModelArn(region, model)];
    const profileArn = stack.formatArn({
      service: 'bedrock', region, account: this.foundation.environment.account, resource: 'inference-profile', resourceName: model, arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    const foundationModel = GuardrailPolicy.foundationModelOf(model);
    return [profileArn, ...RegionCatalogue.profileDestinations(prefix).map((destination) => foundationModelArn(destination, foundationModel))];
  }

  /**
   * Bedrock encrypts the guardrail with the creator's credentials: CloudFormation's execution
   * role needs kms:Decrypt, GenerateDataKey, DescribeKey and CreateGrant on the key through
   * Bedrock (the grant is for an AWS resource, so the key's grant guard allows it).
   * https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-permissions-kms.html
   */
  private declareKeyUseAtCreation(region: string, account: string): void {
    const viaBedrock = { 'kms:ViaService': `bedrock.${region}.amazonaws.com`, 'kms:CallerAccount': account };
    declareServiceOperations(this.guardrail, {
      description: 'Bedrock encrypts the new guardrail with its key, with the deployer\'s credentials',
      docs: ['https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-permissions-kms.html', 'https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-grant-is-for-aws-resource'],
      caller: ServiceCaller.deployer(),
      calls: [
        ...['kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'].map((action) => ({ action, resource: this.encryptionKey.keyArn, context: viaBedrock })),
        { action: 'kms:CreateGrant', resource: this.encryptionKey.keyArn, context: { ...viaBedrock, 'kms:GrantIsForAWSResource': 'true' } },
      ],
    });
  }

  /** Guardrails encrypted with a customer key need kms:Decrypt from their callers, through Bedrock only. */
  private grantKeyUse(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['kms:Decrypt'],
      resourceArns: [this.encryptionKey.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `bedrock.${this.foundation.environment.region}.amazonaws.com` } },
    });
  }
}
