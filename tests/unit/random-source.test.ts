// src/runtime/random-source.ts: the real runtime's random bytes, read from /dev/urandom a block
// at a time, each byte handed out once.
import { describe, expect, it } from 'vitest';
import { createRandomIds } from '../../src/runtime/random-ids.js';
import { randomBytes, randomHex, randomUuid } from '../../src/runtime/random-source.js';

describe('random source', () => {
  it('hands out the bytes asked for, also across blocks, never the same run twice', () => {
    const sizes = [1, 4, 16, 32, 511, 512, 513, 1500];
    const got = sizes.map((n) => randomBytes(n));
    expect(got.map((b) => b.byteLength)).toEqual(sizes);
    // 1500 random bytes are not one byte repeated, nor zeros (a block handed out is zeroed).
    const big = got.at(-1)!;
    expect(new Set(big).size).toBeGreaterThan(200);
    const hex = Array.from({ length: 2000 }, () => randomHex(8));
    expect(new Set(hex).size).toBe(hex.length);
    expect(hex.every((h) => /^[0-9a-f]{16}$/.test(h))).toBe(true);
  });

  it('makes version 4 UUIDs', () => {
    const uuids = Array.from({ length: 200 }, randomUuid);
    for (const uuid of uuids) expect(uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(uuids).size).toBe(uuids.length);
  });

  it("gives the real runtime's ids their shapes (src/runtime/types.ts)", () => {
    const ids = createRandomIds();
    expect(ids.runSuffix()).toMatch(/^[0-9a-f]{8}$/);
    expect(ids.handleId()).toMatch(/^h-[0-9a-f]{12}$/);
    expect(ids.resumeToken()).toMatch(/^[0-9a-f]{64}$/);
    expect(ids.ownerToken()).toMatch(/^[0-9a-f]{32}$/);
    expect(ids.ownerToken()).not.toBe(ids.ownerToken());
    expect(ids.correlationId()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
