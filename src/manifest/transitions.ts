// Manifest construction and transitions: plain functions over the manifest value, so tests
// and the golden replay drive them without touching disk.
import { isoTime } from '../layout/run-layout.js';
import { HEARTBEAT_INTERVAL_SECONDS, HEARTBEAT_STALE_AFTER_SECONDS } from './heartbeat-timing.js';
import type { ChildRun, CommandEntry, GuardrailStatus, Handle, Manifest, ManifestView, PrivacyDecision, ResumeEvent, RunStatus } from './schema.js';

export type ManifestStage = { id: string; title: string; kind: 'command' | 'subpipeline'; command: string | null; report?: string | undefined };

export type NewManifest = {
  taskId: string;
  taskSlug: string | null;
  runId: string;
  parentRunId: string | null;
  pipelineId: string;
  pipelineTitle: string;
  approvalPolicy: string | null;
  nowMs: number;
  artifactRoot: string;
  compatPath: string;
  logPath: string;
  resumeToken: string;
  stages: ManifestStage[];
  planTargetId: string | null;
  instructionsHash: string | null;
  instructionsSources: string[];
  guardrailsRequired: boolean;
  privacyMode: 'shadow' | 'enforce';
  privacyLogPath: string;
};

export function createManifest(input: NewManifest): Manifest {
  const now = isoTime(input.nowMs);
  const manifest: Manifest = {
    version: 1,
    task_id: input.taskId,
    task_slug: input.taskSlug,
    run_id: input.runId,
    parent_run_id: input.parentRunId,
    pipeline_id: input.pipelineId,
    pipeline_title: input.pipelineTitle,
    runner: 'codex-cli',
    approval_policy: input.approvalPolicy,
    status: 'queued',
    status_detail: null,
    started_at: now,
    completed_at: null,
    updated_at: now,
    heartbeat_at: null,
    heartbeat_interval_seconds: HEARTBEAT_INTERVAL_SECONDS,
    heartbeat_stale_after_seconds: HEARTBEAT_STALE_AFTER_SECONDS,
    artifact_root: input.artifactRoot,
    compat_path: input.compatPath,
    log_path: input.logPath,
    summary: null,
    metrics_recorded: false,
    resume_token: input.resumeToken,
    resume_events: [],
    approvals: [],
    commands: input.stages.map((stage, i) => ({
      index: i + 1,
      id: stage.id,
      title: stage.title,
      command: stage.command,
      kind: stage.kind,
      status: 'pending',
      started_at: null,
      completed_at: null,
      exit_code: null,
      summary: null,
      log_path: null,
      error_file: null,
      sub_run_id: null,
      // Declared, not yet written: the stage's end fills it in.
      ...(stage.report !== undefined ? { report: null } : {}),
    })),
    child_runs: [],
    run_summary_path: null,
    plan_target_id: input.planTargetId,
    instructions_hash: input.instructionsHash,
    instructions_sources: input.instructionsSources,
    guardrails_required: input.guardrailsRequired,
    guardrail_status: placeholderGuardrails(now),
    handles: [],
    privacy: {
      mode: input.privacyMode,
      decisions: [],
      totals: { total_frames: 0, redacted_frames: 0, blocked_frames: 0, allowed_frames: 0 },
      log_path: input.privacyLogPath,
    },
  };
  manifest.guardrail_status = computeGuardrailStatus(manifest, input.nowMs);
  return manifest;
}

function placeholderGuardrails(now: string): GuardrailStatus {
  return {
    present: false,
    recommendation: null,
    summary: '',
    computed_at: now,
    counts: { total: 0, succeeded: 0, failed: 0, skipped: 0, other: 0 },
  };
}

/**
 * Updates `manifest.commands[i]` (0-based i) in place and returns it: a reference to the
 * entry stays the entry in the manifest (phase 1 removed B1, where a new object was stored
 * and a stage that threw was finished through a stale one).
 */
