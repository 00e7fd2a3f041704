// What the run summary, the metrics line and `status` all say about a run first, in the same
// key order (part of their byte contracts), and the one duration formula they use.
import type { Manifest } from './schema.js';

/** `{run_id, task_id, pipeline_id, status}`: the head of every run document. */
export function runIdentity(
  manifest: Pick<Manifest, 'run_id' | 'task_id' | 'pipeline_id' | 'status'>,
): Pick<Manifest, 'run_id' | 'task_id' | 'pipeline_id' | 'status'> {
  return { run_id: manifest.run_id, task_id: manifest.task_id, pipeline_id: manifest.pipeline_id, status: manifest.status };
}

/** Seconds from `started_at` to `endMs`, to the millisecond. */
export function durationSeconds(manifest: Pick<Manifest, 'started_at'>, endMs: number): number {
  return Math.round(endMs - Date.parse(manifest.started_at)) / 1000;
}

/** The run's duration once it completed; null before. */
export function completedDurationSeconds(manifest: Pick<Manifest, 'started_at' | 'completed_at'>): number | null {
  return manifest.completed_at ? durationSeconds(manifest, Date.parse(manifest.completed_at)) : null;
}
