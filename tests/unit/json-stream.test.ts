// src/persist/json-stream.ts: the pieces of JSON.stringify(value, null, 2), byte for byte.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { prettyJsonPieces } from '../../src/persist/json-stream.js';

const text = (value: unknown) => [...prettyJsonPieces(value)].join('');

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

  it('comes in pieces of about 64 KiB, never the whole text at once', () => {
    const events = Array.from({ length: 5_000 }, (_, i) => ({ type: 'exec:chunk', sequence: i + 1, data: 'y'.repeat(100) }));
    const pieces = [...prettyJsonPieces({ events })];
    expect(pieces.join('')).toBe(`${JSON.stringify({ events }, null, 2)}\n`);
    expect(pieces.length).toBeGreaterThan(5);
    expect(Math.max(...pieces.map((p) => p.length))).toBeLessThan(64 * 1024 + 200);
    // Joined up to 64 KiB: every piece but the last is at least that long.
    expect(pieces.slice(0, -1).every((p) => p.length >= 64 * 1024)).toBe(true);
    // A value JSON.stringify skips entirely gives a line feed only; toJSON gets '' as its key.
    expect([...prettyJsonPieces(undefined)]).toEqual(['\n']);
    expect(text({ toJSON: (key: string) => `key=[${key}]` })).toBe('"key=[]"\n');
    expect(text({ a: Symbol('s'), b: [Symbol('t')] })).toBe(`${JSON.stringify({ a: Symbol('s'), b: [Symbol('t')] }, null, 2)}\n`);
  });
});
