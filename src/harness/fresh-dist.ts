// Never a false green (issue 18, spec 0012): the lane's tools run from dist/, so a dist/ older
// than its sources would judge code that is not the working tree's. `npm run build` writes
// dist/.build-stamp last; a tool started from dist/ compares it with the mtime of every
// compiled source (tsconfig's src, bench, codemods and lint-rules; tests and codemod fixtures
// are not compiled) and refuses to run on an older one: one line, exit 2. About 130 stats.
// A tool that runs only its own modules from dist/ and reads the rest of the tree as sources
// (the codemod: ts-morph parses src/, which it rewrites) is judged by the sources of the modules
// it imports, so its own rewrite does not refuse its next run.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { filesUnder } from './repo-files.js';

export const BUILD_STAMP = '.build-stamp';

/** The compiled source folders (tsconfig.json's include). */
const SOURCE_DIRS = ['src', 'bench', 'codemods', 'lint-rules'];

/** The compiled sources, absolute: .ts and .cts (tsconfig.json compiles bench/startup-floor.cts), not tests, declarations or fixtures. */
function compiledSources(root: string): string[] {
  return SOURCE_DIRS.flatMap((dir) => filesUnder(root, dir, (name) => name !== 'fixtures' && name !== 'node_modules'))
    .filter((path) => /\.c?ts$/.test(path) && !/\.(?:test|d)\.c?ts$/.test(path))
    .map((path) => join(root, path));
}

/** A compiled module's source: dist/<path>.js is <path>.ts (.cjs .cts, .mjs .mts). */
const sourceOf = (root: string, built: string) =>
  join(
    root,
    relative(join(root, 'dist'), built).replace(/\.(c|m)?js$/, (_, kind: string | undefined) => `.${kind ?? ''}ts`),
  );

/** Relative specifiers of an emitted module: `from '…'`, `import '…'`, `import('…')`, `require('…')`. */
const RELATIVE_IMPORT = /(?:\bfrom|\bimport|\brequire)\s*\(?\s*(['"])(\.{1,2}\/[^'"]+)\1/g;

/**
 * The sources of the code a module under `<root>/dist/` runs: its own and those of every
 * module of dist/ it imports, followed through the relative imports of the emitted files
 * (packages are not ours to judge). Absolute paths, those that exist, sorted.
 */
export function importedSources(root: string, entry: string): string[] {
  const dist = join(root, 'dist') + sep;
  const seen = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (seen.has(file) || !file.startsWith(dist)) continue;
    seen.add(file);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const match of text.matchAll(RELATIVE_IMPORT)) pending.push(resolve(dirname(file), match[2]!));
  }
  return [...seen]
    .map((file) => sourceOf(root, file))
    .filter((source) => existsSync(source))
    .sort();
}

function newestOf(paths: string[]): { path: string; mtimeMs: number } | null {
  let newest: { path: string; mtimeMs: number } | null = null;
  for (const path of paths) {
    const mtimeMs = statSync(path).mtimeMs;
    if (newest === null || mtimeMs > newest.mtimeMs) newest = { path, mtimeMs };
  }
  return newest;
}

/**
 * Why `root`'s dist/ is stale, in one line, or null when it is not (or there are no sources
 * to judge it by: an installed package). `sources`: judge by these only (importedSources), not
 * by every compiled source.
 */
export function staleDistLine(root: string, sources?: string[]): string | null {
  const newest = newestOf(sources ?? compiledSources(root));
  if (newest === null) return null;
  let stampMs: number;
  try {
    stampMs = statSync(join(root, 'dist', BUILD_STAMP)).mtimeMs;
  } catch {
    return `dist/ has no build stamp (dist/${BUILD_STAMP}): run \`npm run build\``;
  }
  const found = newest as { path: string; mtimeMs: number };
  if (found.mtimeMs <= stampMs) return null;
  return `dist/ is older than ${relative(root, found.path).split(sep).join('/')} (changed after the last build): run \`npm run build\``;
}

/** The checkout a module under `<root>/dist/` was built in; null when it does not run from a dist/. */
export function distRoot(moduleUrl: string): string | null {
  for (let dir = dirname(fileURLToPath(moduleUrl)); dirname(dir) !== dir; dir = dirname(dir)) {
    if (basename(dir) === 'dist') return existsSync(join(dirname(dir), 'package.json')) ? dirname(dir) : null;
  }
  return null;
}

/**
 * A tool's first step: on a stale dist/ it prints `<tool>: <why>` and exits 2, running nothing.
 * `scope`: `all` judges by every compiled source (a tool that runs the project's code from
 * dist/); `imports` by the sources of the modules this one imports (a tool that reads the rest
 * of the tree as TypeScript, as the codemod does).
 */
export function refuseStaleDist(tool: string, moduleUrl: string, scope: 'all' | 'imports' = 'all'): void {
  const root = distRoot(moduleUrl);
  const line = root === null ? null : staleDistLine(root, scope === 'all' ? undefined : importedSources(root, fileURLToPath(moduleUrl)));
  if (line === null) return;
  process.stderr.write(`${tool}: ${line}\n`);
  process.exit(2);
}
