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
  if (!REDACTION_PATTERNS.ibanShape.test(upper)) return false;
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

/**
 * Every regular expression the redactor runs. Each one is linear-time on any input: it starts at a
 * literal or behind a look-behind that only a run's first character passes, and every repetition is
 * bounded or ends the pattern, so a failed attempt never rescans a run (the tests check each one
 * with a ReDoS analyser). Where a pattern could not be (e-mail addresses, key blocks), a scanner
 * does the work.
 */
export const REDACTION_PATTERNS = {
  /** A non-ASCII character: the candidates for decimal digits NFKC leaves alone (Devanagari, Arabic-Indic, ...). */
  nonAscii: /[^\0-\x7F]/gu,
  decimalDigit: /^\p{Nd}$/u,
  /** Invisible format characters (soft hyphen, zero-width joiners, direction marks): dropped, so they split nothing. */
  formatChar: /^\p{Cf}$/u,
  /** Dashes and the minus sign: read as `-`. */
  dashChar: /^[\p{Pd}\u2212]$/u,
  /** Combining marks and variation selectors on a digit (a keycap `4️⃣`): dropped. */
  markAfterDigit: /(?<!\D)\p{M}{1,8}/gu,
  jwt: /(?<![\w-])eyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*/g,
  githubToken: /(?<![A-Za-z0-9-])(?:gh[opsur]_[A-Za-z0-9]{30,}|github_pat_\w{30,})/g,
  /** Stripe secret, restricted and organisation keys and webhook signing secrets. */
  stripeKey: /(?<![A-Za-z0-9-])(?:[rs]k_(?:org_)?(?:live|test)_[A-Za-z0-9]{10,}|whsec_[A-Za-z0-9]{10,})/g,
  /** Slack bot/user tokens, app-level tokens and incoming-webhook URLs. */
  slackToken: /(?<![A-Za-z0-9-])(?:xox[abposr]-[A-Za-z0-9-]{10,}|xapp-\d-[A-Za-z0-9-]{10,}|https:\/\/hooks\.slack\.com\/services\/[A-Za-z0-9/_-]{10,})/g,
  /** Hugging Face and GitLab personal access tokens. */
  hubToken: /(?<![A-Za-z0-9-])(?:hf_[A-Za-z0-9]{30,}|glpat-[\w-]{20,})/g,
  googleApiKey: /(?<![\w-])AIza[\w-]{35}/g,
  /** OpenAI (`sk-`, `sk-proj-`) and Anthropic (`sk-ant-api03-`) keys. */
  modelApiKey: /(?<![A-Za-z0-9-])sk-[\w-]{20,}/g,
  npmToken: /(?<![A-Za-z0-9-])npm_[A-Za-z0-9]{36}/g,
  /** `Authorization: Bearer <token>`: 16 or more token characters, so that prose ("bearer of") stays. */
  bearer: /(?<![A-Za-z])((?:Bearer|BEARER|bearer)[ \t]+)[\w.~+/-]{16,}=*/g,
  /** `Basic <base64 of user:password>`, confirmed by decoding. */
  basic: /(?<![A-Za-z])(?:Basic|BASIC|basic)[ \t]+([A-Za-z0-9+/]{4,}={0,2})(?![\w+/=])/g,
  /** After `://`, the `user:password@` of a URL; tried at each `://` only. */
  urlUserinfo: /[^\s/?#@:]*:[^\s/?#@]*@/y,
  /**
   * A `name = value` (or `name: value`, JSON `"name": "value"`) name: a run of name characters
   * followed by a separator. `credentialNameKind()` decides whether the name is a secret's; the
   * name stays, the value goes.
   */
  credentialName: /(?<![A-Za-z0-9_.-])[A-Za-z0-9_.-]{1,48}["']?[ \t]{0,16}[:=][ \t]{0,16}/g,
  /** Where a matched credential name ends: its closing quote, blanks or separator. */
  nameEnd: /["' \t:=]/,
  /** The words of a name: split at `_`, `.`, `-` and camelCase humps (`passwordHash` is `password`, `hash`). */
  nameWordBoundary: /[_.-]|(?<=[a-z0-9])(?=[A-Z])/,
  /**
   * A word of a name that ends in a secret's word, glued or not (`password`, `dbpassword`, `APIKEY`
   * lowercased, `accesstoken`, `passphrase`); `keyboard`, `author` and `tokens` do not end in one.
   */
  secretWord: /^[a-z0-9]{0,40}(?:pass(?:words?|wd|phrase)|pwd|secret|token|key|credentials?|auth)$/,
  /** A secret's word that names a password or passphrase, whose unquoted value may have spaces. */
  passWord: /(?:pass(?:words?|wd|phrase)|pwd)$/,
  /** The value after a credential's name: quoted (to the closing quote) or up to a space or delimiter. */
  credentialValue: /"[^"\r\n]*"?|'[^'\r\n]*'?|[^\s"',;&]+/y,
  /** The value after a password's or passphrase's name: unquoted, to the end of the line or a delimiter, since passphrases have spaces. */
  passphraseValue: /"[^"\r\n]*"?|'[^'\r\n]*'?|[^\r\n"',;&]+/y,
  awsAccessKeyId: /(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA|ASCA)[A-Z0-9]{16}(?![A-Z0-9])/g,
  /** A standalone 40-character secret access key: base64 alphabet, mixed case and a digit. */
  awsSecretKey: /(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+]{0,39}[a-z])(?=[A-Za-z0-9/+]{0,39}[A-Z])(?=[A-Za-z0-9/+]{0,39}\d)[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g,
  emailLocalChar: /^[\p{L}\p{N}\p{M}!#$%&'*+/=?^_`{|}~.-]$/u,
  emailDomainChar: /^[\p{L}\p{N}\p{M}.-]$/u,
  /** A top-level domain: letters (or an IDN's punycode), never digits, so that `pkg@1.2.3` stays. */
  topLevelDomain: /^(?:\p{L}[\p{L}\p{M}]{1,62}|(?:xn|XN)--[A-Za-z0-9-]{1,59})$/u,
  ibanCandidate: /(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?:[ .-]?[A-Za-z0-9])+/g,
  ibanChar: /[A-Za-z0-9]/g,
  ibanShape: /^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/,
  ipV6Candidate: /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{1,4})?(?![\w:]|\.\d)/g,
  ipV4Candidate: /(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d]|\.\d)/g,
  /** UUIDs and hexadecimal words (git SHAs, hashes): their digit runs are not numbers. */
  hexWord: /(?<![0-9A-Za-z])(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9a-fA-F]{7,64})(?![0-9A-Za-z])/g,
  hexLetter: /[a-fA-F]/g,
  /** A contiguous 12-19 digit run inside a hexadecimal word: a card glued to hex letters (`fee4111...`), when Luhn-valid. */
  hexWordDigitRun: /(?<!\d)\d{12,19}(?!\d)/g,
  /** International format: +CC or 00CC and what may follow in a phone number; `internationalPhone()` finds where it ends. */
  internationalPhone: /(?<![\w+])(?:\+|00)[1-9][\d .\/()-]*/g,
  /** Aadhaar: 12 digits, first 2-9, as 4-4-4 or contiguous, Verhoeff-valid. */
  aadhaar: /(?<!\d)[2-9]\d{3}([ .-]?)\d{4}\1\d{4}(?!\d)/g,
  ssn: /(?<!\d)\d{3}-\d{2}-\d{4}(?!\d)/g,
  /** Nine digits without dashes are an SSN only when the text says so just before. */
  labelledSsn: /((?:SSN|ssn|Ssn|[Ss]ocial [Ss]ecurity|SOCIAL SECURITY)[^\d\n]{0,24})\d{3}[ -]?\d{2}[ -]?\d{4}(?!\d)/g,
  /** Payment card candidates: digits in any grouping, up to four separators (blanks, `.`, `-`, `_`, `/`, `|`, `·`) between digits. */
  digitRun: /(?<!\d)\d(?:[\s.\-_/|\u00B7]{1,4}\d|\d)*/g,
  digitGroup: /(?<!\d)\d+/g,
  nonDigit: /\D/g,
  /** With a trunk 0, contiguous (02079460959) or grouped (UK 020 7946 0959, FR 01 23 45 67 89, IN 098765 43210). */
  trunkPhone: /(?<![\d+])(?:0\d{8,11}|\(?0\d{1,5}\)?(?:[ \t.\-/]\d{2,8}){1,4})(?!\d)/g,
  /** NANP: (415) 555-2674, 415-555-2674, 415.555.2674, 4155552674, 1-800-555-0199. */
  nanpPhone: /(?<!\d)(?:1[ .-]?)?(?:\([2-9]\d{2}\) ?|[2-9]\d{2}[ .-]?)\d{3}[ .-]?\d{4}(?!\d)/g,
  /** India mobile: 10 digits from 6-9, contiguous or 5-5 (98765 43210). */
  indiaMobile: /(?<!\d)[6-9]\d{4}[ -]?\d{5}(?!\d)/g,
  /** Without a trunk prefix, 3-5 groups of 2-4 digits (ES 612 34 56 78, IT 333 123 4567); not next to a time's `10:30`. */
  groupedPhone: /(?<![\d.,:])\d{2,4}(?:[ \t.-]\d{2,4}){2,4}(?![\d]|[.,:]\d)/g,
  /** Indian PAN: five letters (the fourth is the holder type), four digits, a letter. */
  pan: /(?<![A-Za-z0-9])[A-Za-z]{3}[ABCFGHJLPTKabcfghjlptk][A-Za-z]\d{4}[A-Za-z](?![A-Za-z0-9])/g,
} as const;

