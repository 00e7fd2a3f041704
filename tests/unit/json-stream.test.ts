// src/persist/json-stream.ts: the pieces of JSON.stringify(value, null, 2), byte for byte.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { prettyJsonPieces } from '../../src/persist/json-stream.js';
import { Utf8JsonString } from '../../src/runtime/chunk-payload.js';

const text = (value: unknown) => Buffer.concat([...prettyJsonPieces(value)]).toString('utf8');

describe('prettyJsonPieces', () => {
  it('is JSON.stringify(value, null, 2) and a line feed, for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(text(value)).toBe(`${JSON.stringify(value, null, 2)}\n`);
      }),
      { numRuns: 500 },
    );
  });

  it('does what JSON.stringify does with toJSON, undefined, functions and empty containers', () => {
    const value = {
      lazy: { toJSON: (key: string) => ({ key, n: 1 }) },
      gone: undefined,
      fn: () => 1,
      list: [undefined, () => 2, { toJSON: () => 'x' }, [], {}],
      date: new Date(0),
      nested: { deeper: { empty: [] as unknown[], obj: {} } },
    };
    expect(text(value)).toBe(`${JSON.stringify(value, null, 2)}\n`);
  });

  it('comes in pieces of about 1 MiB, never the whole text at once', () => {
    const events = Array.from({ length: 50_000 }, (_, i) => ({ type: 'exec:chunk', sequence: i + 1, data: 'y'.repeat(100) }));
    const pieces = [...prettyJsonPieces({ events })];
    expect(Buffer.concat(pieces).toString('utf8')).toBe(`${JSON.stringify({ events }, null, 2)}\n`);
    expect(pieces.length).toBeGreaterThan(5);
    // Filled up to 1 MiB: a piece goes out when the next part (here at most 112 bytes) does not fit.
    expect(pieces.every((p) => p.length <= 1024 * 1024)).toBe(true);
    expect(pieces.slice(0, -1).every((p) => p.length > 1024 * 1024 - 112)).toBe(true);
    // One part longer than a piece gets a piece of its own size.
    const long = [...prettyJsonPieces(['x'.repeat(2_000_000)])];
    expect(long.map((p) => p.length)).toEqual([4, 2_000_002, 3]);
    // A value JSON.stringify skips entirely gives a line feed only; toJSON gets '' as its key.
    expect([...prettyJsonPieces(undefined)].map(String)).toEqual(['\n']);
    expect(text({ toJSON: (key: string) => `key=[${key}]` })).toBe('"key=[]"\n');
    expect(text({ a: Symbol('s'), b: [Symbol('t')] })).toBe(`${JSON.stringify({ a: Symbol('s'), b: [Symbol('t')] }, null, 2)}\n`);
  });

  it("writes a Utf8JsonString's text straight from its bytes, as JSON.stringify writes the text", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme', maxLength: 300 }), { maxLength: 5 }), (texts) => {
        const held = { texts: texts.map((t) => new Utf8JsonString(Buffer.from(t, 'utf8'))), n: texts.length };
        const want = `${JSON.stringify({ texts, n: texts.length }, null, 2)}\n`;
        expect(text(held)).toBe(want);
        // JSON.stringify itself sees the text, through toJSON.
        expect(`${JSON.stringify(held, null, 2)}\n`).toBe(want);
      }),
      { numRuns: 300 },
    );
    expect(() => new Utf8JsonString(Buffer.from([0xc3]))).toThrow(/not valid UTF-8/);
    // A text over 64 KiB with escapes goes out whole, in a piece of its own.
    const big = `${'a"b\\c\n'.repeat(20_000)}`;
    expect(text([new Utf8JsonString(Buffer.from(big))])).toBe(`${JSON.stringify([big], null, 2)}\n`);
  });
});
