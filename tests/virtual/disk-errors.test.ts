// Issue 16, item 4: a full disk, an I/O error or a read-only directory is stated, not thrown.
// Faults are injected through the file-sink seam (a write of a given path fails with ENOSPC,
// EIO or EROFS, as the real sink reports them); tests/integration/disk-full.test.ts does the
// same on a real small tmpfs where mounting is permitted.
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.js';
import type { Manifest } from '../../src/manifest/schema.js';
import type { ExecResult, Executor, SignalName } from '../../src/runtime/types.js';
import type { VirtualClock } from '../../src/runtime/virtual-clock.js';
import { createVirtualRuntime, driveToCompletion, type VirtualRuntime } from '../../src/runtime/virtual-runtime.js';

/** Expected failures on the code before the change (tests first, with `it.fails`); flipped by the change. */
const fixed = it;

const ROOT = '/repo';
const T0 = Date.parse('2026-10-01T08:00:00.000Z');

type Script = { ms?: number; exit?: ExecResult; stdout?: string[] };

/** Each stage prints its `stdout` chunks, then exits after `ms` of virtual time. */
function scripted(clock: VirtualClock, scripts: Record<string, Script>, log: string[]): Executor {
  return {
    start(request, onChunk) {
      log.push(`start ${request.stageKey}`);
      const script = scripts[request.stageKey] ?? {};
      const done = (async () => {
        for (const text of script.stdout ?? []) await onChunk({ stream: 'stdout', data: Buffer.from(text) });
        await new Promise<void>((resolve) => clock.setTimeout(resolve, script.ms ?? 10));
        return script.exit ?? { exitCode: 0, signal: null };
      })();
      return { done, cancel: (signal: SignalName) => log.push(`cancel ${request.stageKey} ${signal}`) };
    },
  };
}

