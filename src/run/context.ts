// The state one run carries while it executes, and the cancel state a whole CLI invocation
// (a run and its subpipeline runs) shares.
import type { CloudSettings } from '../cloud/settings.js';
import type { StageSink } from './sinks/stage-sink.js';
import type { StatusDetail } from '../outcome/status-detail.js';
import type { OrchestratorConfig, Stage, TaskInfo } from '../config/schema.js';
import type { ToolRunEvent } from '../events/events.js';
import type { ManifestView } from '../manifest/schema.js';
import type { ManifestPersister } from '../persist/persister.js';
import type { Ownership } from './ownership.js';
import type { PrivacyMode } from '../privacy/guard.js';
import type { ExecHandle, Runtime, SignalName } from '../runtime/types.js';
import type { Roots } from '../layout/run-layout.js';
import type { WriteError } from '../errors.js';
import type { RunPaths } from '../persist/manifest-writer.js';
import type { Progress } from './progress.js';

/** A signal received by the CLI, and the exec to stop when it arrives. */
export class CancelState {
  signal: SignalName | null = null;
  private active = new Set<ExecHandle>();

  /** The first signal cancels every running exec; a second one asks them again (they stop at once). */
  trigger(signal: SignalName): void {
    if (!this.signal) this.signal = signal;
    for (const handle of this.active) handle.cancel(signal);
  }

  /** Tracks a running exec; it is cancelled at once if a signal already arrived. */
  watch(handle: ExecHandle): () => void {
    this.active.add(handle);
    if (this.signal) handle.cancel(this.signal);
    return () => this.active.delete(handle);
  }
}

export type ToolRunRecord = {
  id: string;
  tool: string;
  status: 'succeeded' | 'failed';
  startedAt: string;
  completedAt: string;
  attemptCount: number;
  /** With a cap (phase 3): how many chunk events were kept and dropped, and the bytes dropped. */
  eventCap?: EventCap;
  /** B4 (phase 0; removed by phase 3 for users who set a cap): every exec event, every chunk included. */
  events: ToolRunEvent[];
};

export type EventCap = { maxChunkEvents: number; keptChunkEvents: number; droppedChunkEvents: number; droppedChunkBytes: number };

/** What every run of one CLI invocation shares. */
export type Invocation = {
  runtime: Runtime;
  roots: Roots;
  config: OrchestratorConfig | null;
  taskId: string;
  taskInfo: TaskInfo | undefined;
  privacyMode: PrivacyMode;
  /** Phase 3: the chunk events each stage keeps in run-summary.json; null keeps them all (B4). */
  execEventMaxChunks: number | null;
  /** Phase 5: the privacy events a metrics line embeds; null embeds them all. */
  metricsPrivacyEventsMax: number | null;
  cancel: CancelState;
  progress: Progress;
  /** One more sink for every command stage's events: `exec`'s console, built by the CLI. */
  console: StageSink | null;
  /**
   * The persisters of this invocation's runs not closed yet: whatever ends the invocation
   * before a run's end (an error thrown) abandons them, so no timer of theirs outlives it.
   */
  persisters: Set<ManifestPersister>;
  /** Where `cloud` stages are sent (CODEX_ORCHESTRATOR_REDIS_URL, else the config's `cloud`); absent or null: they run here. */
  cloud?: (CloudSettings & { reconnectMs?: number }) | null;
};

export type ResolvedPipeline = {
  id: string;
  title: string;
  stages: Stage[];
  guardrailsRequired: boolean;
  /** Explicit child-env overrides from pipeline resolution. */
  envOverrides: Record<string, string>;
};

export type RunContext = {
  invocation: Invocation;
  pipeline: ResolvedPipeline;
  paths: RunPaths;
  /** The run's manifest, read-only (the persister's view). */
  manifest: ManifestView;
  /** The run's single writer: every manifest change goes through it. */
  persister: ManifestPersister;
  /** This process's hold on the run (`.owner`), given up when the run ends. */
  ownership: Ownership;
  toolRuns: ToolRunRecord[];
  summaryLines: string[];
  /** Nesting depth: 0 for the top run, 1 for its subpipelines, … */
  depth: number;
  /** The command stage that failed the run (not one allowed to fail): what a red run shows of it. */
  failedStage: FailedStage | null;
  /** The write of the run's own files (or of a subpipeline's run) that failed and ends the run; null while none has. */
  lost: WriteError | null;
  /** True once the run is ending: a failed write is then reported by the run's end, not as a background write. */
  ending: boolean;
};

/** A failed command stage: its id, how it ended, its log (repo-relative) and its last lines. */
export type FailedStage = { stageId: string; exit: string; logPath: string; lastLines: string[] };

/** What one stage's execution means for the run. */
export type StageOutcome =
  | { kind: 'succeeded' }
  | { kind: 'failed-allowed' }
  | { kind: 'failed'; detail: StatusDetail }
  | { kind: 'cancelled'; signal: SignalName }
  /** A write of the run's own files failed (its disk is full, failing or read-only): the run ends here, whatever the stage allows. */
  | { kind: 'write-failed'; error: WriteError; detail: StatusDetail };
