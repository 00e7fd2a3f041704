// What a cloud scenario's real run (golden record, golden fidelity) sets up besides the CLI: a
// redis-server of its own on a unix socket in a temp directory, and real worker processes
// (`codex-orchestrator worker`, the built bin) on one checkout seeded like the run's repo. The
// run's Redis URL points at that socket; everything the run recorded says the scenario's
// declared socket instead (`declare`), so the expected files never show the temp path. Nothing
// waits on the clock: the server's and each worker's readiness lines, a worker's exit.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isOrchestratorVariable } from '../../config/env-settings.js';
import { OrchestratorError } from '../../errors.js';
import type { ScenarioCloud } from './scenario.js';

/** Whether `redis-server` is installed (a cloud scenario with `redis: up` needs it). */
export function haveRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Whether the scenario's real run needs a redis-server (cloud `redis: up`). */
export const needsRedisServer = (cloud: ScenarioCloud | undefined): boolean => cloud !== undefined && cloud.redis === 'up';

/** The built bin (`dist/src/cli/bin.cjs` of this checkout), which worker processes run. */
function builtBin(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dirname(dir) !== dir; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) {
      const bin = join(dir, 'dist', 'src', 'cli', 'bin.cjs');
      if (!existsSync(bin)) throw new OrchestratorError(`golden: a cloud scenario's workers run the built CLI, and ${bin} is missing: run \`npm run build\``, 2);
      return bin;
    }
  }
  throw new OrchestratorError('golden: no package.json above the harness: cannot find the built CLI for the workers', 2);
}

/** Resolves when `child` prints `pattern` (stdout or stderr); rejects with what it printed if it exits first. */
function printed(child: ChildProcess, pattern: RegExp, what: string): Promise<void> {
  let output = '';
  return new Promise<void>((resolve, reject) => {
    const onData = (data: Buffer) => {
      output += data.toString('utf8');
      if (pattern.test(output)) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', reject);
    child.once('exit', (code, signal) => reject(new OrchestratorError(`golden: ${what} exited (${code ?? signal}) before it was ready: ${output.trim()}`, 1)));
  });
}

/** How long the workers get to stop on SIGTERM at the end of a real run before they are killed. */
const STOP_MS = 10_000;

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => child.once('exit', () => resolve()));

export type CloudSetup = {
  /** The Redis URL the real run uses (the temp socket). */
  url: string;
  /** `text` with the temp socket's path replaced by the declared one. */
  declare(data: Buffer): Buffer;
  /** Told of every output chunk of a cloud stage the orchestrator receives (a `kill_worker` fires on it); awaited before the next. */
  onCloudChunk(): Promise<void>;
  /** Stops the workers (SIGTERM, their exit awaited) and the server, and removes the temp directory. */
  stop(): Promise<void>;
};

/**
 * Starts what `cloud` asks for. `seedCheckout` puts the scenario's input files into the
 * workers' checkout (a checkout of the same commit as the run's repo).
 */
export async function startCloudSetup(cloud: ScenarioCloud, declaredSocket: string, seedCheckout: (root: string) => Promise<void>): Promise<CloudSetup> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), 'golden-cloud-')));
  const socket = join(dir, 'redis.sock');
  const url = `unix://${socket}`;
  let server: ChildProcess | null = null;
  const workers = new Map<string, ChildProcess>();
  const checkout = join(dir, 'checkout');

  const startWorker = async (id: string) => {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !isOrchestratorVariable(key)) env[key] = value;
    env.CODEX_ORCHESTRATOR_REDIS_URL = url;
    const args = [builtBin(), 'worker', '--root', checkout, '--id', id, ...(cloud.lock_ms === undefined ? [] : ['--lock-ms', String(cloud.lock_ms)])];
    const child = spawn(process.execPath, args, { cwd: checkout, env, stdio: ['ignore', 'ignore', 'pipe'] });
    workers.set(id, child);
    await printed(child, / ready on queue /, `worker ${id}`);
  };

  const stop = async () => {
    for (const child of workers.values()) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    // A worker lets its running stages finish first; one that is still not gone after STOP_MS is killed.
    const killer = setTimeout(() => {
      for (const child of workers.values()) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }, STOP_MS);
    await Promise.all([...workers.values()].map(exited));
    clearTimeout(killer);
    if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGTERM');
    if (server) await exited(server);
    await rm(dir, { recursive: true, force: true });
  };

  try {
    if (cloud.redis === 'up') {
      if (!haveRedisServer()) throw new OrchestratorError('golden: this cloud scenario needs redis-server (apt-get install -y redis-server)', 2);
      server = spawn('redis-server', ['--port', '0', '--unixsocket', socket, '--unixsocketperm', '700', '--save', '', '--appendonly', 'no', '--dir', dir], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      await printed(server, /ready to accept connections/i, 'redis-server');
    }
    await mkdir(checkout);
    await seedCheckout(checkout);
    for (const id of cloud.workers) await startWorker(id);
  } catch (error) {
    await stop();
    throw error;
  }

  let chunks = 0;
  const kill = cloud.kill_worker;
  const from = Buffer.from(socket);
  const to = Buffer.from(declaredSocket);
  return {
    url,
    declare(data) {
      const parts: Buffer[] = [];
      let at = 0;
      for (let next = data.indexOf(from, at); next !== -1; next = data.indexOf(from, at)) {
        parts.push(data.subarray(at, next), to);
        at = next + from.length;
      }
      return at === 0 ? data : Buffer.concat([...parts, data.subarray(at)]);
    },
    async onCloudChunk() {
      chunks += 1;
      if (!kill || chunks !== kill.after_chunks) return;
      const victim = workers.get(kill.id)!;
      victim.kill('SIGKILL');
      await exited(victim);
      if (kill.then_start) await startWorker(kill.then_start);
    },
    stop,
  };
}
