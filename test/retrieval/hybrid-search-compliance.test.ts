import { Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ComplianceGate, DataClass, Foundation, HybridSearch, ResidencyZone, Stage, bindEnvironment, resolveEnvironment } from '../../lib';
import { testApp } from '../support/app';

describe('HybridSearch compliance', () => {
  it('passes every rule pack of the compliance gate in a dev and a prod environment', () => {
    const app = testApp();
    for (const stage of [Stage.DEV, Stage.PROD]) {
      const environment = resolveEnvironment({ name: `eu-${stage.id}`, account: '111111111111', region: 'eu-central-1', zone: ResidencyZone.EU, stage });
      const stack = new Stack(app, `Retrieval-${stage.id}`, { env: { account: environment.account, region: environment.region } });
      bindEnvironment(stack, environment);
      const foundation = new Foundation(stack, 'Foundation', { environment });
      const curatedBucket = s3.Bucket.fromBucketAttributes(stack, 'Curated', {
        bucketName: `paved-road-eu-${stage.id}-curated`,
        encryptionKey: foundation.keyFor(DataClass.CONFIDENTIAL),
      });
      new HybridSearch(stack, 'Search', { foundation, curatedBucket });
    }
    ComplianceGate.apply(app);
    expect(() => app.synth()).not.toThrow();
  });
});
