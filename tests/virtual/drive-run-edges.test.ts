// The stage loop and the command stage at the edges the golden corpus does not reach (the
// mutation run found them alive): --target, a signal between stages or during the last one, a
// stage killed by a signal, required guardrails, a run-summary.json that cannot be written,
// instruction files, background write failures reported once, a long stderr in the error file,
// subpipelines that cannot start or are cancelled, and which execs a signal reaches.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.js';
import type { Manifest } from '../../src/manifest/schema.js';
import type { ExecResult, Executor, SignalName } from '../../src/runtime/types.js';
import type { VirtualClock } from '../../src/runtime/virtual-clock.js';
import { createVirtualRuntime, driveToCompletion, type ScheduledSignal, type VirtualRuntime } from '../../src/runtime/virtual-runtime.js';

const ROOT = '/repo';
const T0 = Date.parse('2026-09-01T12:00:00.000Z');

type Script = { ms?: number; exit?: ExecResult; throws?: string; stdout?: string; stderr?: string; onStart?: () => void };

/** Each stage (by stageKey) exits after `ms` of virtual time with `exit`; a cancel is recorded and ignored. */
function scripted(clock: VirtualClock, scripts: Record<string, Script>, log: string[]): Executor {
  return {
    start(request, onChunk) {
      log.push(`start ${request.stageKey}${request.stageKey.startsWith('exec/') ? ` ${request.command} in ${request.cwd}` : ''}`);
      const script = scripts[request.stageKey] ?? {};
      script.onStart?.();
      const done = (async () => {
        if (script.stdout) await onChunk({ stream: 'stdout', data: Buffer.from(script.stdout) });
        if (script.stderr) await onChunk({ stream: 'stderr', data: Buffer.from(script.stderr) });
        await new Promise<void>((resolve) => clock.setTimeout(resolve, script.ms ?? 10));
        if (script.throws) throw new Error(script.throws);
        return script.exit ?? { exitCode: 0, signal: null };
      })();
      return { done, cancel: (signal: SignalName) => log.push(`cancel ${request.stageKey} ${signal}`) };
    },
  };
}

type Outcome = { runtime: VirtualRuntime; code: number; log: string[]; manifest: Manifest; runDir: string };

async function run(
  config: object,
  scripts: Record<string, Script>,
  argv: string[],
  signals: ScheduledSignal[] = [],
  prepare?: (rt: VirtualRuntime) => void,
): Promise<Outcome> {
  const log: string[] = [];
  const runtime = createVirtualRuntime({ startMs: T0, seed: 11, cwd: ROOT, executor: (clock) => scripted(clock, scripts, log) });
  runtime.fs.seedFile(`${ROOT}/codex.orchestrator.json`, JSON.stringify(config));
  prepare?.(runtime);
  const code = await driveToCompletion(runtime, () => runCli([...argv, '--format', 'json'], runtime), signals);
  const doc = JSON.parse(runtime.stdout.text()) as { manifest: string; artifact_root: string };
  const manifest = JSON.parse(runtime.fs.files().get(`${ROOT}/${doc.manifest}`)!.toString('utf8')) as Manifest;
  return { runtime, code, log, manifest, runDir: `${ROOT}/${doc.artifact_root}` };
}

const command = (id: string, extra: object = {}) => ({ kind: 'command', id, title: id.toUpperCase(), command: `run ${id}`, ...extra });
const three = { pipelines: [{ id: 'p', title: 'P', stages: [command('a'), command('b'), command('c')] }] };

describe('--target', () => {
  it('runs the stages up to the target and records the rest skipped', async () => {
    // What manifest.json says while the first stage runs: only the stage after the target is skipped.
    let duringA: string[] = [];
    let rt: VirtualRuntime | undefined;
    const scripts: Record<string, Script> = {
      'p/a': {
        onStart: () => {
          const path = [...rt!.fs.files().keys()].find((p) => p.endsWith('/manifest.json') && p.includes('/cli/'))!;
          duringA = (JSON.parse(rt!.fs.files().get(path)!.toString('utf8')) as Manifest).commands.map((c) => c.status);
        },
      },
    };
    const { code, log, manifest } = await run(three, scripts, ['start', 'p', '--target', 'b'], [], (runtime) => (rt = runtime));
    expect(duringA).toEqual(['running', 'pending', 'skipped']);
    expect(code).toBe(0);
    expect(log).toEqual(['start p/a', 'start p/b']);
    expect(manifest.commands.map((c) => [c.status, c.summary])).toEqual([
      ['succeeded', 'Command completed with code 0'],
      ['succeeded', 'Command completed with code 0'],
      ['skipped', "Skipped: after target stage 'b'."],
    ]);
    expect(manifest.plan_target_id).toBe('b');
  });
});

