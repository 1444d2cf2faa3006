import * as path from 'node:path';
import { build } from 'esbuild';

const ROOT = path.join(__dirname, '..', '..', '..');

/** The minified bundle as PavedRoadFunction builds it (lib/serverless/paved-road-function.ts), in bytes. */
async function bundleBytes(entry: string): Promise<number> {
  const result = await build({ entryPoints: [path.join(ROOT, entry)], bundle: true, minify: true, platform: 'node', target: 'node22', format: 'cjs', legalComments: 'none', write: false, logLevel: 'silent' });
  return result.outputFiles[0].contents.byteLength;
}

describe('retrieval bundles', () => {
  // Issue #11: the retrieval function sits on every chat with retrieval; its budget is 300 KB.
  // Measured load times are in docs/benchmarks.md (npm run bench); sizes are checked here because
  // one careless import (all of zod, the SDK, the OpenSearch client) multiplies them.
  it.each(['lambda/retrieval/index.ts', 'lambda/ingestion/index.ts', 'lambda/search-setup/index.ts'])('keeps %s within 300 KB', async (entry) => {
    expect(await bundleBytes(entry)).toBeLessThanOrEqual(300 * 1024);
  });
});
