/**
 * `npm run gateway:local [-- --port 8787] [--audit-file audit.jsonl] [--bedrock --model <id> ...]`:
 * the gateway on http://127.0.0.1:<port>/v1 for developing without an AWS account (the fixture
 * model), or against real Bedrock with your own credentials (`--bedrock`, see docs/gateway.md).
 */
import { parseArgs } from 'node:util';
import { bedrockWithCallerCredentials, LOCAL_TENANT, startLocalGateway } from '../lambda/gateway/local/server';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8787' },
    'audit-file': { type: 'string' },
    bedrock: { type: 'boolean', default: false },
    model: { type: 'string', multiple: true },
    'embedding-model': { type: 'string', default: 'amazon.titan-embed-text-v2:0' },
  },
});

async function main(): Promise<void> {
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port ${values.port}: expected a port number`);
  let real = {};
  if (values.bedrock) {
    const region = process.env.AWS_REGION;
    const identifier = process.env.GUARDRAIL_IDENTIFIER;
    const version = process.env.GUARDRAIL_VERSION;
    const models = values.model ?? [];
    if (!region || !identifier || !version || models.length === 0) {
      throw new Error('--bedrock needs AWS_REGION, GUARDRAIL_IDENTIFIER and GUARDRAIL_VERSION in the environment, AWS credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) and at least one --model <Bedrock model or inference-profile id>');
    }
    real = {
      bedrock: bedrockWithCallerCredentials(region),
      region,
      guardrail: { identifier, version },
      chatModels: models.map((id) => ({ name: id, target: id })),
      embeddingModels: [{ name: values['embedding-model']!, target: values['embedding-model']! }],
    };
  }
  const gateway = await startLocalGateway({ port, auditFile: values['audit-file'], ...real });
  process.stdout.write(`paved-road gateway (local, tenant '${LOCAL_TENANT}', ${values.bedrock ? 'real Bedrock' : 'fixture model'}) on ${gateway.url}\n`);
  process.stdout.write(`  OpenAI SDK: new OpenAI({ baseURL: '${gateway.url}', apiKey: 'local' })\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`gateway:local: ${(error as Error).message}\n`);
  process.exit(1);
});
