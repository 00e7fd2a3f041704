// Issue 18 (part A): `logs [--run <id>] [stage]` prints a run's decoded stage output (as the
// privacy guard let it through), `status` and `logs` default to the task's latest run, and
// `runs` lists recent runs newest first.
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.js';
import { stageLogHeader, type StageLog } from '../../src/commands/logs.js';
import type { Executor } from '../../src/runtime/types.js';
import type { MemoryFileSink } from '../../src/runtime/memory-file-sink.js';
import { createVirtualRuntime, driveToCompletion, type VirtualRuntime } from '../../src/runtime/virtual-runtime.js';

const T0 = Date.parse('2026-08-01T09:00:00.000Z');

const CONFIG = {
  pipelines: [
    {
      id: 'ci',
      title: 'CI',
      stages: [
        { kind: 'command', id: 'build', title: 'Build', command: 'build' },
        { kind: 'command', id: 'lint', title: 'Lint', command: 'lint', allowFailure: true },
        { kind: 'command', id: 'test', title: 'Test', command: 'test' },
        { kind: 'command', id: 'docs', title: 'Docs', command: 'docs' },
      ],
    },
    {
      id: 'green',
      title: 'Green',
      stages: [
        { kind: 'command', id: 'build', title: 'Build', command: 'build' },
        { kind: 'subpipeline', id: 'child', title: 'Child', pipeline: 'child' },
      ],
    },
    { id: 'child', title: 'Child', stages: [{ kind: 'command', id: 'inner', title: 'Inner', command: 'inner' }] },
  ],
};

const BINARY = Buffer.from([0xff, 0xfe, 0x41, 0x0a]);

// Each command prints what the map says, chunk by chunk, then exits with its code.
const SCRIPT: Record<string, { out: Array<['stdout' | 'stderr', string | Buffer]>; code: number }> = {
  build: { out: [['stdout', 'compiled 3 files\n']], code: 0 },
  lint: { out: [['stderr', 'warning: unused\n']], code: 1 },
  test: {
    out: [
      ['stdout', 'running 2 tests\n'],
      ['stderr', 'FAIL adds\n'],
      ['stdout', 'api_key=abcdef1234567 in fixture\n'],
      ['stdout', BINARY],
      ['stdout', 'no newline at the end'],
    ],
    code: 1,
  },
  docs: { out: [], code: 0 },
  inner: { out: [['stdout', 'inner ran\n']], code: 0 },
};

const executor: Executor = {
  start(request, onChunk) {
    const script = SCRIPT[request.command]!;
    const done = (async () => {
      for (const [stream, data] of script.out) await onChunk({ stream, data: typeof data === 'string' ? Buffer.from(data) : data });
      return { exitCode: script.code, signal: null };
    })();
    return { done, cancel: () => undefined };
  },
};

const ENFORCE = { CODEX_PRIVACY_GUARD_MODE: 'enforce' };

function runtimeAt(ms: number, fs?: MemoryFileSink): VirtualRuntime {
  const runtime = createVirtualRuntime({ startMs: ms, seed: ms % 1000, cwd: '/repo', executor, env: ENFORCE, ...(fs ? { fs } : {}) });
  if (!fs) runtime.fs.seedFile('/repo/codex.orchestrator.json', JSON.stringify(CONFIG));
  return runtime;
}

async function cli(fs: MemoryFileSink, argv: string[], ms = T0 + 60_000) {
  const runtime = runtimeAt(ms, fs);
  const code = await driveToCompletion(runtime, () => runCli(argv, runtime));
  return { code, stdout: runtime.stdout.text(), stdoutBytes: runtime.stdout.bytes(), stderr: runtime.stderr.text() };
}

/** Two runs: `ci` (red) at T0, then `green` (with a child run) one second later. */
async function twoRuns() {
  const first = runtimeAt(T0);
  expect(await driveToCompletion(first, () => runCli(['start', 'ci', '--format', 'json'], first))).toBe(1);
  const red = (JSON.parse(first.stdout.text()) as { run_id: string }).run_id;
  const fs = first.fs;
  const second = await cli(fs, ['start', 'green', '--format', 'json'], T0 + 1_000);
  expect(second.code).toBe(0);
  const green = (JSON.parse(second.stdout) as { run_id: string }).run_id;
  return { fs, red, green };
}

