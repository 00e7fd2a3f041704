// describeDifference on NDJSON files (timeline.ndjson, requests.ndjson): lines are aligned by a
// line diff, so one write more or less is one `added`/`removed` line, not a shift of every line
// after it, and a changed line is shown by JSON path.
import { describe, expect, it } from 'vitest';
import { describeDifference } from '../../src/harness/golden/compare.js';

type Line = Record<string, unknown>;

const ndjson = (lines: unknown[]) => Buffer.from(lines.map((line) => `${JSON.stringify(line)}\n`).join(''), 'utf8');
const write = (t: number, run = 'in_progress', commands = ['a:running', 'b:pending']): Line => ({
  t,
  kind: 'write',
  path: '.runs/0101/cli/r/manifest.json',
  bytes: 900 + t,
  fsync: true,
  state: { run, commands },
});
const append = (t: number, count: number): Line => ({
  t,
  t_last: t + 9,
  kind: 'append',
  path: '.runs/0101/cli/r/runner.ndjson',
  count,
  bytes: count * 10,
});

const BASE: Line[] = [write(1, 'queued'), write(2), append(3, 4), write(4), write(5, 'succeeded', ['a:succeeded', 'b:succeeded'])];
const diff = (expected: unknown[], actual: unknown[]) => describeDifference('timeline.ndjson', ndjson(expected), ndjson(actual));

describe('describeDifference on NDJSON', () => {
  it('reports one inserted line in the middle as one `added` line, not a shift of the lines after it', () => {
    const inserted = append(2, 1);
    const actual = [BASE[0], BASE[1], inserted, BASE[2], BASE[3], BASE[4]];
    expect(diff(BASE, actual)).toEqual([`line 3: added ${JSON.stringify(inserted)}`]);
  });

  it('reports one removed line as one `removed` line, numbered in the expected file', () => {
    const actual = [BASE[0], BASE[1], BASE[3], BASE[4]];
    expect(diff(BASE, actual)).toEqual([`line 3: removed ${JSON.stringify(BASE[2])}`]);
  });

  it('reports a changed value by line and JSON path', () => {
    const actual = [BASE[0], BASE[1], append(3, 5), BASE[3], BASE[4]];
    expect(diff(BASE, actual)).toEqual(['line 3 $.count: 4 -> 5', 'line 3 $.bytes: 40 -> 50']);
    const states = [BASE[0], write(2, 'failed', ['a:failed', 'b:pending']), BASE[2], BASE[3], BASE[4]];
    expect(diff(BASE, states)).toEqual(['line 2 $.state.run: "in_progress" -> "failed"', 'line 2 $.state.commands[0]: "a:running" -> "a:failed"']);
  });

  it('reports a key that appears or disappears on a changed line', () => {
    const { fsync: _dropped, ...withoutFsync } = BASE[1]!;
    const actual = [BASE[0], { ...withoutFsync, was: { run: 'failed' } }, BASE[2], BASE[3], BASE[4]];
    expect(diff(BASE, actual)).toEqual(['line 2 $.fsync: removed (was true)', 'line 2 $.was: added {"run":"failed"}']);
  });

  it('reports a changed line that also moved as `line a->b`', () => {
    const first = append(0, 1);
    const down = [first, BASE[0], BASE[1], append(3, 6), BASE[3], BASE[4]];
    expect(diff(BASE, down)).toEqual([`line 1: added ${JSON.stringify(first)}`, 'line 3->4 $.count: 4 -> 6', 'line 3->4 $.bytes: 40 -> 60']);
    const up = [BASE[1], { ...BASE[2], path: '.runs/0101/cli/r/build.log' }, BASE[3], BASE[4]];
    expect(diff(BASE, up)).toEqual([
      `line 1: removed ${JSON.stringify(BASE[0])}`,
      'line 3->2 $.path: ".runs/0101/cli/r/runner.ndjson" -> ".runs/0101/cli/r/build.log"',
    ]);
  });

  it('pairs changed lines in order and reports the rest of a shorter replacement as removed', () => {
    const actual = [BASE[0], write(2, 'failed'), BASE[4]];
    expect(diff(BASE, actual)).toEqual([
      'line 2 $.state.run: "in_progress" -> "failed"',
      `line 3: removed ${JSON.stringify(BASE[2])}`,
      `line 4: removed ${JSON.stringify(BASE[3])}`,
    ]);
  });

  it('shortens a long added line to 160 characters', () => {
    const long = { t: 9, kind: 'cli:start', argv: ['x'.repeat(300)] };
    const [line] = diff(BASE, [...BASE, long]);
    expect(line).toBe(`line 6: added ${JSON.stringify(long).slice(0, 160)}`);
    expect(line!.length).toBe('line 6: added '.length + 160);
  });

  it('caps the details at 40 lines', () => {
    const many = Array.from({ length: 45 }, (_, i) => ({ t: i }));
    const details = diff([], many);
    expect(details).toHaveLength(41);
    expect(details[0]).toBe('line 1: added {"t":0}');
    expect(details[39]).toBe('line 40: added {"t":39}');
    expect(details[40]).toBe('... and 5 more');
  });

  it('falls back to a unified diff when a line is not JSON', () => {
    const expected = Buffer.from('{"t":1}\n{"t":2}\n');
    const actual = Buffer.from('{"t":1}\nnot json\n');
    expect(describeDifference('timeline.ndjson', expected, actual)).toEqual([
      '--- expected/timeline.ndjson',
      '+++ actual/timeline.ndjson',
      '@@ -1,2 +1,2 @@',
      ' {"t":1}',
      '-{"t":2}',
      '+not json',
    ]);
  });
});

describe('describeDifference on a whole JSON value', () => {
  it('names the root as $ (not $.), for JSON and for an NDJSON line', () => {
    expect(describeDifference('a.json', Buffer.from('1'), Buffer.from('2'))).toEqual(['$: 1 -> 2']);
    expect(describeDifference('a.ndjson', Buffer.from('1\n2\n'), Buffer.from('1\n3\n'))).toEqual(['line 2 $: 2 -> 3']);
  });
});
