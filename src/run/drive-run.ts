// A run from creation to its terminal state: the run directory and first writes, the stage
// loop (command and subpipeline stages), finalization, run summary and metrics. A write of the
// run's own files that fails (a WriteError) ends the run: it is finalized `failed` with the
// file named (`evidence:<file>:not-written`) when the manifest can still be written, and the
// CLI gets one line naming the file and the error (docs/contracts.md §1, §4).
import { join } from 'node:path';
import { pipelineEnvOverrides } from '../config/pipeline-env.js';
import { findPipeline } from '../config/load-config.js';
import type { Pipeline, Stage, SubpipelineStage } from '../config/schema.js';
import { errorMessage, OrchestratorError, WriteError, writeError } from '../errors.js';
import { formatStatusDetail, type StatusDetail } from '../outcome/status-detail.js';
import { runPaths, type RunPaths } from '../persist/manifest-writer.js';
import type { Manifest, RunStatus } from '../manifest/schema.js';
import {
  createManifest,
  addChildRun,
  failStage,
  finalizeRun,
  finishStage,
  guardrailsBlock,
  markRunInProgress,
  markStageRunning,
  skipStage,
  updateChildRun,
} from '../manifest/transitions.js';
import { recordRunMetrics } from '../metrics/record-metrics.js';
import { ManifestPersister } from '../persist/persister.js';
import { guardText } from '../privacy/guard.js';
import { lostEvidence, runCommandStage, writeFailed } from './command-stage.js';
import type { Invocation, ResolvedPipeline, RunContext, StageOutcome, ToolRunRecord } from './context.js';
import { HEARTBEAT_INTERVAL_MS, startHeartbeat } from './heartbeat.js';
import { acquireRun, notOwned, refusalLine, type Ownership } from './ownership.js';
import { evidenceName, isoTime, makeRunId, repoRelative } from '../layout/run-layout.js';
import type { StageLabel } from './progress.js';
import { writeRunSummary } from './run-summary.js';
import { sha256Hex } from '../runtime/sha256.js';
import { runsUnderTarget } from './target.js';

/** A stage that runs even after an earlier stage failed (`"always": true`). */
export const isAlways = (stage: Stage): boolean => stage.kind === 'command' && stage.always === true;

export const INSTRUCTION_FILES = ['AGENTS.md', 'docs/AGENTS.md', '.agent/AGENTS.md'];

/** Resolves a configured pipeline for running: its env defaults become its own children's overrides. */
export function resolvePipeline(pipeline: Pipeline): ResolvedPipeline {
  return {
    id: pipeline.id,
    title: pipeline.title,
    stages: pipeline.stages,
    guardrailsRequired: pipeline.guardrailsRequired ?? false,
    envOverrides: pipelineEnvOverrides(pipeline),
  };
}

async function instructions(invocation: Invocation): Promise<{ hash: string | null; sources: string[] }> {
  const { fs } = invocation.runtime;
  const found: Uint8Array[] = [];
  const sources: string[] = [];
  for (const name of INSTRUCTION_FILES) {
    try {
      found.push(await fs.readFile(join(invocation.roots.root, name)));
      sources.push(name);
    } catch {
      // Not present.
    }
  }
  return { hash: sources.length > 0 ? sha256Hex(found) : null, sources };
}

export type NewRun = {
  pipeline: ResolvedPipeline;
  parentRunId: string | null;
  approvalPolicy: string | null;
  target: string | null;
  depth: number;
  /** What the owner record says this process was started as (default `start`). */
  command?: string;
};

/**
 * Reports the first failed background write of a run on stderr (later ones would repeat it),
 * unless `quiet`: once the run is ending, or a write failure already ends it, the run's end
 * reports what failed, in one line.
 */
function backgroundErrorReporter(invocation: Invocation, paths: RunPaths, quiet: () => boolean): (file: string, error: unknown) => void {
  let reported = false;
  return (_file, error) => {
    if (reported || quiet()) return;
    reported = true;
    invocation.progress.note(`codex-orchestrator: a background write of run ${paths.runId} failed: ${errorMessage(error)}`);
  };
}

