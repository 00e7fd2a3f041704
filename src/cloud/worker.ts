// A cloud worker: takes stage jobs off the queue and runs each with the spawn executor (its own
// process group, its cwd under the worker's root, the job's env overrides over the worker's own
// environment), writing its output to the stage's Redis stream, chunk by chunk, numbered. It
// never touches a run directory. Stopping (SIGTERM) closes the worker: a running stage finishes
// and its end is written before the worker exits.
import { isAbsolute, relative, resolve } from 'node:path';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { isOrchestratorVariable } from '../config/env-settings.js';
import type { ExecHandle, Executor } from '../runtime/types.js';
import { cancelChannel, FIELD, JOB_NAME, outputStreamKey, type StageJob, type StageJobResult } from './protocol.js';
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
};

export type RunningWorker = { ready: Promise<void>; stop(): Promise<void> };

const SIGNALS = new Set(['SIGINT', 'SIGTERM', 'SIGKILL', 'SIGHUP', 'SIGQUIT']);

export function startWorker(options: WorkerOptions): RunningWorker {
  const { settings, root } = options;
  const connection = { ...settings.connection, maxRetriesPerRequest: null };
  const redis = new Redis(connection);
  const subscriber = new Redis(connection);
  const running = new Map<string, ExecHandle>();
  const base: Record<string, string> = {};
  for (const [key, value] of Object.entries(options.env)) if (value !== undefined && !isOrchestratorVariable(key)) base[key] = value;

  const processJob = async (job: { id?: string; name: string; data: StageJob }): Promise<StageJobResult> => {
    const jobId = job.id!;
    const key = outputStreamKey(settings.queue, jobId);
    let chunks = 0;
    let result: StageJobResult;
    try {
      if (job.name !== JOB_NAME) throw new Error(`unknown job ${job.name}`);
      const cwd = resolve(root, job.data.cwd);
      const rel = relative(root, cwd);
      if (rel.startsWith('..') || isAbsolute(rel)) throw new Error(`working directory is outside the worker's root: ${job.data.cwd}`);
      const env = { ...base, ...job.data.env, CODEX_ORCHESTRATOR_REPO_ROOT: root };
      const handle = options.executor.start({ command: job.data.command, cwd, env, stageKey: job.data.stageKey }, async (chunk) => {
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
  const stop = () =>
    (closing ??= (async () => {
      // Not forced: the stages running now finish, and their ends are written.
      await worker.close();
      await Promise.allSettled([...endWrites]);
      subscriber.disconnect();
      await redis.quit();
    })());
  return { ready, stop };
}
