// The cloud execution mode when things go wrong (issue 17): Redis unreachable (both fallback
// policies), a worker killed mid-stage (the job runs again on another worker; not when the stage
// is marked "idempotent": false), Redis lost mid-stage, SIGINT on the CLI, the config's
// `cloud.redisUrl`, and two workers sharing the stages of concurrent runs. A real redis-server
// and real worker processes. Stages say "I run" through a FIFO; the only waits on the clock are
// the server's own: a dead worker's lock running out (--lock-ms 500) and a lost Redis's
// reconnect window (cloud.reconnectMs).
import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readNdjson, runCliProcess, startCli } from '../helpers/cli.js';
import { startWorkerProcess, type WorkerProcess } from '../helpers/cloud-worker.js';
import {
  checkRunsDir,
  liveProcessesInGroup,
  liveProcessesInGroupAfter,
  onlyRunId,
  readFifo,
  runFiles,
  useTempRepos,
  type Json,
} from '../helpers/integration.js';
import { HAVE_REDIS, startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { CloudDispatcher } from '../../src/cloud/dispatch-executor.js';
import { outputStreamKey, stageJobId } from '../../src/cloud/protocol.js';
import { createRealClock } from '../../src/runtime/real-clock.js';
import { createSpawnExecutor } from '../../src/runtime/spawn-executor.js';
import { parseRedisUrl } from '../../src/cloud/settings.js';

const repo = useTempRepos();
const queueName = () => `t-${randomUUID().slice(0, 8)}`;

/** A stage that runs twice differently: the first attempt says its pid on the FIFO and blocks; a later one prints `second`. */
const BLOCK_ONCE = 'echo first; if [ -f marker ]; then echo second; exit 0; fi; touch marker; echo "$$" > "$FIFO"; exec sleep 600';

function fifoIn(dir: string): string {
  const path = join(dir, 'ready.fifo');
  execFileSync('mkfifo', [path]);
  return path;
}

/**
 * Watches the queue's output streams (Redis keyspace notifications, turned on here): `deleted`
 * resolves once the orchestrator has deleted a first entry from one, which it does only once
 * the entry is in its logs: a stage's first output chunk has gone from its worker to the run's
 * files. (The stage's own signal, its FIFO, comes before that: its output goes to the worker
 * through a pipe and on to Redis afterwards.) No polling, no timer. `ready` once the watch is on.
 */
function firstDeletion(url: string, queue: string): { ready: Promise<void>; deleted: Promise<void>; close(): void } {
  const connection = { ...parseRedisUrl(url, 'test'), maxRetriesPerRequest: null };
  const subscriber = new Redis(connection);
  const admin = new Redis(connection);
  let seen: () => void = () => undefined;
  const deleted = new Promise<void>((resolve) => (seen = resolve));
  subscriber.on('pmessage', (_pattern: string, _channel: string, event: string) => {
    // 'xtrim': how the dispatcher deleted what it had read until it deleted each chunk once delivered.
    if (event === 'xdel' || event === 'xtrim') seen();
  });
  const ready = (async () => {
    await admin.config('SET', 'notify-keyspace-events', 'Kt');
    await subscriber.psubscribe(`__keyspace@0__:${outputStreamKey(queue, '*')}`);
  })();
  return {
    ready,
    deleted,
    close: () => {
      subscriber.disconnect();
      admin.disconnect();
    },
  };
}

function pipeline(stage: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    ...extra,
    pipelines: [{ id: 'p', title: 'P', stages: [{ kind: 'command', id: 'away', title: 'Away', executionMode: 'cloud', ...stage }] }],
  };
}

function stageEvents(root: string): Json[] {
  return readNdjson(join(runFiles(root, onlyRunId(root)).dir, 'commands', '01-away.ndjson')) as Json[];
}

function manifest(root: string): Json {
  return runFiles(root, onlyRunId(root)).manifest() as Json;
}

