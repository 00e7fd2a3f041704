// Where a run's files live (paths and ids only: no file sink, no clock), how run ids and file
// slugs are made, which task / run ids are accepted (validated, never rewritten), and the
// manifest's time format.
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ENV_VARIABLES } from '../config/env-settings.js';
import { InputError } from '../errors.js';
import type { Ids } from '../runtime/types.js';

export function validateId(kind: 'task id' | 'run id' | 'parent run id', value: string): string {
  const shown = JSON.stringify(value);
  const refuse = (why: string): never => {
    throw new InputError(`invalid ${kind} ${shown}: ${why}`);
  };
  if (value.length === 0) refuse('it is empty');
  if (value.length > 200) refuse('it is longer than 200 characters');
  if (/[\u0000-\u001f\u007f]/.test(value)) refuse('it contains a control character');
  const bad = value.match(/[<>:"|?*]/);
  if (bad) refuse(`it contains '${bad[0]}'`);
  if (value.includes('/') || value.includes('\\')) refuse('it contains a path separator');
  if (value.startsWith('.')) refuse("it starts with '.'");
  return value;
}

/** A run id anywhere in a text (global: use with replace/match). */
export const RUN_ID_PATTERN = /\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z-[0-9a-f]{8}/g;

/** A run's manifest, `<runs dir>/<task>/cli/<run id>/manifest.json` (not the compat pointer under mcp/), '/'-separated. */
export const RUN_MANIFEST_PATTERN = /(^|\/)cli\/[^/]+\/manifest\.json$/;

/** `2025-12-26T08-11-25-461Z-6ba85057`: the start time with ':' and '.' as '-', then 8 hex chars. */
export function makeRunId(nowMs: number, ids: Ids): string {
  return `${new Date(nowMs).toISOString().replace(/[:.]/g, '-')}-${ids.runSuffix()}`;
}

/** Runs of characters outside [A-Za-z0-9] become '-', trimmed of '-', at most 80 chars. */
export function slugify(id: string): string {
  const slug = id
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80)
    .replace(/-+$/, '');
  return slug.length > 0 ? slug : 'stage';
}

export function commandFileStem(index: number, stageId: string): string {
  return `${String(index).padStart(2, '0')}-${slugify(stageId)}`;
}

export const MANIFEST_FILE = 'manifest.json';

export type Roots = {
  /** Repo root (absolute). */
  root: string;
  runsDir: string;
  outDir: string;
};

export function resolveRoots(env: Record<string, string | undefined>, cwd: string): Roots {
  const root = resolve(cwd, env[ENV_VARIABLES.root.name] || '.');
  return {
    root,
    runsDir: resolve(root, env[ENV_VARIABLES.runsDir.name] || '.runs'),
    outDir: resolve(root, env[ENV_VARIABLES.outDir.name] || 'out'),
  };
}

/** A path as the manifest stores it: relative to the repo root, with '/' separators. */
export function repoRelative(roots: Roots, path: string): string {
  const rel = relative(roots.root, path);
  return (rel === '' ? '.' : rel).split(sep).join('/');
}

/**
 * How a run names a file of its own that could not be written (its status detail and
 * summary): relative to the run's directory when it is in it (`commands/01-build.ndjson`),
 * else relative to the repo root (`out/0101/state.json`).
 */
export function evidenceName(paths: RunLayout, path: string): string {
  const rel = relative(paths.runDir, path);
  if (rel !== '' && !rel.startsWith('..') && !isAbsolute(rel)) return rel.split(sep).join('/');
  return repoRelative(paths, path);
}

export function fromRepoRelative(roots: Roots, path: string): string {
  return isAbsolute(path) ? path : join(roots.root, path);
}

/**
 * Where one run's files live: absolute paths and ids, nothing that can write them (the
 * capabilities are added by src/persist/manifest-writer.ts: RunPaths).
 */
export type RunLayout = Roots & {
  taskId: string;
  runId: string;
  runDir: string;
  manifestPath: string;
  runnerLogPath: string;
  commandsDir: string;
  errorsDir: string;
  privacyLogPath: string;
  runSummaryPath: string;
  heartbeatPath: string;
  resumeTokenPath: string;
  /** The run's owner (the one process that may run it now); absent while no process owns it. */
  ownerPath: string;
  compatPath: string;
  metricsPath: string;
  metricsLockPath: string;
  metricsPendingDir: string;
  statePath: string;
};

/** `<runs dir>/<task>/cli/<run id>`: where a run lives. */
export function runDirectory(roots: Pick<Roots, 'runsDir'>, taskId: string, runId: string): string {
  return join(roots.runsDir, taskId, 'cli', runId);
}

export function runLayout(roots: Roots, taskId: string, runId: string): RunLayout {
  const taskDir = join(roots.runsDir, taskId);
  const runDir = runDirectory(roots, taskId, runId);
  return {
    ...roots,
    taskId,
    runId,
    runDir,
    manifestPath: join(runDir, MANIFEST_FILE),
    runnerLogPath: join(runDir, 'runner.ndjson'),
    commandsDir: join(runDir, 'commands'),
    errorsDir: join(runDir, 'errors'),
    privacyLogPath: join(runDir, 'privacy-decisions.ndjson'),
    runSummaryPath: join(runDir, 'run-summary.json'),
    heartbeatPath: join(runDir, '.heartbeat'),
    resumeTokenPath: join(runDir, '.resume-token'),
    ownerPath: join(runDir, '.owner'),
    compatPath: join(taskDir, 'mcp', runId, 'manifest.json'),
    metricsPath: join(taskDir, 'metrics.json'),
    metricsLockPath: join(taskDir, 'metrics.lock'),
    metricsPendingDir: join(taskDir, 'metrics.pending'),
    statePath: join(roots.outDir, taskId, 'state.json'),
  };
}

export function commandLogPath(paths: RunLayout, index: number, stageId: string): string {
  return join(paths.commandsDir, `${commandFileStem(index, stageId)}.ndjson`);
}

export function errorFilePath(paths: RunLayout, index: number, stageId: string): string {
  return join(paths.errorsDir, `${commandFileStem(index, stageId)}.json`);
}

/**
 * Where a resume sets aside the error file a stage left in the run's invocation `invocation`
 * (1: the start that created the run, n + 1: its n-th accepted resume) before the stage runs
 * again (docs/contracts.md §7). A slug has no `.`, so it never names another stage's file.
 */
export function setAsideErrorFilePath(paths: RunLayout, index: number, stageId: string, invocation: number): string {
  return join(paths.errorsDir, `${commandFileStem(index, stageId)}.invocation-${invocation}.json`);
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}
