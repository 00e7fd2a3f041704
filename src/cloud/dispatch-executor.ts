// The dispatching executor: behind the same Executor seam as the spawn executor, it enqueues a
// cloud stage as a BullMQ job and reads its output back, in order, from the stage's Redis
// stream. Chunks carry sequence numbers: a gap is counted (the result's `placement.dropped_chunks`), never hidden. Each
// chunk is deleted from the stream once delivered, with a note of how far the stream was read
// (readCursorKey), and the attempt's start entry is kept: an orchestrator killed mid-stage and
// resumed reads on from there and the attempt known, each chunk delivered once but for those
// whose deletion had not reached Redis when it was killed. Both are
// deleted at the end; BullMQ removes the completed job.
//
// Failure semantics (docs/cloud.md):
// - Redis unreachable when the stage starts: policy `auto` runs it here with the local executor
//   and the result says why; `strict` rejects (the stage could not run, one line).
// - A worker lost mid-stage: the job stalls and runs again on another worker; each attempt's
//   start is handed to `request.onAttempt` before its output. A job BullMQ gives up on (stalled
//   too often) rejects with BullMQ's reason. Only a live worker's stalled check puts the job
//   back, so with none running the stage would wait unheard: the running attempt's lock on the
//   job is looked at every `lostPollMs`, and its loss is handed to `request.onWorkerLost`.
// - Redis lost while the stage runs: after `reconnectMs` of failed reconnects the stage rejects
//   with that reason; the run's files stay whole, and a resume sends the stage again.
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { deferredHandle } from '../runtime/deferred-handle.js';
import type { CloudDispatch, ExecAttempt, ExecChunk, ExecHandle, ExecRequest, ExecResult, Executor } from '../runtime/types.js';
import {
  cancelChannel,
  FIELD,
  JOB_NAME,
  outputStreamKey,
  readCursorKey,
  type ReadCursor,
  type StageJobResult,
  type StageJobStart,
} from './protocol.js';
import type { CloudSettings } from './settings.js';

type StreamReply = Array<[Buffer, Array<[Buffer, Buffer[]]>]> | null;

/** How long the orchestrator tries to reach a lost Redis before a running cloud stage fails. */
export const DEFAULT_RECONNECT_MS = 10_000;

/**
 * How often a running attempt's lock on its job is looked at: gone while the job is still
 * active, the worker was lost (`request.onWorkerLost`). One EXISTS per running cloud stage.
 */
export const DEFAULT_LOST_POLL_MS = 5_000;

/**
 * How long no live worker must have checked for stalled jobs (BullMQ's `stalled-check` key
 * absent at every look) before a lost worker is reported: a live worker's key lapses only for
 * the moment between its expiry and that worker's next check, longer when its machine is busy.
 * At least two looks apart, at least this long.
 */
export const UNWATCHED_MIN_MS = 2_000;

/**
 * How long ioredis waits for a socket it ends to close. Its default (2 s) keeps the process
 * alive that long after a connection that never opened (its timer is never cleared then).
 */
const DISCONNECT_MS = 100;

function fieldsOf(raw: Buffer[]): Map<string, Buffer> {
  const fields = new Map<string, Buffer>();
  for (let i = 0; i + 1 < raw.length; i += 2) fields.set(raw[i]!.toString('utf8'), raw[i + 1]!);
  return fields;
}

const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

export class CloudDispatcher {
  private queue: Queue | null = null;
  private redis: Redis | null = null;
  private events: QueueEvents | null = null;
  private readonly failures = new Map<string, (reason: string) => void>();
  private readonly readers = new Set<Redis>();
  /** Why Redis is gone: set once the orchestrator gave up reconnecting. */
  private lost: string | null = null;
  private readonly lostListeners = new Set<(reason: string) => void>();

  constructor(
    readonly settings: CloudSettings,
    private readonly reconnectMs = DEFAULT_RECONNECT_MS,
    private readonly lostPollMs = DEFAULT_LOST_POLL_MS,
  ) {}