describe.skipIf(!HAVE_REDIS)('cloud execution mode: failure semantics on a real redis-server', () => {
  let server: RedisServer;
  const workers: WorkerProcess[] = [];
  const groups: number[] = [];
  const dirs: string[] = [];
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterEach(async () => {
    for (const worker of workers.splice(0)) {
      worker.kill('SIGKILL');
      await worker.result;
    }
    // Stage groups a test saw, stopped here if anything of them is left (a failing test).
    for (const pgid of groups.splice(0)) {
      for (const p of liveProcessesInGroup(pgid)) process.kill(p.pid, 'SIGKILL');
    }
  });
  afterAll(async () => {
    await server?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'codex-cloud-f-'));
    dirs.push(dir);
    return dir;
  };
  const worker = async (root: string, env: Record<string, string>, args: string[]) => {
    const w = await startWorkerProcess(root, env, args);
    workers.push(w);
    return w;
  };

  it('policy auto: Redis unreachable, the stage runs here and the manifest and summary say why', async () => {
    const root = repo(pipeline({ command: 'echo hello' }));
    const missing = join(tempDir(), 'no-redis.sock');
    const result = await runCliProcess(['start', 'p'], { cwd: root, env: { CODEX_ORCHESTRATOR_REDIS_URL: `unix://${missing}` } });
    expect(result.code, result.stderr).toBe(0);
    const reason = `Redis at ${missing} is unreachable (connect ENOENT ${missing}); ran here (cloud fallback policy auto)`;
    expect(manifest(root).commands[0]).toMatchObject({ status: 'succeeded', summary: 'hello', placement: { where: 'here', reason } });
    expect(result.stdout).toContain(`Stage 'Away': ${reason}.`);
    expect(stageEvents(root).map((e) => e.type)).not.toContain('exec:attempt');
    checkRunsDir(root);
  });

  it('policy strict: Redis unreachable, the stage fails with one clear line and nothing runs', async () => {
    const root = repo(pipeline({ command: 'touch ran' }, { cloud: { fallback: 'strict' } }));
    const missing = join(tempDir(), 'no-redis.sock');
    const result = await runCliProcess(['start', 'p', '--format', 'json'], { cwd: root, env: { CODEX_ORCHESTRATOR_REDIS_URL: `unix://${missing}` } });
    expect(result.code).toBe(1);
    const m = manifest(root);
    expect(m.status).toBe('failed');
    expect(m.commands[0]).toMatchObject({
      status: 'failed',
      summary: `Execution error: Redis at ${missing} is unreachable (connect ENOENT ${missing}); the cloud fallback policy is strict`,
    });
    expect(m.commands[0].placement).toBeUndefined();
    expect(existsSync(join(root, 'ran'))).toBe(false);
    // The environment's policy wins over the config's.
    const auto = await runCliProcess(['start', 'p'], {
      cwd: root,
      env: { CODEX_ORCHESTRATOR_REDIS_URL: `unix://${missing}`, CODEX_ORCHESTRATOR_CLOUD_FALLBACK: 'auto' },
    });
    expect(auto.code, auto.stderr).toBe(0);
    expect(existsSync(join(root, 'ran'))).toBe(true);
    checkRunsDir(root, { minManifests: 2 });
  });

  it("uses the config's cloud.redisUrl and cloud.queue when the environment sets none, and records where the stage ran", async () => {
    const queue = queueName();
    const root = repo(pipeline({ command: 'echo "on $CODEX_ORCHESTRATOR_PIPELINE_ID"' }, { cloud: { redisUrl: server.url, queue } }));
    const workerRoot = repo({});
    await worker(workerRoot, { CODEX_ORCHESTRATOR_REDIS_URL: server.url, CODEX_ORCHESTRATOR_CLOUD_QUEUE: queue }, ['--id', 'w-config']);
    const result = await runCliProcess(['start', 'p'], { cwd: root });
    expect(result.code, result.stderr).toBe(0);
    const entry = manifest(root).commands[0];
    expect(entry).toMatchObject({ status: 'succeeded', summary: 'on p' });
    expect(entry.placement).toMatchObject({ where: 'worker', queue, worker_id: 'w-config', attempts: 1 });
    expect(entry.placement.job_id).toBe(`${onlyRunId(root)}.1`);
    const attempts = stageEvents(root).filter((e) => e.type === 'exec:attempt');
    expect(attempts).toMatchObject([{ attempt: 1, worker_id: 'w-config' }]);
    checkRunsDir(root);
  });

  async function killWorkerMidStage(idempotent: boolean) {
    const queue = queueName();
    const env = { CODEX_ORCHESTRATOR_REDIS_URL: server.url, CODEX_ORCHESTRATOR_CLOUD_QUEUE: queue };
    const fifo = fifoIn(tempDir());
    const root = repo(pipeline({ command: BLOCK_ONCE, env: { FIFO: fifo }, ...(idempotent ? {} : { idempotent: false }) }));
    const workerRoot = repo({});
    const first = await worker(workerRoot, env, ['--id', 'w-first', '--lock-ms', '500']);
    const delivered = firstDeletion(server.url, queue);
    await delivered.ready;
    const run = startCli(['start', 'p', '--format', 'json'], { cwd: root, env });
    try {
      groups.push(Number((await readFifo(fifo, run.result)).trim()));
      // Killed once its first chunk is in the run's files: the orchestrator cannot keep what never left the worker.
      await delivered.deleted;
    } finally {
      delivered.close();
    }
    first.kill('SIGKILL');
    await first.result;
    await worker(workerRoot, env, ['--id', 'w-second', '--lock-ms', '500']);
    return { root, env, queue, result: await run.result };
  }

  /** When BullMQ put the job back on the queue (its stalled check's `stalled` event, on Redis's clock), read from the queue's event stream. */
  async function requeuedAt(queue: string, jobId: string): Promise<number | null> {
    const redis = new Redis({ ...parseRedisUrl(server.url, 'test'), maxRetriesPerRequest: null });
    try {
      const events = await redis.xrange(`bull:${queue}:events`, '-', '+');
      const stalled = events.filter(([, fields]) => fields.join(' ').includes(`event stalled jobId ${jobId}`));
      return stalled.length === 0 ? null : Number(stalled[stalled.length - 1]![0].split('-')[0]);
    } finally {
      redis.disconnect();
    }
  }

  it('a worker killed mid-stage: the job runs again on another worker, and each attempt is recorded', async () => {
    const { root, queue, result } = await killWorkerMidStage(true);
    expect(result.code, result.stderr).toBe(0);
    expect(result.violations).toEqual([]);
    const entry = manifest(root).commands[0];
    expect(entry).toMatchObject({ status: 'succeeded', summary: 'second' });
    expect(entry.placement).toMatchObject({ where: 'worker', worker_id: 'w-second', attempts: 2 });
    const events = stageEvents(root);
    const attempts = events.filter((e) => e.type === 'exec:attempt');
    expect(attempts.map((e) => [e.attempt, e.worker_id])).toEqual([
      [1, 'w-first'],
      [2, 'w-second'],
    ]);
    // Attempt 2 waited in the queue from BullMQ putting the job back (its stalled check, after the
    // kill) to w-second taking it: at most until this run logged its start. Not since the job was
    // added, which would count attempt 1's run (and the wait for its lost worker's lock) in it.
    const requeued = await requeuedAt(queue, entry.placement.job_id as string);
    expect(requeued).not.toBeNull();
    expect(attempts[1]!.queued_ms).toBeGreaterThanOrEqual(0);
    expect(attempts[1]!.queued_ms).toBeLessThanOrEqual(Date.parse(attempts[1]!.timestamp as string) - requeued!);
    expect(entry.placement.queued_ms).toBe(attempts[1]!.queued_ms);
    // Each attempt's output is kept, under its attempt.
    const output = (n: number) =>
      events
        .filter((e) => e.type === 'exec:chunk' && e.attempt === n)
        .map((e) => e.data)
        .join('');
    expect([output(1), output(2)]).toEqual(['first\n', 'first\nsecond\n']);
    expect(events.find((e) => e.type === 'exec:end')).toMatchObject({ attempt: 2, exit_code: 0 });
    expect(JSON.parse(readFileSync(runFiles(root, onlyRunId(root)).dir + '/manifest.json', 'utf8')).summary).toContain(
      "Stage 'Away' ran 2 times: its worker was lost 1 time(s) mid-stage.",
    );
    checkRunsDir(root);
  });

  // Found after spec 0015: a worker lost while no other runs left the stage waiting in silence
  // (no worker's stalled check, so no event). The dispatcher watches the running attempt's lock
  // on its job; once it is gone with the job still active and no live worker checking for
  // stalled jobs, the stage hears of it. The dispatcher runs in this process (a look every 200 ms).
  async function loseWorker(options: { others: number }) {
    const queue = queueName();
    const env = { CODEX_ORCHESTRATOR_REDIS_URL: server.url, CODEX_ORCHESTRATOR_CLOUD_QUEUE: queue };
    const fifo = fifoIn(tempDir());
    const workerRoot = repo({});
    const first = await worker(workerRoot, env, ['--id', 'w-only', '--lock-ms', '500']);
    const settings = { connection: parseRedisUrl(server.url, 'test'), queue, fallback: 'strict' as const, target: 'test' };
    const dispatcher = new CloudDispatcher(settings, undefined, 200);
    const lost: Array<{ attempt: number; workerId: string }> = [];
    let sayLost: () => void = () => undefined;
    const heard = new Promise<void>((resolve) => (sayLost = resolve));
    const attempts: string[] = [];
    const chunks: string[] = [];
    const jobId = stageJobId('run-lost', 1);
    const exec = dispatcher.start(
      {
        command: 'unused',
        cwd: '/unused',
        env: {},
        stageKey: 'p/away',
        dispatch: { settings, jobId, job: { command: BLOCK_ONCE, cwd: '.', env: { FIFO: fifo }, stageKey: 'p/away' } },
        onAttempt: (attempt) => void attempts.push(`${attempt.attempt}:${attempt.workerId}`),
        onWorkerLost: (which) => {
          lost.push(which);
          sayLost();
        },
      },
      (chunk) => void chunks.push(Buffer.from(chunk.data).toString('utf8')),
      createSpawnExecutor(createRealClock()),
    );
    exec.done.catch(() => undefined);
    groups.push(Number((await readFifo(fifo, exec.done)).trim()));
    // Alive, its worker holds the lock: nothing said.
    expect(lost).toEqual([]);
    // Other workers, started once the stage runs on the first (so that they do not take it).
    for (let i = 0; i < options.others; i += 1) await worker(workerRoot, env, ['--id', `w-other-${i}`, '--lock-ms', '500']);
    first.kill('SIGKILL');
    await first.result;
    return { env, workerRoot, dispatcher, exec, lost, heard, attempts, chunks, jobId, settings };
  }

  it('a worker lost while no other runs: the dispatcher says so once (its lock on the job is gone), and a worker that comes later runs the stage again', async () => {
    const { env, workerRoot, dispatcher, exec, lost, heard, attempts, chunks } = await loseWorker({ others: 0 });
    try {
      await heard;
      expect(lost).toEqual([{ attempt: 1, workerId: 'w-only' }]);
      // A worker that comes later takes the job back and runs the stage again; said once only.
      await worker(workerRoot, env, ['--id', 'w-later', '--lock-ms', '500']);
      expect(await exec.done).toMatchObject({ exitCode: 0, placement: { where: 'worker', worker_id: 'w-later', attempts: 2 } });
      expect(attempts).toEqual(['1:w-only', '2:w-later']);
      expect(chunks.join('')).toContain('second\n');
      expect(lost).toHaveLength(1);
    } finally {
      await dispatcher.close();
    }
  });

  // Found in review: with another worker running, the notice came before that worker's stalled
  // check took the job back, telling the user to start a worker while one was there.
  it('a worker lost while another runs: nothing is said, and the other takes the job back', async () => {
    const { dispatcher, exec, lost, attempts } = await loseWorker({ others: 1 });
    try {
      expect(await exec.done).toMatchObject({ exitCode: 0, placement: { where: 'worker', worker_id: 'w-other-0', attempts: 2 } });
      expect(attempts).toEqual(['1:w-only', '2:w-other-0']);
      expect(lost).toEqual([]);
    } finally {
      await dispatcher.close();
    }
  });

  // Found in review: cancelled while its worker was lost, the stage waited forever (the cancel
  // went to no one), and a worker started afterwards ran the cancelled stage again.
  it('a stage cancelled while its worker is lost ends cancelled at once, its job off the queue: no worker runs it again', async () => {
    const { dispatcher, exec, heard, jobId, settings } = await loseWorker({ others: 0 });
    try {
      await heard;
      exec.cancel('SIGINT');
      expect(await exec.done).toMatchObject({ exitCode: null, signal: 'SIGINT' });
      const queue = new Queue(settings.queue, { connection: { ...settings.connection, maxRetriesPerRequest: null } });
      try {
        expect(await queue.getJob(jobId)).toBeUndefined();
      } finally {
        await queue.close();
      }
    } finally {
      await dispatcher.close();
    }
  });

  it('a stage marked "idempotent": false is not run again after its worker is lost: it fails and says why; resume runs it', async () => {
    const { root, env, result } = await killWorkerMidStage(false);
    expect(result.code).toBe(1);
    const entry = manifest(root).commands[0];
    expect(entry.status).toBe('failed');
    expect(entry.summary).toBe('Execution error: not run again: its worker was lost during attempt 1, and the stage is marked "idempotent": false');
    // w-second took the job and refused it: no attempt started there. The placement is the worker
    // of the stage's last attempt, the one that ran (w-first), with that attempt's wait; the log
    // has that attempt alone, and all the output is its own.
    const events = stageEvents(root);
    const attempts = events.filter((e) => e.type === 'exec:attempt');
    expect(attempts.map((e) => [e.attempt, e.worker_id])).toEqual([[1, 'w-first']]);
    expect(entry.placement).toEqual({
      where: 'worker',
      queue: expect.any(String),
      job_id: `${onlyRunId(root)}.1`,
      worker_id: 'w-first',
      attempts: 1,
      queued_ms: attempts[0]!.queued_ms,
    });
    expect(events.filter((e) => e.type === 'exec:chunk').map((e) => [e.attempt, e.data])).toEqual([[1, 'first\n']]);
    expect(manifest(root).summary).not.toContain('ran 2 times');
    checkRunsDir(root);
    // The resume the CLI suggests sends it again, as a new job (it replayed the failed end before).
    const resumed = await runCliProcess(['resume', '--run', onlyRunId(root)], { cwd: root, env });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(manifest(root).commands[0]).toMatchObject({ status: 'succeeded' });
  });

  it('the CLI killed (kill -9) mid-stage and resumed while the worker runs on: each chunk is logged once, and the placement is recorded', async () => {
    const queue = queueName();
    const env = { CODEX_ORCHESTRATOR_REDIS_URL: server.url, CODEX_ORCHESTRATOR_CLOUD_QUEUE: queue };
    const dir = tempDir();
    const ready = fifoIn(dir);
    // The stage waits for the test's word on a second FIFO before its second line.
    const go = join(dir, 'go.fifo');
    execFileSync('mkfifo', [go]);
    const root = repo(pipeline({ command: 'echo first; echo "$$" > "$FIFO"; read word < "$GO"; echo second', env: { FIFO: ready, GO: go } }));
    await worker(repo({}), env, ['--id', 'w-stays']);
    const watch = firstDeletion(server.url, queue);
    await watch.ready;
    const run = startCli(['start', 'p', '--format', 'json'], { cwd: root, env, invariants: false });
    try {
      groups.push(Number((await readFifo(ready, run.result)).trim()));
      // Killed once it has logged the first chunk and said so to Redis (deleting what it read).
      await watch.deleted;
    } finally {
      watch.close();
    }
    run.child.kill('SIGKILL');
    await run.result;
    writeFileSync(go, 'go\n');
    const resumed = await runCliProcess(['resume', '--run', onlyRunId(root)], { cwd: root, env });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.violations).toEqual([]);
    const events = stageEvents(root);
    const chunks = events.filter((e) => e.type === 'exec:chunk').map((e) => e.data);
    // Byte for byte: each chunk once, over the killed run's lines and the resumed run's.
    expect(chunks).toEqual(['first\n', 'second\n']);
    const entry = manifest(root).commands[0];
    expect(entry).toMatchObject({ status: 'succeeded', summary: 'second' });
    expect(entry.placement).toMatchObject({ where: 'worker', queue, worker_id: 'w-stays', attempts: 1 });
    expect(entry.placement.queued_ms).toEqual(events.find((e) => e.type === 'exec:attempt')!.queued_ms);
    // The resumed run says where the stage runs again, before its output; no chunk was lost.
    const resumedPart = events.slice(events.findLastIndex((e) => e.type === 'command:start'));
    expect(resumedPart.map((e) => e.type)).toEqual(['command:start', 'exec:begin', 'exec:attempt', 'exec:chunk', 'exec:end', 'command:end']);
    expect(manifest(root).summary).not.toContain('chunk(s) from its worker were lost');
    checkRunsDir(root);
  });

  it("a worker killed outright (kill -9) leaves no stage process behind: its stage's process group is stopped on its machine", async () => {
    const queue = queueName();
    const env = { CODEX_ORCHESTRATOR_REDIS_URL: server.url, CODEX_ORCHESTRATOR_CLOUD_QUEUE: queue };
    const dir = tempDir();
    const ready = fifoIn(dir);
    // Every process of the stage holds this FIFO's write end (fd 3): its reader sees the end of
    // the file once the whole stage is gone, the event the test waits for.
    const hold = join(dir, 'hold.fifo');
    execFileSync('mkfifo', [hold]);
    const root = repo(pipeline({ command: 'exec 3>"$HOLD"; echo "$$" > "$FIFO"; exec sleep 600', env: { FIFO: ready, HOLD: hold } }));
    const doomed = await worker(repo({}), env, ['--id', 'w-doomed']);
    const run = startCli(['start', 'p', '--format', 'json'], { cwd: root, env, invariants: false });
    const holder = createReadStream(hold);
    holder.resume();
    const stageGone = new Promise<void>((resolve) => holder.once('close', () => resolve()));
    try {
      const pgid = Number((await readFifo(ready, run.result)).trim());
      groups.push(pgid);
      expect(liveProcessesInGroup(pgid).length).toBeGreaterThan(0);
      doomed.kill('SIGKILL');
      await doomed.result;
      // Bounded for the old code (where the stage runs on): the guard stops it at once.
      let bound: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        stageGone.then(() => 'gone' as const),
        new Promise<'still running'>((resolve) => (bound = setTimeout(() => resolve('still running'), 5_000))),
      ]);
      clearTimeout(bound);
      expect(outcome).toBe('gone');
      expect(await liveProcessesInGroupAfter(pgid)).toEqual([]);
    } finally {
      run.child.kill('SIGKILL');
      await run.result.catch(() => undefined);
      holder.destroy();
    }
  });

  /** Resolves with what it printed once `child` says `line` on stderr, or null when it exits first or stays silent for `boundMs`. */
  function saysOnStderr(child: ReturnType<typeof startCli>['child'], line: string, boundMs: number): Promise<string | null> {
    let text = '';
    return new Promise((resolve) => {
      const bound = setTimeout(() => resolve(null), boundMs);
      child.stderr!.on('data', (data: Buffer) => {
        text += data.toString('utf8');
        if (text.includes(line)) {
          clearTimeout(bound);
          resolve(text);
        }
      });
      child.once('exit', () => {
        clearTimeout(bound);
        resolve(null);
      });
    });
  }

  it('a worker whose Redis never answers says it is waiting, and stops promptly on SIGTERM with one line (exit 1)', async () => {
    const missing = join(tempDir(), 'no-redis.sock');
    const root = repo({});
    const waiting = startCli(['worker', '--root', root, '--id', 'w-waiting'], {
      cwd: root,
      env: { CODEX_ORCHESTRATOR_REDIS_URL: `unix://${missing}` },
      invariants: false,
    });
    // A password in the URL is never printed: the line names host:port.
    const secret = startCli(['worker', '--root', root, '--id', 'w-secret'], {
      cwd: root,
      env: { CODEX_ORCHESTRATOR_REDIS_URL: 'redis://:s3cret@127.0.0.1:1' },
      invariants: false,
    });
    try {
      // Bounded for the old code, which prints nothing before Redis answers.
      const said = await Promise.all([
        saysOnStderr(waiting.child, `codex-orchestrator: worker w-waiting waiting for Redis at ${missing}\n`, 10_000),
        saysOnStderr(secret.child, 'codex-orchestrator: worker w-secret waiting for Redis at 127.0.0.1:1\n', 10_000),
      ]);
      expect(said).not.toContain(null);
      waiting.child.kill('SIGTERM');
      secret.child.kill('SIGTERM');
      // Promptly: bounded at 5 s (it used to wait for a ready that never came, forever).
      let bound: NodeJS.Timeout | undefined;
      const ended = await Promise.race([
        Promise.all([waiting.result, secret.result]),
        new Promise<null>((resolve) => (bound = setTimeout(() => resolve(null), 5_000))),
      ]);
      clearTimeout(bound);
      expect(ended, 'a worker still runs 5 s after SIGTERM').not.toBeNull();
      const [stopped, stoppedSecret] = ended!;
      expect(stopped.code).toBe(1);
      expect(stopped.stderr).toBe(
        `codex-orchestrator: worker w-waiting waiting for Redis at ${missing}\n` +
          `codex-orchestrator: worker w-waiting stopping (SIGTERM) before it was ready: Redis at ${missing} did not answer\n`,
      );
      expect(stoppedSecret.code).toBe(1);
      expect(stoppedSecret.stderr).not.toContain('s3cret');
      expect(stoppedSecret.stderr.trim().split('\n')).toHaveLength(2);
    } finally {
      for (const { child } of [waiting, secret]) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await Promise.all([waiting.result, secret.result]).catch(() => undefined);
    }
  });

  it('Redis lost mid-stage: the stage fails with the reason, the files stay valid, and resume finishes the run', async () => {
    const own = await startRedisServer();
    let restarted: RedisServer | null = null;
    try {
      const queue = queueName();
      const env = { CODEX_ORCHESTRATOR_REDIS_URL: own.url, CODEX_ORCHESTRATOR_CLOUD_QUEUE: queue };
      const fifo = fifoIn(tempDir());
      const root = repo(pipeline({ command: BLOCK_ONCE, env: { FIFO: fifo } }, { cloud: { reconnectMs: 300 } }));
      const workerRoot = repo({});
      const lost = await worker(workerRoot, env, ['--id', 'w-lost']);
      const run = startCli(['start', 'p', '--format', 'json'], { cwd: root, env });
      groups.push(Number((await readFifo(fifo, run.result)).trim()));
      await own.stop({ keepSocketDir: true });
      const result = await run.result;
      expect(result.code).toBe(1);
      expect(result.violations).toEqual([]);
      const entry = manifest(root).commands[0];
      expect(entry.status).toBe('failed');
      expect(entry.summary).toBe(`Execution error: lost the connection to Redis at ${own.socket} and could not reconnect`);
      checkRunsDir(root);

      // The same URL again, a new worker: resume sends the stage again and the run succeeds.
      lost.kill('SIGKILL');
      restarted = await startRedisServer(own.socket);
      await worker(workerRoot, env, ['--id', 'w-back']);
      const resumed = await runCliProcess(['resume', '--run', onlyRunId(root)], { cwd: root, env });
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(manifest(root).commands[0]).toMatchObject({ status: 'succeeded', summary: 'second', placement: { worker_id: 'w-back' } });
      checkRunsDir(root);
    } finally {
      await restarted?.stop();
      rmSync(dirname(own.socket), { recursive: true, force: true });
    }
  });

  it('SIGINT on the CLI stops the remote stage (its process group on the worker) and the run ends cancelled with 130', async () => {
    const queue = queueName();
    const env = { CODEX_ORCHESTRATOR_REDIS_URL: server.url, CODEX_ORCHESTRATOR_CLOUD_QUEUE: queue };
    const fifo = fifoIn(tempDir());
    const root = repo(pipeline({ command: BLOCK_ONCE, env: { FIFO: fifo } }));
    const workerRoot = repo({});
    await worker(workerRoot, env, ['--id', 'w-cancel']);
    const run = startCli(['start', 'p', '--format', 'json'], { cwd: root, env });
    const pgid = Number((await readFifo(fifo, run.result)).trim());
    groups.push(pgid);
    run.child.kill('SIGINT');
    const result = await run.result;
    expect(result.code).toBe(130);
    expect(manifest(root).status).toBe('cancelled');
    expect(liveProcessesInGroup(pgid)).toEqual([]);
    checkRunsDir(root);
  });

  it('SIGINT on the CLI while its stage waits for a worker (none there): the job is taken off the queue and the run ends cancelled with 130', async () => {
    const queue = queueName();
    const env = { CODEX_ORCHESTRATOR_REDIS_URL: server.url, CODEX_ORCHESTRATOR_CLOUD_QUEUE: queue };
    const root = repo(pipeline({ command: 'echo never' }));
    const redis = new Redis({ ...parseRedisUrl(server.url, 'test'), maxRetriesPerRequest: null });
    try {
      const run = startCli(['start', 'p', '--format', 'json'], { cwd: root, env });
      // On the queue: BullMQ's `waiting` event for the job (a blocking read of its event stream, no polling).
      let after = '0';
      let jobId: string | null = null;
      while (jobId === null) {
        const reply = (await redis.xread('BLOCK', 0, 'STREAMS', `bull:${queue}:events`, after)) as [string, [string, string[]][]][] | null;
        for (const [, entries] of reply ?? []) {
          for (const [id, fields] of entries) {
            after = id;
            if (fields[0] === 'event' && fields[1] === 'waiting') jobId = fields[3]!;
          }
        }
      }
      run.child.kill('SIGINT');
      const result = await run.result;
      expect(result.code, result.stderr).toBe(130);
      expect(manifest(root)).toMatchObject({ status: 'cancelled', status_detail: 'cancelled:SIGINT' });
      expect(jobId).toBe(`${onlyRunId(root)}.1`);
      expect(await redis.exists(`bull:${queue}:${jobId}`)).toBe(0);
      checkRunsDir(root);
    } finally {
      redis.disconnect();
    }
  });

  it('two workers share 20 stages of 4 concurrent runs: each stage runs exactly once and every run succeeds', async () => {
    const queue = queueName();
    const env = { CODEX_ORCHESTRATOR_REDIS_URL: server.url, CODEX_ORCHESTRATOR_CLOUD_QUEUE: queue };
    const workerRoot = repo({});
    await worker(workerRoot, env, ['--id', 'w-a', '--concurrency', '2']);
    await worker(workerRoot, env, ['--id', 'w-b', '--concurrency', '2']);
    const config = {
      pipelines: [
        {
          id: 'five',
          title: 'Five',
          stages: Array.from({ length: 5 }, (_, i) => ({
            kind: 'command',
            id: `s${i + 1}`,
            title: `S${i + 1}`,
            command: `echo "$CODEX_ORCHESTRATOR_RUN_ID s${i + 1}" >> ran.log; echo done ${i + 1}`,
            executionMode: 'cloud',
          })),
        },
      ],
    };
    const roots = Array.from({ length: 4 }, () => repo(config));
    const results = await Promise.all(roots.map((root) => runCliProcess(['start', 'five'], { cwd: root, env })));
    for (const result of results) expect(result.code, result.stderr).toBe(0);
    const ran = readFileSync(join(workerRoot, 'ran.log'), 'utf8').trim().split('\n');
    expect(ran).toHaveLength(20);
    expect(new Set(ran).size).toBe(20);
    const placements = roots.flatMap((root) => (manifest(root).commands as Json[]).map((c) => c.placement));
    expect(placements.every((p) => p.where === 'worker' && p.attempts === 1 && ['w-a', 'w-b'].includes(p.worker_id))).toBe(true);
    for (const root of roots) checkRunsDir(root);
  });
});
