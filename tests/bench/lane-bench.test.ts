// bench:lane's record: a comparison goes into bench/history/lane.json only when every lane of
// it passed. A lane that failed stopped at its failing stage, so its wall time says nothing of
// the lane's speed (two of the runs behind spec 0014 failed: one lane without chromium under
// CI=true, one at its docs check; their ratios were 0.76x and 0.79x, neither a comparison).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { notRecordedBecause } from '../../bench/lane.js';
import { processGone, readFifo } from '../helpers/integration.js';
import { useTempDirs } from '../helpers/temp-dirs.js';

const root = path.resolve(import.meta.dirname, '../..');
const tempDir = useTempDirs('lane-bench-test-');
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

  /**
   * bench:lane's own pieces in a child: the clones' directory, one command run by `sh` in its
   * own group (a shell and its child, as npm and the lane are), and the signal handler that
   * stops them. The command writes a pid to $FIFO; resolves once it has, with that pid.
   */
  async function benchRunning(command: string) {
    const tmp = tempDir();
    const work = path.join(tmp, 'work');
    mkdirSync(work);
    const fifo = path.join(tmp, 'ready');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const script = `
      import { rmSync } from 'node:fs';
      import { sh, stopOnSignal } from ${JSON.stringify(path.join(root, 'dist/bench/lane.js'))};
      stopOnSignal(() => rmSync(process.env.WORK, { recursive: true, force: true }));
      await sh(process.env.WORK, ${JSON.stringify(command)}, process.env, () => {});
      process.stderr.write('the command ended on its own\\n');
    `;
    const bench = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, WORK: work, FIFO: fifo },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    bench.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => bench.once('exit', (code) => resolve(code)));
    const pid = Number((await readFifo(fifo, exited)).trim());
    // A failure leaves nothing running.
    onTestFinished(() => {
      if (!processGone(pid)) process.kill(pid, 'SIGKILL');
    });
    return { bench, work, pid, exited, stderr: () => stderr };
  }

  it('a SIGTERM stops the running command, its whole process group, removes the clones and exits 143', async () => {
    const { bench, work, pid: sleeper, exited, stderr } = await benchRunning('sleep 600 & echo $! > "$FIFO"; wait');
    expect(processGone(sleeper)).toBe(false);
    bench.kill('SIGTERM');
    expect(await exited).toBe(143);
    expect(stderr().trim()).toBe('bench:lane: stopped by SIGTERM: stopping the running command; nothing is recorded');
    expect(processGone(sleeper)).toBe(true);
    expect(existsSync(work)).toBe(false);
  });

  it('a SIGTERM waits for the whole group: a member that ignores SIGTERM is killed before bench:lane exits 143', async () => {
    // The group's leader ends on SIGTERM; its child ignores it (as a stage that traps it would).
    const { bench, work, pid: stubborn, exited } = await benchRunning(`sh -c 'trap "" TERM; echo $$ > "$FIFO"; exec sleep 600' & wait`);
    bench.kill('SIGTERM');
    expect(await exited).toBe(143);
    expect(processGone(stubborn)).toBe(true);
    expect(existsSync(work)).toBe(false);
  });
});
