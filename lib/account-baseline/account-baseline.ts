import { RemovalPolicy } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledgeFinding } from '../compliance/acknowledge';

/**
 * Properties of an {@link AccountBaseline}: what the baseline of an account and region creates.
 * Every default is what a fresh account needs; turn an item off only where the account already
 * has it. Platform teams set them on the environment entry (`EnvironmentSpec.accountBaseline`).
 */
export interface AccountBaselineProps {
  /**
   * Set this region's API Gateway CloudWatch Logs role (`AWS::ApiGateway::Account`). Turn off
   * only when `aws apigateway get-account --region <region>` already shows a `cloudwatchRoleArn`
   * that another team owns: the setting is one per account and region, and this would replace it.
   * @default true
   */
  readonly apiGatewayCloudWatchRole?: boolean;
  /**
   * Create the account's OpenSearch Service service-linked role. Turn off when
   * `aws iam get-role --role-name AWSServiceRoleForAmazonOpenSearchService` (or the legacy
   * `AWSServiceRoleForAmazonElasticsearchService`) already finds it: creating a service-linked
   * role that exists fails the deployment.
   * @default true
   */
  readonly openSearchServiceLinkedRole?: boolean;
}

/** The AWS managed policy the API Gateway documentation names for the CloudWatch Logs role. */
const API_GATEWAY_LOGS_POLICY = 'service-role/AmazonAPIGatewayPushToCloudWatchLogs';

/**
 * The one-time prerequisites of paved-road environments in one account and region, which no
 * environment stack may own because they are shared by everything in the account (or region).
 *
 * - The API Gateway CloudWatch Logs role: API stages that log to CloudWatch fail to deploy with
 *   "CloudWatch Logs role ARN must be set in account settings" until the region's account
 *   setting names a role that `apigateway.amazonaws.com` can assume
 *   (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html).
 * - The OpenSearch Service service-linked role, which VPC domains need. IAM is global, so only
 *   one baseline per account creates it (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/slr-aos.html).
 *
 * Everything is retained when the stack is deleted: AWS::ApiGateway::Account keeps pointing at
 * the role after stack deletion, so deleting the role would break logging for every API in the
 * region (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-apigateway-account.html).
 * When the operation that created them rolls back, only the service-linked role is deleted
 * (DeletionPolicy `RetainExceptOnCreate`): its name is fixed, so a retained one would fail the
 * retry, and CloudFormation deletes only what the failed operation itself created, never a role
 * that existed before (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html).
 * The CloudWatch role stays `Retain`: its name is generated, so a retained one blocks nothing,
 * and the account setting may already name it when a later resource fails.
 */
export class AccountBaseline extends Construct {
  /** The role API Gateway assumes to write logs in this region, when the baseline sets it. */
  public readonly apiGatewayCloudWatchRole?: iam.IRole;
  /** The region's API Gateway account setting, when the baseline sets it. */
  public readonly apiGatewayAccount?: apigateway.CfnAccount;
  /** The account's OpenSearch Service service-linked role, when this baseline creates it. */
  public readonly openSearchServiceLinkedRole?: iam.CfnServiceLinkedRole;

  constructor(scope: Construct, id: string, props: AccountBaselineProps = {}) {
    super(scope, id);
    if (props.apiGatewayCloudWatchRole ?? true) {
      const role = new iam.Role(this, 'ApiGatewayCloudWatchRole', {
        assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com'),
        description: 'API Gateway writes the execution and access logs of every REST API in this region with this role (account setting)',
        managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName(API_GATEWAY_LOGS_POLICY)],
      });
      role.applyRemovalPolicy(RemovalPolicy.RETAIN);
      acknowledgeFinding(role, {
        id: `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${API_GATEWAY_LOGS_POLICY}]`,
        reason: 'API Gateway uses this one role for the logs of every REST API in the account and region, so its log groups cannot be named in advance; AmazonAPIGatewayPushToCloudWatchLogs is the policy the API Gateway logging guide names as having all required permissions, and only apigateway.amazonaws.com may assume the role.',
      });
      this.apiGatewayCloudWatchRole = role;
      this.apiGatewayAccount = new apigateway.CfnAccount(this, 'ApiGatewayAccount', { cloudWatchRoleArn: role.roleArn });
      this.apiGatewayAccount.applyRemovalPolicy(RemovalPolicy.RETAIN);
    }
    if (props.openSearchServiceLinkedRole ?? true) {
      this.openSearchServiceLinkedRole = new iam.CfnServiceLinkedRole(this, 'OpenSearchServiceLinkedRole', {
        awsServiceName: 'opensearchservice.amazonaws.com',
      });
      // Every OpenSearch VPC domain of the account uses this role, paved-road's or not, and IAM
      // refuses to delete a service-linked role while resources use it. A failed first create
      // deletes it again, so that the retry can create it.
      this.openSearchServiceLinkedRole.applyRemovalPolicy(RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE);
    }
  }
}
