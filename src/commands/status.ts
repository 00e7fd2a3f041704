// `status --run <id>`: a run's state from its manifest, once or (with --watch) until it ends.
import { runIdentity } from '../manifest/projection.js';
import { heartbeatStale } from '../manifest/liveness.js';
import type { Manifest } from '../manifest/schema.js';
import { readManifest } from '../persist/manifest-writer.js';
import type { Runtime } from '../runtime/types.js';
import { findRun } from './find-run.js';
import { repoRelative, resolveRoots } from '../layout/run-layout.js';

export type RunStatusView = {
  run_id: string;
  task_id: string;
  pipeline_id: string;
  status: Manifest['status'];
  status_detail: string | null;
  started_at: string;
  completed_at: string | null;
  updated_at: string;
  heartbeat_at: string | null;
  heartbeat_stale: boolean;
  summary: string | null;
  manifest: string;
  commands: Array<{ index: number; id: string; kind: string; status: string; exit_code: number | null; summary: string | null }>;
  child_runs: Manifest['child_runs'];
};

export const TERMINAL_STATUSES = new Set(['succeeded', 'failed', 'cancelled']);

export function statusView(manifest: Manifest, manifestPath: string, nowMs: number): RunStatusView {
  return {
    ...runIdentity(manifest),
    status_detail: manifest.status_detail,
    started_at: manifest.started_at,
    completed_at: manifest.completed_at,
    updated_at: manifest.updated_at,
    heartbeat_at: manifest.heartbeat_at,
    heartbeat_stale: heartbeatStale(manifest, nowMs),
    summary: manifest.summary,
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

export function renderStatus(view: RunStatusView): string {
  const lines = [
    `Run ${view.run_id} (task ${view.task_id}, pipeline ${view.pipeline_id})`,
    `  status:    ${view.status}${view.status_detail ? ` (${view.status_detail})` : ''}${view.heartbeat_stale ? ' (heartbeat stale: the process may have died)' : ''}`,
    `  started:   ${view.started_at}`,
    `  completed: ${view.completed_at ?? '-'}`,
    `  manifest:  ${view.manifest}`,
    '  stages:',
  ];
  for (const c of view.commands) {
    const exit = c.exit_code === null ? '' : ` exit ${c.exit_code}`;
    lines.push(`    ${c.index}. ${c.id.padEnd(20)} ${c.status}${exit}${c.summary ? ` - ${c.summary.split('\n')[0]}` : ''}`);
  }
  for (const child of view.child_runs) lines.push(`  child run: ${child.run_id} (${child.pipeline_id}) ${child.status}`);
  if (view.summary) lines.push('  summary:', ...view.summary.split('\n').map((line) => `    ${line}`));
  return `${lines.join('\n')}\n`;
}

export async function readRunStatus(runtime: Runtime, runId: string): Promise<RunStatusView> {
  const roots = resolveRoots(runtime.env, runtime.cwd);
  const found = await findRun(runtime.fs, roots, runId);
  const label = repoRelative(roots, found.manifestPath);
  const manifest = await readManifest(runtime.fs, found.manifestPath, label);
  return statusView(manifest, label, runtime.clock.now());
}