export function updateCommandStatus(manifest: Manifest, i: number, changes: Partial<CommandEntry>): CommandEntry {
  const current = manifest.commands[i];
  if (!current) throw new Error(`manifest has no command #${i + 1}`);
  return Object.assign(current, changes);
}

export function markRunInProgress(manifest: Manifest, nowMs: number): void {
  manifest.status = 'in_progress';
  manifest.status_detail = null;
  manifest.completed_at = null;
  manifest.heartbeat_at = isoTime(nowMs);
}

export function markStageRunning(manifest: Manifest, i: number, nowMs: number, logPath: string | null): CommandEntry {
  return updateCommandStatus(manifest, i, {
    status: 'running',
    started_at: isoTime(nowMs),
    completed_at: null,
    exit_code: null,
    summary: null,
    log_path: logPath,
    error_file: null,
  });
}

export type StageFinish = {
  status: 'succeeded' | 'failed' | 'skipped';
  completedAtMs: number;
  exitCode: number | null;
  summary: string | null;
  errorFile?: string | null;
  subRunId?: string | null;
  /** Where a cloud stage ran (only when a Redis URL is set). */
  placement?: CommandEntry['placement'];
  /** The stage's declared report, when it wrote it (else null). */
  report?: string | null;
};

export function finishStage(manifest: Manifest, i: number, finish: StageFinish): CommandEntry {
  const changes: Partial<CommandEntry> = {
    status: finish.status,
    completed_at: isoTime(finish.completedAtMs),
    exit_code: finish.exitCode,
    summary: finish.summary,
  };
  if (finish.errorFile !== undefined) changes.error_file = finish.errorFile;
  if (finish.subRunId !== undefined) changes.sub_run_id = finish.subRunId;
  if (finish.report !== undefined) changes.report = finish.report;
  if (finish.placement !== undefined) changes.placement = finish.placement;
  return updateCommandStatus(manifest, i, changes);
}

export type StageFailure = {
  completedAtMs: number;
  /** What went wrong: the summary is `Execution error: <message>`. */
  message: string;
  errorFile?: string | null;
  /** An allowed failure (an optional subpipeline): recorded `skipped`, the run goes on. */
  allowed?: boolean;
  placement?: CommandEntry['placement'];
};

/** A stage that could not run (it threw): the one transition of the command and subpipeline paths. */
export function failStage(manifest: Manifest, i: number, failure: StageFailure): CommandEntry {
  return finishStage(manifest, i, {
    status: failure.allowed ? 'skipped' : 'failed',
    completedAtMs: failure.completedAtMs,
    exitCode: null,
    summary: `Execution error: ${failure.message}`,
    errorFile: failure.errorFile,
    placement: failure.placement,
  });
}

export function skipStage(manifest: Manifest, i: number, reason: string): CommandEntry {
  return updateCommandStatus(manifest, i, { status: 'skipped', summary: reason });
}

/** Stamps the time of the write about to be made (the manifest's writer calls this). */
export function stampUpdatedAt(manifest: Manifest, nowMs: number): void {
  manifest.updated_at = isoTime(nowMs);
}

/** The run's metrics line has been appended. */
export function markMetricsRecorded(manifest: Manifest): void {
  manifest.metrics_recorded = true;
}

/** `run-summary.json` has been written (repo-relative path). */
export function recordRunSummaryPath(manifest: Manifest, path: string): void {
  manifest.run_summary_path = path;
}

/** A subpipeline stage started a child run; returns its entry (updated in place by updateChildRun). */
export function addChildRun(manifest: Manifest, child: ChildRun): ChildRun {
  manifest.child_runs.push({ ...child });
  return manifest.child_runs.at(-1)!;
}

/** The child run ended: its status in the parent's `child_runs`. */
export function updateChildRun(manifest: Manifest, runId: string, status: ChildRun['status']): void {
  const entry = manifest.child_runs.find((c) => c.run_id === runId);
  if (!entry) throw new Error(`manifest has no child run ${runId}`);
  entry.status = status;
}