function newContext(
  invocation: Invocation,
  pipeline: ResolvedPipeline,
  paths: RunPaths,
  manifest: Manifest,
  depth: number,
  statusOnDisk: string | null,
): RunContext {
  // The persister owns the manifest from here on; the context keeps its read-only view.
  const persister = new ManifestPersister(paths, manifest, {
    intervalMs: HEARTBEAT_INTERVAL_MS,
    onFirstFailure: backgroundErrorReporter(invocation, paths, () => ctx.lost !== null || ctx.ending),
    statusOnDisk,
  });
  invocation.persisters.add(persister);
  const ctx: RunContext = {
    invocation,
    pipeline,
    paths,
    manifest: persister.manifest,
    persister,
    toolRuns: [],
    summaryLines: [],
    depth,
    lost: null,
    failedStage: null,
    ending: false,
    // Set once the run is this process's: a run that could not be created is never owned.
    ownership: notOwned,
  };
  return ctx;
}

/**
 * The run's directory, resume token or compat pointer could not be written: the run was not
 * created (it has no manifest). `ctx` is the run as it would have been.
 */
export class RunNotCreated extends Error {
  constructor(
    readonly ctx: RunContext,
    readonly error: WriteError,
  ) {
    super(error.message);
  }
}

/**
 * Creates the run directory, the manifest (queued), the resume token and the compat pointer.
 * A write that fails rejects with RunNotCreated.
 */
export async function createRun(invocation: Invocation, run: NewRun): Promise<RunContext> {
  const { runtime, roots, taskId } = invocation;
  const nowMs = runtime.clock.now();
  const runId = makeRunId(nowMs, runtime.ids);
  const paths = runPaths(roots, taskId, runId, runtime.fs, runtime.clock);
  const { hash, sources } = await instructions(invocation);
  const manifest = createManifest({
    taskId,
    taskSlug: invocation.taskInfo?.slug ?? null,
    runId,
    parentRunId: run.parentRunId,
    pipelineId: run.pipeline.id,
    pipelineTitle: run.pipeline.title,
    approvalPolicy: run.approvalPolicy,
    nowMs,
    artifactRoot: repoRelative(paths, paths.runDir),
    compatPath: repoRelative(paths, paths.compatPath),
    logPath: repoRelative(paths, paths.runnerLogPath),
    resumeToken: runtime.ids.resumeToken(),
    stages: run.pipeline.stages.map((stage) => ({
      id: stage.id,
      title: stage.title,
      kind: stage.kind,
      // As the privacy guard lets it be written (docs/contracts.md §9).
      command: stage.kind === 'command' ? guardText(invocation.privacyMode, stage.command).text : null,
      report: stage.kind === 'command' ? stage.report : undefined,
    })),
    planTargetId: run.target,
    instructionsHash: hash,
    instructionsSources: sources,
    guardrailsRequired: run.pipeline.guardrailsRequired,
    privacyMode: invocation.privacyMode,
    privacyLogPath: repoRelative(paths, paths.privacyLogPath),
  });
  const ctx = newContext(invocation, run.pipeline, paths, manifest, run.depth, null);
  /** Each write in turn; the first that fails is a WriteError naming its file. */
  const write = async (path: string, work: () => Promise<void>, action?: string, keepOwnPath = false) => {
    try {
      await work();
    } catch (error) {
      // Nothing of the run will be written: its persister is not needed.
      ctx.persister.abandon();
      invocation.persisters.delete(ctx.persister);
      throw new RunNotCreated(ctx, keepOwnPath && error instanceof WriteError ? error : writeError(path, error, action));
    }
  };
  // The sink's error names the first directory it could not make (a file where a directory should be, say).
  await write(paths.runDir, () => runtime.fs.mkdirp(paths.runDir), 'could not create directory', true);
  // The run's owner from its first file on: a run directory is never run by two processes.
  let acquired: Awaited<ReturnType<typeof acquireRun>> | null = null;
  await write(paths.ownerPath, async () => {
    acquired = await acquireRun(
      { paths, processes: runtime.processes, ids: runtime.ids },
      {
        command: run.command ?? 'start',
        nowMs,
        manifest: async () => null,
        onError: (error) => backgroundErrorReporter(invocation, paths, () => false)(paths.ownerPath, error),
      },
    );
  });
  const got = acquired as Awaited<ReturnType<typeof acquireRun>> | null;
  if (got === null || got.kind === 'refused') {
    ctx.persister.abandon();
    invocation.persisters.delete(ctx.persister);
    throw new OrchestratorError(got === null ? `cannot start run '${runId}'` : `cannot start: ${refusalLine(runId, got)}`, 1);
  }
  ctx.ownership = got.ownership;
  // The manifest is first written by the run's first forced step (its first stage's start):
  // no reader needs the `queued` state before that.
  // The token lets whoever reads it resume the run: only the owner may read it (0600).
  await write(paths.resumeTokenPath, () => runtime.fs.writeAtomic(paths.resumeTokenPath, `${manifest.resume_token}\n`, { private: true }));
  const pointer = {
    redirect_to: manifest.artifact_root,
    manifest: repoRelative(paths, paths.manifestPath),
    created_at: isoTime(nowMs),
    note: 'Compatibility pointer: this run lives under the cli/ directory named in redirect_to.',
  };
  await write(paths.compatPath, () => runtime.fs.writeAtomic(paths.compatPath, `${JSON.stringify(pointer, null, 2)}\n`));
  return ctx;
}

