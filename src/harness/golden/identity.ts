// What a `golden check` checked, written into its JSON result so `golden merge` can refuse
// shards that did not check the same thing: a digest of the code that replays (the checkout's
// src/, whose build the check ran; the compiled modules of dist/src/ where there is no src/)
// and a digest of the corpus (every file but the pending ones a check writes), with the commit
// when the corpus is in a git checkout (for the messages only: an uncommitted change moves the
// digests, not the commit).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { distRoot } from '../fresh-dist.js';
import { filesUnder } from '../repo-files.js';
import { listFiles, relativePosix } from './files.js';
import { PENDING_NEW, PENDING_REMOVED } from './pending.js';

export type CheckedIdentity = { code: string; corpus: string; commit: string | null };

/** sha256 over each file's path and bytes, in path order: the same tree gives the same digest on any machine. */
function treeDigest(base: string, paths: string[]): string {
  const hash = createHash('sha256');
  for (const path of [...paths].sort()) {
    const bytes = readFileSync(join(base, path));
    hash.update(`${path}\0${bytes.length}\0`);
    hash.update(bytes);
  }
  return hash.digest('hex');
}

/** The checkout a module runs from: the one whose dist/ holds it, else the nearest folder with a package.json. */
export function packageRoot(moduleUrl: string): string {
  const fromDist = distRoot(moduleUrl);
  if (fromDist !== null) return fromDist;
  for (let dir = dirname(fileURLToPath(moduleUrl)); dirname(dir) !== dir; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  throw new Error(`no package.json above ${fileURLToPath(moduleUrl)}`);
}

/** The digest of the code under `root` that replays a scenario: src/'s TypeScript, else dist/src/'s modules. */
export function codeDigest(root: string): string {
  const sources = filesUnder(root, 'src', (name) => name !== 'node_modules').filter((path) => /\.c?ts$/.test(path) && !/\.d\.c?ts$/.test(path));
  if (sources.length > 0) return treeDigest(root, sources);
  return treeDigest(
    root,
    filesUnder(root, 'dist/src', () => true).filter((path) => /\.c?js$/.test(path)),
  );
}

/** The digest of a corpus: every file under it but pending ones (`*.new`, `*.removed`). */
export async function corpusDigest(corpus: string): Promise<string> {
  const files = (await listFiles(corpus)).map((path) => relativePosix(corpus, path)).filter((path) => !path.endsWith(PENDING_NEW) && !path.endsWith(PENDING_REMOVED));
  return treeDigest(corpus, files);
}

/** HEAD of the git checkout `dir` is in; null outside one (or without git). */
export function commitOf(dir: string): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--verify', '--quiet', 'HEAD'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || null;
  } catch {
    return null;
  }
}

export async function checkedIdentity(root: string, corpus: string): Promise<CheckedIdentity> {
  return { code: codeDigest(root), corpus: await corpusDigest(corpus), commit: commitOf(corpus) };
}
