// `status --run <id>`: a run's state from its manifest, once or (with --watch) until it ends.
import { heartbeatStale } from '../manifest/liveness.js';
import { completedRunningMs, invocationCount, runIdentity } from '../manifest/projection.js';
import type { Manifest } from '../manifest/schema.js';
import { readManifest, runPaths } from '../persist/manifest-writer.js';
import { judgeOwner, readOwner, type OwnerRecord, type OwnerState } from '../run/ownership.js';
import type { Runtime } from '../runtime/types.js';
import { findRun, type FoundRun } from './find-run.js';
import { repoRelative, resolveRoots, type Roots } from '../layout/run-layout.js';
import { printedSummaryLines } from '../outcome/summary-lines.js';

export type RunStatusView = {
  run_id: string;
  task_id: string;
  pipeline_id: string;
  status: Manifest['status'];
  status_detail: string | null;
  started_at: string;
  completed_at: string | null;
  /**
   * The run's duration, as `runs` gives it: the time its invocations ran (a resumed run's is
   * less than completed_at - started_at); null while it has not ended.
   */
  duration_ms: number | null;
  /** How many times it was run: 1, plus its accepted resumes. */
  invocations: number;
  updated_at: string;
  heartbeat_at: string | null;
  heartbeat_stale: boolean;
  /**
   * The process that owns the run now, and whether it still runs (`gone`: provably not;
   * `stale`: on another host, heartbeat stale); null when no process owns it.
   */
  owner: {
    /** Null (as the other fields) when the .owner file cannot be read (a process died writing it). */
    pid: number | null;
    host: string | null;
    started: string | null;
    acquired_at: string | null;
    command: string | null;
    state: OwnerState;
  } | null;
  summary: string | null;
  /** The pipeline's `guardrailsRequired`: only then does the text print the summary's `Guardrails:` line. */
  guardrails_required: boolean;
  manifest: string;
  commands: Array<{ index: number; id: string; kind: string; status: string; exit_code: number | null; summary: string | null }>;
  child_runs: Manifest['child_runs'];
};

export const TERMINAL_STATUSES = new Set(['succeeded', 'failed', 'cancelled']);

export type OwnerView = RunStatusView['owner'];

export function statusView(manifest: Manifest, manifestPath: string, nowMs: number, owner: OwnerView = null): RunStatusView {
  return {
    ...runIdentity(manifest),
    status_detail: manifest.status_detail,
    started_at: manifest.started_at,
    completed_at: manifest.completed_at,
    duration_ms: completedRunningMs(manifest),
    invocations: invocationCount(manifest),
    updated_at: manifest.updated_at,
    heartbeat_at: manifest.heartbeat_at,
    heartbeat_stale: heartbeatStale(manifest, nowMs),
    owner,
    summary: manifest.summary,
    guardrails_required: manifest.guardrails_required,
    manifest: manifestPath,
    commands: manifest.commands.map((c) => ({
      index: c.index,
      id: c.id,
      kind: c.kind,
      status: c.status,
      exit_code: c.exit_code,
      summary: c.summary,
    })),
    child_runs: manifest.child_runs,
  };
}

/** A run that is not over and that no live process owns: nothing will bring it to an end but a resume. */
export function ownerlessRun(view: RunStatusView): string | null {
  if (TERMINAL_STATUSES.has(view.status)) return null;
  const resume = `resume it with: codex-orchestrator resume --run ${view.run_id}`;
  if (view.owner === null) return `no process owns run ${view.run_id} (the one that ran it ended before its end); ${resume}`;
  const who = view.owner.pid === null ? 'unreadable .owner file' : `pid ${view.owner.pid} on host ${view.owner.host}`;
  if (view.owner.state === 'gone') return `the owner of run ${view.run_id} (${who}) is gone; ${resume}`;
  if (view.owner.state === 'stale') return `the owner of run ${view.run_id} (${who}) has not written a heartbeat in time; ${resume}`;
  return null;
}

