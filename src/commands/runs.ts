// The runs of a task, newest first: `runs` lists them, and `status` and `logs` without `--run`
// take the latest (issue 18). A run id begins with its start time (src/layout/run-layout.ts),
// so the directory names sorted backwards are the runs newest first; a child run (a
// subpipeline's, with `parent_run_id`) is shown by its parent, never listed on its own.
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { completedRunningMs } from '../manifest/projection.js';
import type { Manifest } from '../manifest/schema.js';
import { readManifest } from '../persist/manifest-writer.js';
import { MANIFEST_FILE, repoRelative, resolveRoots, runDirectory, type Roots } from '../layout/run-layout.js';
import { formatStageTotals, stageTotals, type StageTotals } from '../outcome/stage-totals.js';
import type { Runtime } from '../runtime/types.js';
import { findRun, type FoundRun } from './find-run.js';
import { ownerNow, TERMINAL_STATUSES } from './status.js';
import type { OwnerState } from '../run/ownership.js';
import { taskIdFrom } from './task-id.js';

export type RunListEntry = {
  run_id: string;
  pipeline_id: string;
  status: Manifest['status'];
  status_detail: string | null;
  started_at: string;
  completed_at: string | null;
  /** The time its invocations ran (src/manifest/projection.ts runningMs); null while the run has not ended. */
  duration_ms: number | null;
  /**
   * For a run not ended, whether a process runs it (docs/contracts.md §12): `alive`, `gone`,
   * `stale` (another host's owner without a fresh heartbeat), `none` (no `.owner`: the process
   * let it go before its end); null once it has ended. All but `alive` can be resumed.
   */
  owner: OwnerState | 'none' | null;
  stages: StageTotals;
  manifest: string;
};

export type RunList = { task_id: string; runs: RunListEntry[] };

/** The task's top-level runs, newest first, at most `limit`; each with its manifest. */
async function taskRuns(runtime: Runtime, roots: Roots, taskId: string, limit: number): Promise<Array<{ found: FoundRun; manifest: Manifest }>> {
  const cliDir = join(roots.runsDir, taskId, 'cli');
  const names = (await runtime.fs.readdir(cliDir)).slice().sort().reverse();
  const runs: Array<{ found: FoundRun; manifest: Manifest }> = [];
  for (const runId of names) {
    if (runs.length >= limit) break;
    const manifestPath = join(runDirectory(roots, taskId, runId), MANIFEST_FILE);
    if (!(await runtime.fs.exists(manifestPath))) continue;
    const manifest = await readManifest(runtime.fs, manifestPath, repoRelative(roots, manifestPath));
    if (manifest.parent_run_id !== null) continue;
    runs.push({ found: { taskId, runId, manifestPath }, manifest });
  }
  return runs;
}

export async function listRuns(runtime: Runtime, options: { task?: string; limit: number }): Promise<RunList> {
  const roots = resolveRoots(runtime.env, runtime.cwd);
  const taskId = taskIdFrom(runtime, options.task);
  const runs = await taskRuns(runtime, roots, taskId, options.limit);
  const owners = await Promise.all(
    runs.map(async (run): Promise<RunListEntry['owner']> => {
      const now = await ownerNow(runtime, roots, run.found, run.manifest);
      run.manifest = now.manifest;
      return now.held !== null ? now.held.state : TERMINAL_STATUSES.has(run.manifest.status) ? null : 'none';
    }),
  );
  return {
    task_id: taskId,
    runs: runs.map(({ found, manifest: m }, i) => ({
      run_id: m.run_id,
      pipeline_id: m.pipeline_id,
      status: m.status,
      status_detail: m.status_detail,
      started_at: m.started_at,
      completed_at: m.completed_at,
      duration_ms: completedRunningMs(m),
      owner: owners[i]!,
      stages: stageTotals(m),
      manifest: repoRelative(roots, found.manifestPath),
    })),
  };
}

export function renderRunList(list: RunList): string {
  if (list.runs.length === 0) return `No runs of task ${list.task_id}.\n`;
  const width = (pick: (r: RunListEntry) => string) => Math.max(...list.runs.map((r) => pick(r).length));
  const [pipelineWidth, statusWidth] = [width((r) => r.pipeline_id), width((r) => r.status)];
  const lines = [`Runs of task ${list.task_id}, newest first:`];
  for (const r of list.runs) {
    const duration =
      r.duration_ms !== null ? `${(r.duration_ms / 1000).toFixed(1)}s` : r.owner === 'alive' || r.owner === null ? 'running' : 'stopped';
    // A run no process runs any more says so, and how to go on (`status` says whose it was).
    const stopped = duration === 'stopped' ? `  (no process runs it: resume it with codex-orchestrator resume --run ${r.run_id})` : '';
    lines.push(
      `  ${r.run_id}  ${r.pipeline_id.padEnd(pipelineWidth)}  ${r.status.padEnd(statusWidth)}  ${r.started_at}  ${duration}  ${formatStageTotals(r.stages)}${stopped}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export type ChosenRun = {
  found: FoundRun;
  /** For the task's latest run, the line that says which run it is (the caller prints it on stderr once the run is read). */
  note: string | null;
};

/**
 * The run `status` and `logs` show: the one named (under `--task` only, when given), else the
 * task's latest run. No run at all is an InputError (exit 2).
 */
export async function chooseRun(runtime: Runtime, options: { run?: string; task?: string }): Promise<ChosenRun> {
  const roots = resolveRoots(runtime.env, runtime.cwd);
  if (options.run !== undefined) {
    const onlyTask = options.task === undefined ? undefined : taskIdFrom(runtime, options.task);
    return { found: await findRun(runtime.fs, roots, options.run, onlyTask), note: null };
  }
  const taskId = taskIdFrom(runtime, options.task);
  const [latest] = await taskRuns(runtime, roots, taskId, 1);
  if (latest === undefined) {
    throw new InputError(
      `no run of task ${taskId} under ${repoRelative(roots, roots.runsDir)} (start one with: codex-orchestrator start, or name one with --run <id> or --task <id>)`,
    );
  }
  return {
    found: latest.found,
    note: `codex-orchestrator: latest run of task ${taskId}: ${latest.found.runId} (pipeline ${latest.manifest.pipeline_id})\n`,
  };
}
