import { ArnFormat, Stack } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { declareServiceOperations, ServiceCaller } from '../permissions/service-operations';

/** Which state changes of an alarm notify its topic. */
export interface AlarmNotificationOptions {
  /**
   * Also notify when the alarm returns to OK.
   * @default false
   */
  readonly onOk?: boolean;
}

/**
 * Notifies `topic` when `alarm` goes into ALARM (and back to OK when asked), and declares the
 * write: CloudWatch publishes as its service principal, with the alarm as `aws:SourceArn` and
 * the account as `aws:SourceAccount`; for a KMS-encrypted topic SNS asks KMS for a data key on
 * CloudWatch's behalf, in the topic's encryption context (`aws:sns:topicArn`), which the topic
 * key's policy must allow.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html
 * https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
 */
export function addAlarmNotification(alarm: cloudwatch.Alarm, topic: sns.ITopic, options: AlarmNotificationOptions = {}): void {
  const action = new cloudwatchActions.SnsAction(topic);
  alarm.addAlarmAction(action);
  if (options.onOk) alarm.addOkAction(action);
  const stack = Stack.of(alarm);
  const alarmArn = stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: alarm.alarmName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  const source = { 'aws:SourceArn': alarmArn, 'aws:SourceAccount': stack.account };
  declareServiceOperations(alarm, {
    description: 'CloudWatch publishes the alarm\'s state changes to its topic',
    docs: ['https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html', 'https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services'],
    caller: ServiceCaller.servicePrincipal('cloudwatch.amazonaws.com'),
    calls: [{
      action: 'sns:Publish',
      resource: topic.topicArn,
      context: source,
      ...(topic.masterKey ? { kms: { actions: ['kms:GenerateDataKey', 'kms:Decrypt'], viaService: 'sns', encryptionContext: { 'aws:sns:topicArn': topic.topicArn } } } : {}),
    }],
  });
}
