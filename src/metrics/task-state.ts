// out/<task>/state.json: an aggregate over the task's finished runs, rebuilt from metrics.json.
import { writeError } from '../errors.js';
import type { RunPaths } from '../persist/manifest-writer.js';
import { isoTime } from '../layout/run-layout.js';

type MetricsRecord = { run_id?: string; pipeline_id?: string; status?: string; completed_at?: string | null; artifact_path?: string };

type Tally = { runs: number; succeeded: number; failed: number; cancelled: number };

const emptyTally = (): Tally => ({ runs: 0, succeeded: 0, failed: 0, cancelled: 0 });

function tally(into: Tally, status: string | undefined): void {
  into.runs += 1;
  if (status === 'succeeded' || status === 'failed' || status === 'cancelled') into[status] += 1;
}

export async function writeTaskState(paths: RunPaths): Promise<void> {
  const { fs } = paths;
  let text = '';
  try {
    text = (await fs.readFile(paths.metricsPath)).toString('utf8');
  } catch {
    text = '';
  }
  const records: MetricsRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      records.push(JSON.parse(line) as MetricsRecord);
    } catch {
      // A damaged line is skipped here; metrics.json itself is left as it is.
    }
  }
  const totals = emptyTally();
  const pipelines: Record<string, Tally & { last_run_id: string | null; last_status: string | null }> = {};
  for (const record of records) {
    tally(totals, record.status);
    const id = record.pipeline_id ?? 'unknown';
    const entry = (pipelines[id] ??= { ...emptyTally(), last_run_id: null, last_status: null });
    tally(entry, record.status);
    entry.last_run_id = record.run_id ?? null;
    entry.last_status = record.status ?? null;
  }
  const last = records.at(-1);
  const state = {
    task_id: paths.taskId,
    updated_at: isoTime(paths.clock.now()),
    totals,
    last_run: last
      ? {
          run_id: last.run_id ?? null,
          pipeline_id: last.pipeline_id ?? null,
          status: last.status ?? null,
          completed_at: last.completed_at ?? null,
          artifact_path: last.artifact_path ?? null,
        }
      : null,
    pipelines,
  };
  try {
    await fs.writeAtomic(paths.statePath, `${JSON.stringify(state, null, 2)}\n`);
  } catch (error) {
    throw writeError(paths.statePath, error);
  }
}
