// `status --run` (text, json, --watch) and `plan` (text, json, execution modes): read-only
// commands that never write anything.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliProcess, startCli } from '../helpers/cli.js';
import { checkRunsDir, onlyRunId, readFifo, rootEntries, runFiles, snapshotTree, useTempRepos, type Json } from '../helpers/integration.js';
import { PLAN_MODE_LEGEND } from '../../src/commands/plan.js';

const repo = useTempRepos();

const config = {
  pipelines: [
    {
      id: 'diagnostics',
      title: 'Diagnostics',
      stages: [
        { kind: 'command', id: 'build', title: 'Build', command: 'echo built' },
        { kind: 'command', id: 'test', title: 'Test', command: 'echo "2 failing" >&2; exit 3' },
        { kind: 'command', id: 'deploy', title: 'Deploy', command: 'echo deploy' },
      ],
    },
  ],
};

async function failedRun(): Promise<{ root: string; id: string }> {
  const root = repo(config);
  const result = await runCliProcess(['start'], { cwd: root });
  expect(result.code, result.stderr).toBe(1);
  return { root, id: onlyRunId(root) };
}

describe('status', () => {
  it('prints a run in text and as one JSON document, and writes nothing', async () => {
    const { root, id } = await failedRun();
    const m = runFiles(root, id).manifest();
    const before = snapshotTree(join(root, '.runs'));
    const outBefore = snapshotTree(join(root, 'out'));

    const text = await runCliProcess(['status', '--run', id], { cwd: root });
    expect(text.code, text.stderr).toBe(0);
    const lines = text.stdout.split('\n');
    expect(lines[0]).toBe(`Run ${id} (task 0101, pipeline diagnostics)`);
    expect(text.stdout).toContain('  status:    failed (stage:test:failed)\n');
    expect(text.stdout).toContain(`  manifest:  .runs/0101/cli/${id}/manifest.json\n`);
    expect(text.stdout).toMatch(/^ {4}1\. build +succeeded exit 0 - built$/m);
    expect(text.stdout).toMatch(/^ {4}2\. test +failed exit 3 - Exited with code 3 — 2 failing$/m);
    expect(text.stdout).toMatch(/^ {4}3\. deploy +pending$/m);
    expect(text.stdout).toContain("Stage 'Test' failed with exit code 3.");

    const json = await runCliProcess(['status', '--run', id, '--format', 'json'], { cwd: root });
    expect(json.code, json.stderr).toBe(0);
    const view = JSON.parse(json.stdout) as Json;
    expect(Object.keys(view)).toEqual([
      'run_id',
      'task_id',
      'pipeline_id',
      'status',
      'status_detail',
      'started_at',
      'completed_at',
      'duration_ms',
      'invocations',
      'updated_at',
      'heartbeat_at',
      'heartbeat_stale',
      'owner',
      'summary',
      'guardrails_required',
      'manifest',
      'commands',
      'child_runs',
    ]);
    expect(view).toEqual({
      run_id: id,
      task_id: '0101',
      pipeline_id: 'diagnostics',
      status: 'failed',
      status_detail: 'stage:test:failed',
      started_at: m.started_at,
      completed_at: m.completed_at,
      // Never resumed: the duration is its start to its end.
      duration_ms: Date.parse(m.completed_at) - Date.parse(m.started_at),
      invocations: 1,
      updated_at: m.updated_at,
      heartbeat_at: m.heartbeat_at,
      heartbeat_stale: false,
      owner: null,
      summary: m.summary,
      guardrails_required: false,
      manifest: `.runs/0101/cli/${id}/manifest.json`,
      commands: m.commands.map((c: Json) => ({
        index: c.index,
        id: c.id,
        kind: c.kind,
        status: c.status,
        exit_code: c.exit_code,
        summary: c.summary,
      })),
      child_runs: [],
    });

    expect(snapshotTree(join(root, '.runs'))).toEqual(before);
    expect(snapshotTree(join(root, 'out'))).toEqual(outBefore);
    checkRunsDir(root);
  });

  it('--watch on a finished run prints it once and returns at once with exit 0', async () => {
    const { root, id } = await failedRun();
    // A huge interval: if --watch waited for a change, the test would time out.
    const text = await runCliProcess(['status', '--run', id, '--watch', '--interval', '3600'], { cwd: root });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout.match(/^Run /gm)).toHaveLength(1);
    expect(text.stdout).toContain('status:    failed (stage:test:failed)');

    const json = await runCliProcess(['status', '--run', id, '--watch', '--interval=3600', '--format=json'], { cwd: root });
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ run_id: id, status: 'failed' });
    expect(json.stderr).toContain(`${id} failed`);
    checkRunsDir(root);
  });

  it('--watch follows a running run until it ends', async () => {
    // The stage says "ready" through one FIFO, then waits until the test writes to another.
    const root = repo({
      pipelines: [
        {
          id: 'diagnostics',
          title: 'D',
          stages: [{ kind: 'command', id: 'gate', title: 'Gate', command: 'echo ready > ready.fifo; read line < go.fifo; echo "released $line"' }],
        },
      ],
    });
    execFileSync('mkfifo', [join(root, 'ready.fifo'), join(root, 'go.fifo')]);
    const run = startCli(['start'], { cwd: root });
    await readFifo(join(root, 'ready.fifo'), run.result);
    const id = onlyRunId(root);

    const watch = startCli(['status', '--run', id, '--watch', '--interval', '0.05', '--format', 'json'], { cwd: root });
    // In json mode --watch reports each change on stderr; release the stage once it saw the run live.
    let seen = '';
    try {
      await new Promise<void>((resolve, reject) => {
        watch.child.stderr!.on('data', (data: Buffer) => {
          seen += data.toString();
          if (seen.includes(`${id} in_progress`)) resolve();
        });
        watch.result.then(() => reject(new Error(`status --watch ended early: ${seen}`)), reject);
      });
    } finally {
      await writeFile(join(root, 'go.fifo'), 'now\n'); // never leave the stage blocked
    }

    const [ran, watched] = await Promise.all([run.result, watch.result]);
    expect(ran.code, ran.stderr).toBe(0);
    expect(watched.code, watched.stderr).toBe(0);
    expect(watched.stderr).toContain(`${id} succeeded`);
    const view = JSON.parse(watched.stdout) as Json;
    expect(view).toMatchObject({ run_id: id, status: 'succeeded', heartbeat_stale: false });
    expect(view.commands[0]).toMatchObject({ status: 'succeeded', summary: 'released now' });
    checkRunsDir(root);
  });

  it('flags an in-progress run whose heartbeat went stale', async () => {
    const { root, id } = await failedRun();
    const run = runFiles(root, id);
    const m = run.manifest();
    Object.assign(m, {
      status: 'in_progress',
      status_detail: null,
      completed_at: null,
      heartbeat_at: '2020-01-01T00:00:00.000Z',
      updated_at: '2020-01-01T00:00:00.000Z',
    });
    writeFileSync(run.manifestPath, `${JSON.stringify(m, null, 2)}\n`);
    const json = await runCliProcess(['status', '--run', id, '--format', 'json'], { cwd: root });
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 'in_progress', heartbeat_stale: true });
    const text = await runCliProcess(['status', '--run', id], { cwd: root });
    expect(text.stdout).toContain('heartbeat stale');
    checkRunsDir(root);
  });
});

