// `resume --run <id>`: rerun a failed or cancelled run. Stages already succeeded or skipped
// are not rerun; the resume is recorded in the manifest and the logs are appended to.
import { findPipeline } from '../config/load-config.js';
import { dirname, join } from 'node:path';
import { InputError, writeError } from '../errors.js';
import { eventLine } from '../events/events.js';
import { readManifest, runPaths, type RunPaths } from '../persist/manifest-writer.js';
import { ManifestPersister } from '../persist/persister.js';
import { HEARTBEAT_INTERVAL_MS } from '../run/heartbeat.js';
import type { Manifest, ResumeEvent } from '../manifest/schema.js';
import { acceptedResumes, invocationCount } from '../manifest/projection.js';
import { prepareResume, recordResumeEvent, resumedFrom, stagesToRerun } from '../manifest/transitions.js';
import type { FileSink, Runtime } from '../runtime/types.js';
import type { ResolvedPipeline } from '../run/context.js';
import { driveRun, isAlways, openRun, resolvePipeline, type RunResult } from '../run/drive-run.js';
import { acquireRun, refusalLine, type Acquired, type Ownership } from '../run/ownership.js';
import { readToolRuns } from '../run/run-summary.js';
import { commandWithheld } from '../run/sinks/privacy-filter.js';
import { execPipeline, EXEC_PIPELINE_ID } from './exec.js';
import { findRun } from './find-run.js';
import { prepareInvocation, withSignals } from './invocation.js';
import { commandLogPath, errorFilePath, isoTime, repoRelative, resolveRoots, setAsideErrorFilePath } from '../layout/run-layout.js';

export type ResumeOptions = { run: string; token?: string; actor?: string; reason?: string };

/**
 * A refused resume is recorded in the run's manifest (through a persister of its own, while
 * this process owns the run), then reported; the run is given up again.
 */
async function block(paths: RunPaths, manifest: Manifest, ownership: Ownership, options: ResumeOptions, detail: string): Promise<never> {
  try {
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
  } finally {
    await ownership.release();
  }
  throw new InputError(`cannot resume run '${manifest.run_id}': ${detail}`);
}

/**
 * What taking the run over means before its stages run again: what the dead owner left
 * running on this host is stopped (the stage process group it recorded, and every process
 * whose environment names this run's directory or one of its child runs': a stage started
 * in the instant before the owner died, before it could record it), and both are said in
 * the resume event.
 */
function takeOver(
  runtime: Runtime,
  acquired: Acquired,
  paths: RunPaths,
  manifest: Manifest,
): Pick<ResumeEvent, 'detail' | 'previous_owner' | 'stopped_process_group'> {
  const previous = acquired.previous;
  if (previous === null && !acquired.previousUnreadable) return {};
  const event: Pick<ResumeEvent, 'detail' | 'previous_owner' | 'stopped_process_group'> = {};
  if (previous === null) {
    event.detail = 'took over from an owner whose .owner file was unreadable, after its heartbeat went stale';
  } else {
    const why = previous.state === 'gone' ? 'its process is gone' : 'its heartbeat is stale';
    event.detail = `took over from pid ${previous.pid} on host ${previous.host}: ${why}`;
    event.previous_owner = {
      pid: previous.pid,
      host: previous.host,
      started: previous.started,
      acquired_at: previous.acquired_at,
      command: previous.command,
      state: previous.state,
    };
  }
  const group = previous?.stage_group ?? null;
  if (previous !== null && previous.host !== runtime.processes.self().host) {
    if (group !== null) event.detail += `; stage '${group.stage}' may still run on host ${previous.host} (process group ${group.pgid})`;
    return event;
  }
  const runDirs = [paths.runDir, ...manifest.child_runs.map((child) => dirname(join(paths.root, child.manifest)))];
  const found = runtime.processes.stopByEnvironment('CODEX_ORCHESTRATOR_RUN_DIR', runDirs);
  let stopped = found.processes;
  // The recorded group, unless the scan stopped it already (a process whose environment was cleared, or that moved to a new session, is only found this way).
  if (group !== null && !found.groups.includes(group.pgid)) stopped += runtime.processes.stopGroup(group);
  if (stopped > 0) {
    const stage = group?.stage ?? manifest.commands.find((entry) => entry.status === 'running')?.id ?? 'unknown';
    const pgid = group?.pgid ?? found.groups[0] ?? null;
    event.stopped_process_group = { stage, pgid, processes: stopped };
    event.detail += `; stopped what it left running of stage '${stage}' (${stopped} processes${pgid === null ? '' : `, process group ${pgid}`})`;
  }
  return event;
}

