// The build's first step: the type check and emit of tsconfig.json (incremental, its build
// info in dist/.tsbuildinfo). `tsc -b` decides from timestamps, without parsing the program,
// that no source is newer than the last build (0.5 s here, where `tsc -p` takes 2.7 s to find
// nothing to do: it parses every file, the dependencies' types too, to compare their contents);
// the lane's build stage, right after `npm ci`'s own build, is that case. Timestamps do not see
// the dependencies' types change, so after an install (node_modules/.package-lock.json newer
// than the build info) it is `tsc -p`, which compares every file's content, and a passing one
// marks the build info as newer than the install.
import { spawnSync } from 'node:child_process';
import { statSync, utimesSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const mtime = (path) => {
  try {
    return statSync(join(ROOT, path)).mtimeMs;
  } catch {
    return null;
  }
};
const built = mtime('dist/.tsbuildinfo');
const installed = mtime('node_modules/.package-lock.json');
const byTimestamps = built !== null && installed !== null && installed < built;
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const { status, signal } = spawnSync(process.execPath, [tsc, byTimestamps ? '-b' : '-p', join(ROOT, 'tsconfig.json')], {
  cwd: ROOT,
  stdio: 'inherit',
});
// tsc -p leaves the build info as it was when it emitted nothing: it is now the check against
// these dependencies, so the next build may go by timestamps.
if (status === 0 && !byTimestamps) utimesSync(join(ROOT, 'dist/.tsbuildinfo'), new Date(), new Date());
process.exit(status ?? (signal ? 1 : 0));
