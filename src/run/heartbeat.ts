// The run's heartbeat: every 5 s (on the clock seam) while the run is in progress, the
// manifest's heartbeat_at moves and `.heartbeat` and the manifest are written by the persister.
import { recordHeartbeat } from '../manifest/transitions.js';
import { HEARTBEAT_INTERVAL_SECONDS } from '../manifest/heartbeat-timing.js';
import type { RunContext } from './context.js';

export const HEARTBEAT_INTERVAL_MS = HEARTBEAT_INTERVAL_SECONDS * 1000;

export type Heartbeat = { stop(): void };

export async function startHeartbeat(ctx: RunContext): Promise<Heartbeat> {
  const { clock } = ctx.invocation.runtime;
  // The first beat: .heartbeat now; the manifest goes out with the first stage's start.
  await ctx.persister.beat((manifest) => recordHeartbeat(manifest, clock.now()), { forceManifest: false });
  const timer = clock.setInterval(() => {
    void ctx.persister.beat((manifest) => recordHeartbeat(manifest, clock.now()));
  }, HEARTBEAT_INTERVAL_MS);
  return { stop: () => clock.clearInterval(timer) };
}
