#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { ComplianceGate, PlatformStage, selectEnvironments } from '../lib';
import { ENVIRONMENTS } from './environments';

const app = new App();
for (const environment of selectEnvironments(ENVIRONMENTS, app.node.tryGetContext('env'))) {
  new PlatformStage(app, { environment });
}
ComplianceGate.apply(app);
app.synth();
