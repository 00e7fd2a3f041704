// The metrics lock protocol: a busy metrics.lock queues the run's line in metrics.pending/;
// the next run that takes the lock merges the queue first; a stale lock is taken over.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJson, runCliProcess } from '../helpers/cli.js';
import { checkRunsDir, metricsLines, runFiles, runIds, useTempRepos } from '../helpers/integration.js';

const repo = useTempRepos();

const config = { pipelines: [{ id: 'diagnostics', title: 'D', stages: [{ kind: 'command', id: 'one', title: 'One', command: 'echo one' }] }] };

function holdLock(root: string, acquiredAt: string): string {
  const taskDir = join(root, '.runs/0101');
  mkdirSync(taskDir, { recursive: true });
  const lock = join(taskDir, 'metrics.lock');
  writeFileSync(lock, JSON.stringify({ run_id: 'someone-else', acquired_at: acquiredAt }));
  return lock;
}

describe('metrics lock', () => {
  it('a held lock queues the line in metrics.pending/; the next run merges it', async () => {
    const root = repo(config);
    const taskDir = join(root, '.runs/0101');
    const lock = holdLock(root, new Date().toISOString());
    const lockBytes = readFileSync(lock);

    const first = await runCliProcess(['start'], { cwd: root });
    expect(first.code, first.stderr).toBe(0);
    const [firstId] = runIds(root);
    expect(existsSync(join(taskDir, 'metrics.json'))).toBe(false);
    expect(readdirSync(join(taskDir, 'metrics.pending'))).toEqual([`${firstId}.json`]);
    const queued = readFileSync(join(taskDir, 'metrics.pending', `${firstId}.json`), 'utf8');
    expect(queued.endsWith('\n')).toBe(true);
    expect(JSON.parse(queued)).toMatchObject({ run_id: firstId, status: 'succeeded' });
    expect(JSON.stringify(JSON.parse(queued))).toBe(queued.slice(0, -1));
    expect(readFileSync(lock)).toEqual(lockBytes); // someone else's lock is left alone
    expect(runFiles(root, firstId!).manifest().metrics_recorded).toBe(true);

    rmSync(lock);
    const second = await runCliProcess(['start'], { cwd: root });
    expect(second.code, second.stderr).toBe(0);
    const ids = runIds(root);
    expect(ids).toHaveLength(2);
    const secondId = ids.find((id) => id !== firstId)!;

    const text = readFileSync(join(taskDir, 'metrics.json'), 'utf8');
    expect(text.startsWith(queued)).toBe(true);
    expect(metricsLines(root).map((l) => l.run_id)).toEqual([firstId, secondId]);
    expect(readdirSync(join(taskDir, 'metrics.pending'))).toEqual([]);
    expect(existsSync(lock)).toBe(false);
    expect(readJson(join(root, 'out/0101/state.json'))).toMatchObject({ totals: { runs: 2, succeeded: 2 }, last_run: { run_id: secondId } });
    checkRunsDir(root, { minManifests: 2 });
  });

  it('a stale lock (left by a process that died) is taken over', async () => {
    const root = repo(config);
    const lock = holdLock(root, '2020-01-01T00:00:00.000Z');
    const result = await runCliProcess(['start'], { cwd: root });
    expect(result.code, result.stderr).toBe(0);
    expect(metricsLines(root).map((l) => l.run_id)).toEqual(runIds(root));
    expect(existsSync(lock)).toBe(false);
    expect(existsSync(join(root, '.runs/0101/metrics.pending'))).toBe(false);
    checkRunsDir(root);
  });
});
