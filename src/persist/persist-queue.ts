// The stage loop's throttled persist queue.
//
// B3 (phase 0, removed by phase 2): this queue (dirty flags + one timer, interval
// max(1 s, heartbeat)) is one of several writers of manifest.json; the command runner,
// resume, the run-summary writer and the metrics recorder call saveManifest directly,
// so writes are redundant and a direct write can overlap a flush of this queue.
import { saveManifest } from './manifest-writer.js';
import type { Manifest } from '../manifest/schema.js';
import type { RunPaths } from './manifest-writer.js';
import type { TimerHandle } from '../runtime/types.js';

export type PersistRequest = { manifest?: boolean; heartbeat?: boolean; force?: boolean };

export class PersistQueue {
  readonly intervalMs: number;
  private manifestDirty = false;
  private heartbeatDirty = false;
  private timer: TimerHandle | null = null;
  private lastFlushAt = Number.NEGATIVE_INFINITY;
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly paths: RunPaths,
    private readonly manifest: Manifest,
    heartbeatIntervalMs: number,
    /** Where a write that nobody awaits (timer flushes, heartbeat ticks) reports its failure. */
    private readonly onBackgroundError: (error: unknown) => void = () => undefined,
  ) {
    this.intervalMs = Math.max(1_000, heartbeatIntervalMs);
  }

  /** `schedule` for callers that cannot wait (timers): a failure goes to onBackgroundError. */
  scheduleInBackground(request: PersistRequest): void {
    this.schedule(request).catch(this.onBackgroundError);
  }

  /** Marks state dirty; flushes now when forced or when the interval has passed, else later. */
  schedule(request: PersistRequest): Promise<void> {
    if (request.manifest) this.manifestDirty = true;
    if (request.heartbeat) this.heartbeatDirty = true;
    const elapsed = this.paths.clock.now() - this.lastFlushAt;
    if (request.force || elapsed >= this.intervalMs) return this.flush();
    if (!this.timer) {
      this.timer = this.paths.clock.setTimeout(() => {
        this.timer = null;
        this.flush().catch(this.onBackgroundError);
      }, this.intervalMs - elapsed);
    }
    return Promise.resolve();
  }

  async flush(): Promise<void> {
    if (this.flushing) await this.flushing;
    this.paths.clock.clearTimeout(this.timer);
    this.timer = null;
    if (!this.manifestDirty && !this.heartbeatDirty) return;
    const work = this.write();
    this.flushing = work;
    try {
      await work;
    } finally {
      if (this.flushing === work) this.flushing = null;
    }
  }

  /** Stops the timer; what is still dirty is written now. */
  async dispose(): Promise<void> {
    await this.flush();
    this.paths.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private async write(): Promise<void> {
    this.lastFlushAt = this.paths.clock.now();
    if (this.heartbeatDirty) {
      this.heartbeatDirty = false;
      await this.paths.fs.writeAtomic(this.paths.heartbeatPath, `${this.manifest.heartbeat_at ?? ''}\n`);
    }
    if (this.manifestDirty) {
      this.manifestDirty = false;
      await saveManifest(this.paths, this.manifest);
    }
  }
}
