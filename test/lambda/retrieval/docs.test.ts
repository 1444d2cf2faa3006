import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { INGESTION_BOUNDS } from '../../../lambda/ingestion/core';
import { RETRIEVAL_BOUNDS } from '../../../lambda/retrieval/core';
import { SETUP_BOUNDS } from '../../../lambda/search-setup/core';
import type { CallPolicy } from '../../../lambda/shared/retry';

const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'retrieval.md'), 'utf8');
const time = (ms: number) => (ms < 1_000 ? `${ms} ms` : `${ms / 1_000} s`);
const cells = (policy: CallPolicy) => `| ${time(policy.attemptTimeoutMs)} | ${policy.attempts} | ${time(policy.baseDelayMs)} / ${time(policy.maxDelayMs)} |`;

describe('docs/retrieval.md', () => {
  it('states the call bounds and response margins the handlers use', () => {
    expect(doc).toContain(`| retrieval (15 s) | Titan \`InvokeModel\` ${cells(RETRIEVAL_BOUNDS.embedding)} ${time(RETRIEVAL_BOUNDS.responseMarginMs)} |`);
    expect(doc).toContain(`| | \`_search\` ${cells(RETRIEVAL_BOUNDS.search)} |`);
    expect(doc).toContain(`| ingestion (5 min) | S3 \`GetObject\` ${cells(INGESTION_BOUNDS.calls.getObject)} ${time(INGESTION_BOUNDS.responseMarginMs)} |`);
    expect(doc).toContain(`| | Titan \`InvokeModel\` (each chunk on its own) ${cells(INGESTION_BOUNDS.calls.embedding)} |`);
    expect(INGESTION_BOUNDS.calls.deleteByQuery).toEqual(INGESTION_BOUNDS.calls.bulk);
    expect(doc).toContain(`| | \`_bulk\`, \`_delete_by_query\` ${cells(INGESTION_BOUNDS.calls.bulk)} |`);
    expect(doc).toContain(`| search-setup (5 min) | every OpenSearch call ${cells(SETUP_BOUNDS.calls)} ${time(SETUP_BOUNDS.responseMarginMs)} |`);
  });
});