const P = REDACTION_PATTERNS;

/**
 * The NFKC form of `text` with every Unicode decimal digit as its ASCII digit, every dash as `-`,
 * and no invisible format characters or marks on digits: fullwidth digits, no-break and narrow
 * spaces, en dashes and fullwidth `＠` become what they look like, so one set of ASCII
 * patterns sees them. Redaction works on this copy: the captured text is its NFKC form.
 */
export function normalizeForDetection(text: string): string {
  return text.normalize('NFKC').replace(P.nonAscii, (char) => {
    if (P.formatChar.test(char)) return '';
    if (P.dashChar.test(char)) return '-';
    if (!P.decimalDigit.test(char)) return char;
    // Unicode encodes each script's decimal digits as a contiguous run from 0 to 9.
    const code = char.codePointAt(0)!;
    let zero = code;
    while (code - zero < 9 && P.decimalDigit.test(String.fromCodePoint(zero - 1))) zero--;
    return String((code - zero) % 10);
  }).replace(P.markAfterDigit, '');
}

/** Private key blocks, whole: PEM (PKCS#1/#8, EC, ENCRYPTED, OPENSSH), PGP, PuTTY; unterminated ones to the end. */
function redactKeyBlocks(text: string): string {
  // Each marker's next occurrence is searched again only once the scan has passed it, so many
  // `-----BEGIN ` headers without a key cost one pass over the text, not one pass each.
  const next = (marker: string, at: number) => { const found = text.indexOf(marker, at); return found < 0 ? Infinity : found; };
  let out = '';
  let cursor = 0;
  let pem = next('-----BEGIN ', 0);
  let putty = next('PuTTY-User-Key-File-', 0);
  while (pem !== Infinity || putty !== Infinity) {
    let from: number;
    if (putty < pem) {
      const mac = text.indexOf('Private-MAC:', putty);
      const lineEnd = mac < 0 ? -1 : text.indexOf('\n', mac);
      const end = mac < 0 || lineEnd < 0 ? text.length : lineEnd;
      out += `${text.slice(cursor, putty)}[PRIVATE_KEY]`;
      cursor = from = end;
    } else {
      // Labels are short (RFC 7468): look for the closing dashes within 80 characters only.
      const labelEnd = text.slice(pem + 11, pem + 91).indexOf('-----');
      const label = labelEnd < 0 ? '' : text.slice(pem + 11, pem + 11 + labelEnd);
      if (label.endsWith('PRIVATE KEY') || label === 'PGP PRIVATE KEY BLOCK') {
        const footer = `-----END ${label}-----`;
        const footerAt = text.indexOf(footer, pem);
        const end = footerAt < 0 ? text.length : footerAt + footer.length;
        out += `${text.slice(cursor, pem)}[PRIVATE_KEY]`;
        cursor = from = end;
      } else {
        from = pem + 11;
      }
    }
    if (pem < from) pem = next('-----BEGIN ', from);
    if (putty < from) putty = next('PuTTY-User-Key-File-', from);
  }
  return out + text.slice(cursor);
}

