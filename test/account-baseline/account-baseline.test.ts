import { CfnWaitConditionHandle, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ACCOUNT_BASELINE_EXPORT, AccountBaseline, AccountBaselineStage, type AccountBaselinePlan, type PlatformStage, ResidencyZone } from '../../lib';
import { buildPlatform } from '../../bin/app';
import { ENVIRONMENTS } from '../../bin/environments';
import { testApp } from '../support/app';

const plan = (region: string, extra: Partial<AccountBaselinePlan> = {}): AccountBaselinePlan => ({
  account: '222222222222', region, zone: ResidencyZone.EU, environments: ['eu-dev'], apiGatewayCloudWatchRole: true, openSearchServiceLinkedRole: true, ...extra,
});

describe('AccountBaseline', () => {
  const stage = new AccountBaselineStage(testApp(), { plans: [plan('eu-west-1')] });
  const stack = stage.baselineIn('eu-west-1')!;
  const template = Template.fromStack(stack);
  const roleLogicalId = stack.getLogicalId(stack.baseline.apiGatewayCloudWatchRole!.node.defaultChild as never);

  it('sets the region\'s API Gateway CloudWatch Logs role to a role only API Gateway can assume', () => {
    template.hasResourceProperties('AWS::ApiGateway::Account', { CloudWatchRoleArn: { 'Fn::GetAtt': [roleLogicalId, 'Arn'] } });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'apigateway.amazonaws.com' } }], Version: '2012-10-17' },
      ManagedPolicyArns: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs']] }],
    });
    expect(template.toJSON().Resources[roleLogicalId].Properties.Policies).toBeUndefined();
  });

  it('creates the OpenSearch Service service-linked role', () => {
    template.hasResourceProperties('AWS::IAM::ServiceLinkedRole', { AWSServiceName: 'opensearchservice.amazonaws.com' });
  });

  it('retains every prerequisite when the stack is deleted, because other APIs and domains of the account use them', () => {
    for (const type of ['AWS::IAM::Role', 'AWS::ApiGateway::Account']) {
      template.hasResource(type, { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    }
    template.hasResource('AWS::IAM::ServiceLinkedRole', { UpdateReplacePolicy: 'Retain' });
  });

  it('deletes the service-linked role when its creation rolls back, so that the retry does not find it taken', () => {
    // The role's name is fixed (AWSServiceRoleForAmazonOpenSearchService); the CloudWatch role's
    // is generated, so a retained one from a failed attempt collides with nothing.
    template.hasResource('AWS::IAM::ServiceLinkedRole', { DeletionPolicy: 'RetainExceptOnCreate' });
    expect(template.toJSON().Resources[roleLogicalId].Properties.RoleName).toBeUndefined();
  });

  it('creates only what the account does not have yet', () => {
    const app = testApp();
    const apiOnly = new AccountBaseline(new Stack(app, 'ApiOnly'), 'Baseline', { openSearchServiceLinkedRole: false });
    const linkedRoleOnly = new AccountBaseline(new Stack(app, 'LinkedRoleOnly'), 'Baseline', { apiGatewayCloudWatchRole: false });
    expect([apiOnly.openSearchServiceLinkedRole, linkedRoleOnly.apiGatewayAccount, linkedRoleOnly.apiGatewayCloudWatchRole]).toEqual([undefined, undefined, undefined]);
    const types = (baseline: AccountBaseline) => Object.values(Template.fromStack(Stack.of(baseline)).toJSON().Resources as Record<string, { Type: string }>).map((r) => r.Type);
    expect(types(apiOnly)).toEqual(['AWS::IAM::Role', 'AWS::ApiGateway::Account']);
    expect(types(linkedRoleOnly)).toEqual(['AWS::IAM::ServiceLinkedRole']);
  });
});

