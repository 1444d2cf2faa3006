import * as path from 'node:path';
import { Duration, Lazy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { OperationContract } from '../../lambda/shared/operation-contract';
import { acknowledgeFinding } from '../compliance/acknowledge';
import { DataClass } from '../core/data-class';
import type { Foundation } from '../foundation/foundation';
import { RegionCatalogue } from '../residency/region-catalogue';
import { ResidencyZone } from '../residency/residency-zone';

const PROJECT_ROOT = path.join(__dirname, '..', '..');

/** Template metadata key under which a function's evaluated operation contracts are recorded. */
export const OPERATIONS_METADATA_KEY = 'paved-road:operations';

/** Properties of a {@link PavedRoadFunction}. */
export interface PavedRoadFunctionProps {
  /** The environment's foundation: VPC, keys and log settings. */
  readonly foundation: Foundation;
  /** Path of the TypeScript handler module, e.g. `lambda/gateway/index.ts` (relative to the repo root or absolute). */
  readonly entry: string;
  /** What the function does, shown in the console and the compliance report. */
  readonly description: string;
  /**
   * Name of the exported handler.
   * @default 'handler'
   */
  readonly handler?: string;
  /**
   * Environment variables. Encrypted at rest with the foundation's CONFIDENTIAL key.
   * @default - none
   */
  readonly environment?: Record<string, string>;
  /**
   * Memory in MiB.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Maximum run time.
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
  /**
   * Concurrency reserved for (and capping) this function, so one function cannot starve the
   * account's pool or run up unbounded cost.
   * @default 20
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * The AWS operations the handler performs at run time: its operation contracts, declared next
   * to its AWS bindings (lambda/shared/operation-contract.ts). They are evaluated against the
   * deployed environment variables and recorded in the template under
   * `Metadata['paved-road:operations']`, where the runtime-permission simulation and auditors
   * read them.
   * @default - none: the handler calls no AWS API of its own
   */
  readonly operations?: readonly OperationContract[];
}

/**
 * A Lambda function on the paved road: TypeScript bundled locally by esbuild (minified,
 * tree-shaken, AWS SDK v3 bundled, never Docker), arm64 on the latest Node.js runtime, inside
 * the foundation's private subnets, X-Ray tracing, a KMS-encrypted log group with retention,
 * KMS-encrypted environment, reserved concurrency and an encrypted dead-letter queue.
 */
export class PavedRoadFunction extends nodejs.NodejsFunction {
  /** Dead-letter queue for failed asynchronous invocations. */
  public readonly deadLetters: sqs.Queue;
  /** Alarm when the dead-letter queue holds a message; notifies the foundation's alarm topic. */
  public readonly deadLettersAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: PavedRoadFunctionProps) {
    const { foundation } = props;
    const key = foundation.keyFor(DataClass.CONFIDENTIAL);
    const deadLetters = new sqs.Queue(scope, `${id}DeadLetters`, {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    super(scope, id, {
      entry: path.isAbsolute(props.entry) ? props.entry : path.join(PROJECT_ROOT, props.entry),
      handler: props.handler ?? 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      reservedConcurrentExecutions: props.reservedConcurrentExecutions ?? 20,
      tracing: lambda.Tracing.ACTIVE,
      loggingFormat: lambda.LoggingFormat.JSON,
      logGroup: foundation.createLogGroup(scope, `${id}Logs`),
      environment: props.environment,
      environmentEncryption: key,
      deadLetterQueue: deadLetters,
      vpc: foundation.vpc,
      vpcSubnets: foundation.workloadSubnets,
      // Outbound is open, but the subnets have no route out of the VPC: only the VPC endpoints answer.
      allowAllOutbound: true,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      bundling: {
        minify: true,
        sourceMap: false,
        target: 'node22',
        bundleAwsSDK: true,
        externalModules: [],
        forceDockerBundling: false,
        // Drops the ~4 KB of license comments from every bundle; licenses ship with the repo.
        esbuildArgs: { '--legal-comments': 'none' },
      },
    });
    this.deadLetters = deadLetters;
    const operations = props.operations ?? [];
    const cfnFunction = this.node.defaultChild as lambda.CfnFunction;
    cfnFunction.addMetadata(OPERATIONS_METADATA_KEY, Lazy.any({ produce: () => this.renderOperations(operations) }));
    this.deadLettersAlarm = new cloudwatch.Alarm(scope, `${id}DeadLettersAlarm`, {
      metric: deadLetters.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `${props.description}: an invocation failed for good and waits in the dead-letter queue`,
    });
    this.deadLettersAlarm.addAlarmAction(new cloudwatchActions.SnsAction(foundation.alarmTopic));

    acknowledgeFinding(deadLetters,
      { id: 'AwsSolutions-SQS3', reason: 'This queue is itself the dead-letter queue of the function; a DLQ of a DLQ would only move the same messages again. The deadLettersAlarm notifies the environment alarm topic as soon as the queue holds a message.' },
      { id: 'Serverless-SQSRedrivePolicy', reason: 'This queue is itself the dead-letter queue of the function; a DLQ of a DLQ would only move the same messages again. The deadLettersAlarm notifies the environment alarm topic as soon as the queue holds a message.' },
      { id: 'cdk-validator-cfnguard::sqs_dlq_check', reason: 'This queue is itself the dead-letter queue of the function; a DLQ of a DLQ would only move the same messages again. The deadLettersAlarm notifies the environment alarm topic as soon as the queue holds a message.' },
    );
    const role = this.role!;
    const managedPolicyReason = 'AWSLambdaBasicExecutionRole and AWSLambdaVPCAccessExecutionRole are the AWS-maintained minimum for logging and VPC network interfaces; all data access is granted separately and scoped.';
    acknowledgeFinding(role,
      { id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', reason: managedPolicyReason },
      { id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]', reason: managedPolicyReason },
    );
    // aws-cdk-lib attaches grants to the execution role as policies under the function itself.
    const inlinePolicyReason = 'Policies attached to this single function execution role hold only least-privilege grants generated by aws-cdk-lib for named resources; they cannot be attached to any other principal.';
    // Only the tracing policy may use Resource::*; a later grant with a wildcard must answer for itself.
    const tracingPolicy = this.node.children.find((child): child is iam.Policy => child instanceof iam.Policy
      && JSON.stringify(Stack.of(this).resolve(child.document)).includes('xray:PutTraceSegments'));
    if (tracingPolicy) {
      acknowledgeFinding(tracingPolicy, { id: 'AwsSolutions-IAM5[Resource::*]', reason: 'X-Ray PutTraceSegments and PutTelemetryRecords have no resource-level permissions in IAM; the statement allows only those two write actions.' });
    }
    acknowledgeFinding(this,
      { id: 'HIPAA.Security-IAMNoInlinePolicy', reason: inlinePolicyReason },
      { id: 'NIST.800.53.R5-IAMNoInlinePolicy', reason: inlinePolicyReason },
      { id: 'PCI.DSS.321-IAMNoInlinePolicy', reason: inlinePolicyReason },
    );
  }

  /**
   * The contracts evaluated against the environment variables as deployed: each value is the
   * CloudFormation value (a literal, or a token for a reference), so ARNs resolve in the template.
   */
  private renderOperations(operations: readonly OperationContract[]): unknown[] {
    const stack = Stack.of(this);
    const cfnFunction = this.node.defaultChild as lambda.CfnFunction;
    const resolved = stack.resolve(cfnFunction.environment) as { variables?: Record<string, unknown> } | undefined;
    const env = Object.fromEntries(Object.entries(resolved?.variables ?? {}).map(([name, value]) => [name, Token.asString(value)]));
    const scope = {
      env,
      partition: stack.partition,
      region: stack.region,
      account: stack.account,
      profileDestinations: (modelId: string) => {
        const prefix = ResidencyZone.profilePrefixOf(modelId);
        return prefix === undefined ? [] : RegionCatalogue.profileDestinations(prefix);
      },
    };
    return operations.map((contract) => ({ operation: `${contract.signingName}:${contract.operation}`, docs: contract.docs, calls: contract.calls(scope) }));
  }

  /** Security groups of the function's network interfaces. */
  public get securityGroups(): ec2.ISecurityGroup[] {
    return this.connections.securityGroups;
  }
}