describe('signals', () => {
  it('a signal during a stage that still exits 0: the next stage never starts, the run is cancelled', async () => {
    const { code, log, manifest } = await run(three, { 'p/a': { ms: 5_000 } }, ['start', 'p'], [{ at_ms: 1_000, signal: 'SIGINT' }]);
    expect(code).toBe(130);
    expect(log).toEqual(['start p/a', 'cancel p/a SIGINT']);
    expect([manifest.status, manifest.status_detail]).toEqual(['cancelled', 'cancelled:SIGINT']);
    expect(manifest.commands.map((c) => c.status)).toEqual(['succeeded', 'pending', 'pending']);
  });

  it('a signal during the last stage that still exits 0: the run is cancelled all the same', async () => {
    const { code, manifest } = await run(three, { 'p/c': { ms: 5_000 } }, ['start', 'p'], [{ at_ms: 1_000, signal: 'SIGTERM' }]);
    expect(code).toBe(143);
    expect([manifest.status, manifest.status_detail]).toEqual(['cancelled', 'cancelled:SIGTERM']);
    expect(manifest.summary).toBe('Run cancelled by SIGTERM.\nGuardrails: spec-guard command not found.');
  });

  it('reaches only the exec running when it arrives, not one that already ended', async () => {
    const { log } = await run(
      three,
      { 'p/a': { ms: 10 }, 'p/b': { ms: 5_000, exit: { exitCode: null, signal: 'SIGINT' } } },
      ['start', 'p'],
      [{ at_ms: 1_000, signal: 'SIGINT' }],
    );
    expect(log).toEqual(['start p/a', 'start p/b', 'cancel p/b SIGINT']);
  });

  it('a stage that cannot run after a signal arrived fails the run; it is not a cancellation', async () => {
    const { code, manifest } = await run(
      three,
      { 'p/a': { ms: 5_000, throws: 'spawn EAGAIN' } },
      ['start', 'p'],
      [{ at_ms: 1_000, signal: 'SIGINT' }],
    );
    expect(code).toBe(1);
    expect([manifest.status, manifest.status_detail]).toEqual(['failed', 'stage:a:error']);
    expect(manifest.commands[0]).toMatchObject({ status: 'failed', summary: 'Execution error: spawn EAGAIN' });
  });

  it('a stage killed by a signal nobody sent: "was terminated by"', async () => {
    const config = { pipelines: [{ id: 'p', title: 'P', stages: [command('a', { allowFailure: true }), command('b')] }] };
    const { code, manifest } = await run(config, { 'p/a': { exit: { exitCode: null, signal: 'SIGKILL' } } }, ['start', 'p']);
    expect(code).toBe(0);
    expect(manifest.commands[0]).toMatchObject({ status: 'skipped', exit_code: 137, summary: 'Terminated with signal SIGKILL' });
    expect(manifest.summary).toBe("Stage 'A' was terminated by SIGKILL (allowed to fail).\nGuardrails: spec-guard command not found.");
  });
});

describe('required guardrails', () => {
  it('a run that succeeded without its spec-guard stage fails as pipeline-failed', async () => {
    const config = { pipelines: [{ id: 'p', title: 'Gate', guardrailsRequired: true, stages: [command('a')] }] };
    const { code, manifest } = await run(config, {}, ['start', 'p']);
    expect(code).toBe(1);
    expect([manifest.status, manifest.status_detail]).toEqual(['failed', 'pipeline-failed']);
    expect(manifest.summary).toBe("Pipeline 'Gate' requires guardrails that did not pass.\nGuardrails: spec-guard command not found.");
  });

  it('a cancelled run that requires guardrails stays cancelled', async () => {
    const config = { pipelines: [{ id: 'p', title: 'Gate', guardrailsRequired: true, stages: [command('a')] }] };
    const { code, manifest } = await run(config, { 'p/a': { ms: 5_000 } }, ['start', 'p'], [{ at_ms: 1_000, signal: 'SIGINT' }]);
    expect(code).toBe(130);
    expect([manifest.status, manifest.status_detail]).toEqual(['cancelled', 'cancelled:SIGINT']);
  });

  it('a child run that fails its required guardrails: the parent says failed (pipeline-failed)', async () => {
    const config = {
      pipelines: [
        { id: 'p', title: 'P', stages: [{ kind: 'subpipeline', id: 'gate', title: 'Gate', pipeline: 'g' }] },
        { id: 'g', title: 'Gated', guardrailsRequired: true, stages: [command('a')] },
      ],
    };
    const { code, manifest } = await run(config, {}, ['start', 'p']);
    expect(code).toBe(1);
    expect(manifest.commands[0]).toMatchObject({ status: 'failed', summary: "Subpipeline 'Gated' failed (pipeline-failed)." });
    expect(manifest.child_runs.map((c) => c.status)).toEqual(['failed']);
  });
});