describe('logs', () => {
  it("prints every stage's decoded output in order, a header per stage, as the privacy guard let it through", async () => {
    const { fs, red } = await twoRuns();
    const out = await cli(fs, ['logs', '--run', red]);
    expect(out.code).toBe(0);
    expect(out.stderr).toBe('');
    const log = (n: string) => `.runs/0101/cli/${red}/commands/${n}.ndjson`;
    expect(out.stdoutBytes).toEqual(
      Buffer.concat([
        Buffer.from(`==> 1. build: succeeded, exit 0 (${log('01-build')})\ncompiled 3 files\n`),
        Buffer.from(`==> 2. lint: failed, exit 1, allowed to fail (${log('02-lint')})\nwarning: unused\n`),
        Buffer.from(`==> 3. test: failed, exit 1 (${log('03-test')})\nrunning 2 tests\nFAIL adds\napi_key=[REDACTED] in fixture\n`),
        BINARY,
        Buffer.from('no newline at the end\n'),
        Buffer.from('==> 4. docs: not run\n'),
      ]),
    );
  });

  it('prints one stage, by id or by index, with its header on stderr and only its output on stdout', async () => {
    const { fs, red } = await twoRuns();
    const byId = await cli(fs, ['logs', '--run', red, 'lint']);
    expect(byId.code).toBe(0);
    expect(byId.stdout).toBe('warning: unused\n');
    expect(byId.stderr).toBe(`==> 2. lint: failed, exit 1, allowed to fail (.runs/0101/cli/${red}/commands/02-lint.ndjson)\n`);
    const byIndex = await cli(fs, ['logs', '--run', red, '1']);
    expect(byIndex.stdout).toBe('compiled 3 files\n');
  });

  it('defaults to the latest run of the task (not a child run) and says which on stderr', async () => {
    const { fs, green } = await twoRuns();
    const out = await cli(fs, ['logs']);
    expect(out.code).toBe(0);
    expect(out.stderr).toBe(`codex-orchestrator: latest run of task 0101: ${green} (pipeline green)\n`);
    expect(out.stdout).toContain('==> 1. build: succeeded, exit 0');
    expect(out.stdout).toContain(`==> 2. child: succeeded, subpipeline child, run `);
    expect(out.stdout).toContain('codex-orchestrator logs --run ');
  });

  it('a stage or a run that does not exist is one line on stderr, exit 2', async () => {
    const { fs, red } = await twoRuns();
    const stage = await cli(fs, ['logs', '--run', red, 'nope']);
    expect([stage.code, stage.stdout, stage.stderr]).toEqual([
      2,
      '',
      `codex-orchestrator: logs: run ${red} has no stage 'nope' (its stages: 1 build, 2 lint, 3 test, 4 docs)\n`,
    ]);
    // On the latest run too: the error is the only line (not the line naming the latest run).
    const latest = await cli(fs, ['logs', 'nope']);
    expect([latest.code, latest.stdout]).toEqual([2, '']);
    expect(latest.stderr).toMatch(/^codex-orchestrator: logs: run \S+ has no stage 'nope' \(its stages: 1 build, 2 child\)\n$/);
    const index = await cli(fs, ['logs', '--run', red, '9']);
    expect(index.code).toBe(2);
    expect(index.stderr.split('\n')).toHaveLength(2);
    const run = await cli(fs, ['logs', '--run', '2026-01-01T00-00-00-000Z-00000000']);
    expect([run.code, run.stdout]).toEqual([2, '']);
    expect(run.stderr).toMatch(/^codex-orchestrator: run '2026-01-01T00-00-00-000Z-00000000' not found under \S+\n$/);
    const task = await cli(fs, ['logs', '--run', red, '--task', 'other']);
    expect(task.code).toBe(2);
    expect(task.stderr).toMatch(/^codex-orchestrator: run '\S+' not found under \S+other\S*\n$/);
  });

  it('--format json gives each stage with its chunks, exact (base64 where not UTF-8)', async () => {
    const { fs, red } = await twoRuns();
    const out = await cli(fs, ['logs', '--run', red, 'test', '--format', 'json']);
    expect(out.code).toBe(0);
    const doc = JSON.parse(out.stdout) as {
      run_id: string;
      stages: Array<{ index: number; id: string; status: string; chunks: Array<{ stream: string; data: string; encoding?: string }> }>;
    };
    expect(doc.run_id).toBe(red);
    expect(doc.stages).toHaveLength(1);
    expect(doc.stages[0]!.chunks).toEqual([
      { stream: 'stdout', data: 'running 2 tests\n' },
      { stream: 'stderr', data: 'FAIL adds\n' },
      { stream: 'stdout', data: 'api_key=[REDACTED] in fixture\n' },
      { stream: 'stdout', data: BINARY.toString('base64'), encoding: 'base64' },
      { stream: 'stdout', data: 'no newline at the end' },
    ]);
  });
});

