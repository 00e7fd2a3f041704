// The dispatching executor: behind the same Executor seam as the spawn executor, it enqueues a
// cloud stage as a BullMQ job and reads its output back, in order, from the stage's Redis
// stream. Chunks carry sequence numbers: a gap is counted (`droppedChunks`), never hidden. The
// stream is trimmed as it is read and deleted at the end; BullMQ removes the completed job.
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { ExecChunk, ExecHandle, ExecResult, Executor } from '../runtime/types.js';
import { cancelChannel, FIELD, JOB_NAME, outputStreamKey, type StageJob, type StageJobResult } from './protocol.js';
import type { CloudSettings } from './settings.js';

/** What the executor needs beyond an ExecRequest: the job id and the job's cwd and env. */
export type DispatchTarget = { jobId: string; job: StageJob };

type StreamReply = Array<[Buffer, Array<[Buffer, Buffer[]]>]> | null;

function fieldsOf(raw: Buffer[]): Map<string, Buffer> {
  const fields = new Map<string, Buffer>();
  for (let i = 0; i + 1 < raw.length; i += 2) fields.set(raw[i]!.toString('utf8'), raw[i + 1]!);
  return fields;
}

export class CloudDispatcher {
  private queue: Queue | null = null;
  private redis: Redis | null = null;
  private readonly readers = new Set<Redis>();
  /** Chunks missing from a stage's sequence, by job id (0 when none). */
  readonly droppedChunks = new Map<string, number>();

  constructor(readonly settings: CloudSettings) {}

  private connection() {
    return { ...this.settings.connection, maxRetriesPerRequest: null };
  }

  private ensure(): { queue: Queue; redis: Redis } {
    this.queue ??= new Queue(this.settings.queue, { connection: this.connection() });
    this.redis ??= new Redis(this.connection());
    return { queue: this.queue, redis: this.redis };
  }

  /** An Executor that sends every request to `target(request)`'s job. */
  executor(target: DispatchTarget): Executor {
    return { start: (_request, onChunk) => this.start(target, onChunk) };
  }

  private start(target: DispatchTarget, onChunk: (chunk: ExecChunk) => Promise<void> | void): ExecHandle {
    const { queue, redis } = this.ensure();
    const key = outputStreamKey(this.settings.queue, target.jobId);
    const reader = redis.duplicate();
    this.readers.add(reader);
    let cancelled: NodeJS.Signals | null = null;
    let stopReading: ((result: ExecResult) => void) | null = null;

    const done = (async (): Promise<ExecResult> => {
      try {
        // The same id again (a resume, a second start) is not a second job: BullMQ keeps the first.
        // A stream already there: the stage was sent before (this run's orchestrator stopped
        // while it ran) and its output is read, not sent again. Its job is gone once completed,
        // so a failed stage that is resumed is a new job under the same id.
        if (!(await redis.exists(key))) {
          await queue.add(JOB_NAME, target.job, { jobId: target.jobId, attempts: 1, removeOnComplete: true, removeOnFail: true });
        }
        if (cancelled) await this.sendCancel(target.jobId, cancelled);
        const stopped = new Promise<ExecResult>((resolve) => (stopReading = resolve));
        const read = this.readStream(reader, key, target.jobId, onChunk);
        // Stopped before it ran: the reader is disconnected below, and its read then fails unheard.
        read.catch(() => undefined);
        const result = await Promise.race([read, stopped]);
        await redis.del(key);
        return result;
      } finally {
        this.readers.delete(reader);
        reader.disconnect();
      }
    })();

    return {
      done,
      cancel: (signal) => {
        cancelled = signal;
        void this.sendCancel(target.jobId, signal).then(async (removed) => {
          // Not started yet: it is taken off the queue, and nothing ran.
          if (removed) stopReading?.({ exitCode: null, signal });
        });
      },
    };
  }

  /** Asks the worker running the job to stop it; a job still waiting is removed instead (true). */
  private async sendCancel(jobId: string, signal: NodeJS.Signals): Promise<boolean> {
    const { queue, redis } = this.ensure();
    const job = await queue.getJob(jobId);
    if (job && (await job.getState()) === 'waiting') {
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

  /** Reads the stage's stream from its start to its end entry, each chunk delivered before the next is read. */
  private async readStream(reader: Redis, key: string, jobId: string, onChunk: (chunk: ExecChunk) => Promise<void> | void): Promise<ExecResult> {
    let last = '0-0';
    let expected = 1;
    let dropped = 0;
    for (;;) {
      const reply = (await reader.xreadBuffer('BLOCK', 0, 'STREAMS', key, last)) as unknown as StreamReply;
      for (const [, entries] of reply ?? []) {
        for (const [id, raw] of entries) {
          last = id.toString('utf8');
          const fields = fieldsOf(raw);
          const end = fields.get(FIELD.end);
          if (end) {
            const result = JSON.parse(end.toString('utf8')) as StageJobResult;
            dropped += Math.max(0, result.chunks - (expected - 1));
            this.droppedChunks.set(jobId, dropped);
            if (result.error !== null) throw new Error(result.error);
            return { exitCode: result.exitCode, signal: result.signal };
          }
          const seq = Number(fields.get(FIELD.seq)?.toString('utf8'));
          if (seq > expected) dropped += seq - expected;
          expected = seq + 1;
          const stream = fields.get(FIELD.stream)?.toString('utf8') === 'stderr' ? 'stderr' : 'stdout';
          await onChunk({ stream, data: new Uint8Array(fields.get(FIELD.data) ?? Buffer.alloc(0)) });
        }
      }
      // Read: what came before the last entry read is dropped from Redis.
      await this.ensure().redis.xtrim(key, 'MINID', last);
    }
  }

  /** Closes every connection (the CLI's process may then exit). */
  async close(): Promise<void> {
    for (const reader of this.readers) reader.disconnect();
    this.readers.clear();
    await this.queue?.close();
    this.redis?.disconnect();
    this.queue = null;
    this.redis = null;
  }
}
