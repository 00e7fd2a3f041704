// Issue 18 item 2, spec 0012: a stage marked `"always": true` runs even after an earlier stage
// failed (the lane's review stage, so a red lane still leaves its packet). The stages between
// stay pending, the run keeps the first failure's detail, an always stage's own failure
// counts like any stage's, a cancelled run runs no always stage, and a resume runs the always
// stages after the first stage it reruns again.
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.js';
import type { Manifest } from '../../src/manifest/schema.js';
import type { Executor, SignalName } from '../../src/runtime/types.js';
import type { VirtualClock } from '../../src/runtime/virtual-clock.js';
import { createVirtualRuntime, driveToCompletion, type ScheduledSignal, type VirtualRuntime } from '../../src/runtime/virtual-runtime.js';

const ROOT = '/repo';
const T0 = Date.parse('2026-12-01T06:00:00.000Z');

/** Each stage exits with the next code queued for it (0 when none is left) after 10 ms, printing `<id> says <code>`. */
function scripted(clock: VirtualClock, exits: Record<string, number[]>, log: string[]): Executor {
  return {
    start(request, onChunk) {
      log.push(`start ${request.stageKey}`);
      const code = exits[request.stageKey]?.shift() ?? 0;
      const done = (async () => {
        await onChunk({ stream: 'stdout', data: Buffer.from(`${request.stageKey} says ${code}\n`) });
        await new Promise<void>((resolve) => clock.setTimeout(resolve, 10));
        return { exitCode: code, signal: null };
      })();
      return { done, cancel: (signal: SignalName) => log.push(`cancel ${request.stageKey} ${signal}`) };
    },
  };
}

const stage = (id: string, extra: object = {}) => ({ kind: 'command', id, title: id.toUpperCase(), command: `run ${id}`, ...extra });
const CONFIG = {
  pipelines: [{ id: 'p', title: 'P', stages: [stage('build'), stage('test'), stage('docs'), stage('review', { always: true })] }],
};

type World = { runtime: VirtualRuntime; log: string[]; code: number; manifest: () => Manifest; runId: string };

async function start(exits: Record<string, number[]>, argv: string[] = ['--format', 'json'], signals: ScheduledSignal[] = []): Promise<World> {
  const log: string[] = [];
  const runtime = createVirtualRuntime({ startMs: T0, seed: 7, cwd: ROOT, executor: (clock) => scripted(clock, exits, log) });
  runtime.fs.seedFile(`${ROOT}/codex.orchestrator.json`, JSON.stringify(CONFIG));
  const code = await driveToCompletion(runtime, () => runCli(['start', 'p', ...argv], runtime), signals);
  const out = runtime.stdout.text();
  const runId = argv.includes('json') ? (JSON.parse(out) as { run_id: string }).run_id : /^Run (\S+) /.exec(out)![1]!;
  const manifest = () => {
    const path = [...runtime.fs.files().keys()].find((p) => p.endsWith(`/cli/${runId}/manifest.json`))!;
    return JSON.parse(runtime.fs.files().get(path)!.toString('utf8')) as Manifest;
  };
  return { runtime, log, code, manifest, runId };
}

describe('"always": true', () => {
  it('runs after an earlier stage failed; the stages between stay pending and the run keeps the first failure', async () => {
    const w = await start({ 'p/test': [1] });
    expect(w.code).toBe(1);
    expect(w.log).toEqual(['start p/build', 'start p/test', 'start p/review']);
    const m = w.manifest();
    expect(m.commands.map((c) => c.status)).toEqual(['succeeded', 'failed', 'pending', 'succeeded']);
    expect([m.status, m.status_detail]).toEqual(['failed', 'stage:test:failed']);
    expect(m.commands[3]!.summary).toBe('p/review says 0');
  });

  it('an always stage that fails after a failure is recorded failed; the run keeps the first failure', async () => {
    const w = await start({ 'p/test': [1], 'p/review': [3] });
    expect(w.code).toBe(1);
    const m = w.manifest();
    expect(m.commands.map((c) => c.status)).toEqual(['succeeded', 'failed', 'pending', 'failed']);
    expect(m.status_detail).toBe('stage:test:failed');
    expect(m.summary!.split('\n')).toEqual(
      expect.arrayContaining(["Stage 'TEST' failed with exit code 1.", "Stage 'REVIEW' failed with exit code 3."]),
    );
  });

  it('an always stage that fails in a green run fails it, like any stage', async () => {
    const w = await start({ 'p/review': [3] });
    expect(w.code).toBe(1);
    expect(w.log).toEqual(['start p/build', 'start p/test', 'start p/docs', 'start p/review']);
    expect([w.manifest().status, w.manifest().status_detail]).toEqual(['failed', 'stage:review:failed']);
  });

  it('a cancelled run runs no always stage', async () => {
    const w = await start({}, ['--format', 'json'], [{ at_ms: 5, signal: 'SIGTERM' }]);
    expect(w.code).toBe(143);
    expect(w.log).toEqual(['start p/build', 'cancel p/build SIGTERM']);
    expect(w.manifest().commands.map((c) => c.status)).toEqual(['succeeded', 'pending', 'pending', 'pending']);
  });

  it('a signal during an always stage that runs after a failure stops it; the run stays failed', async () => {
    // build 0-10 ms, test 10-20 ms (fails), review from 20 ms: the signal arrives during review.
    const w = await start({ 'p/test': [1] }, ['--format', 'json'], [{ at_ms: 25, signal: 'SIGINT' }]);
    expect(w.log).toEqual(['start p/build', 'start p/test', 'start p/review', 'cancel p/review SIGINT']);
    expect(w.code).toBe(1);
    expect([w.manifest().status, w.manifest().status_detail]).toEqual(['failed', 'stage:test:failed']);
  });

  it('a resume reruns the failed stage, the ones after it and the always stage that already ran', async () => {
    const w = await start({ 'p/test': [1] });
    expect(w.manifest().commands[3]!.status).toBe('succeeded');
    const code = await driveToCompletion(w.runtime, () => runCli(['resume', '--run', w.runId, '--format', 'json'], w.runtime));
    expect(code).toBe(0);
    expect(w.log.slice(3)).toEqual(['start p/test', 'start p/docs', 'start p/review']);
    expect(w.manifest().commands.map((c) => c.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
  });

  it('text mode ends with the summary of each always stage that ran after the failure', async () => {
    const w = await start({ 'p/test': [1] }, []);
    const lines = w.runtime.stdout.text().trimEnd().split('\n');
    expect(lines.at(-1)).toBe('  review: p/review says 0');
  });
});
