import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeChunk, encodeChunk, eventLine, toToolRunEvent } from '../../src/events/events.js';
import { OutputTail, TAIL_CAPACITY_BYTES, tailText } from '../../src/events/output-tail.js';

describe('exec event lines', () => {
  it('puts timestamp and index last, compact, one line', () => {
    const line = eventLine({ type: 'exec:begin', correlation_id: 'c', attempt: 1, command: 'ls', cwd: '.' }, '2026-01-01T00:00:00.000Z', 3);
    expect(line.toString('utf8')).toBe(
      '{"type":"exec:begin","correlation_id":"c","attempt":1,"command":"ls","cwd":".","timestamp":"2026-01-01T00:00:00.000Z","index":3}\n',
    );
  });

  const chunkEvent = (bytes: Uint8Array) =>
    ({ type: 'exec:chunk', correlation_id: 'c-1', attempt: 1, stream: 'stderr', sequence: 7, bytes: bytes.length }) as const;
  const stringified = (bytes: Uint8Array, index: number | null) =>
    Buffer.from(`${JSON.stringify({ ...chunkEvent(bytes), ...encodeChunk(bytes), timestamp: 'T', index })}\n`, 'utf8');

  it("writes a chunk's line from its bytes, byte for byte JSON.stringify's (property)", () => {
    // Text with every escape JSON has (quotes, backslashes, control characters), runs longer
    // and shorter than the byte-by-byte copy, multi-byte characters, and invalid UTF-8 (base64).
    const piece = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 40 }),
      fc.constantFrom('"', '\\', '\n', '\r\n', '\t', '\b', '\f', '\u0000', '\u001b', '\u007f', '\u2028', 'é', '😀'),
      fc.string({ unit: fc.constantFrom('a', ' ', '-'), minLength: 30, maxLength: 80 }),
    );
    const text = fc.array(piece, { maxLength: 12 }).map((pieces) => Buffer.from(pieces.join(''), 'utf8'));
    fc.assert(
      fc.property(fc.oneof(text, fc.uint8Array({ maxLength: 200 })), fc.option(fc.nat(99), { nil: null }), (bytes, index) => {
        expect(eventLine(chunkEvent(bytes), 'T', index, bytes)).toEqual(stringified(bytes, index));
      }),
      { numRuns: 500 },
    );
    // Any alignment of the chunk in its buffer, any length around a word, any escape in any byte of one.
    const specials = ['"', '\\', '\n', '\u0001', '\u001f', ' ', '!', '#', '[', ']', 'é'];
    for (let offset = 0; offset < 4; offset += 1) {
      for (let length = 0; length <= 13; length += 1) {
        for (const special of specials) {
          for (let at = 0; at < length; at += 1) {
            const text = `${'a'.repeat(at)}${special}${'b'.repeat(Math.max(0, length - at - 1))}`;
            const whole = Buffer.concat([Buffer.alloc(offset, 0x61), Buffer.from(text)]);
            const bytes = whole.subarray(offset);
            expect(eventLine(chunkEvent(bytes), 'T', 0, bytes)).toEqual(stringified(bytes, 0));
          }
        }
      }
    }
    // A view into a larger buffer writes only its own bytes.
    const whole = Buffer.from('xx"a\nb"yy');
    const view = whole.subarray(2, 8);
    expect(eventLine(chunkEvent(view), 'T', 1, view)).toEqual(stringified(Buffer.from(view), 1));
    expect(() => eventLine(chunkEvent(view) as never, 'T', 1)).toThrow(/exec:chunk 7: the event line needs the chunk's bytes/);
  });

  it('keeps chunks exact: text when valid UTF-8, else base64 (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
        const payload = encodeChunk(bytes);
        expect(decodeChunk(payload)).toEqual(Buffer.from(bytes));
      }),
    );
    expect(encodeChunk(Buffer.from('héllo'))).toEqual({ data: 'héllo' });
    const split = Buffer.from('é');
    expect(encodeChunk(split.subarray(0, 1))).toEqual({ data: 'ww==', encoding: 'base64' });
  });

  it('camel-cases events for tool run records: type, correlationId, timestamp first', () => {
    const event = toToolRunEvent(
      { type: 'exec:end', correlation_id: 'c', attempt: 1, exit_code: 0, signal: null, duration_ms: 5, status: 'succeeded' },
      'T',
    );
    expect(Object.keys(event)).toEqual(['type', 'correlationId', 'timestamp', 'attempt', 'exitCode', 'signal', 'durationMs', 'status']);
    const bytes = Buffer.from([0xc3]);
    expect(toToolRunEvent(chunkEvent(bytes), 'T', bytes)).toEqual({
      type: 'exec:chunk',
      correlationId: 'c-1',
      timestamp: 'T',
      attempt: 1,
      stream: 'stderr',
      sequence: 7,
      bytes: 1,
      data: 'ww==',
      encoding: 'base64',
    });
    expect(() => toToolRunEvent(chunkEvent(bytes) as never, 'T')).toThrow(/the tool run event needs the chunk's bytes/);
  });
});

