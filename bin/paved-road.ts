#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { buildPlatform } from './app';

const app = new App();
buildPlatform(app);
app.synth();
