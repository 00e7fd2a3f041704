// bench:cloud's own parts that can be checked without timing anything: its usage, and the CPU
// figure it gives each scaling phase (the children's CPU the kernel counts once they are reaped).
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { reapedChildrenCpuSeconds } from '../../bench/cloud.js';
import { HAVE_REDIS } from '../helpers/redis-server.js';
import { useTempDirs } from '../helpers/temp-dirs.js';

const root = path.resolve(import.meta.dirname, '../..');
const tempDir = useTempDirs('cloud-bench-');

/** Live processes whose command line mentions `text`. */
function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) pids.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

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

  it.skipIf(!HAVE_REDIS)(
    'a SIGTERM sent to it alone stops its redis-server and workers, removes its directory, exit 143, nothing recorded',
    async () => {
      const tmp = tempDir();
      const history = path.join(root, 'bench/history/cloud.json');
      const before = readFileSync(history, 'utf8');
      const bench = spawn(process.execPath, [path.join(root, 'dist/bench/cloud.js')], {
        env: { ...process.env, TMPDIR: tmp },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      // Its first progress line comes once redis-server and a worker are up.
      await new Promise<void>((resolve, reject) => {
        bench.stderr.on('data', (d: Buffer) => {
          stderr += d.toString('utf8');
          if (stderr.includes('dispatch overhead')) resolve();
        });
        bench.once('exit', (code) => reject(new Error(`bench:cloud exited ${code} before it started: ${stderr}`)));
      });
      const [base] = readdirSync(tmp);
      expect(base).toMatch(/^codex-bench-cloud-/);
      // Whatever this test finds left over is stopped after it, so a failure leaves nothing running.
      onTestFinished(() => {
        for (const pid of processesMentioning(path.join(tmp, base!))) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // Gone meanwhile.
          }
        }
      });
      expect(processesMentioning(path.join(tmp, base!)).length).toBeGreaterThan(0);
      const code = await new Promise<number | null>((resolve) => {
        bench.once('exit', (c) => resolve(c));
        bench.kill('SIGTERM');
      });
      expect(code).toBe(143);
      expect(stderr).toContain('bench:cloud: stopped by SIGTERM; nothing was recorded');
      expect(stderr).not.toMatch(/exited|Error/);
      expect(stderr).not.toMatch(/exited|Error/);
      expect(readdirSync(tmp)).toEqual([]);
      expect(processesMentioning(path.join(tmp, base!))).toEqual([]);
      expect(readFileSync(history, 'utf8')).toBe(before);
    },
  );
});
