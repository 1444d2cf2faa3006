import { type EnvironmentSpec, planAccountBaselines, ResidencyZone, Stage } from '../../lib';

const env = (name: string, account: string, region: string, extra: Partial<EnvironmentSpec> = {}): EnvironmentSpec => ({
  name, account, region, zone: region.startsWith('us-') ? ResidencyZone.US : ResidencyZone.EU, stage: Stage.DEV, ...extra,
});

const summary = (catalogue: EnvironmentSpec[], selected?: EnvironmentSpec[]) => planAccountBaselines(catalogue, selected).map((plan) => ({
  where: `${plan.account}/${plan.region}`, environments: plan.environments, apiGateway: plan.apiGatewayCloudWatchRole, linkedRole: plan.openSearchServiceLinkedRole,
}));

describe('planAccountBaselines', () => {
  const devA = env('eu-dev', '222222222222', 'eu-west-1');
  const stagingA = env('eu-staging', '222222222222', 'eu-west-1');
  const frankfurtA = env('eu-test', '222222222222', 'eu-central-1');
  const prodB = env('us-prod', '444444444444', 'us-east-1');

  it('plans one baseline per account and region, shared by the environments there', () => {
    expect(summary([devA, stagingA, prodB])).toEqual([
      { where: '222222222222/eu-west-1', environments: ['eu-dev', 'eu-staging'], apiGateway: true, linkedRole: true },
      { where: '444444444444/us-east-1', environments: ['us-prod'], apiGateway: true, linkedRole: true },
    ]);
  });

  it('creates the account-wide service-linked role only in the account\'s first region of the catalogue', () => {
    expect(summary([devA, frankfurtA])).toEqual([
      { where: '222222222222/eu-west-1', environments: ['eu-dev'], apiGateway: true, linkedRole: true },
      { where: '222222222222/eu-central-1', environments: ['eu-test'], apiGateway: true, linkedRole: false },
    ]);
  });

  it('keeps the service-linked role in the same baseline when only another region\'s environment is selected', () => {
    expect(summary([devA, frankfurtA, prodB], [frankfurtA])).toEqual([
      { where: '222222222222/eu-west-1', environments: ['eu-dev'], apiGateway: true, linkedRole: true },
      { where: '222222222222/eu-central-1', environments: ['eu-test'], apiGateway: true, linkedRole: false },
    ]);
  });

  it('selects only the baselines of the selected environment\'s account', () => {
    expect(summary([devA, prodB], [prodB]).map((plan) => plan.where)).toEqual(['444444444444/us-east-1']);
  });

  it('leaves out what the account already has, and baselines with nothing left to create', () => {
    const existingRole = { accountBaseline: { openSearchServiceLinkedRole: false } };
    expect(summary([env('eu-dev', '222222222222', 'eu-west-1', existingRole), env('eu-test', '222222222222', 'eu-central-1', existingRole)])).toEqual([
      { where: '222222222222/eu-west-1', environments: ['eu-dev'], apiGateway: true, linkedRole: false },
      { where: '222222222222/eu-central-1', environments: ['eu-test'], apiGateway: true, linkedRole: false },
    ]);
    const everythingExists = { accountBaseline: { openSearchServiceLinkedRole: false, apiGatewayCloudWatchRole: false } };
    expect(summary([env('eu-dev', '222222222222', 'eu-west-1', everythingExists)])).toEqual([]);
  });

  it('refuses environments of one account and region that disagree on the API Gateway setting', () => {
    const optedOut = { ...stagingA, accountBaseline: { apiGatewayCloudWatchRole: false } };
    expect(() => planAccountBaselines([devA, optedOut])).toThrow(
      "environments 'eu-dev' and 'eu-staging' share account 222222222222 in eu-west-1 but disagree on accountBaseline.apiGatewayCloudWatchRole; the API Gateway account setting is one per account and region, so set the same value on every environment there",
    );
  });

  it('refuses environments of one account that disagree on the service-linked role, even in different regions', () => {
    const optedOut = { ...frankfurtA, accountBaseline: { openSearchServiceLinkedRole: false } };
    expect(() => planAccountBaselines([devA, optedOut], [devA])).toThrow(
      "environments 'eu-dev' and 'eu-test' share account 222222222222 but disagree on accountBaseline.openSearchServiceLinkedRole; the service-linked role is one per account (IAM is global), so set the same value on every environment there",
    );
  });
});
