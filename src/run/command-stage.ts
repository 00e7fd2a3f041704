// Runs one command stage: its output through the privacy guard, its events to the sinks
// (src/run/sinks/), its manifest entry and its error file. A write of the run's own files that
// fails (a WriteError: a full disk, an I/O error, a read-only directory) is the orchestrator's
// failure, never the stage's: the child is stopped, the stage is recorded as stopped by the
// orchestrator (or with the exit it already had), and the run ends (docs/contracts.md §4).
import { relative, resolve } from 'node:path';
import { stageJobId } from '../cloud/protocol.js';
import type { CommandStage } from '../config/schema.js';
import type { ExecEvent } from '../events/events.js';
import { stripTerminalEscapes, tailText, type OutputTail } from '../events/output-tail.js';
import { closeHandle, failStage, finishStage, markStageRunning, openHandle } from '../manifest/transitions.js';
import type { CommandEntry, Manifest } from '../manifest/schema.js';
import type { CloudDispatch, ExecAttempt, ExecChunk, ExecResult, TimerHandle } from '../runtime/types.js';
import { errorMessage, WriteError, writeError } from '../errors.js';
import { childExitCode } from '../outcome/exit-codes.js';
import { buildChildEnv, orchestratorVariables, remoteVariables } from './child-env.js';
import type { RunContext, StageOutcome, ToolRunRecord } from './context.js';
import { commandLogPath, errorFilePath, evidenceName, isoTime, repoRelative, type RunLayout } from '../layout/run-layout.js';
import type { StageLabel } from './progress.js';
import { DISPATCH_PRESET, isCloudMode, resolveExecutionMode } from './execution-mode.js';
import { eventLogSink } from './sinks/event-log-sink.js';
import { outputTailSink } from './sinks/output-tail-sink.js';
import { privacyFilter, textGuard, type PrivacyFilter } from './sinks/privacy-filter.js';
import { guardText } from '../privacy/guard.js';
import { fanOut } from './sinks/stage-sink.js';
import { progressSink } from './sinks/progress-sink.js';
import { droppedEventsLine, toolRunRecordSink } from './sinks/tool-run-record-sink.js';
import { ENV_VARIABLES } from '../config/env-settings.js';

export const ERROR_STDERR_MAX_BYTES = 8 * 1024;

/**
 * How long a cloud stage's job waits on the queue, with no worker taking it, before the run says
 * so on stderr (once per stage; the stage goes on waiting).
 */
export const CLOUD_WAIT_NOTICE_MS = 10_000;

/** How many of a failed stage's last lines a red run shows. */
export const FAILED_STAGE_LINES = 20;

/** Killed by a signal: exit code 128 + its number (src/outcome/exit-codes.ts). */
export const exitCodeOf = (result: ExecResult): number | null => childExitCode(result);

/**
 * The harness's tests simulate a change of behaviour by giving this a value in a copy of the
 * code (a failed stage's summary then starts with it): no real change touches it, so they
 * never depend on wording users may change. Empty, it adds nothing.
 */
export const FAILURE_SUMMARY_SENTINEL = '';

export function commandSummary(stage: Pick<CommandStage, 'summaryHint'>, result: ExecResult, stdout: OutputTail, stderr: OutputTail): string {
  if (stage.summaryHint) return stage.summaryHint;
  const code = exitCodeOf(result);
  const failed = result.signal !== null || code !== 0;
  if (failed) {
    // Its error, wherever it printed it: stderr's last meaningful line, else stdout's (vitest
    // and the spec guard print their errors on stdout).
    const tail = stderr.lastLine() ?? stdout.lastLine();
    const head = `${FAILURE_SUMMARY_SENTINEL}${result.signal ? `Terminated with signal ${result.signal}` : `Exited with code ${code}`}`;
    return tail ? `${head} — ${tail}` : head;
  }
  return stdout.lastLine() ?? `Command completed with code ${code}`;
}