  /** The connection of every long-lived client: retried for `reconnectMs`, then given up (and the stages reading through it fail). */
  private connection() {
    let firstFailure: number | null = null;
    return {
      ...this.settings.connection,
      maxRetriesPerRequest: null,
      disconnectTimeout: DISCONNECT_MS,
      retryStrategy: (times: number) => {
        if (times === 1) firstFailure = Date.now();
        if (Date.now() - (firstFailure ?? Date.now()) >= this.reconnectMs) return null;
        return Math.min(50 * times, 500);
      },
    };
  }

  /** Clients this dispatcher ends itself: their end is not a lost Redis. */
  private readonly ending = new WeakSet<object>();

  private watch(client: { on(event: 'end', listener: () => void): unknown }): void {
    client.on('end', () => this.ending.has(client) || this.giveUp(`lost the connection to Redis at ${this.settings.target} and could not reconnect`));
  }

  private giveUp(reason: string): void {
    if (this.lost) return;
    this.lost = reason;
    for (const listener of this.lostListeners) listener(reason);
  }

  private ensure(): { queue: Queue; redis: Redis } {
    if (!this.queue) {
      this.queue = new Queue(this.settings.queue, { connection: this.connection() });
      this.queue.on('error', () => undefined);
    }
    if (!this.redis) {
      this.redis = new Redis(this.connection());
      this.redis.on('error', () => undefined);
      this.watch(this.redis);
    }
    return { queue: this.queue, redis: this.redis };
  }

  /** Listens for jobs BullMQ fails (a job that stalled more often than allowed): their stages fail with its reason. */
  private async queueEvents(): Promise<QueueEvents> {
    if (!this.events) {
      this.events = new QueueEvents(this.settings.queue, { connection: this.connection() });
      this.events.on('error', () => undefined);
      this.events.on('failed', ({ jobId, failedReason }) => this.failures.get(jobId)?.(failedReason));
    }
    await this.events.waitUntilReady();
    return this.events;
  }

  /** Whether Redis answers now: null when it does, else why not (one connect, no retry). */
  async probe(): Promise<string | null> {
    if (this.lost) return this.lost;
    const client = new Redis({
      ...this.settings.connection,
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 5_000,
      disconnectTimeout: DISCONNECT_MS,
      retryStrategy: () => null,
    });
    // The socket's own error (`connect ECONNREFUSED 127.0.0.1:6379`) says more than the
    // rejection ioredis gives the caller (`Connection is closed.`).
    let cause: string | null = null;
    client.on('error', (error: unknown) => (cause ??= reasonOf(error)));
    try {
      await client.connect();
      await client.ping();
      return null;
    } catch (error) {
      return cause ?? reasonOf(error);
    } finally {
      client.disconnect();
    }
  }

  /** Runs a request with a `dispatch` on a worker (or here, when Redis is unreachable and the policy allows it). */
  start(request: ExecRequest & { dispatch: CloudDispatch }, onChunk: (chunk: ExecChunk) => Promise<void> | void, local: Executor): ExecHandle {
    return deferredHandle(async (started) => {
      const unreachable = await this.probe();
      if (unreachable !== null) {
        const why = `Redis at ${this.settings.target} is unreachable (${unreachable})`;
        if (this.settings.fallback === 'strict') throw new Error(`${why}; the cloud fallback policy is strict`);
        const result = await started(local.start(request, onChunk));
        return { ...result, placement: { where: 'here', reason: `${why}; ran here (cloud fallback policy auto)` } };
      }
      return started(this.dispatch(request, onChunk));
    });
  }