describe('AccountBaselineStack', () => {
  const stage = new AccountBaselineStage(testApp(), { plans: [plan('eu-west-1', { environments: ['eu-dev', 'eu-staging'] }), plan('eu-central-1', { openSearchServiceLinkedRole: false })] });
  const [dublin, frankfurt] = stage.baselines;

  it('is one stack per region under a stage named after the account, with the same stack name everywhere', () => {
    expect(stage.stageName).toBe('baseline-222222222222');
    expect(stage.baselines.map((stack) => [stack.node.path, stack.stackName, stack.account, stack.region])).toEqual([
      ['baseline-222222222222/eu-west-1', 'paved-road-account-baseline', '222222222222', 'eu-west-1'],
      ['baseline-222222222222/eu-central-1', 'paved-road-account-baseline', '222222222222', 'eu-central-1'],
    ]);
  });

  it('is protected from termination and names the environments it serves', () => {
    expect(dublin.terminationProtection).toBe(true);
    expect(dublin.templateOptions.description).toBe('paved-road account baseline of 222222222222 in eu-west-1: one-time prerequisites of eu-dev, eu-staging; deploy it before them');
    expect(dublin.tags.tagValues()).toEqual({ 'paved-road:account-baseline': 'eu-west-1', 'paved-road:residency-zone': 'EU' });
  });

  it('exports a constant version for the environment stacks to import', () => {
    expect(Template.fromStack(dublin).toJSON().Outputs.Version).toMatchObject({ Value: '1', Export: { Name: ACCOUNT_BASELINE_EXPORT } });
    expect(ACCOUNT_BASELINE_EXPORT).toBe('paved-road:account-baseline:v1');
  });

  it('deploys the baseline that creates the service-linked role before the account\'s other regions', () => {
    expect(frankfurt.dependencies).toEqual([dublin]);
    expect(dublin.dependencies).toEqual([]);
    Template.fromStack(frankfurt).resourceCountIs('AWS::IAM::ServiceLinkedRole', 0);
  });

  it('makes an environment stack of its account and region import the baseline export', () => {
    const platform = new Stack(testApp(), 'Platform', { env: { account: '222222222222', region: 'eu-west-1' } });
    new CfnWaitConditionHandle(platform, 'AnyResource');
    dublin.requireBefore(platform);
    expect(Template.fromStack(platform).toJSON().Outputs.AccountBaseline).toEqual({
      Description: "Version of the account baseline this stack needs; deploy it first: npx cdk deploy 'baseline-222222222222/eu-west-1'",
      Value: { 'Fn::ImportValue': 'paved-road:account-baseline:v1' },
    });
  });

  it('refuses an environment stack of another region, whose baseline would be another stack', () => {
    const elsewhere = new Stack(testApp(), 'Platform', { env: { account: '222222222222', region: 'eu-west-3' } });
    expect(() => dublin.requireBefore(elsewhere)).toThrow("Platform: deploys into 222222222222/eu-west-3 but the account baseline baseline-222222222222/eu-west-1 is for 222222222222/eu-west-1; use the baseline of the stack's own account and region");
  });

  it('refuses a stage with the baselines of several accounts', () => {
    expect(() => new AccountBaselineStage(testApp(), { plans: [plan('eu-west-1'), plan('eu-west-1', { account: '333333333333' })] }))
      .toThrow('AccountBaselineStage: pass the baselines of exactly one account (got 222222222222, 333333333333)');
  });
});

describe('bin/ wiring', () => {
  const baselineStages = (app: ReturnType<typeof testApp>) => app.node.children.filter((child): child is AccountBaselineStage => child instanceof AccountBaselineStage);
  const importsBaseline = (stage: PlatformStage) => stage.platform.resolve((stage.platform.node.tryFindChild('AccountBaseline') as { value?: unknown } | undefined)?.value);

  it('synthesizes only the selected environment\'s baseline with -c env=NAME', () => {
    const app = testApp({ env: 'eu-dev' });
    buildPlatform(app);
    expect(baselineStages(app).flatMap((stage) => stage.baselines.map((stack) => stack.node.path))).toEqual(['baseline-222222222222/eu-west-1']);
  });

  it('imports nothing for an account that already has every prerequisite', () => {
    const app = testApp();
    const [stage] = buildPlatform(app, [{ ...ENVIRONMENTS[1], accountBaseline: { apiGatewayCloudWatchRole: false, openSearchServiceLinkedRole: false } }]);
    expect(baselineStages(app)).toEqual([]);
    expect(importsBaseline(stage)).toBeUndefined();
  });
});
