// `resume --run`: only stages not yet succeeded run again, logs are appended, the resume is
// recorded; wrong tokens, finished, live, missing and corrupted runs are refused.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliProcess } from '../helpers/cli.js';
import {
  ISO_RE,
  checkRunsDir,
  expectOneLineError,
  metricsLines,
  onlyRunId,
  rootEntries,
  runFiles,
  snapshotTree,
  useTempRepos,
  type Json,
} from '../helpers/integration.js';

const repo = useTempRepos();

const config = {
  pipelines: [
    {
      id: 'diagnostics',
      title: 'Diagnostics',
      stages: [
        { kind: 'command', id: 'first', title: 'First', command: 'echo ran >> first-count.txt; echo first' },
        { kind: 'command', id: 'flaky', title: 'Flaky', command: 'test -f flag || { echo "not yet" >&2; exit 4; }; echo recovered' },
        { kind: 'command', id: 'last', title: 'Last', command: 'echo last' },
      ],
    },
  ],
};

async function failedRun(): Promise<{ root: string; id: string }> {
  const root = repo(config);
  const result = await runCliProcess(['start'], { cwd: root });
  expect(result.code, result.stderr).toBe(1);
  const id = onlyRunId(root);
  expect(runFiles(root, id).manifest()).toMatchObject({ status: 'failed', status_detail: 'stage:flaky:failed' });
  return { root, id };
}

const starts = (events: Json[], index: number) => events.filter((e) => e.type === 'command:start' && e.index === index).length;

