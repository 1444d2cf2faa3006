import { isIPv4, isIPv6 } from 'node:net';

/*
 * The backstop detector for what must never be stored: run on everything that is logged or
 * captured, after the guardrail's own sensitive-information findings were removed. Deliberately
 * over-eager (a false positive costs a log line's readability, a false negative leaks personal
 * data into records kept for years), but checksummed identifiers are validated (Luhn, mod 97,
 * Verhoeff) so that order numbers and references that merely look like them stay readable.
 * Maintained libraries were measured for the gateway bundle (docs/benchmarks.md) and did not
 * fit or did not validate; these validators are small and tested against a per-format corpus.
 */

/** Any separator people put inside numbers: whitespace (incl. no-break and thin spaces), dots, dashes, slashes. */
const SEP = '[\\s.\\-_/\\u200B\\u2060]';

/** Luhn (ISO/IEC 7812) check of a digit string. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) { d *= 2; if (d > 9) d -= 9; }
    sum += d;
  }
  return sum % 10 === 0;
}

const VERHOEFF_D = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5], [2, 3, 4, 0, 1, 7, 8, 9, 5, 6], [3, 4, 0, 1, 2, 8, 9, 5, 6, 7], [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
  [5, 9, 8, 7, 6, 0, 4, 3, 2, 1], [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3], [8, 7, 6, 5, 9, 3, 2, 1, 0, 4], [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
const VERHOEFF_P = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4], [5, 8, 0, 3, 7, 9, 6, 1, 4, 2], [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
  [9, 4, 5, 3, 1, 2, 6, 8, 7, 0], [4, 2, 8, 6, 5, 7, 3, 9, 0, 1], [2, 7, 9, 3, 8, 0, 6, 4, 1, 5], [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];

/** Verhoeff check (the checksum of Aadhaar numbers, UIDAI). */
export function verhoeffValid(digits: string): boolean {
  let c = 0;
  for (let i = 0; i < digits.length; i++) c = VERHOEFF_D[c][VERHOEFF_P[i % 8][digits.charCodeAt(digits.length - 1 - i) - 48]];
  return c === 0;
}

/** IBAN lengths by country, from the SWIFT IBAN registry; other countries are checked by mod 97 alone. */
const IBAN_LENGTHS: Record<string, number> = Object.fromEntries(
  'AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 DK18 DO28 EE20 EG29 ES24 FI18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HR21 HU28 IE22 IL23 IQ23 IS26 IT27 JO30 KW30 KZ20 LB28 LC32 LI21 LT20 LU20 LV21 MC27 MD24 ME22 MK19 MR27 MT31 MU30 NL18 NO15 PK24 PL28 PS29 PT25 QA29 RO24 RS22 SA24 SC31 SE24 SI19 SK24 SM27 ST25 SV28 TL23 TN24 TR26 UA29 VA22 VG24 XK20'
    .split(' ').map((entry) => [entry.slice(0, 2), Number(entry.slice(2))]),
);

/** ISO 13616 mod-97 check of an IBAN without separators. */
export function ibanValid(iban: string): boolean {
  const upper = iban.toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(upper)) return false;
  const expected = IBAN_LENGTHS[upper.slice(0, 2)];
  if (expected !== undefined && expected !== upper.length) return false;
  const rearranged = upper.slice(4) + upper.slice(0, 4);
  let remainder = 0;
  for (const char of rearranged) {
    const value = char <= '9' ? char : String(char.charCodeAt(0) - 55);
    for (const digit of value) remainder = (remainder * 10 + digit.charCodeAt(0) - 48) % 97;
  }
  return remainder === 1;
}

