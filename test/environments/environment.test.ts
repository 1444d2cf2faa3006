import { App, RemovalPolicy } from 'aws-cdk-lib';
import { DESTROY_DEV_DATA_CONTEXT, type EnvironmentSpec, ResidencyZone, Stage, resolveEnvironment, selectEnvironments } from '../../lib';
import { ENVIRONMENTS } from '../../bin/environments';

const valid: EnvironmentSpec = { name: 'eu-prod', account: '111111111111', region: 'eu-central-1', zone: ResidencyZone.EU, stage: Stage.PROD };

describe('environment catalogue', () => {
  it('resolves every default environment with its region catalogue entry', () => {
    const resolved = selectEnvironments(ENVIRONMENTS);
    expect(resolved.map((env) => [env.name, env.region, env.zone.id, env.stage.id])).toEqual([
      ['eu-prod', 'eu-central-1', 'EU', 'prod'],
      ['eu-dev', 'eu-west-1', 'EU', 'dev'],
      ['in-prod', 'ap-south-1', 'IN', 'prod'],
      ['us-prod', 'us-east-1', 'US', 'prod'],
    ]);
    for (const env of resolved) expect(env.regionInfo.region).toBe(env.region);
  });

  it('selects one environment by name and names the known ones when the name is wrong', () => {
    expect(selectEnvironments(ENVIRONMENTS, 'in-prod').map((env) => env.name)).toEqual(['in-prod']);
    expect(() => selectEnvironments(ENVIRONMENTS, 'mars-prod')).toThrow('-c env=mars-prod: no such environment (known: eu-prod, eu-dev, in-prod, us-prod)');
  });

  it('refuses an EU environment in us-east-1, naming the zone and its allowed regions', () => {
    expect(() => resolveEnvironment({ ...valid, region: 'us-east-1' })).toThrow(/^environment 'eu-prod': region us-east-1 is outside residency zone EU \(allowed: eu-central-1, /);
  });

  it('refuses an IN environment in eu-west-1', () => {
    expect(() => resolveEnvironment({ ...valid, name: 'in-prod', zone: ResidencyZone.IN, region: 'eu-west-1' })).toThrow("environment 'in-prod': region eu-west-1 is outside residency zone IN (allowed: ap-south-1, ap-south-2)");
  });

  it('refuses a malformed account id with the fix', () => {
    expect(() => resolveEnvironment({ ...valid, account: '1234' })).toThrow("environment 'eu-prod': account '1234' is not a 12-digit AWS account id; set the id of the account this environment deploys into");
  });

  it('refuses a bad name', () => {
    expect(() => resolveEnvironment({ ...valid, name: 'EU Prod' })).toThrow(/environment 'EU Prod': name must be 3-32 lower-case letters/);
  });

  it('refuses an unknown region without an override', () => {
    expect(() => resolveEnvironment({ ...valid, region: 'eu-west-9' })).toThrow(/region eu-west-9 is not in the region catalogue/);
  });

  it('accepts an unknown region when an override places it in the zone', () => {
    const regionInfo = { region: 'eu-west-9', zone: 'EU', dlcRegistryAccount: '123456789012', gpuInstanceFamilies: [], availabilityZones: ['eu-west-9a', 'eu-west-9b', 'eu-west-9c'] };
    expect(resolveEnvironment({ ...valid, region: 'eu-west-9', regionInfo }).regionInfo).toBe(regionInfo);
    expect(() => resolveEnvironment({ ...valid, region: 'eu-west-9', regionInfo: { ...regionInfo, zone: 'US' } })).toThrow(/outside residency zone EU/);
  });

  it('refuses a duplicate name', () => {
    expect(() => selectEnvironments([valid, { ...valid, region: 'eu-west-1' }])).toThrow("environment 'eu-prod': name is used twice in the catalogue; give each environment a unique name");
  });
});

describe('Stage', () => {
  it('retains stateful data in prod and staging even when the destroy flag is set', () => {
    const app = new App({ context: { [DESTROY_DEV_DATA_CONTEXT]: 'true' } });
    expect(Stage.PROD.statefulRemovalPolicy(app)).toBe(RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE);
    expect(Stage.STAGING.statefulRemovalPolicy(app)).toBe(RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE);
  });

  it('destroys dev data only when the flag is set explicitly', () => {
    expect(Stage.DEV.statefulRemovalPolicy(new App())).toBe(RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE);
    expect(Stage.DEV.statefulRemovalPolicy(new App({ context: { [DESTROY_DEV_DATA_CONTEXT]: 'yes' } }))).toBe(RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE);
    expect(Stage.DEV.statefulRemovalPolicy(new App({ context: { [DESTROY_DEV_DATA_CONTEXT]: 'true' } }))).toBe(RemovalPolicy.DESTROY);
  });

  it('uses three availability zones in prod and two elsewhere', () => {
    expect([Stage.DEV, Stage.STAGING, Stage.PROD].map((s) => s.availabilityZoneCount)).toEqual([2, 2, 3]);
  });

  it('names the valid stages for an unknown id', () => {
    expect(() => Stage.fromId('qa', 'env x')).toThrow("env x: stage 'qa' is unknown (use one of: dev, staging, prod)");
  });
});
