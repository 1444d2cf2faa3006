#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { AccountBaselineStage, writeComplianceReport } from '../lib';
import { buildPlatform } from './app';

const app = new App();
buildPlatform(app);
const assembly = app.synth();
// The summary goes to stderr: the CDK CLI shows an app's stderr, and stdout may carry templates.
console.error(writeComplianceReport(assembly.directory));
console.error(`Compliance report: ${assembly.directory}/compliance-report.md`);
if (app.node.children.some((child) => child instanceof AccountBaselineStage)) {
  console.error("Deploy order: enable the opt-in regions used, CDK bootstrap, then the account baselines (npx cdk deploy 'baseline-*/*' -c env=NAME), then the environment (npx cdk deploy 'NAME/*' -c env=NAME); see docs/deploy.md");
}
