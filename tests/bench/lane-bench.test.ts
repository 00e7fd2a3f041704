// bench:lane's record: a comparison goes into bench/history/lane.json only when every lane of
// it passed. A lane that failed stopped at its failing stage, so its wall time says nothing of
// the lane's speed (two of the runs behind spec 0014 failed: one lane without chromium under
// CI=true, one at its docs check; their ratios were 0.76x and 0.79x, neither a comparison).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { notRecordedBecause } from '../../bench/lane.js';

const root = path.resolve(import.meta.dirname, '../..');
const stage = (id: string, status: string) => ({ id, status, seconds: 1, summary: null });

describe('bench:lane', () => {
  it('records a comparison only when every lane passed, and says which failed where', () => {
    const green = { exit: 0, stages: [stage('build', 'succeeded'), stage('test', 'succeeded')] };
    expect(
      notRecordedBecause([
        { side: 'old', round: 1, ...green },
        { side: 'new', round: 1, ...green },
      ]),
    ).toBeNull();
    expect(
      notRecordedBecause([
        { side: 'old', round: 1, ...green },
        { side: 'new', round: 1, exit: 1, stages: [stage('build', 'succeeded'), stage('test', 'failed'), stage('golden', 'pending')] },
        { side: 'new', round: 2, exit: 143, stages: [] },
      ]),
    ).toBe('the new lane of round 1 failed (exit 1, at its test stage); the new lane of round 2 failed (exit 143)');
  });

  it('--help says when it records; a missing --old is one line, exit 2', () => {
    const bin = path.join(root, 'dist/bench/lane.js');
    const help = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout.replace(/\s+/g, ' ')).toContain('added to bench/history/lane.json when every lane passed');
    const bad = spawnSync(process.execPath, [bin], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual(["error: required option '--old <commit>' not specified"]);
  });
});
