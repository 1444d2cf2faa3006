import { Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ComplianceGate, DataClass, Foundation, ResidencyZone, Stage, bindEnvironment, resolveEnvironment } from '../../lib';
import { HybridSearch } from '../../lib/retrieval/hybrid-search';
import { testApp } from '../support/app';

describe('HybridSearch compliance', () => {
  it('passes every rule pack of the compliance gate in a prod environment', () => {
    const app = testApp();
    const environment = resolveEnvironment({ name: 'eu-prod', account: '111111111111', region: 'eu-central-1', zone: ResidencyZone.EU, stage: Stage.PROD });
    const stack = new Stack(app, 'Retrieval', { env: { account: environment.account, region: environment.region } });
    bindEnvironment(stack, environment);
    const foundation = new Foundation(stack, 'Foundation', { environment });
    const curatedBucket = s3.Bucket.fromBucketAttributes(stack, 'Curated', {
      bucketName: 'paved-road-eu-prod-curated',
      encryptionKey: foundation.keyFor(DataClass.CONFIDENTIAL),
    });
    new HybridSearch(stack, 'Search', { foundation, curatedBucket });
    ComplianceGate.apply(app);
    expect(() => app.synth()).not.toThrow();
  });
});
