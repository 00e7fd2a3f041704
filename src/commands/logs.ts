// `logs [--run <id>] [stage]`: a run's stage output, decoded from the stage logs
// (commands/NN-<stage>.ndjson: what the privacy guard let through, exact, non-UTF-8 bytes
// included), stdout and stderr in the order printed (issue 18).
import { InputError } from '../errors.js';
import { decodeChunk, type ChunkPayload } from '../events/events.js';
import type { Manifest } from '../manifest/schema.js';
import { readManifest } from '../persist/manifest-writer.js';
import { fromRepoRelative, repoRelative, resolveRoots } from '../layout/run-layout.js';
import { failedButAllowed } from '../outcome/stage-totals.js';
import type { OutputStreamName, Runtime } from '../runtime/types.js';
import type { FoundRun } from './find-run.js';

export type LogChunk = { stream: OutputStreamName } & ChunkPayload;

export type StageLog = {
  index: number;
  id: string;
  kind: Manifest['commands'][number]['kind'];
  status: Manifest['commands'][number]['status'];
  exit_code: number | null;
  /** The stage's event log (repo-relative); null for a stage that never started and for a subpipeline. */
  log_path: string | null;
  /** A subpipeline's child run: its own logs (`logs --run <sub_run_id>`). */
  sub_run_id: string | null;
  /** The child run's pipeline. */
  sub_pipeline_id: string | null;
  /** Each output chunk in the order printed; a resumed stage's attempts one after the other. */
  chunks: LogChunk[];
  /** How many times the stage was started (more than 1 after a resume that ran it again). */
  attempts: number;
};

export type RunLogs = { run_id: string; task_id: string; pipeline_id: string; status: Manifest['status']; stages: StageLog[] };

/** The stage `selector` names: its id, else its 1-based index; every stage when none is given. */
function selectStages(manifest: Manifest, selector: string | undefined): Manifest['commands'] {
  if (selector === undefined) return manifest.commands;
  const byId = manifest.commands.filter((c) => c.id === selector);
  if (byId.length > 0) return byId;
  const byIndex = /^[1-9]\d*$/.test(selector) ? manifest.commands.filter((c) => c.index === Number(selector)) : [];
  if (byIndex.length > 0) return byIndex;
  const stages = manifest.commands.map((c) => `${c.index} ${c.id}`).join(', ');
  throw new InputError(`logs: run ${manifest.run_id} has no stage '${selector}' (its stages: ${stages || 'none'})`);
}

async function readStageLog(runtime: Runtime, path: string, label: string): Promise<{ chunks: LogChunk[]; attempts: number }> {
  let text: string;
  try {
    text = (await runtime.fs.readFile(path)).toString('utf8');
  } catch (error) {
    // A stage stopped before its log's first line was written has none.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { chunks: [], attempts: 0 };
    throw new InputError(`${label}: cannot be read: ${(error as Error).message}`);
  }
  const chunks: LogChunk[] = [];
  let attempts = 0;
  const lines = text.split('\n');
  for (const [i, line] of lines.entries()) {
    if (line === '') continue;
    let event: { type?: unknown; stream?: unknown; data?: unknown; encoding?: unknown };
    try {
      event = JSON.parse(line) as typeof event;
    } catch {
      throw new InputError(`${label}: line ${i + 1} is not JSON`);
    }
    if (event.type === 'command:start') attempts += 1;
    if (event.type !== 'exec:chunk') continue;
    if ((event.stream !== 'stdout' && event.stream !== 'stderr') || typeof event.data !== 'string') {
      throw new InputError(`${label}: line ${i + 1}: an exec:chunk without its stream or data`);
    }
    chunks.push({ stream: event.stream, data: event.data, ...(event.encoding === 'base64' ? { encoding: 'base64' as const } : {}) });
  }
  return { chunks, attempts };
}

export async function readRunLogs(runtime: Runtime, found: FoundRun, stage: string | undefined): Promise<RunLogs> {
  const roots = resolveRoots(runtime.env, runtime.cwd);
  const manifest = await readManifest(runtime.fs, found.manifestPath, repoRelative(roots, found.manifestPath));
  const stages: StageLog[] = [];
  for (const c of selectStages(manifest, stage)) {
    const log = c.kind === 'command' && c.log_path !== null ? await readStageLog(runtime, fromRepoRelative(roots, c.log_path), c.log_path) : null;
    stages.push({
      index: c.index,
      id: c.id,
      kind: c.kind,
      status: c.status,
      exit_code: c.exit_code,
      log_path: c.kind === 'command' ? c.log_path : null,
      sub_run_id: c.sub_run_id,
      sub_pipeline_id: manifest.child_runs.find((child) => child.run_id === c.sub_run_id)?.pipeline_id ?? null,
      chunks: log?.chunks ?? [],
      attempts: log?.attempts ?? 0,
    });
  }
  return { run_id: manifest.run_id, task_id: manifest.task_id, pipeline_id: manifest.pipeline_id, status: manifest.status, stages };
}

/** `==> 3. test: failed, exit 1 (<log>)`: how the stage ended and where its log is. */
export function stageLogHeader(stage: StageLog, runStatus: Manifest['status']): string {
  const head = `==> ${stage.index}. ${stage.id}:`;
  const allowed = failedButAllowed(stage);
  // A stage a signal stopped is recorded failed; an allowed failure is recorded skipped.
  const status = allowed ? 'failed' : stage.status === 'failed' && runStatus === 'cancelled' ? 'cancelled' : stage.status;
  if (stage.kind === 'subpipeline') {
    if (stage.sub_run_id === null) return `${head} ${stage.status === 'pending' || stage.status === 'skipped' ? 'not run' : status}`;
    return `${head} ${status}${allowed ? ', optional' : ''}, subpipeline ${stage.sub_pipeline_id ?? '?'}, run ${stage.sub_run_id} (codex-orchestrator logs --run ${stage.sub_run_id})`;
  }
  if (stage.log_path === null) return `${head} not run`;
  const exit = stage.exit_code === null ? '' : `, exit ${stage.exit_code}`;
  const attempts = stage.attempts > 1 ? `, ${stage.attempts} attempts` : '';
  return `${head} ${status}${exit}${allowed ? ', allowed to fail' : ''}${attempts} (${stage.log_path})`;
}

/** A stage's output as it was printed: the chunks' bytes in order. */
export function stageOutputBytes(stage: StageLog): Buffer {
  return Buffer.concat(stage.chunks.map((chunk) => decodeChunk(chunk)));
}
