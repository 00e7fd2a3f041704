// A whole pipeline run on the virtual runtime: virtual clock, seeded ids, a transcript
// executor — no child process, no wall-clock wait — through the same runCli the bin uses.
import { describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/run-cli.js';
import { createVirtualRuntime, driveToCompletion, type VirtualRuntime, type VirtualRuntimeOptions } from '../../src/runtime/virtual-runtime.js';
import { createTranscriptExecutor, type Transcript, type TranscriptExecutor } from '../../src/runtime/transcript-executor.js';
import type { ExecResult, Executor } from '../../src/runtime/types.js';
import { assertValidManifest } from '../helpers/manifest-schema.js';
import { restoreProcessEnvAfterEach } from '../helpers/process-env.js';

// Any attempt to start a real process in this file is recorded and fails.
const spawned = vi.hoisted(() => [] as string[]);
vi.mock('node:child_process', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:child_process')>();
  const refuse =
    (name: string) =>
    (...args: unknown[]): never => {
      spawned.push(`${name} ${String(args[0])}`);
      throw new Error(`no child process on the virtual runtime (${name})`);
    };
  const names = ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'] as const;
  const refused = Object.fromEntries(names.map((name) => [name, refuse(name)]));
  return { ...actual, ...refused, default: { ...actual, ...refused } };
});

const ROOT = '/repo';
const START = Date.parse('2026-01-02T03:04:05.000Z');

const config = {
  pipelines: [
    {
      id: 'diagnostics',
      title: 'Diagnostics',
      stages: [
        { kind: 'command', id: 'build', title: 'Build', command: 'npm run build' },
        { kind: 'command', id: 'lint', title: 'Lint', command: 'npm run lint', allowFailure: true },
        { kind: 'subpipeline', id: 'checks', title: 'Checks', pipeline: 'checks' },
        { kind: 'command', id: 'spec', title: 'Spec guard', command: 'npm run spec-guard', summaryHint: 'Specs checked' },
      ],
    },
    { id: 'checks', title: 'Checks', stages: [{ kind: 'command', id: 'unit', title: 'Unit', command: 'npm test' }] },
  ],
};

const transcript: Transcript = {
  stages: {
    'diagnostics/build': [
      {
        chunks: [
          { stream: 'stdout', data: 'compiling\n', at_ms: 100 },
          { stream: 'stderr', data: 'warning: slow\n', at_ms: 6_000 },
          { stream: 'stdout', data: 'built 12 files\n', at_ms: 12_000 },
        ],
        exit: { code: 0, signal: null, at_ms: 12_500 },
      },
    ],
    'diagnostics/lint': [{ chunks: [{ stream: 'stderr', data: 'lint: 2 problems\n', at_ms: 50 }], exit: { code: 1, signal: null, at_ms: 60 } }],
    'checks/unit': [{ chunks: [{ stream: 'stdout', data: '42 passed\n', at_ms: 10 }], exit: { code: 0, signal: null, at_ms: 20 } }],
    'diagnostics/spec': [{ chunks: [], exit: { code: 0, signal: null, at_ms: 5 } }],
  },
};

function makeRuntime(
  options: { transcript?: Transcript; executor?: VirtualRuntimeOptions['executor']; env?: Record<string, string> } = {},
): VirtualRuntime {
  const runtime = createVirtualRuntime({
    startMs: START,
    seed: 7,
    cwd: ROOT,
    transcript: options.transcript ?? transcript,
    executor: options.executor,
    env: options.env,
  });
  runtime.fs.seedFile(`${ROOT}/codex.orchestrator.json`, JSON.stringify(config));
  return runtime;
}

function text(runtime: VirtualRuntime, path: string): string {
  const data = runtime.fs.files().get(path);
  if (!data) throw new Error(`no file ${path}`);
  return data.toString('utf8');
}

function runDirOf(runtime: VirtualRuntime): string {
  const doc = JSON.parse(runtime.stdout.text()) as { artifact_root: string };
  return `${ROOT}/${doc.artifact_root}`;
}

restoreProcessEnvAfterEach();

