// The files of a directory tree of the checkout, for the tools that look for files by pattern
// (the spec guard's golden expected files, the review's test suites on disk).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Every file under `dir` (repo-relative with `/`; '' for the root itself), going down only into
 * the directories whose name `descend` accepts. A directory that cannot be read adds nothing.
 */
export function filesUnder(root: string, dir: string, descend: (name: string) => boolean, out: string[] = []): string[] {
  let entries;
  try {
    entries = readdirSync(join(root, dir), { withFileTypes: true });
  } catch {
    return out;
  }
  for (const entry of entries) {
    const path = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      if (descend(entry.name)) filesUnder(root, path, descend, out);
    } else out.push(path);
  }
  return out;
}
