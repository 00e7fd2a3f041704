// The run's heartbeat: every 5 s (on the clock seam) while the run is in progress, the
// manifest's heartbeat_at moves and `.heartbeat` is rewritten through the persist queue.
import { recordHeartbeat } from '../manifest/transitions.js';
import { HEARTBEAT_INTERVAL_SECONDS } from '../manifest/schema.js';
import type { RunContext } from './context.js';

export const HEARTBEAT_INTERVAL_MS = HEARTBEAT_INTERVAL_SECONDS * 1000;

export type Heartbeat = { stop(): void };

export async function startHeartbeat(ctx: RunContext): Promise<Heartbeat> {
  const { clock } = ctx.invocation.runtime;
  recordHeartbeat(ctx.manifest, clock.now());
  await ctx.queue.schedule({ heartbeat: true, manifest: true, force: true });
  const timer = clock.setInterval(() => {
    recordHeartbeat(ctx.manifest, clock.now());
    ctx.queue.scheduleInBackground({ heartbeat: true, manifest: true });
  }, HEARTBEAT_INTERVAL_MS);
  return { stop: () => clock.clearInterval(timer) };
}