describe('files around the run', () => {
  it('a run-summary.json that cannot be written fails the run (phase 3: evidence is never lost silently)', async () => {
    const { code, runtime, manifest, runDir } = await run(three, {}, ['start', 'p'], [], (rt) => {
      const writeAtomicStream = rt.fs.writeAtomicStream.bind(rt.fs);
      rt.fs.writeAtomicStream = async (path, pieces) => {
        if (path.endsWith('/run-summary.json')) throw new Error('EROFS: read-only file system');
        return writeAtomicStream(path, pieces);
      };
    });
    expect(code).toBe(1);
    expect(manifest).toMatchObject({ status: 'failed', status_detail: 'evidence:run-summary.json:not-written', run_summary_path: null });
    // The run's own summary lines first, then why the evidence is missing.
    expect(manifest.summary!.split('\n')).toEqual([
      expect.stringMatching(/^Guardrails: /),
      'run-summary.json could not be written: EROFS: read-only file system',
    ]);
    expect(manifest.commands.map((c) => c.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    // One line naming the file (its full path since issue 16, item 4) and the error.
    expect(runtime.stderr.text()).toContain(`codex-orchestrator: could not write ${runDir}/run-summary.json: EROFS: read-only file system\n`);
  });

  it('hashes the instruction files that exist, in their order', async () => {
    const { manifest } = await run(three, {}, ['start', 'p'], [], (rt) => {
      rt.fs.seedFile(`${ROOT}/AGENTS.md`, 'top\n');
      rt.fs.seedFile(`${ROOT}/.agent/AGENTS.md`, 'agent\n');
    });
    expect(manifest.instructions_sources).toEqual(['AGENTS.md', '.agent/AGENTS.md']);
    expect(manifest.instructions_hash).toBe(createHash('sha256').update('top\n').update('agent\n').digest('hex'));
    const docs = await run(three, {}, ['start', 'p'], [], (rt) => rt.fs.seedFile(`${ROOT}/docs/AGENTS.md`, 'docs\n'));
    expect(docs.manifest.instructions_sources).toEqual(['docs/AGENTS.md']);
    expect(docs.manifest.instructions_hash).toBe(createHash('sha256').update('docs\n').digest('hex'));
    const none = await run(three, {}, ['start', 'p']);
    expect([none.manifest.instructions_hash, none.manifest.instructions_sources]).toEqual([null, []]);
  });

  it('reports the first failed background write once, however many fail', async () => {
    const { runtime } = await run(three, { 'p/a': { ms: 21_000 } }, ['start', 'p'], [], (rt) => {
      const writeAtomic = rt.fs.writeAtomic.bind(rt.fs);
      let heartbeats = 0;
      rt.fs.writeAtomic = async (path, data) => {
        if (path.endsWith('/.heartbeat') && ++heartbeats > 1) throw new Error(`EIO: write ${heartbeats}`);
        return writeAtomic(path, data);
      };
    });
    const notes = runtime.stderr
      .text()
      .split('\n')
      .filter((line) => line.includes('a background write of run'));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/^codex-orchestrator: a background write of run \S+ failed: EIO: write 2$/);
  });

  it('the error file keeps the last 8 KiB of stderr and says it was cut', async () => {
    const stderr = `${'x'.repeat(9_000)}\nlast line\n`;
    const { runtime, manifest } = await run(three, { 'p/a': { stderr, exit: { exitCode: 2, signal: null } } }, ['start', 'p']);
    const errorFile = JSON.parse(runtime.fs.files().get(`${ROOT}/${manifest.commands[0]!.error_file}`)!.toString('utf8')) as {
      details: { exit_code: number; stderr: string; stderr_truncated?: boolean };
    };
    expect(errorFile.details.exit_code).toBe(2);
    expect(errorFile.details.stderr_truncated).toBe(true);
    // '…' and the last 8 KiB.
    expect(errorFile.details.stderr).toBe(`…${stderr.slice(-8 * 1024)}`);
  });
});

describe('subpipelines', () => {
  const withChild = (optional: boolean) => ({
    pipelines: [
      { id: 'p', title: 'P', stages: [command('a'), { kind: 'subpipeline', id: 'checks', title: 'Checks', pipeline: 'c', optional }] },
      { id: 'c', title: 'Child', stages: [command('unit')] },
    ],
  });

  /** The child run's directory cannot be made: armed once stage `a` starts. */
  const childCannotStart = (scripts: Record<string, Script>) => (rt: VirtualRuntime) => {
    let armed = false;
    scripts['p/a'] = { onStart: () => (armed = true) };
    const mkdirp = rt.fs.mkdirp.bind(rt.fs);
    rt.fs.mkdirp = async (path) => {
      if (armed) throw new Error('EACCES: permission denied');
      return mkdirp(path);
    };
  };

  // Issue 16, item 4: a child run that cannot be written is the orchestrator's failure (until
  // then an "Execution error" of the stage, and an optional subpipeline was skipped).
  for (const optional of [false, true]) {
    it(`${optional ? 'an optional' : 'a required'} subpipeline whose child run cannot be created: stopped by the orchestrator, the run fails`, async () => {
      const scripts: Record<string, Script> = {};
      const { code, manifest, runtime } = await run(withChild(optional), scripts, ['start', 'p'], [], childCannotStart(scripts));
      expect(code).toBe(1);
      const child = /^\.runs\/0101\/cli\/[^/]+$/;
      expect(manifest.status).toBe('failed');
      expect(manifest.status_detail).toMatch(/^evidence:\.runs\/0101\/cli\/[^/]+:not-written$/);
      expect(manifest.status_detail!.slice('evidence:'.length, -':not-written'.length)).toMatch(child);
      expect(manifest.commands[1]).toMatchObject({
        status: 'failed',
        summary: expect.stringMatching(/^Stopped by the orchestrator: \.runs\/0101\/cli\/[^/]+ could not be written: EACCES: permission denied$/),
      });
      expect(manifest.summary).toMatch(
        /^Subpipeline 'Checks' was stopped: \.runs\/0101\/cli\/[^/]+ could not be written: EACCES: permission denied\.\nGuardrails: /,
      );
      expect(runtime.stderr.text()).toContain('[p 2/2] checks stopped (0.0s)\n');
      expect(runtime.stderr.text()).toMatch(
        /^codex-orchestrator: could not create directory \/repo\/\.runs\/0101\/cli\/[^/]+: EACCES: permission denied$/m,
      );
    });
  }

  it('an optional subpipeline whose child cannot run its stage after a signal: skipped, then the run is cancelled', async () => {
    const { code, manifest } = await run(
      withChild(true),
      { 'c/unit': { ms: 5_000, throws: 'spawn EAGAIN' } },
      ['start', 'p'],
      [{ at_ms: 1_000, signal: 'SIGINT' }],
    );
    expect(code).toBe(130);
    expect(manifest.commands[1]).toMatchObject({ status: 'skipped', summary: "Subpipeline 'Child' failed (stage:unit:error)." });
    expect(manifest.summary).toBe(
      "Optional subpipeline 'Child' failed; continuing.\nRun cancelled by SIGINT.\nGuardrails: spec-guard command not found.",
    );
  });

  it('an optional subpipeline cancelled by a signal is failed, not skipped, and the run is cancelled', async () => {
    const { code, manifest, runtime } = await run(withChild(true), { 'c/unit': { ms: 5_000 } }, ['start', 'p'], [{ at_ms: 1_000, signal: 'SIGINT' }]);
    expect(code).toBe(130);
    expect([manifest.status, manifest.status_detail]).toEqual(['cancelled', 'cancelled:SIGINT']);
    expect(manifest.commands[1]).toMatchObject({ status: 'failed', summary: "Subpipeline 'Child' cancelled (cancelled:SIGINT)." });
    expect(manifest.child_runs.map((c) => c.status)).toEqual(['cancelled']);
    expect(manifest.summary).toBe('Run cancelled by SIGINT.\nGuardrails: spec-guard command not found.');
    expect(runtime.stderr.text()).toMatch(/\[p 2\/2\] checks cancelled \(5\.0s\)\n/);
  });
});

describe('exec', () => {
  it('--json when the command cannot run: the error and the time it took, no exit code', async () => {
    const log: string[] = [];
    const runtime = createVirtualRuntime({ startMs: T0, seed: 12, cwd: ROOT, executor: (clock) => scripted(clock, {}, log) });
    runtime.clock.setNow(T0 + 250);
    const code = await driveToCompletion(runtime, () => runCli(['exec', '--json', '--cwd', 'missing', '--', 'true'], runtime));
    expect(code).toBe(1);
    expect(log).toEqual([]);
    const doc = JSON.parse(runtime.stdout.text()) as Record<string, unknown>;
    expect(doc).toMatchObject({
      status: 'failed',
      exit_code: null,
      signal: null,
      duration_ms: 0,
      stdout: '',
      stderr: 'working directory does not exist: /repo/missing',
    });
  });
});
