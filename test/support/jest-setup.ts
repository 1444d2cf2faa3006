// The test environment shares one CloudFormation Validate WebAssembly instance between the test
// files of a worker (docs/adr/0003). Each file's engine holds ~130 MB of that instance's memory:
// free it when the file is done, so the next file reuses the memory instead of growing the
// instance (which costs about 3 s). Files that never synthesized a template have nothing to free.
afterAll(() => {
  if (!(globalThis as { __pavedRoadCfnValidateUsed?: boolean }).__pavedRoadCfnValidateUsed) return;
  const { CloudFormationValidatePlugin } = require('aws-cdk-lib') as typeof import('aws-cdk-lib');
  (CloudFormationValidatePlugin as unknown as { _disposeSingleton(): void })._disposeSingleton();
});
