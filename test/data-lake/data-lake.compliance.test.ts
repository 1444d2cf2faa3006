import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import {
  bindEnvironment, ComplianceGate, DataClass, DataLake, DataLakeReplicaStack, Foundation, LakeRetention, LakeZone, PrefixRule, reasonProblem,
  resolveEnvironment, ResidencyZone, Stage,
} from '../../lib';
import { testApp } from '../support/app';

/** Every acknowledgment recorded on `scope` and below, as [path, id, reason]. */
function acknowledgmentsUnder(scope: IConstruct): Array<[string, string, string]> {
  return scope.node.findAll().flatMap((node) => node.node.metadata
    .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .flatMap((entry) => Object.entries(entry.data as Record<string, string>).map(([id, reason]): [string, string, string] => [node.node.path, id, reason])));
}

describe('DataLake compliance', () => {
  const app = testApp();
  const lakes: IConstruct[] = [];
  beforeAll(() => {
    const prod = resolveEnvironment({ name: 'eu-prod', account: '111111111111', region: 'eu-central-1', zone: ResidencyZone.EU, stage: Stage.PROD });
    const prodStack = new Stack(app, 'EuProd', { env: { account: prod.account, region: prod.region } });
    bindEnvironment(prodStack, prod);
    const prodLake = new DataLake(prodStack, 'DataLake', {
      foundation: new Foundation(prodStack, 'Foundation', { environment: prod }),
      prefixRules: [
        PrefixRule.images({ zone: LakeZone.RAW, prefix: 'images/' }),
        PrefixRule.logs({ zone: LakeZone.INFERENCE_CAPTURE, prefix: 'logs/' }),
      ],
    });
    const replica = new DataLakeReplicaStack(app, 'EuProdLakeReplica', { replication: prodLake.replication! });
    prodStack.addStackDependency(replica);

    const dev = resolveEnvironment({ name: 'in-dev', account: '222222222222', region: 'ap-south-1', zone: ResidencyZone.IN, stage: Stage.DEV });
    const devStack = new Stack(app, 'InDev', { env: { account: dev.account, region: dev.region } });
    bindEnvironment(devStack, dev);
    const devLake = new DataLake(devStack, 'DataLake', {
      foundation: new Foundation(devStack, 'Foundation', { environment: dev }),
      zoneSettings: [{
        zone: LakeZone.CURATED,
        dataClass: DataClass.PERSONAL,
        retention: LakeRetention.keepIndefinitely(),
        retentionJustification: 'GST law (CGST Act s. 36) requires invoices naming customers to be kept for 72 months; only the finance role may read them.',
      }],
    });
    lakes.push(prodLake, replica, devLake);
    ComplianceGate.apply(app);
  });

  it('synthesizes a production lake, its replica stack and a dev lake through every rule pack with no open finding', () => {
    expect(() => app.synth()).not.toThrow();
  });

  it('acknowledges only with specific reasons that name the compensating control', () => {
    const acks = lakes.flatMap(acknowledgmentsUnder);
    expect(acks.length).toBeGreaterThan(20);
    for (const [path, id, reason] of acks) {
      expect({ path, id, problem: reasonProblem(reason) }).toEqual({ path, id, problem: undefined });
    }
  });

  it('acknowledges the object-lock control on every lake bucket but the audit bucket, with the erasure conflict', () => {
    const acks = lakes.flatMap(acknowledgmentsUnder).filter(([path, id]) => id === 'cdk-validator-cfnguard::s3_bucket_object_lock_enabled_check' && !/AccessLogs/.test(path));
    expect(acks.map(([path]) => path.split('/').slice(-1)[0]).sort()).toEqual([
      'Curated', 'Curated', 'Embeddings', 'Embeddings', 'InferenceCapture', 'InferenceCapture', 'ModelArtifacts', 'ModelArtifacts', 'Raw', 'Raw', 'ReplicaCurated', 'ReplicaModelArtifacts',
    ]);
    for (const [, , reason] of acks) expect(reason).toMatch(/erasure/);
  });
});
