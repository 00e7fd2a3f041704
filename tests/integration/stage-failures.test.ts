// Stages that fail: exit codes, status details, pending later stages, error files, summaries,
// allowFailure, summaryHint, signals, and a stage that cannot start (cwd missing; B1).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listFiles, readJson, runCliProcess } from '../helpers/cli.js';
import { ISO_RE, checkRunsDir, metricsLines, onlyRunId, runFiles, useTempRepos, type Json } from '../helpers/integration.js';

const repo = useTempRepos();

const pending = {
  status: 'pending',
  started_at: null,
  completed_at: null,
  exit_code: null,
  summary: null,
  log_path: null,
  error_file: null,
  sub_run_id: null,
};

describe('a failing stage', () => {
  it('fails the run (exit 1), leaves later stages pending and writes an error file', async () => {
    const root = repo({
      pipelines: [
        {
          id: 'diagnostics',
          title: 'Diagnostics',
          stages: [
            { kind: 'command', id: 'prep', title: 'Prep', command: 'echo prepared' },
            { kind: 'command', id: 'build', title: 'Build', command: 'echo compiling; echo "error: missing semicolon" >&2; exit 2' },
            { kind: 'command', id: 'after', title: 'After', command: 'touch after-ran' },
          ],
        },
      ],
    });
    const result = await runCliProcess(['start'], { cwd: root });
    expect(result.code, result.stderr).toBe(1);
    const id = onlyRunId(root);
    expect(result.stdout.split('\n')[0]).toBe(`Run ${id} failed (stage:build:failed).`);
    expect(result.stdout).toContain("  Stage 'Build' failed with exit code 2.");

    const run = runFiles(root, id);
    const m = run.manifest();
    expect(m.status).toBe('failed');
    expect(m.status_detail).toBe('stage:build:failed');
    expect(m.completed_at).toMatch(ISO_RE);
    const summaryLines = m.summary.split('\n');
    expect(summaryLines).toContain("Stage 'Build' failed with exit code 2.");
    expect(summaryLines.some((line: string) => line.startsWith('Guardrails: '))).toBe(true);
    expect(new Set(summaryLines).size).toBe(summaryLines.length);

    expect(m.commands[0]).toMatchObject({ status: 'succeeded', exit_code: 0, summary: 'prepared', error_file: null });
    expect(m.commands[1]).toMatchObject({
      status: 'failed',
      exit_code: 2,
      summary: 'Exited with code 2 — error: missing semicolon',
      error_file: `.runs/0101/cli/${id}/errors/02-build.json`,
    });
    expect(m.commands[1].completed_at).toMatch(ISO_RE);
    expect(m.commands[2]).toMatchObject(pending);
    expect(existsSync(join(root, 'after-ran'))).toBe(false);
    expect(listFiles(join(run.dir, 'commands'))).toEqual(['01-prep.ndjson', '02-build.ndjson']);
    expect(listFiles(join(run.dir, 'errors'))).toEqual(['02-build.json']);

    const error = run.errorFile('02-build.json');
    expect(Object.keys(error)).toEqual(['run_id', 'task_id', 'command_index', 'command_id', 'command', 'reason', 'details', 'created_at']);
    expect(error).toEqual({
      run_id: id,
      task_id: '0101',
      command_index: 2,
      command_id: 'build',
      command: 'echo compiling; echo "error: missing semicolon" >&2; exit 2',
      reason: 'command-failed',
      details: { exit_code: 2, stderr: 'error: missing semicolon\n' },
      created_at: error.created_at,
    });
    expect(error.created_at).toMatch(ISO_RE);

    const buildEvents = run.commandLog('02-build.ndjson');
    expect(buildEvents.at(-2)).toMatchObject({ type: 'exec:end', exit_code: 2, signal: null, status: 'failed' });
    expect(buildEvents.at(-1)).toMatchObject({ type: 'command:end', exit_code: 2, signal: null });

    const [line] = metricsLines(root);
    expect(line).toMatchObject({ run_id: id, status: 'failed', commands_passed: 1, commands_failed: 1 });
    expect(readJson(join(root, 'out/0101/state.json'))).toMatchObject({ totals: { runs: 1, succeeded: 0, failed: 1, cancelled: 0 } });
    expect(run.summary().tool_runs.map((r: Json) => r.status)).toEqual(['succeeded', 'failed']);
    checkRunsDir(root);
  });

  it('allowFailure: the run goes on and succeeds; summaryHint and the default summaries', async () => {
    const root = repo({
      pipelines: [
        {
          id: 'diagnostics',
          title: 'Diagnostics',
          stages: [
            { kind: 'command', id: 'lint', title: 'Lint', command: 'echo "lint: 2 problems" >&2; exit 1', allowFailure: true },
            { kind: 'command', id: 'quiet', title: 'Quiet', command: 'true' },
            { kind: 'command', id: 'hinted', title: 'Hinted', command: 'echo noise; echo more noise', summaryHint: 'Specs checked' },
            {
              kind: 'command',
              id: 'hinted-fail',
              title: 'Hinted fail',
              command: 'echo oops >&2; exit 3',
              summaryHint: 'Optional check',
              allowFailure: true,
            },
            { kind: 'command', id: 'last', title: 'Last', command: 'printf "one\\n\\ntwo  \\n\\n"' },
          ],
        },
      ],
    });
    const result = await runCliProcess(['start', '--format', 'json'], { cwd: root });
    expect(result.code, result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout) as Json;
    expect(doc.status).toBe('succeeded');
    const run = runFiles(root, doc.run_id);
    const m = run.manifest();
    expect(m).toMatchObject({ status: 'succeeded', status_detail: null });
    // An allowed failure is recorded skipped (phase 1, as the upstream tool does); its summary
    // and exit code still say how it exited.
    expect(m.commands.map((c: Json) => [c.status, c.exit_code, c.summary])).toEqual([
      ['skipped', 1, 'Exited with code 1 — lint: 2 problems'],
      ['succeeded', 0, 'Command completed with code 0'],
      ['succeeded', 0, 'Specs checked'],
      ['skipped', 3, 'Optional check'],
      ['succeeded', 0, 'two'],
    ]);
    expect(m.summary.split('\n')).toContain("Stage 'Lint' failed with exit code 1 (allowed to fail).");
    expect(run.errorFile('01-lint.json')).toMatchObject({ reason: 'command-failed', details: { exit_code: 1, stderr: 'lint: 2 problems\n' } });
    expect(run.errorFile('04-hinted-fail.json').details).toEqual({ exit_code: 3, stderr: 'oops\n' });
    expect(metricsLines(root)[0]).toMatchObject({ status: 'succeeded', commands_passed: 3, commands_failed: 0 });
    checkRunsDir(root);
  });

  it('a stage killed by a signal gets exit_code 128+signo and fails the run', async () => {
    const root = repo({
      pipelines: [
        { id: 'diagnostics', title: 'D', stages: [{ kind: 'command', id: 'crash', title: 'Crash', command: 'echo going down >&2; kill -TERM $$' }] },
      ],
    });
    const result = await runCliProcess(['start'], { cwd: root });
    expect(result.code, result.stderr).toBe(1);
    const run = runFiles(root, onlyRunId(root));
    const m = run.manifest();
    expect(m).toMatchObject({ status: 'failed', status_detail: 'stage:crash:failed' });
    expect(m.commands[0]).toMatchObject({ status: 'failed', exit_code: 143, summary: 'Terminated with signal SIGTERM — going down' });
    expect(m.summary.split('\n')).toContain("Stage 'Crash' was terminated by SIGTERM.");
    expect(run.errorFile('01-crash.json').details).toEqual({ exit_code: 143, signal: 'SIGTERM', stderr: 'going down\n' });
    expect(run.commandLog('01-crash.ndjson').at(-1)).toMatchObject({ type: 'command:end', exit_code: 143, signal: 'SIGTERM' });
    checkRunsDir(root);
  });
});

