import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';

/** Properties of a key made by {@link createDataKey}. */
export interface DataKeyProps {
  /** What the key protects. */
  readonly description: string;
  /** Alias, e.g. `alias/paved-road/eu-prod/personal`. */
  readonly alias: string;
  /** What happens to the key when its stack is deleted. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * A customer-managed key as paved-road needs every key: yearly rotation, single-region (multi-Region
 * keys copy key material out of the region, which residency forbids) and grants only for AWS
 * services acting on a resource (CT.KMS.PR.3), since grants outlive IAM policy changes.
 */
export function createDataKey(scope: Construct, id: string, props: DataKeyProps): kms.Key {
  const key = new kms.Key(scope, id, {
    description: props.description,
    alias: props.alias,
    enableKeyRotation: true,
    multiRegion: false,
    removalPolicy: props.removalPolicy,
    pendingWindow: Duration.days(30),
  });
  denyGrantsExceptForAwsServices(key);
  return key;
}

/**
 * Denies kms:CreateGrant on `key` except to AWS services acting on a resource (CT.KMS.PR.3):
 * grants outlive IAM policy changes. Every paved-road key carries it.
 */
export function denyGrantsExceptForAwsServices(key: kms.Key): void {
  key.addToResourcePolicy(new iam.PolicyStatement({
    sid: 'DenyGrantsExceptForAwsServices',
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: ['kms:CreateGrant'],
    resources: ['*'],
    conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
  }));
}
