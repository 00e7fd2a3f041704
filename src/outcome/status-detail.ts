// Why a run ended the way it did, as a typed value: the eight shapes of the manifest's
// `status_detail` (docs/contracts.md §4). The core carries this value to the CLI, which picks
// the exit code from it; the manifest stores its string form, which the schema still exports
// as a string.
import type { SignalName } from '../runtime/types.js';

export type StatusDetail =
  | { kind: 'stage-failed'; stageId: string }
  | { kind: 'stage-error'; stageId: string }
  | { kind: 'subpipeline-failed'; pipelineId: string }
  | { kind: 'subpipeline-error'; pipelineId: string }
  | { kind: 'cancelled'; signal: SignalName }
  | { kind: 'pipeline-failed' }
  | { kind: 'exec-failed' }
  /** Phase 3: an evidence file of the run (run-summary.json) could not be written. */
  | { kind: 'evidence-not-written'; file: string };

/** The manifest's string form: `stage:<id>:failed`, `cancelled:SIGINT`, `pipeline-failed`, … */
export function formatStatusDetail(detail: StatusDetail | null): string | null {
  if (detail === null) return null;
  switch (detail.kind) {
    case 'stage-failed':
      return `stage:${detail.stageId}:failed`;
    case 'stage-error':
      return `stage:${detail.stageId}:error`;
    case 'subpipeline-failed':
      return `subpipeline:${detail.pipelineId}:failed`;
    case 'subpipeline-error':
      return `subpipeline:${detail.pipelineId}:error`;
    case 'cancelled':
      return `cancelled:${detail.signal}`;
    case 'pipeline-failed':
    case 'exec-failed':
      return detail.kind;
    case 'evidence-not-written':
      return `evidence:${detail.file}:not-written`;
  }
}

/** The typed value of a `status_detail` string read back from disk; null for none or an unknown shape. */
export function parseStatusDetail(text: string | null): StatusDetail | null {
  if (text === null) return null;
  if (text === 'pipeline-failed' || text === 'exec-failed') return { kind: text };
  const evidence = /^evidence:(.+):not-written$/.exec(text);
  if (evidence) return { kind: 'evidence-not-written', file: evidence[1]! };
  const cancelled = /^cancelled:(SIGINT|SIGTERM)$/.exec(text);
  if (cancelled) return { kind: 'cancelled', signal: cancelled[1] as SignalName };
  const stage = /^(stage|subpipeline):(.+):(failed|error)$/.exec(text);
  if (!stage) return null;
  const [, what, id, how] = stage as unknown as [string, 'stage' | 'subpipeline', string, 'failed' | 'error'];
  if (what === 'stage') return how === 'failed' ? { kind: 'stage-failed', stageId: id } : { kind: 'stage-error', stageId: id };
  return how === 'failed' ? { kind: 'subpipeline-failed', pipelineId: id } : { kind: 'subpipeline-error', pipelineId: id };
}
