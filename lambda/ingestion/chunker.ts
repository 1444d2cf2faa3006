/** A slice of a document's text, with its character offsets. */
export interface Chunk {
  /** Position of the chunk in the document, from 0. */
  readonly index: number;
  /** The chunk text: `text.slice(start, end)`. */
  readonly text: string;
  /** Offset of the first character in the document. */
  readonly start: number;
  /** Offset after the last character. */
  readonly end: number;
}

/** How to cut text into chunks. */
export interface ChunkingOptions {
  /** Largest chunk, in characters. */
  readonly size: number;
  /** Characters each chunk repeats from the end of the previous one; less than `size`. */
  readonly overlap: number;
}

const BREAK = /\s/;

/**
 * Cuts `text` into chunks of at most `size` characters that together cover every character,
 * each repeating at most `overlap` characters of the previous one. A chunk ends at the last
 * whitespace of its second half when there is one, so words are rarely split.
 */
export function chunkText(text: string, options: ChunkingOptions): Chunk[] {
  const { size, overlap } = options;
  if (!Number.isInteger(size) || size < 1 || !Number.isInteger(overlap) || overlap < 0 || overlap >= size) {
    throw new Error(`chunking: size must be a positive integer and overlap an integer in [0, size), got size ${size}, overlap ${overlap}`);
  }
  const chunks: Chunk[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(start + size, text.length);
    if (end < text.length) {
      const floor = start + Math.max(overlap + 1, Math.ceil(size / 2));
      for (let i = end; i > floor; i--) {
        if (BREAK.test(text[i - 1])) {
          end = i;
          break;
        }
      }
    }
    chunks.push({ index: chunks.length, text: text.slice(start, end), start, end });
    if (end === text.length) break;
    start = Math.max(end - overlap, start + 1);
  }
  return chunks;
}