describe('output tails', () => {
  it('never hold more than 64 KiB, whatever is pushed', () => {
    const tail = new OutputTail();
    for (let i = 0; i < 1000; i += 1) tail.push(Buffer.alloc(1000, 65 + (i % 26)));
    expect(tail.byteLength).toBe(TAIL_CAPACITY_BYTES);
    expect(tail.truncated).toBe(true);
    tail.push(Buffer.from('\nlast line\n'));
    expect(tail.lastLine()).toBe('last line');
    expect(tail.byteLength).toBe(TAIL_CAPACITY_BYTES);
  });

  /** What `text()` must give back: the last `capacity` bytes, minus the continuation bytes (at most 3) a cut left at the front. */
  const expectedTail = (all: Buffer, capacity: number): Buffer => {
    const kept = all.subarray(Math.max(0, all.length - capacity));
    let start = 0;
    if (all.length > capacity) while (start < 3 && start < kept.length && (kept[start]! & 0xc0) === 0x80) start += 1;
    return kept.subarray(start);
  };

  it('keeps the last bytes in order (property)', () => {
    // Valid UTF-8 cut into chunks anywhere (also inside a character): decoding the tail is
    // lossless, so its bytes must be exactly the end of the input.
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 300 }),
        fc.array(fc.nat({ max: 1200 }), { maxLength: 40 }),
        fc.integer({ min: 1, max: 120 }),
        (input, cuts, capacity) => {
          const all = Buffer.from(input, 'utf8');
          const points = [...new Set(cuts.map((c) => c % (all.length + 1)))].sort((a, b) => a - b);
          const chunks = [0, ...points].map((from, i, starts) => all.subarray(from, starts[i + 1] ?? all.length));
          const tail = new OutputTail(capacity);
          for (const c of chunks) tail.push(c);
          expect(tail.byteLength).toBe(Math.min(all.length, capacity));
          expect(tail.truncated).toBe(all.length > capacity);
          const want = expectedTail(all, capacity);
          expect(Buffer.from(tail.text(), 'utf8')).toEqual(want);
          expect(tail.text()).toBe(want.toString('utf8'));
          if (all.length <= capacity) expect(tail.text()).toBe(input);
        },
      ),
    );
  });

  it('keeps the last bytes in order, whatever the bytes (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 50 }), { maxLength: 40 }), fc.integer({ min: 1, max: 120 }), (chunks, capacity) => {
        const tail = new OutputTail(capacity);
        for (const c of chunks) tail.push(c);
        const all = Buffer.concat(chunks.map((c) => Buffer.from(c)));
        expect(tail.byteLength).toBe(Math.min(all.length, capacity));
        expect(tail.truncated).toBe(all.length > capacity);
        expect(tail.text()).toBe(expectedTail(all, capacity).toString('utf8'));
      }),
    );
    // ASCII decodes byte for byte: the exact last bytes, in order, across chunk boundaries.
    const ascii = new OutputTail(5);
    for (const part of ['ab', 'cde', '', 'fg', 'h']) ascii.push(Buffer.from(part));
    expect(ascii.text()).toBe('defgh');
    // A cut at a character boundary keeps the whole character…
    const whole = new OutputTail(4);
    whole.push(Buffer.from('a€b')); // 61 e2 82 ac 62: keeps e2 82 ac 62
    expect(whole.byteLength).toBe(4);
    expect(whole.text()).toBe('€b');
    // …a cut inside one drops its continuation bytes instead of decoding them as U+FFFD.
    const inside = new OutputTail(3);
    inside.push(Buffer.from('a€b')); // keeps 82 ac 62
    expect(inside.byteLength).toBe(3);
    expect(inside.truncated).toBe(true);
    expect(inside.text()).toBe('b');
    // No character has more than 3 continuation bytes: a 4th is not skipped (it decodes as U+FFFD).
    const invalid = new OutputTail(5);
    invalid.push(Uint8Array.from([0x41, 0x80, 0x80, 0x80, 0x80, 0x42]));
    expect(invalid.text()).toBe('\uFFFDB');
  });

  it('cuts text to a byte budget with a leading ellipsis', () => {
    expect(tailText('abc', 10)).toEqual({ text: 'abc', truncated: false });
    const cut = tailText('x'.repeat(20_000), 8 * 1024);
    expect(cut.truncated).toBe(true);
    expect(cut.text.startsWith('…')).toBe(true);
    expect(Buffer.byteLength(cut.text.slice(1))).toBe(8 * 1024);
  });
});

describe('summary lines', () => {
  it('drop terminal colours and cut long lines at the front', () => {
    const tail = new OutputTail();
    tail.push(Buffer.from('\u001b[2m   Duration \u001b[22m 47.15s\u001b[2m (transform 1.22s)\u001b[22m\n'));
    expect(tail.lastLine()).toBe('Duration  47.15s (transform 1.22s)');
    const long = new OutputTail();
    long.push(Buffer.from(`${'x'.repeat(300)}end\n\n`));
    expect(long.lastLine()).toBe(`…${'x'.repeat(197)}end`);
    expect(new OutputTail().lastLine()).toBeNull();
  });
});

// Issue 18: a stage's summary is its last meaningful line; a failing stage that prints its
// error on stdout (vitest, the spec guard) is summarised by that error, not by a separator.
const meaningful = it;

describe('summary lines skip separators', () => {
  meaningful('a separator line (box drawing, dashes, a [7/7] counter) is not a summary', () => {
    const tail = new OutputTail();
    tail.push(Buffer.from('FAIL tests/a.test.ts > adds\nAssertionError: expected 2 to be 3\n\u001b[31m⎯⎯⎯⎯⎯⎯⎯[7/7]⎯\u001b[39m\n\n-----\n====\n'));
    expect(tail.lastLine()).toBe('AssertionError: expected 2 to be 3');
  });

  meaningful('a failed stage with nothing meaningful on stderr is summarised by its stdout', async () => {
    const { commandSummary } = await import('../../src/run/command-stage.js');
    const stdout = new OutputTail();
    stdout.push(Buffer.from('spec-guard: tasks/specs/0009.md: status: Invalid option\n⎯⎯⎯[1/1]⎯\n'));
    const stderr = new OutputTail();
    stderr.push(Buffer.from('\n---\n'));
    expect(commandSummary({}, { exitCode: 1, signal: null }, stdout, stderr)).toBe(
      'Exited with code 1 — spec-guard: tasks/specs/0009.md: status: Invalid option',
    );
  });
});
