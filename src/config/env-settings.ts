// The orchestrator's environment variables, in one catalogue: what `--help` lists, what the
// readers at the edge read, and what counts as "the orchestrator's own" when a harness or a
// test starts a CLI and must not let an enclosing run's values steer it.
import { InputError } from '../errors.js';

export type EnvVariable = { name: string; help: string };

export const ENV_VARIABLES = {
  root: { name: 'CODEX_ORCHESTRATOR_ROOT', help: 'repo root, default: cwd' },
  runsDir: { name: 'CODEX_ORCHESTRATOR_RUNS_DIR', help: 'default <root>/.runs' },
  outDir: { name: 'CODEX_ORCHESTRATOR_OUT_DIR', help: 'default <root>/out' },
  taskId: { name: 'MCP_RUNNER_TASK_ID', help: 'task id, default 0101' },
  privacyMode: { name: 'CODEX_PRIVACY_GUARD_MODE', help: 'privacy guard: enforce; default shadow' },
  trace: { name: 'CODEX_ORCHESTRATOR_TRACE', help: 'rewrite <file> with every write, child start and the CLI return, as NDJSON' },
  debug: { name: 'CODEX_ORCHESTRATOR_DEBUG', help: 'print the stack of an unexpected error' },
  execEventMaxChunks: {
    name: 'CODEX_ORCHESTRATOR_EXEC_EVENT_MAX_CHUNKS',
    help: 'keep the first N chunk events per stage in run-summary.json (0: all; logs keep all)',
  },
  redisUrl: {
    name: 'CODEX_ORCHESTRATOR_REDIS_URL',
    help: 'run cloud stages on workers through Redis: redis://host:port, rediss://… or unix:///path/redis.sock',
  },
  cloudQueue: { name: 'CODEX_ORCHESTRATOR_CLOUD_QUEUE', help: 'the queue cloud stages are sent to, default codex-orchestrator' },
  cloudFallback: {
    name: 'CODEX_ORCHESTRATOR_CLOUD_FALLBACK',
    help: 'when Redis is unreachable: auto (default) runs a cloud stage here, strict fails it',
  },
  metricsPrivacyEventsMax: {
    name: 'CODEX_METRICS_PRIVACY_EVENTS_MAX',
    help: 'keep the first N privacy events in each metrics line (0: none; unset: all; the log keeps all)',
  },
} as const satisfies Record<string, EnvVariable>;

/** `--help`'s lines, one per variable, from the catalogue (so help and readers cannot drift). */
export function envHelpLines(): string[] {
  const width = Math.max(...Object.values(ENV_VARIABLES).map((v) => v.name.length));
  return Object.values(ENV_VARIABLES).map((v) => `  ${v.name.padEnd(width)}  ${v.help}`);
}

/** Prefixes of variables that belong to an orchestrator (its own, and those it sets for children). */
const OWN_PREFIXES = ['CODEX_ORCHESTRATOR_', 'CODEX_PRIVACY_', 'CODEX_METRICS_'];

/**
 * Whether a variable is the orchestrator's: an enclosing run (the lane) sets these, so a
 * harness or a test that starts a CLI clears them first.
 */
export function isOrchestratorVariable(key: string): boolean {
  return key === ENV_VARIABLES.taskId.name || OWN_PREFIXES.some((prefix) => key.startsWith(prefix));
}

/**
 * A variable holding an integer from 0 to `max` (spaces around it allowed): the number, or
 * undefined when it is unset. Anything else is one line naming the variable (InputError).
 */
export function countVariable(env: Record<string, string | undefined>, name: string, max: number): number | undefined {
  const raw = env[name];
  if (raw === undefined) return undefined;
  const text = raw.trim();
  const n = /^\d{1,7}$/.test(text) ? Number(text) : Number.NaN;
  if (!(n <= max)) throw new InputError(`${name}: '${raw}' is not an integer from 0 to ${max}`);
  return n;
}
