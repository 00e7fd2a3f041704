import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { commandFileStem, makeRunId, slugify, validateId } from '../../src/layout/run-layout.js';
import { createSeededIds } from '../../src/runtime/seeded-ids.js';

describe('task and run ids', () => {
  it.each([
    ['', 'it is empty'],
    ['../x', 'it contains a path separator'],
    ['a/b', 'it contains a path separator'],
    ['a\\b', 'it contains a path separator'],
    ['.hidden', "it starts with '.'"],
    ['a\u0001b', 'it contains a control character'],
    ['tab\there', 'it contains a control character'],
    ['a:b', "it contains ':'"],
    ['a*b', "it contains '*'"],
    ['a"b', `it contains '"'`],
    ['a<b', "it contains '<'"],
    ['a|b', "it contains '|'"],
    ['a?b', "it contains '?'"],
  ])('refuses %j (%s) with a message naming the value', (value, why) => {
    expect(() => validateId('task id', value)).toThrow(InputError);
    expect(() => validateId('task id', value)).toThrow(`invalid task id ${JSON.stringify(value)}: ${why}`);
  });

  it('accepts ordinary ids unchanged', () => {
    for (const id of ['0101', 'task-12_a', '2025-12-26T08-11-25-461Z-6ba85057', 'ünïcode']) {
      expect(validateId('run id', id)).toBe(id);
    }
  });

  it('never rewrites: an id is either returned as given or refused (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (value) => {
        try {
          expect(validateId('task id', value)).toBe(value);
        } catch (error) {
          expect(error).toBeInstanceOf(InputError);
        }
      }),
    );
  });
});

describe('run ids and file names', () => {
  it('makes run ids from the start time and 8 hex chars', () => {
    const id = makeRunId(Date.parse('2025-12-26T08:11:25.461Z'), createSeededIds(1));
    expect(id).toMatch(/^2025-12-26T08-11-25-461Z-[0-9a-f]{8}$/);
  });

  it('seeded ids: owner tokens take no other id, and two processes of one seed hold tokens of their own', () => {
    const plain = createSeededIds(7);
    const taking = createSeededIds(7);
    const first = [plain.runSuffix(), plain.resumeToken(), plain.correlationId()];
    expect(taking.ownerToken()).toMatch(/^[0-9a-f]{32}$/);
    expect([taking.runSuffix(), taking.resumeToken(), taking.correlationId()]).toEqual(first);
    const [a, b] = [createSeededIds(7, 100), createSeededIds(7, 101)];
    expect(a.ownerToken()).not.toBe(b.ownerToken());
    expect(a.ownerToken()).not.toBe(a.ownerToken());
  });

  it('slugs stage ids: runs of other chars become -, trimmed, at most 80 chars', () => {
    expect(slugify('Build & Test!')).toBe('Build-Test');
    expect(slugify('--a__b--')).toBe('a-b');
    expect(slugify('x'.repeat(100))).toHaveLength(80);
    expect(slugify('!!!')).toBe('stage');
    expect(commandFileStem(3, 'spec guard')).toBe('03-spec-guard');
    expect(commandFileStem(12, 'a')).toBe('12-a');
  });
});