/** What a command printed, and its exit code. */
const lines = (out: { code: number; stdout: string; stderr: string }) => [out.code, out.stdout, out.stderr];

describe('logs at the edges', () => {
  const buildLog = (run: string) => `.runs/0101/cli/${run}/commands/01-build.ndjson`;

  it("a stage is named by its index only when written as one: '01', '1 ' and '1.0' name no stage; a run with no stages says none", async () => {
    const { fs, red } = await twoRuns();
    for (const selector of ['01', '1 ', '1.0']) {
      expect(lines(await cli(fs, ['logs', '--run', red, selector])), selector).toEqual([
        2,
        '',
        `codex-orchestrator: logs: run ${red} has no stage '${selector}' (its stages: 1 build, 2 lint, 3 test, 4 docs)\n`,
      ]);
    }
    const path = `/repo/.runs/0101/cli/${red}/manifest.json`;
    const m = JSON.parse(fs.files().get(path)!.toString('utf8')) as Record<string, unknown>;
    fs.seedFile(path, JSON.stringify({ ...m, commands: [] }));
    expect(lines(await cli(fs, ['logs', '--run', red, 'build']))).toEqual([
      2,
      '',
      `codex-orchestrator: logs: run ${red} has no stage 'build' (its stages: none)\n`,
    ]);
  });

  it('a stage log that is missing is a stage with no output; one that cannot be read, or has a line that is not JSON or a chunk without stream or data, is one line naming it, exit 2', async () => {
    const { fs, red } = await twoRuns();
    const label = buildLog(red);
    const path = `/repo/${label}`;
    const start = fs.files().get(path)!.toString('utf8').split('\n')[0]!;
    await fs.remove(path);
    const missing = await cli(fs, ['logs', '--run', red, 'build', '--format', 'json']);
    expect(missing.code).toBe(0);
    expect((JSON.parse(missing.stdout) as { stages: unknown[] }).stages).toEqual([
      {
        index: 1,
        id: 'build',
        kind: 'command',
        status: 'succeeded',
        exit_code: 0,
        log_path: label,
        sub_run_id: null,
        sub_pipeline_id: null,
        chunks: [],
        attempts: 0,
      },
    ]);

    const damaged: Array<[string, string]> = [
      [`${start}\n{oops\n`, 'line 2 is not JSON'],
      [`${start}\n${JSON.stringify({ type: 'exec:chunk', data: 'x' })}\n`, 'line 2: an exec:chunk without its stream or data'],
      [`${start}\n${JSON.stringify({ type: 'exec:chunk', stream: 'stdout' })}\n`, 'line 2: an exec:chunk without its stream or data'],
    ];
    for (const [text, message] of damaged) {
      fs.seedFile(path, text);
      expect(lines(await cli(fs, ['logs', '--run', red, 'build'])), message).toEqual([2, '', `codex-orchestrator: ${label}: ${message}\n`]);
    }

    const readFile = fs.readFile.bind(fs);
    fs.readFile = async (file) => {
      if (file === path) throw Object.assign(new Error(`EACCES: permission denied, open '${file}'`), { code: 'EACCES' });
      return readFile(file);
    };
    expect(lines(await cli(fs, ['logs', '--run', red, 'build']))).toEqual([
      2,
      '',
      `codex-orchestrator: ${label}: cannot be read: EACCES: permission denied, open '${path}'\n`,
    ]);
  });

  it('a stage started twice (a resume ran it again) says so in its header; its output is both attempts in order', async () => {
    const { fs, red } = await twoRuns();
    const path = `/repo/${buildLog(red)}`;
    const once = fs.files().get(path)!.toString('utf8');
    fs.seedFile(path, once + once);
    const text = await cli(fs, ['logs', '--run', red, 'build']);
    expect(lines(text)).toEqual([0, 'compiled 3 files\ncompiled 3 files\n', `==> 1. build: succeeded, exit 0, 2 attempts (${buildLog(red)})\n`]);
    const doc = JSON.parse((await cli(fs, ['logs', '--run', red, 'build', '--format', 'json'])).stdout) as { stages: Array<{ attempts: number }> };
    expect(doc.stages.map((stage) => stage.attempts)).toEqual([2]);
  });

  it('--format json: a subpipeline stage gives its child run and pipeline and no log (even one its entry names), a command stage no child', async () => {
    const { fs, green } = await twoRuns();
    const path = `/repo/.runs/0101/cli/${green}/manifest.json`;
    const m = JSON.parse(fs.files().get(path)!.toString('utf8')) as { commands: Array<{ log_path: string | null; sub_run_id: string | null }> };
    const child = m.commands[1]!.sub_run_id!;
    m.commands[1]!.log_path = buildLog(green);
    fs.seedFile(path, JSON.stringify(m));
    const doc = JSON.parse((await cli(fs, ['logs', '--run', green, '--format', 'json'])).stdout) as { stages: Array<Record<string, unknown>> };
    expect(doc.stages.map((s) => [s.id, s.kind, s.log_path, s.sub_run_id, s.sub_pipeline_id, s.chunks, s.attempts])).toEqual([
      ['build', 'command', buildLog(green), null, null, [{ stream: 'stdout', data: 'compiled 3 files\n' }], 1],
      ['child', 'subpipeline', null, child, 'child', [], 0],
    ]);
  });
});

