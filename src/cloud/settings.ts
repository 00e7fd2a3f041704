// Where cloud stages go: the Redis URL (CODEX_ORCHESTRATOR_REDIS_URL, else the config's
// `cloud.redisUrl`), the queue's name and the fallback policy, read and checked at the edge. A
// URL that cannot be used is one line (InputError, exit 2) that never shows its password.
import { ENV_VARIABLES } from '../config/env-settings.js';
import type { OrchestratorConfig } from '../config/schema.js';
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

/** When Redis cannot be reached: `auto` runs the cloud stage here (and records why), `strict` fails it. */
export type CloudFallback = 'auto' | 'strict';

export type CloudSettings = {
  connection: RedisConnection;
  queue: string;
  fallback: CloudFallback;
  /** The server as messages name it: `host:port` or the socket's path (never a password). */
  target: string;
};

/** The URL as a message may show it: its password replaced by `***`. */
export function redactRedisUrl(raw: string): string {
  return raw.replace(/^([a-z+]+:\/\/[^:/@]*:)[^@/]*@/i, '$1***@');
}

/** The server a connection reaches, for messages. */
export function describeTarget(connection: RedisConnection): string {
  return connection.path ?? `${connection.host?.includes(':') ? `[${connection.host}]` : connection.host}:${connection.port}`;
}

export const DEFAULT_QUEUE = 'codex-orchestrator';

/**
 * `redis://[user:password@]host[:port][/db]`, `rediss://…` (TLS) or `unix:///path/to/redis.sock`
 * (also `redis+unix://`): the connection; anything else an InputError naming `source`.
 */
export function parseRedisUrl(raw: string, source: string): RedisConnection {
  const bad = (why: string) => new InputError(`${source}: '${redactRedisUrl(raw)}' is not a Redis URL (${why})`);
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

/**
 * The cloud settings of the orchestrator's environment, else of the config's `cloud` block;
 * null when no Redis URL is set (cloud stages run here, as they always did).
 */
export function cloudSettingsFrom(
  env: Record<string, string | undefined>,
  config: Pick<OrchestratorConfig, 'cloud'> | null = null,
): CloudSettings | null {
  const fromEnv = env[ENV_VARIABLES.redisUrl.name];
  const raw = fromEnv || config?.cloud?.redisUrl;
  if (raw === undefined || raw === '') return null;
  const connection = parseRedisUrl(raw, fromEnv ? ENV_VARIABLES.redisUrl.name : 'codex.orchestrator.json: cloud.redisUrl');
  const envQueue = env[ENV_VARIABLES.cloudQueue.name];
  const queue = validateQueueName(
    envQueue || config?.cloud?.queue || DEFAULT_QUEUE,
    envQueue ? ENV_VARIABLES.cloudQueue.name : 'codex.orchestrator.json: cloud.queue',
  );
  const envFallback = env[ENV_VARIABLES.cloudFallback.name];
  if (envFallback && envFallback !== 'auto' && envFallback !== 'strict')
    throw new InputError(`${ENV_VARIABLES.cloudFallback.name}: '${envFallback}' is not a fallback policy (auto or strict)`);
  const fallback: CloudFallback = (envFallback as CloudFallback | undefined) || config?.cloud?.fallback || 'auto';
  return { connection, queue, fallback, target: describeTarget(connection) };
}