/**
 * The `cwd` of the first exec:begin in a stage's event log, reading only as much of the log as
 * it takes (the begin is its second line; the log can hold gigabytes of output). Null when the
 * log or the event is missing; a line that is not JSON is one line naming the file (InputError).
 */
export async function firstExecBeginCwd(fs: FileSink, path: string, label: string): Promise<string | null> {
  for (let bytes = 64 * 1024; ; bytes *= 4) {
    let head: Buffer;
    try {
      head = await fs.readPrefix(path, bytes);
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ENOENT') return null;
      throw error;
    }
    const whole = head.length < bytes;
    const lines = head.toString('utf8').split('\n');
    if (!whole) lines.pop(); // cut at the prefix's end: read again with more
    for (const [n, line] of lines.entries()) {
      if (line === '') continue;
      let event: unknown;
      try {
        event = JSON.parse(line);
      } catch {
        throw new InputError(`${label}: line ${n + 1} is not a JSON event`);
      }
      const begin = event as { type?: unknown; cwd?: unknown } | null;
      if (begin?.type === 'exec:begin' && typeof begin.cwd === 'string') return begin.cwd;
    }
    if (whole) return null;
  }
}

/**
 * An error file a resume sets aside: `from` its current name (null when an earlier try of this
 * resume already moved it) `to` its invocation's (null when an earlier resume already kept it
 * there and was stopped before it removed the old name: only the removal is left).
 */
type SetAside = { from: string | null; to: string | null };

/**
 * The error files of the stages a resume runs again (docs/contracts.md §7), looked for on disk
 * rather than in the manifest: a process killed between writing a stage's error file and its
 * manifest entry leaves one the manifest does not name. Their new names carry the number of
 * the invocation that wrote them, the one this resume follows: 1 + the accepted resumes before
 * it. A resume that stopped after moving a file and before its manifest landed left the file
 * under that same name, where this one finds it.
 */
async function errorFilesToSetAside(fs: FileSink, paths: RunPaths, manifest: Manifest, rerun: number[]): Promise<SetAside[]> {
  const invocation = invocationCount(manifest);
  const found: SetAside[] = [];
  for (const i of rerun) {
    const entry = manifest.commands[i]!;
    if (entry.kind !== 'command') continue;
    const from = errorFilePath(paths, entry.index, entry.id);
    const to = setAsideErrorFilePath(paths, entry.index, entry.id, invocation);
    if (await fs.exists(from)) found.push({ from, to: (await keptBefore(fs, paths, manifest, from, entry.index, entry.id, invocation)) ? null : to });
    else if (await fs.exists(to)) found.push({ from: null, to });
  }
  return found;
}

/**
 * Whether `from` is the file the previous accepted resume already kept (its `resumed_from` names
 * the copy, and the copy has the same bytes): that resume was stopped after its manifest landed
 * and before it removed the old name, and the stage has not failed again since (a new failure's
 * file has its own `created_at`). It is not the invocation before this one's, then, and is only
 * removed.
 */
async function keptBefore(
  fs: FileSink,
  paths: RunPaths,
  manifest: Manifest,
  from: string,
  index: number,
  id: string,
  invocation: number,
): Promise<boolean> {
  if (invocation < 2) return false;
  const previous = acceptedResumes(manifest).at(-1);
  const copy = setAsideErrorFilePath(paths, index, id, invocation - 1);
  if (!previous?.resumed_from?.error_files.includes(repoRelative(paths, copy))) return false;
  try {
    return (await fs.readFile(copy)).equals(await fs.readFile(from));
  } catch {
    return false;
  }
}

async function copyFile(fs: FileSink, from: string, to: string): Promise<void> {
  const bytes = await fs.readFile(from);
  try {
    await fs.writeAtomic(to, bytes);
  } catch (error) {
    throw writeError(to, error);
  }
}

async function removeFile(fs: FileSink, path: string): Promise<void> {
  try {
    await fs.remove(path);
  } catch (error) {
    throw writeError(path, error, 'could not remove');
  }
}

