/**
 * Replaces personal data and secrets in free text with type tags, before anything is logged
 * or captured. Deliberately over-eager: a false positive costs a log line's readability, a
 * false negative leaks personal data into logs that are kept for a year.
 */
const RULES: Array<[RegExp, string]> = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g, '[PRIVATE_KEY]'],
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, '[TOKEN]'],
  [/\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, '[AWS_ACCESS_KEY]'],
  [/[\p{L}\p{N}!#$%&'*+/=?^_`{|}~.-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+/gu, '[EMAIL]'],
  [/\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b/g, '[IBAN]'],
  [/\b(?:\d[ -]?){12,18}\d\b/g, '[CARD_NUMBER]'],
  [/(?:\+|\b00)\d[\d ().-]{6,18}\d\b|\(?\b\d{3}\)?[ .-]\d{3}[ .-]\d{4}\b|\b\d{5}[ ]\d{5}\b/g, '[PHONE]'],
  [/\b\d{3}-\d{2}-\d{4}\b/g, '[SSN]'],
  [/\b[2-9]\d{3}[ ]?\d{4}[ ]?\d{4}\b/g, '[AADHAAR]'],
  [/\b[A-Z]{5}\d{4}[A-Z]\b/g, '[PAN]'],
  [/\b(?:\d{1,3}\.){3}\d{1,3}\b/g, '[IP_ADDRESS]'],
  [/\b(?:password|passwd|pwd|secret|api[_-]?key|token)\s*[:=]\s*\S+/gi, '[CREDENTIAL]'],
];

/** `text` with e-mail addresses, phone, card, IBAN and id numbers, keys and tokens replaced by tags. */
export function redactPii(text: string): string {
  let out = text;
  for (const [pattern, tag] of RULES) out = out.replace(pattern, tag);
  return out;
}
