/**
 * Gateway benchmark: in-process overhead per request (mocked clients), redaction time on
 * adversarial input, bundle size and bundle load time of every function. Run with
 * `npx tsx bench/gateway.bench.ts`, or `npx tsx bench/gateway.bench.ts redaction` for the
 * redaction cases alone.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { ConverseResponse } from '@aws-sdk/client-bedrock-runtime';
import { build } from 'esbuild';
import type { BedrockRuntimeApi, SageMakerRuntimeApi } from '../lambda/gateway/aws';
import { type GatewayDeps, handleGatewayRequest } from '../lambda/gateway/core';
import { GatewayConfig } from '../lambda/gateway/config';
import { redactPii } from '../lambda/gateway/redact';

const FUNCTIONS = {
  gateway: 'lambda/gateway/index.ts',
  retrieval: 'lambda/retrieval/index.ts',
  ingestion: 'lambda/ingestion/index.ts',
  'search-setup': 'lambda/search-setup/index.ts',
};

const config = GatewayConfig.parse({
  chatModels: [{ name: 'primary', provider: 'bedrock', target: 'anthropic.claude-3-haiku-20240307-v1:0' }],
  guardrailIdentifier: 'arn:aws:bedrock:eu-central-1:111122223333:guardrail/abc', guardrailVersion: '1',
  budgetTable: 't', auditBucket: 'audit', auditKeyArn: 'k', region: 'eu-central-1',
});
const converseOutput: ConverseResponse = { output: { message: { role: 'assistant', content: [{ text: 'ok' }] } }, stopReason: 'end_turn', usage: { inputTokens: 10, outputTokens: 2, totalTokens: 12 }, metrics: { latencyMs: 1 } };
// The mocked clients answer at once, so the time measured is the gateway's own work.
const unexpected = async (): Promise<never> => { throw new Error('unexpected call'); };
const bedrock: BedrockRuntimeApi = { converse: async () => converseOutput, applyGuardrail: unexpected, invokeModel: unexpected };
const sagemaker: SageMakerRuntimeApi = { invokeEndpoint: unexpected };
const deps: GatewayDeps = {
  config,
  clients: { bedrock, sagemaker },
  budget: { reserve: async (tenantId, tokens) => ({ tenantId, tokens, period: 'p', id: 'r' }), settle: async () => undefined, release: async () => undefined },
  audit: { write: async () => undefined },
  logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
  metrics: { addMetric: () => undefined },
  clock: { now: Date.now, sleep: async () => undefined, random: Math.random },
};

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

async function overhead(promptBytes: number, iterations: number): Promise<{ p50: number; p99: number }> {
  const body = JSON.stringify({ messages: [{ role: 'user', content: 'x'.repeat(promptBytes) }], maxTokens: 256 });
  const request = { requestId: 'r', method: 'POST', resource: '/v1/chat', body, isBase64Encoded: false, authorizer: { claims: { 'custom:tenant_id': 'acme' } } };
  for (let i = 0; i < 2000; i++) await handleGatewayRequest(request, deps);
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const start = process.hrtime.bigint();
    await handleGatewayRequest(request, deps);
    samples.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 0.5), p99: percentile(samples, 0.99) };
}

/** 64 KB inputs built to make a backtracking pattern work super-linearly: runs that almost match. */
const ADVERSARIAL_KB = 64;
const ADVERSARIAL: Record<string, (bytes: number) => string> = {
  'digits with separators': (bytes) => '1 2-3.4/'.repeat(bytes / 8),
  'contiguous digits': (bytes) => '7'.repeat(bytes),
  '"a@a." runs': (bytes) => 'a@a.'.repeat(bytes / 4),
  '"=====" runs': (bytes) => '='.repeat(bytes),
  'base64-like run': (bytes) => 'Zm9vYmFyMTIzNDU2Nzg5MDEyMzQ1Njc4OTA+/'.repeat(Math.ceil(bytes / 36)).slice(0, bytes),
  'word characters': (bytes) => 'tokenx_'.repeat(Math.ceil(bytes / 7)).slice(0, bytes),
  '"-----BEGIN " headers': (bytes) => '-----BEGIN '.repeat(Math.ceil(bytes / 11)).slice(0, bytes),
  '"eyJ-" runs': (bytes) => 'eyJ-'.repeat(bytes / 4),
};

/** Milliseconds `redactPii` takes on each adversarial input (median of 5 runs). */
function redactionTimes(): Array<[string, number]> {
  return Object.entries(ADVERSARIAL).map(([name, build]) => {
    const text = build(ADVERSARIAL_KB * 1024);
    const runs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const start = process.hrtime.bigint();
      redactPii(text);
      runs.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    return [name, runs.sort((a, b) => a - b)[2]];
  });
}

async function bundle(name: string, entry: string): Promise<{ bytes: number; loadMs: number }> {
  const outfile = path.join(mkdtempSync(path.join(tmpdir(), `bench-${name}-`)), 'index.js');
  await build({ entryPoints: [entry], bundle: true, minify: true, platform: 'node', target: 'node22', outfile, legalComments: 'none', logLevel: 'silent' });
  // What each function reads at module scope, so that loading the bundle runs its whole cold start.
  const env = {
    ...process.env,
    AWS_REGION: 'eu-central-1', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'bench',
    GATEWAY_MODELS: JSON.stringify({ chatModels: config.chatModels }), GUARDRAIL_IDENTIFIER: 'g', GUARDRAIL_VERSION: '1', BUDGET_TABLE: 't', AUDIT_BUCKET: 'audit', AUDIT_KEY_ARN: 'k',
    DOMAIN_ENDPOINT: 'vpc-x.eu-central-1.es.amazonaws.com', INDEX_NAME: 'chunks', PIPELINE_NAME: 'hybrid', EMBEDDING_MODEL_ID: 'amazon.titan-embed-text-v2:0', EMBEDDING_DIMENSIONS: '1024',
    DATA_CLASS: 'CONFIDENTIAL', CHUNK_SIZE: '800', CHUNK_OVERLAP: '100', CURATED_BUCKET: 'curated', RETAIN_ON_DELETE: 'true',
  };
  const loads: number[] = [];
  for (let i = 0; i < 7; i++) {
    const out = execFileSync(process.execPath, ['-e', `const s=process.hrtime.bigint();require(${JSON.stringify(outfile)});console.log(Number(process.hrtime.bigint()-s)/1e6)`], { env, stdio: ['ignore', 'pipe', 'ignore'] });
    loads.push(Number(out.toString().trim()));
  }
  loads.sort((a, b) => a - b);
  return { bytes: statSync(outfile).size, loadMs: loads[Math.floor(loads.length / 2)] };
}

async function main(): Promise<void> {
  for (const [name, ms] of redactionTimes()) console.log(`redaction ${ADVERSARIAL_KB} KB ${name}: ${ms.toFixed(1)} ms`);
  if (process.argv[2] === 'redaction') return;
  for (const kb of [1, 32]) {
    const { p50, p99 } = await overhead(kb * 1024, 20_000);
    console.log(`overhead ${kb} KB prompt: p50 ${p50.toFixed(1)} us, p99 ${p99.toFixed(1)} us`);
  }
  for (const [name, entry] of Object.entries(FUNCTIONS)) {
    const { bytes, loadMs } = await bundle(name, entry);
    console.log(`bundle ${name}: ${(bytes / 1024).toFixed(1)} KB, load (median of 7) ${loadMs.toFixed(1)} ms`);
  }
}

void main();