/** Replaces, in each maximal candidate, the longest valid stretch of whole groups; `valid` sees the digits/characters without separators. */
function replaceGroups(text: string, candidate: RegExp, group: RegExp, valid: (compact: string) => boolean, tag: string, minLength: number, maxLength: number): string {
  return text.replace(candidate, (run) => {
    const groups = [...run.matchAll(group)].map((m) => ({ start: m.index!, end: m.index! + m[0].length, text: m[0] }));
    let out = '';
    let cursor = 0;
    for (let i = 0; i < groups.length; i++) {
      let matched = -1;
      let compact = '';
      for (let j = i; j < groups.length; j++) {
        compact += groups[j].text;
        if (compact.length > maxLength) break;
        if (compact.length >= minLength && valid(compact)) matched = j;
      }
      if (matched >= 0) {
        out += run.slice(cursor, groups[i].start) + tag;
        cursor = groups[matched].end;
        i = matched;
      }
    }
    return out + run.slice(cursor);
  });
}

const IBAN_CANDIDATE = /(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?:[ \u00A0]?[A-Za-z0-9])+/g;

function redactIbans(text: string): string {
  return text.replace(IBAN_CANDIDATE, (run) => {
    const chars = [...run.matchAll(/[A-Za-z0-9]/g)];
    const country = run.slice(0, 2).toUpperCase();
    const lengths = IBAN_LENGTHS[country] !== undefined ? [IBAN_LENGTHS[country]] : Array.from({ length: 20 }, (_, i) => 34 - i);
    for (const length of lengths) {
      if (chars.length < length) continue;
      const compact = chars.slice(0, length).map((m) => m[0]).join('');
      if (ibanValid(compact)) return `[IBAN]${run.slice(chars[length - 1].index! + 1)}`;
    }
    return run;
  });
}

const IP_V6_CANDIDATE = /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|\d{1,3}(?:\.\d{1,3}){3})?(?![\w:])/g;
const IP_V4_CANDIDATE = /(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d]|\.\d)/g;
const DIGIT_RUN = new RegExp(`\\d(?:${SEP}{1,3}\\d|\\d)*`, 'g');
const DIGIT_GROUP = /\d+/g;

/** Number of digits in `text`. */
const digitCount = (text: string) => text.replace(/\D/g, '').length;

/** `[PHONE]` when `run` holds `min`-`max` digits, else the run unchanged. */
const phoneIf = (min: number, max: number) => (run: string) => {
  const digits = digitCount(run);
  return digits >= min && digits <= max ? '[PHONE]' : run;
};

