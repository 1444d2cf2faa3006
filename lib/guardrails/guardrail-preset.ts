import type { CfnGuardrailProps } from 'aws-cdk-lib/aws-bedrock';
import { PavedRoadError } from '../core/errors';

/** How hard a Bedrock content filter pushes: the higher, the more is filtered. */
export class FilterStrength {
  /** The filter only reports, never filters. */
  public static readonly NONE = new FilterStrength('NONE');
  /** Filters content classified with high confidence. */
  public static readonly LOW = new FilterStrength('LOW');
  /** Filters content classified with medium or high confidence. */
  public static readonly MEDIUM = new FilterStrength('MEDIUM');
  /** Filters content classified with low, medium or high confidence. */
  public static readonly HIGH = new FilterStrength('HIGH');

  private constructor(
    /** The Bedrock strength value. */
    public readonly value: string,
  ) {}

  public toString(): string {
    return this.value;
  }
}

/** What the guardrail does with a detected piece of sensitive information. */
export class SensitiveInformationAction {
  /** Blocks the whole prompt or response and returns the blocked message. */
  public static readonly BLOCK = new SensitiveInformationAction('BLOCK');
  /** Replaces the match with an identifier tag such as `{EMAIL}` and lets the rest through. */
  public static readonly ANONYMIZE = new SensitiveInformationAction('ANONYMIZE');

  private constructor(
    /** The Bedrock action value. */
    public readonly value: string,
  ) {}

  public toString(): string {
    return this.value;
  }
}

/** A subject the guardrail refuses to discuss. */
export interface DeniedTopic {
  /** Short name: letters, digits, spaces and `-_!?.`, at most 100 characters. */
  readonly name: string;
  /** What the topic covers, at most 200 characters. Describe the topic, do not give instructions. */
  readonly definition: string;
  /**
   * Up to five example prompts of the topic, each at most 100 characters.
   * @default - none
   */
  readonly examples?: string[];
}

/** A custom pattern of sensitive information. */
export interface SensitivePattern {
  /** Name shown in guardrail assessments, at most 100 characters. */
  readonly name: string;
  /** The regular expression, at most 500 characters. */
  readonly pattern: string;
  /** Block or mask a match. */
  readonly action: SensitiveInformationAction;
  /**
   * What the pattern finds.
   * @default - none
   */
  readonly description?: string;
}

/** Options that adjust a {@link GuardrailPreset}. */
export interface GuardrailPresetOptions {
  /**
   * Extra topics to deny, added to the preset's own.
   * @default - only the preset's topics
   */
  readonly deniedTopics?: DeniedTopic[];
  /**
   * Extra sensitive-information patterns, added to the preset's own.
   * @default - only the preset's patterns
   */
  readonly sensitivePatterns?: SensitivePattern[];
  /**
   * Minimum grounding score (0-0.99) a RAG answer needs against its sources.
   * @default - 0.85 for strict, 0.7 for standard
   */
  readonly groundingThreshold?: number;
  /**
   * Minimum relevance score (0-0.99) a RAG answer needs against the question.
   * @default - 0.75 for strict, 0.5 for standard
   */
  readonly relevanceThreshold?: number;
}

const HARM_CATEGORIES = ['SEXUAL', 'VIOLENCE', 'HATE', 'INSULTS', 'MISCONDUCT'];
const CREDENTIALS = ['AWS_ACCESS_KEY', 'AWS_SECRET_KEY', 'PASSWORD'];
const FINANCIAL_IDENTIFIERS = [
  'CREDIT_DEBIT_CARD_NUMBER', 'CREDIT_DEBIT_CARD_CVV', 'CREDIT_DEBIT_CARD_EXPIRY', 'PIN',
  'INTERNATIONAL_BANK_ACCOUNT_NUMBER', 'SWIFT_CODE', 'US_BANK_ACCOUNT_NUMBER', 'US_BANK_ROUTING_NUMBER',
];
const CONTACT_DATA = ['EMAIL', 'PHONE', 'ADDRESS'];

