// How a run's stages ended, counted for a reader: the totals line of text `start`/`resume`
// and each row of `runs` (issue 18).
import type { Manifest } from '../manifest/schema.js';

export type StageTotals = { succeeded: number; allowed_to_fail: number; failed: number; cancelled: number; not_run: number };

/** Whether a stage recorded `skipped` ran and failed, but was allowed to (allowFailure, or an optional subpipeline). */
export function failedButAllowed(command: Pick<Manifest['commands'][number], 'status' | 'exit_code' | 'sub_run_id'>): boolean {
  return command.status === 'skipped' && ((command.exit_code !== null && command.exit_code !== 0) || command.sub_run_id !== null);
}

export function stageTotals(manifest: { status: Manifest['status']; commands: ReadonlyArray<Manifest['commands'][number]> }): StageTotals {
  const count: StageTotals = { succeeded: 0, allowed_to_fail: 0, failed: 0, cancelled: 0, not_run: 0 };
  for (const c of manifest.commands) {
    if (c.status === 'succeeded') count.succeeded += 1;
    // The stage a signal stopped is recorded failed: in a cancelled run it was cancelled.
    else if (c.status === 'failed') count[manifest.status === 'cancelled' ? 'cancelled' : 'failed'] += 1;
    // An allowed failure (or an optional subpipeline that failed) is recorded skipped, with how it ended.
    else if (failedButAllowed(c)) count.allowed_to_fail += 1;
    else count.not_run += 1;
  }
  return count;
}

/** `stages: 1 succeeded, 1 allowed to fail, 1 failed[, 1 cancelled], 1 not run` */
export function formatStageTotals(count: StageTotals): string {
  return `stages: ${count.succeeded} succeeded, ${count.allowed_to_fail} allowed to fail, ${count.failed} failed, ${count.cancelled > 0 ? `${count.cancelled} cancelled, ` : ''}${count.not_run} not run`;
}
