// Reading a directory tree into memory: the expected files of a scenario, a replay written
// to disk, the files a real run left behind.
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

/** Every file under `dir` (absolute paths, unsorted); [] when it does not exist. */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

/** A path under `base` with '/' separators. */
export function relativePosix(base: string, path: string): string {
  return relative(base, path).split(sep).join('/');
}

/** Every file under `base` and its bytes, keyed by relative path, sorted; `skip` leaves some out. */
export async function readTree(base: string, skip: (relPath: string) => boolean = () => false): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const paths = (await listFiles(base)).map((path) => relativePosix(base, path)).sort();
  for (const path of paths) if (!skip(path)) out.set(path, await readFile(join(base, path)));
  return out;
}