export async function resumeRun(runtime: Runtime, options: ResumeOptions): Promise<RunResult> {
  const roots = resolveRoots(runtime.env, runtime.cwd);
  const found = await findRun(runtime.fs, roots, options.run);
  const manifest = await readManifest(runtime.fs, found.manifestPath, repoRelative(roots, found.manifestPath));
  const isExec = manifest.pipeline_id === EXEC_PIPELINE_ID;
  const invocation = await prepareInvocation(runtime, { taskId: found.taskId, needConfig: !isExec });
  const paths = runPaths(roots, found.taskId, found.runId, runtime.fs, runtime.clock);

  let pipeline: ResolvedPipeline;
  if (isExec) {
    // The exec stage reruns where it first ran: the (repo-relative) cwd of its exec:begin event,
    // read from the stage's own event log (complete whatever the event cap, and written before
    // the child started), not from run-summary.json (capped, or never written by a killed run).
    const logPath = commandLogPath(paths, 1, EXEC_PIPELINE_ID);
    const cwd = await firstExecBeginCwd(runtime.fs, logPath, repoRelative(paths, logPath));
    if (cwd === null) {
      throw new InputError(
        `cannot resume run '${manifest.run_id}': its command never started, so where it runs is unknown (${repoRelative(paths, logPath)} has no exec:begin)`,
      );
    }
    if (commandWithheld(manifest, EXEC_PIPELINE_ID)) {
      throw new InputError(`cannot resume run '${manifest.run_id}': the privacy guard kept its command out of the manifest, so it cannot be rerun`);
    }
    pipeline = execPipeline(manifest.commands[0]?.command ?? 'true', cwd);
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

  // One owner at a time: two resumes started together never both run a stage.
  const manifestLabel = repoRelative(roots, found.manifestPath);
  const acquired = await acquireRun(
    { paths, processes: runtime.processes, ids: runtime.ids },
    {
      command: 'resume',
      nowMs: runtime.clock.now(),
      manifest: () => readManifest(runtime.fs, found.manifestPath, manifestLabel).catch(() => null),
    },
  );
  if (acquired.kind === 'refused') throw new InputError(`cannot resume ${refusalLine(manifest.run_id, acquired)}`);
  const ownership = acquired.ownership;
  let handedOver = false;
  try {
    // Read again now that it is ours: its owner may have brought it to an end meanwhile.
    const current = await readManifest(runtime.fs, found.manifestPath, manifestLabel);
    if (options.token !== undefined && options.token !== current.resume_token) {
      await block(paths, current, ownership, options, 'resume token does not match');
    }
    if (current.status === 'succeeded') await block(paths, current, ownership, options, 'the run already succeeded');
    const toolRuns = await readToolRuns(runtime.fs, paths.runSummaryPath, repoRelative(paths, paths.runSummaryPath)).catch((error: unknown) => {
      throw error instanceof InputError ? new InputError(`cannot resume run '${manifest.run_id}': ${error.message}`) : error;
    });
    const takeover = takeOver(runtime, acquired, paths, current);
    if (takeover.detail !== undefined) invocation.progress.note(`codex-orchestrator: run ${current.run_id}: ${takeover.detail}`);

    return await withSignals(invocation, async () => {
      const nowMs = runtime.clock.now();
      const actor = options.actor ?? 'cli';
      const reason = options.reason ?? 'manual-resume';
      const always = (i: number) => isAlways(pipeline.stages[i]!);
      // After takeOver: nothing the dead owner left running still writes an error file.
      const setAside = await errorFilesToSetAside(runtime.fs, paths, current, stagesToRerun(current, always));
      handedOver = true;
      const ctx = openRun(invocation, pipeline, paths, current, ownership, toolRuns);
      // One transition (the event and the reset).
      let rerun: number[] = [];
      try {
        // The earlier invocation's error files: first kept under their new names (the manifest
        // on disk still names the old ones, which stay until the resume is under way)...
        for (const file of setAside) if (file.from !== null && file.to !== null) await copyFile(runtime.fs, file.from, file.to);
        const errorFiles = setAside.flatMap((file) => (file.to === null ? [] : [repoRelative(paths, file.to)]));
        // Forced when an old name is to go: the resume (which names the kept copies) is on disk
        // before the file its manifest entry named is removed. Otherwise the first rerun stage's
        // start writes the resumed state before its child starts.
        const removing = setAside.some((file) => file.from !== null);
        // The log line first: a resume that cannot write it stops with the manifest as it was.
        await runtime.fs.append(paths.runnerLogPath, eventLine({ type: 'run:resume', actor, reason }, isoTime(nowMs), null));
        await ctx.persister.update(
          (m) => {
            const resumed_from = resumedFrom(m, errorFiles);
            recordResumeEvent(m, { timestamp: isoTime(nowMs), actor, reason, outcome: 'accepted', ...takeover, resumed_from });
            rerun = prepareResume(m, nowMs, always);
          },
          { force: removing },
        );
        // ...then gone from the names that say "the current state", before any stage runs again.
        for (const file of setAside) if (file.from !== null) await removeFile(runtime.fs, file.from);
      } catch (error) {
        await ownership.release();
        throw error;
      }
      return driveRun(ctx, rerun, { resumed: true, target: null, failureDetail: isExec ? { kind: 'exec-failed' } : undefined });
    });
  } finally {
    if (!handedOver) await ownership.release();
  }
}
