// The stream guard (docs/contracts.md §9) against the rules stated on a whole text: whatever
// the chunk boundaries, what the guard releases of a stream is what the rules give for the
// stream's whole text.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REDACTED, StreamGuard, guardText } from '../../src/privacy/guard.js';

const b = (s: string) => Buffer.from(s, 'latin1');

// The rules, as docs/contracts.md §9 states them, on a whole text (latin1: a byte a character).
const BEGIN = /-----BEGIN (?=[A-Z0-9 ]{0,64}PRIVATE KEY-----)(?:[A-Z0-9]+ )*PRIVATE KEY-----/g;
const END = /-----END (?=[A-Z0-9 ]{0,64}PRIVATE KEY-----)(?:[A-Z0-9]+ )*PRIVATE KEY-----/g;
const TOKEN = /(secret|password|api_key|api-key|apikey|token)(\s*[:=]\s*)(\S{6,})/gi;
const AWS = /AKIA[0-9A-Z]{16}/g;

function redactWhole(text: string): string {
  return text.replace(TOKEN, (_m, word: string, separator: string) => `${word}${separator}${REDACTED}`).replace(AWS, REDACTED);
}

/** A PEM block is cut out from its BEGIN line to its END line (and the line break after it); the text around it is redacted. */
export function guardWhole(text: string): string {
  let out = '';
  let pos = 0;
  for (;;) {
    BEGIN.lastIndex = pos;
    const begin = BEGIN.exec(text);
    if (!begin) return out + redactWhole(text.slice(pos));
    out += redactWhole(text.slice(pos, begin.index));
    END.lastIndex = begin.index + begin[0].length;
    const end = END.exec(text);
    if (!end) return out;
    pos = end.index + end[0].length;
    if (text.startsWith('\r\n', pos)) pos += 2;
    else if (text.startsWith('\n', pos)) pos += 1;
  }
}

function cutInto(text: string, cuts: number[]): string[] {
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((x, y) => x - y);
  const chunks: string[] = [];
  let from = 0;
  for (const point of [...points, text.length]) {
    chunks.push(text.slice(from, point));
    from = point;
  }
  return chunks;
}

/** The stream cut at `cuts`, through one guard: every chunk's release, then the end's. */
function throughGuard(text: string, cuts: number[]): { released: string; actions: string[] } {
  const bytes = Buffer.from(text, 'latin1');
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const guard = new StreamGuard('enforce');
  const pieces: Buffer[] = [];
  const actions: string[] = [];
  let from = 0;
  for (const point of [...points, bytes.length]) {
    const outcome = guard.push(bytes.subarray(from, point));
    actions.push(outcome.action);
    if (outcome.persisted) pieces.push(outcome.persisted);
    from = point;
  }
  const rest = guard.end();
  if (rest?.persisted) pieces.push(rest.persisted);
  return { released: Buffer.concat(pieces).toString('latin1'), actions };
}

