// One compact metrics line per terminal run, appended to <runs>/<task>/metrics.json under an
// exclusive lock file. A busy lock queues the line in metrics.pending/; whoever next holds
// the lock merges the queue first, so no line is lost and lines never interleave.
import { completedDurationSeconds, durationSeconds, runIdentity } from '../manifest/projection.js';
import { writeError } from '../errors.js';
import { markMetricsRecorded } from '../manifest/transitions.js';
import { join } from 'node:path';
import type { ManifestPersister } from '../persist/persister.js';
import type { ManifestView } from '../manifest/schema.js';
import type { RunPaths } from '../persist/manifest-writer.js';
import { isoTime } from '../layout/run-layout.js';
import { writeTaskState } from './task-state.js';

/** A lock older than this is taken to be left by a process that died. */
export const STALE_LOCK_MS = 60_000;

/**
 * The run's metrics line. Phase 5 (removes B6's embedded decision array): `privacy_events`
 * is what the manifest keeps (the non-allow decisions), the first `maxEvents` of them when
 * capped (`privacy_events_truncated: true` when that cut any); `privacy_event_count` counts
 * every decision and `privacy_log_path` names the file that has them all.
 */
export function buildMetricsLine(manifest: ManifestView, nowMs: number, maxEvents: number | null = null): Record<string, unknown> {
  const commands = manifest.commands;
  const decisions = manifest.privacy.decisions;
  const truncated = maxEvents !== null && decisions.length > maxEvents;
  return {
    ...runIdentity(manifest),
    started_at: manifest.started_at,
    completed_at: manifest.completed_at,
    duration_seconds: completedDurationSeconds(manifest) ?? durationSeconds(manifest, nowMs),
    commands_passed: commands.filter((c) => c.status === 'succeeded').length,
    commands_failed: commands.filter((c) => c.status === 'failed').length,
    guardrails_present: manifest.guardrail_status.present,
    recorded_at: isoTime(nowMs),
    artifact_path: manifest.artifact_root,
    child_runs: manifest.child_runs.length,
    privacy_mode: manifest.privacy.mode,
    privacy_events: truncated ? decisions.slice(0, maxEvents) : decisions,
    ...(truncated ? { privacy_events_truncated: true } : {}),
    privacy_event_count: manifest.privacy.totals.total_frames,
    privacy_log_path: manifest.privacy.log_path,
    handle_count: manifest.handles.length,
  };
}

/** Creates the lock file; a failure to write it (not a lock already there: false) is a WriteError naming it. */
async function createLock(paths: RunPaths, body: string): Promise<boolean> {
  try {
    return await paths.fs.createExclusive(paths.metricsLockPath, body);
  } catch (error) {
    throw writeError(paths.metricsLockPath, error);
  }
}

async function takeLock(paths: RunPaths): Promise<boolean> {
  const { fs, clock } = paths;
  const body = JSON.stringify({ run_id: paths.runId, acquired_at: isoTime(clock.now()) });
  if (await createLock(paths, body)) return true;
  let stale = false;
  try {
    const held = JSON.parse((await fs.readFile(paths.metricsLockPath)).toString('utf8')) as { acquired_at?: string };
    const age = clock.now() - Date.parse(held.acquired_at ?? '');
    stale = !(age <= STALE_LOCK_MS);
  } catch {
    // The holder released it meanwhile, or wrote it half-way: treat it as busy.
  }
  if (!stale) return false;
  try {
    await fs.remove(paths.metricsLockPath);
  } catch (error) {
    throw writeError(paths.metricsLockPath, error, 'could not remove');
  }
  return createLock(paths, body);
}

/**
 * Appends (or queues) the line; returns 'appended' or 'queued'. A write that fails is a
 * WriteError naming the file (metrics.json, the queued line, the lock); the lock is released
 * all the same.
 */
export async function appendMetricsLine(paths: RunPaths, line: string): Promise<'appended' | 'queued'> {
  const { fs } = paths;
  if (!(await takeLock(paths))) {
    const queued = join(paths.metricsPendingDir, `${paths.runId}.json`);
    try {
      await fs.writeAtomic(queued, line);
    } catch (error) {
      throw writeError(queued, error);
    }
    return 'queued';
  }
  try {
    for (const name of await fs.readdir(paths.metricsPendingDir)) {
      if (!name.endsWith('.json')) continue;
      const pending = join(paths.metricsPendingDir, name);
      await fs.append(paths.metricsPath, await fs.readFile(pending));
      await fs.remove(pending);
    }
    await fs.append(paths.metricsPath, line);
  } catch (error) {
    await fs.remove(paths.metricsLockPath).catch(() => undefined);
    throw writeError(paths.metricsPath, error);
  }
  try {
    await fs.remove(paths.metricsLockPath);
  } catch (error) {
    throw writeError(paths.metricsLockPath, error, 'could not remove');
  }
  return 'appended';
}

/** Records the run's metrics line, marks the manifest through its persister, refreshes state.json. */
export async function recordRunMetrics(paths: RunPaths, persister: ManifestPersister, maxEvents: number | null = null): Promise<void> {
  const line = `${JSON.stringify(buildMetricsLine(persister.manifest, paths.clock.now(), maxEvents))}\n`;
  await appendMetricsLine(paths, line);
  await persister.update(markMetricsRecorded);
  await writeTaskState(paths);
}
