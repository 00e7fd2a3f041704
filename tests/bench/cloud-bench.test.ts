// bench:cloud's own parts that can be checked without timing anything: its usage, and the CPU
// figure it gives each scaling phase (the children's CPU the kernel counts once they are reaped).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { reapedChildrenCpuSeconds } from '../../bench/cloud.js';

const root = path.resolve(import.meta.dirname, '../..');

describe('bench:cloud', () => {
  it('counts the CPU of a child once it has been reaped', () => {
    const before = reapedChildrenCpuSeconds();
    expect(before).not.toBeNull();
    // A fixed amount of work (not a time): its CPU is what the kernel charged the child.
    const child = spawnSync(process.execPath, ['-e', 'let x = 0; for (let i = 0; i < 3e8; i++) x = (x + i) % 7; console.log(x)'], {
      encoding: 'utf8',
    });
    expect(child.status).toBe(0);
    const after = reapedChildrenCpuSeconds()!;
    expect(after - before!).toBeGreaterThan(0.05);
  });

  it('--help says what it measures and runs nothing; an unknown flag is one line and exit 2', () => {
    const bin = path.join(root, 'dist/bench/cloud.js');
    const help = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: bench:cloud/);
    expect(help.stdout).toMatch(/1, 2 and 4\s+workers/);
    expect(help.stderr).toBe('');
    const bad = spawnSync(process.execPath, [bin, '--bogus'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual(["error: unknown option '--bogus'"]);
  });
});