  private dispatch(request: ExecRequest & { dispatch: CloudDispatch }, onChunk: (chunk: ExecChunk) => Promise<void> | void): ExecHandle {
    const { jobId, job } = request.dispatch;
    const { queue, redis } = this.ensure();
    const key = outputStreamKey(this.settings.queue, jobId);
    const cursorKey = readCursorKey(this.settings.queue, jobId);
    const reader = redis.duplicate(this.connection());
    reader.on('error', () => undefined);
    this.watch(reader);
    this.readers.add(reader);
    let cancelled: NodeJS.Signals | null = null;
    let stop: ((outcome: { result?: ExecResult; error?: string }) => void) | null = null;
    const stopped = new Promise<{ result?: ExecResult; error?: string }>((resolve) => (stop = resolve));
    const onLost = (reason: string) => stop?.({ error: reason });
    this.lostListeners.add(onLost);
    if (this.lost) onLost(this.lost);

    // The running attempt's worker, watched through its lock on the job: a worker renews it while
    // it lives; one that is gone lets it expire, and the job waits for a live worker's stalled
    // check. Said once per attempt (request.onWorkerLost), and only when no live worker runs that
    // check (BullMQ's `stalled-check` key, which each check sets for its interval, absent at every
    // look for UNWATCHED_MIN_MS and two looks); never when the job is no longer active. A stage
    // cancelled meanwhile has no worker to hear it: its job is taken off the queue here, so that
    // no worker runs it again.
    let running: { attempt: number; workerId: string; reported: boolean } | null = null;
    let finished = false;
    /** Since when the looks have found no live worker checking for stalled jobs (null: one was found). */
    let unwatchedSince: number | null = null;
    const watchAttempt = async (next: ExecAttempt) => {
      running = { attempt: next.attempt, workerId: next.workerId, reported: false };
      unwatchedSince = null;
      await request.onAttempt?.(next);
      // An attempt that started after a cancel (a worker took the job back): it is asked to stop too.
      if (cancelled) await this.sendCancel(jobId, cancelled).catch(() => false);
    };
    let looking = false;
    const lockWatch = setInterval(() => {
      const current = running;
      if (looking || current === null || finished) return;
      if (!cancelled && (current.reported || !request.onWorkerLost)) return;
      looking = true;
      void (async () => {
        if ((await redis.exists(`${queue.toKey(jobId)}:lock`)) > 0) {
          unwatchedSince = null;
          return;
        }
        const job = await queue.getJob(jobId);
        const state = await job?.getState();
        if (finished || running !== current) return;
        if (cancelled) {
          // Active with no lock: no worker holds it, so BullMQ removes it; waiting: sendCancel does.
          let removed = false;
          if (state === 'active') {
            await job!.remove();
            removed = true;
          } else if (state === 'waiting') removed = await this.sendCancel(jobId, cancelled);
          if (removed) stop?.({ result: { exitCode: null, signal: cancelled } });
          return;
        }
        if (state !== 'active' || current.reported) return;
        if ((await redis.exists(queue.toKey('stalled-check'))) > 0) {
          unwatchedSince = null;
          return;
        }
        const now = Date.now();
        unwatchedSince ??= now;
        if (now - unwatchedSince < Math.max(this.lostPollMs, UNWATCHED_MIN_MS) || finished) return;
        current.reported = true;
        request.onWorkerLost?.({ attempt: current.attempt, workerId: current.workerId });
      })()
        .catch(() => undefined) // Redis lost: the stage fails through onLost, not here.
        .finally(() => (looking = false));
    }, this.lostPollMs);
    lockWatch.unref();

    const done = (async (): Promise<ExecResult> => {
      try {
        await this.queueEvents();
        this.failures.set(jobId, (reason) => stop?.({ error: `its job failed on the queue: ${reason}` }));
        // A job BullMQ failed (kept, so its reason can be read) is removed first, with its stream:
        // a resume sends the stage again. Otherwise the same id again (a resume, a second start)
        // is not a second job: BullMQ keeps the first, and a stream already there (this run's
        // orchestrator stopped while the stage ran) is read, not sent again.
        const existing = await queue.getJob(jobId);
        if (existing && (await existing.getState()) === 'failed') {
          await existing.remove();
          await redis.del(key, cursorKey);
        }
        // A stream with no job behind it and no end entry is an orphan nothing will ever end: a
        // worker's late output written into a Redis that lost the job (restarted mid-stage). It
        // is dropped and the stage sent again (delivery is at least once).
        let streamThere = (await redis.exists(key)) > 0;
        if (streamThere && !existing && !(await this.hasEnd(redis, key))) {
          await redis.del(key, cursorKey);
          streamThere = false;
        }
        if (!streamThere) {
          await queue.add(JOB_NAME, job, { jobId, attempts: 1, removeOnComplete: true, removeOnFail: false });
          request.onQueued?.();
        }
        if (cancelled) await this.sendCancel(jobId, cancelled);
        const read = this.readStream(reader, key, cursorKey, jobId, { ...request, onAttempt: watchAttempt }, onChunk);
        // Stopped before it ended: the reader is disconnected below, and its read then fails unheard.
        read.catch(() => undefined);
        const outcome: { result?: ExecResult; error?: string } = await Promise.race([read.then((result) => ({ result })), stopped]);
        if (outcome.error !== undefined) throw new Error(outcome.error);
        await redis.del(key, cursorKey);
        return outcome.result!;
      } catch (error) {
        if (this.lost) throw new Error(this.lost);
        throw error;
      } finally {
        finished = true;
        clearInterval(lockWatch);
        this.failures.delete(jobId);
        this.lostListeners.delete(onLost);
        this.readers.delete(reader);
        this.ending.add(reader);
        reader.disconnect();
      }
    })();

    return {
      done,
      cancel: (signal) => {
        cancelled = signal;
        void this.sendCancel(jobId, signal).then(
          (removed) => {
            // Not started yet: it is taken off the queue, and nothing ran.
            if (removed) stop?.({ result: { exitCode: null, signal } });
          },
          () => undefined,
        );
      },
    };
  }

