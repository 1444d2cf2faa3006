import fc from 'fast-check';
import { chunkText } from '../../../lambda/ingestion/chunker';
import { chunkId } from '../../../lambda/shared/search-index';

const options = fc.integer({ min: 1, max: 200 }).chain((size) => fc.record({ size: fc.constant(size), overlap: fc.integer({ min: 0, max: size - 1 }) }));
const texts = fc.oneof(fc.string({ maxLength: 2_000 }), fc.lorem({ maxCount: 300 }));

describe('chunkText', () => {
  it('loses no text: chunks are slices that cover the document without gaps', () => {
    fc.assert(fc.property(texts, options, (text, opts) => {
      const chunks = chunkText(text, opts);
      let covered = 0;
      for (const chunk of chunks) {
        expect(chunk.text).toBe(text.slice(chunk.start, chunk.end));
        expect(chunk.start).toBeLessThanOrEqual(covered);
        covered = chunk.end;
      }
      expect(covered).toBe(text.length);
      expect(chunks.map((c, i) => text.slice(i === 0 ? 0 : chunks[i - 1].end, c.end)).join('')).toBe(text);
    }));
  });

  it('keeps chunks within the size and overlaps within the overlap', () => {
    fc.assert(fc.property(texts, options, (text, opts) => {
      const chunks = chunkText(text, opts);
      chunks.forEach((chunk, i) => {
        expect(chunk.index).toBe(i);
        expect(chunk.end - chunk.start).toBeGreaterThan(0);
        expect(chunk.end - chunk.start).toBeLessThanOrEqual(opts.size);
        if (i > 0) {
          expect(chunk.start).toBeGreaterThan(chunks[i - 1].start);
          expect(chunks[i - 1].end - chunk.start).toBeLessThanOrEqual(opts.overlap);
        }
      });
    }));
  });

  it('is deterministic, and so are the chunk ids', () => {
    fc.assert(fc.property(texts, options, fc.string({ minLength: 1 }), (text, opts, docId) => {
      const ids = (chunks: ReturnType<typeof chunkText>) => chunks.map((c) => chunkId(docId, c.index));
      const first = chunkText(text, opts);
      expect(chunkText(text, opts)).toEqual(first);
      expect(ids(chunkText(text, opts))).toEqual(ids(first));
      expect(new Set(ids(first)).size).toBe(first.length);
    }));
  });

  it('ends chunks at whitespace when it can', () => {
    expect(chunkText('alpha beta gamma delta', { size: 12, overlap: 0 }).map((c) => c.text)).toEqual(['alpha beta ', 'gamma delta']);
  });

  it('gives the sha256 of doc id and chunk index as the chunk id', () => {
    expect(chunkId('s3://b/k', 0)).toMatch(/^[0-9a-f]{64}$/);
    expect(chunkId('s3://b/k', 0)).not.toBe(chunkId('s3://b/k', 1));
    expect(chunkId('s3://b/k', 0)).toBe(chunkId('s3://b/k', 0));
  });

  it('refuses an overlap as large as the size', () => {
    expect(() => chunkText('abc', { size: 5, overlap: 5 })).toThrow('chunking: size must be a positive integer and overlap an integer in [0, size), got size 5, overlap 5');
  });
});