export function recordHeartbeat(manifest: Manifest, nowMs: number): void {
  manifest.heartbeat_at = isoTime(nowMs);
}

/** Counts over the command stages whose command contains `spec-guard`. */
export function computeGuardrailStatus(manifest: Manifest, nowMs: number): GuardrailStatus {
  const guards = manifest.commands.filter((c) => c.kind === 'command' && (c.command ?? '').includes('spec-guard'));
  const counts = { total: guards.length, succeeded: 0, failed: 0, skipped: 0, other: 0 };
  for (const guard of guards) {
    if (guard.status === 'succeeded') counts.succeeded += 1;
    else if (guard.status === 'failed') counts.failed += 1;
    else if (guard.status === 'skipped') counts.skipped += 1;
    else counts.other += 1;
  }
  let summary: string;
  let recommendation: string | null;
  if (counts.total === 0) {
    summary = 'Guardrails: spec-guard command not found.';
    recommendation = 'Add a spec-guard stage to the pipeline.';
  } else if (counts.failed > 0) {
    summary = `Guardrails: ${counts.succeeded}/${counts.total} succeeded, ${counts.failed} failed.`;
    recommendation = 'Review the spec-guard output before merging.';
  } else if (counts.succeeded === counts.total) {
    summary = `Guardrails: ${counts.succeeded}/${counts.total} succeeded.`;
    recommendation = null;
  } else {
    summary = `Guardrails: ${counts.succeeded}/${counts.total} succeeded, ${counts.total - counts.succeeded} not run.`;
    recommendation = 'Run the spec-guard stage to completion.';
  }
  return { present: counts.total > 0, recommendation, summary, computed_at: isoTime(nowMs), counts };
}

/** Whether a required guardrail is missing or did not pass. */
export function guardrailsBlock(manifest: Manifest): boolean {
  const g = manifest.guardrail_status;
  return manifest.guardrails_required && (!g.present || g.counts.succeeded < g.counts.total);
}

export type RunFinish = {
  status: Extract<RunStatus, 'succeeded' | 'failed' | 'cancelled'>;
  statusDetail: string | null;
  completedAtMs: number;
  summaryLines: string[];
};

export function finalizeRun(manifest: Manifest, finish: RunFinish): void {
  manifest.status = finish.status;
  manifest.status_detail = finish.statusDetail;
  manifest.completed_at = isoTime(finish.completedAtMs);
  manifest.guardrail_status = computeGuardrailStatus(manifest, finish.completedAtMs);
  manifest.summary = summarize([...finish.summaryLines, manifest.guardrail_status.summary]);
}

/** Distinct non-empty lines joined by '\n'; null when there are none. */
export function summarize(lines: string[]): string | null {
  const distinct = [...new Set(lines.map((line) => line.trim()).filter((line) => line.length > 0))];
  return distinct.length > 0 ? distinct.join('\n') : null;
}

export function recordResumeEvent(manifest: Manifest, event: ResumeEvent): void {
  manifest.resume_events.push(event);
}

/**
 * The stages (0-based) a resume runs again: those not succeeded or skipped, and each `always`
 * stage (`always(i)`) after the first of them.
 */
export function stagesToRerun(manifest: Pick<ManifestView, 'commands'>, always: (i: number) => boolean = () => false): number[] {
  const rerun: number[] = [];
  manifest.commands.forEach((entry, i) => {
    const again = rerun.length > 0 && always(i) && entry.status === 'succeeded';
    if (again || (entry.status !== 'succeeded' && entry.status !== 'skipped')) rerun.push(i);
  });
  return rerun;
}

/**
 * What an accepted resume records of the invocation it follows: the run's status as it stood,
 * when that invocation stopped running, and its error files set aside (repo-relative), before
 * prepareResume changes anything. An invocation that never ended the run (its process died,
 * or gave the run up) stopped running at its last heartbeat, the last instant it was known
 * to run (`updated_at` would count a blocked resume's write since).
 */
