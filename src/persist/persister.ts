// The run's single writer: it holds the run's manifest and is the only code that writes
// `manifest.json` and `.heartbeat` (docs/contracts.md §5). Every change is a named transition
// passed to `update`; a forced update is written at once (a reader must see it before the
// next step), a plain one within the throttle interval or with the next forced write.
//
// Each file is a channel of its own: never two writes of one file in flight (requests made
// meanwhile coalesce into one more write of the latest state), a failed write keeps the state
// dirty and is retried with a backoff on the clock, its first failure is reported once, and
// one file's failure never holds up the other. A write that would only repeat the last
// written bytes (apart from `updated_at`) is skipped and counted.
import type { Manifest, ManifestView } from '../manifest/schema.js';
import { stampUpdatedAt } from '../manifest/transitions.js';
import type { TimerHandle } from '../runtime/types.js';
import { serializeManifest, type RunPaths } from './manifest-writer.js';

export type PersistedFile = 'manifest' | 'heartbeat';

export type ChannelCounts = { written: number; skipped: number; failed: number };

export type PersisterOptions = {
  /** The throttle of plain updates (the heartbeat interval). */
  intervalMs: number;
  /** Called once per file, with the first failed write of that file. */
  onFirstFailure?: (file: PersistedFile, error: unknown) => void;
  /** The first retry waits this long; each next one twice as long, up to `intervalMs`. */
  retryBaseMs?: number;
  /** How many times `close` tries a file before it gives up and throws. */
  closeAttempts?: number;
  /** The run's status in the manifest on disk before this persister's first write (a resumed run's); null when there is none. */
  statusOnDisk?: string | null;
};

export const RETRY_BASE_MS = 250;
export const CLOSE_ATTEMPTS = 6;

/** One file: its dirty flag, the write in flight, the throttle and the retry timer. */
class Channel {
  dirty = false;
  counts: ChannelCounts = { written: 0, skipped: 0, failed: 0 };
  lastError: unknown = null;
  private inFlight: Promise<void> | null = null;
  private followUp: Promise<void> | null = null;
  private throttle: TimerHandle | null = null;
  private retry: TimerHandle | null = null;
  /**
   * The throttle counts from the last write, or from the persister's creation: a plain request
   * never writes at once, so a reader never sees half of a change whose forced part follows
   * (a resume's event before its reset; the real-run invariants caught that on a real clock).
   */
  private lastWriteAt: number;
  /** The bytes of the last write that landed: what `render` compares the next one with. */
  private lastLanded: string | null = null;
  private consecutiveFailures = 0;
  private reported = false;
  private closed = false;

  constructor(
    readonly file: PersistedFile,
    private readonly paths: RunPaths,
    private readonly options: Required<Pick<PersisterOptions, 'intervalMs' | 'retryBaseMs'>> & Pick<PersisterOptions, 'onFirstFailure'>,
    /** The bytes to write now, or null when they would repeat `last`, the last landed ones (skipped). */
    private readonly render: (last: string | null) => string | null,
  ) {
    this.lastWriteAt = paths.clock.now();
  }

  /** Marks the file dirty; a forced request writes now (or right after the write in flight). */
  request(force: boolean): Promise<void> {
    this.dirty = true;
    if (force) return this.kick();
    if (!this.inFlight) this.armThrottle();
    return Promise.resolve();
  }

  /** The throttled write of a plain request: one interval after the last write. */
  private armThrottle(): void {
    if (this.throttle || this.retry || this.closed) return;
    const wait = Math.max(0, this.lastWriteAt + this.options.intervalMs - this.paths.clock.now());
    this.throttle = this.paths.clock.setTimeout(() => {
      this.throttle = null;
      void this.kick();
    }, wait);
  }

