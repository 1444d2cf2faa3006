import type { CloudFormationStackArtifact } from 'aws-cdk-lib/cx-api';
import { assemblePlatform } from '../../bin/app';
import { EXAMPLE_INFERENCE_CONTEXT } from '../../lib';
import { testApp } from '../support/app';
import { type FoundStatement, findStatements, unknownIamNames } from '../support/iam-reference';

// Every action and condition key of every policy in every default environment's templates (the
// account baselines and the lake replica stacks included) must exist in the service
// authorization reference: a made-up action is silently never allowed, and a made-up condition
// key never matches, so neither fails a deployment or a cdk-nag rule.
describe('IAM names in the synthesized templates', () => {
  let stacks: CloudFormationStackArtifact[];
  let statements: FoundStatement[];

  beforeAll(() => {
    const app = testApp();
    assemblePlatform(app);
    // eu-prod with the example SageMaker endpoint too, which no default environment deploys.
    const withEndpoint = testApp({ [EXAMPLE_INFERENCE_CONTEXT]: 'true', env: 'eu-prod' });
    assemblePlatform(withEndpoint);
    stacks = [...app.synth().stacksRecursively, ...withEndpoint.synth().stacksRecursively];
    statements = stacks.flatMap((stack) => findStatements(stack.stackName, stack.template));
  });

  it('reads every kind of policy document the templates hold', () => {
    const kinds = new Set(statements.map(({ resourceType, property }) => `${resourceType} ${property.replace(/\.\d+\./g, '.*.')}`));
    expect([...kinds].sort()).toEqual([
      'AWS::IAM::ManagedPolicy PolicyDocument',
      'AWS::IAM::Policy PolicyDocument',
      'AWS::IAM::Role AssumeRolePolicyDocument',
      'AWS::IAM::Role Policies.*.PolicyDocument',
      'AWS::KMS::Key KeyPolicy',
      'AWS::Lambda::Permission Action',
      'AWS::Logs::ResourcePolicy PolicyDocument',
      'AWS::OpenSearchService::Domain AccessPolicies',
      'AWS::S3::BucketPolicy PolicyDocument',
      'AWS::SNS::TopicPolicy PolicyDocument',
      'AWS::SQS::QueuePolicy PolicyDocument',
    ]);
    expect(stacks.map((stack) => stack.stackName)).toEqual(expect.arrayContaining(['paved-road-account-baseline', 'paved-road-eu-prod-lake-replica', 'paved-road-us-prod']));
    expect(statements.some(({ statement }) => JSON.stringify(statement.Action).includes('sagemaker:InvokeEndpoint'))).toBe(true);
  });

  it('names only actions and condition keys that exist in the service authorization reference', async () => {
    expect(await unknownIamNames(statements)).toEqual([]);
  });

  it('grants no bedrock:Converse* action: Converse and ConverseStream are authorized by bedrock:InvokeModel*', () => {
    const actions = statements.flatMap(({ statement }) => [statement.Action, statement.NotAction].flat()).filter((action): action is string => typeof action === 'string');
    expect(actions.filter((action) => /^bedrock:converse/i.test(action))).toEqual([]);
  });
});

describe('unknownIamNames', () => {
  const template = {
    Resources: {
      Policy: {
        Type: 'AWS::IAM::Policy',
        Properties: {
          PolicyDocument: {
            Statement: [
              { Effect: 'Allow', Action: ['s3:GetObject', 's3:FetchObject', 'kms:GenerateDataKey*', 'sqs:Receive*Batch'], Resource: '*' },
              { Effect: 'Deny', NotAction: 'bedrock:Converse', Resource: '*', Condition: { StringNotEquals: { 'aws:SourceVpce': 'vpce-1', 'kms:EncryptionContext:aws:s3:arn': 'arn', 'aws:SourceVpcEndpoint': 'vpce-1' } } },
            ],
          },
        },
      },
      Api: {
        Type: 'AWS::ApiGateway::RestApi',
        Properties: { Policy: { Statement: [{ Effect: 'Allow', Principal: '*', Action: 'execute-api:Invoke', Resource: 'execute-api:/*', Condition: { Bool: { 'aws:SecureTransport': 'true' } } }] } },
      },
      // An endpoint policy is evaluated with every call through the endpoint (test/support/permissions/simulate.ts).
      Endpoint: {
        Type: 'AWS::EC2::VPCEndpoint',
        Properties: {
          ServiceName: 'com.amazonaws.eu-central-1.s3',
          VpcId: 'vpc-1',
          PolicyDocument: { Statement: [{ Effect: 'Allow', Principal: '*', Action: ['s3:GetObject', 's3:GetObjekt'], Resource: '*', Condition: { StringEquals: { 'aws:SourceVpce': 'vpce-1', 'aws:SourceVpcId': 'vpc-1' } } }] },
        },
      },
      Logs: {
        Type: 'AWS::Logs::ResourcePolicy',
        Properties: { PolicyDocument: { 'Fn::Join': ['', ['{"Statement":[{"Effect":"Allow","Action":["logs:PutLogEvents","logs:PutLogEvent"],"Resource":"', { 'Fn::GetAtt': ['Group', 'Arn'] }, '"}]}']] } },
      },
      Permission: { Type: 'AWS::Lambda::Permission', Properties: { Action: 'lambda:InvokeFunktion', Principal: 'events.amazonaws.com' } },
    },
  };

  it('names the policy and every action, wildcard and condition key the reference does not know, endpoint policies included', async () => {
    expect(await unknownIamNames(findStatements('demo', template))).toEqual([
      'demo Policy (AWS::IAM::Policy) PolicyDocument: Action unknown action s3:FetchObject',
      'demo Policy (AWS::IAM::Policy) PolicyDocument: Action wildcard action sqs:Receive*Batch matches no action',
      'demo Policy (AWS::IAM::Policy) PolicyDocument: NotAction unknown action bedrock:Converse',
      'demo Policy (AWS::IAM::Policy) PolicyDocument: unknown condition key aws:SourceVpcEndpoint (StringNotEquals)',
      'demo Endpoint (AWS::EC2::VPCEndpoint) PolicyDocument: Action unknown action s3:GetObjekt',
      'demo Endpoint (AWS::EC2::VPCEndpoint) PolicyDocument: unknown condition key aws:SourceVpcId (StringEquals)',
      'demo Logs (AWS::Logs::ResourcePolicy) PolicyDocument: Action unknown action logs:PutLogEvent',
      'demo Permission (AWS::Lambda::Permission) Action: Action unknown action lambda:InvokeFunktion',
    ]);
  });

  it('reads API Gateway resource policies, VPC endpoint policies and JSON-string documents', () => {
    expect(findStatements('demo', template).map(({ resourceType, property }) => `${resourceType} ${property}`)).toEqual([
      'AWS::IAM::Policy PolicyDocument', 'AWS::IAM::Policy PolicyDocument', 'AWS::ApiGateway::RestApi Policy', 'AWS::EC2::VPCEndpoint PolicyDocument', 'AWS::Logs::ResourcePolicy PolicyDocument', 'AWS::Lambda::Permission Action',
    ]);
  });
});
