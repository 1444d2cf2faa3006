import { Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import {
  AiGateway, type AiGatewayProps, bindEnvironment, ComplianceGate, ContentCapture, DataClass, Foundation, GatewayAuthorization, GatewayEndpoint, GatewayModel, GuardrailPolicy,
  ResidencyZone, resolveEnvironment, Stage,
} from '../../lib';
import { testApp } from '../support/app';

/** Synthesizes one gateway through the full compliance gate; throws on any unacknowledged finding. */
function synthThroughGate(props: Partial<AiGatewayProps> = {}): void {
  const app = testApp();
  const environment = resolveEnvironment({ name: 'eu-prod', account: '111122223333', region: 'eu-central-1', zone: ResidencyZone.EU, stage: Stage.PROD });
  const stack = new Stack(app, 'Gateway', { env: { account: environment.account, region: environment.region } });
  bindEnvironment(stack, environment);
  const foundation = new Foundation(stack, 'Foundation', { environment });
  // Stands in for the data lake's audit bucket, which its own construct and tests cover.
  const auditBucket = s3.Bucket.fromBucketAttributes(stack, 'Audit', { bucketName: 'paved-road-eu-prod-audit', encryptionKey: foundation.keyFor(DataClass.CONFIDENTIAL) });
  const guardrail = new GuardrailPolicy(stack, 'Guardrail', { foundation });
  new AiGateway(stack, 'Gateway', {
    foundation, guardrail, auditBucket,
    chatModels: [GatewayModel.bedrock('eu.anthropic.claude-sonnet-4-5-20250929-v1:0', ['anthropic.claude-3-haiku-20240307-v1:0']), GatewayModel.bedrock('anthropic.claude-3-haiku-20240307-v1:0')],
    ...props,
  });
  ComplianceGate.apply(app);
  app.synth();
}

// Retrieval wiring passes the gate with the whole platform: test/platform/platform.compliance.test.ts.
describe('AiGateway compliance', () => {
  it('passes the full compliance gate', () => {
    expect(() => synthThroughGate()).not.toThrow();
  });

  it('passes the full compliance gate in API-key mode', () => {
    expect(() => synthThroughGate({ authorization: GatewayAuthorization.apiKeys(['acme', 'globex']) })).not.toThrow();
  });

  it('passes the full compliance gate with hashed capture (an HMAC KMS key) and a self-hosted inference component', () => {
    expect(() => synthThroughGate({
      contentCapture: ContentCapture.HASHED,
      chatModels: [GatewayModel.bedrock('eu.anthropic.claude-sonnet-4-5-20250929-v1:0', ['llama']), GatewayModel.selfHosted('llama', 'llama-endpoint', [], 'llama-endpoint-ic')],
    })).not.toThrow();
  });

  it('passes the full compliance gate with a private endpoint', () => {
    expect(() => synthThroughGate({ endpoint: GatewayEndpoint.PRIVATE })).not.toThrow();
  });
});
