// A cloud worker: takes stage jobs off the queue and runs each with the spawn executor (its own
// process group, its cwd under the worker's root, the job's env overrides over the worker's own
// environment), writing its output to the stage's Redis stream, chunk by chunk, numbered. It
// never touches a run directory. Stopping (SIGTERM) closes the worker: a running stage finishes
// and its end is written before the worker exits. Each stage's process group has a guard that
// stops it when the worker dies outright (startStageGuard), so a lost worker leaves no stage
// running on its machine.
//
// Delivery is at least once: a worker that dies mid-stage stops renewing its job's lock, and
// after `lockMs` another worker's stalled check puts the job back on the queue, where a worker
// takes it as its next attempt. Each attempt starts with a `start` entry on the stage's stream
// (attempt, worker, how long it waited in the queue: since the job was added for the first, since
// BullMQ put it back on the queue for a later one). A job marked `idempotent: false` is not run a
// second time: it ends at once with an error that says why, and no attempt starts.
import { spawn } from 'node:child_process';
import { isAbsolute, relative, resolve } from 'node:path';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { isOrchestratorVariable } from '../config/env-settings.js';
import type { ExecHandle, Executor } from '../runtime/types.js';
import { cancelChannel, FIELD, JOB_NAME, outputStreamKey, type StageJob, type StageJobResult, type StageJobStart } from './protocol.js';
import type { CloudSettings } from './settings.js';

export type WorkerOptions = {
  settings: CloudSettings;
  /** The worker's checkout: every job's cwd is under it. */
  root: string;
  concurrency: number;
  executor: Executor;
  /** The worker's own environment (its orchestrator variables are not passed on). */
  env: Record<string, string | undefined>;
  /** A stable name for the worker, in the job's record. */
  workerId: string;
  /** How long a job stays locked to this worker without a renewal (a dead worker's jobs wait this long before another takes them); BullMQ's default 30 s. */
  lockMs?: number;
};

export type RunningWorker = {
  ready: Promise<void>;
  /** Takes no new job; lets the running stages finish and writes their ends. */
  stop(): Promise<void>;
  /** Stops the running stages and leaves their jobs to another worker (delivery is at least once). */
  stopNow(): Promise<void>;
  /** How many stages run now. */
  running(): number;
};

const SIGNALS = new Set(['SIGINT', 'SIGTERM', 'SIGKILL', 'SIGHUP', 'SIGQUIT']);

/**
 * The guard of a stage's process group: it waits on a pipe from the worker, which first says the
 * group's id (once the stage is spawned), then `done` once the stage has ended, and the guard
 * exits. A worker killed outright (kill -9, the OOM killer) says nothing more: the kernel closes
 * its end of the pipe, and the guard sends the group SIGTERM, then SIGKILL half a second later
 * if anything of it is left (as a cancel does). No group said: nothing was started, since a
 * stage's command runs only once its guard holds the group (a gated start, see processJob).
 */
const GUARD_SCRIPT = [
  'read pgid',
  'read said',
  '[ "$said" = done ] && exit 0',
  'case "$pgid" in ""|*[!0-9]*) exit 0 ;; esac',
  'kill -TERM "-$pgid" 2>/dev/null || exit 0',
  'n=0',
  'while [ $n -lt 5 ] && kill -0 "-$pgid" 2>/dev/null; do sleep 0.1; n=$((n+1)); done',
  'kill -KILL "-$pgid" 2>/dev/null',
  'exit 0',
].join('\n');

export type StageGuard = {
  /** The stage's process group, once spawned; settles once the guard's pipe holds it (or failed). */
  guard(pgid: number): Promise<void>;
  /** The stage has ended: the guard exits without stopping anything. */
  release(): void;
};

/**
 * Starts a guard, in its own session (a signal to the worker's group does not reach it), before
 * the stage it guards: spawning it takes the worker's event loop a moment, which must not come
 * between the stage's first output and the worker reading it. The guard's pipe is the worker's
 * alone (close-on-exec): no stage holds it open.
 */