/**
 * A new run, created and driven to its end. One that could not be created (its directory, token
 * or pointer could not be written) ends at once: `failed`, with no manifest, and the error.
 */
export async function createAndDriveRun(
  invocation: Invocation,
  run: NewRun,
  options: { target: string | null; failureDetail?: StatusDetail },
): Promise<RunResult> {
  let ctx: RunContext;
  try {
    ctx = await createRun(invocation, run);
  } catch (error) {
    if (!(error instanceof RunNotCreated)) throw error;
    const file = evidenceName(error.ctx.paths, error.error.file);
    return {
      status: 'failed',
      detail: { kind: 'evidence-not-written', file },
      ctx: error.ctx,
      created: false,
      writeFailure: error.error.message,
    };
  }
  return driveRun(
    ctx,
    run.pipeline.stages.map((_, i) => i),
    { resumed: false, ...options },
  );
}

/** A context over a run already on disk (resume), held by `ownership`. */
export function openRun(
  invocation: Invocation,
  pipeline: ResolvedPipeline,
  paths: RunPaths,
  manifest: Manifest,
  ownership: Ownership,
  toolRuns: ToolRunRecord[],
): RunContext {
  const ctx = newContext(invocation, pipeline, paths, manifest, 0, manifest.status);
  ctx.ownership = ownership;
  ctx.toolRuns.push(...toolRuns);
  return ctx;
}

export type RunResult = {
  /** The run's verdict: also `failed` when its end could not be written (the manifest on disk then says otherwise; `writeFailure` says so). */
  status: Extract<RunStatus, 'succeeded' | 'failed' | 'cancelled'>;
  /** Why, typed: the manifest's status_detail is its string form. */
  detail: StatusDetail | null;
  ctx: RunContext;
  /** False when the run could not be created: it has no directory, manifest or logs. */
  created: boolean;
  /**
   * The write of the run's own files that failed and ended it, as one line naming the file and
   * the error (and, when the manifest's end could not be written either, what it still says);
   * null when every write landed.
   */
  writeFailure: string | null;
};

/**
 * Runs the stages at `indices` (in order) and brings the run to its terminal state.
 * Stages after `target` (when set) are marked skipped first. The run's owner gives it up at
 * the end, also when the run could not be brought to its end (it can then be resumed).
 */