const PIECES = [
  'password',
  'PASSWORD',
  'token',
  'Token',
  'secret',
  'api_key',
  'api-key',
  'APIKEY',
  'pass',
  'tok',
  'api',
  's',
  't',
  'a',
  ':',
  '=',
  ' ',
  '  ',
  '\n',
  '\r',
  '\r\n',
  '\t',
  '\u00a0',
  'abc',
  'abcdefgh',
  'x',
  'hunter2',
  '12345',
  'ZZ',
  'A',
  'AK',
  'AKI',
  'AKIA',
  'AKIAIOSFODNN7EXAMPLE',
  'IOSFODNN7EXAMPLE',
  'IOSF',
  '0123456789',
  '-',
  '-----',
  '-----BEGIN ',
  '-----BEGIN',
  'RSA ',
  'EC ',
  'PRIVATE',
  ' KEY',
  'PRIVATE KEY-----',
  '-----END ',
  'MIIEow',
];
// Whole shapes, so that blocks, line breaks after them and long labels come up often.
const SHAPES = [
  '-----BEGIN RSA PRIVATE KEY-----\n',
  '-----BEGIN PRIVATE KEY-----',
  '-----END RSA PRIVATE KEY-----',
  '-----END PRIVATE KEY-----\n',
  '-----END EC PRIVATE KEY-----\r\n',
  `-----BEGIN ${'ABCDEFG '.repeat(8)}PRIVATE KEY-----`,
  `-----BEGIN ${'ABCDEFG '.repeat(7)}ABCDEFG PRIVATE KEY-----`,
  `-----END ${'ABCDEFG '.repeat(8)}PRIVATE KEY-----`,
  `-----END ${'ABCDEFG '.repeat(7)}ABCDEFG PRIVATE KEY-----`,
  'password=hunter22',
  'token : abcdef',
  'api_key:\n\nabcdefghijkl',
  'AKIAABCDEFGHIJKLMNOP',
];
const text = fc
  .array(
    fc.oneof(
      { arbitrary: fc.constantFrom(...PIECES), weight: 6 },
      { arbitrary: fc.constantFrom(...SHAPES), weight: 2 },
      { arbitrary: fc.string({ maxLength: 4 }), weight: 1 },
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(''));
const cuts = fc.array(fc.nat(), { maxLength: 8 });

describe('the stream guard', () => {
  it('releases, whatever the chunk boundaries, what the rules give for the whole text (property)', () => {
    fc.assert(
      fc.property(text, cuts, (whole, at) => {
        expect(throughGuard(whole, at).released).toBe(guardWhole(whole));
      }),
      { numRuns: 20_000 },
    );
  });

  it('never holds back more than a PEM header could need (90 bytes), and holds nothing at a line break (property)', () => {
    fc.assert(
      fc.property(text, cuts, (whole, at) => {
        const guard = new StreamGuard('enforce');
        for (const chunk of cutInto(whole, at)) guard.push(b(chunk));
        expect(guard.end()?.persisted?.length ?? 0).toBeLessThanOrEqual(90);
      }),
      { numRuns: 5_000 },
    );
    const guard = new StreamGuard('enforce');
    expect(guard.push(b('password: abc\n')).persisted?.toString()).toBe('password: abc\n');
    expect(guard.end()).toBeNull();
  });

  it('shadow mode persists every chunk as it came, with the decisions enforce mode takes (property)', () => {
    fc.assert(
      fc.property(text, cuts, (whole, at) => {
        const shadow = new StreamGuard('shadow');
        const enforce = new StreamGuard('enforce');
        for (const chunk of cutInto(whole, at)) {
          const data = b(chunk);
          const seen = shadow.push(data);
          const done = enforce.push(data);
          expect(seen.persisted).toEqual(data);
          expect(seen.persisted?.buffer).toBe(data.buffer);
          expect(seen.reason).toBe('shadow-mode');
          expect([seen.action, seen.rule]).toEqual([done.action, done.rule]);
        }
        expect(shadow.end()).toBeNull();
      }),
      { numRuns: 5_000 },
    );
  });

  it('a chunk with nothing to judge is persisted as the same bytes, not a copy', () => {
    const guard = new StreamGuard('enforce');
    const data = Buffer.from('compiling 12 files\nall good\n');
    const outcome = guard.push(data);
    expect(outcome).toMatchObject({ action: 'allow', rule: null, reason: 'no-match' });
    expect(outcome.persisted?.buffer).toBe(data.buffer);
    expect(outcome.persisted?.byteOffset).toBe(data.byteOffset);
  });

  it.each([
    ['a key id split over two chunks', ['id AKIAIOSF', 'ODNN7EXAMPLE.\n'], 'id [REDACTED].\n', ['allow', 'redact']],
    ['a value split after 8 characters', ['token: abcdefgh', 'ijkl rest\n'], 'token: [REDACTED] rest\n', ['redact', 'redact']],
    [
      'a keyword split from its value by a chunk and a line break',
      ['api_', 'key\n', '= s3cr3tvalue\n'],
      'api_key\n= [REDACTED]\n',
      ['allow', 'allow', 'redact'],
    ],
    [
      'a PEM block over three chunks, with the text around it',
      ['before\n-----BEGIN RSA PRIV', 'ATE KEY-----\nMIIEow\n-----END RSA', ' PRIVATE KEY-----\nafter\n'],
      'before\nafter\n',
      ['allow', 'block', 'block'],
    ],
    [
      'a PEM block with no END line: the rest of the stream',
      ['a\n-----BEGIN PRIVATE KEY-----\n', 'MIIEow\n', 'more\n'],
      'a\n',
      ['block', 'block', 'block'],
    ],
  ])('%s', (_name, chunks, released, actions) => {
    const guard = new StreamGuard('enforce');
    const pieces: Buffer[] = [];
    const seen: string[] = [];
    for (const chunk of chunks) {
      const outcome = guard.push(b(chunk));
      seen.push(outcome.action);
      if (outcome.persisted) pieces.push(outcome.persisted);
    }
    const rest = guard.end();
    if (rest?.persisted) pieces.push(rest.persisted);
    expect(Buffer.concat(pieces).toString('latin1')).toBe(released);
    expect(seen).toEqual(actions);
  });

  it('guards a text as a stream of one chunk; shadow mode keeps it as is', () => {
    expect(guardText('enforce', "curl -H 'token: abcdef123456' x")).toMatchObject({ action: 'redact', text: "curl -H 'token: [REDACTED] x" });
    expect(guardText('shadow', "curl -H 'token: abcdef123456' x")).toMatchObject({
      action: 'redact',
      reason: 'shadow-mode',
      text: "curl -H 'token: abcdef123456' x",
    });
    expect(guardText('enforce', 'echo -----BEGIN EC PRIVATE KEY-----\\nMIIE')).toMatchObject({ action: 'block', text: 'echo ' });
    expect(guardText('enforce', 'npm test')).toEqual({ action: 'allow', rule: null, reason: 'no-match', text: 'npm test' });
  });
});
