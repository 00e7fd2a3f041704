// A real redis-server for the cloud tests: on a unix socket in a temp directory (no port to
// pick, none to collide on), no persistence. Ready when the server says so on its output (the
// "ready to accept connections" line), never after a sleep; stopped (SIGTERM, then its exit
// waited for) and its directory removed by `stop()`.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type RedisServer = {
  socket: string;
  url: string;
  /** `keepSocketDir`: the socket's directory stays, so a server can be started again at the same URL. */
  stop(options?: { keepSocketDir?: boolean }): Promise<void>;
};

/** Whether redis-server is installed (`.ci/run` installs it; a test without it is skipped with the reason). */
export const HAVE_REDIS = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;

/** A server on a new socket, or on `at` (a socket path whose directory exists: a restarted server at the same URL). */
export async function startRedisServer(at?: string): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'codex-redis-'));
  const socket = at ?? join(dir, 'redis.sock');
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', '0', '--unixsocket', socket, '--unixsocketperm', '700', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await new Promise<void>((resolve, reject) => {
      const onData = (data: Buffer) => {
        output += data.toString('utf8');
        if (/ready to accept connections/i.test(output)) resolve();
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('error', reject);
      child.once('exit', (code, signal) => reject(new Error(`redis-server exited (${code ?? signal}) before it was ready:\n${output}`)));
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    socket,
    url: `redis+unix://${socket}`,
    async stop(options = {}) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      if (!options.keepSocketDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
