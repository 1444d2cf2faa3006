import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseSync } from '@swc/core';
import { isSafe } from 'redos-detector';
import { REDACTION_PATTERNS } from '../../../lambda/gateway/redact';

const SOURCE = path.join(__dirname, '../../../lambda/gateway/redact.ts');

/** Every regular-expression literal in `file`, as `/pattern/flags`. */
function regexLiterals(file: string): string[] {
  const found: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) { node.forEach(walk); return; }
    if (typeof node !== 'object' || node === null) return;
    const { type, pattern, flags } = node as { type?: string; pattern?: string; flags?: string };
    if (type === 'RegExpLiteral') found.push(`/${pattern}/${flags}`);
    Object.values(node).forEach(walk);
  };
  walk(parseSync(readFileSync(file, 'utf8'), { syntax: 'typescript' }));
  return found;
}

/** A leading negative look-behind, e.g. `(?<![\w-])`: it lets an attempt past a run's first character only. */
const LEADING_GUARD = /^\(\?<!(?:\[(?:\\.|[^\]\\])*\]|\\.|[^()[\]\\])*\)/;

describe('redaction patterns', () => {
  const patterns = Object.entries(REDACTION_PATTERNS);

  it('are every regular expression the redactor runs', () => {
    const listed = new Set(patterns.map(([, pattern]) => String(pattern)));
    expect(regexLiterals(SOURCE).filter((literal) => !listed.has(literal))).toEqual([]);
    expect(readFileSync(SOURCE, 'utf8')).not.toMatch(/\bRegExp\s*\(/);
  });

  /*
   * redos-detector (https://github.com/tjenkinson/redos-detector) counts the ways one input can be
   * matched from the pattern's start: safe means no input makes a backtracking engine try more
   * than 200 paths in one attempt (no nested or overlapping quantifiers). A global pattern is also
   * attempted at every position; the analyser counts those attempts as backtracks of any unanchored
   * pattern, so instead each global pattern must either have bounded attempts (no `*`, `+` or
   * `{n,}`) or start with a negative look-behind that rejects a run's later characters, so that a
   * long run is attempted from its first character only. Sticky (`y`) patterns are attempted only
   * where the redactor's scanners put them.
   */
  it.each(patterns)('%s is linear-time on any input', (_name, pattern) => {
    const flags = pattern.flags.replace(/[gy]/g, '');
    const guard = LEADING_GUARD.exec(pattern.source)?.[0];
    const body = pattern.source.slice(guard?.length ?? 0);
    const attempt = isSafe(new RegExp(`^(?:${body})`, flags));
    expect({ safe: attempt.safe, error: attempt.error }).toEqual({ safe: true, error: null });
    if (!pattern.global) return;
    const unbounded = /(?<!\\)(?:[*+]|\{\d+,\})/.test(body.replace(/\[(?:\\.|[^\]\\])*\]/g, '[]'));
    if (unbounded) expect(guard).toBeDefined();
  });

  it('would catch the quadratic credential and e-mail patterns the redactor had before', () => {
    expect(isSafe(/[\w.-]*(?:password|token)[\w.-]*["']?\s*[:=]\s*["']?[^\s"',;]+/i).safe).toBe(false);
    expect(isSafe(/[\p{L}\p{N}!#$%&'*+/=?^_`{|}~.-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+/u).safe).toBe(false);
  });
});
