// Edges of src/run that whole runs do not pin (the mutation run found them alive): the cancel
// state, signal routing ending with the work, the child environment, shell quoting for `exec`,
// the first heartbeat being forced, the output tails taking chunk bytes only, execution-mode
// parsing without a task's `execution`, a target that is the first stage, and `--parent-run`.
import { testManifest } from '../helpers/manifest-fixture.js';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.js';
import { runPaths } from '../../src/persist/manifest-writer.js';
import { ManifestPersister } from '../../src/persist/persister.js';
import { buildChildEnv } from '../../src/run/child-env.js';
import { CancelState, type Invocation, type RunContext } from '../../src/run/context.js';
import { commandFromArgs, shellQuote } from '../../src/commands/exec.js';
import { startHeartbeat } from '../../src/run/heartbeat.js';
import { withSignals } from '../../src/commands/invocation.js';
import { outputTailSink } from '../../src/run/sinks/output-tail-sink.js';
import { DISPATCH_PRESET, resolveExecutionMode, SUMMARY_PRESET, type ModeInputs, type ModeTask } from '../../src/run/execution-mode.js';

const resolveDispatchMode = (stage: ModeInputs, task: ModeTask) => resolveExecutionMode(DISPATCH_PRESET, stage, task);
const summaryExecutionMode = (stage: ModeInputs, task: ModeTask) => resolveExecutionMode(SUMMARY_PRESET, stage, task);
import { runsUnderTarget, targetIndex } from '../../src/run/target.js';
import type { ExecHandle, ExecResult, SignalName } from '../../src/runtime/types.js';
import { createVirtualRuntime, driveToCompletion } from '../../src/runtime/virtual-runtime.js';

const T0 = Date.parse('2026-07-01T10:00:00.000Z');

function handle(log: string[], name: string): ExecHandle {
  return { done: new Promise<ExecResult>(() => undefined), cancel: (signal: SignalName) => log.push(`${name} ${signal}`) };
}

describe('CancelState', () => {
  it('cancels every watched exec on the first signal, asks them again on a second (they stop at once), and cancels an exec watched after it at once', () => {
    const log: string[] = [];
    const cancel = new CancelState();
    const unwatchA = cancel.watch(handle(log, 'a'));
    cancel.watch(handle(log, 'b'));
    unwatchA();
    expect(log).toEqual([]);
    cancel.trigger('SIGTERM');
    expect(log).toEqual(['b SIGTERM']);
    cancel.trigger('SIGINT');
    expect(cancel.signal).toBe('SIGTERM');
    expect(log).toEqual(['b SIGTERM', 'b SIGINT']);
    cancel.watch(handle(log, 'c'));
    expect(log).toEqual(['b SIGTERM', 'b SIGINT', 'c SIGTERM']);
  });
});

describe('withSignals', () => {
  it('routes signals to the cancel state while the work runs, and not after', async () => {
    const runtime = createVirtualRuntime({ startMs: T0, seed: 1, cwd: '/r' });
    const invocation = { runtime, cancel: new CancelState(), persisters: new Set() } as unknown as Invocation;
    const seen = await withSignals(invocation, async () => {
      runtime.signals.fire('SIGINT');
      return invocation.cancel.signal;
    });
    expect(seen).toBe('SIGINT');
    const later = { runtime, cancel: new CancelState(), persisters: new Set() } as unknown as Invocation;
    await withSignals(later, async () => undefined);
    runtime.signals.fire('SIGTERM');
    expect(later.cancel.signal).toBeNull();
  });
});

describe('buildChildEnv', () => {
  it('leaves out unset variables of the orchestrator environment and layers the rest in order', () => {
    const env = buildChildEnv({ A: 'base', B: undefined, C: 'base' }, { C: 'override', D: 'override' }, { D: 'orchestrator' }, { E: 'stage' });
    expect(Object.entries(env)).toEqual([
      ['A', 'base'],
      ['C', 'override'],
      ['D', 'orchestrator'],
      ['E', 'stage'],
    ]);
  });
});

describe('exec arguments', () => {
  it('one argument is the command line as written; several are quoted for /bin/sh and joined', () => {
    expect(commandFromArgs(['echo hi && exit 3'])).toBe('echo hi && exit 3');
    expect(commandFromArgs(['printf', "it's", 'a b', 'plain-1.0'])).toBe(`printf 'it'\\''s' 'a b' plain-1.0`);
    expect(shellQuote("'")).toBe(`''\\'''`);
  });
});

