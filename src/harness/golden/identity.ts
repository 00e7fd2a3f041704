// What a `golden check` checked, written into its JSON result so `golden merge` can refuse
// shards that did not check the same thing: a digest of the code that replays (the checkout's
// src/, whose build the check ran, or dist/src/ where there is no src/; its package files; the
// Node version) and a digest of the corpus (its scenarios' files but the pending ones a check
// writes, and its exemptions), with the commit when the corpus is in a git checkout (for the
// messages only: an uncommitted change moves the digests, not the commit).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { distRoot } from '../fresh-dist.js';
import { filesUnder } from '../repo-files.js';
import { EXEMPTIONS_FILE } from './exemptions.js';
import { PENDING_NEW, PENDING_REMOVED } from './pending.js';
import { listScenarios } from './scenario.js';

export type CheckedIdentity = { code: string; corpus: string; commit: string | null };

/** sha256 over `seed`, then each file's path and bytes, in path order: the same tree gives the same digest on any machine. */
function treeDigest(base: string, paths: string[], seed = ''): string {
  const hash = createHash('sha256').update(seed);
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

/**
 * The digest of the code under `root` that replays a scenario: src/'s TypeScript (else
 * dist/src/'s modules), the packages it runs with (package.json and package-lock.json: a
 * dependency bumped alone changes outputs too) and the Node version.
 */
export function codeDigest(root: string): string {
  const sources = filesUnder(root, 'src', (name) => name !== 'node_modules').filter((path) => /\.c?ts$/.test(path) && !/\.d\.c?ts$/.test(path));
  const code = sources.length > 0 ? sources : filesUnder(root, 'dist/src', () => true).filter((path) => /\.c?js$/.test(path));
  const packages = ['package.json', 'package-lock.json'].filter((file) => existsSync(join(root, file)));
  return treeDigest(root, [...code, ...packages], `node ${process.version}\n`);
}

/** Every file under `dir`, relative, with '/'; an error reading it is thrown (a digest of a tree half read would be wrong). */
function allFiles(base: string, dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(join(base, dir), { withFileTypes: true })) {
    const path = dir === '' ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory()) allFiles(base, path, out);
    else out.push(path);
  }
  return out;
}

/**
 * The digest of a corpus: its scenarios' files but pending ones (`*.new`, `*.removed`) and its
 * invariant exemptions; not what else lies there (a shard's result written next to it, a
 * note), which no replay reads.
 */
export async function corpusDigest(corpus: string): Promise<string> {
  const files: string[] = existsSync(join(corpus, EXEMPTIONS_FILE)) ? [EXEMPTIONS_FILE] : [];
  for (const name of await listScenarios(corpus)) files.push(...allFiles(corpus, name));
  return treeDigest(
    corpus,
    files.filter((path) => !path.endsWith(PENDING_NEW) && !path.endsWith(PENDING_REMOVED)),
  );
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