export function resumedFrom(manifest: Manifest, errorFiles: string[]): NonNullable<ResumeEvent['resumed_from']> {
  return {
    status: manifest.status,
    status_detail: manifest.status_detail,
    ended_at: manifest.completed_at ?? manifest.heartbeat_at ?? manifest.updated_at,
    error_files: errorFiles,
  };
}

/**
 * Puts a failed or cancelled run back in progress: stages not succeeded or skipped are pending
 * again, and so is each `always` stage (`always(i)`) after the first of them: it ran on the
 * failed run's state (the lane's review packet), so it runs again on the resumed one.
 */
export function prepareResume(manifest: Manifest, nowMs: number, always: (i: number) => boolean = () => false): number[] {
  const rerun = stagesToRerun(manifest, always);
  for (const i of rerun) {
    const entry = manifest.commands[i]!;
    updateCommandStatus(manifest, i, {
      status: 'pending',
      started_at: null,
      completed_at: null,
      exit_code: null,
      summary: null,
      error_file: null,
      sub_run_id: null,
      ...(entry.report !== undefined ? { report: null } : {}),
    });
  }
  manifest.metrics_recorded = false;
  manifest.summary = null;
  markRunInProgress(manifest, nowMs);
  return rerun;
}

export function openHandle(manifest: Manifest, handle: Omit<Handle, 'status' | 'frame_count' | 'latest_sequence'>): Handle {
  const entry: Handle = {
    handle_id: handle.handle_id,
    correlation_id: handle.correlation_id,
    stage_id: handle.stage_id,
    pipeline_id: handle.pipeline_id,
    status: 'open',
    frame_count: 0,
    latest_sequence: 0,
    created_at: handle.created_at,
    metadata: handle.metadata,
  };
  manifest.handles.push(entry);
  return entry;
}

function handleOf(manifest: Manifest, handleId: string): Handle {
  const handle = manifest.handles.find((h) => h.handle_id === handleId);
  if (!handle) throw new Error(`manifest has no handle ${handleId}`);
  return handle;
}

/** A chunk of the handle's stream: one more frame, the latest sequence number. */
export function recordFrame(manifest: Manifest, handleId: string, sequence: number): void {
  const handle = handleOf(manifest, handleId);
  handle.frame_count += 1;
  handle.latest_sequence = sequence;
}

export function closeHandle(manifest: Manifest, handleId: string): void {
  handleOf(manifest, handleId).status = 'closed';
}

/**
 * A decision in the manifest: counted in the totals, and kept in `privacy.decisions` unless
 * it is an allow. Phase 5 (removes B7, which kept every decision, one per output chunk): the
 * full list is privacy-decisions.ndjson's (`privacy.log_path`), so the manifest's size no
 * longer grows with the output.
 */
export function recordPrivacyDecision(manifest: Manifest, decision: PrivacyDecision): void {
  if (decision.action !== 'allow') manifest.privacy.decisions.push(decision);
  countPrivacyDecision(manifest, decision);
}

/**
 * A text's decision (the command, the summary, an error message): kept in `privacy.decisions`,
 * not counted in the totals, which count the output's frames.
 */
export function recordTextDecision(manifest: Manifest, decision: PrivacyDecision): void {
  manifest.privacy.decisions.push(decision);
}

/** A decision counted in the totals only (phase 3's cap: privacy-decisions.ndjson keeps it). */
export function countPrivacyDecision(manifest: Manifest, decision: PrivacyDecision): void {
  const totals = manifest.privacy.totals;
  totals.total_frames += 1;
  if (decision.action === 'redact') totals.redacted_frames += 1;
  else if (decision.action === 'block') totals.blocked_frames += 1;
  else totals.allowed_frames += 1;
}