export function startStageGuard(): StageGuard {
  const guard = spawn('/bin/sh', ['-c', GUARD_SCRIPT, 'codex-stage-guard'], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  guard.on('error', () => undefined);
  const pipe = guard.stdin!;
  pipe.on('error', () => undefined);
  // Neither keeps the worker alive: a worker that exits with stages running leaves them to their guards.
  guard.unref();
  (pipe as unknown as { unref?: () => void }).unref?.();
  let said = false;
  let released = false;
  return {
    guard: (pgid) =>
      new Promise<void>((resolve) => {
        if (released || said) return resolve();
        said = true;
        // Settles once the group id is in the pipe (the kernel holds it for the guard even if
        // this worker dies next), or the write failed.
        pipe.write(`${pgid}\n`, () => resolve());
      }),
    release: () => {
      if (released) return;
      released = true;
      // Its two lines: the group (empty when the stage never spawned), then `done`.
      pipe.end(said ? 'done\n' : '\ndone\n');
    },
  };
}

/** How many of the queue's latest events `requeueWait` looks through (BullMQ keeps about 10,000). */
const REQUEUE_SCAN_MAX = 20_000;

/**
 * How long a job that went back on the queue (its worker lost: BullMQ's stalled check moved it
 * to the wait list) has waited there, on Redis's clock: from that check's `stalled` event on the
 * queue's event stream (`eventsKey`) to now. Null when the event is no longer there (the stream
 * is trimmed to BullMQ's `maxLenEvents`).
 */
export async function requeueWait(redis: Redis, eventsKey: string, jobId: string): Promise<number | null> {
  const [seconds, micros] = await redis.time();
  const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  let before = '+';
  for (let scanned = 0; scanned < REQUEUE_SCAN_MAX;) {
    const entries = await redis.xrevrange(eventsKey, before, '-', 'COUNT', 1000);
    for (const [id, fields] of entries) {
      const event = new Map<string, string>();
      for (let i = 0; i + 1 < fields.length; i += 2) event.set(fields[i]!, fields[i + 1]!);
      // The entry's id is the time Redis added it: `<ms>-<n>`.
      if (event.get('event') === 'stalled' && event.get('jobId') === jobId) return Math.max(0, now - Number(id.split('-')[0]));
    }
    if (entries.length < 1000) return null;
    scanned += entries.length;
    before = `(${entries[entries.length - 1]![0]}`;
  }
  return null;
}

export function startWorker(options: WorkerOptions): RunningWorker {
  const { settings, root } = options;
  const connection = { ...settings.connection, maxRetriesPerRequest: null };
  const redis = new Redis(connection);
  const subscriber = new Redis(connection);
  // A Redis that is gone is retried (BullMQ's workers reconnect); its errors are not the stages'.
  redis.on('error', () => undefined);
  subscriber.on('error', () => undefined);
  const running = new Map<string, ExecHandle>();
  const base: Record<string, string> = {};
  for (const [key, value] of Object.entries(options.env)) if (value !== undefined && !isOrchestratorVariable(key)) base[key] = value;

  type StageJobRecord = { id?: string; name: string; data: StageJob; attemptsStarted: number; timestamp: number; processedOn?: number };
  const processJob = async (job: StageJobRecord): Promise<StageJobResult> => {
    const jobId = job.id!;
    const key = outputStreamKey(settings.queue, jobId);
    let chunks = 0;
    let result: StageJobResult;
    let guard: StageGuard | null = null;
    try {
      if (job.name !== JOB_NAME) throw new Error(`unknown job ${job.name}`);
      const attempt = Math.max(1, job.attemptsStarted);
      // Refused before its start entry: nothing runs, so no attempt starts (the stage's placement stays the lost attempt's).
      if (attempt > 1 && job.data.idempotent === false) {
        throw new Error(`not run again: its worker was lost during attempt ${attempt - 1}, and the stage is marked "idempotent": false`);
      }
      // The wait of this attempt alone: a later attempt's starts when the job went back on the queue, not when it was added.
      const queuedMs =
        attempt === 1 ? Math.max(0, (job.processedOn ?? Date.now()) - job.timestamp) : await requeueWait(redis, worker.keys.events!, jobId);
      const start: StageJobStart = { attempt, worker: options.workerId, queuedMs };
      await redis.xadd(key, '*', FIELD.start, JSON.stringify(start));
      const cwd = resolve(root, job.data.cwd);
      const rel = relative(root, cwd);
      if (rel.startsWith('..') || isAbsolute(rel)) throw new Error(`working directory is outside the worker's root: ${job.data.cwd}`);
      const env = { ...base, ...job.data.env, CODEX_ORCHESTRATOR_REPO_ROOT: root };
      // The stage's group is guarded from its start: its command runs only once the guard knows
      // the group (gated), so a worker killed at any moment leaves nothing unguarded.
      guard = startStageGuard();
      const onSpawn = (pgid: number) => guard!.guard(pgid);
      const request = { command: job.data.command, cwd, env, stageKey: job.data.stageKey, onSpawn, gated: true };
      const handle = options.executor.start(request, async (chunk) => {
        chunks += 1;
        await redis.xadd(key, '*', FIELD.seq, String(chunks), FIELD.stream, chunk.stream, FIELD.data, Buffer.from(chunk.data));
      });
      running.set(jobId, handle);
      const exit = await handle.done;
      result = { exitCode: exit.exitCode, signal: exit.signal, chunks, error: null };
    } catch (error) {
      result = { exitCode: null, signal: null, chunks, error: error instanceof Error ? error.message : String(error) };
    } finally {
      running.delete(jobId);
      guard?.release();
    }
    return result;
  };
  /**
   * The end entry goes once BullMQ has completed the job (and removed it): an orchestrator
   * that has read it may add the same id again (a resume of a failed stage) and get a new job.
   */
  const endWrites = new Set<Promise<unknown>>();

  const worker = new Worker(settings.queue, processJob, {
    connection,
    concurrency: options.concurrency,
    name: options.workerId,
    ...(options.lockMs === undefined ? {} : { lockDuration: options.lockMs, stalledInterval: options.lockMs }),
    // A job that stalls again and again (its workers keep dying) fails after its third loss; the orchestrator says so.
    maxStalledCount: 2,
  });
  worker.on('error', () => undefined);
  worker.on('completed', (job: { id?: string }, result: StageJobResult) => {
    const write = redis.xadd(outputStreamKey(settings.queue, job.id!), '*', FIELD.end, JSON.stringify(result));
    endWrites.add(write);
    void write.finally(() => endWrites.delete(write));
  });

  const ready = (async () => {
    await subscriber.subscribe(cancelChannel(settings.queue));
    subscriber.on('message', (_channel: string, message: string) => {
      const [jobId, signal] = message.split(' ');
      if (jobId && signal && SIGNALS.has(signal)) running.get(jobId)?.cancel(signal as NodeJS.Signals);
    });
    await worker.waitUntilReady();
  })();

  let closing: Promise<void> | null = null;
  let forced: Promise<void> | null = null;
  const settled = () => Promise.allSettled([...running.values()].map((handle) => handle.done));
  /** Drops every connection without waiting on Redis: a Redis that is gone never answers a close. */
  const drop = async () => {
    // Not awaited: BullMQ waits for a client that a gone Redis never makes ready.
    void worker.disconnect().catch(() => undefined);
    subscriber.disconnect();
    redis.disconnect();
  };
  const stop = () =>
    (closing ??= (async () => {
      // Not forced: no new job is taken, the stages running now finish, and their ends are written.
      const closed = worker.close().catch(() => undefined);
      await settled();
      if (redis.status !== 'ready') {
        // Redis is gone: the ends cannot be written; those stages' orchestrators fail them, and a resume runs them again.
        await drop();
        return;
      }
      await closed;
      await Promise.allSettled([...endWrites]);
      subscriber.disconnect();
      await redis.quit().catch(() => undefined);
    })());
  /** Stops now: running stages are stopped (SIGTERM to their groups) and their jobs left to stall, so another worker runs them again. */
  const stopNow = () =>
    (forced ??= (async () => {
      // Cut from Redis first, so no job of a stopped stage can complete: each stays active
      // until its lock runs out, and another worker's stalled check puts it back on the queue.
      await drop();
      for (const handle of running.values()) handle.cancel('SIGTERM');
      await settled();
    })());
  return { ready, stop, stopNow, running: () => running.size };
}
