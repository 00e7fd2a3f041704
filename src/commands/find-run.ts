// Finds a run on disk by id: <runs>/<task>/cli/<run-id>/manifest.json under any task.
import { join } from 'node:path';
import { InputError } from '../errors.js';
import type { FileSink } from '../runtime/types.js';
import type { Roots } from '../layout/run-layout.js';
import { MANIFEST_FILE, runDirectory, validateId } from '../layout/run-layout.js';

export type FoundRun = { taskId: string; runId: string; manifestPath: string };

/** Under every task, or only under `onlyTask` when given. */
export async function findRun(fs: FileSink, roots: Roots, runId: string, onlyTask?: string): Promise<FoundRun> {
  validateId('run id', runId);
  for (const taskId of onlyTask === undefined ? await fs.readdir(roots.runsDir) : [onlyTask]) {
    const manifestPath = join(runDirectory(roots, taskId, runId), MANIFEST_FILE);
    if (await fs.exists(manifestPath)) return { taskId, runId, manifestPath };
  }
  throw new InputError(`run '${runId}' not found under ${onlyTask === undefined ? roots.runsDir : join(roots.runsDir, onlyTask)}`);
}