const RULES: Array<[RegExp, string | ((match: string) => string)]> = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g, '[PRIVATE_KEY]'],
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, '[TOKEN]'],
  // `name = value` where the name says it is a secret: aws_secret_access_key=..., password: ..., "apiKey": "...".
  [/[\w.-]*(?:password|passwd|pwd|secret|api[_-]?key|token|access[_-]?key|private[_-]?key|credential)[\w.-]*["']?\s*[:=]\s*["']?[^\s"',;]+/gi, '[CREDENTIAL]'],
  // AWS access key ids (AKIA long-term, ASIA temporary, and the other IAM unique-id prefixes), glued or not.
  [/(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA|ASCA)[A-Z0-9]{16}(?![A-Z0-9])/g, '[AWS_ACCESS_KEY]'],
  // A standalone 40-character secret access key: base64 alphabet, mixed case and a digit.
  [/(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+]{0,39}[a-z])(?=[A-Za-z0-9/+]{0,39}[A-Z])(?=[A-Za-z0-9/+]{0,39}\d)[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g, '[AWS_SECRET_KEY]'],
  [/[\p{L}\p{N}!#$%&'*+/=?^_`{|}~.-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+/gu, '[EMAIL]'],
];

/** After IBANs (whose digit groups look like phone and card numbers), before cards and national phones. */
const NUMBER_RULES: Array<[RegExp, string | ((match: string) => string)]> = [
  [IP_V6_CANDIDATE, (m) => (isIPv6(m) ? '[IP_ADDRESS]' : m)],
  [IP_V4_CANDIDATE, (m) => (isIPv4(m) ? '[IP_ADDRESS]' : m)],
  // International format: +CC or 00CC, then 6-14 more digits in any grouping (E.164 allows 15 in all).
  [/(?<![\w+])(?:\+|00)[1-9](?:[\s.\-/]{0,2}\(?\d\)?){7,14}(?!\d)/g, '[PHONE]'],
  // Aadhaar: 12 digits, first 2-9, as 4-4-4 or contiguous, Verhoeff-valid.
  [/(?<!\d)[2-9]\d{3}([\s.-]?)\d{4}\1\d{4}(?!\d)/g, (m) => (verhoeffValid(m.replace(/\D/g, '')) ? '[AADHAAR]' : m)],
  [/(?<!\d)\d{3}-\d{2}-\d{4}(?!\d)/g, '[SSN]'],
];

/** National phone formats of the EU (incl. the UK), India and the US; a line break ends a number. */
const PHONE_RULES: Array<[RegExp, (match: string) => string]> = [
  // With a trunk 0 (UK 020 7946 0959, DE 030 1234567, FR 01 23 45 67 89, IN 011 2345 6789, 098765 43210).
  [/(?<![\d+])\(?0\d{1,4}\)?(?:[ \t\u00A0\u202F.\-/]?\d{2,6}){1,4}(?!\d)/g, phoneIf(9, 12)],
  // NANP: (415) 555-2674, 415-555-2674, 415.555.2674, 4155552674, 1-800-555-0199.
  [/(?<!\d)(?:1[\s.-]?)?(?:\([2-9]\d{2}\)\s?|[2-9]\d{2}[\s.-]?)\d{3}[\s.-]?\d{4}(?!\d)/g, () => '[PHONE]'],
  // India mobile: 10 digits from 6-9, contiguous or 5-5 (98765 43210).
  [/(?<!\d)[6-9]\d{4}[\s-]?\d{5}(?!\d)/g, () => '[PHONE]'],
  // Numbers without a trunk prefix in 3-5 groups of 2-4 digits (ES 612 34 56 78, IT 333 123 4567).
  [/(?<![\d.,])\d{2,4}(?:[ \t\u00A0\u202F.-]\d{2,4}){2,4}(?![\d]|[.,]\d)/g, phoneIf(9, 12)],
];

const LATE_RULES: Array<[RegExp, string]> = [
  // Indian PAN: five letters (the fourth is the holder type), four digits, a letter.
  [/(?<![A-Za-z0-9])[A-Za-z]{3}[ABCFGHJLPTKabcfghjlptk][A-Za-z]\d{4}[A-Za-z](?![A-Za-z0-9])/g, '[PAN]'],
];

function apply(text: string, rules: ReadonlyArray<[RegExp, string | ((match: string) => string)]>): string {
  let out = text;
  for (const [pattern, replacement] of rules) out = out.replace(pattern, replacement as string);
  return out;
}

/**
 * `text` with keys, credentials, tokens, e-mail and IP addresses, IBANs, Aadhaar, SSN, payment
 * card, phone and PAN numbers replaced by type tags.
 */
export function redactPii(text: string): string {
  let out = apply(text, RULES);
  out = redactIbans(out);
  out = apply(out, NUMBER_RULES);
  // Payment cards: 12-19 digits in any grouping, glued to letters or not, Luhn-valid.
  out = replaceGroups(out, DIGIT_RUN, DIGIT_GROUP, luhnValid, '[CARD_NUMBER]', 12, 19);
  out = apply(out, PHONE_RULES);
  return apply(out, LATE_RULES);
}

/**
 * `text` with every value the guardrail's sensitive-information policy matched replaced by its
 * type, then the backstop detector: the guardrail knows the entity types it was configured for,
 * the backstop the formats that must never be stored whatever the guardrail was told.
 */
export function redactWithFindings(text: string, findings: ReadonlyArray<{ readonly match: string; readonly type: string }>): string {
  let out = text;
  for (const { match, type } of [...findings].sort((a, b) => b.match.length - a.match.length)) {
    if (match.trim().length > 0) out = out.split(match).join(`[${type}]`);
  }
  return redactPii(out);
}
