#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { writeComplianceReport } from '../lib';
import { buildPlatform } from './app';

const app = new App();
buildPlatform(app);
const assembly = app.synth();
// The summary goes to stderr: the CDK CLI shows an app's stderr, and stdout may carry templates.
console.error(writeComplianceReport(assembly.directory));
console.error(`Compliance report: ${assembly.directory}/compliance-report.md`);
