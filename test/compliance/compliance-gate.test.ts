import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CfnResource, Stack, Stage } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { acknowledgeFinding, ComplianceGate } from '../../lib';
import { testApp } from '../support/app';

/** An app whose only resource is a bucket that breaks several controls at once. */
function appWithBareBucket(cacheDirectory: string | null) {
  const app = testApp();
  new s3.CfnBucket(new Stack(app, 'Bare', { env: { account: '111111111111', region: 'eu-west-1' } }), 'Bucket');
  ComplianceGate.apply(app, { guardCacheDirectory: cacheDirectory });
  return app;
}

describe('ComplianceGate', () => {
  it('fails synthesis on findings from the cdk-nag packs, PavedRoadChecks and cfn-guard', () => {
    expect(() => appWithBareBucket(null).synth()).toThrow(/AwsSolutions-S1[\s\S]*PavedRoad-S3LifecycleRules|PavedRoad-S3LifecycleRules[\s\S]*AwsSolutions-S1/);
    expect(() => appWithBareBucket(null).synth()).toThrow(/cdk-validator-cfnguard::s3_bucket_versioning_enabled_check|CT\.S3\.PR\.11/);
  });

  it('still fails when the cfn-guard verdict comes from the cache', () => {
    const cacheDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'guard-cache-'));
    expect(() => appWithBareBucket(cacheDirectory).synth()).toThrow(/CT\.S3\.PR\.11/);
    expect(fs.readdirSync(cacheDirectory)).toHaveLength(1);
    expect(() => appWithBareBucket(cacheDirectory).synth()).toThrow(/CT\.S3\.PR\.11/);
  });

  it('fails on an unacknowledged cfn-guard finding while another of the same plugin is acknowledged', () => {
    const app = testApp();
    const stack = new Stack(app, 'Alarms', { env: { account: '111111111111', region: 'eu-west-1' } });
    const alarm = (id: string) => new cloudwatch.CfnAlarm(stack, id, { comparisonOperator: 'GreaterThanOrEqualToThreshold', evaluationPeriods: 1, threshold: 1, metricName: 'Errors', namespace: 'Test', period: 300, statistic: 'Sum' });
    const reason = 'Test alarm without actions; the test reads its state directly and no operator is ever paged by it.';
    for (const id of ['Acknowledged', 'Unacknowledged']) {
      acknowledgeFinding(alarm(id), { id: 'HIPAA.Security-CloudWatchAlarmAction', reason }, { id: 'NIST.800.53.R5-CloudWatchAlarmAction', reason });
    }
    acknowledgeFinding(stack.node.findChild('Acknowledged'), { id: 'cdk-validator-cfnguard::cloudwatch_alarm_action_check', reason });
    ComplianceGate.apply(app, { guardCacheDirectory: null });
    expect(() => app.synth()).toThrow(/CT\.CLOUDWATCH\.PR\.1[\s\S]*Alarms\/Unacknowledged/);
  });

  it('refuses to be applied to anything but the App', () => {
    const app = testApp();
    expect(() => ComplianceGate.apply(new Stage(app, 'Stage') as never)).toThrow(/pass the App/);
  });
});

// Every test synth (Template.fromStack included) runs aws-cdk-lib's built-in CloudFormation
// Validate plugin; jest shares its WebAssembly engine between test files (docs/adr/0003).
describe('built-in CloudFormation validation in tests', () => {
  it('fails a test synth on a template CloudFormation would reject', () => {
    const stack = new Stack(testApp(), 'Invalid', { env: { account: '111111111111', region: 'eu-west-1' } });
    new CfnResource(stack, 'Queue', { type: 'AWS::SQS::Queue', properties: { VisibilityTimeout: 'soon', NoSuchProperty: 1 } });
    expect(() => Template.fromStack(stack)).toThrow(/CloudFormation-Validate::F3002[\s\S]*CloudFormation-Validate::F3012/);
  });
});