/** Topics every preset denies: the gateway is not a tool for attacking systems or people. */
const BASELINE_TOPICS: DeniedTopic[] = [{
  name: 'Intrusion and malware',
  definition: 'Help to break into computer systems, steal credentials, bypass authentication or write malicious software.',
  examples: ['Write ransomware that encrypts a network share', 'How do I steal session cookies from another user?'],
}];

const STRICT_TOPICS: DeniedTopic[] = [{
  name: 'Regulated advice',
  definition: 'Individual legal, medical or investment advice that only a licensed professional may give.',
  examples: ['Which shares should I buy with my savings?', 'What dose of this medicine should I take?'],
}];

const BASELINE_PATTERNS: SensitivePattern[] = [{
  name: 'private-key',
  pattern: '-----BEGIN [A-Z ]*PRIVATE KEY-----',
  action: SensitiveInformationAction.BLOCK,
  description: 'PEM-encoded private keys',
}, {
  name: 'bearer-token',
  pattern: 'eyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}',
  action: SensitiveInformationAction.BLOCK,
  description: 'JSON Web Tokens (bearer credentials)',
}];

const TOPIC_NAME = /^[0-9a-zA-Z-_ !?.]{1,100}$/;

function validateThreshold(value: number, name: string, preset: string): void {
  if (!(value >= 0 && value <= 0.99)) {
    throw new PavedRoadError(`GuardrailPreset.${preset}: ${name} ${value} is outside 0-0.99; pass a score such as 0.7`);
  }
}

function validateTopic(topic: DeniedTopic, preset: string): void {
  const where = `GuardrailPreset.${preset}: denied topic '${topic.name}'`;
  if (!TOPIC_NAME.test(topic.name)) {
    throw new PavedRoadError(`${where}: name must be 1-100 letters, digits, spaces or -_!?. characters`);
  }
  if (topic.definition.length < 1 || topic.definition.length > 200) {
    throw new PavedRoadError(`${where}: definition is ${topic.definition.length} characters; write 1-200`);
  }
  const examples = topic.examples ?? [];
  if (examples.length > 5 || examples.some((example) => example.length < 1 || example.length > 100)) {
    throw new PavedRoadError(`${where}: give at most 5 examples of 1-100 characters each`);
  }
}

function validatePattern(pattern: SensitivePattern, preset: string): void {
  const where = `GuardrailPreset.${preset}: sensitive pattern '${pattern.name}'`;
  if (pattern.name.length < 1 || pattern.name.length > 100) {
    throw new PavedRoadError(`${where}: name must be 1-100 characters`);
  }
  if (pattern.pattern.length < 1 || pattern.pattern.length > 500) {
    throw new PavedRoadError(`${where}: pattern is ${pattern.pattern.length} characters; write 1-500`);
  }
  try {
    new RegExp(pattern.pattern);
  } catch {
    throw new PavedRoadError(`${where}: pattern is not a valid regular expression; test it before adding it`);
  }
}

/**
 * A typed guardrail configuration. Two presets cover the paved road:
 * {@link GuardrailPreset.strict} for personal or regulated data, {@link GuardrailPreset.standard}
 * for internal assistants. Both block prompt attacks, credentials and financial identifiers, and
 * mask contact data; strict filters harder and also denies regulated advice.
 */
export class GuardrailPreset {
  /** HIGH content filters and prompt-attack filter, regulated advice denied, names masked too. */
  public static strict(options: GuardrailPresetOptions = {}): GuardrailPreset {
    return new GuardrailPreset('strict', FilterStrength.HIGH, FilterStrength.HIGH, [...BASELINE_TOPICS, ...STRICT_TOPICS], [...CONTACT_DATA, 'NAME'], 0.85, 0.75, options);
  }

  /** MEDIUM content filters, HIGH prompt-attack filter, intrusion help denied. */
  public static standard(options: GuardrailPresetOptions = {}): GuardrailPreset {
    return new GuardrailPreset('standard', FilterStrength.MEDIUM, FilterStrength.HIGH, BASELINE_TOPICS, CONTACT_DATA, 0.7, 0.5, options);
  }

