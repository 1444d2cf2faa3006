// Stands in for `@aws/cloudformation-validate/bindings_wasm` (jest.config.js moduleNameMapper):
// the WebAssembly instance the test environment loaded once for this worker (docs/adr/0003).
const scope = globalThis as { __pavedRoadCfnValidateBridge?: unknown; __pavedRoadCfnValidateUsed?: boolean };
if (!scope.__pavedRoadCfnValidateBridge) {
  throw new Error('cfn-validate-bridge: run the tests with testEnvironment test/support/jest-environment.ts');
}
// Tells test/support/jest-setup.ts that this test file has an engine to free.
scope.__pavedRoadCfnValidateUsed = true;
module.exports = scope.__pavedRoadCfnValidateBridge;