/**
 * E-mail addresses, Unicode ones (ü@exämple.de) included: from each `@`, the local part to the left
 * and the domain to the right. Neither side crosses an `@`, so each character is looked at at most
 * twice whatever the input.
 */
function redactEmails(text: string): string {
  let out = '';
  let cursor = 0;
  for (let at = text.indexOf('@'); at >= 0; at = text.indexOf('@', Math.max(at + 1, cursor))) {
    let start = at;
    while (start > cursor && P.emailLocalChar.test(text[start - 1])) start--;
    let end = at + 1;
    while (end < text.length && P.emailDomainChar.test(text[end])) end++;
    while (end > at + 1 && (text[end - 1] === '.' || text[end - 1] === '-')) end--;
    const labels = text.slice(at + 1, end).split('.');
    if (start === at || labels.length < 2 || labels.some((label) => label.length === 0) || !P.topLevelDomain.test(labels[labels.length - 1])) continue;
    out += `${text.slice(cursor, start)}[EMAIL]`;
    cursor = end;
  }
  return out + text.slice(cursor);
}

/** Whether `token` is `Basic` credentials: base64 of printable `user:password`. */
function isBasicCredentials(token: string): boolean {
  const decoded = Buffer.from(token, 'base64').toString('latin1');
  return decoded.includes(':') && [...decoded].every((char) => char >= ' ' && char <= '~');
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

function redactIbans(text: string): string {
  return text.replace(P.ibanCandidate, (run) => {
    const chars = [...run.matchAll(P.ibanChar)];
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

/** Number of digits in `text`. */
const digitCount = (text: string) => text.replace(P.nonDigit, '').length;

/** `[PHONE]` when `run` holds `min`-`max` digits, else the run unchanged. */
const phoneIf = (min: number, max: number) => (run: string) => {
  const digits = digitCount(run);
  return digits >= min && digits <= max ? '[PHONE]' : run;
};

type Rule = readonly [RegExp, string | ((match: string, ...groups: string[]) => string)];

const SECRET_RULES: readonly Rule[] = [
  [P.jwt, '[TOKEN]'],
  [P.githubToken, '[TOKEN]'],
  [P.stripeKey, '[TOKEN]'],
  [P.slackToken, '[TOKEN]'],
  [P.hubToken, '[TOKEN]'],
  [P.googleApiKey, '[TOKEN]'],
  [P.modelApiKey, '[TOKEN]'],
  [P.npmToken, '[TOKEN]'],
  [P.bearer, '$1[TOKEN]'],
  [P.basic, (match, token: string) => (isBasicCredentials(token) ? 'Basic [CREDENTIAL]' : match)],
  [P.awsAccessKeyId, '[AWS_ACCESS_KEY]'],
  [P.awsSecretKey, '[AWS_SECRET_KEY]'],
];

/** Whether `name` is a secret's name (one of its words ends in a secret's word), and whether a password's. */
function credentialNameKind(name: string): 'password' | 'secret' | undefined {
  const words = name.split(P.nameWordBoundary).map((word) => word.toLowerCase()).filter((word) => P.secretWord.test(word));
  if (words.length === 0) return undefined;
  return words.some((word) => P.passWord.test(word)) ? 'password' : 'secret';
}

/** `name = value` credentials: the name and separator stay, the value goes. */
function redactCredentials(text: string): string {
  let out = '';
  let cursor = 0;
  for (const match of text.matchAll(P.credentialName)) {
    // A name inside the value just redacted ("password=token=...") is part of that value.
    if (match.index! < cursor) continue;
    const kind = credentialNameKind(match[0].slice(0, match[0].search(P.nameEnd)));
    if (!kind) continue;
    const valueAt = match.index! + match[0].length;
    const valuePattern = kind === 'password' ? P.passphraseValue : P.credentialValue;
    valuePattern.lastIndex = valueAt;
    const value = valuePattern.exec(text);
    if (!value) continue;
    out += `${text.slice(cursor, valueAt)}[CREDENTIAL]`;
    cursor = valueAt + value[0].length;
  }
  return out + text.slice(cursor);
}

/**
 * `scheme://user:password@host` with the user and password replaced. Each attempt starts at a
 * `://` and stops at the next `/`, so attempts never overlap.
 */
function redactUrlUserinfo(text: string): string {
  let out = '';
  let cursor = 0;
  for (let at = text.indexOf('://'); at >= 0; at = text.indexOf('://', Math.max(at + 3, cursor))) {
    P.urlUserinfo.lastIndex = at + 3;
    const userinfo = P.urlUserinfo.exec(text);
    if (!userinfo) continue;
    out += `${text.slice(cursor, at + 3)}[CREDENTIAL]@`;
    cursor = at + 3 + userinfo[0].length;
  }
  return out + text.slice(cursor);
}

/**
 * `[PHONE]` for the international number `run` starts with: 8-15 digits (E.164), in groups no more
 * than three characters apart (`+44 (0)20 7946 0959`); what follows it stays for the other rules.
 */
function internationalPhone(run: string): string {
  let digits = 0;
  let end = 0;
  for (const group of run.matchAll(P.digitGroup)) {
    if (end > 0 && group.index! - end > 3) break;
    if (digits + group[0].length > 15) break;
    digits += group[0].length;
    end = group.index! + group[0].length;
  }
  return digits >= 8 ? `[PHONE]${run.slice(end)}` : run;
}

const IP_RULES: readonly Rule[] = [
  [P.ipV6Candidate, (m) => (isIPv6(m) ? '[IP_ADDRESS]' : m)],
  [P.ipV4Candidate, (m) => (isIPv4(m) ? '[IP_ADDRESS]' : m)],
];

/** After IBANs (whose digit groups look like phone and card numbers), before cards and phones. */
const ID_RULES: readonly Rule[] = [
  [P.aadhaar, (m) => (verhoeffValid(m.replace(P.nonDigit, '')) ? '[AADHAAR]' : m)],
  [P.ssn, '[SSN]'],
  [P.labelledSsn, '$1[SSN]'],
];

/**
 * International (+CC, 00CC) and national phone formats of the EU (incl. the UK), India and the US,
 * after cards, so that a card with a `00` group (`5500 0055 5555 5559`) is not read as `00 55...`;
 * a line break ends a number.
 */
const PHONE_RULES: readonly Rule[] = [
  [P.internationalPhone, internationalPhone],
  [P.trunkPhone, phoneIf(9, 12)],
  [P.nanpPhone, '[PHONE]'],
  [P.indiaMobile, '[PHONE]'],
  [P.groupedPhone, phoneIf(9, 12)],
];

function apply(text: string, rules: readonly Rule[]): string {
  let out = text;
  for (const [pattern, replacement] of rules) out = out.replace(pattern, replacement as string);
  return out;
}

/** Whether a hexadecimal word is an identifier (UUID, SHA) rather than a number glued to a letter or two. */
function isHexIdentifier(word: string): boolean {
  return word.includes('-') || (word.match(P.hexLetter)?.length ?? 0) >= 2;
}

/** Card, phone and national-id numbers; inside UUIDs and hexadecimal words, card numbers only. */
function redactNumbers(text: string): string {
  const redact = (segment: string) => {
    let out = apply(segment, ID_RULES);
    // Payment cards: 12-19 digits in any grouping, glued to letters or not, Luhn-valid.
    out = replaceGroups(out, P.digitRun, P.digitGroup, luhnValid, '[CARD_NUMBER]', 12, 19);
    return apply(out, PHONE_RULES);
  };
  let out = '';
  let cursor = 0;
  for (const word of text.matchAll(P.hexWord)) {
    if (!isHexIdentifier(word[0])) continue;
    // A card number must never be stored: inside an identifier its Luhn-valid digit run still goes
    // (a SHA is cut now and then, 13+ digits in a row that pass Luhn; a card is never kept).
    out += redact(text.slice(cursor, word.index)) + word[0].replace(P.hexWordDigitRun, (run) => (luhnValid(run) ? '[CARD_NUMBER]' : run));
    cursor = word.index! + word[0].length;
  }
  return out + redact(text.slice(cursor));
}

/**
 * `text` (in NFKC form) with private keys, tokens, credentials, e-mail and IP addresses, IBANs,
 * Aadhaar, SSN, payment card, phone and PAN numbers replaced by type tags.
 */
export function redactPii(text: string): string {
  let out = redactKeyBlocks(normalizeForDetection(text));
  out = apply(out, SECRET_RULES);
  out = redactUrlUserinfo(out);
  out = redactCredentials(out);
  out = redactEmails(out);
  out = redactIbans(out);
  out = apply(out, IP_RULES);
  out = redactNumbers(out);
  return out.replace(P.pan, '[PAN]');
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
