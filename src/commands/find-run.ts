// Finds a run on disk by id: <runs>/<task>/cli/<run-id>/manifest.json under any task.
import { join } from 'node:path';
import { InputError } from '../errors.js';
import type { FileSink } from '../runtime/types.js';
import type { Roots } from '../layout/run-layout.js';
import { MANIFEST_FILE, runDirectory, validateId } from '../layout/run-layout.js';

export type FoundRun = { taskId: string; runId: string; manifestPath: string };

export async function findRun(fs: FileSink, roots: Roots, runId: string): Promise<FoundRun> {
  validateId('run id', runId);
  for (const taskId of await fs.readdir(roots.runsDir)) {
    const manifestPath = join(runDirectory(roots, taskId, runId), MANIFEST_FILE);
    if (await fs.exists(manifestPath)) return { taskId, runId, manifestPath };
  }
  throw new InputError(`run '${runId}' not found under ${roots.runsDir}`);
}