describe('plan', () => {
  const planConfig = {
    defaultPipeline: 'main',
    pipelines: [
      {
        id: 'main',
        title: 'Main',
        stages: [
          { kind: 'command', id: 'build', title: 'Build', command: 'make build' },
          { kind: 'command', id: 'deploy', title: 'Deploy', command: 'make deploy', executionMode: ' CLOUD ' },
          { kind: 'command', id: 'remote', title: 'Remote', command: 'make remote', requires_cloud: true, executionMode: 'mcp' },
          { kind: 'subpipeline', id: 'checks', title: 'Checks', pipeline: 'checks' },
          { kind: 'command', id: 'after', title: 'After', command: 'make after' },
        ],
      },
      { id: 'checks', title: 'Checks', stages: [{ kind: 'command', id: 'lint', title: 'Lint', command: 'make lint', executionMode: 'cloud' }] },
    ],
  };

  it('prints the stages start would run with their execution modes, and creates nothing', async () => {
    const root = repo(planConfig);
    const before = rootEntries(root);
    const text = await runCliProcess(['plan'], { cwd: root });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toBe(
      [
        'Pipeline main (Main):',
        '  1. build [mcp] make build',
        '  2. deploy [cloud] make deploy',
        '  3. remote [cloud] make remote',
        '  4. checks [subpipeline checks]',
        '    1. lint [cloud] make lint',
        '  5. after [mcp] make after',
        PLAN_MODE_LEGEND,
        '',
      ].join('\n'),
    );

    const targeted = await runCliProcess(['plan', 'main', '--target', 'remote'], { cwd: root });
    expect(targeted.code, targeted.stderr).toBe(0);
    expect(targeted.stdout.split('\n')[0]).toBe('Pipeline main (Main), up to stage remote:');
    expect(targeted.stdout).toContain('  3. remote [cloud] make remote\n');
    expect(targeted.stdout).toContain('  4. checks [subpipeline checks]  [skipped]\n');
    expect(targeted.stdout).toContain('    1. lint [cloud] make lint  [skipped]\n');
    expect(targeted.stdout).toContain('  5. after [mcp] make after  [skipped]\n');

    const json = await runCliProcess(['plan', '--format', 'json', '--target', 'checks'], { cwd: root });
    expect(json.code, json.stderr).toBe(0);
    const plan = JSON.parse(json.stdout) as Json;
    expect(plan).toMatchObject({ pipeline_id: 'main', pipeline_title: 'Main', target: 'checks' });
    expect(plan.stages.map((s: Json) => [s.index, s.id, s.kind, s.execution_mode, s.will_run])).toEqual([
      [1, 'build', 'command', 'mcp', true],
      [2, 'deploy', 'command', 'cloud', true],
      [3, 'remote', 'command', 'cloud', true],
      [4, 'checks', 'subpipeline', null, true],
      [5, 'after', 'command', 'mcp', false],
    ]);
    expect(plan.stages[0]).toMatchObject({ command: 'make build', pipeline: null, stages: null });
    expect(plan.stages[3]).toMatchObject({ command: null, pipeline: 'checks' });
    expect(plan.stages[3].stages).toEqual([
      {
        index: 1,
        id: 'lint',
        title: 'Lint',
        kind: 'command',
        command: 'make lint',
        pipeline: null,
        execution_mode: 'cloud',
        allow_failure: false,
        optional: false,
        will_run: true,
        stages: null,
      },
    ]);

    expect(rootEntries(root)).toEqual(before);
    expect(before).toEqual(['codex.orchestrator.json']);
  });
});
