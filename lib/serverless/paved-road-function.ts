import * as path from 'node:path';
import { ArnFormat, Duration, Lazy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { AwsCall, OperationContract } from '../../lambda/shared/operation-contract';
import { acknowledgeFinding } from '../compliance/acknowledge';
import { PavedRoadError } from '../core/errors';
import { DataClass } from '../core/data-class';
import type { Foundation } from '../foundation/foundation';
import { RegionCatalogue } from '../residency/region-catalogue';
import { ResidencyZone } from '../residency/residency-zone';
import { addAlarmNotification } from '../foundation/alarm-notifications';
import { declareServiceOperations, justifyUnusedGrants, ServiceCaller } from '../permissions/service-operations';

const PROJECT_ROOT = path.join(__dirname, '..', '..');

/** The findings a function without a dead-letter queue raises. */
const NO_DLQ_FINDINGS = ['Serverless-LambdaDLQ', 'HIPAA.Security-LambdaDLQ', 'NIST.800.53.R5-LambdaDLQ', 'PCI.DSS.321-LambdaDLQ', 'cdk-validator-cfnguard::lambda_dlq_check'];

/** How a function consumes an SQS queue ({@link PavedRoadFunction.addSqsEventSource}). */
export interface SqsEventSourceOptions {
  /**
   * Messages per invocation.
   * @default 10
   */
  readonly batchSize?: number;
  /**
   * Report failed messages individually (`batchItemFailures`), so that one failure does not
   * return the whole batch to the queue.
   * @default true
   */
  readonly reportBatchItemFailures?: boolean;
  /**
   * Concurrent invocations the event source may start (2-1000).
   * @default - limited only by the function's reserved concurrency
   */
  readonly maxConcurrency?: number;
}

/** Template metadata key under which a function's evaluated operation contracts are recorded. */
export const OPERATIONS_METADATA_KEY = 'paved-road:operations';

const LAMBDA_SERVICE = 'lambda.amazonaws.com';

/**
 * How a function is invoked, which decides whether it gets a dead-letter queue: Lambda sends an
 * event to a dead-letter queue only after the retries of an asynchronous invocation; synchronous
 * callers get the error back, and event source mappings (SQS) keep failed messages in the
 * source queue's own redrive policy.
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html#invocation-dlq
 */
export class InvocationMode {
  /**
   * Invoked asynchronously (events: CloudFormation custom resources, S3, SNS, EventBridge
   * targets): failed events land in an encrypted, alarmed dead-letter queue.
   * CloudFormation invokes custom-resource functions asynchronously:
   * https://docs.aws.amazon.com/lambda/latest/dg/services-cloudformation.html
   */
  public static readonly ASYNCHRONOUS = new InvocationMode('asynchronous', true);
  /**
   * Invoked only synchronously (API Gateway proxy integrations, `RequestResponse` calls from
   * another function) or through an SQS event source mapping: errors return to the caller or
   * stay in the source queue, so a dead-letter queue could never receive a message.
   */
  public static readonly SYNCHRONOUS = new InvocationMode('synchronous', false);

  private constructor(
    /** `asynchronous` or `synchronous`. */
    public readonly id: string,
    /** Whether functions invoked this way get a dead-letter queue. */
    public readonly needsDeadLetterQueue: boolean,
  ) {}
}

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
  /**
   * How the function is invoked. Asynchronously invoked functions get a dead-letter queue
   * encrypted with the CONFIDENTIAL key (the execution role may use the key only through SQS
   * and only for that queue) and an alarm on it; synchronously invoked ones get none.
   * @default InvocationMode.ASYNCHRONOUS - a failed event is never dropped
   */
  readonly invocationMode?: InvocationMode;
}

/**
 * A Lambda function on the paved road: TypeScript bundled locally by esbuild (minified,
 * tree-shaken, AWS SDK v3 bundled, never Docker), arm64 on the latest Node.js runtime, inside
 * the foundation's private subnets, X-Ray tracing, a KMS-encrypted log group with retention,
 * KMS-encrypted environment, reserved concurrency and, when invoked asynchronously, an encrypted
 * and alarmed dead-letter queue. What the Lambda service does with the execution role (logs,
 * network interfaces, traces, dead letters, queue polling) is declared as service operations.
 */