describe('a whole pipeline run on the virtual runtime', () => {
  it('runs every stage, writes the run layout and never spawns: every start goes through the given executor', async () => {
    // A spy around the transcript executor handed to the virtual runtime: each stage start and
    // its result is recorded, so a stage run any other way (a real spawn) would be missing here.
    const starts: string[] = [];
    const results: Array<ExecResult | string> = [];
    let replay: TranscriptExecutor | undefined;
    let spy: Executor | undefined;
    const runtime = makeRuntime({
      executor: (clock) => {
        const inner = createTranscriptExecutor(transcript, clock);
        replay = inner;
        spy = {
          start(request, onChunk) {
            starts.push(request.stageKey);
            const handle = inner.start(request, onChunk);
            handle.done.then(
              (result) => results.push(result),
              (error: Error) => results.push(error.message),
            );
            return handle;
          },
        };
        return spy;
      },
    });
    expect(runtime.executor).toBe(spy);
    const code = await driveToCompletion(runtime, () => runCli(['start', '--format', 'json'], runtime));
    expect(code).toBe(0);
    expect(starts).toEqual(['diagnostics/build', 'diagnostics/lint', 'checks/unit', 'diagnostics/spec']);
    expect(results).toEqual([
      { exitCode: 0, signal: null },
      { exitCode: 1, signal: null },
      { exitCode: 0, signal: null },
      { exitCode: 0, signal: null },
    ]);
    expect(replay?.unused()).toEqual([]);
    expect(replay?.missing()).toEqual([]);
    expect(spawned).toEqual([]);
    // The four recorded exits, back to back, on the virtual clock only.
    expect(runtime.clock.now() - START).toBe(12_500 + 60 + 20 + 5);

    const runDir = runDirOf(runtime);
    expect(runDir).toBe(`${ROOT}/.runs/0101/cli/2026-01-02T03-04-05-000Z-${runDir.slice(-8)}`);
    const manifest = JSON.parse(text(runtime, `${runDir}/manifest.json`));
    assertValidManifest(manifest);
    expect(manifest.status).toBe('succeeded');
    expect(manifest.commands.map((c: { status: string }) => c.status)).toEqual(['succeeded', 'skipped', 'succeeded', 'succeeded']); // an allowed failure is recorded skipped (phase 1)
    expect(manifest.commands[0].summary).toBe('built 12 files');
    expect(manifest.commands[1].summary).toBe('Exited with code 1 — lint: 2 problems');
    expect(manifest.commands[3].summary).toBe('Specs checked');
    expect(manifest.summary).toBe("Stage 'Lint' failed with exit code 1 (allowed to fail).\nGuardrails: 1/1 succeeded.");
    expect(manifest.child_runs).toHaveLength(1);
    const child = JSON.parse(text(runtime, `${ROOT}/${manifest.child_runs[0].manifest}`));
    assertValidManifest(child);
    expect(child.parent_run_id).toBe(manifest.run_id);
    expect(runtime.stderr.text()).toContain('[diagnostics 1/4] build succeeded (exit 0, 12.5s)');
  });

  it('is byte-identical on every run: same inputs, same files', async () => {
    const snapshot = async () => {
      const runtime = makeRuntime();
      await driveToCompletion(runtime, () => runCli(['start', '--format', 'json'], runtime));
      return [...runtime.fs.files()].map(([path, data]) => `${path}\n${data.toString('base64')}`).join('\n');
    };
    const first = await snapshot();
    expect(await snapshot()).toBe(first);
  });

  it('beats every 5 s of virtual time while a stage runs', async () => {
    const runtime = makeRuntime();
    const beats: string[] = [];
    const fs = runtime.fs;
    const writeAtomic = fs.writeAtomic.bind(fs);
    fs.writeAtomic = async (path, data) => {
      if (path.endsWith('/.heartbeat')) beats.push(String(data).trim());
      return writeAtomic(path, data);
    };
    await driveToCompletion(runtime, () => runCli(['start', 'checks'], runtime));
    beats.length = 0;
    const long = makeRuntime({
      transcript: { stages: { 'checks/unit': [{ chunks: [], exit: { code: 0, signal: null, at_ms: 21_000 } }] } },
    });
    const longWrite = long.fs.writeAtomic.bind(long.fs);
    long.fs.writeAtomic = async (path, data) => {
      if (path.endsWith('/.heartbeat')) beats.push(String(data).trim());
      return longWrite(path, data);
    };
    await driveToCompletion(long, () => runCli(['start', 'checks'], long));
    const offsets = beats.map((iso) => Date.parse(iso) - START);
    expect(offsets).toEqual([0, 5_000, 10_000, 15_000, 20_000]);
  });

  it('cancels on a signal: the stage is stopped, the run ends cancelled, exit 130', async () => {
    const runtime = makeRuntime({
      transcript: {
        stages: {
          'diagnostics/build': [{ chunks: [{ stream: 'stdout', data: 'working\n', at_ms: 10 }], exit: { code: 0, signal: null, at_ms: 60_000 } }],
        },
      },
    });
    const code = await driveToCompletion(runtime, () => runCli(['start', '--format', 'json'], runtime), [{ at_ms: 7_000, signal: 'SIGINT' }]);
    expect(code).toBe(130);
    const manifest = JSON.parse(text(runtime, `${runDirOf(runtime)}/manifest.json`));
    assertValidManifest(manifest);
    expect(manifest.status).toBe('cancelled');
    expect(manifest.status_detail).toBe('cancelled:SIGINT');
    expect(manifest.completed_at).toBe('2026-01-02T03:04:12.000Z');
    expect(manifest.commands[0]).toMatchObject({ status: 'failed', exit_code: 130, summary: 'Terminated with signal SIGINT — working' }); // its last stdout line (spec 0010)
    expect(manifest.commands.slice(1).map((c: { status: string }) => c.status)).toEqual(['pending', 'pending', 'pending']);
  });

  it('drives a scripted executor that is not a transcript', async () => {
    const seen: string[] = [];
    const scripted: Executor = {
      start(request, onChunk) {
        seen.push(`${request.stageKey} in ${request.cwd}`);
        const done = (async () => {
          await onChunk({ stream: 'stdout', data: Buffer.from(`ran ${request.command}\n`) });
          return { exitCode: request.command.includes('lint') ? 3 : 0, signal: null };
        })();
        return { done, cancel: () => undefined };
      },
    };
    const runtime = makeRuntime({ executor: scripted });
    const code = await driveToCompletion(runtime, () => runCli(['start'], runtime));
    expect(code).toBe(0);
    expect(seen).toEqual(['diagnostics/build in /repo', 'diagnostics/lint in /repo', 'checks/unit in /repo', 'diagnostics/spec in /repo']);
    expect(runtime.stdout.text()).toMatch(/^Run 2026-01-02T03-04-05-000Z-[0-9a-f]{8} succeeded\.\n/);
  });
});
