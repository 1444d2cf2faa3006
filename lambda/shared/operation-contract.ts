/**
 * Operation contracts: what a caller does to AWS at run time, declared once next to the code that
 * does it, so that a test can evaluate the deployed permissions against it with an IAM simulator
 * (identity policies of the caller and the resource's policy, with the request context the
 * service sets). Tests written against our own fakes cannot see the authorization AWS performs;
 * a contract makes it explicit, including the KMS calls a service makes with the caller's
 * credentials when the caller uses an SSE-KMS resource.
 *
 * A contract is evaluated at synth time against the deployed configuration (the function's
 * environment variables, as CloudFormation values) and recorded in the template, where the
 * simulation test and auditors read it.
 */

/** Where a contract is evaluated: the caller's deployed configuration and its environment. */
export interface ContractScope {
  /** The function's environment variables as deployed (CloudFormation values at synth time). */
  readonly env: Readonly<Record<string, string>>;
  /** AWS partition, e.g. `aws`. */
  readonly partition: string;
  /** Region the caller runs in. */
  readonly region: string;
  /** Account the caller runs in. */
  readonly account: string;
  /**
   * Regions a Bedrock geographic inference profile (e.g. `eu.anthropic.claude-...`) may route a
   * request to, from the region catalogue; empty for an in-region model id.
   */
  profileDestinations(modelOrProfileId: string): readonly string[];
}

/** KMS actions a service may perform with the caller's credentials. */
export type KmsAction = 'kms:Decrypt' | 'kms:Encrypt' | 'kms:GenerateDataKey' | 'kms:DescribeKey' | 'kms:ReEncryptFrom' | 'kms:ReEncryptTo';

/**
 * The KMS calls a service makes with the caller's credentials when the caller uses a resource
 * encrypted with a customer managed key (e.g. DynamoDB decrypting the table key, SQS generating a
 * data key for a message).
 */
export interface ImplicitKmsUse {
  /** What the service asks KMS for. */
  readonly actions: readonly KmsAction[];
  /** Service that calls KMS; the request carries `kms:ViaService = <viaService>.<region>.amazonaws.com`. */
  readonly viaService: string;
  /**
   * ARN of the key, when the caller names it (e.g. the key of an SSE-KMS PutObject header).
   * @default - the key that encrypts the call's resource, as the template configures it
   */
  readonly keyArn?: string;
  /**
   * ARN of the resource whose key is used, when it is not the call's own resource (e.g. the
   * guardrail's key on a Converse call that names the guardrail).
   * @default - the call's resource
   */
  readonly keyOf?: string;
  /** Encryption context the service sends, as `kms:EncryptionContext:<key>` condition values. */
  readonly encryptionContext?: Readonly<Record<string, string>>;
}

/** One authorization check an operation causes. */
export interface AwsCall {
  /** IAM action, e.g. `dynamodb:UpdateItem` (the service authorization reference's name). */
  readonly action: string;
  /** ARN of the resource the action is authorized against. */
  readonly resource: string;
  /** Condition keys the service sets on the request, e.g. `bedrock:GuardrailIdentifier`. */
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
  /** KMS calls the service makes with the caller's credentials for this call. */
  readonly kms?: ImplicitKmsUse;
}

/** One API operation a caller performs, as the binding that sends it declares it. */
export interface OperationContract {
  /** SigV4 signing name of the service, e.g. `dynamodb`, `bedrock`, `es`. */
  readonly signingName: string;
  /** The API operation, e.g. `UpdateItem`; for OpenSearch the HTTP method, e.g. `ESHttpPost`. */
  readonly operation: string;
  /** Documentation pages for the action, its resources, its condition keys and its KMS use. */
  readonly docs: readonly string[];
  /**
   * The authorization checks the operation causes where it is deployed; none when the
   * configuration does not enable it (e.g. no retrieval function configured).
   */
  calls(scope: ContractScope): AwsCall[];
}