  /** Every topic the guardrail denies. */
  public readonly deniedTopics: DeniedTopic[];
  /** Every custom sensitive-information pattern. */
  public readonly sensitivePatterns: SensitivePattern[];
  /** Grounding threshold for RAG answers. */
  public readonly groundingThreshold: number;
  /** Relevance threshold for RAG answers. */
  public readonly relevanceThreshold: number;

  private constructor(
    /** Preset name: `strict` or `standard`. */
    public readonly id: string,
    /** Strength of the harmful-content filters on input and output. */
    public readonly contentFilterStrength: FilterStrength,
    /** Strength of the prompt-attack filter on input (Bedrock allows only NONE on output). */
    public readonly promptAttackStrength: FilterStrength,
    presetTopics: DeniedTopic[],
    /** PII entity types that are masked. */
    public readonly anonymizedEntities: string[],
    defaultGrounding: number,
    defaultRelevance: number,
    options: GuardrailPresetOptions,
  ) {
    this.deniedTopics = [...presetTopics, ...(options.deniedTopics ?? [])];
    this.sensitivePatterns = [...BASELINE_PATTERNS, ...(options.sensitivePatterns ?? [])];
    this.groundingThreshold = options.groundingThreshold ?? defaultGrounding;
    this.relevanceThreshold = options.relevanceThreshold ?? defaultRelevance;
    validateThreshold(this.groundingThreshold, 'groundingThreshold', id);
    validateThreshold(this.relevanceThreshold, 'relevanceThreshold', id);
    this.deniedTopics.forEach((topic) => validateTopic(topic, id));
    this.sensitivePatterns.forEach((pattern) => validatePattern(pattern, id));
    const names = new Set<string>();
    for (const topic of this.deniedTopics) {
      if (names.has(topic.name)) throw new PavedRoadError(`GuardrailPreset.${id}: denied topic '${topic.name}' is defined twice; give each topic a unique name`);
      names.add(topic.name);
    }
  }

  /** PII entity types that block the whole message. */
  public get blockedEntities(): string[] {
    return [...CREDENTIALS, ...FINANCIAL_IDENTIFIERS];
  }

  /** The guardrail policies in CloudFormation shape. */
  public renderPolicies(): Pick<CfnGuardrailProps, 'contentPolicyConfig' | 'topicPolicyConfig' | 'wordPolicyConfig' | 'sensitiveInformationPolicyConfig' | 'contextualGroundingPolicyConfig'> {
    const strength = this.contentFilterStrength.value;
    return {
      contentPolicyConfig: {
        filtersConfig: [
          ...HARM_CATEGORIES.map((type) => ({ type, inputStrength: strength, outputStrength: strength })),
          { type: 'PROMPT_ATTACK', inputStrength: this.promptAttackStrength.value, outputStrength: FilterStrength.NONE.value },
        ],
      },
      topicPolicyConfig: {
        topicsConfig: this.deniedTopics.map((topic) => ({ name: topic.name, definition: topic.definition, examples: topic.examples, type: 'DENY' })),
      },
      wordPolicyConfig: { managedWordListsConfig: [{ type: 'PROFANITY' }] },
      sensitiveInformationPolicyConfig: {
        piiEntitiesConfig: [
          ...this.blockedEntities.map((type) => ({ type, action: SensitiveInformationAction.BLOCK.value })),
          ...this.anonymizedEntities.map((type) => ({ type, action: SensitiveInformationAction.ANONYMIZE.value })),
        ],
        regexesConfig: this.sensitivePatterns.map((p) => ({ name: p.name, pattern: p.pattern, action: p.action.value, description: p.description })),
      },
      contextualGroundingPolicyConfig: {
        filtersConfig: [
          { type: 'GROUNDING', threshold: this.groundingThreshold },
          { type: 'RELEVANCE', threshold: this.relevanceThreshold },
        ],
      },
    };
  }
}
