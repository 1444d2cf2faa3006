import { Duration, Stack } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sqs from 'aws-cdk-lib/aws-sqs';

/** A KMS-encrypted queue with the literal ARN its key policy may name. */
export interface EncryptedQueue {
  /** The queue. */
  readonly queue: sqs.IQueue;
  /**
   * The queue's ARN formatted from its fixed name, not the queue's `Arn` attribute: the key's
   * policy cannot reference the queue the key encrypts (a circular dependency).
   */
  readonly literalArn: string;
}

/** Properties of an {@link EncryptedQueueTarget}. */
export interface EncryptedQueueTargetProps {
  /** The key both queues are encrypted with. */
  readonly key: kms.IKey;
  /** Where EventBridge sends an event it could not deliver to the queue; encrypted with the same key. */
  readonly deadLetterQueue: EncryptedQueue;
  /**
   * How often EventBridge retries a failed delivery.
   * @default 185 (EventBridge's default)
   */
  readonly retryAttempts?: number;
  /**
   * How long EventBridge keeps retrying an event.
   * @default Duration.hours(24)
   */
  readonly maxEventAge?: Duration;
}

/**
 * An EventBridge rule target that sends to a KMS-encrypted queue, with a dead-letter queue.
 *
 * aws-cdk-lib's `targets.SqsQueue` grants `events.amazonaws.com` encrypt and decrypt on the
 * queue's whole key, conditioned only on `aws:SourceAccount`, a key that the KMS request SQS makes
 * for EventBridge is not documented to carry. This target lets EventBridge use the key only
 * through SQS (`kms:ViaService`) and for its two queues (`kms:EncryptionContext:aws:sqs:arn`,
 * which SQS sends on every KMS request), and each queue policy only for this rule
 * (`aws:SourceArn`, as EventBridge documents for SQS targets and dead-letter queues).
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sqs-permissions
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html
 */
export class EncryptedQueueTarget implements events.IRuleTarget {
  constructor(private readonly target: EncryptedQueue, private readonly props: EncryptedQueueTargetProps) {}

  public bind(rule: events.IRule): events.RuleTargetConfig {
    const eventBridge = new iam.ServicePrincipal('events.amazonaws.com');
    for (const { queue, literalArn } of [this.target, this.props.deadLetterQueue]) {
      queue.addToResourcePolicy(new iam.PolicyStatement({
        principals: [eventBridge],
        actions: ['sqs:SendMessage'],
        resources: [queue.queueArn],
        conditions: { ArnEquals: { 'aws:SourceArn': rule.ruleArn } },
      }));
      this.props.key.addToResourcePolicy(new iam.PolicyStatement({
        principals: [eventBridge],
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: ['*'],
        conditions: { StringEquals: { 'kms:ViaService': `sqs.${Stack.of(rule).region}.amazonaws.com`, 'kms:EncryptionContext:aws:sqs:arn': literalArn } },
      }));
    }
    return {
      arn: this.target.queue.queueArn,
      targetResource: this.target.queue,
      deadLetterConfig: { arn: this.props.deadLetterQueue.queue.queueArn },
      retryPolicy: {
        maximumRetryAttempts: this.props.retryAttempts ?? 185,
        maximumEventAgeInSeconds: (this.props.maxEventAge ?? Duration.hours(24)).toSeconds(),
      },
    };
  }
}