describe('stageLogHeader', () => {
  const stage: StageLog = {
    index: 3,
    id: 'test',
    kind: 'command',
    status: 'failed',
    exit_code: 1,
    log_path: 'l.ndjson',
    sub_run_id: null,
    sub_pipeline_id: null,
    chunks: [],
    attempts: 1,
  };

  it('a command stage: how it ended (a failed stage of a cancelled run was cancelled), its exit code when it has one', () => {
    expect(stageLogHeader(stage, 'failed')).toBe('==> 3. test: failed, exit 1 (l.ndjson)');
    expect(stageLogHeader(stage, 'cancelled')).toBe('==> 3. test: cancelled, exit 1 (l.ndjson)');
    expect(stageLogHeader({ ...stage, status: 'succeeded', exit_code: 0 }, 'cancelled')).toBe('==> 3. test: succeeded, exit 0 (l.ndjson)');
    expect(stageLogHeader({ ...stage, status: 'skipped' }, 'cancelled')).toBe('==> 3. test: failed, exit 1, allowed to fail (l.ndjson)');
    expect(stageLogHeader({ ...stage, status: 'running', exit_code: null }, 'in_progress')).toBe('==> 3. test: running (l.ndjson)');
  });

  it('a subpipeline stage: not run, or how it ended when it has no child run; else its child run and how to see its logs', () => {
    const sub: StageLog = { ...stage, kind: 'subpipeline', exit_code: null, log_path: null };
    expect(stageLogHeader({ ...sub, status: 'pending' }, 'failed')).toBe('==> 3. test: not run');
    expect(stageLogHeader({ ...sub, status: 'skipped' }, 'succeeded')).toBe('==> 3. test: not run');
    expect(stageLogHeader({ ...sub, status: 'running' }, 'in_progress')).toBe('==> 3. test: running');
    expect(stageLogHeader({ ...sub, status: 'failed' }, 'cancelled')).toBe('==> 3. test: cancelled');
    expect(stageLogHeader({ ...sub, status: 'failed', sub_run_id: 'r-9', sub_pipeline_id: 'checks' }, 'failed')).toBe(
      '==> 3. test: failed, subpipeline checks, run r-9 (codex-orchestrator logs --run r-9)',
    );
    expect(stageLogHeader({ ...sub, status: 'skipped', sub_run_id: 'r-9' }, 'succeeded')).toBe(
      '==> 3. test: failed, optional, subpipeline ?, run r-9 (codex-orchestrator logs --run r-9)',
    );
  });
});

