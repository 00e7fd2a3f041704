// Whether a run's process is presumed gone: `status` flags it, `resume` takes it over only then.
import type { Manifest } from './schema.js';

/** The run is queued or in progress and its heartbeat is older than heartbeat_stale_after_seconds. */
export function heartbeatStale(
  manifest: Pick<Manifest, 'status' | 'heartbeat_at' | 'updated_at' | 'heartbeat_stale_after_seconds'>,
  nowMs: number,
): boolean {
  if (manifest.status !== 'in_progress' && manifest.status !== 'queued') return false;
  const beat = Date.parse(manifest.heartbeat_at ?? manifest.updated_at);
  return nowMs - beat > manifest.heartbeat_stale_after_seconds * 1000;
}