/** What a run says of a file of its own that could not be written: `runner.ndjson could not be written: ENOSPC: …`. */
/** A stage's declared report, repo-relative, when it is in the run directory; null when it is not. */
async function declaredReport(fs: { exists(path: string): Promise<boolean> }, paths: RunLayout, report: string): Promise<string | null> {
  const path = `${paths.runDir}/${report}`;
  return (await fs.exists(path)) ? repoRelative(paths, path) : null;
}

export function lostEvidence(paths: RunLayout, error: WriteError): string {
  return `${evidenceName(paths, error.file)} could not be written: ${error.path === error.file ? error.reason : error.message}`;
}

/** The run's outcome when a write of its own files failed: `evidence:<file>:not-written`. */
export function writeFailed(paths: RunLayout, error: WriteError): StageOutcome {
  return { kind: 'write-failed', error, detail: { kind: 'evidence-not-written', file: evidenceName(paths, error.file) } };
}

export async function runCommandStage(ctx: RunContext, i: number, stage: CommandStage, label: StageLabel): Promise<StageOutcome> {
  const { runtime } = ctx.invocation;
  const { paths } = ctx;
  const index = i + 1;
  const logPath = commandLogPath(paths, index, stage.id);
  const startedAtMs = runtime.clock.now();

  const correlationId = runtime.ids.correlationId();
  const record: ToolRunRecord = {
    id: correlationId,
    tool: 'exec',
    status: 'failed',
    startedAt: isoTime(startedAtMs),
    completedAt: isoTime(startedAtMs),
    attemptCount: 1,
    ...(ctx.invocation.execEventMaxChunks === null
      ? {}
      : { eventCap: { maxChunkEvents: ctx.invocation.execEventMaxChunks, keptChunkEvents: 0, droppedChunkEvents: 0, droppedChunkBytes: 0 } }),
    events: [],
  };
  // The stage's events go to each sink in turn (src/run/sinks/): the tails first (in memory),
  // then the event logs, the tool run record, and the console of `exec` when there is one.
  const tails = outputTailSink();
  const sinks = fanOut([
    tails,
    eventLogSink(runtime.fs, paths.runnerLogPath, logPath),
    toolRunRecordSink(record),
    ...(ctx.invocation.console ? [ctx.invocation.console] : []),
    // On a terminal the live line shows the stage's last line of output.
    ...(ctx.invocation.progress.showsOutput ? [progressSink(ctx.invocation.progress)] : []),
  ]);
  const emit = (event: ExecEvent, bytes?: Uint8Array) => sinks.event(event, { timestamp: isoTime(runtime.clock.now()), index, bytes });
  const guardOptions = {
    mode: ctx.invocation.privacyMode,
    update: (transition: (m: Manifest) => void) => ctx.persister.update(transition),
    stageId: stage.id,
    fs: runtime.fs,
    logPath: paths.privacyLogPath,
  };
  // The command, its summary and error messages go through the privacy guard as texts: only
  // the child is given the command as written.
  const guardTextOf = textGuard(guardOptions);
  const guard = (kind: 'command' | 'summary' | 'error', text: string) => guardTextOf(kind, text, isoTime(runtime.clock.now()));
  const command = await guard('command', stage.command);

  // Forced: the stage's start (and the previous stage's end) is on disk before its child starts.
  await ctx.persister.update((m) => markStageRunning(m, i, startedAtMs, repoRelative(paths, logPath)), { force: true });
  ctx.invocation.progress.stageStarted(label, command);

  /** The stage's output handles in the manifest (ids), closed with the stage's end. */
  const handles: string[] = [];
  const closeHandles = (m: Manifest) => {
    for (const id of handles) closeHandle(m, id);
  };
  let privacy: PrivacyFilter | null = null;
  let sequence = 0;
  /** The attempt the output belongs to: 1 here; a cloud stage's worker says which (another after a worker was lost). */
  let attempt = 1;
  /** A cloud stage's latest attempt on a worker, and where it ran, for its manifest entry. */
  let lastAttempt: ExecAttempt | null = null;
  let placement: CommandEntry['placement'] | undefined;
  /** Each stream's end: what its guard held back is one more chunk (before the stage's end is recorded). */
  const releaseHeld = async () => {
    for (const stream of ['stdout', 'stderr'] as const) {
      const held = await privacy?.release(stream, () => (sequence += 1), isoTime(runtime.clock.now()));
      if (held) {
        await emit(
          { type: 'exec:chunk', correlation_id: correlationId, attempt, stream, sequence: held.sequence, bytes: held.bytes.length },
          held.bytes,
        );
      }
    }
    privacy = null;
  };

  /** A write of the run's files failed before the stage's end was known: it is recorded stopped (no error file: nothing more is written). */
  const stopped = async (error: WriteError): Promise<StageOutcome> => {
    const endMs = runtime.clock.now();
    const why = lostEvidence(paths, error);
    const summary = `Stopped by the orchestrator: ${why}`;
    await ctx.persister.update((m) => {
      closeHandles(m);
      finishStage(m, i, { status: 'failed', completedAtMs: endMs, exitCode: null, summary, errorFile: null });
    });
    record.completedAt = isoTime(endMs);
    ctx.toolRuns.push(record);
    sinks.end({ exitCode: null, signal: null, durationMs: endMs - startedAtMs, error: summary });
    ctx.invocation.progress.stageFinished(label, { status: 'stopped', exitCode: null, durationMs: endMs - startedAtMs });
    ctx.summaryLines.push(`Stage '${stage.title}' was stopped: ${why}.`);
    return writeFailed(paths, error);
  };

  try {
    await emit({ type: 'command:start', command });
    const cwd = resolve(paths.root, stage.cwd ?? '.');
    if (!(await runtime.fs.isDirectory(cwd))) {
      const what = (await runtime.fs.exists(cwd)) ? 'is not a directory' : 'does not exist';
      throw new Error(`working directory ${what}: ${stage.cwd ?? '.'}`);
    }
    const env = buildChildEnv(runtime.env, ctx.pipeline.envOverrides, orchestratorVariables(paths, ctx.pipeline.id), stage.env);
    const mode = resolveExecutionMode(DISPATCH_PRESET, stage, ctx.invocation.taskInfo);
    const createdAt = isoTime(startedAtMs);
    const [stdoutHandle, stderrHandle] = [runtime.ids.handleId(), runtime.ids.handleId()];
    // Carried by the manifest's next write: the forced start just landed without them.
    ctx.persister.carry((m) => {
      for (const [stream, handleId] of [
        ['stdout', stdoutHandle],
        ['stderr', stderrHandle],
      ] as const) {
        openHandle(m, {
          handle_id: handleId,
          correlation_id: correlationId,
          stage_id: stage.id,
          pipeline_id: ctx.pipeline.id,
          created_at: createdAt,
          metadata: { stream, command_index: index, execution_mode: mode },
        });
        handles.push(handleId);
      }
    });
    await emit({ type: 'exec:begin', correlation_id: correlationId, attempt: 1, command, cwd: repoRelative(paths, cwd) });

    const newFilter = () =>
      privacyFilter({
        ...guardOptions,
        handles: { stdout: stdoutHandle, stderr: stderrHandle },
        keepDecisions: ctx.invocation.execEventMaxChunks,
      });
    let filter = newFilter();
    privacy = filter;
    const onChunk = async (chunk: ExecChunk) => {
      sequence += 1;
      const persisted = await filter.admit(chunk, sequence, isoTime(runtime.clock.now()));
      if (persisted) {
        await emit(
          {
            type: 'exec:chunk',
            correlation_id: correlationId,
            attempt,
            stream: chunk.stream,
            sequence,
            bytes: persisted.length,
          },
          persisted,
        );
      }
    };

    // A cloud stage with a Redis URL set goes to a worker: the command, its cwd relative to the
    // root, and only the env the run sets (never this process's own environment).
    const cloud = isCloudMode(mode) ? (ctx.invocation.cloud ?? null) : null;
    const jobId = stageJobId(paths.runId, index);
    const dispatch: CloudDispatch | undefined = cloud
      ? {
          settings: cloud,
          jobId,
          job: {
            command: stage.command,
            cwd: relative(paths.root, cwd) || '.',
            env: { ...ctx.pipeline.envOverrides, ...remoteVariables(paths, ctx.pipeline.id), ...(stage.env ?? {}) },
            stageKey: `${ctx.pipeline.id}/${stage.id}`,
            ...(stage.idempotent === false ? { idempotent: false } : {}),
          },
        }
      : undefined;
    // A job no worker takes waits silently on the queue, and so does one whose worker was lost
    // while no other worker runs: after a while the run says so, once for the queued job and
    // once per lost attempt.
    let waitNotice: TimerHandle | null = null;
    let waitNoticed = false;
    const stopWaitNotice = () => {
      runtime.clock.clearTimeout(waitNotice);
      waitNotice = null;
    };
    const noticeLater = (text: string) => {
      waitNotice = runtime.clock.setTimeout(() => {
        waitNotice = null;
        ctx.invocation.progress.stageNote(label, text);
      }, CLOUD_WAIT_NOTICE_MS);
    };
    const startWorker = (queue: string) =>
      `start one with ${ENV_VARIABLES.redisUrl.name} set to that Redis: codex-orchestrator worker --root <checkout> --queue ${queue}`;
    const onQueued = () => {
      if (waitNoticed || waitNotice !== null || lastAttempt !== null || !cloud) return;
      waitNoticed = true;
      noticeLater(
        `is waiting: queued on ${cloud.queue} (Redis at ${cloud.target}) for ${CLOUD_WAIT_NOTICE_MS / 1000}s, no worker has taken it yet; it runs once one does (${startWorker(cloud.queue)})`,
      );
    };
    const lostNoticed = new Set<number>();
    const onWorkerLost = (lost: { attempt: number; workerId: string }) => {
      if (!cloud || lostNoticed.has(lost.attempt) || lastAttempt?.attempt !== lost.attempt) return;
      lostNoticed.add(lost.attempt);
      stopWaitNotice();
      noticeLater(
        `is waiting: its worker ${lost.workerId} stopped during attempt ${lost.attempt} (it no longer holds the job's lock) and for ${CLOUD_WAIT_NOTICE_MS / 1000}s no worker has taken the job back; a worker on ${cloud.queue} (Redis at ${cloud.target}) takes it back at its next check for stalled jobs (every --lock-ms, 30 s by default) (${startWorker(cloud.queue)})`,
      );
    };
    const onAttempt = async (next: ExecAttempt) => {
      stopWaitNotice();
      // What the guard held of the attempt before is its output; the new attempt's output is guarded afresh.
      if (lastAttempt !== null) {
        await releaseHeld();
        filter = newFilter();
        privacy = filter;
      }
      lastAttempt = next;
      attempt = next.attempt;
      // Recorded once a worker took the stage (a stage that never reached one has no placement).
      placement = { where: 'worker', queue: cloud!.queue, job_id: jobId, worker_id: next.workerId, attempts: next.attempt, queued_ms: next.queuedMs };
      record.attemptCount = next.attempt;
      await emit({ type: 'exec:attempt', correlation_id: correlationId, attempt: next.attempt, worker_id: next.workerId, queued_ms: next.queuedMs });
    };
    const exec = runtime.executor.start(
      {
        command: stage.command,
        cwd,
        env,
        stageKey: `${ctx.pipeline.id}/${stage.id}`,
        onSpawn: (pid) => ctx.ownership.recordStageGroup(stage.id, pid),
        ...(dispatch ? { dispatch, onQueued, onAttempt, onWorkerLost } : {}),
      },
      onChunk,
    );
    const unwatch = ctx.invocation.cancel.watch(exec);
    let result: ExecResult;
    try {
      result = await exec.done;
    } finally {
      unwatch();
      stopWaitNotice();
    }
    await releaseHeld();
    if (result.placement?.where === 'here') {
      placement = { where: 'here', reason: result.placement.reason };
      ctx.summaryLines.push(`Stage '${stage.title}': ${result.placement.reason}.`);
    }
    const droppedChunks = result.placement?.where === 'worker' ? result.placement.dropped_chunks : 0;
    if (droppedChunks > 0) ctx.summaryLines.push(`Stage '${stage.title}': ${droppedChunks} output chunk(s) from its worker were lost.`);
    if (placement?.where === 'worker' && placement.attempts > 1)
      ctx.summaryLines.push(
        `Stage '${stage.title}' ran ${placement.attempts} times: its worker was lost ${placement.attempts - 1} time(s) mid-stage.`,
      );

    const endMs = runtime.clock.now();
    const durationMs = endMs - startedAtMs;
    const exitCode = exitCodeOf(result);
    const succeeded = result.signal === null && exitCode === 0;
    let errorFile: string | null = null;
    // The stage's end is known: a write that fails now ends the run after recording it as it ended.
    let lost: WriteError | null = null;
    try {
      await emit({
        type: 'exec:end',
        correlation_id: correlationId,
        attempt,
        exit_code: exitCode,
        signal: result.signal,
        duration_ms: durationMs,
        status: succeeded ? 'succeeded' : 'failed',
      });
      await emit({ type: 'command:end', exit_code: exitCode, signal: result.signal, duration_ms: durationMs });

      if (!succeeded) {
        const stderr = tailText(tails.stderr.text(), ERROR_STDERR_MAX_BYTES);
        const details: Record<string, unknown> = { exit_code: exitCode };
        if (result.signal) details.signal = result.signal;
        // As a reader of the file sees it: no terminal colours (issue 18).
        details.stderr = stripTerminalEscapes(stderr.text);
        if (stderr.truncated || tails.stderr.truncated) details.stderr_truncated = true;
        errorFile = await writeErrorFile(ctx, i, stage, command, 'command-failed', details);
      }
    } catch (error) {
      if (!(error instanceof WriteError)) throw error;
      lost = error;
    }
    const summary = await guard('summary', commandSummary(stage, result, tails.stdout, tails.stderr));
    const report = stage.report === undefined ? undefined : await declaredReport(runtime.fs, paths, stage.report);
    // An allowed failure is recorded `skipped` (the run goes on); its summary says how it exited.
    // Not forced: the next stage's start, or the run's end, writes it before anything else runs.
    await ctx.persister.update((m) => {
      closeHandles(m);
      finishStage(m, i, {
        status: succeeded ? 'succeeded' : stage.allowFailure && !ctx.invocation.cancel.signal ? 'skipped' : 'failed',
        completedAtMs: endMs,
        exitCode,
        summary,
        errorFile,
        placement,
        report,
      });
    });
    record.status = succeeded ? 'succeeded' : 'failed';
    record.completedAt = isoTime(endMs);
    sinks.end({ exitCode, signal: result.signal, durationMs, error: null });
    ctx.toolRuns.push(record);
    const dropped = droppedEventsLine(record, stage.title);
    if (dropped) ctx.summaryLines.push(dropped);
    // As a reader of the progress needs it: a stage a signal stopped is cancelled, an allowed failure says so.
    const shown = succeeded ? 'succeeded' : ctx.invocation.cancel.signal ? 'cancelled' : stage.allowFailure ? 'failed, allowed to fail' : 'failed';
    ctx.invocation.progress.stageFinished(label, { status: shown, exitCode, durationMs });

    if (lost) {
      const how = succeeded ? 'succeeded' : result.signal ? `was terminated by ${result.signal}` : `failed with exit code ${exitCode}`;
      ctx.summaryLines.push(`Stage '${stage.title}' ${how}, but ${lostEvidence(paths, lost)}.`);
      return writeFailed(paths, lost);
    }
    if (succeeded) return { kind: 'succeeded' };
    const cancelSignal = ctx.invocation.cancel.signal;
    if (cancelSignal) {
      ctx.summaryLines.push(`Stage '${stage.title}' was stopped by ${cancelSignal}.`);
      return { kind: 'cancelled', signal: cancelSignal };
    }
    const how = result.signal ? `was terminated by ${result.signal}` : `failed with exit code ${exitCode}`;
    if (stage.allowFailure) {
      ctx.summaryLines.push(`Stage '${stage.title}' ${how} (allowed to fail).`);
      return { kind: 'failed-allowed' };
    }
    ctx.summaryLines.push(`Stage '${stage.title}' ${how}.`);
    // The run's first failure is the one its end shows (an always stage may fail after it).
    ctx.failedStage ??= {
      stageId: stage.id,
      exit: result.signal ? `signal ${result.signal}` : `exit ${exitCode}`,
      logPath: repoRelative(paths, logPath),
      lastLines: tails.merged.lastLines(FAILED_STAGE_LINES),
    };
    return { kind: 'failed', detail: { kind: 'stage-failed', stageId: stage.id } };
  } catch (error) {
    // The orchestrator's own write failed (the event logs, the privacy log): not the stage's error.
    if (error instanceof WriteError) return stopped(error);
    const endMs = runtime.clock.now();
    let message = errorMessage(error);
    let guarded = false;
    let errorFile: string | null = null;
    let lost: WriteError | null = null;
    try {
      await releaseHeld();
      message = await guard('error', message);
      guarded = true;
      await emit({ type: 'command:error', message });
      errorFile = await writeErrorFile(ctx, i, stage, command, 'command-execution-error', { message });
    } catch (writeFailure) {
      if (!(writeFailure instanceof WriteError)) throw writeFailure;
      lost = writeFailure;
      // Its decision could not be logged: the message is still guarded before it goes anywhere.
      if (!guarded && ctx.invocation.privacyMode === 'enforce') message = guardText('enforce', message).text;
    }
    await ctx.persister.update((m) => {
      closeHandles(m);
      failStage(m, i, { completedAtMs: endMs, message, errorFile, placement });
    });
    record.completedAt = isoTime(endMs);
    ctx.toolRuns.push(record);
    sinks.end({ exitCode: null, signal: null, durationMs: endMs - startedAtMs, error: message });
    ctx.invocation.progress.stageFinished(label, { status: 'error', exitCode: null, durationMs: endMs - startedAtMs, note: message });
    ctx.summaryLines.push(`Stage '${stage.title}' could not run: ${message}.`);
    if (lost) {
      ctx.summaryLines.push(`${lostEvidence(paths, lost)}.`);
      return writeFailed(paths, lost);
    }
    return { kind: 'failed', detail: { kind: 'stage-error', stageId: stage.id } };
  }
}

async function writeErrorFile(
  ctx: RunContext,
  i: number,
  stage: CommandStage,
  /** The command as the privacy guard lets it be written. */
  command: string,
  reason: 'command-failed' | 'command-execution-error',
  details: Record<string, unknown>,
): Promise<string> {
  const { paths } = ctx;
  const path = errorFilePath(paths, i + 1, stage.id);
  const body = {
    run_id: paths.runId,
    task_id: paths.taskId,
    command_index: i + 1,
    command_id: stage.id,
    command,
    reason,
    details,
    created_at: isoTime(ctx.invocation.runtime.clock.now()),
  };
  try {
    await ctx.invocation.runtime.fs.writeAtomic(path, `${JSON.stringify(body, null, 2)}\n`);
  } catch (error) {
    throw writeError(path, error);
  }
  return repoRelative(paths, path);
}
