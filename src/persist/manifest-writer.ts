// Serializing and writing the manifest, and reading one back.
import { stampUpdatedAt } from '../manifest/transitions.js';
import { InputError } from '../errors.js';
import { parseJsonText, validateWith } from '../config/json-file.js';
import { repoRelative, runLayout, type Roots, type RunLayout } from '../layout/run-layout.js';
import type { Clock, FileSink } from '../runtime/types.js';
import type { Manifest } from '../manifest/schema.js';
import { loadModule } from '../runtime/module-loads.js';

/**
 * A run's layout with the capabilities that write it (the file sink and the clock): what the
 * manifest writer, the persist queue and the metrics recorder take. Code that only needs to
 * know where things are takes the pure RunLayout (src/layout/run-layout.ts).
 */
export type RunPaths = RunLayout & { fs: FileSink; clock: Clock };

export function runPaths(roots: Roots, taskId: string, runId: string, fs: FileSink, clock: Clock): RunPaths {
  return { ...runLayout(roots, taskId, runId), fs, clock };
}

/** 2-space JSON plus a final newline: the manifest's byte format. */
export function serializeManifest(manifest: Manifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/**
 * Writes manifest.json atomically, stamping `updated_at`.
 * B3 (phase 0, removed by phase 2): besides the stage loop's throttled queue, the command
 * runner, resume, the run-summary writer and the metrics recorder call this directly.
 */
export async function saveManifest(paths: RunPaths, manifest: Manifest): Promise<void> {
  stampUpdatedAt(manifest, paths.clock.now());
  await paths.fs.writeAtomic(paths.manifestPath, serializeManifest(manifest));
}

/** Reads and validates a manifest; a bad file is an InputError naming it (and is left as it was). */
export async function readManifest(fs: FileSink, path: string, label: string): Promise<Manifest> {
  let text: string;
  try {
    text = (await fs.readFile(path)).toString('utf8');
  } catch (error) {
    throw new InputError(`${label}: cannot be read: ${(error as Error).message}`);
  }
  const raw = parseJsonText(text, label);
  // The schema (and zod) is loaded by the commands that read a manifest, not by a run that only writes its own.
  const { manifestSchema } = await loadModule(() => import('../manifest/schema.js'));
  return validateWith(manifestSchema, upgradeManifest(raw), label);
}

/**
 * A manifest written before phase 1 may hold `handles[].latest_sequence: null` (no frame
 * yet); it reads as 0, the integer the schema has required since.
 */
function upgradeManifest(raw: unknown): unknown {
  const handles = (raw as { handles?: unknown } | null)?.handles;
  if (!Array.isArray(handles)) return raw;
  for (const handle of handles) {
    if (handle && typeof handle === 'object' && (handle as { latest_sequence?: unknown }).latest_sequence === null) {
      (handle as { latest_sequence: number }).latest_sequence = 0;
    }
  }
  return raw;
}

export function manifestLabel(paths: Pick<RunPaths, 'root' | 'runsDir' | 'outDir'>, path: string): string {
  const rel = repoRelative(paths, path);
  if (!rel.startsWith('..')) return rel;
  return path;
}