/** An error as the real file system reports it: a code, and Node's message (`CODE: meaning, syscall 'path'`). */
function fsError(code: string, meaning: string, syscall = 'write', path?: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${meaning}, ${syscall}${path === undefined ? '' : ` '${path}'`}`), { code, syscall });
}

const enospc = () => fsError('ENOSPC', 'no space left on device');
const eio = () => fsError('EIO', 'i/o error');
const erofs = (path: string) => fsError('EROFS', 'read-only file system', 'open', path);

type Fault = { op: 'append' | 'writeAtomic' | 'writeAtomicStream' | 'mkdirp'; when: (path: string) => boolean; error: (path: string) => Error };

/** The runtime's sink with `faults`: each matching write rejects (while `active()` says so). */
function inject(rt: VirtualRuntime, faults: Fault[], active: () => boolean = () => true): void {
  const fs = rt.fs;
  const original = {
    append: fs.append.bind(fs),
    writeAtomic: fs.writeAtomic.bind(fs),
    writeAtomicStream: fs.writeAtomicStream.bind(fs),
    mkdirp: fs.mkdirp.bind(fs),
  };
  const failing = (op: Fault['op'], path: string) => (active() ? faults.find((f) => f.op === op && f.when(path)) : undefined);
  fs.append = async (path, data) => {
    const fault = failing('append', path);
    if (fault) throw fault.error(path);
    return original.append(path, data);
  };
  fs.writeAtomic = async (path, data, options) => {
    const fault = failing('writeAtomic', path);
    if (fault) throw fault.error(path);
    return original.writeAtomic(path, data, options);
  };
  fs.writeAtomicStream = async (path, pieces) => {
    const fault = failing('writeAtomicStream', path);
    if (fault) throw fault.error(path);
    return original.writeAtomicStream(path, pieces);
  };
  fs.mkdirp = async (path) => {
    const fault = failing('mkdirp', path);
    if (fault) throw fault.error(path);
    return original.mkdirp(path);
  };
}

const command = (id: string) => ({ kind: 'command', id, title: id.toUpperCase(), command: `run ${id}` });
const TWO = { pipelines: [{ id: 'p', title: 'P', stages: [command('a'), command('b')] }] };

type World = { runtime: VirtualRuntime; log: string[] };

function world(config: object, scripts: Record<string, Script> = { 'p/a': { stdout: ['one\n', 'two\n'] } }): World {
  const log: string[] = [];
  const runtime = createVirtualRuntime({ startMs: T0, seed: 21, cwd: ROOT, executor: (clock) => scripted(clock, scripts, log) });
  runtime.fs.seedFile(`${ROOT}/codex.orchestrator.json`, JSON.stringify(config));
  return { runtime, log };
}

type Invocation = { code: number; stdout: string; stderr: string };

/** One CLI invocation on the world's runtime (fresh captured output each time). */
async function invoke(w: World, argv: string[]): Promise<Invocation> {
  const rt = w.runtime;
  const before = { stdout: rt.stdout.text().length, stderr: rt.stderr.text().length };
  const code = await driveToCompletion(rt, () => runCli(argv, rt));
  return { code, stdout: rt.stdout.text().slice(before.stdout), stderr: rt.stderr.text().slice(before.stderr) };
}

const RUN_DIR_RE = /^\/repo\/\.runs\/0101\/cli\/[^/]+$/;

function runDir(w: World): string {
  const dirs = new Set([...w.runtime.fs.files().keys()].filter((p) => p.endsWith('/.resume-token')).map((p) => p.slice(0, -'/.resume-token'.length)));
  expect(dirs.size, 'runs').toBe(1);
  const dir = [...dirs][0]!;
  expect(dir).toMatch(RUN_DIR_RE);
  return dir;
}

function manifestOnDisk(w: World): Manifest {
  const text = w.runtime.fs.files().get(`${runDir(w)}/manifest.json`);
  expect(text, 'manifest.json on disk').toBeDefined();
  return JSON.parse(text!.toString('utf8')) as Manifest;
}

/** The CLI's own message lines on stderr (not the progress lines: "[p 1/2] …", "started run …"). */
function messageLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('codex-orchestrator:') && !/: (started|resuming) run /.test(line));
}

describe('a write of the run that fails (issue 16, item 4)', () => {
  fixed('ENOSPC on the stage log: one line naming the file, the JSON document, the manifest says what failed; resume finishes the run', async () => {
    const w = world(TWO);
    let appends = 0;
    // The third append to the stage's own log (command:start, exec:begin, then the first chunk) finds the disk full.
    inject(w.runtime, [{ op: 'append', when: (p) => p.endsWith('/commands/01-a.ndjson') && ++appends === 3, error: enospc }]);
    const start = await invoke(w, ['start', 'p', '--format', 'json']);
    const dir = runDir(w);
    const line = `could not write ${dir}/commands/01-a.ndjson: ENOSPC: no space left on device`;
    expect(start.code).toBe(1);
    expect(messageLines(start.stderr)).toEqual([`codex-orchestrator: ${line}`]);
    expect(start.stderr).not.toContain('internal error');
    const doc = JSON.parse(start.stdout) as Record<string, unknown>;
    expect(doc).toMatchObject({ status: 'failed', error: line });
    const manifest = manifestOnDisk(w);
    expect([manifest.status, manifest.status_detail]).toEqual(['failed', 'evidence:commands/01-a.ndjson:not-written']);
    expect(manifest.commands.map((c) => [c.status, c.summary])).toEqual([
      ['failed', 'Stopped by the orchestrator: commands/01-a.ndjson could not be written: ENOSPC: no space left on device'],
      ['pending', null],
    ]);
    expect(manifest.summary).toBe(
      "Stage 'A' was stopped: commands/01-a.ndjson could not be written: ENOSPC: no space left on device.\nGuardrails: spec-guard command not found.",
    );
    expect(w.log).toEqual(['start p/a']);
    expect(w.runtime.clock.pendingTimers(), 'timers left when the CLI returned').toBe(0);

    // There is room again (the fault fired once): resume reruns the stopped stage and the next one.
    const resume = await invoke(w, ['resume', '--run', manifest.run_id, '--format', 'json']);
    expect(resume.code, resume.stderr).toBe(0);
    expect(JSON.parse(resume.stdout)).toMatchObject({ status: 'succeeded' });
    expect(manifestOnDisk(w).commands.map((c) => c.status)).toEqual(['succeeded', 'succeeded']);
    expect(w.log).toEqual(['start p/a', 'start p/a', 'start p/b']);
  });

  fixed("an append of runner.ndjson that fails is the orchestrator's failure, never the stage's own Execution error", async () => {
    const w = world(TWO);
    let appends = 0;
    inject(w.runtime, [{ op: 'append', when: (p) => p.endsWith('/runner.ndjson') && ++appends === 3, error: eio }]);
    const start = await invoke(w, ['start', 'p']);
    expect(start.code).toBe(1);
    const manifest = manifestOnDisk(w);
    expect(manifest.commands[0]!.summary).not.toMatch(/^Execution error/);
    expect(manifest.commands[0]).toMatchObject({ status: 'failed', error_file: null });
    expect(manifest.status_detail).toBe('evidence:runner.ndjson:not-written');
    expect(messageLines(start.stderr)).toEqual([`codex-orchestrator: could not write ${runDir(w)}/runner.ndjson: EIO: i/o error`]);
    // Text mode: the run's verdict on stdout says what failed.
    expect(start.stdout.split('\n')[0]).toBe(`Run ${manifest.run_id} failed (evidence:runner.ndjson:not-written).`);
  });

  fixed('the disk stays full: the last manifest written stays on disk, one line says so, the document is printed, the CLI returns', async () => {
    const w = world(TWO);
    let full = false;
    let appends = 0;
    const all = () => true;
    inject(
      w.runtime,
      [
        { op: 'append', when: all, error: enospc },
        { op: 'writeAtomic', when: all, error: enospc },
        { op: 'writeAtomicStream', when: all, error: enospc },
        { op: 'mkdirp', when: all, error: enospc },
      ],
      () => full,
    );
    const append = w.runtime.fs.append;
    let fullAt = 0;
    w.runtime.fs.append = (path, data) => {
      if (path.endsWith('/commands/01-a.ndjson') && ++appends === 3) {
        full = true;
        fullAt = w.runtime.clock.now();
      }
      return append(path, data);
    };
    const start = await invoke(w, ['start', 'p', '--format', 'json']);
    const dir = runDir(w);
    expect(start.code).toBe(1);
    const line = `could not write ${dir}/commands/01-a.ndjson: ENOSPC: no space left on device; the manifest could not be updated either: it still says in_progress`;
    expect(messageLines(start.stderr)).toEqual([`codex-orchestrator: ${line}`]);
    expect(JSON.parse(start.stdout)).toMatchObject({ status: 'failed', error: line });
    // The last manifest that landed, whole: the stage's start.
    const manifest = manifestOnDisk(w);
    expect([manifest.status, manifest.commands.map((c) => c.status)]).toEqual(['in_progress', ['running', 'pending']]);
    expect(w.runtime.clock.pendingTimers(), 'timers left when the CLI returned').toBe(0);
    // The manifest's last state is tried 6 times, 250 ms doubling: the CLI returns 7.75 s after the disk filled up.
    expect(w.runtime.clock.now() - fullAt).toBe(250 + 500 + 1_000 + 2_000 + 4_000);

    // Its process gave the run up when it returned (no .owner is left): once there is room,
    // resume finishes the run at once, with the heartbeat still fresh.
    expect(w.runtime.fs.files().has(`${ROOT}/${manifest.artifact_root}/.owner`), 'the run was given up').toBe(false);
    full = false;
    const resume = await invoke(w, ['resume', '--run', manifest.run_id, '--format', 'json']);
    expect(resume.code, resume.stderr).toBe(0);
    expect(manifestOnDisk(w).commands.map((c) => c.status)).toEqual(['succeeded', 'succeeded']);
  });

  fixed('the manifest alone cannot be written at the end (EIO): the run fails, one line names it and what it still says', async () => {
    const w = world(TWO);
    let ended = false;
    inject(w.runtime, [{ op: 'writeAtomic', when: (p) => p.endsWith('/manifest.json') && !p.includes('/mcp/'), error: eio }], () => ended);
    w.runtime.fs.observe((landed) => {
      if (
        landed.path.endsWith('/runner.ndjson') &&
        landed.data?.toString('utf8').includes('"command:end"') &&
        landed.data.toString('utf8').includes('"index":2')
      )
        ended = true;
    });
    const start = await invoke(w, ['start', 'p', '--format', 'json']);
    expect(start.code).toBe(1);
    const line = `could not write ${runDir(w)}/manifest.json: EIO: i/o error; it still says in_progress`;
    expect(messageLines(start.stderr)).toEqual([`codex-orchestrator: ${line}`]);
    expect(JSON.parse(start.stdout)).toMatchObject({ status: 'failed', error: line });
    expect(manifestOnDisk(w).status).toBe('in_progress');
    expect(w.runtime.clock.pendingTimers()).toBe(0);
  });

  fixed('a read-only output directory: the exit code and the manifest give the same verdict', async () => {
    const w = world(TWO);
    inject(w.runtime, [{ op: 'writeAtomic', when: (p) => p === `${ROOT}/out/0101/state.json`, error: erofs }]);
    const start = await invoke(w, ['start', 'p', '--format', 'json']);
    expect(start.code).toBe(1);
    const line = `could not write ${ROOT}/out/0101/state.json: EROFS: read-only file system`;
    expect(messageLines(start.stderr)).toEqual([`codex-orchestrator: ${line}`]);
    expect(JSON.parse(start.stdout)).toMatchObject({ status: 'failed', error: line });
    const manifest = manifestOnDisk(w);
    expect([manifest.status, manifest.status_detail]).toEqual(['failed', 'evidence:out/0101/state.json:not-written']);
    expect(manifest.commands.map((c) => c.status)).toEqual(['succeeded', 'succeeded']);
    expect(manifest.summary!.split('\n')).toContain('out/0101/state.json could not be written: EROFS: read-only file system');
  });

  fixed('a read-only runs directory: one line saying so (no "internal error"), and the JSON document all the same', async () => {
    const w = world(TWO);
    inject(w.runtime, [
      { op: 'mkdirp', when: (p) => p.startsWith(`${ROOT}/.runs/`), error: (p) => fsError('EROFS', 'read-only file system', 'mkdir', p) },
    ]);
    const start = await invoke(w, ['start', 'p', '--format', 'json']);
    expect(start.code).toBe(1);
    const doc = JSON.parse(start.stdout) as { run_id: string; status: string; manifest: string | null; error: string };
    const line = `could not create directory ${ROOT}/.runs/0101/cli/${doc.run_id}: EROFS: read-only file system`;
    expect(messageLines(start.stderr)).toEqual([`codex-orchestrator: ${line}`]);
    expect(doc).toMatchObject({ status: 'failed', manifest: null, error: line });
    expect(w.log).toEqual([]);
  });

  fixed("exec: a log write that fails exits 1 whatever the command's own exit code", async () => {
    const log: string[] = [];
    const runtime = createVirtualRuntime({
      startMs: T0,
      seed: 22,
      cwd: ROOT,
      executor: (clock) => scripted(clock, { 'exec/exec': { stdout: ['hello\n'] } }, log),
    });
    const w = { runtime, log };
    inject(runtime, [{ op: 'append', when: (p) => p.endsWith('/runner.ndjson'), error: enospc }], () => log.length > 0);
    const result = await invoke(w, ['exec', '--json', '--', 'echo', 'hello']);
    expect(result.code).toBe(1);
    const doc = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(doc).toMatchObject({ status: 'failed', error: `could not write ${runDir(w)}/runner.ndjson: ENOSPC: no space left on device` });
    expect(manifestOnDisk(w).status_detail).toBe('evidence:runner.ndjson:not-written');
  });

  fixed('a subpipeline whose stage log cannot be written ends the parent run too, even when it is optional', async () => {
    const config = {
      pipelines: [
        { id: 'p', title: 'P', stages: [{ kind: 'subpipeline', id: 'checks', title: 'Checks', pipeline: 'c', optional: true }, command('after')] },
        { id: 'c', title: 'Child', stages: [command('unit')] },
      ],
    };
    const w = world(config, { 'c/unit': { stdout: ['x\n'] } });
    inject(w.runtime, [{ op: 'append', when: (p) => p.endsWith('/commands/01-unit.ndjson'), error: enospc }], () => w.log.length > 0);
    const start = await invoke(w, ['start', 'p', '--format', 'json']);
    expect(start.code).toBe(1);
    expect(w.log).toEqual(['start c/unit']);
    const doc = JSON.parse(start.stdout) as { status: string; manifest: string; error: string };
    expect(doc.status).toBe('failed');
    expect(doc.error).toMatch(/^could not write \/repo\/\.runs\/0101\/cli\/[^/]+\/commands\/01-unit\.ndjson: ENOSPC: no space left on device$/);
    expect(messageLines(start.stderr)).toEqual([`codex-orchestrator: ${doc.error}`]);
    const parent = JSON.parse(w.runtime.fs.files().get(`${ROOT}/${doc.manifest}`)!.toString('utf8')) as Manifest;
    expect([parent.status, parent.status_detail]).toEqual(['failed', 'subpipeline:c:failed']);
    expect(parent.commands.map((c) => [c.status, c.summary])).toEqual([
      ['failed', "Subpipeline 'Child' failed (evidence:commands/01-unit.ndjson:not-written)."],
      ['pending', null],
    ]);
  });

  fixed(
    'a log write that fails after the stage exited: the stage is recorded as it ended, the run fails; resume goes on from the next stage',
    async () => {
      const w = world(TWO);
      let ended = false;
      inject(w.runtime, [{ op: 'append', when: (p) => p.endsWith('/commands/01-a.ndjson'), error: enospc }], () => ended);
      w.runtime.fs.observe((landed) => {
        if (landed.path.endsWith('/runner.ndjson') && landed.data?.toString('utf8').includes('"exec:end"')) ended = true;
      });
      const start = await invoke(w, ['start', 'p', '--format', 'json']);
      expect(start.code).toBe(1);
      const manifest = manifestOnDisk(w);
      expect([manifest.status, manifest.status_detail]).toEqual(['failed', 'evidence:commands/01-a.ndjson:not-written']);
      expect(manifest.commands.map((c) => [c.status, c.exit_code, c.summary])).toEqual([
        ['succeeded', 0, 'two'],
        ['pending', null, null],
      ]);
      expect(manifest.summary!.split('\n')[0]).toBe(
        "Stage 'A' succeeded, but commands/01-a.ndjson could not be written: ENOSPC: no space left on device.",
      );
      expect(messageLines(start.stderr)).toEqual([
        `codex-orchestrator: could not write ${runDir(w)}/commands/01-a.ndjson: ENOSPC: no space left on device`,
      ]);
      ended = false;
      const resume = await invoke(w, ['resume', '--run', manifest.run_id]);
      expect(resume.code, resume.stderr).toBe(0);
      expect(w.log).toEqual(['start p/a', 'start p/b']);
    },
  );

  fixed('a run-summary.json that cannot be written either: the status detail keeps the first file that failed, the summary names both', async () => {
    const w = world(TWO);
    let appends = 0;
    inject(w.runtime, [
      { op: 'append', when: (p) => p.endsWith('/commands/01-a.ndjson') && ++appends === 3, error: enospc },
      { op: 'writeAtomicStream', when: (p) => p.endsWith('/run-summary.json'), error: enospc },
    ]);
    const start = await invoke(w, ['start', 'p', '--format', 'json']);
    expect(start.code).toBe(1);
    const manifest = manifestOnDisk(w);
    expect(manifest.status_detail).toBe('evidence:commands/01-a.ndjson:not-written');
    expect(manifest.summary!.split('\n')).toEqual([
      "Stage 'A' was stopped: commands/01-a.ndjson could not be written: ENOSPC: no space left on device.",
      'Guardrails: spec-guard command not found.',
      'run-summary.json could not be written: ENOSPC: no space left on device',
    ]);
    expect(messageLines(start.stderr)).toEqual([
      `codex-orchestrator: could not write ${runDir(w)}/commands/01-a.ndjson: ENOSPC: no space left on device`,
    ]);
  });

  fixed('a resume whose first write fails: one line, the manifest on disk as it was, nothing left pending', async () => {
    const w = world(TWO, { 'p/a': { exit: { exitCode: 3, signal: null } } });
    const start = await invoke(w, ['start', 'p']);
    expect(start.code).toBe(1);
    const before = w.runtime.fs.files().get(`${runDir(w)}/manifest.json`)!;
    inject(w.runtime, [{ op: 'append', when: (p) => p.endsWith('/runner.ndjson'), error: enospc }]);
    const resume = await invoke(w, ['resume', '--run', manifestOnDisk(w).run_id]);
    expect(resume.code).toBe(1);
    expect(messageLines(resume.stderr)).toEqual(['codex-orchestrator: ENOSPC: no space left on device, write']);
    expect(w.runtime.clock.pendingTimers(), 'timers left when the CLI returned').toBe(0);
    expect(w.runtime.fs.files().get(`${runDir(w)}/manifest.json`)).toEqual(before);
    expect(w.log).toEqual(['start p/a']);
    // The failed stage's error file, which that manifest names, is still where it says.
    expect(manifestOnDisk(w).commands[0]!.error_file).toMatch(/\/errors\/01-a\.json$/);
    expect(w.runtime.fs.files().has(`${runDir(w)}/errors/01-a.json`)).toBe(true);
  });

  it('a resume that cannot set aside the failed stage error file: one line naming it, nothing run, the manifest and the error file as they were', async () => {
    const w = world(TWO, { 'p/a': { exit: { exitCode: 3, signal: null } } });
    expect((await invoke(w, ['start', 'p'])).code).toBe(1);
    const dir = runDir(w);
    const before = new Map([...w.runtime.fs.files()].filter(([path]) => path.endsWith('/manifest.json') || path.includes('/errors/')));
    inject(w.runtime, [{ op: 'writeAtomic', when: (p) => p.endsWith('/errors/01-a.invocation-1.json'), error: enospc }]);
    const resume = await invoke(w, ['resume', '--run', manifestOnDisk(w).run_id]);
    expect(resume.code).toBe(1);
    expect(messageLines(resume.stderr)).toEqual([
      `codex-orchestrator: could not write ${dir}/errors/01-a.invocation-1.json: ENOSPC: no space left on device`,
    ]);
    expect(w.runtime.clock.pendingTimers(), 'timers left when the CLI returned').toBe(0);
    expect(new Map([...w.runtime.fs.files()].filter(([path]) => path.endsWith('/manifest.json') || path.includes('/errors/')))).toEqual(before);
    expect(w.log).toEqual(['start p/a']);
  });
});
