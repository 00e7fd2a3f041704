// The expected files of a scenario and its pending changes: `<file>.new` holds the bytes a
// replay produced that differ from (or are missing in) expected/, `<file>.removed` marks an
// expected file the scenario no longer produces. `accept` applies them, `reject` drops them.
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { FileDifference } from './compare.js';
import { listFiles, readTree, relativePosix } from './files.js';
import { EXPECTED_DIR } from './scenario.js';

export const PENDING_NEW = '.new';
export const PENDING_REMOVED = '.removed';

const isPending = (name: string) => name.endsWith(PENDING_NEW) || name.endsWith(PENDING_REMOVED);

/** expected/ files (not pending ones), keyed by their path under expected/. */
export function readExpected(scenarioDir: string): Promise<Map<string, Buffer>> {
  return readTree(join(scenarioDir, EXPECTED_DIR), isPending);
}

/** Pending files of a scenario, paths relative to its expected/. */
export async function listPending(scenarioDir: string): Promise<string[]> {
  const base = join(scenarioDir, EXPECTED_DIR);
  return (await listFiles(base)).filter(isPending).map((path) => relativePosix(base, path)).sort();
}

export async function writePending(scenarioDir: string, differences: FileDifference[], actual: Map<string, Buffer>): Promise<string[]> {
  const base = join(scenarioDir, EXPECTED_DIR);
  const written: string[] = [];
  for (const difference of differences) {
    const target = join(base, difference.file);
    await mkdir(dirname(target), { recursive: true });
    if (difference.kind === 'stale') {
      await writeFile(`${target}${PENDING_REMOVED}`, '');
      written.push(`${difference.file}${PENDING_REMOVED}`);
    } else {
      await writeFile(`${target}${PENDING_NEW}`, actual.get(difference.file)!);
      written.push(`${difference.file}${PENDING_NEW}`);
    }
  }
  return written;
}

/** Applies (accept) or drops (reject) every pending file of a scenario; returns what it did. */
export async function settlePending(scenarioDir: string, how: 'accept' | 'reject'): Promise<string[]> {
  const base = join(scenarioDir, EXPECTED_DIR);
  const done: string[] = [];
  for (const file of await listPending(scenarioDir)) {
    const pending = join(base, file);
    if (how === 'reject') {
      await rm(pending, { force: true });
      done.push(`rejected ${file}`);
    } else if (file.endsWith(PENDING_NEW)) {
      await rename(pending, pending.slice(0, -PENDING_NEW.length));
      done.push(`accepted ${file.slice(0, -PENDING_NEW.length)}`);
    } else {
      await rm(pending.slice(0, -PENDING_REMOVED.length), { force: true });
      await rm(pending, { force: true });
      done.push(`removed ${file.slice(0, -PENDING_REMOVED.length)}`);
    }
  }
  await pruneEmptyDirs(base);
  return done;
}

async function pruneEmptyDirs(dir: string): Promise<boolean> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  let empty = true;
  for (const entry of entries) {
    if (entry.isDirectory() && (await pruneEmptyDirs(join(dir, entry.name)))) {
      await rm(join(dir, entry.name), { recursive: true, force: true });
    } else {
      empty = false;
    }
  }
  return empty;
}
