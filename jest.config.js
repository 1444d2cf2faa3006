// PAVED_ROAD_SHARED_CFN_VALIDATE=off: every test file loads its own CloudFormation Validate engine
// (slower; for ruling the sharing out when debugging). See docs/adr/0003.
const shareCfnValidate = process.env.PAVED_ROAD_SHARED_CFN_VALIDATE !== 'off';

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: shareCfnValidate ? '<rootDir>/test/support/jest-environment.ts' : 'node',
  moduleNameMapper: shareCfnValidate ? { '^\\./bindings_wasm$': '<rootDir>/test/support/cfn-validate-bridge.ts' } : {},
  setupFilesAfterEnv: ['<rootDir>/test/support/jest-setup.ts'],
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  // One worker per core: the test files are CPU-bound synths, and jest's default (cores - 1)
  // runs everything in one process on the 2-core reference machine.
  maxWorkers: '100%',
  // Synthesizing an environment through every rule pack takes seconds; keep headroom on 2 cores.
  testTimeout: 120000,
};
