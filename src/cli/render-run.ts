// What the CLI prints when a run ends (start, resume, exec): loaded with those commands only.
import { completedRunningMs } from '../manifest/projection.js';
import { runExitCode } from '../outcome/exit-codes.js';
import { formatStatusDetail } from '../outcome/status-detail.js';
import { formatStageTotals, stageTotals } from '../outcome/stage-totals.js';
import { printedSummaryLines } from '../outcome/summary-lines.js';
import { isAlways, type RunResult } from '../run/drive-run.js';
import type { Runtime } from '../runtime/types.js';

export type Format = 'text' | 'json';

/** From the run's typed outcome: no re-parsing of status_detail. */
export function exitCodeForRun(result: RunResult): number {
  return runExitCode(result.status, result.detail);
}

/** The run's manifest, repo-relative; null when the run could not be created (it has none). */
export function manifestOf(result: RunResult): string | null {
  return result.created ? `${result.ctx.manifest.artifact_root}/manifest.json` : null;
}

/**
 * A run that lost a write of its own files says so in one line on stderr, naming the file and
 * the error; its JSON documents carry the same text as `error` (docs/contracts.md §1).
 */
export function reportWriteFailure(runtime: Runtime, result: RunResult): { error?: string } {
  if (result.writeFailure === null) return {};
  runtime.stderr.write(`codex-orchestrator: ${result.writeFailure}\n`);
  return { error: result.writeFailure };
}

export function renderRun(runtime: Runtime, result: RunResult, format: Format): void {
  const m = result.ctx.manifest;
  const manifestPath = manifestOf(result);
  const error = reportWriteFailure(runtime, result);
  if (format === 'json') {
    const doc = { run_id: m.run_id, status: result.status, artifact_root: m.artifact_root, manifest: manifestPath, log_path: m.log_path, ...error };
    runtime.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    return;
  }
  const detail = formatStatusDetail(result.detail);
  const lines = [`Run ${m.run_id} ${result.status}${detail ? ` (${detail})` : ''}.`];
  lines.push(...printedSummaryLines(m.summary, m.guardrails_required).map((line) => `  ${line}`));
  lines.push(`  manifest: ${manifestPath ?? 'none (the run could not be created)'}`, `  log:      ${m.log_path}`);
  if (result.created) lines.push(...endLines(result));
  runtime.stdout.write(`${lines.join('\n')}\n`);
}

/**
 * How a run ended, for a reader of the text output: the failing stage's last lines and its
 * log, one line of totals, and after a failure or a cancel the command that resumes it.
 */
function endLines(result: RunResult): string[] {
  const m = result.ctx.manifest;
  const lines: string[] = [];
  const failed = result.ctx.failedStage;
  if (failed !== null && result.status === 'failed') {
    lines.push(
      `  failed stage: ${failed.stageId} (${failed.exit}), its last lines (${failed.logPath}):`,
      ...failed.lastLines.map((line) => `    ${line}`),
    );
  }
  // The run's duration: the time its invocations ran, not the time it sat failed before a resume.
  const ms = completedRunningMs(m);
  const seconds = ms === null ? null : ms / 1000;
  // The run's status in the manifest may lag the result's (a write that failed): count by the result's.
  lines.push(
    `  ${formatStageTotals(stageTotals({ status: result.status, commands: m.commands }))}${seconds === null ? '' : ` (${seconds.toFixed(1)}s)`}`,
  );
  if (result.status !== 'succeeded') lines.push(`  resume: codex-orchestrator resume --run ${m.run_id}`);
  // The wrap-up stages (`always`, e.g. the lane's review packet) that ran: their one line last.
  m.commands.forEach((c, i) => {
    const stage = result.ctx.pipeline.stages[i];
    if (stage && isAlways(stage) && (c.status === 'succeeded' || c.status === 'failed') && c.summary) lines.push(`  ${c.id}: ${c.summary}`);
  });
  return lines;
}
