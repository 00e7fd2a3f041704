// Helpers for the integration battery (tests/integration): temp repos that are cleaned up,
// the built CLI with raw output bytes, the run layout on disk, FIFO readiness, process groups.
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect } from 'vitest';
import { fifoSaid } from '../../src/harness/soak/batteries.js';
import { CLI_PATH, listFiles, makeRepo, readNdjson, startCli, type CliOptions, type CliResult } from './cli.js';
import { assertRunsDirManifestsValid } from './manifest-schema.js';

/** The manifest's top-level keys in the order docs/contracts.md §4 gives them (the byte contract). */
export const CONTRACT_MANIFEST_KEYS = [
  'version',
  'task_id',
  'task_slug',
  'run_id',
  'parent_run_id',
  'pipeline_id',
  'pipeline_title',
  'runner',
  'approval_policy',
  'status',
  'status_detail',
  'started_at',
  'completed_at',
  'updated_at',
  'heartbeat_at',
  'heartbeat_interval_seconds',
  'heartbeat_stale_after_seconds',
  'artifact_root',
  'compat_path',
  'log_path',
  'summary',
  'metrics_recorded',
  'resume_token',
  'resume_events',
  'approvals',
  'commands',
  'child_runs',
  'run_summary_path',
  'plan_target_id',
  'instructions_hash',
  'instructions_sources',
  'guardrails_required',
  'guardrail_status',
  'handles',
  'privacy',
];

/** `commands[i]`: 13 keys in this order (docs/contracts.md §4). */
export const CONTRACT_COMMAND_KEYS = [
  'index',
  'id',
  'title',
  'command',
  'kind',
  'status',
  'started_at',
  'completed_at',
  'exit_code',
  'summary',
  'log_path',
  'error_file',
  'sub_run_id',
];

/** Metrics line fields in contract order (docs/contracts.md §8); later phases may add fields. */
export const CONTRACT_METRICS_KEYS = [
  'run_id',
  'task_id',
  'pipeline_id',
  'status',
  'started_at',
  'completed_at',
  'duration_seconds',
  'commands_passed',
  'commands_failed',
  'guardrails_present',
  'recorded_at',
  'artifact_path',
  'child_runs',
  'privacy_mode',
  'privacy_events',
  'handle_count',
];

export const RUN_ID_RE = /^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z-[0-9a-f]{8}$/;
export const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** A parsed JSON object, loosely typed for assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed files are asserted on field by field
export type Json = Record<string, any>;

/** Fails early with a clear message when the CLI has not been built. */
export function requireBuiltCli(): void {
  if (!existsSync(CLI_PATH)) throw new Error(`${CLI_PATH} is missing: run \`npm run build\` before the integration tests`);
}

/**
 * Call once at the top of a test file: returns `repo(config, files)` (makeRepo) and removes
 * every repo it made after the file's tests (set KEEP_TEST_REPOS=1 to keep them).
 */
export function useTempRepos(): (config?: unknown, files?: Record<string, string>) => string {
  requireBuiltCli();
  const made: string[] = [];
  afterAll(() => {
    if (process.env.KEEP_TEST_REPOS) return;
    for (const root of made) rmSync(root, { recursive: true, force: true });
  });
  return (config, files) => {
    const root = makeRepo(config, files);
    made.push(root);
    return root;
  };
}

/** A shell word for the node binary running the tests (stages call node by absolute path). */
export const NODE = shellQuote(process.execPath);

export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

export type RawCliResult = CliResult & { stdoutBytes: Buffer; stderrBytes: Buffer };

/** startCli, plus the exact bytes the CLI wrote on stdout and stderr. */
export function startCliRaw(args: string[], options: CliOptions) {
  const { child, result } = startCli(args, options);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout!.on('data', (d: Buffer) => out.push(d));
  child.stderr!.on('data', (d: Buffer) => err.push(d));
  const raw = result.then((r): RawCliResult => ({ ...r, stdoutBytes: Buffer.concat(out), stderrBytes: Buffer.concat(err) }));
  return { child, result: raw };
}

export function runCliRaw(args: string[], options: CliOptions): Promise<RawCliResult> {
  return startCliRaw(args, options).result;
}

/** Run ids under <runs>/<task>/cli, sorted (they sort by start time). */
export function runIds(root: string, task = '0101', runsDir = join(root, '.runs')): string[] {
  const dir = join(runsDir, task, 'cli');
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

/** The one run of a task; fails when there is not exactly one. */
export function onlyRunId(root: string, task = '0101', runsDir?: string): string {
  const ids = runIds(root, task, runsDir);
  expect(ids, `runs of task ${task}`).toHaveLength(1);
  return ids[0]!;
}

export type RunFiles = {
  id: string;
  dir: string;
  manifestPath: string;
  manifest: () => Json;
  manifestText: () => string;
  runner: () => Json[];
  runnerText: () => string;
  commandLog: (file: string) => Json[];
  errorFile: (file: string) => Json;
  summary: () => Json;
  decisions: () => Json[];
};

/** Accessors for the files of one run directory. */
export function runFiles(root: string, id: string, task = '0101', runsDir = join(root, '.runs')): RunFiles {
  const dir = join(runsDir, task, 'cli', id);
  const text = (name: string) => readFileSync(join(dir, name), 'utf8');
  return {
    id,
    dir,
    manifestPath: join(dir, 'manifest.json'),
    manifest: () => JSON.parse(text('manifest.json')) as Json,
    manifestText: () => text('manifest.json'),
    runner: () => readNdjson(join(dir, 'runner.ndjson')),
    runnerText: () => text('runner.ndjson'),
    commandLog: (file) => readNdjson(join(dir, 'commands', file)),
    errorFile: (file) => JSON.parse(text(join('errors', file))) as Json,
    summary: () => JSON.parse(text('run-summary.json')) as Json,
    decisions: () => readNdjson(join(dir, 'privacy-decisions.ndjson')),
  };
}

/** metrics.json of a task, parsed line by line (checks every line is compact JSON + "\n"). */
export function metricsLines(root: string, task = '0101', runsDir = join(root, '.runs')): Json[] {
  const path = join(runsDir, task, 'metrics.json');
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  expect(text.endsWith('\n'), 'metrics.json ends with a newline').toBe(true);
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const value = JSON.parse(line) as Json;
      expect(JSON.stringify(value), 'metrics line is compact JSON').toBe(line);
      return value;
    });
}

