// `resume --run <id>`: rerun a failed or cancelled run. Stages already succeeded or skipped
// are not rerun; the resume is recorded in the manifest and the logs are appended to.
import { heartbeatStale } from '../manifest/liveness.js';
import { findPipeline } from '../config/load-config.js';
import { InputError } from '../errors.js';
import { eventLine } from '../events/events.js';
import { readManifest, runPaths, type RunPaths } from '../persist/manifest-writer.js';
import { ManifestPersister } from '../persist/persister.js';
import { HEARTBEAT_INTERVAL_MS } from '../run/heartbeat.js';
import type { Manifest } from '../manifest/schema.js';
import { prepareResume, recordResumeEvent } from '../manifest/transitions.js';
import type { Runtime } from '../runtime/types.js';
import type { ResolvedPipeline } from '../run/context.js';
import { driveRun, openRun, resolvePipeline, type RunResult } from '../run/drive-run.js';
import { readToolRuns } from '../run/run-summary.js';
import { execPipeline, EXEC_PIPELINE_ID } from './exec.js';
import { findRun } from './find-run.js';
import { prepareInvocation, withSignals } from './invocation.js';
import { isoTime, repoRelative, resolveRoots } from '../layout/run-layout.js';

export type ResumeOptions = { run: string; token?: string; actor?: string; reason?: string };

/** A refused resume is recorded in the run's manifest (through a persister of its own), then reported. */
async function block(paths: RunPaths, manifest: Manifest, options: ResumeOptions, detail: string): Promise<never> {
  const persister = new ManifestPersister(paths, manifest, { intervalMs: HEARTBEAT_INTERVAL_MS });
  await persister.update(
    (m) =>
      recordResumeEvent(m, {
        timestamp: isoTime(paths.clock.now()),
        actor: options.actor ?? 'cli',
        reason: options.reason ?? 'manual-resume',
        outcome: 'blocked',
        detail,
      }),
    { force: true },
  );
  await persister.close();
  throw new InputError(`cannot resume run '${manifest.run_id}': ${detail}`);
}

export async function resumeRun(runtime: Runtime, options: ResumeOptions): Promise<RunResult> {
  const roots = resolveRoots(runtime.env, runtime.cwd);
  const found = await findRun(runtime.fs, roots, options.run);
  const manifest = await readManifest(runtime.fs, found.manifestPath, repoRelative(roots, found.manifestPath));
  const isExec = manifest.pipeline_id === EXEC_PIPELINE_ID;
  const invocation = await prepareInvocation(runtime, { taskId: found.taskId, needConfig: !isExec });
  const paths = runPaths(roots, found.taskId, found.runId, runtime.fs, runtime.clock);
  const toolRuns = await readToolRuns(runtime.fs, paths.runSummaryPath, repoRelative(paths, paths.runSummaryPath)).catch((error: unknown) => {
    throw error instanceof InputError ? new InputError(`cannot resume run '${manifest.run_id}': ${error.message}`) : error;
  });

  let pipeline: ResolvedPipeline;
  if (isExec) {
    // The exec stage reruns where it first ran: the (repo-relative) cwd of its exec:begin event.
    const begin = toolRuns.flatMap((record) => record.events).find((event) => event.type === 'exec:begin');
    pipeline = execPipeline(manifest.commands[0]?.command ?? 'true', typeof begin?.cwd === 'string' ? begin.cwd : '.');
  } else {
    pipeline = resolvePipeline(findPipeline(invocation.config!, manifest.pipeline_id));
    const configured = pipeline.stages.map((stage) => stage.id).join(', ');
    const recorded = manifest.commands.map((entry) => entry.id).join(', ');
    if (configured !== recorded) {
      throw new InputError(
        `cannot resume run '${manifest.run_id}': pipeline '${pipeline.id}' now has stages [${configured}], the run had [${recorded}]`,
      );
    }
  }

  if (options.token !== undefined && options.token !== manifest.resume_token) {
    await block(paths, manifest, options, 'resume token does not match');
  }
  if (manifest.status === 'succeeded') await block(paths, manifest, options, 'the run already succeeded');
  if ((manifest.status === 'in_progress' || manifest.status === 'queued') && !heartbeatStale(manifest, runtime.clock.now())) {
    await block(paths, manifest, options, 'the run is still in progress');
  }

  return withSignals(invocation, async () => {
    const nowMs = runtime.clock.now();
    const actor = options.actor ?? 'cli';
    const reason = options.reason ?? 'manual-resume';
    const ctx = openRun(invocation, pipeline, paths, manifest, toolRuns);
    // One transition (the event and the reset), not forced: the first rerun stage's start
    // writes the resumed state before its child starts.
    let rerun: number[] = [];
    await ctx.persister.update((m) => {
      recordResumeEvent(m, { timestamp: isoTime(nowMs), actor, reason, outcome: 'accepted' });
      rerun = prepareResume(m, nowMs);
    });
    await runtime.fs.append(paths.runnerLogPath, eventLine({ type: 'run:resume', actor, reason }, isoTime(nowMs), null));
    return driveRun(ctx, rerun, { resumed: true, target: null, failureDetail: isExec ? { kind: 'exec-failed' } : undefined });
  });
}