describe('resume', () => {
  it('reruns only the stages that did not succeed, appends to the logs and records the resume', async () => {
    const { root, id } = await failedRun();
    const run = runFiles(root, id);
    const runnerBefore = run.runnerText();
    const flakyLogBefore = readFileSync(join(run.dir, 'commands/02-flaky.ndjson'), 'utf8');
    const token = readFileSync(join(run.dir, '.resume-token'), 'utf8').trim();

    writeFileSync(join(root, 'flag'), '');
    const result = await runCliProcess(['resume', '--run', id, '--token', token, '--actor', 'tester', '--reason=flag fixed', '--format', 'json'], {
      cwd: root,
    });
    expect(result.code, result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout) as Json;
    expect(Object.keys(doc)).toEqual(['run_id', 'status', 'artifact_root', 'manifest', 'log_path']);
    expect(doc).toMatchObject({ run_id: id, status: 'succeeded' });
    expect(onlyRunId(root)).toBe(id);

    // The first stage did not run again; the flaky one did, then the last one.
    expect(readFileSync(join(root, 'first-count.txt'), 'utf8')).toBe('ran\n');
    const runnerAfter = run.runnerText();
    expect(runnerAfter.startsWith(runnerBefore)).toBe(true);
    const appended = runnerAfter
      .slice(runnerBefore.length)
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Json);
    expect(appended[0]).toMatchObject({ type: 'run:resume', actor: 'tester', reason: 'flag fixed' });
    expect(appended[0]!.timestamp).toMatch(ISO_RE);
    const all = run.runner();
    expect([starts(all, 1), starts(all, 2), starts(all, 3)]).toEqual([1, 2, 1]);
    expect(all.filter((e) => e.type === 'run:resume')).toHaveLength(1);
    const flakyLogAfter = readFileSync(join(run.dir, 'commands/02-flaky.ndjson'), 'utf8');
    expect(flakyLogAfter.startsWith(flakyLogBefore)).toBe(true);
    expect(starts(run.commandLog('02-flaky.ndjson'), 2)).toBe(2);

    const m = run.manifest();
    expect(m).toMatchObject({ status: 'succeeded', status_detail: null, metrics_recorded: true, resume_token: token });
    expect(m.commands.map((c: Json) => [c.status, c.exit_code, c.summary])).toEqual([
      ['succeeded', 0, 'first'],
      ['succeeded', 0, 'recovered'],
      ['succeeded', 0, 'last'],
    ]);
    expect(m.commands[1].error_file).toBeNull();
    expect(readdirSync(join(run.dir, 'errors'))).toEqual(['02-flaky.invocation-1.json']);
    expect(run.errorFile('02-flaky.invocation-1.json')).toMatchObject({ command_id: 'flaky', details: { exit_code: 4, stderr: 'not yet\n' } });
    expect(m.resume_events).toHaveLength(1);
    expect(Object.keys(m.resume_events[0]).slice(0, 4)).toEqual(['timestamp', 'actor', 'reason', 'outcome']);
    expect(m.resume_events[0]).toMatchObject({
      actor: 'tester',
      reason: 'flag fixed',
      outcome: 'accepted',
      resumed_from: { status: 'failed', status_detail: 'stage:flaky:failed', error_files: [`${m.artifact_root}/errors/02-flaky.invocation-1.json`] },
    });
    expect(m.summary).not.toContain('failed with exit code 4');

    // One metrics line per terminal state of the run.
    expect(metricsLines(root).map((l) => [l.run_id, l.status])).toEqual([
      [id, 'failed'],
      [id, 'succeeded'],
    ]);
    const summary = run.summary();
    expect(summary.status).toBe('succeeded');
    expect(summary.stages.map((s: Json) => s.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    checkRunsDir(root);
  });

  it('defaults actor and reason, and resumes a failed exec run in its own working directory', async () => {
    const root = repo(undefined, { 'sub/keep': '' });
    const first = await runCliProcess(['exec', '--cwd', 'sub', '--', 'sh', '-c', 'test -f ../flag || exit 5; pwd -P > where.txt'], { cwd: root });
    expect(first.code, first.stderr).toBe(5);
    const id = onlyRunId(root);
    const firstEnd = runFiles(root, id).manifest().completed_at as string;
    writeFileSync(join(root, 'flag'), '');
    const result = await runCliProcess(['resume', '--run', id], { cwd: root });
    expect(result.code, result.stderr).toBe(0);
    const run = runFiles(root, id);
    const m = run.manifest();
    expect(m).toMatchObject({ pipeline_id: 'exec', status: 'succeeded', status_detail: null });
    const artifactRoot = m.artifact_root as string;
    expect(m.resume_events).toEqual([
      {
        timestamp: m.resume_events[0].timestamp,
        actor: 'cli',
        reason: 'manual-resume',
        outcome: 'accepted',
        resumed_from: {
          status: 'failed',
          status_detail: 'exec-failed',
          ended_at: firstEnd,
          error_files: [`${artifactRoot}/errors/01-exec.invocation-1.json`],
        },
      },
    ]);
    // The failed attempt's error file is kept under its invocation's name, not beside the stage that succeeded.
    expect(readdirSync(join(run.dir, 'errors'))).toEqual(['01-exec.invocation-1.json']);
    expect(run.errorFile('01-exec.invocation-1.json')).toMatchObject({ command_id: 'exec', reason: 'command-failed', details: { exit_code: 5 } });
    const begins = run.runner().filter((e) => e.type === 'exec:begin');
    expect(begins.map((e) => e.cwd)).toEqual(['sub', 'sub']);
    expect(readFileSync(join(root, 'sub/where.txt'), 'utf8').trim()).toMatch(/\/sub$/);
    checkRunsDir(root);
  });

  it('a wrong --token is refused (exit 2) and recorded as a blocked resume event', async () => {
    const { root, id } = await failedRun();
    const run = runFiles(root, id);
    const runnerBefore = run.runnerText();
    const result = await runCliProcess(['resume', '--run', id, '--token', 'f'.repeat(64)], { cwd: root });
    expectOneLineError(result, id, 'token');
    const m = run.manifest();
    expect(m.status).toBe('failed');
    expect(m.resume_events).toHaveLength(1);
    expect(m.resume_events[0]).toMatchObject({ actor: 'cli', reason: 'manual-resume', outcome: 'blocked' });
    expect(typeof m.resume_events[0].detail).toBe('string');
    expect(run.runnerText()).toBe(runnerBefore);
    expect(metricsLines(root)).toHaveLength(1);
    checkRunsDir(root);
  });

  it('a run that already succeeded is refused with a blocked event', async () => {
    const root = repo(config, { flag: '' });
    expect((await runCliProcess(['start'], { cwd: root })).code).toBe(0);
    const id = onlyRunId(root);
    const result = await runCliProcess(['resume', '--run', id], { cwd: root });
    expectOneLineError(result, id, 'succeeded');
    const m = runFiles(root, id).manifest();
    expect(m.status).toBe('succeeded');
    expect(m.resume_events.map((e: Json) => e.outcome)).toEqual(['blocked']);
    expect(readFileSync(join(root, 'first-count.txt'), 'utf8')).toBe('ran\n');
    checkRunsDir(root);
  });

  it('a run a live process owns is refused, naming it, with nothing written; once that process is gone it is resumed at once', async () => {
    const { root, id } = await failedRun();
    const run = runFiles(root, id);
    const m0 = run.manifest();
    m0.status = 'in_progress';
    m0.status_detail = null;
    m0.completed_at = null;
    m0.heartbeat_at = m0.updated_at = new Date().toISOString(); // fresh: only the owner's process decides
    writeFileSync(run.manifestPath, `${JSON.stringify(m0, null, 2)}\n`);
    // A live owner: this test's own process (no start recorded, so its pid alone identifies it).
    const owner = (pid: number) => ({
      pid,
      host: hostname(),
      started: null,
      token: 'a'.repeat(32),
      acquired_at: '2026-01-01T00:00:00.000Z',
      command: 'start',
      stage_group: null,
    });
    writeFileSync(join(run.dir, '.owner'), JSON.stringify(owner(process.pid)));
    const before = snapshotTree(join(root, '.runs'));
    expectOneLineError(
      await runCliProcess(['resume', '--run', id], { cwd: root }),
      id,
      `owned by pid ${process.pid} on host ${hostname()}`,
      'still runs',
    );
    expect(snapshotTree(join(root, '.runs'))).toEqual(before);

    // A dead owner: a process that has exited.
    const dead = spawnSync('sh', ['-c', 'echo $$']).stdout.toString().trim();
    writeFileSync(join(run.dir, '.owner'), JSON.stringify(owner(Number(dead))));
    writeFileSync(join(root, 'flag'), '');
    const result = await runCliProcess(['resume', '--run', id], { cwd: root });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`took over from pid ${dead} on host ${hostname()}: its process is gone`);
    const m = run.manifest();
    expect(m.status).toBe('succeeded');
    expect(m.resume_events.map((e: Json) => [e.outcome, e.previous_owner?.state])).toEqual([['accepted', 'gone']]);
    checkRunsDir(root);
  });

  it('resuming a run that does not exist: exit 2, nothing written', async () => {
    const root = repo(config);
    const result = await runCliProcess(['resume', '--run', '2026-01-01T00-00-00-000Z-0badc0de'], { cwd: root });
    expectOneLineError(result, '2026-01-01T00-00-00-000Z-0badc0de', 'not found');
    expect(rootEntries(root)).toEqual(['codex.orchestrator.json']);
  });

  it('a corrupted manifest.json: exit 2 naming the file, and the file is left byte for byte', async () => {
    const { root, id } = await failedRun();
    const run = runFiles(root, id);
    const corrupted = run.manifestText().slice(0, 200);
    writeFileSync(run.manifestPath, corrupted);
    const before = snapshotTree(join(root, '.runs'));
    const line = expectOneLineError(
      await runCliProcess(['resume', '--run', id], { cwd: root }),
      `.runs/0101/cli/${id}/manifest.json`,
      'invalid JSON at line',
    );
    expect(line).toMatch(/line \d+, column \d+/);
    expect(readFileSync(run.manifestPath, 'utf8')).toBe(corrupted);
    expect(snapshotTree(join(root, '.runs'))).toEqual(before);
    // status reads the same file and refuses it the same way.
    expectOneLineError(await runCliProcess(['status', '--run', id], { cwd: root }), `.runs/0101/cli/${id}/manifest.json`);
    expect(snapshotTree(join(root, '.runs'))).toEqual(before);
  });
});