  /** True when the stage's stream holds its end entry (the worker has written its result). */
  private async hasEnd(redis: Redis, key: string): Promise<boolean> {
    const entries = (await redis.xrevrangeBuffer(key, '+', '-', 'COUNT', 1)) as unknown as Array<[Buffer, Buffer[]]>;
    return entries.some(([, raw]) => fieldsOf(raw).has(FIELD.end));
  }

  /**
   * Asks the worker running the job to stop it; a job still waiting is removed instead (true),
   * and so is a stage with no job at all (nothing runs it, so nothing would ever answer).
   */
  private async sendCancel(jobId: string, signal: NodeJS.Signals): Promise<boolean> {
    const { queue, redis } = this.ensure();
    const job = await queue.getJob(jobId);
    if (!job) {
      await redis.publish(cancelChannel(this.settings.queue), `${jobId} ${signal}`);
      return true;
    }
    if ((await job.getState()) === 'waiting') {
      try {
        await job.remove();
        return true;
      } catch {
        // Taken by a worker meanwhile: it is asked below.
      }
    }
    await redis.publish(cancelChannel(this.settings.queue), `${jobId} ${signal}`);
    return false;
  }

  /**
   * Reads the stage's stream from its start to its end entry, each chunk delivered before the
   * next is read; an attempt's start entry is handed to `request.onAttempt` and starts its
   * sequence again at 1. Each chunk, once delivered, is deleted from the stream together with
   * the note of how far it was read (`cursorKey`, one transaction), and so is an attempt's start
   * once the next attempt's is read: what a resumed orchestrator finds is the latest attempt's
   * start and the chunks not delivered yet. (Killed between delivering chunks and their
   * deletions reaching Redis, an orchestrator delivers those chunks again once resumed.) The
   * deletions are sent without waiting for each reply; one that fails stops the read at the
   * next entry, so the stream never holds a chunk older than the note says.
   */
  private async readStream(
    reader: Redis,
    key: string,
    cursorKey: string,
    jobId: string,
    request: ExecRequest & { dispatch: CloudDispatch },
    onChunk: (chunk: ExecChunk) => Promise<void> | void,
  ): Promise<ExecResult> {
    const { redis } = this.ensure();
    // Where an orchestrator of this run that was stopped mid-stage left off (none: from the start).
    const saved = await redis.get(cursorKey);
    const resumed: ReadCursor | null = saved === null ? null : (JSON.parse(saved) as ReadCursor);
    let last = '0-0';
    let expected = 1;
    let dropped = resumed?.dropped ?? 0;
    let attempt: StageJobStart | null = null;
    /** The stream entry of the attempt's start: kept while the attempt is the latest. */
    let startId: string | null = null;
    // Each delivered entry is acknowledged (deleted, the cursor saved) in a transaction sent at
    // once and not waited for: one connection runs them in order, so a noisy stage is not held
    // to a round trip per chunk (that cost 0.3 ms a chunk: 1224 against 781 ms for 1,400-2,000
    // chunks). What they settle to is awaited before the stage's end is reported.
    let acks: Promise<void> = Promise.resolve();
    // Set from the transactions' callbacks (so typed wide: control flow would take it for null).
    let ackFailure = null as { error: unknown } | null;
    const acknowledge = (ids: string[]): void => {
      // After a failed one, none more: a later one landing would leave the stream behind the note.
      if (ackFailure !== null) return;
      const cursor: ReadCursor = { attempt: attempt?.attempt ?? 0, seq: expected - 1, dropped };
      const transaction = redis.multi();
      if (ids.length > 0) transaction.xdel(key, ...ids);
      // Handled at once and never rejects (an unhandled rejection would end the process): a
      // failure is kept for acknowledged().
      const landed = transaction
        .set(cursorKey, JSON.stringify(cursor))
        .exec()
        .then(
          () => undefined,
          (error: unknown) => void (ackFailure ??= { error }),
        );
      acks = acks.then(() => landed);
    };
    const acknowledged = async (): Promise<void> => {
      await acks;
      if (ackFailure !== null) throw ackFailure.error;
    };
    for (;;) {
      const reply = (await reader.xreadBuffer('BLOCK', 0, 'STREAMS', key, last)) as unknown as StreamReply;
      for (const [, entries] of reply ?? []) {
        for (const [rawId, raw] of entries) {
          // A deletion that failed ends the read here, before anything more is delivered.
          if (ackFailure !== null) throw ackFailure.error;
          const id = rawId.toString('utf8');
          last = id;
          const fields = fieldsOf(raw);
          const start = fields.get(FIELD.start);
          if (start) {
            attempt = JSON.parse(start.toString('utf8')) as StageJobStart;
            // The attempt the stopped orchestrator was reading: its chunks up to the cursor's are delivered.
            expected = resumed !== null && resumed.attempt === attempt.attempt ? resumed.seq + 1 : 1;
            await request.onAttempt?.({ attempt: attempt.attempt, workerId: attempt.worker, queuedMs: attempt.queuedMs });
            acknowledge(startId === null ? [] : [startId]);
            startId = id;
            continue;
          }
          const end = fields.get(FIELD.end);
          if (end) {
            const result = JSON.parse(end.toString('utf8')) as StageJobResult;
            await acknowledged();
            dropped += Math.max(0, result.chunks - (expected - 1));
            if (result.error !== null) {
              // Read: a resume sends the stage again as a new job, never replays this end (a stage
              // not run again after its worker was lost could otherwise never be resumed).
              await redis.del(key, cursorKey);
              throw new Error(result.error);
            }
            return {
              exitCode: result.exitCode,
              signal: result.signal,
              placement: {
                where: 'worker',
                queue: this.settings.queue,
                job_id: jobId,
                worker_id: attempt?.worker ?? null,
                attempts: attempt?.attempt ?? 1,
                queued_ms: attempt?.queuedMs ?? null,
                dropped_chunks: dropped,
              },
            };
          }
          const seq = Number(fields.get(FIELD.seq)?.toString('utf8'));
          if (seq > expected) dropped += seq - expected;
          expected = seq + 1;
          const stream = fields.get(FIELD.stream)?.toString('utf8') === 'stderr' ? 'stderr' : 'stdout';
          await onChunk({ stream, data: new Uint8Array(fields.get(FIELD.data) ?? Buffer.alloc(0)) });
          acknowledge([id]);
        }
      }
    }
  }

  /** Closes every connection (the CLI's process may then exit); never waits on a Redis that is gone. */
  async close(): Promise<void> {
    for (const reader of this.readers) {
      this.ending.add(reader);
      reader.disconnect();
    }
    this.readers.clear();
    const lost = this.lost !== null;
    const queue = this.queue;
    const events = this.events;
    this.queue = null;
    this.events = null;
    if (lost) {
      // BullMQ's close waits for its client to be ready first: on a Redis that is gone it is never
      // awaited. Calling it still marks them closing, which ends QueueEvents' retry loop.
      void queue?.close().catch(() => undefined);
      void events?.close().catch(() => undefined);
    } else {
      await queue?.close();
      await events?.close();
    }
    if (this.redis) this.ending.add(this.redis);
    this.redis?.disconnect();
    this.redis = null;
  }
}
