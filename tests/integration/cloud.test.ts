// The cloud execution mode on a real Redis (issue 17, first slice): a real redis-server on a
// unix socket, the dispatching executor with a worker in this process, then the built CLI with
// a real worker process. Nothing waits on the clock: the server's readiness line, the worker's
// "ready" line on stderr, the run's own end.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudDispatcher } from '../../src/cloud/dispatch-executor.js';
import { FIELD, outputStreamKey, readCursorKey, stageJobId } from '../../src/cloud/protocol.js';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { parseRedisUrl } from '../../src/cloud/settings.js';
import { requeueWait, startWorker, type RunningWorker } from '../../src/cloud/worker.js';
import { createRealClock } from '../../src/runtime/real-clock.js';
import { createSpawnExecutor } from '../../src/runtime/spawn-executor.js';
import type { ExecChunk, Executor } from '../../src/runtime/types.js';
import { listFiles, readNdjson, runCliProcess } from '../helpers/cli.js';
import { checkRunsDir, onlyRunId, runFiles, useTempRepos, type Json } from '../helpers/integration.js';
import { startWorkerProcess } from '../helpers/cloud-worker.js';
import { HAVE_REDIS, startRedisServer, type RedisServer } from '../helpers/redis-server.js';

const repo = useTempRepos();
const queueName = () => `t-${randomUUID().slice(0, 8)}`;