  /** Writes what is dirty: now when nothing is in flight, else once more after it. Never rejects. */
  kick(): Promise<void> {
    if (this.inFlight) {
      this.followUp ??= this.inFlight.then(() => {
        this.followUp = null;
        return this.kick();
      });
      return this.followUp;
    }
    if (!this.dirty) return Promise.resolve();
    this.stopTimers();
    this.dirty = false;
    const bytes = this.render(this.lastLanded);
    if (bytes === null) {
      this.counts.skipped += 1;
      return Promise.resolve();
    }
    this.lastWriteAt = this.paths.clock.now();
    const path = this.file === 'manifest' ? this.paths.manifestPath : this.paths.heartbeatPath;
    const work = this.paths.fs.writeAtomic(path, bytes).then(
      () => {
        this.counts.written += 1;
        this.consecutiveFailures = 0;
        this.lastError = null;
        this.lastLanded = bytes;
      },
      (error: unknown) => this.failed(error),
    );
    this.inFlight = work.finally(() => {
      this.inFlight = null;
      // A plain request made while this write was in flight armed no throttle: arm it now, so
      // the change is written within the interval even when no forced request follows.
      // (A follow-up write, when one is chained, stops this timer as it starts.)
      if (this.dirty) this.armThrottle();
    });
    return this.inFlight;
  }

  private stopTimers(): void {
    this.paths.clock.clearTimeout(this.throttle);
    this.throttle = null;
    this.paths.clock.clearTimeout(this.retry);
    this.retry = null;
  }

  private failed(error: unknown): void {
    this.counts.failed += 1;
    this.consecutiveFailures += 1;
    this.lastError = error;
    this.dirty = true;
    if (!this.reported) {
      this.reported = true;
      this.options.onFirstFailure?.(this.file, error);
    }
    if (this.closed) return;
    this.stopTimers();
    this.retry = this.paths.clock.setTimeout(() => {
      this.retry = null;
      void this.kick();
    }, this.backoffMs());
  }

  /** The bytes of the last write that landed; null before the first. */
  get landed(): string | null {
    return this.lastLanded;
  }

  /** Stops for good without writing what is dirty (a write in flight still lands; a failure is not retried). */
  abandon(): void {
    this.closed = true;
    this.stopTimers();
  }

  backoffMs(): number {
    return Math.min(this.options.retryBaseMs * 2 ** Math.max(0, this.consecutiveFailures - 1), this.options.intervalMs);
  }

  /** Stops the timers; what is dirty is written now, retried with the backoff up to `attempts` times. */
  async close(attempts: number): Promise<void> {
    this.closed = true;
    this.stopTimers();
    // Its own backoff from the first step (250 ms, doubling): the run's earlier failures do not
    // lengthen the wait before the process can return (on a full disk: 7.75 s for 6 tries).
    this.consecutiveFailures = 0;
    for (let attempt = 1; ; attempt += 1) {
      await this.kick();
      if (!this.dirty) return;
      if (attempt >= attempts) throw this.lastError;
      await new Promise<void>((resolve) => this.paths.clock.setTimeout(resolve, this.backoffMs()));
    }
  }
}

export class ManifestPersister {
  private readonly channels: Record<PersistedFile, Channel>;
  private readonly closeAttempts: number;
  private readonly statusOnDisk: string | null;

  constructor(
    private readonly paths: RunPaths,
    /** The run's manifest, owned from here on: changed only through `update`, `carry` and `beat`. */
    private readonly state: Manifest,
    options: PersisterOptions,
  ) {
    const channelOptions = {
      intervalMs: options.intervalMs,
      retryBaseMs: options.retryBaseMs ?? RETRY_BASE_MS,
      onFirstFailure: options.onFirstFailure,
    };
    this.closeAttempts = options.closeAttempts ?? CLOSE_ATTEMPTS;
    this.statusOnDisk = options.statusOnDisk ?? null;
    this.channels = {
      manifest: new Channel('manifest', paths, channelOptions, (last) => this.renderManifest(last)),
      heartbeat: new Channel('heartbeat', paths, channelOptions, (last) => {
        const bytes = `${this.state.heartbeat_at ?? ''}\n`;
        return bytes === last ? null : bytes;
      }),
    };
  }

