// The expected files of a scenario and its pending changes: `<file>.new` holds the bytes a
// replay produced that differ from (or are missing in) expected/, `<file>.removed` marks an
// expected file the scenario no longer produces. `accept` applies them, `reject` drops them.
// Pending files live beside the expected ones, or, with `--pending-dir <dir>`, under
// `<dir>/<scenario>/` (same relative paths), so a CI run never writes into the checkout.
import { copyFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { InputError } from '../../errors.js';
import { makeDirectoriesSync } from '../../runtime/make-directories.js';
import type { FileDifference } from './compare.js';
import { listFiles, readTree, relativePosix } from './files.js';
import { EXPECTED_DIR } from './scenario.js';

export const PENDING_NEW = '.new';
export const PENDING_REMOVED = '.removed';

/**
 * `new`: a file expected/ does not have (a new scenario has only these); `changed`: other
 * bytes for an expected file; `orphan`: an expected file the scenario no longer produces.
 */
export type PendingKind = 'new' | 'changed' | 'orphan';
/** `file` is the path under expected/ the entry is about; `pending` the pending file itself. */
export type PendingEntry = { scenario: string; file: string; kind: PendingKind; pending: string };

const isPending = (name: string) => name.endsWith(PENDING_NEW) || name.endsWith(PENDING_REMOVED);

/** Where a scenario's pending files live: its expected/, or `<pendingDir>/<scenario>/`. */
export function pendingBase(scenarioDir: string, pendingDir?: string | null): string {
  return pendingDir ? join(pendingDir, basename(scenarioDir)) : join(scenarioDir, EXPECTED_DIR);
}

/** expected/ files (not pending ones), keyed by their path under expected/. */
export function readExpected(scenarioDir: string): Promise<Map<string, Buffer>> {
  return readTree(join(scenarioDir, EXPECTED_DIR), isPending);
}

/** Pending files of a scenario, paths relative to where they live (see pendingBase). */
export async function listPending(scenarioDir: string, pendingDir?: string | null): Promise<string[]> {
  const base = pendingBase(scenarioDir, pendingDir);
  return (await listFiles(base)).filter(isPending).map((path) => relativePosix(base, path)).sort();
}

const exists = (path: string) =>
  stat(path).then(
    (s) => s.isFile(),
    () => false,
  );

/** The pending entries of a scenario, each with its kind. */
export async function pendingEntries(scenarioDir: string, scenario: string, pendingDir?: string | null): Promise<PendingEntry[]> {
  const base = pendingBase(scenarioDir, pendingDir);
  const entries: PendingEntry[] = [];
  for (const rel of await listPending(scenarioDir, pendingDir)) {
    const removed = rel.endsWith(PENDING_REMOVED);
    const file = rel.slice(0, -(removed ? PENDING_REMOVED : PENDING_NEW).length);
    const kind: PendingKind = removed ? 'orphan' : (await exists(join(scenarioDir, EXPECTED_DIR, file))) ? 'changed' : 'new';
    entries.push({ scenario, file, kind, pending: join(base, rel) });
  }
  return entries;
}

/** The path of expected/ under `scenarioDir` stat'ed; null when nothing is there. */
const statExpected = (scenarioDir: string, path: string) => stat(join(scenarioDir, EXPECTED_DIR, path)).catch(() => null);

/** The folder above `file` that is an expected file (so `file` cannot be written), or null. */
async function fileAbove(scenarioDir: string, file: string): Promise<string | null> {
  const parts = file.split('/');
  for (let n = 1; n < parts.length; n += 1) {
    const prefix = parts.slice(0, n).join('/');
    if ((await statExpected(scenarioDir, prefix))?.isFile()) return prefix;
  }
  return null;
}

/**
 * Beside the expected files, a pending file cannot sit under a path that is an expected file
 * (the replay now writes a directory where expected/ has a file): the first such path and the
 * file under it, or null. A pending dir has no such clash (accept removes the file first).
 */
async function fileInTheWay(scenarioDir: string, differences: FileDifference[]): Promise<{ file: string; under: string } | null> {
  for (const difference of differences) {
    if (difference.kind === 'stale') continue;
    const above = await fileAbove(scenarioDir, difference.file);
    if (above !== null) return { file: above, under: difference.file };
  }
  return null;
}

export async function writePending(scenarioDir: string, differences: FileDifference[], actual: Map<string, Buffer>, pendingDir?: string | null): Promise<string[]> {
  const base = pendingBase(scenarioDir, pendingDir);
  if (!pendingDir) {
    // Said before anything is written: half a set of pending files would be accepted as a whole one.
    const clash = await fileInTheWay(scenarioDir, differences);
    if (clash) {
      throw new InputError(
        `expected/${clash.file} is a file, and the replay now writes a directory there (${clash.under}): its pending files cannot sit beside the expected ones; check with --pending-dir <dir>, review, then accept --pending-dir <dir>`,
      );
    }
  }
  const written: string[] = [];
  for (const difference of differences) {
    const target = join(base, difference.file);
    makeDirectoriesSync(dirname(target));
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

/** Deletes a scenario's pending files where a check writes them (it replaces them); returns how many. */
export async function clearPending(scenarioDir: string, pendingDir: string | null): Promise<number> {
  const base = pendingBase(scenarioDir, pendingDir);
  const pending = await listPending(scenarioDir, pendingDir);
  for (const rel of pending) await rm(join(base, rel), { force: true });
  if (pendingDir) await prunePendingBase(scenarioDir, pendingDir);
  else if (pending.length > 0) await pruneEmptyDirs(base);
  return pending.length;
}

/** `<pendingDir>/<scenario>/` without its empty directories, and gone when nothing is left. */
async function prunePendingBase(scenarioDir: string, pendingDir: string): Promise<void> {
  const base = pendingBase(scenarioDir, pendingDir);
  if (await pruneEmptyDirs(base)) await rm(base, { recursive: true, force: true });
}

/**
 * Applies (accept) or drops (reject) the pending files of a scenario; with `onlyNew`, accept
 * takes only `new` entries and leaves the others pending. Returns what it did and what it kept.
 */
export async function settlePending(
  scenarioDir: string,
  scenario: string,
  how: 'accept' | 'reject',
  options: { pendingDir?: string | null; onlyNew?: boolean } = {},
): Promise<{ done: string[]; kept: PendingEntry[] }> {
  const done: string[] = [];
  const kept: PendingEntry[] = [];
  // Removals first: a file that replaces a directory of expected files (or a directory that
  // replaces a file) lands once what was there is gone.
  const entries = await pendingEntries(scenarioDir, scenario, options.pendingDir);
  const ordered = [...entries.filter((e) => e.kind === 'orphan'), ...entries.filter((e) => e.kind !== 'orphan')];
  let pruned = false;
  for (const entry of ordered) {
    const target = join(scenarioDir, EXPECTED_DIR, entry.file);
    if (how === 'reject') {
      await rm(entry.pending, { force: true });
      done.push(`rejected ${entry.file}${entry.kind === 'orphan' ? PENDING_REMOVED : PENDING_NEW}`);
      continue;
    }
    if (entry.kind !== 'orphan' && !pruned) {
      await pruneEmptyDirs(join(scenarioDir, EXPECTED_DIR));
      pruned = true;
    }
    if (options.onlyNew && entry.kind !== 'new') {
      kept.push(entry);
    } else if (entry.kind === 'orphan') {
      await rm(target, { force: true });
      await rm(entry.pending, { force: true });
      done.push(`removed ${entry.file}`);
    } else if (await inTheWay(scenarioDir, entry.file)) {
      // An expected file where it needs a directory, or expected files still under where it
      // goes (removals --only-new does not take): it stays pending with them.
      kept.push(entry);
    } else {
      makeDirectoriesSync(dirname(target));
      await copyFile(entry.pending, target);
      await rm(entry.pending, { force: true });
      done.push(`accepted ${entry.file}`);
    }
  }
  await pruneEmptyDirs(join(scenarioDir, EXPECTED_DIR));
  if (options.pendingDir) await prunePendingBase(scenarioDir, options.pendingDir);
  return { done, kept };
}

/** Whether something in expected/ keeps `file` from being written there: a directory at its path, or a file at a folder above it. */
async function inTheWay(scenarioDir: string, file: string): Promise<boolean> {
  return (await statExpected(scenarioDir, file))?.isDirectory() === true || (await fileAbove(scenarioDir, file)) !== null;
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
