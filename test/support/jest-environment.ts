import type { EnvironmentContext, JestEnvironmentConfig } from '@jest/environment';
import NodeEnvironment from 'jest-environment-node';

/**
 * The WebAssembly half of `@aws/cloudformation-validate`, the engine behind aws-cdk-lib's built-in
 * "CloudFormation Validate" plugin that checks every synthesized template. Building its engine in a
 * fresh WebAssembly instance costs about 3 s, and jest gives every test file a fresh module
 * registry, so each CDK test file used to pay it again. This environment loads the bridge once per
 * jest worker and hands the same instance to every test file (see docs/adr/0003); the JavaScript
 * half, aws-cdk-lib and the plugin are still loaded per test file.
 */
const BRIDGE_PATH = require.resolve('@aws/cloudformation-validate/bindings_wasm', { paths: [require.resolve('aws-cdk-lib')] });
let bridge: unknown;

/** Node test environment that shares one CloudFormation Validate WebAssembly instance per worker. */
export default class PavedRoadTestEnvironment extends NodeEnvironment {
  constructor(config: JestEnvironmentConfig, context: EnvironmentContext) {
    super(config, context);
    bridge ??= require(BRIDGE_PATH);
    this.global.__pavedRoadCfnValidateBridge = bridge;
  }
}