function ownerLines(view: RunStatusView): string[] {
  if (TERMINAL_STATUSES.has(view.status)) return [];
  const resume = ` - resume it with: codex-orchestrator resume --run ${view.run_id}`;
  const owner = view.owner;
  if (owner === null) return [`  owner:     none (the process that ran it ended before the run did)${resume}`];
  const who = owner.pid === null ? 'unreadable .owner file' : `pid ${owner.pid} on host ${owner.host} (${owner.command} since ${owner.acquired_at})`;
  if (owner.state === 'gone') return [`  owner:     ${who}, gone${resume}`];
  if (owner.state === 'stale') return [`  owner:     ${who}, heartbeat stale${resume}`];
  return [`  owner:     ${who}`];
}

/** `1.2s`; a resumed run's says what it counts (its start to its end is longer). */
function durationText(view: RunStatusView): string {
  if (view.duration_ms === null) return '-';
  const seconds = `${(view.duration_ms / 1000).toFixed(1)}s`;
  return view.invocations > 1 ? `${seconds} (the time its ${view.invocations} invocations ran)` : seconds;
}

export function renderStatus(view: RunStatusView): string {
  const lines = [
    `Run ${view.run_id} (task ${view.task_id}, pipeline ${view.pipeline_id})`,
    `  status:    ${view.status}${view.status_detail ? ` (${view.status_detail})` : ''}${view.heartbeat_stale ? ' (heartbeat stale: the process may have died)' : ''}`,
    ...ownerLines(view),
    `  started:   ${view.started_at}`,
    `  completed: ${view.completed_at ?? '-'}`,
    `  duration:  ${durationText(view)}`,
    `  manifest:  ${view.manifest}`,
    '  stages:',
  ];
  for (const c of view.commands) {
    const exit = c.exit_code === null ? '' : ` exit ${c.exit_code}`;
    lines.push(`    ${c.index}. ${c.id.padEnd(20)} ${c.status}${exit}${c.summary ? ` - ${c.summary.split('\n')[0]}` : ''}`);
  }
  for (const child of view.child_runs) lines.push(`  child run: ${child.run_id} (${child.pipeline_id}) ${child.status}`);
  const summary = printedSummaryLines(view.summary, view.guardrails_required);
  if (summary.length > 0) lines.push('  summary:', ...summary.map((line) => `    ${line}`));
  return `${lines.join('\n')}\n`;
}

/** `onlyTask`: look for the run under that task only (`status --task`). */
export async function readRunStatus(runtime: Runtime, runId: string, onlyTask?: string): Promise<RunStatusView> {
  const roots = resolveRoots(runtime.env, runtime.cwd);
  const found = await findRun(runtime.fs, roots, runId, onlyTask);
  const label = repoRelative(roots, found.manifestPath);
  const { manifest, held } = await ownerNow(runtime, roots, found, await readManifest(runtime.fs, found.manifestPath, label));
  const nowMs = runtime.clock.now();
  if (held === null) return statusView(manifest, label, nowMs);
  const { record, state } = held;
  const owner: OwnerView =
    record === null
      ? { pid: null, host: null, started: null, acquired_at: null, command: null, state }
      : { pid: record.pid, host: record.host, started: record.started, acquired_at: record.acquired_at, command: record.command, state };
  return statusView(manifest, label, nowMs, owner);
}

/**
 * Who runs a run now (docs/contracts.md §12), for `status` and `runs`: none for a run that has
 * ended. For one not ended, its `.owner` judged, or null when there is none, with the manifest
 * read again: its owner may have ended it (and let go) between the two reads.
 */
export async function ownerNow(
  runtime: Runtime,
  roots: Roots,
  found: FoundRun,
  manifest: Manifest,
): Promise<{ manifest: Manifest; held: { record: OwnerRecord | null; state: OwnerState } | null }> {
  if (TERMINAL_STATUSES.has(manifest.status)) return { manifest, held: null };
  const held = await readOwner(runPaths(roots, found.taskId, found.runId, runtime.fs, runtime.clock));
  if (held === null) return { manifest: await readManifest(runtime.fs, found.manifestPath, repoRelative(roots, found.manifestPath)), held: null };
  return { manifest, held: { record: held.record, state: judgeOwner(held.record, runtime.processes, manifest, runtime.clock.now()) } };
}