describe('a stage that cannot start (its cwd does not exist)', () => {
  const stagesConfig = {
    pipelines: [
      {
        id: 'diagnostics',
        title: 'Diagnostics',
        stages: [
          { kind: 'command', id: 'ok', title: 'OK', command: 'echo fine' },
          { kind: 'command', id: 'nowhere', title: 'Nowhere', command: 'echo unreachable', cwd: 'does/not/exist' },
          { kind: 'command', id: 'later', title: 'Later', command: 'touch later-ran' },
        ],
      },
    ],
  };

  it('fails the run with stage:<id>:error and an error file with reason command-execution-error', async () => {
    const root = repo(stagesConfig);
    const result = await runCliProcess(['start'], { cwd: root });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain('does/not/exist');
    expect(result.stderr).not.toMatch(/^\s+at /m);
    const id = onlyRunId(root);
    const run = runFiles(root, id);
    const m = run.manifest();
    expect(m).toMatchObject({ status: 'failed', status_detail: 'stage:nowhere:error' });
    expect(m.completed_at).toMatch(ISO_RE);
    expect(m.commands[0].status).toBe('succeeded');
    expect(m.commands[2]).toMatchObject(pending);
    expect(existsSync(join(root, 'later-ran'))).toBe(false);
    const error = run.errorFile('02-nowhere.json');
    expect(error).toMatchObject({
      run_id: id,
      task_id: '0101',
      command_index: 2,
      command_id: 'nowhere',
      command: 'echo unreachable',
      reason: 'command-execution-error',
    });
    expect(JSON.stringify(error.details)).toContain('does/not/exist');
    expect(m.summary).toContain('does/not/exist');
    expect(metricsLines(root)[0]).toMatchObject({ status: 'failed' });
    checkRunsDir(root);
  });

  it('phase 1 removed B1: the stage that could not start is failed on disk, with completed_at, summary and error file', async () => {
    const root = repo(stagesConfig);
    const result = await runCliProcess(['start'], { cwd: root });
    expect(result.code).toBe(1);
    const m = runFiles(root, onlyRunId(root)).manifest();
    expect(m.status).toBe('failed');
    expect(m.commands[1]).toMatchObject({
      status: 'failed',
      summary: 'Execution error: working directory does not exist: does/not/exist',
      error_file: `${m.artifact_root}/errors/02-nowhere.json`,
    });
    expect(m.commands[1].started_at).toMatch(ISO_RE);
    expect(m.commands[1].completed_at).toMatch(ISO_RE);
    checkRunsDir(root);
  });
});
