// A cloud stage that no worker takes: after CLOUD_WAIT_NOTICE_MS the run says so on stderr, once,
// and goes on waiting (a worker may come later); SIGINT still ends the run. On the virtual
// runtime: the queue is an executor that says the job is queued and, when told, has a worker
// take it at a virtual instant; time moves only on the virtual clock.
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.js';
import { CLOUD_WAIT_NOTICE_MS } from '../../src/run/command-stage.js';
import type { ExecResult, Executor } from '../../src/runtime/types.js';
import type { VirtualClock } from '../../src/runtime/virtual-clock.js';
import { createVirtualRuntime, driveToCompletion, type ScheduledSignal, type VirtualRuntime } from '../../src/runtime/virtual-runtime.js';
import { assertValidManifest } from '../helpers/manifest-schema.js';

const ROOT = '/repo';
const START = Date.parse('2026-01-02T03:04:05.000Z');
const ENV = { CODEX_ORCHESTRATOR_REDIS_URL: 'redis://redis.example:6379', CODEX_ORCHESTRATOR_CLOUD_QUEUE: 'lanes' };

const config = {
  pipelines: [
    {
      id: 'p',
      title: 'P',
      stages: [
        { kind: 'command', id: 'away', title: 'Away', command: 'make', executionMode: 'cloud' },
        { kind: 'command', id: 'here', title: 'Here', command: 'echo here' },
      ],
    },
  ],
};

/**
 * A queue on the virtual clock: a cloud stage is queued at once (`onQueued`), and taken by a
 * worker `takenAfterMs` later (never when null); a cancel takes a job still waiting off the queue,
 * as the dispatcher does. `fallback`: the stage runs here instead (Redis unreachable, policy
 * auto), for `fallback` ms, and is never queued. A local stage ends at once.
 */
function queue(takenAfterMs: number | null, fallback: number | null = null) {
  return (clock: VirtualClock): Executor => ({
    start(request, onChunk) {
      if (!request.dispatch) return { done: Promise.resolve({ exitCode: 0, signal: null }), cancel: () => undefined };
      let settle: (result: ExecResult) => void = () => undefined;
      const done = new Promise<ExecResult>((resolve) => (settle = resolve));
      if (fallback !== null) {
        clock.setTimeout(() => settle({ exitCode: 0, signal: null, placement: { where: 'here', reason: 'Redis unreachable; ran here' } }), fallback);
        return { done, cancel: (signal) => settle({ exitCode: null, signal }) };
      }
      request.onQueued?.();
      const taken =
        takenAfterMs === null
          ? null
          : clock.setTimeout(() => {
              void (async () => {
                await request.onAttempt?.({ attempt: 1, workerId: 'w-late', queuedMs: takenAfterMs });
                await onChunk({ stream: 'stdout', data: Buffer.from('ran\n') });
                settle({ exitCode: 0, signal: null });
              })();
            }, takenAfterMs);
      return {
        done,
        cancel: (signal) => {
          clock.clearTimeout(taken);
          settle({ exitCode: null, signal });
        },
      };
    },
  });
}

async function run(executor: (clock: VirtualClock) => Executor, signals: ScheduledSignal[] = [], env: Record<string, string> = ENV) {
  const runtime: VirtualRuntime = createVirtualRuntime({ startMs: START, seed: 3, cwd: ROOT, env, executor });
  runtime.fs.seedFile(`${ROOT}/codex.orchestrator.json`, JSON.stringify(config));
  const code = await driveToCompletion(runtime, () => runCli(['start', 'p', '--format', 'json'], runtime), signals);
  const doc = JSON.parse(runtime.stdout.text()) as { artifact_root: string };
  const manifest = JSON.parse(runtime.fs.files().get(`${ROOT}/${doc.artifact_root}/manifest.json`)!.toString('utf8'));
  assertValidManifest(manifest);
  const stderr = runtime.stderr.text();
  return { code, stderr, notices: stderr.split('\n').filter((line) => line.includes('no worker has taken it')), manifest, runtime };
}

const NOTICE =
  '[p 1/2] away is waiting: queued on lanes (Redis at redis.example:6379) for 10s, no worker has taken it yet; it runs once one does (start one with CODEX_ORCHESTRATOR_REDIS_URL set to that Redis: codex-orchestrator worker --root <checkout> --queue lanes)';

