import { TimeZone } from 'aws-cdk-lib';
import { ComplianceGate, GpuInferenceEndpoint, InferenceCapacity } from '../../lib';
import { testApp } from '../support/app';
import { baseProps, EU_DEV, EU_PROD, inferenceFixture } from './support';
it('gate', () => {
  const app = testApp();
  const f = inferenceFixture(app, EU_PROD);
  new GpuInferenceEndpoint(f.stack, 'Llm', { ...baseProps(f), capacity: InferenceCapacity.instances({ targetGpuUtilizationPercent: 70 }), officeHours: { timeZone: TimeZone.EUROPE_BERLIN } });
  const d = inferenceFixture(app, EU_DEV, 'Dev');
  new GpuInferenceEndpoint(d.stack, 'Llm', { ...baseProps(d), modelDataKey: 'models/m.tar.gz', capacity: InferenceCapacity.scaleToZero(), officeHours: { timeZone: TimeZone.EUROPE_BERLIN } });
  ComplianceGate.apply(app);
  try { app.synth(); console.log('SYNTH OK'); } catch (e) { console.log((e as Error).message); }
});