/**
 * What every test that produces runs checks: every manifest validates against the schema,
 * no temp file of an atomic write is left behind, no metrics lock is left held.
 */
export function checkRunsDir(root: string, options: { runsDir?: string; outDir?: string; minManifests?: number } = {}): void {
  const runsDir = options.runsDir ?? join(root, '.runs');
  const count = assertRunsDirManifestsValid(runsDir);
  expect(count, 'manifests under the runs dir').toBeGreaterThanOrEqual(options.minManifests ?? 1);
  for (const dir of [runsDir, options.outDir ?? join(root, 'out')]) {
    // A temp file of an atomic write: `<file>.<pid>.<uuid>.tmp` (B2's, until phase 1: `<file>.tmp-<pid>-<ms>`).
    const leftovers = listFiles(dir).filter((f) => /\.tmp-|\.tmp$/.test(f) || f.endsWith('metrics.lock'));
    expect(leftovers, `temp files or locks left under ${dir}`).toEqual([]);
  }
}

/** Every file under `dir` with its bytes (for "unchanged" and "never appears" checks). */
export function snapshotTree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const rel of listFiles(dir)) out.set(rel, readFileSync(join(dir, rel)));
  return out;
}

/** The entries of the repo root (hidden ones included), sorted. */
export function rootEntries(root: string): string[] {
  return readdirSync(root).sort();
}

/** Chunk events of one stream in an event list, decoded to the exact bytes. */
export function chunkBytes(events: Json[], stream: 'stdout' | 'stderr'): Buffer {
  return Buffer.concat(
    events
      .filter((e) => e.type === 'exec:chunk' && e.stream === stream)
      .map((e) => (e.encoding === 'base64' ? Buffer.from(e.data as string, 'base64') : Buffer.from(e.data as string, 'utf8'))),
  );
}

/**
 * Reads a FIFO until its writer closes it: the stage's way of saying "ready". Rejects when
 * `exited` settles first (the CLI ended before the stage wrote), unblocking the pending open.
 */
export async function readFifo(path: string, exited: Promise<unknown>): Promise<string> {
  const text = await fifoSaid(path, exited);
  if (text === null) throw new Error(`the CLI exited before anything was written to ${path}`);
  return text;
}

type ProcStat = { pid: number; state: string; pgrp: number };

function procStat(pid: number | string): ProcStat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { pid: Number(pid), state: rest[0]!, pgrp: Number(rest[2]) };
  } catch {
    return null;
  }
}

/** Processes of a process group that are still alive (zombies do not count: PID 1 here does not reap). */
export function liveProcessesInGroup(pgid: number): ProcStat[] {
  const alive: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = procStat(name);
    if (stat && stat.pgrp === pgid && stat.state !== 'Z') alive.push(stat);
  }
  return alive;
}

/**
 * The group's live processes once they have had `withinMs` to finish exiting: a process that
 * has closed its files (a FIFO's reader saw the end) can still be in the kernel's exit path for
 * a moment. Polls /proc; returns as soon as the group is empty.
 */
export async function liveProcessesInGroupAfter(pgid: number, withinMs = 2_000): Promise<ProcStat[]> {
  for (let waited = 0; ; waited += 10) {
    const alive = liveProcessesInGroup(pgid);
    if (alive.length === 0 || waited >= withinMs) return alive;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** True when the process is gone or a zombie. */
export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  return procStat(pid)?.state === 'Z';
}

/** A bad-input failure: exit 2, exactly one line on stderr, no stack trace, nothing on stdout. */
export function expectOneLineError(result: CliResult, ...mentions: string[]): string {
  expect(result.code, `exit code (stderr: ${result.stderr})`).toBe(2);
  expect(result.signal).toBeNull();
  expect(result.stdout).toBe('');
  expect(result.stderr.endsWith('\n'), 'stderr ends with a newline').toBe(true);
  const lines = result.stderr.slice(0, -1).split('\n');
  expect(lines, 'stderr lines').toHaveLength(1);
  const line = lines[0]!;
  expect(line).not.toMatch(/\bat .+:\d+:\d+\)?$/);
  expect(line).not.toMatch(/internal error/);
  for (const mention of mentions) expect(line).toContain(mention);
  return line;
}

/** statSync(...).isDirectory() without throwing. */
export function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
