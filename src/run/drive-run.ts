// A run from creation to its terminal state: the run directory and first writes, the stage
// loop (command and subpipeline stages), finalization, run summary and metrics.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { pipelineEnvOverrides } from '../config/pipeline-env.js';
import { findPipeline } from '../config/load-config.js';
import type { Pipeline, SubpipelineStage } from '../config/schema.js';
import { errorMessage, OrchestratorError } from '../errors.js';
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
import { runCommandStage } from './command-stage.js';
import type { Invocation, ResolvedPipeline, RunContext, StageOutcome, ToolRunRecord } from './context.js';
import { HEARTBEAT_INTERVAL_MS, startHeartbeat } from './heartbeat.js';
import { acquireRun, refusalLine, type RunOwnership } from './ownership.js';
import { isoTime, makeRunId, repoRelative } from '../layout/run-layout.js';
import type { StageLabel } from './progress.js';
import { writeRunSummary } from './run-summary.js';
import { runsUnderTarget } from './target.js';

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
  const hash = createHash('sha256');
  const sources: string[] = [];
  for (const name of INSTRUCTION_FILES) {
    try {
      const data = await fs.readFile(join(invocation.roots.root, name));
      hash.update(data);
      sources.push(name);
    } catch {
      // Not present.
    }
  }
  return { hash: sources.length > 0 ? hash.digest('hex') : null, sources };
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

/** Reports the first failed background write of a run on stderr (later ones would repeat it). */
function backgroundErrorReporter(invocation: Invocation, paths: RunPaths): (file: string, error: unknown) => void {
  let reported = false;
  return (_file, error) => {
    if (reported) return;
    reported = true;
    invocation.progress.note(`codex-orchestrator: a background write of run ${paths.runId} failed: ${errorMessage(error)}`);
  };
}

function newContext(
  invocation: Invocation,
  pipeline: ResolvedPipeline,
  paths: RunPaths,
  manifest: Manifest,
  ownership: RunOwnership,
  depth: number,
): RunContext {
  // The persister owns the manifest from here on; the context keeps its read-only view.
  const persister = new ManifestPersister(paths, manifest, {
    intervalMs: HEARTBEAT_INTERVAL_MS,
    onFirstFailure: backgroundErrorReporter(invocation, paths),
  });
  return {
    invocation,
    pipeline,
    paths,
    manifest: persister.manifest,
    persister,
    ownership,
    toolRuns: [],
    summaryLines: [],
    depth,
  };
}

/** Creates the run directory, the manifest (queued), the resume token and the compat pointer. */
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
    })),
    planTargetId: run.target,
    instructionsHash: hash,
    instructionsSources: sources,
    guardrailsRequired: run.pipeline.guardrailsRequired,
    privacyMode: invocation.privacyMode,
    privacyLogPath: repoRelative(paths, paths.privacyLogPath),
  });
  await runtime.fs.mkdirp(paths.runDir);
  // The run's owner from its first file on: a run directory is never run by two processes.
  const acquired = await acquireRun(
    { paths, processes: runtime.processes },
    {
      command: run.command ?? 'start',
      nowMs,
      manifest: async () => null,
      onError: (error) => backgroundErrorReporter(invocation, paths)(paths.ownerPath, error),
    },
  );
  if (acquired.kind === 'refused') throw new OrchestratorError(`cannot start: ${refusalLine(runId, acquired)}`, 1);
  // The manifest is first written by the run's first forced step (its first stage's start):
  // no reader needs the `queued` state before that.
  // The token lets whoever reads it resume the run: only the owner may read it (0600).
  await runtime.fs.writeAtomic(paths.resumeTokenPath, `${manifest.resume_token}\n`, { private: true });
  const pointer = {
    redirect_to: manifest.artifact_root,
    manifest: repoRelative(paths, paths.manifestPath),
    created_at: isoTime(nowMs),
    note: 'Compatibility pointer: this run lives under the cli/ directory named in redirect_to.',
  };
  await runtime.fs.writeAtomic(paths.compatPath, `${JSON.stringify(pointer, null, 2)}\n`);
  return newContext(invocation, run.pipeline, paths, manifest, acquired.ownership, run.depth);
}

/** A context over a run already on disk (resume). */
export function openRun(
  invocation: Invocation,
  pipeline: ResolvedPipeline,
  paths: RunPaths,
  manifest: Manifest,
  ownership: RunOwnership,
  toolRuns: ToolRunRecord[],
): RunContext {
  const ctx = newContext(invocation, pipeline, paths, manifest, ownership, 0);
  ctx.toolRuns.push(...toolRuns);
  return ctx;
}

export type RunResult = {
  status: Extract<RunStatus, 'succeeded' | 'failed' | 'cancelled'>;
  /** Why, typed: the manifest's status_detail is its string form. */
  detail: StatusDetail | null;
  ctx: RunContext;
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
    await ctx.ownership.release();
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
        outcome = { kind: 'cancelled', signal };
        break;
      }
      const stage = stages[i]!;
      const label: StageLabel = { pipelineId: ctx.pipeline.id, index: i + 1, total: stages.length, stageId: stage.id, depth: ctx.depth };
      const result = stage.kind === 'command' ? await runCommandStage(ctx, i, stage, label) : await runSubpipelineStage(ctx, i, stage, label);
      if (result.kind === 'failed' || result.kind === 'cancelled') {
        outcome = result;
        break;
      }
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
  } else if (outcome.kind === 'failed') {
    status = 'failed';
    detail = options.failureDetail ?? outcome.detail;
  } else {
    status = 'succeeded';
  }
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

  try {
    await writeRunSummary(ctx);
  } catch (error) {
    // Evidence is never lost silently (phase 3): the run fails, and says why.
    const why = `run-summary.json could not be written: ${errorMessage(error)}`;
    invocation.progress.note(`codex-orchestrator: could not write run-summary.json: ${errorMessage(error)}`);
    status = 'failed';
    detail = { kind: 'evidence-not-written', file: 'run-summary.json' };
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
  }
  try {
    await recordRunMetrics(ctx.paths, ctx.persister, ctx.invocation.metricsPrivacyEventsMax);
  } finally {
    // Also when the metrics line cannot be recorded: the manifest's last write lands before the CLI returns.
    await ctx.persister.close();
  }
  return { status, detail, ctx };
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
    // An optional subpipeline that fails is recorded `skipped`: the run goes on without it.
    // Not forced: the next stage's start, or the run's end, writes it before anything else runs.
    await ctx.persister.update((m) => {
      updateChildRun(m, child.manifest.run_id, result.status);
      finishStage(m, i, {
        status: succeeded ? 'succeeded' : stage.optional && !cancelled ? 'skipped' : 'failed',
        completedAtMs: endMs,
        exitCode: null,
        summary,
        subRunId: child.manifest.run_id,
      });
    });
    invocation.progress.stageFinished(label, { status: result.status, exitCode: null, durationMs: endMs - startedAtMs });
    if (succeeded) return { kind: 'succeeded' };
    if (result.status === 'cancelled' && invocation.cancel.signal) return { kind: 'cancelled', signal: invocation.cancel.signal };
    if (stage.optional) {
      ctx.summaryLines.push(`Optional subpipeline '${pipeline.title}' ${result.status}; continuing.`);
      return { kind: 'failed-allowed' };
    }
    ctx.summaryLines.push(`Subpipeline '${pipeline.title}' ${result.status}.`);
    return { kind: 'failed', detail: { kind: 'subpipeline-failed', pipelineId: stage.pipeline } };
  } catch (error) {
    const message = errorMessage(error);
    const endMs = clock.now();
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