  /** The run's manifest, read-only: every change is a transition passed to this persister. */
  get manifest(): ManifestView {
    return this.state;
  }

  /**
   * Applies a named transition to the manifest and schedules its write. Forced: the write is
   * issued now (in this tick when no write of the file is in flight) and the promise settles
   * when it has landed or failed (a failure is retried, reported once, and never rejects).
   */
  update(transition: (manifest: Manifest) => void, options: { force?: boolean } = {}): Promise<void> {
    transition(this.state);
    return this.persist(options);
  }

  /** Schedules a write of the state as it is (every change already made through a transition). */
  persist(options: { force?: boolean } = {}): Promise<void> {
    return this.channels.manifest.request(options.force === true);
  }

  /**
   * Applies a named transition that rides with the manifest's next write: it schedules none of
   * its own (a stage's output handles, a child run's entry; the stage's next forced or throttled
   * write, a heartbeat or the run's end carries them, and `close` writes what is left).
   */
  carry(transition: (manifest: Manifest) => void): void {
    transition(this.state);
    this.channels.manifest.dirty = true;
  }

  /**
   * A heartbeat: the transition (which moves `heartbeat_at`), then `.heartbeat` forced and the
   * manifest forced too unless `forceManifest` is false (the run's first beat, whose manifest
   * goes out with the first stage's start in the same tick).
   */
  beat(transition: (manifest: Manifest) => void, options: { forceManifest?: boolean } = {}): Promise<void> {
    transition(this.state);
    const forceManifest = options.forceManifest !== false;
    return Promise.all([this.channels.heartbeat.request(true), this.channels.manifest.request(forceManifest)]).then(() => undefined);
  }

  /** Writes what is still dirty (retrying) and stops the timers: the state is on disk when it resolves. */
  async close(): Promise<void> {
    // The manifest's last state must land (retried, then thrown); `.heartbeat` only tells a
    // reader the process is alive, so once the run ends one more try is enough.
    const [, manifest] = await Promise.allSettled([this.channels.heartbeat.close(1), this.channels.manifest.close(this.closeAttempts)]);
    if (manifest.status === 'rejected') throw manifest.reason;
  }

  /**
   * Drops what is not written yet and stops the timers, writing nothing more: for a run that
   * ends before it could be brought to its end (the manifest on disk keeps its last state).
   */
  abandon(): void {
    this.channels.heartbeat.abandon();
    this.channels.manifest.abandon();
  }

  /** The run's status in the manifest on disk: the last write that landed, else what was there before; null when none is. */
  landedStatus(): string | null {
    const landed = this.channels.manifest.landed;
    if (landed === null) return this.statusOnDisk;
    return (JSON.parse(landed) as { status: string }).status;
  }

  counts(): Record<PersistedFile, ChannelCounts> {
    return { manifest: { ...this.channels.manifest.counts }, heartbeat: { ...this.channels.heartbeat.counts } };
  }

  /** The manifest stamped and serialized once; a repeat of `last` (apart from `updated_at`) keeps its old stamp. */
  private renderManifest(last: string | null): string | null {
    const stamped = this.state.updated_at;
    stampUpdatedAt(this.state, this.paths.clock.now());
    const bytes = serializeManifest(this.state);
    if (last !== null && withoutUpdatedAt(bytes) === withoutUpdatedAt(last)) {
      this.state.updated_at = stamped; // nothing is written, so nothing is stamped
      return null;
    }
    return bytes;
  }
}

/** The manifest's bytes with its `updated_at` value blanked. */
function withoutUpdatedAt(text: string): string {
  // `updated_at` is a top-level key only, and pretty JSON puts it alone on a line indented by
  // two spaces, so the anchors cannot change a match; a different replacement text is applied
  // to both sides of the comparison alike: those mutants are equivalent.
  // Stryker disable next-line Regex,StringLiteral: equivalent mutants (see above)
  return text.replace(/^ {2}"updated_at": "[^"]*",$/m, '  "updated_at": "",');
}
