// What the run summary, the metrics line and `status` all say about a run first, in the same
// key order (part of their byte contracts), and the one duration formula they use (also `runs`
// and the last lines of `start` and `resume`).
import type { Manifest, ManifestView } from './schema.js';

/** `{run_id, task_id, pipeline_id, status}`: the head of every run document. */
export function runIdentity(
  manifest: Pick<Manifest, 'run_id' | 'task_id' | 'pipeline_id' | 'status'>,
): Pick<Manifest, 'run_id' | 'task_id' | 'pipeline_id' | 'status'> {
  return { run_id: manifest.run_id, task_id: manifest.task_id, pipeline_id: manifest.pipeline_id, status: manifest.status };
}

type Timed = Pick<ManifestView, 'started_at' | 'resume_events'>;

/** The resumes that ran the run again (a blocked one did not), in order. */
export function acceptedResumes(manifest: Pick<ManifestView, 'resume_events'>): ManifestView['resume_events'] {
  return manifest.resume_events.filter((event) => event.outcome === 'accepted');
}

/** How many times the run was run: the start, and each accepted resume (docs/contracts.md §3). */
export const invocationCount = (manifest: Pick<ManifestView, 'resume_events'>): number => 1 + acceptedResumes(manifest).length;

/**
 * A run's duration, in ms, up to `endMs` (docs/contracts.md §1 `runs`): the time its invocations
 * ran, each from its start (`started_at` for the first; an accepted resume's `timestamp`) to
 * its end (the next accepted resume's `resumed_from.ended_at`; `endMs` for the last), summed.
 * The time the run sat failed or cancelled between two invocations is not counted. A resume
 * recorded before issue 19 (no `resumed_from`) counts the time before it whole.
 */
export function runningMs(manifest: Timed, endMs: number): number {
  let total = 0;
  let from = Date.parse(manifest.started_at);
  for (const event of acceptedResumes(manifest)) {
    const resumedAt = Date.parse(event.timestamp);
    const endedAt = event.resumed_from === undefined ? resumedAt : Date.parse(event.resumed_from.ended_at);
    total += Math.max(0, endedAt - from);
    from = resumedAt;
  }
  return Math.round(total + Math.max(0, endMs - from));
}

/** The run's duration in ms once it completed; null before. */
export function completedRunningMs(manifest: Timed & Pick<ManifestView, 'completed_at'>): number | null {
  return manifest.completed_at ? runningMs(manifest, Date.parse(manifest.completed_at)) : null;
}

/** The run's duration up to `endMs`, in seconds to the millisecond. */
export function durationSeconds(manifest: Timed, endMs: number): number {
  return runningMs(manifest, endMs) / 1000;
}

/** The run's duration once it completed, in seconds; null before. */
export function completedDurationSeconds(manifest: Timed & Pick<ManifestView, 'completed_at'>): number | null {
  const ms = completedRunningMs(manifest);
  return ms === null ? null : ms / 1000;
}