describe.skipIf(!HAVE_REDIS)('cloud execution mode on a real redis-server', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("measures a later attempt's wait from the job's latest requeue (BullMQ's stalled event), on Redis's clock; null when that event is gone", async () => {
    const redis = new Redis({ ...parseRedisUrl(server.url, 'test'), maxRetriesPerRequest: null });
    try {
      const key = `bull:${queueName()}:events`;
      const [seconds] = await redis.time();
      const now = Number(seconds) * 1000;
      // The job's two requeues, another job's, then more events than one read of the stream takes.
      await redis.xadd(key, `${now - 60_000}-0`, 'event', 'stalled', 'jobId', 'run.1');
      await redis.xadd(key, `${now - 50_000}-0`, 'event', 'stalled', 'jobId', 'run.2');
      await redis.xadd(key, `${now - 45_000}-0`, 'event', 'stalled', 'jobId', 'run.1');
      const pipeline = redis.pipeline();
      for (let i = 0; i < 2_500; i += 1) pipeline.xadd(key, `${now - 40_000 + i}-0`, 'event', 'waiting', 'jobId', `other.${i}`);
      await pipeline.exec();
      const waited = await requeueWait(redis, key, 'run.1');
      expect(waited).toBeGreaterThanOrEqual(45_000);
      expect(waited).toBeLessThan(50_000);
      expect(await requeueWait(redis, key, 'run.3')).toBeNull();
      await redis.del(key);
    } finally {
      redis.disconnect();
    }
  });

  describe('the dispatching executor and a worker in this process', () => {
    const roots: string[] = [];
    afterAll(() => {
      for (const root of roots) rmSync(root, { recursive: true, force: true });
    });

    async function withWorker<T>(
      work: (dispatcher: CloudDispatcher, root: string) => Promise<T>,
      executor: Executor = createSpawnExecutor(createRealClock()),
    ): Promise<T> {
      const root = mkdtempSync(join(tmpdir(), 'codex-cloud-root-'));
      roots.push(root);
      mkdirSync(join(root, 'sub'));
      const settings = { connection: parseRedisUrl(server.url, 'test'), queue: queueName(), fallback: 'strict' as const, target: 'test' };
      const worker: RunningWorker = startWorker({
        settings,
        root,
        concurrency: 2,
        executor,
        env: { PATH: process.env.PATH, FROM_WORKER: 'worker' },
        workerId: 'test-worker',
      });
      const dispatcher = new CloudDispatcher(settings);
      try {
        await worker.ready;
        return await work(dispatcher, root);
      } finally {
        await dispatcher.close();
        await worker.stop();
      }
    }

    const request = { command: 'unused', cwd: '/unused', env: {}, stageKey: 'p/s' };
    /** What the CLI's executor asks for a cloud stage: `command` sent as job `jobId`, run in `cwd` under the worker's root. */
    const sent = (dispatcher: CloudDispatcher, jobId: string, command: string, job: { cwd?: string; env?: Record<string, string> } = {}) => ({
      ...request,
      dispatch: { settings: dispatcher.settings, jobId, job: { command, cwd: job.cwd ?? '.', env: job.env ?? {}, stageKey: 'p/s' } },
    });
    const local = createSpawnExecutor(createRealClock());

    it('delivers every chunk in order, with the exit code, the cwd under the worker root and only the env sent', async () => {
      await withWorker(async (dispatcher, root) => {
        const chunks: ExecChunk[] = [];
        const command = 'for i in $(seq 1 200); do echo "line $i"; done; echo "$PWD $FROM_WORKER ${SENT:-} ${HOME:-nohome}" >&2; exit 3';
        const exec = dispatcher.start(
          sent(dispatcher, stageJobId('run-a', 1), command, { cwd: 'sub', env: { SENT: 'sent' } }),
          async (chunk) => {
            chunks.push(chunk);
          },
          local,
        );
        expect(await exec.done).toMatchObject({ exitCode: 3, signal: null });
        const text = (stream: string) => Buffer.concat(chunks.filter((c) => c.stream === stream).map((c) => Buffer.from(c.data))).toString('utf8');
        expect(text('stdout')).toBe(Array.from({ length: 200 }, (_, i) => `line ${i + 1}\n`).join(''));
        // The worker's env (not this process's HOME), the job's overrides, the cwd under its root.
        expect(text('stderr')).toBe(`${join(root, 'sub')} worker sent nohome\n`);
        // No gap: the placement the stage's manifest entry and summary are written from says 0 chunks lost.
        expect((await exec.done).placement).toMatchObject({ where: 'worker', worker_id: 'test-worker', attempts: 1, dropped_chunks: 0 });
      });
    });

    it('a deletion (acknowledgement) that fails ends the read before more is delivered: the stream never holds a chunk older than the note', async () => {
      await withWorker(async (dispatcher) => {
        // The dispatcher's own connection: its sixth transaction (a chunk's deletion and the note) fails.
        const { redis } = (dispatcher as unknown as { ensure(): { redis: Redis } }).ensure();
        const multi = redis.multi.bind(redis);
        let transactions = 0;
        redis.multi = ((...args: Parameters<Redis['multi']>) => {
          const transaction = multi(...args);
          const exec = transaction.exec.bind(transaction);
          transaction.exec = (() =>
            (transactions += 1) === 6 ? Promise.reject(new Error('EXECABORT simulated')) : exec()) as typeof transaction.exec;
          return transaction;
        }) as Redis['multi'];
        const jobId = stageJobId('run-ack', 1);
        const exec = dispatcher.start(sent(dispatcher, jobId, 'for i in $(seq 1 40); do echo "line $i"; sleep 0.01; done'), () => undefined, local);
        await expect(exec.done).rejects.toThrow('EXECABORT simulated');
        const admin = new Redis({ ...parseRedisUrl(server.url, 'test'), maxRetriesPerRequest: null });
        try {
          const note = JSON.parse((await admin.get(readCursorKey(dispatcher.settings.queue, jobId))) ?? '{"seq":0}') as { seq: number };
          const entries = await admin.xrange(outputStreamKey(dispatcher.settings.queue, jobId), '-', '+');
          const seqs = entries.flatMap(([, fields]) => (fields.includes(FIELD.seq) ? [Number(fields[fields.indexOf(FIELD.seq) + 1])] : []));
          // What a resume reads again starts after the note: before, later deletions landed and left
          // the failed one's chunk behind it (logged again, out of order, and 'lost' chunks counted).
          expect(seqs.length).toBeGreaterThan(0);
          expect(Math.min(...seqs)).toBeGreaterThan(note.seq);
        } finally {
          admin.disconnect();
        }
      });
    });

    it('says when the job is on the queue, no worker there to take it, and runs it once a worker comes', async () => {
      const root = mkdtempSync(join(tmpdir(), 'codex-cloud-root-'));
      roots.push(root);
      const settings = { connection: parseRedisUrl(server.url, 'test'), queue: queueName(), fallback: 'strict' as const, target: 'test' };
      const dispatcher = new CloudDispatcher(settings);
      const jobs = new Queue(settings.queue, { connection: { ...settings.connection, maxRetriesPerRequest: null } });
      let worker: RunningWorker | null = null;
      try {
        let said: () => void = () => undefined;
        const queued = new Promise<'queued'>((resolve) => (said = () => resolve('queued')));
        const chunks: ExecChunk[] = [];
        const jobId = stageJobId('run-q', 1);
        const exec = dispatcher.start(
          { ...sent(dispatcher, jobId, 'echo late'), onQueued: () => said() },
          async (chunk) => {
            chunks.push(chunk);
          },
          local,
        );
        // Bounded for the code that never said so.
        let bound: NodeJS.Timeout | undefined;
        const outcome = await Promise.race([queued, new Promise<'silent'>((resolve) => (bound = setTimeout(() => resolve('silent'), 10_000)))]);
        clearTimeout(bound);
        if (outcome === 'silent') exec.cancel('SIGINT');
        expect(outcome).toBe('queued');
        expect(await (await jobs.getJob(jobId))?.getState()).toBe('waiting');
        worker = startWorker({ settings, root, concurrency: 1, executor: local, env: { PATH: process.env.PATH }, workerId: 'w-later' });
        await worker.ready;
        expect(await exec.done).toMatchObject({ exitCode: 0, signal: null, placement: { worker_id: 'w-later', attempts: 1 } });
        expect(Buffer.concat(chunks.map((c) => Buffer.from(c.data))).toString('utf8')).toBe('late\n');
      } finally {
        await dispatcher.close();
        await jobs.close();
        await worker?.stop();
      }
    });

    it('reports a signal, and a cwd outside the root as an error of the stage', async () => {
      await withWorker(async (dispatcher) => {
        const killed = dispatcher.start(sent(dispatcher, stageJobId('run-b', 1), 'kill -TERM $$'), () => undefined, local);
        expect(await killed.done).toMatchObject({ exitCode: null, signal: 'SIGTERM' });
        const outside = dispatcher.start(sent(dispatcher, stageJobId('run-b', 2), 'true', { cwd: '../..' }), () => undefined, local);
        await expect(outside.done).rejects.toThrow(/outside the worker's root/);
      });
    });

    it("starts each stage gated: its command runs only once the stage's guard holds its process group", async () => {
      // The spawn executor, watched: what the worker asks of it, and when onSpawn's promise (the
      // guard's pipe holds the group id) settles against the stage's first output.
      const inner = createSpawnExecutor(createRealClock());
      const order: string[] = [];
      const gated: Array<boolean | undefined> = [];
      const watched: Executor = {
        start: (request, onChunk) => {
          gated.push(request.gated);
          return inner.start(
            {
              ...request,
              onSpawn: (pid) => {
                const armed = request.onSpawn?.(pid);
                order.push(armed instanceof Promise ? 'spawned, arming' : 'spawned, not armed');
                return armed instanceof Promise ? armed.then(() => void order.push('armed')) : armed;
              },
            },
            (chunk) => {
              if (!order.includes('output')) order.push('output');
              return onChunk(chunk);
            },
          );
        },
      };
      await withWorker(async (dispatcher) => {
        const exec = dispatcher.start(sent(dispatcher, stageJobId('run-g', 1), 'echo at-once'), () => undefined, local);
        expect(await exec.done).toMatchObject({ exitCode: 0, signal: null });
      }, watched);
      expect(gated).toEqual([true]);
      expect(order).toEqual(['spawned, arming', 'armed', 'output']);
    });

    it("sends the stage again when its stream has no job behind it and no end (a worker's late output into a Redis that lost the job)", async () => {
      await withWorker(async (dispatcher) => {
        const jobId = stageJobId('run-o', 2);
        // What a worker that outlived a Redis restart leaves: a chunk of the old attempt, no start, no end, no job.
        const redis = new Redis({ ...dispatcher.settings.connection, maxRetriesPerRequest: null });
        try {
          await redis.xadd(outputStreamKey(dispatcher.settings.queue, jobId), '*', FIELD.seq, '2', FIELD.stream, 'stdout', FIELD.data, 'late\n');
        } finally {
          redis.disconnect();
        }
        const chunks: ExecChunk[] = [];
        const exec = dispatcher.start(
          sent(dispatcher, jobId, 'echo again'),
          async (chunk) => {
            chunks.push(chunk);
          },
          local,
        );
        // Bounded for the code that read the orphan stream forever.
        let bound: NodeJS.Timeout | undefined;
        const outcome = await Promise.race([
          exec.done,
          new Promise<'waits forever'>((resolve) => (bound = setTimeout(() => resolve('waits forever'), 10_000))),
        ]);
        clearTimeout(bound);
        if (outcome === 'waits forever') exec.cancel('SIGKILL');
        expect(outcome).toMatchObject({ exitCode: 0, signal: null, placement: { where: 'worker', attempts: 1 } });
        expect(Buffer.concat(chunks.map((c) => Buffer.from(c.data))).toString('utf8')).toBe('again\n');
      });
    });

    it('cancels a running stage on its worker (its process group stops)', async () => {
      await withWorker(async (dispatcher) => {
        let cancel: (() => void) | null = null;
        const exec = dispatcher.start(sent(dispatcher, stageJobId('run-c', 1), 'echo started; exec sleep 600'), () => cancel?.(), local);
        cancel = () => exec.cancel('SIGINT');
        expect(await exec.done).toMatchObject({ exitCode: null, signal: 'SIGINT' });
      });
    });
  });

  describe('the CLI: start with a cloud stage, run by a real worker process', () => {
    const PIPELINE = {
      pipelines: [
        {
          id: 'mixed',
          title: 'Mixed',
          stages: [
            { kind: 'command', id: 'here', title: 'Here', command: 'echo here' },
            {
              kind: 'command',
              id: 'away',
              title: 'Away',
              command: 'printf "one\\n"; printf "two\\n" >&2; printf "three\\n"; exit 0',
              executionMode: 'cloud',
            },
          ],
        },
      ],
    };

    /** A stage log as content: the events in order, each chunk's data joined per stream, no times or ids. */
    function stageLog(root: string, name: string): { events: string[]; stdout: string; stderr: string; exit: unknown } {
      const id = onlyRunId(root);
      const lines = readNdjson(join(runFiles(root, id).dir, 'commands', name)) as Json[];
      const data = (stream: string) =>
        lines
          .filter((l) => l.type === 'exec:chunk' && l.stream === stream)
          .map((l) => l.data as string)
          .join('');
      return {
        // Where it ran (exec:attempt lines) is the one addition a cloud stage's log has.
        events: [...new Set(lines.map((l) => l.type as string).filter((t) => t !== 'exec:attempt'))],
        stdout: data('stdout'),
        stderr: data('stderr'),
        exit: lines.filter((l) => l.type === 'command:end').map((l) => [l.exit_code, l.signal]),
      };
    }

    it('writes the same stage logs and the same files as a local run', async () => {
      const local = repo(PIPELINE);
      const localRun = await runCliProcess(['start', 'mixed'], { cwd: local });
      expect(localRun.code, localRun.stderr).toBe(0);

      const cloud = repo(PIPELINE);
      const workerRoot = repo({});
      const queue = queueName();
      const env = { CODEX_ORCHESTRATOR_REDIS_URL: server.url, CODEX_ORCHESTRATOR_CLOUD_QUEUE: queue };
      const worker = await startWorkerProcess(workerRoot, env);
      try {
        const cloudRun = await runCliProcess(['start', 'mixed'], { cwd: cloud, env });
        expect(cloudRun.code, cloudRun.stderr).toBe(0);
        expect(cloudRun.violations).toEqual([]);

        for (const name of ['01-here.ndjson', '02-away.ndjson']) expect(stageLog(cloud, name)).toEqual(stageLog(local, name));
        expect(stageLog(cloud, '02-away.ndjson')).toMatchObject({ stdout: 'one\nthree\n', stderr: 'two\n' });
        const files = (root: string) => listFiles(runFiles(root, onlyRunId(root)).dir).sort();
        expect(files(cloud)).toEqual(files(local));
        expect(
          runFiles(cloud, onlyRunId(cloud))
            .manifest()
            .commands.map((c: Json) => c.status),
        ).toEqual(['succeeded', 'succeeded']);
        // Where it ran, in the manifest: on the worker, once; no chunk lost (a gap would be a summary line).
        const cloudManifest = runFiles(cloud, onlyRunId(cloud)).manifest();
        expect(cloudManifest.commands[1].placement).toMatchObject({ where: 'worker', attempts: 1 });
        expect(cloudManifest.commands[0].placement).toBeUndefined();
        expect(cloudManifest.summary).not.toContain('chunk(s) from its worker were lost');
        checkRunsDir(cloud);
        // The worker wrote nothing in its checkout: no run directory, no evidence.
        expect(existsSync(join(workerRoot, '.runs'))).toBe(false);
        expect(readdirSync(workerRoot)).toEqual(['codex.orchestrator.json']);

        // And it ran there: a cloud stage's cwd is under the worker's root, its env is the run's ids over the worker's own.
        const where = repo({
          pipelines: [
            {
              id: 'where',
              title: 'Where',
              stages: [
                {
                  kind: 'command',
                  id: 'pwd',
                  title: 'Pwd',
                  command:
                    'pwd -P; echo "$CODEX_ORCHESTRATOR_REPO_ROOT ${CODEX_ORCHESTRATOR_MANIFEST_PATH:-no-manifest-path} $CODEX_ORCHESTRATOR_PIPELINE_ID"',
                  executionMode: 'cloud',
                },
              ],
            },
          ],
        });
        // A cloud stage that failed is sent again by resume (a new job under the same id) and succeeds.
        const flaky = repo({
          pipelines: [
            {
              id: 'flaky',
              title: 'Flaky',
              stages: [{ kind: 'command', id: 'f', title: 'F', command: 'test -f flag && echo found', executionMode: 'cloud' }],
            },
          ],
        });
        const failed = await runCliProcess(['start', 'flaky', '--format', 'json'], { cwd: flaky, env });
        expect(failed.code, failed.stderr).toBe(1);
        writeFileSync(join(workerRoot, 'flag'), '');
        const resumed = await runCliProcess(['resume', '--run', JSON.parse(failed.stdout).run_id as string], { cwd: flaky, env });
        expect(resumed.code, resumed.stderr).toBe(0);
        rmSync(join(workerRoot, 'flag'));

        const whereRun = await runCliProcess(['start', 'where'], { cwd: where, env });
        expect(whereRun.code, whereRun.stderr).toBe(0);
        expect(stageLog(where, '01-pwd.ndjson').stdout).toBe(`${realpathSync(workerRoot)}\n${workerRoot} no-manifest-path where\n`);
      } finally {
        worker.kill('SIGTERM');
        const stopped = await worker.result;
        expect(stopped.code, stopped.stderr).toBe(0);
        expect(stopped.stderr).toMatch(/stopping \(SIGTERM\)/);
      }
    });

    it('refuses a bad Redis URL with exit 2 and one line, before anything is written', async () => {
      const root = repo(PIPELINE);
      const result = await runCliProcess(['start', 'mixed'], { cwd: root, env: { CODEX_ORCHESTRATOR_REDIS_URL: 'http://nowhere:1' } });
      expect(result.code).toBe(2);
      expect(result.stderr).toBe("codex-orchestrator: CODEX_ORCHESTRATOR_REDIS_URL: 'http://nowhere:1' is not a Redis URL (unknown scheme http:)\n");
      expect(existsSync(join(root, '.runs'))).toBe(false);
      const worker = await runCliProcess(['worker', '--root', root], { cwd: root, env: { CODEX_ORCHESTRATOR_REDIS_URL: 'redis://' } });
      expect(worker.code).toBe(2);
      expect(worker.stderr.trim().split('\n')).toHaveLength(1);
    });
  });
});