describe('status without --run', () => {
  it('shows the latest run of the task and says which on stderr', async () => {
    const { fs, green } = await twoRuns();
    const out = await cli(fs, ['status']);
    expect(out.code).toBe(0);
    expect(out.stderr).toBe(`codex-orchestrator: latest run of task 0101: ${green} (pipeline green)\n`);
    expect(out.stdout.split('\n')[0]).toBe(`Run ${green} (task 0101, pipeline green)`);
  });

  it('with no run of the task at all: one line, exit 2 (also for logs)', async () => {
    const runtime = runtimeAt(T0);
    for (const argv of [['status'], ['logs'], ['status', '--task', 'other', '--format', 'json']]) {
      const out = await cli(runtime.fs, argv);
      expect(out.code).toBe(2);
      expect(out.stdout).toBe('');
      expect(out.stderr).toMatch(
        /^codex-orchestrator: no run of task (0101|other) under \S+ \(start one with: codex-orchestrator start, or name one with --run <id> or --task <id>\)\n$/,
      );
    }
  });
});

describe('runs', () => {
  it('lists the runs of the task newest first: id, pipeline, status, start, duration, stage totals', async () => {
    const { fs, red, green } = await twoRuns();
    const out = await cli(fs, ['runs']);
    expect(out.code).toBe(0);
    expect(out.stdout).toBe(
      [
        'Runs of task 0101, newest first:',
        `  ${green}  green  succeeded  2026-08-01T09:00:01.000Z  0.0s  stages: 2 succeeded, 0 allowed to fail, 0 failed, 0 not run`,
        `  ${red}  ci     failed     2026-08-01T09:00:00.000Z  0.0s  stages: 1 succeeded, 1 allowed to fail, 1 failed, 1 not run`,
        '',
      ].join('\n'),
    );
    const one = await cli(fs, ['runs', '--limit', '1']);
    expect(one.stdout.split('\n')).toHaveLength(3);
    expect(one.stdout).toContain(green);
  });

  it('--format json, and a bad --limit is one line, exit 2', async () => {
    const { fs, red, green } = await twoRuns();
    const out = await cli(fs, ['runs', '--format', 'json']);
    const doc = JSON.parse(out.stdout) as { task_id: string; runs: Array<{ run_id: string; status: string; stages: Record<string, number> }> };
    expect(doc.task_id).toBe('0101');
    expect(doc.runs.map((r) => [r.run_id, r.status])).toEqual([
      [green, 'succeeded'],
      [red, 'failed'],
    ]);
    expect(doc.runs[1]!.stages).toEqual({ succeeded: 1, allowed_to_fail: 1, failed: 1, cancelled: 0, not_run: 1 });
    const bad = await cli(fs, ['runs', '--limit', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.split('\n')).toHaveLength(2);
    expect(bad.stderr).toContain('--limit');
  });

  it('a run no process runs any more is "stopped", with how to go on; one its process still runs is "running" (both said "running")', async () => {
    const { fs, red } = await twoRuns();
    const dir = `/repo/.runs/0101/cli/${red}`;
    // The run as its process left it when killed (kill -9): in progress, and its .owner ...
    const m = JSON.parse(fs.files().get(`${dir}/manifest.json`)!.toString('utf8')) as Record<string, unknown>;
    fs.seedFile(`${dir}/manifest.json`, JSON.stringify({ ...m, status: 'in_progress', status_detail: null, completed_at: null }));
    // ... gone (the process let it go), then held by a process that still runs (this runtime's own).
    const line = async () => (await cli(fs, ['runs'])).stdout.split('\n')[2]!;
    const owner = async () =>
      (JSON.parse((await cli(fs, ['runs', '--format', 'json'])).stdout) as { runs: Array<{ owner: string | null }> }).runs.map((r) => r.owner);
    expect(await line()).toBe(
      `  ${red}  ci     in_progress  2026-08-01T09:00:00.000Z  stopped  stages: 1 succeeded, 1 allowed to fail, 1 failed, 1 not run  (no process runs it: resume it with codex-orchestrator resume --run ${red})`,
    );
    expect(await owner()).toEqual([null, 'none']);
    const held = {
      pid: 4242,
      host: 'virtual-host',
      started: 'virtual-start-4242',
      token: 'f'.repeat(32),
      acquired_at: '2026-08-01T09:00:00.000Z',
      command: 'start',
      stage_group: null,
    };
    fs.seedFile(`${dir}/.owner`, `${JSON.stringify(held)}\n`);
    expect(await line()).toBe(
      `  ${red}  ci     in_progress  2026-08-01T09:00:00.000Z  running  stages: 1 succeeded, 1 allowed to fail, 1 failed, 1 not run`,
    );
    expect(await owner()).toEqual([null, 'alive']);
  });

  it('a run that ends between the read of its manifest and of its .owner is listed as ended, not "stopped"', async () => {
    const { fs, red } = await twoRuns();
    const dir = `/repo/.runs/0101/cli/${red}`;
    const ended = fs.files().get(`${dir}/manifest.json`)!;
    const m = JSON.parse(ended.toString('utf8')) as Record<string, unknown>;
    fs.seedFile(`${dir}/manifest.json`, JSON.stringify({ ...m, status: 'in_progress', status_detail: null, completed_at: null }));
    // Its owner ends it and lets go just as runs looks for the .owner.
    const readFile = fs.readFile.bind(fs);
    fs.readFile = async (path) => {
      if (path === `${dir}/.owner`) fs.seedFile(`${dir}/manifest.json`, ended);
      return readFile(path);
    };
    const doc = JSON.parse((await cli(fs, ['runs', '--format', 'json'])).stdout) as { runs: Array<{ status: string; owner: string | null }> };
    expect(doc.runs.map((r) => [r.status, r.owner])).toEqual([
      ['succeeded', null],
      ['failed', null],
    ]);
  });

  it('sorts the run directories itself (a real directory lists in any order) and passes over one that has no manifest', async () => {
    const { fs, red, green } = await twoRuns();
    const cliDir = '/repo/.runs/0101/cli';
    fs.seedDirectory(`${cliDir}/2099-01-01T00-00-00-000Z-00000000`); // the newest name: a run whose manifest was never written
    const readdir = fs.readdir.bind(fs);
    fs.readdir = async (path) => {
      const names = await readdir(path);
      return path === cliDir ? [green, red, '2099-01-01T00-00-00-000Z-00000000'] : names;
    };
    const out = await cli(fs, ['runs']);
    expect(lines(out)).toEqual([
      0,
      [
        'Runs of task 0101, newest first:',
        `  ${green}  green  succeeded  2026-08-01T09:00:01.000Z  0.0s  stages: 2 succeeded, 0 allowed to fail, 0 failed, 0 not run`,
        `  ${red}  ci     failed     2026-08-01T09:00:00.000Z  0.0s  stages: 1 succeeded, 1 allowed to fail, 1 failed, 1 not run`,
        '',
      ].join('\n'),
      '',
    ]);
    expect((await cli(fs, ['status'])).stderr).toBe(`codex-orchestrator: latest run of task 0101: ${green} (pipeline green)\n`);
  });

  it('with no run: says so, exit 0', async () => {
    const runtime = runtimeAt(T0);
    const out = await cli(runtime.fs, ['runs']);
    expect([out.code, out.stdout]).toEqual([0, 'No runs of task 0101.\n']);
  });
});