describe('a cloud stage no worker takes', () => {
  it('says so once on stderr after a while, keeps waiting, and SIGINT still cancels the run (130)', async () => {
    // Ten minutes of virtual time with no worker: heartbeats and every other timer fire meanwhile.
    const { code, notices, stderr, manifest } = await run(queue(null), [{ at_ms: 600_000, signal: 'SIGINT' }]);
    expect(notices).toEqual([NOTICE]);
    expect(code).toBe(130);
    expect(manifest.status).toBe('cancelled');
    expect(manifest.commands[0]).toMatchObject({ status: 'failed', exit_code: 130 });
    expect(manifest.commands[0].placement).toBeUndefined();
    // In order: the stage started, the notice, then its cancel.
    const lines = stderr.split('\n');
    expect(lines.findIndex((l) => l.startsWith('[p 1/2] away started'))).toBeLessThan(lines.indexOf(NOTICE));
    expect(lines.indexOf(NOTICE)).toBeLessThan(lines.findIndex((l) => l.startsWith('[p 1/2] away cancelled')));
  });

  it('does not fail the stage: a worker that comes later runs it, and the notice is not repeated', async () => {
    const { code, notices, manifest } = await run(queue(5 * CLOUD_WAIT_NOTICE_MS));
    expect(code).toBe(0);
    expect(notices).toEqual([NOTICE]);
    expect(manifest.commands.map((c: { status: string }) => c.status)).toEqual(['succeeded', 'succeeded']);
    expect(manifest.commands[0]).toMatchObject({ summary: 'ran', placement: { where: 'worker', worker_id: 'w-late', attempts: 1 } });
  });

  it('says nothing when a worker takes the stage in time, or when the stage runs here (Redis unreachable)', async () => {
    const taken = await run(queue(CLOUD_WAIT_NOTICE_MS - 1));
    expect(taken.code).toBe(0);
    expect(taken.notices).toEqual([]);
    const here = await run(queue(null, 5 * CLOUD_WAIT_NOTICE_MS));
    expect(here.code).toBe(0);
    expect(here.notices).toEqual([]);
  });
});

/**
 * A queue whose worker takes the job at once (attempt 1, w-1) and is lost `lostAfterMs` later
 * (the dispatcher's lock watch: `onWorkerLost`); `retakenAfterMs` after that (never when null) a
 * worker takes it back (attempt 2) and the stage succeeds. `staleLost`: a report for attempt 1
 * comes again after attempt 2 started (a late lock look).
 */
function lostWorker(lostAfterMs: number, retakenAfterMs: number | null, staleLost = false) {
  return (clock: VirtualClock): Executor => ({
    start(request, onChunk) {
      if (!request.dispatch) return { done: Promise.resolve({ exitCode: 0, signal: null }), cancel: () => undefined };
      let settle: (result: ExecResult) => void = () => undefined;
      const done = new Promise<ExecResult>((resolve) => (settle = resolve));
      const timers: Array<ReturnType<VirtualClock['setTimeout']>> = [];
      request.onQueued?.();
      void (async () => {
        await request.onAttempt?.({ attempt: 1, workerId: 'w-1', queuedMs: 0 });
        await onChunk({ stream: 'stdout', data: Buffer.from('first\n') });
        timers.push(
          clock.setTimeout(() => {
            request.onWorkerLost?.({ attempt: 1, workerId: 'w-1' });
            if (retakenAfterMs === null) return;
            timers.push(
              clock.setTimeout(() => {
                void (async () => {
                  await request.onAttempt?.({ attempt: 2, workerId: 'w-2', queuedMs: 3 });
                  if (staleLost) request.onWorkerLost?.({ attempt: 1, workerId: 'w-1' });
                  timers.push(
                    clock.setTimeout(async () => {
                      await onChunk({ stream: 'stdout', data: Buffer.from('second\n') });
                      settle({ exitCode: 0, signal: null });
                    }, 5 * CLOUD_WAIT_NOTICE_MS),
                  );
                })();
              }, retakenAfterMs),
            );
          }, lostAfterMs),
        );
      })();
      return {
        done,
        cancel: (signal) => {
          for (const timer of timers) clock.clearTimeout(timer);
          settle({ exitCode: null, signal });
        },
      };
    },
  });
}

const LOST_NOTICE =
  "[p 1/2] away is waiting: its worker w-1 stopped during attempt 1 (it no longer holds the job's lock) and for 10s no worker has taken the job back; a worker on lanes (Redis at redis.example:6379) takes it back at its next check for stalled jobs (every --lock-ms, 30 s by default) (start one with CODEX_ORCHESTRATOR_REDIS_URL set to that Redis: codex-orchestrator worker --root <checkout> --queue lanes)";

describe('a cloud stage whose worker was lost, no other worker running', () => {
  const lostNotices = (stderr: string) => stderr.split('\n').filter((line) => line.includes('stopped during attempt'));

  it('says so once, after a while, and keeps waiting; SIGINT still cancels the run (130)', async () => {
    const { code, stderr, manifest } = await run(lostWorker(30_000, null), [{ at_ms: 600_000, signal: 'SIGINT' }]);
    expect(lostNotices(stderr)).toEqual([LOST_NOTICE]);
    expect(code).toBe(130);
    expect(manifest.commands[0]).toMatchObject({ status: 'failed', exit_code: 130 });
    // Not the queued notice: a worker had taken the job.
    expect(stderr).not.toContain('no worker has taken it yet');
  });

  it('says nothing when a worker takes the job back in time, nor for a late report of an attempt already followed by another', async () => {
    const back = await run(lostWorker(30_000, CLOUD_WAIT_NOTICE_MS - 1, true));
    expect(back.code).toBe(0);
    expect(lostNotices(back.stderr)).toEqual([]);
    expect(back.manifest.commands[0]).toMatchObject({ status: 'succeeded', placement: { worker_id: 'w-2', attempts: 2 } });
  });

  it('a worker that comes after the notice runs the stage: the notice is not repeated', async () => {
    const late = await run(lostWorker(30_000, 3 * CLOUD_WAIT_NOTICE_MS));
    expect(late.code).toBe(0);
    expect(lostNotices(late.stderr)).toEqual([LOST_NOTICE]);
  });
});
