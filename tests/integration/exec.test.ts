// `exec [--] <cmd…>`: a one-stage run (pipeline `exec`) whose exit code is passed through;
// text mode mirrors the output, --json prints one document, --jsonl the event lines + a result.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliProcess } from '../helpers/cli.js';
import { ISO_RE, checkRunsDir, metricsLines, onlyRunId, runCliRaw, runFiles, useTempRepos, type Json } from '../helpers/integration.js';

const repo = useTempRepos();

const FAILING = ['sh', '-c', 'printf "out-line\\n"; printf "err-line\\n" >&2; exit 7'];

describe('exec', () => {
  it('text mode: mirrors stdout and stderr, passes exit code 7 through, status_detail exec-failed', async () => {
    const root = repo(); // exec needs no codex.orchestrator.json
    const result = await runCliRaw(['exec', '--', ...FAILING], { cwd: root });
    expect(result.code, result.stderr).toBe(7);
    expect(result.stdoutBytes.toString()).toBe('out-line\n');
    expect(result.stderr).toContain('err-line\n');
    const id = onlyRunId(root);
    expect(result.stderr).toContain(`exec run ${id} failed (exit 7)`);

    const run = runFiles(root, id);
    const m = run.manifest();
    expect(m).toMatchObject({ pipeline_id: 'exec', status: 'failed', status_detail: 'exec-failed' });
    expect(m.commands).toHaveLength(1);
    expect(m.commands[0]).toMatchObject({
      index: 1,
      id: 'exec',
      kind: 'command',
      command: `sh -c 'printf "out-line\\n"; printf "err-line\\n" >&2; exit 7'`,
      status: 'failed',
      exit_code: 7,
      error_file: `.runs/0101/cli/${id}/errors/01-exec.json`,
    });
    expect(run.errorFile('01-exec.json')).toMatchObject({ reason: 'command-failed', details: { exit_code: 7, stderr: 'err-line\n' } });
    expect(metricsLines(root)[0]).toMatchObject({ run_id: id, pipeline_id: 'exec', status: 'failed' });
    checkRunsDir(root);
  });

  it('a single argument is a shell command line; exit 0 succeeds', async () => {
    const root = repo();
    const result = await runCliProcess(['exec', 'echo one && echo two | tr a-z A-Z'], { cwd: root });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('one\nTWO\n');
    const m = runFiles(root, onlyRunId(root)).manifest();
    expect(m).toMatchObject({ status: 'succeeded', status_detail: null });
    expect(m.commands[0]).toMatchObject({ command: 'echo one && echo two | tr a-z A-Z', exit_code: 0, summary: 'TWO' });
    checkRunsDir(root);
  });

  it('--json prints exactly one JSON document with the result and the output tails', async () => {
    const root = repo();
    const result = await runCliProcess(['exec', '--json', '--', ...FAILING], { cwd: root });
    expect(result.code, result.stderr).toBe(7);
    const doc = JSON.parse(result.stdout) as Json;
    const id = onlyRunId(root);
    expect(Object.keys(doc)).toEqual([
      'run_id',
      'status',
      'exit_code',
      'signal',
      'duration_ms',
      'artifact_root',
      'manifest',
      'log_path',
      'stdout',
      'stderr',
    ]);
    expect(doc).toMatchObject({
      run_id: id,
      status: 'failed',
      exit_code: 7,
      signal: null,
      artifact_root: `.runs/0101/cli/${id}`,
      manifest: `.runs/0101/cli/${id}/manifest.json`,
      log_path: `.runs/0101/cli/${id}/runner.ndjson`,
      stdout: 'out-line\n',
      stderr: 'err-line\n',
    });
    expect(typeof doc.duration_ms).toBe('number');
    // The child's output is not mirrored in --json mode.
    expect(result.stderr).not.toMatch(/^err-line$/m);
    checkRunsDir(root);
  });

  it('--jsonl prints every event line as it is logged, then an exec:result line', async () => {
    const root = repo({}, { 'sub/.keep': '' });
    const result = await runCliProcess(['exec', '--jsonl', '--cwd', 'sub', '--task=t-9', '--', ...FAILING], { cwd: root });
    expect(result.code, result.stderr).toBe(7);
    expect(result.stdout.endsWith('\n')).toBe(true);
    const lines = result.stdout.slice(0, -1).split('\n');
    const parsed = lines.map((line) => JSON.parse(line) as Json);
    const id = onlyRunId(root, 't-9');
    const last = parsed.at(-1)!;
    expect(last).toMatchObject({
      type: 'exec:result',
      run_id: id,
      status: 'failed',
      exit_code: 7,
      signal: null,
      manifest: `.runs/t-9/cli/${id}/manifest.json`,
    });
    expect(parsed.slice(0, -1).map((e) => e.type)).toEqual(
      expect.arrayContaining(['command:start', 'exec:begin', 'exec:chunk', 'exec:end', 'command:end']),
    );
    // The lines before the result are runner.ndjson, byte for byte.
    const runner = readFileSync(join(root, `.runs/t-9/cli/${id}/runner.ndjson`), 'utf8');
    expect(`${lines.slice(0, -1).join('\n')}\n`).toBe(runner);
    expect(parsed.find((e) => e.type === 'exec:begin')).toMatchObject({ cwd: 'sub' });
    for (const event of parsed.slice(0, -1)) expect(event.timestamp).toMatch(ISO_RE);
    expect(runFiles(root, id, 't-9').manifest()).toMatchObject({ task_id: 't-9', status_detail: 'exec-failed' });
    checkRunsDir(root);
  });

  it('a command that cannot start (missing --cwd) fails the run with exit 1', async () => {
    const root = repo();
    const result = await runCliProcess(['exec', '--cwd', 'missing-dir', '--', 'true'], { cwd: root });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain('missing-dir');
    const run = runFiles(root, onlyRunId(root));
    expect(run.manifest()).toMatchObject({ status: 'failed', status_detail: 'exec-failed' });
    expect(run.errorFile('01-exec.json').reason).toBe('command-execution-error');
    checkRunsDir(root);
  });

  it('a --cwd that is a file is said to be one, and the closing line gives the exit code (1)', async () => {
    const root = repo();
    writeFileSync(join(root, 'a-file'), 'x');
    const result = await runCliProcess(['exec', '--cwd', 'a-file', '--', 'true'], { cwd: root });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain(`working directory is not a directory: ${join(root, 'a-file')}`);
    expect(result.stderr).toMatch(/exec run \S+ failed \(exit 1\); manifest: /);
  });
});
