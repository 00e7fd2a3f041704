// run-summary.json: the end-of-run summary, with each stage's execution mode and every
// tool run record.
//
// Each stage's execution mode is the run-summary rule set of src/run/execution-mode.ts
// (SUMMARY_PRESET: the words first, then the flags; a parallel task makes it cloud).
import { readJsonFile, validateWith } from '../config/json-file.js';
import { loadModule } from '../runtime/module-loads.js';
import type { FileSink } from '../runtime/types.js';
import { completedDurationSeconds, runIdentity } from '../manifest/projection.js';
import { recordRunSummaryPath } from '../manifest/transitions.js';
import type { RunContext, ToolRunRecord } from './context.js';
import { repoRelative } from '../layout/run-layout.js';
import { prettyJsonPieces } from '../persist/json-stream.js';
import { resolveExecutionMode, SUMMARY_PRESET } from './execution-mode.js';

export function buildRunSummary(ctx: RunContext): Record<string, unknown> {
  const { manifest } = ctx;
  return {
    ...runIdentity(manifest),
    status_detail: manifest.status_detail,
    started_at: manifest.started_at,
    completed_at: manifest.completed_at,
    duration_seconds: completedDurationSeconds(manifest),
    summary: manifest.summary,
    stages: manifest.commands.map((entry, i) => {
      const stage = ctx.pipeline.stages[i];
      return {
        index: entry.index,
        id: entry.id,
        kind: entry.kind,
        status: entry.status,
        exit_code: entry.exit_code,
        execution_mode: stage && stage.kind === 'command' ? resolveExecutionMode(SUMMARY_PRESET, stage, ctx.invocation.taskInfo) : null,
        sub_run_id: entry.sub_run_id,
      };
    }),
    tool_runs: ctx.toolRuns,
  };
}

/**
 * Writes run-summary.json, then points the manifest at it. The text is streamed, event by
 * event (src/persist/json-stream.ts): it is never held whole, so any output size can be
 * written, and the chunk events kept as bytes are encoded only as they go out.
 */
export async function writeRunSummary(ctx: RunContext): Promise<void> {
  const { paths } = ctx;
  await ctx.invocation.runtime.fs.writeAtomicStream(paths.runSummaryPath, prettyJsonPieces(buildRunSummary(ctx)));
  // Not forced: the run's close writes it (its terminal state is already on disk).
  await ctx.persister.update((m) => recordRunSummaryPath(m, repoRelative(paths, paths.runSummaryPath)));
}

/**
 * The tool run records of an earlier run, from its run-summary.json: none when the run never
 * wrote one. A summary that is not JSON or not a run summary is one line naming `label` and
 * the field (InputError): resuming on a guess could rerun a command in the wrong directory.
 */
export async function readToolRuns(fs: FileSink, path: string, label: string): Promise<ToolRunRecord[]> {
  const raw = await readJsonFile(fs, path, label);
  if (raw === undefined) return [];
  const { toolRunsSchema } = await loadModule(() => import('./tool-runs-schema.js'));
  validateWith(toolRunsSchema, raw, label);
  // The records as written, not zod's copy: a parsed loose object lists the declared keys
  // first, and the records go back into run-summary.json byte for byte (the golden
  // resume-after-failure caught the reordered keys).
  return (raw as { tool_runs: ToolRunRecord[] }).tool_runs;
}