export async function driveRun(
  ctx: RunContext,
  indices: number[],
  options: { resumed: boolean; target: string | null; failureDetail?: StatusDetail },
): Promise<RunResult> {
  try {
    return await driveOwnedRun(ctx, indices, options);
  } finally {
    await ctx.ownership.release().catch(() => undefined);
  }
}

async function driveOwnedRun(
  ctx: RunContext,
  indices: number[],
  options: { resumed: boolean; target: string | null; failureDetail?: StatusDetail },
): Promise<RunResult> {
  const { invocation, manifest } = ctx;
  const { clock } = invocation.runtime;
  const stages = ctx.pipeline.stages;
  invocation.progress.runStarted(manifest.run_id, ctx.pipeline.id, ctx.depth, options.resumed);

  let toRun = indices;
  let cut: number[] = [];
  if (options.target !== null) {
    const target = options.target;
    const pipeline = { id: ctx.pipeline.id, stages };
    toRun = indices.filter((i) => runsUnderTarget(pipeline, target, i));
    cut = indices.filter((i) => !runsUnderTarget(pipeline, target, i));
  }

  await ctx.persister.update((m) => {
    for (const i of cut) skipStage(m, i, `Skipped: after target stage '${options.target}'.`);
    markRunInProgress(m, clock.now());
  });
  const heartbeat = await startHeartbeat(ctx);

  let outcome: StageOutcome = { kind: 'succeeded' };
  try {
    for (const i of toRun) {
      const signal = invocation.cancel.signal;
      if (signal) {
        // A run that already failed stays failed: the signal only stops its always stages.
        if (outcome.kind !== 'failed') outcome = { kind: 'cancelled', signal };
        break;
      }
      const stage = stages[i]!;
      // After a failure only the `always` stages run (docs/contracts.md §2); the others stay pending.
      if (outcome.kind === 'failed' && !isAlways(stage)) continue;
      const label: StageLabel = { pipelineId: ctx.pipeline.id, index: i + 1, total: stages.length, stageId: stage.id, depth: ctx.depth };
      const result = stage.kind === 'command' ? await runCommandStage(ctx, i, stage, label) : await runSubpipelineStage(ctx, i, stage, label);
      if (result.kind === 'cancelled' || result.kind === 'write-failed') {
        // A signal during an always stage stops it; a run that already failed stays failed.
        if (!(result.kind === 'cancelled' && outcome.kind === 'failed')) outcome = result;
        break;
      }
      // The first failure is the run's: an always stage that fails after it is recorded, not the reason.
      if (result.kind === 'failed' && outcome.kind !== 'failed') outcome = result;
    }
    if (outcome.kind === 'succeeded' && invocation.cancel.signal) outcome = { kind: 'cancelled', signal: invocation.cancel.signal };
  } finally {
    heartbeat.stop();
    invocation.progress.stopLive();
  }

  let status: RunResult['status'];
  let detail: StatusDetail | null = null;
  if (outcome.kind === 'cancelled') {
    status = 'cancelled';
    detail = { kind: 'cancelled', signal: outcome.signal };
    ctx.summaryLines.push(`Run cancelled by ${outcome.signal}.`);
  } else if (outcome.kind === 'write-failed') {
    // Named for what failed, also in an exec run: not exec-failed.
    status = 'failed';
    detail = outcome.detail;
    ctx.lost = outcome.error;
  } else if (outcome.kind === 'failed') {
    status = 'failed';
    detail = options.failureDetail ?? outcome.detail;
  } else {
    status = 'succeeded';
  }
  ctx.ending = true;
  // Forced: the run's end is on disk before the run summary, the metrics line and exit.
  await ctx.persister.update(
    (m) => {
      finalizeRun(m, { status, statusDetail: formatStatusDetail(detail), completedAtMs: clock.now(), summaryLines: ctx.summaryLines });
      if (status === 'succeeded' && guardrailsBlock(m)) {
        detail = { kind: 'pipeline-failed' };
        finalizeRun(m, {
          status: 'failed',
          statusDetail: formatStatusDetail(detail),
          completedAtMs: clock.now(),
          summaryLines: [...ctx.summaryLines, `Pipeline '${ctx.pipeline.title}' requires guardrails that did not pass.`],
        });
        status = 'failed';
      }
    },
    { force: true },
  );

  /**
   * An evidence file of the run's end that could not be written: the run fails (evidence is
   * never lost silently, phase 3), named for the first such file, and its summary says which.
   */
  const lose = async (error: WriteError) => {
    if (ctx.lost === null) {
      ctx.lost = error;
      status = 'failed';
      detail = { kind: 'evidence-not-written', file: evidenceName(ctx.paths, error.file) };
    }
    const why = lostEvidence(ctx.paths, error);
    const lostDetail = detail;
    await ctx.persister.update(
      (m) =>
        finalizeRun(m, {
          status: 'failed',
          statusDetail: formatStatusDetail(lostDetail),
          completedAtMs: clock.now(),
          summaryLines: [...(m.summary === null ? [] : m.summary.split('\n')), why],
        }),
      { force: true },
    );
  };

  try {
    await writeRunSummary(ctx);
  } catch (error) {
    await lose(writeError(ctx.paths.runSummaryPath, error));
  }
  let manifestLost: WriteError | null = null;
  try {
    try {
      await recordRunMetrics(ctx.paths, ctx.persister, ctx.invocation.metricsPrivacyEventsMax);
    } catch (error) {
      if (!(error instanceof WriteError)) throw error;
      await lose(error);
    }
  } finally {
    // Also when the metrics line cannot be recorded: the manifest's last write lands before the CLI returns.
    try {
      await ctx.persister.close();
    } catch (error) {
      manifestLost = writeError(ctx.paths.manifestPath, error);
    }
    invocation.persisters.delete(ctx.persister);
  }
  if (manifestLost !== null && ctx.lost === null) {
    ctx.lost = manifestLost;
    status = 'failed';
    detail = { kind: 'evidence-not-written', file: evidenceName(ctx.paths, manifestLost.file) };
  }
  return { status, detail, ctx, created: true, writeFailure: failureLine(ctx, manifestLost) };
}

