// "The change" the lane's tools judge: committed work since the merge-base with the base ref,
// plus the working tree (staged, unstaged and untracked files). The base comes from --base,
// else BASE_SHA, else origin/main, else HEAD (the working tree against HEAD, said so in one
// line); an explicit base that does not resolve is an error.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../errors.js';

export type ChangedFile = {
  path: string;
  status: 'added' | 'modified' | 'deleted' | 'untracked';
  /** Lines added + deleted; null for a binary file. */
  lines: number | null;
};

export type Change = {
  /** The ref the base came from, and how it was chosen. */
  base: string;
  baseSource: '--base' | 'BASE_SHA' | 'origin/main' | 'HEAD' | 'empty repository';
  mergeBase: string | null;
  files: ChangedFile[];
};

function git(cwd: string, args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024 });
}

function tryGit(cwd: string, args: string[]): string | null {
  try {
    return git(cwd, args).trim();
  } catch {
    return null;
  }
}

function resolveCommit(cwd: string, ref: string): string | null {
  return tryGit(cwd, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
}

export function resolveBase(
  cwd: string,
  explicit: string | undefined,
  env: Record<string, string | undefined>,
): Pick<Change, 'base' | 'baseSource'> & { sha: string | null } {
  if (tryGit(cwd, ['rev-parse', '--git-dir']) === null) throw new InputError(`not a git repository: ${cwd}`);
  if (explicit !== undefined) {
    const sha = resolveCommit(cwd, explicit);
    if (!sha) throw new InputError(`--base: '${explicit}' does not name a commit`);
    return { base: explicit, baseSource: '--base', sha };
  }
  const fromEnv = env.BASE_SHA?.trim();
  if (fromEnv) {
    const sha = resolveCommit(cwd, fromEnv);
    if (!sha) throw new InputError(`BASE_SHA: '${fromEnv}' does not name a commit`);
    return { base: fromEnv, baseSource: 'BASE_SHA', sha };
  }
  const origin = resolveCommit(cwd, 'origin/main');
  if (origin) return { base: 'origin/main', baseSource: 'origin/main', sha: origin };
  // No base named and no origin/main: the working tree against HEAD (never "since the root commit").
  const head = resolveCommit(cwd, 'HEAD');
  if (head) return { base: 'HEAD', baseSource: 'HEAD', sha: head };
  return { base: '(none)', baseSource: 'empty repository', sha: null };
}

/** How the tools name the base in their one line: `HEAD (no origin/main and no BASE_SHA: the working tree against HEAD)`. */
export function describeBase(change: { base: string; baseSource: string }): string {
  if (change.baseSource === 'HEAD') return 'HEAD (no origin/main and no BASE_SHA: the working tree against HEAD)';
  return `${change.base} (${change.baseSource})`;
}

function countLines(path: string): number | null {
  try {
    const data = readFileSync(path);
    if (data.includes(0)) return null;
    if (data.length === 0) return 0;
    let lines = 0;
    for (const byte of data) if (byte === 10) lines += 1;
    return data[data.length - 1] === 10 ? lines : lines + 1;
  } catch {
    return null;
  }
}

export function collectChange(cwd: string, explicitBase: string | undefined, env: Record<string, string | undefined>): Change {
  const base = resolveBase(cwd, explicitBase, env);
  const hasHead = resolveCommit(cwd, 'HEAD') !== null;
  const mergeBase = base.sha && hasHead ? tryGit(cwd, ['merge-base', base.sha, 'HEAD']) : null;
  const files = new Map<string, ChangedFile>();
  if (mergeBase) {
    const statuses = git(cwd, ['diff', '--name-status', '--no-renames', '-z', mergeBase]).split('\0');
    for (let i = 0; i + 1 < statuses.length; i += 2) {
      const code = statuses[i]!;
      const path = statuses[i + 1]!;
      files.set(path, { path, status: code.startsWith('A') ? 'added' : code.startsWith('D') ? 'deleted' : 'modified', lines: 0 });
    }
    const numstat = git(cwd, ['diff', '--numstat', '--no-renames', '-z', mergeBase]).split('\0').filter(Boolean);
    for (const entry of numstat) {
      const [added, deleted, path] = entry.split('\t');
      const file = path ? files.get(path) : undefined;
      if (file) file.lines = added === '-' || deleted === '-' ? null : Number(added) + Number(deleted);
    }
  } else if (hasHead) {
    // No merge-base (unrelated histories): everything tracked counts as added.
    for (const path of git(cwd, ['ls-files', '-z']).split('\0').filter(Boolean)) {
      files.set(path, { path, status: 'added', lines: countLines(join(cwd, path)) });
    }
  }
  for (const path of git(cwd, ['ls-files', '--others', '--exclude-standard', '-z']).split('\0').filter(Boolean)) {
    files.set(path, { path, status: 'untracked', lines: countLines(join(cwd, path)) });
  }
  return { base: base.base, baseSource: base.baseSource, mergeBase, files: [...files.values()].sort((a, b) => (a.path < b.path ? -1 : 1)) };
}
