import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { captureContent, keyedHash } from '../../../lambda/gateway/audit';
import { handleGatewayRequest } from '../../../lambda/gateway/core';
import { ibanValid, luhnValid, redactPii, redactWithFindings, verhoeffValid } from '../../../lambda/gateway/redact';
import { converseOutput, request, TENANT, testConfig, testDeps } from './support';

/** Appends the Luhn check digit to `body`. */
function withLuhn(body: string): string {
  for (let d = 0; d < 10; d++) if (luhnValid(body + d)) return body + d;
  throw new Error('unreachable');
}

/** Appends the Verhoeff check digit to `body`. */
function withVerhoeff(body: string): string {
  for (let d = 0; d < 10; d++) if (verhoeffValid(body + d)) return body + d;
  throw new Error('unreachable');
}

/** An IBAN of `country` with `bban`, with its mod-97 check digits. */
function iban(country: string, bban: string): string {
  for (let check = 2; check < 100; check++) {
    const candidate = `${country}${String(check).padStart(2, '0')}${bban}`;
    if (ibanValid(candidate)) return candidate;
  }
  throw new Error('unreachable');
}

/** Values that must never be stored, per format, in the ways people write them. */
const CORPUS: Record<string, string[]> = {
  card: [
    '4111 1111 1111 1111', '4111-1111-1111-1111', '4111.1111.1111.1111', '4111\u00A01111\u00A01111\u00A01111', '4111\u202F1111\u202F1111\u202F1111',
    '4111111111111111', '5500 0000 0000 0004', '3782 822463 10005', '6011 0009 9013 9424', '4000 0566 5566 5556',
    '4111/1111/1111/1111', '4111.1111-1111\u00A01111', '4111 - 1111 - 1111 - 1111', '4111\u20091111\u20091111\u20091111',
  ],
  token: [
    'ghp_16C7e42F292c6912E7710c838347Ae178B4a', 'gho_16C7e42F292c6912E7710c838347Ae178B4a', 'ghs_16C7e42F292c6912E7710c838347Ae178B4a',
    'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcd',
    'sk_live_4eC39HqLyjWDarjtT1zdp7dc', 'rk_live_51H8abcdefGHIJKLmnop', 'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx',
    'xoxp-123456789012-abcdefABCDEF', 'AIzaSyA-1234567890abcdefghijklmnopqrstu', 'sk-proj-abcdefghijklmnopqrstuvwxyz0123456789',
    'sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789-ABCDEF', 'npm_abcdefghijklmnopqrstuvwxyz0123456789',
  ],
  awsAccessKey: ['AKIAIOSFODNN7EXAMPLE', 'ASIAY34FZKBOKMUTVV7A', 'AKIA2OGYBAH6STMMNXNN'],
  awsSecretKey: ['wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY'],
  iban: ['DE89 3704 0044 0532 0130 00', 'DE89370400440532013000', 'GB29 NWBK 6016 1331 9268 19', 'FR14 2004 1010 0505 0001 3M02 606', 'NL91ABNA0417164300', iban('IT', 'X0542811101000000123456'), iban('ES', '21000418450200051332')],
  phone: [
    '020 7946 0959', '+44 20 7946 0959', '07700 900123', '+49 30 1234567', '030 1234567', '01 23 45 67 89', '+33 6 12 34 56 78', '333 123 4567', '612 34 56 78', '06-12345678', '087 123 4567',
    '+91 98765 43210', '98765 43210', '9876543210', '011 2345 6789', '4155552674', '(415) 555-2674', '415-555-2674', '415.555.2674', '+1 415 555 2674', '1-800-555-0199',
  ],
  aadhaar: [withVerhoeff('23456789012'), `${withVerhoeff('49183726450').slice(0, 4)} ${withVerhoeff('49183726450').slice(4, 8)} ${withVerhoeff('49183726450').slice(8)}`],
  pan: ['ABCPD1234E', 'AAACB1234C'],
  email: ['jane.doe+x@example.co.uk', 'ops@sub.example.org'],
  ip: ['10.0.12.7', '192.168.1.254', '2001:db8::8a2e:370:7334', '::1', 'fe80::1ff:fe23:4567:890a'],
  credential: ['aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'password: hunter2', '"apiKey": "sk_live_abcdef123456"'],
};

/** Text with a secret in it, and the secret, which must not survive redaction. */
const SECRETS: Array<[string, string, string]> = [
  ['credential', 'key=Zx81qQ', 'Zx81qQ'], ['credential', 'token: "tok en 42"', 'tok en 42'], ['credential', "secret='s3cr3t!'", 's3cr3t!'],
  ['credential', '{"password": "correct horse"}', 'correct horse'], ['credential', 'passwd=hunter2', 'hunter2'], ['credential', '?pwd=p4ss&x=1', 'p4ss'],
  ['credential', 'DB_PASSWORD=Secr3tValue', 'Secr3tValue'], ['credential', 'clientSecret = "abc123xyz"', 'abc123xyz'], ['credential', 'api_key:k-998877', 'k-998877'],
  ['credential', 'Authorization: Basic dXNlcjpwYXNzd29yZA==', 'dXNlcjpwYXNzd29yZA=='], ['token', 'Authorization: Bearer eyXabc123.def456-ghi789_jkl', 'eyXabc123.def456-ghi789_jkl'],
  ['credential', 'postgres://admin:S3cret@db.internal:5432/app', 'admin:S3cret'], ['credential', 'https://user:pa55@example.com/x', 'user:pa55'],
  ['privateKey', 'a\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA1234\nabcdEFGH5678\n-----END RSA PRIVATE KEY-----\nb', 'MIIEowIBAAKCAQEA1234'],
  ['privateKey', '-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0w\n-----END ENCRYPTED PRIVATE KEY-----', 'MIIFHDBOBgkqhkiG9w0BBQ0w'],
  ['privateKey', '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg4LVWM9nuwNSk\n-----END EC PRIVATE KEY-----', 'MHcCAQEEIBkg4LVWM9nuwNSk'],
  ['privateKey', '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----', 'b3BlbnNzaC1rZXktdjEAAAAA'],
  ['privateKey', '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0B (cut off', 'MIIEvQIBADANBgkqhkiG9w0B'],
  ['privateKey', '-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBF0abcdEFGH\n=kc8A\n-----END PGP PRIVATE KEY BLOCK-----', 'lQOYBF0abcdEFGH'],
  ['privateKey', 'PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nPublic-Lines: 1\nAAAAC3NzaC1lZDI1\nPrivate-Lines: 1\nAAAAIGtleXNlY3JldA\nPrivate-MAC: 5e7b1c2d\nafter', 'AAAAIGtleXNlY3JldA'],
  ['ssn', 'SSN: 123456789', '123456789'], ['ssn', 'social security number 123 45 6789', '123 45 6789'],
  ['card', 'pay \uFF14\uFF11\uFF11\uFF11 \uFF11\uFF11\uFF11\uFF11 \uFF11\uFF11\uFF11\uFF11 \uFF11\uFF11\uFF11\uFF11', '\uFF11\uFF11\uFF11\uFF11'],
  ['card', 'ref4111111111111111x', '4111111111111111'], ['phone', 'call \u096F\u096E\u096D\u096C\u096B \u096A\u096B\u0968\u0967\u0966', '\u096A\u096B\u0968\u0967\u0966'],
  ['email', 'write ü@exämple.de now', 'exämple'], ['email', 'mail jürgen.müller@bücher.example', 'jürgen'], ['email', 'mail ops@xn--bcher-kva.example', 'xn--bcher-kva'],
  ['email', 'mail ops\uFF20example.com', 'ops'],
  ['phone', 'NL +31 20 123 4567', '123 4567'], ['phone', 'NL 020-123 4567', '123 4567'], ['phone', 'IE +353 1 234 5678', '234 5678'], ['phone', 'IE (01) 234 5678', '234 5678'],
  ['phone', 'DE +49 30 123456', '123456'], ['phone', 'IN 098765 43210', '43210'],
];

/** Text that looks like the formats above and must stay readable. */
const NEAR_MISSES = [
  'order 4111 1111 1111 1112', 'order 1234567890123', 'ref 1234-5678-9012-3457', 'XX12 ABCD EFGH IJKL', 'DE00ABCDEFGHIJKLMNOPQR',
  'on 2026-11-23 at 10:30:00', 'version 1.2.3 and 300.1.1.1', 'call me at 12:30', 'order 12345', 'price 1,299.00', 'AKIA1234',
  `${withVerhoeff('23456789012').slice(0, 11)}${(Number(withVerhoeff('23456789012').slice(11)) + 1) % 10} is not an Aadhaar`, 'ABCDE1234', 'user at example dot com',
  '2026-11-23T10:30:00Z', '2026-11-23 10:30:00.123+01:00', 'v10.24.1 and 2.3.4-beta.1', '123e4567-e89b-12d3-a456-426614174000', '550e8400-e29b-41d4-a716-446655440000',
  'commit 3f1a9c2d8e7b6a5f4c3d2e1f0a9b8c7d6e5f4a3b', 'fixed in 9fceb02', 'price €1.299,00 or $12,345.67', 'room 101, 3 guests, 42 nights', 'order 123456789',
  'the keyboard: a US layout', 'password reset', 'Please use the password reset link', 'a token of thanks', 'the key to success', 'npm i lodash@4.17.21',
  'Bearer of bad news', 'Basic instructions', 'see https://example.com/a:b',
];

describe('redaction corpus', () => {
  /** Card numbers and access key ids are found even glued to letters; the other formats need a boundary to be told from words. */
  const GLUED = new Set(['card', 'awsAccessKey', 'email', 'phone', 'credential']);

  it.each(Object.entries(CORPUS).flatMap(([format, values]) => values.map((value) => [format, value])))('removes the %s %s in any surrounding text', (format, value) => {
    const texts = [value, `see ${value} now`, `(${value}).`, `${value}\n${value}`];
    if (GLUED.has(format)) texts.push(/^[\d]/.test(value) ? `no${value}end` : `no ${value}end`);
    for (const text of texts) expect(redactPii(text)).not.toContain(value.replace(/^["(]/, ''));
  });

  it('glues no separator-free card, key or id to letters without noticing', () => {
    expect(redactPii('card4111111111111111exp')).toBe('card[CARD_NUMBER]exp');
    expect(redactPii('keyAKIAIOSFODNN7EXAMPLEend')).not.toContain('AKIAIOSFODNN7EXAMPLE');
  });

  it.each(SECRETS)('removes the %s in %j', (_format, text, secret) => {
    for (const around of [text, `see ${text} now`, `${text}\n${text}`]) expect(redactPii(around)).not.toContain(secret);
  });

  it('removes a private key block whole, and only the block', () => {
    expect(redactPii('a\n-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\nb')).toBe('a\n[PRIVATE_KEY]\nb');
    expect(redactPii('x -----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY----- y')).toBe('x -----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY----- y');
  });

  it('keeps the name of a credential and removes its value', () => {
    expect(redactPii('aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY rest')).toBe('aws_secret_access_key=[CREDENTIAL] rest');
    expect(redactPii('{"password": "correct horse", "user": "x"}')).toBe('{"password": [CREDENTIAL], "user": "x"}');
    expect(redactPii('db postgres://admin:S3cret@db.internal/app')).toBe('db postgres://[CREDENTIAL]@db.internal/app');
  });

  it('takes a 9-digit number for an SSN only when the text says SSN just before', () => {
    expect(redactPii('SSN 123456789')).toBe('SSN [SSN]');
    expect(redactPii('order 123456789')).toBe('order 123456789');
  });

  it('redacts the NFKC form of the text: fullwidth and other Unicode digits are read as digits, the capture keeps the normalised text', () => {
    expect(redactPii('Ｃａｒｄ ４１１１ １１１１ １１１１ １１１１')).toBe('Card [CARD_NUMBER]');
    expect(redactPii('call \u096F\u096E\u096D\u096C\u096B \u096A\u096B\u0968\u0967\u0966')).toBe('call [PHONE]');
    expect(redactPii('ﬁne, 10\u00A0€')).toBe('fine, 10 €');
  });

  it('behaves as docs/gateway.md says at its limits', () => {
    expect(redactPii('passwordHash=abc123')).toBe('passwordHash=[CREDENTIAL]');
    expect(redactPii('sk_test_4eC39HqLyjWDarjtT1zdp7dc ghu_16C7e42F292c6912E7710c838347Ae178B4a')).toBe('[TOKEN] [TOKEN]');
    // A number glued to hexadecimal letters reads as a hexadecimal word: only a card inside it goes.
    expect(redactPii('ab4111111111111111cd fee4111111111111111')).toBe('ab[CARD_NUMBER]cd fee[CARD_NUMBER]');
    expect(redactPii('ab4111111111111112cd ab+44207946095cd')).toBe('ab4111111111111112cd ab+44207946095cd');
  });

  describe('what an outside harness found surviving (2026-12-02)', () => {
    const CARD_SEPARATORS = ['\u2013', '\u2014', '\u2212', '\u2011', '\u2010', '\u00AD', '\u200C', '\u200D', '\u200E', '    ', '|', ' | ', '\u00B7'];
    it.each(CARD_SEPARATORS.map((separator) => [JSON.stringify(separator), separator]))('removes a card written with %s between its groups', (_name, separator) => {
      expect(redactPii(`pay with 4111${separator}1111${separator}1111${separator}1111 now`)).toBe('pay with [CARD_NUMBER] now');
    });

    it('removes a card behind a keycap and one with a 00 group, which is not an international prefix', () => {
      expect(redactPii('4\uFE0F\u20E3111 1111 1111 1111')).toBe('[CARD_NUMBER]');
      expect(redactPii('card 5500 0055 5555 5559')).toBe('card [CARD_NUMBER]');
      expect(redactPii('call 0044 20 7946 0958 now')).toBe('call [PHONE] now');
    });

    it.each([
      ['DBPASSWORD=Sup3rS3cret!', 'DBPASSWORD=[CREDENTIAL]'],
      ['APIKEY=abc123XYZ', 'APIKEY=[CREDENTIAL]'],
      ['SECRETKEY=abc123', 'SECRETKEY=[CREDENTIAL]'],
      ['accesstoken=abc123 next', 'accesstoken=[CREDENTIAL] next'],
      ['authtoken: abc123', 'authtoken: [CREDENTIAL]'],
      ['sessiontoken=abc123', 'sessiontoken=[CREDENTIAL]'],
      ['privatekey=abc123', 'privatekey=[CREDENTIAL]'],
      ['passwords=abc123', 'passwords=[CREDENTIAL]'],
      ['password          = abc123', 'password          = [CREDENTIAL]'],
      ['password = correct horse battery staple\nnext line', 'password = [CREDENTIAL]\nnext line'],
      ['passphrase: correct horse battery staple', 'passphrase: [CREDENTIAL]'],
    ])('removes the value of the glued or spaced credential in %j', (text, redacted) => {
      expect(redactPii(text)).toBe(redacted);
    });

    it.each([
      'xapp-1-A0123456789-1234567890123-abcdef0123456789',
      'https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX',
      'whsec_abcdefghijklmnop', 'sk_org_live_abcdefghijklmn', 'hf_abcdefghijklmnopqrstuvwxyz0123456789', 'glpat-abcdefghij0123456789',
    ])('removes the token %s, also behind an underscore', (token) => {
      expect(redactPii(`see ${token} ok`)).toBe('see [TOKEN] ok');
      expect(redactPii(`x_${token}`)).toBe('x_[TOKEN]');
    });

    it('removes a token split by a zero-width space, an IPv4-mapped IPv6 address whole, and an IBAN grouped with dots', () => {
      expect(redactPii('sk-\u200Babcdefghijklmnopqrstuvwx')).toBe('[TOKEN]');
      expect(redactPii('ip ::ffff:192.168.1.20 and ::1.')).toBe('ip [IP_ADDRESS] and [IP_ADDRESS].');
      expect(redactPii('DE89.3704.0044.0532.0130.00')).toBe('[IBAN]');
    });

    it('keeps names that only look like a secret\'s, and text in scripts with combining marks', () => {
      for (const text of ['author: Jane', 'the keyboard: a US layout', 'tokens: 12', 'Hindi: क्षत्रिय', 'café: open']) expect(redactPii(text)).toBe(text);
    });
  });

  it.each(NEAR_MISSES)('leaves %s readable', (text) => {
    expect(redactPii(text)).toBe(text);
  });

  it('finds every Luhn-valid card number of 13-19 digits, whatever the separator', () => {
    fc.assert(fc.property(
      fc.stringMatching(/^[3-6]\d{11,17}$/),
      fc.constantFrom(' ', '-', '.', '\u00A0', '\u202F', ''),
      fc.constantFrom('pay with ', 'card:', 'Karte Nr. ', 'x'),
      (body, separator, before) => {
        const card = withLuhn(body);
        const written = card.replace(/(\d{4})(?=\d)/g, `$1${separator}`);
        expect(redactPii(`${before}${written} thanks`)).not.toContain(card.slice(-8));
      },
    ), { numRuns: 300 });
  });

  it('keeps every order number that fails Luhn', () => {
    fc.assert(fc.property(fc.stringMatching(/^[1-9]\d{12,18}$/), (digits) => {
      const number = luhnValid(digits) ? digits.slice(0, -1) + String((Number(digits.at(-1)) + 1) % 10) : digits;
      fc.pre(!luhnValid(number));
      expect(redactPii(`order ${number} shipped`)).toBe(`order ${number} shipped`);
    }), { numRuns: 300 });
  });

  it('finds every valid IBAN and Aadhaar number it is given', () => {
    fc.assert(fc.property(fc.constantFrom('DE', 'FR', 'IT', 'ES', 'NL', 'IE', 'GB'), fc.stringMatching(/^\d{30}$/), (country, digits) => {
      const lengths: Record<string, number> = { DE: 22, FR: 27, IT: 27, ES: 24, NL: 18, IE: 22, GB: 22 };
      const value = iban(country, digits.slice(0, lengths[country] - 4));
      expect(redactPii(`IBAN ${value} bitte`)).toBe('IBAN [IBAN] bitte');
    }), { numRuns: 200 });
    fc.assert(fc.property(fc.stringMatching(/^[2-9]\d{10}$/), (body) => {
      const value = withVerhoeff(body);
      expect(redactPii(`aadhaar ${value.slice(0, 4)} ${value.slice(4, 8)} ${value.slice(8)}`)).not.toContain(value.slice(8));
    }), { numRuns: 200 });
  });

  it('removes what the guardrail found before the backstop runs', () => {
    expect(redactWithFindings('Ask Jane Roe at Globex', [{ match: 'Jane Roe', type: 'NAME' }])).toBe('Ask [NAME] at Globex');
  });
});

describe('content capture', () => {
  const planted = [...Object.values(CORPUS).flat(), ...SECRETS.map(([, text]) => text)];
  const secrets = [...Object.values(CORPUS).flat(), ...SECRETS.map(([, , secret]) => secret)];

  it('lets 0 planted values of the corpus survive redacted capture, in the prompt or the answer', async () => {
    const t = testDeps({ config: testConfig({ contentCapture: 'redacted' }) });
    for (const value of planted) {
      t.bedrock.converse.mockResolvedValueOnce(converseOutput(`You wrote ${value}.`));
      await handleGatewayRequest(request({ messages: [{ role: 'user', content: `my data: ${value} please` }] }), t.deps);
    }
    const stored = JSON.stringify(t.audit.events);
    expect(secrets.filter((value) => stored.includes(value.replace(/^["(]/, '')))).toEqual([]);
    expect(t.audit.events).toHaveLength(planted.length);
  });

  it('captures nothing, and redacts nothing, for a request refused before its reservation', async () => {
    const planted = 'card 4111 1111 1111 1111';
    const t = testDeps({ config: testConfig({ contentCapture: 'redacted' }) });
    t.table.put(TENANT, 1_000_000, new Date().toISOString().slice(0, 7), 0);
    const noBudget = await handleGatewayRequest(request({ messages: [{ role: 'user', content: planted }] }), t.deps);
    const noRetrieval = await handleGatewayRequest(request({ messages: [{ role: 'user', content: planted }], retrieval: { topK: 3 } }), t.deps);
    expect([noBudget.statusCode, noRetrieval.statusCode]).toEqual([429, 404]);
    expect(t.audit.events.map((event) => [event.status, event.content])).toEqual([[429, undefined], [404, undefined]]);
    expect(t.providerCalls()).toBe(0);
  });

  it('stores hashes that cannot be confirmed without the key: neither plain SHA-256 nor another key matches a candidate', () => {
    const key = new Uint8Array(32).fill(42);
    const hashes = planted.map((value) => captureContent('hashed', value, undefined, { hashKey: key })!.prompt);
    const guess = (text: string) => [
      `sha256:${createHash('sha256').update(text).digest('hex')}`,
      `hmac-sha256:${createHash('sha256').update(text).digest('hex')}`,
      `hmac-sha256:${createHmac('sha256', new Uint8Array(32)).update(text).digest('hex')}`,
    ];
    expect(planted.filter((value) => guess(value).some((g) => hashes.includes(g)))).toEqual([]);
    // With the key, the same value hashes to the same record: auditors can verify what was sent.
    expect(planted.every((value, i) => keyedHash(key, value) === hashes[i])).toBe(true);
  });

  it('omits hashed content, and says why, when the hash key cannot be read', async () => {
    const t = testDeps({ config: testConfig({ contentCapture: 'hashed', contentHashKeyArn: 'arn:aws:kms:eu-central-1:111122223333:key/h' }) });
    t.bedrock.converse.mockResolvedValue(converseOutput('ok'));
    await handleGatewayRequest(request({ messages: [{ role: 'user', content: 'hi' }] }), { ...t.deps, contentHashKey: { get: async () => { throw new Error('KMS throttled'); } } });
    expect(t.audit.events[0]).toMatchObject({ outcome: 'success', contentOmitted: 'hash_key_unavailable' });
    expect(t.audit.events[0].content).toBeUndefined();
    expect(t.metrics.count('ContentCaptureFailures')).toBe(1);
  });
});
