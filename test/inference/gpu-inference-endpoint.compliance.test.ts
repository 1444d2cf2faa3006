import { TimeZone } from 'aws-cdk-lib';
import { ComplianceGate, GpuInferenceEndpoint, InferenceCapacity } from '../../lib';
import { testApp } from '../support/app';
import { baseProps, EU_DEV, EU_PROD, inferenceFixture } from './support';

describe('GpuInferenceEndpoint compliance', () => {
  it('passes every rule pack and the Control Tower controls in both capacity modes', () => {
    const app = testApp();
    const prod = inferenceFixture(app, EU_PROD, 'Prod');
    new GpuInferenceEndpoint(prod.stack, 'Llm', {
      ...baseProps(prod),
      capacity: InferenceCapacity.instances({ targetGpuUtilizationPercent: 70 }),
      officeHours: { timeZone: TimeZone.EUROPE_BERLIN },
    });
    const dev = inferenceFixture(app, EU_DEV, 'Dev');
    new GpuInferenceEndpoint(dev.stack, 'Llm', { ...baseProps(dev), modelDataKey: 'models/llama-3-1-8b.tar.gz', capacity: InferenceCapacity.scaleToZero() });
    ComplianceGate.apply(app);
    expect(() => app.synth()).not.toThrow();
  });
});
