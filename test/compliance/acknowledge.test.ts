import { Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { acknowledgeFinding, reasonProblem } from '../../lib';
import { testApp } from '../support/app';

const SPECIFIC = 'S3 delivers server access logs only to SSE-S3 buckets; objects are AES-256 encrypted and the policy denies non-TLS access.';

describe('acknowledgeFinding', () => {
  const stack = new Stack(testApp(), 'Ack');
  const bucket = new s3.Bucket(stack, 'Bucket');

  it('records an exact finding id with a specific reason on the construct', () => {
    acknowledgeFinding(bucket, { id: 'HIPAA.Security-S3DefaultEncryptionKMS', reason: SPECIFIC });
    const entries = bucket.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY);
    expect(entries.map((m) => m.data)).toContainEqual({ 'Annotation::HIPAA.Security-S3DefaultEncryptionKMS': SPECIFIC });
  });

  it.each([
    ['empty', ''],
    ['short', 'Not needed here.'],
    ['generic', 'Not required for this particular bucket in our setup at all.'],
    ['placeholder', 'TODO: come back and explain why this bucket is exempt from the rule.'],
    ['padded', 'ok ok ok ok ok ok ok ok ok ok ok ok ok ok ok ok ok ok ok ok'],
    ['false positive', 'False positive, the rule does not understand this kind of resource.'],
  ])('rejects a %s reason', (_label, reason) => {
    expect(() => acknowledgeFinding(bucket, { id: 'AwsSolutions-S1', reason })).toThrow(/acknowledgment of 'AwsSolutions-S1': reason /);
  });

  it('rejects ids that are not exact finding ids', () => {
    expect(() => acknowledgeFinding(bucket, { id: 'S1', reason: SPECIFIC })).toThrow(/id must be an exact finding id/);
    expect(() => acknowledgeFinding(bucket, { id: 'AwsSolutions-S1 AwsSolutions-S2', reason: SPECIFIC })).toThrow(/id must be an exact finding id/);
  });

  it('refuses stack- and app-level acknowledgments', () => {
    expect(() => acknowledgeFinding(stack, { id: 'AwsSolutions-S1', reason: SPECIFIC })).toThrow(/acknowledge on the construct that causes the finding/);
    expect(() => acknowledgeFinding(stack.node.root, { id: 'AwsSolutions-S1', reason: SPECIFIC })).toThrow(/acknowledge on the construct that causes the finding/);
  });
});

describe('reasonProblem', () => {
  it('accepts a reason that names the compensating control', () => {
    expect(reasonProblem(SPECIFIC)).toBeUndefined();
  });

  it('says how long a short reason is', () => {
    expect(reasonProblem('too short')).toMatch(/^is 9 characters; write at least 40/);
  });
});