/**
 * The one line a run that lost a write ends with: the first write that failed, and when the
 * manifest's last state could not be written either, what the manifest on disk still says.
 */
function failureLine(ctx: RunContext, manifestLost: WriteError | null): string | null {
  if (ctx.lost === null) return null;
  if (manifestLost === null) return ctx.lost.message;
  const onDisk = ctx.persister.landedStatus();
  const state = onDisk === null ? 'no manifest was written' : `it still says ${onDisk}`;
  return manifestLost === ctx.lost ? `${ctx.lost.message}; ${state}` : `${ctx.lost.message}; the manifest could not be updated either: ${state}`;
}

async function runSubpipelineStage(ctx: RunContext, i: number, stage: SubpipelineStage, label: StageLabel): Promise<StageOutcome> {
  const { invocation, manifest, paths } = ctx;
  const { clock } = invocation.runtime;
  const startedAtMs = clock.now();
  // Forced: the stage's start (and the previous stage's end) is on disk before its child run starts.
  await ctx.persister.update((m) => markStageRunning(m, i, startedAtMs, null), { force: true });
  invocation.progress.stageStarted(label, `subpipeline ${stage.pipeline}`);
  try {
    if (!invocation.config) throw new Error(`no configuration to resolve pipeline '${stage.pipeline}'`);
    const pipeline = resolvePipeline(findPipeline(invocation.config, stage.pipeline));
    const child = await createRun(invocation, {
      pipeline,
      parentRunId: manifest.run_id,
      approvalPolicy: manifest.approval_policy,
      target: null,
      depth: ctx.depth + 1,
      command: 'subpipeline',
    });
    // Carried by the next write (a heartbeat, or this stage's end): the child's own manifest
    // names its parent, so no reader waits on this entry.
    ctx.persister.carry((m) =>
      addChildRun(m, {
        run_id: child.manifest.run_id,
        pipeline_id: pipeline.id,
        status: child.manifest.status,
        manifest: repoRelative(paths, child.paths.manifestPath),
      }),
    );
    const result = await driveRun(
      child,
      pipeline.stages.map((_, k) => k),
      { resumed: false, target: null },
    );
    const endMs = clock.now();
    const succeeded = result.status === 'succeeded';
    const summary = succeeded
      ? `Subpipeline '${pipeline.title}' succeeded.`
      : `Subpipeline '${pipeline.title}' ${result.status}${result.ctx.manifest.status_detail ? ` (${result.ctx.manifest.status_detail})` : ''}.`;
    const cancelled = result.status === 'cancelled' && invocation.cancel.signal !== null;
    // A write of the child run's files that failed ends this run too, optional or not.
    const lost = result.ctx.lost;
    // An optional subpipeline that fails is recorded `skipped`: the run goes on without it.
    // Not forced: the next stage's start, or the run's end, writes it before anything else runs.
    await ctx.persister.update((m) => {
      updateChildRun(m, child.manifest.run_id, result.status);
      finishStage(m, i, {
        status: succeeded ? 'succeeded' : stage.optional && !cancelled && !lost ? 'skipped' : 'failed',
        completedAtMs: endMs,
        exitCode: null,
        summary,
        subRunId: child.manifest.run_id,
      });
    });
    const shown = result.status === 'failed' && stage.optional && !lost ? 'failed, optional' : result.status;
    invocation.progress.stageFinished(label, { status: shown, exitCode: null, durationMs: endMs - startedAtMs });
    if (lost) {
      ctx.summaryLines.push(`Subpipeline '${pipeline.title}' ${result.status}.`);
      return { kind: 'write-failed', error: lost, detail: { kind: 'subpipeline-failed', pipelineId: stage.pipeline } };
    }
    if (succeeded) return { kind: 'succeeded' };
    if (result.status === 'cancelled' && invocation.cancel.signal) return { kind: 'cancelled', signal: invocation.cancel.signal };
    if (stage.optional) {
      ctx.summaryLines.push(`Optional subpipeline '${pipeline.title}' ${result.status}; continuing.`);
      return { kind: 'failed-allowed' };
    }
    ctx.summaryLines.push(`Subpipeline '${pipeline.title}' ${result.status}.`);
    return { kind: 'failed', detail: { kind: 'subpipeline-failed', pipelineId: stage.pipeline } };
  } catch (error) {
    const endMs = clock.now();
    if (error instanceof RunNotCreated) {
      // The child run's directory, token or pointer could not be written: the orchestrator's failure, not the stage's.
      const why = lostEvidence(paths, error.error);
      await ctx.persister.update((m) =>
        finishStage(m, i, { status: 'failed', completedAtMs: endMs, exitCode: null, summary: `Stopped by the orchestrator: ${why}` }),
      );
      invocation.progress.stageFinished(label, { status: 'stopped', exitCode: null, durationMs: endMs - startedAtMs });
      ctx.summaryLines.push(`Subpipeline '${stage.title}' was stopped: ${why}.`);
      return writeFailed(paths, error.error);
    }
    const message = errorMessage(error);
    await ctx.persister.update((m) => failStage(m, i, { completedAtMs: endMs, message, allowed: stage.optional === true }));
    invocation.progress.stageFinished(label, { status: 'error', exitCode: null, durationMs: endMs - startedAtMs, note: message });
    if (stage.optional) {
      ctx.summaryLines.push(`Optional subpipeline '${stage.title}' could not run: ${message}; continuing.`);
      return { kind: 'failed-allowed' };
    }
    ctx.summaryLines.push(`Subpipeline '${stage.title}' could not run: ${message}.`);
    return { kind: 'failed', detail: { kind: 'subpipeline-error', pipelineId: stage.pipeline } };
  }
}
