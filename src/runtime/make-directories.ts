// mkdir -p, one level at a time. Node's own (`mkdirSync(dir, { recursive: true })`, and its
// promise and callback forms) never returns when the file system says ENOENT for a directory
// whose parent exists, as under /proc: on Node 20 it loops at full CPU, and a process stuck in
// it does not even run its SIGTERM handler (`CODEX_ORCHESTRATOR_RUNS_DIR=/proc/x` hung the CLI
// that way). On a read-only file system it says ENOENT too, hiding the real reason. Here each
// missing level is made in turn, from the deepest that exists, and the first that cannot be
// made throws its own error (EROFS, EACCES, ENOENT), naming it.
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export type DirectorySteps = {
  mkdirSync(path: string): unknown;
  statSync(path: string): { isDirectory(): boolean };
};

const NODE_STEPS: DirectorySteps = { mkdirSync: (path) => mkdirSync(path), statSync };

const codeOf = (error: unknown) => (error as { code?: unknown }).code;

/** The directory and every missing parent; throws the error of the first level that could not be made. */
export function makeDirectoriesSync(dir: string, fs: DirectorySteps = NODE_STEPS): void {
  const missing: string[] = [];
  for (let at = resolve(dir); ;) {
    let isDirectory: boolean;
    try {
      isDirectory = fs.statSync(at).isDirectory();
    } catch (error) {
      const up = dirname(at);
      // ENOTDIR: a file above it; the walk goes on up to that file.
      if ((codeOf(error) !== 'ENOENT' && codeOf(error) !== 'ENOTDIR') || up === at) throw error;
      missing.push(at);
      at = up;
      continue;
    }
    if (isDirectory) break;
    // A file where a directory should be: mkdir says so, naming the first level it cannot make
    // (EEXIST for the directory asked for itself, else ENOTDIR for the level below the file).
    if (missing.length === 0) missing.push(at);
    break;
  }
  for (const level of missing.reverse()) {
    try {
      fs.mkdirSync(level);
    } catch (error) {
      // Made meanwhile by another process: fine, when it is a directory.
      if (codeOf(error) !== 'EEXIST' || !isDirectorySync(fs, level)) throw error;
    }
  }
}

function isDirectorySync(fs: DirectorySteps, path: string): boolean {
  try {
    return fs.statSync(path).isDirectory();
  } catch {
    return false;
  }
}