export class PavedRoadFunction extends nodejs.NodejsFunction {
  /** How the function is invoked. */
  public readonly invocationMode: InvocationMode;
  /** Dead-letter queue for failed asynchronous invocations; only for {@link InvocationMode.ASYNCHRONOUS}. */
  public readonly deadLetters?: sqs.Queue;
  /** Alarm when the dead-letter queue holds a message; notifies the foundation's alarm topic. */
  public readonly deadLettersAlarm?: cloudwatch.Alarm;
  private readonly foundation: Foundation;

  constructor(scope: Construct, id: string, props: PavedRoadFunctionProps) {
    const { foundation } = props;
    const key = foundation.keyFor(DataClass.CONFIDENTIAL);
    const invocationMode = props.invocationMode ?? InvocationMode.ASYNCHRONOUS;
    const deadLetters = invocationMode.needsDeadLetterQueue ? new sqs.Queue(scope, `${id}DeadLetters`, {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    }) : undefined;
    const logGroup = foundation.createLogGroup(scope, `${id}Logs`);
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
      logGroup,
      environment: props.environment,
      environmentEncryption: key,
      deadLetterQueue: deadLetters,
      deadLetterQueueEnabled: deadLetters !== undefined,
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
    this.invocationMode = invocationMode;
    this.foundation = foundation;
    this.deadLetters = deadLetters;
    const operations = props.operations ?? [];
    const cfnFunction = this.node.defaultChild as lambda.CfnFunction;
    cfnFunction.addMetadata(OPERATIONS_METADATA_KEY, Lazy.any({ produce: () => this.renderOperations(operations) }));
    const role = this.role!;
    this.declareLambdaServiceOperations(role, logGroup);
    this.declareEnvironmentEncryption(key);
    if (deadLetters) this.deadLettersAlarm = this.wireDeadLetters(scope, id, deadLetters, key, role, props.description);
    else this.acknowledgeNoDeadLetters();

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
   * Event sources are added with {@link addSqsEventSource}, which grants and declares exactly
   * what the Lambda service does with the execution role.
   */
  public override addEventSource(source: lambda.IEventSource): void {
    throw new PavedRoadError(`${this.node.path}: addEventSource(${source.constructor.name}) is not supported; use addSqsEventSource(queue, options), which grants only what Lambda's poller uses and declares it`);
  }

  /**
   * Lets the Lambda service poll `queue` for this function with the execution role, granting
   * only what the poller uses: sqs:ReceiveMessage, sqs:DeleteMessage and sqs:GetQueueAttributes,
   * and for a KMS-encrypted queue kms:Decrypt through SQS for this queue alone. aws-cdk-lib's
   * SqsEventSource would also grant sqs:ChangeMessageVisibility, sqs:GetQueueUrl and an
   * unconditioned kms:Decrypt on the key.
   * https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html#events-sqs-permissions
   * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html
   * @throws PavedRoadError when the queue has no dead-letter queue: SQS event sources take no
   * on-failure destination, so the queue's redrive policy is where failed messages go
   */
  public addSqsEventSource(queue: sqs.IQueue, options: SqsEventSourceOptions = {}): lambda.EventSourceMapping {
    if (!(queue instanceof sqs.Queue) || !queue.deadLetterQueue) {
      throw new PavedRoadError(`${this.node.path}: queue ${queue.node.path} has no dead-letter queue; create it with deadLetterQueue so that messages the function keeps failing on are kept`);
    }
    const queueArn = queue.queueArn;
    const mapping = this.addEventSourceMapping(`SqsEventSource-${queue.node.addr.slice(0, 8)}`, {
      eventSourceArn: queueArn,
      batchSize: options.batchSize ?? 10,
      reportBatchItemFailures: options.reportBatchItemFailures ?? true,
      maxConcurrency: options.maxConcurrency,
    });
    const pollActions = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'];
    const key = queue.encryptionMasterKey;
    // The poller's grants are a policy of their own that the mapping depends on: Lambda checks at
    // CreateEventSourceMapping that the execution role may call ReceiveMessage ("The provided
    // execution role does not have permissions to call ReceiveMessage on SQS"), and CloudFormation
    // would otherwise create the mapping as soon as the function exists, before the policy
    // (addToRolePolicy puts statements in policies the function does not depend on).
    // https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html#events-sqs-permissions
    // https://github.com/aws/aws-cdk/issues/6770
    // https://github.com/aws-amplify/amplify-cli/issues/4759
    const pollPolicy = new iam.Policy(this, `SqsPollPolicy-${queue.node.addr.slice(0, 8)}`, {
      statements: [
        new iam.PolicyStatement({ actions: pollActions, resources: [queueArn] }),
        ...(key ? [new iam.PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: [key.keyArn],
          conditions: {
            StringEquals: { 'kms:ViaService': `sqs.${Stack.of(this).region}.amazonaws.com` },
            ArnEquals: { 'kms:EncryptionContext:aws:sqs:arn': queueArn },
          },
        })] : []),
      ],
    });
    this.role!.attachInlinePolicy(pollPolicy);
    mapping.node.addDependency(pollPolicy);
    const kms = key ? { kms: { actions: ['kms:Decrypt' as const], viaService: 'sqs', encryptionContext: { 'aws:sqs:arn': queueArn } } } : {};
    declareServiceOperations(this, {
      description: 'Lambda polls the SQS event source with the execution role',
      docs: ['https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html#events-sqs-permissions', 'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html'],
      caller: ServiceCaller.role(LAMBDA_SERVICE, this.role!),
      calls: pollActions.map((action) => ({ action, resource: queueArn, ...(action === 'sqs:ReceiveMessage' ? kms : {}) })),
    });
    acknowledgeFinding(mapping, {
      id: 'Serverless-LambdaEventSourceMappingDestination',
      reason: `SQS event sources take no on-failure destination; the queue's redrive policy moves a message the function keeps failing on to its dead-letter queue ${queue.deadLetterQueue.queue.node.path}.`,
    });
    return mapping;
  }

  /**
   * What the Lambda service does with the execution role for every function: write the log
   * group, manage the VPC network interfaces, send traces.
   * https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html
   */
  private declareLambdaServiceOperations(role: iam.IRole, logGroup: logs.ILogGroup): void {
    const stack = Stack.of(this);
    const logStream = `${stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: logGroup.logGroupName, arnFormat: ArnFormat.COLON_RESOURCE_NAME })}:log-stream:2026/01/01/[$LATEST]0123456789abcdef0123456789abcdef`;
    const networkInterface = stack.formatArn({ service: 'ec2', resource: 'network-interface', resourceName: 'eni-0123456789abcdef0' });
    const subnet = this.foundation.vpc.selectSubnets(this.foundation.workloadSubnets).subnetIds[0];
    const calls: AwsCall[] = [
      { action: 'logs:CreateLogStream', resource: logStream },
      { action: 'logs:PutLogEvents', resource: logStream },
      { action: 'ec2:CreateNetworkInterface', resource: networkInterface },
      { action: 'ec2:CreateNetworkInterface', resource: stack.formatArn({ service: 'ec2', resource: 'subnet', resourceName: subnet }) },
      ...this.connections.securityGroups.map((group) => ({ action: 'ec2:CreateNetworkInterface', resource: stack.formatArn({ service: 'ec2', resource: 'security-group', resourceName: group.securityGroupId }) })),
      { action: 'ec2:DescribeNetworkInterfaces', resource: '*' },
      { action: 'ec2:DescribeSubnets', resource: '*' },
      { action: 'ec2:DeleteNetworkInterface', resource: networkInterface },
      { action: 'ec2:AssignPrivateIpAddresses', resource: networkInterface },
      { action: 'ec2:UnassignPrivateIpAddresses', resource: networkInterface },
      { action: 'xray:PutTraceSegments', resource: '*' },
      { action: 'xray:PutTelemetryRecords', resource: '*' },
    ];
    declareServiceOperations(this, {
      description: 'Lambda writes logs, attaches the function to the VPC and sends traces with the execution role',
      docs: [
        'https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html',
        'https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html#configuration-vpc-permissions',
        'https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html',
      ],
      caller: ServiceCaller.role(LAMBDA_SERVICE, role),
      calls,
    });
    // The two AWS managed policies grant more than Lambda uses here; they are the documented
    // minimum AWS maintains, and the log group already exists (CreateLogGroup is never needed).
    justifyUnusedGrants(role, {
      actions: ['logs:CreateLogGroup'],
      reason: 'AWSLambdaBasicExecutionRole and AWSLambdaVPCAccessExecutionRole grant it; the function logs to its own pre-created, KMS-encrypted log group, so the grant is never exercised, and both managed policies stay because they are the minimum AWS maintains as Lambda changes.',
    });
  }

  /**
   * The environment is encrypted with the CONFIDENTIAL key, a customer managed key: Lambda
   * encrypts the variables and creates a grant on the key with the permissions of whoever creates
   * or updates the function (kms:Encrypt and kms:CreateGrant; kms:Decrypt only to view the
   * variables), here the CloudFormation execution role, and at run time decrypts them through that
   * grant, which needs no permission of the execution role. The request context (`kms:ViaService`
   * = Lambda, `kms:GrantIsForAWSResource`, which the key's grant guard requires) is what KMS
   * documents for an integrated service acting on a principal's behalf; that Lambda's requests
   * carry it is unverified offline.
   * https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars-encryption.html
   * https://docs.aws.amazon.com/kms/latest/developerguide/grant-authorization.html
   */
  private declareEnvironmentEncryption(key: kms.IKey): void {
    const viaLambda = { 'kms:ViaService': `lambda.${Stack.of(this).region}.amazonaws.com`, 'kms:CallerAccount': Stack.of(this).account };
    declareServiceOperations(this, {
      description: 'Lambda encrypts the function\'s environment with its key and creates a grant for it, with the deployer\'s credentials',
      docs: ['https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars-encryption.html', 'https://docs.aws.amazon.com/kms/latest/developerguide/grant-authorization.html'],
      caller: ServiceCaller.deployer(),
      calls: [
        { action: 'kms:Encrypt', resource: key.keyArn, context: viaLambda },
        { action: 'kms:CreateGrant', resource: key.keyArn, context: { ...viaLambda, 'kms:GrantIsForAWSResource': 'true' } },
      ],
    });
  }

  /**
   * The dead-letter queue: the Lambda service sends failed events with the execution role, so the
   * role needs kms:GenerateDataKey and kms:Decrypt on the queue key, through SQS, for this queue.
   * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html
   */
  private wireDeadLetters(scope: Construct, id: string, deadLetters: sqs.Queue, key: kms.IKey, role: iam.IRole, description: string): cloudwatch.Alarm {
    const region = Stack.of(this).region;
    this.addToRolePolicy(new iam.PolicyStatement({
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: [key.keyArn],
      conditions: {
        StringEquals: { 'kms:ViaService': `sqs.${region}.amazonaws.com` },
        ArnEquals: { 'kms:EncryptionContext:aws:sqs:arn': deadLetters.queueArn },
      },
    }));
    declareServiceOperations(this, {
      description: 'Lambda sends a failed asynchronous event to the dead-letter queue with the execution role',
      docs: ['https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html#invocation-dlq', 'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html'],
      caller: ServiceCaller.role(LAMBDA_SERVICE, role),
      calls: [{
        action: 'sqs:SendMessage',
        resource: deadLetters.queueArn,
        kms: { actions: ['kms:GenerateDataKey', 'kms:Decrypt'], viaService: 'sqs', encryptionContext: { 'aws:sqs:arn': deadLetters.queueArn } },
      }],
    });
    const alarm = new cloudwatch.Alarm(scope, `${id}DeadLettersAlarm`, {
      metric: deadLetters.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `${description}: an invocation failed for good and waits in the dead-letter queue`,
    });
    addAlarmNotification(alarm, this.foundation.alarmTopic);
    const reason = 'This queue is itself the dead-letter queue of the function; a DLQ of a DLQ would only move the same messages again. The deadLettersAlarm notifies the environment alarm topic as soon as the queue holds a message.';
    acknowledgeFinding(deadLetters,
      { id: 'AwsSolutions-SQS3', reason },
      { id: 'Serverless-SQSRedrivePolicy', reason },
      { id: 'cdk-validator-cfnguard::sqs_dlq_check', reason },
    );
    return alarm;
  }

  /** A synchronously invoked function has no dead-letter queue: nothing could ever land in one. */
  private acknowledgeNoDeadLetters(): void {
    const reason = 'The function is only invoked synchronously (API Gateway proxy, RequestResponse Invoke) or by an SQS event source mapping: errors return to the caller or stay in the source queue and its redrive policy, so Lambda would never send an event to a dead-letter queue.';
    acknowledgeFinding(this, ...NO_DLQ_FINDINGS.map((findingId) => ({ id: findingId, reason })));
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