describe('startHeartbeat', () => {
  it('writes the first beat at once even right after a write, then beats every 5 s until stopped', async () => {
    const runtime = createVirtualRuntime({ startMs: T0, seed: 1, cwd: '/r' });
    const paths = runPaths({ root: '/r', runsDir: '/r/.runs', outDir: '/r/out' }, '0101', 'run-1', runtime.fs, runtime.clock);
    const manifest = testManifest({ nowMs: T0, resumeToken: 'f'.repeat(64) });
    const persister = new ManifestPersister(paths, manifest, { intervalMs: 5_000 });
    await persister.persist({ force: true }); // the persister has just written: a plain request would wait
    const ctx = { invocation: { runtime }, manifest, persister } as unknown as RunContext;
    const heartbeat = await startHeartbeat(ctx);
    const beats = () => runtime.fs.counts().get(paths.heartbeatPath)?.writes ?? 0;
    expect(beats()).toBe(1);
    expect(runtime.fs.files().get(paths.heartbeatPath)?.toString('utf8')).toBe('2026-07-01T10:00:00.000Z\n');
    heartbeat.stop();
    await persister.close(); // the first beat's manifest change waits for a forced write or the close
    expect(runtime.clock.pendingTimers()).toBe(0);
  });
});

describe('outputTailSink', () => {
  it('takes the persisted bytes of chunk events only', () => {
    const sink = outputTailSink();
    const at = { timestamp: '2026-07-01T10:00:00.000Z', index: 1 };
    sink.event(
      { type: 'exec:end', correlation_id: 'c', attempt: 1, exit_code: 0, signal: null, duration_ms: 1, status: 'succeeded' },
      {
        ...at,
        bytes: Buffer.from('not output\n'),
      },
    );
    sink.event({ type: 'exec:chunk', correlation_id: 'c', attempt: 1, stream: 'stdout', sequence: 1, bytes: 0 }, at);
    sink.event(
      { type: 'exec:chunk', correlation_id: 'c', attempt: 1, stream: 'stderr', sequence: 2, bytes: 4 },
      {
        ...at,
        bytes: Buffer.from('err\n'),
      },
    );
    expect([sink.stdout.text(), sink.stderr.text()]).toEqual(['', 'err\n']);
  });
});

describe('execution mode parsing', () => {
  it('a task without `execution` is not parallel (no error)', () => {
    expect(summaryExecutionMode({}, {})).toBe('mcp');
    expect(resolveDispatchMode({}, {})).toBe('mcp');
    expect(summaryExecutionMode({}, { execution: { parallel: true } })).toBe('cloud');
    expect(resolveDispatchMode({}, { execution: { parallel: true } })).toBe('cloud');
  });

  it('run summary: a false-like string decides mcp over the booleans; an unknown word moves on to the next string', () => {
    expect(summaryExecutionMode({ mode: 'false', requires_cloud: true }, undefined)).toBe('mcp');
    expect(summaryExecutionMode({ mode: ' 0 ', requiresCloud: true }, undefined)).toBe('mcp');
    expect(summaryExecutionMode({ mode: 'No', requires_cloud: true }, undefined)).toBe('mcp');
    expect(summaryExecutionMode({ mode: 'bogus', executionMode: 'cloud' }, undefined)).toBe('cloud');
    expect(summaryExecutionMode({ mode: 'bogus', requires_cloud: true }, undefined)).toBe('cloud');
  });
});

describe('--target', () => {
  it('the first stage is a valid target: index 0, only it runs', () => {
    const pipeline = { id: 'p', stages: [{ id: 'a' }, { id: 'b' }] };
    expect(targetIndex(pipeline, 'a')).toBe(0);
    expect([0, 1].map((i) => runsUnderTarget(pipeline, 'a', i))).toEqual([true, false]);
    expect(() => targetIndex(pipeline, 'c')).toThrow("--target: pipeline 'p' has no stage 'c' (stages: a, b)");
  });
});

describe('start --parent-run', () => {
  const config = { pipelines: [{ id: 'p', title: 'P', stages: [{ kind: 'command', id: 'a', title: 'A', command: 'true' }] }] };
  const transcript = { stages: { 'p/a': [{ chunks: [], exit: { code: 0, signal: null, at_ms: 5 } }] } };

  async function start(args: string[]) {
    const runtime = createVirtualRuntime({ startMs: T0, seed: 9, cwd: '/repo', transcript });
    runtime.fs.seedFile('/repo/codex.orchestrator.json', JSON.stringify(config));
    const code = await driveToCompletion(runtime, () => runCli(['start', 'p', '--format', 'json', ...args], runtime));
    return { runtime, code };
  }

  it('records a valid parent run id in the manifest', async () => {
    const { runtime, code } = await start(['--parent-run', '2026-07-01T09-00-00-000Z-0123abcd']);
    expect(code).toBe(0);
    const doc = JSON.parse(runtime.stdout.text()) as { manifest: string };
    const manifest = JSON.parse(runtime.fs.files().get(`/repo/${doc.manifest}`)!.toString('utf8')) as { parent_run_id: string | null };
    expect(manifest.parent_run_id).toBe('2026-07-01T09-00-00-000Z-0123abcd');
  });

  it('refuses a parent run id that is not an id: exit 2, one line, nothing written', async () => {
    const { runtime, code } = await start(['--parent-run', 'a/b']);
    expect(code).toBe(2);
    expect(runtime.stderr.text()).toContain('invalid parent run id "a/b": it contains a path separator');
    expect([...runtime.fs.files().keys()]).toEqual(['/repo/codex.orchestrator.json']);
  });
});
