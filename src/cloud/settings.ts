// Where cloud stages go: the Redis URL (CODEX_ORCHESTRATOR_REDIS_URL) and the queue's name,
// read and checked at the edge. A URL that cannot be used is one line (InputError, exit 2).
import { ENV_VARIABLES } from '../config/env-settings.js';
import { InputError } from '../errors.js';

/** The ioredis options a URL stands for (a TCP host or a unix socket). */
export type RedisConnection = {
  host?: string;
  port?: number;
  path?: string;
  username?: string;
  password?: string;
  db?: number;
  tls?: Record<string, never>;
};

export type CloudSettings = { connection: RedisConnection; queue: string };

export const DEFAULT_QUEUE = 'codex-orchestrator';

/**
 * `redis://[user:password@]host[:port][/db]`, `rediss://…` (TLS) or `unix:///path/to/redis.sock`
 * (also `redis+unix://`): the connection; anything else an InputError naming `source`.
 */
export function parseRedisUrl(raw: string, source: string): RedisConnection {
  const bad = (why: string) => new InputError(`${source}: '${raw}' is not a Redis URL (${why})`);
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw bad('expected redis://host:port, rediss://host:port or unix:///path/to/redis.sock');
  }
  const auth = {
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
  };
  if (url.protocol === 'unix:' || url.protocol === 'redis+unix:') {
    if (url.host !== '' || url.pathname === '' || url.pathname === '/') throw bad('a unix socket URL names an absolute path: unix:///path');
    return { path: decodeURIComponent(url.pathname), ...auth };
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw bad(`unknown scheme ${url.protocol}`);
  if (!url.hostname) throw bad('no host');
  const db = url.pathname.length > 1 ? url.pathname.slice(1) : null;
  if (db !== null && !/^\d{1,5}$/.test(db)) throw bad(`database '${db}' is not a number`);
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : 6379,
    ...auth,
    ...(db !== null ? { db: Number(db) } : {}),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/** A queue name: letters, digits, `.`, `_`, `-` (no `:`, which BullMQ's keys use). */
export function validateQueueName(name: string, source: string): string {
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(name)) throw new InputError(`${source}: '${name}' is not a queue name (letters, digits, . _ -)`);
  return name;
}

/** The cloud settings of the orchestrator's environment; null when no Redis URL is set (cloud stages run here). */
export function cloudSettingsFrom(env: Record<string, string | undefined>): CloudSettings | null {
  const raw = env[ENV_VARIABLES.redisUrl.name];
  if (raw === undefined || raw === '') return null;
  const connection = parseRedisUrl(raw, ENV_VARIABLES.redisUrl.name);
  const queue = validateQueueName(env[ENV_VARIABLES.cloudQueue.name] || DEFAULT_QUEUE, ENV_VARIABLES.cloudQueue.name);
  return { connection, queue };
}
