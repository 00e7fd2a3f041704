// mkdir -p without Node's recursive mkdir (src/runtime/make-directories.ts). On Node 20,
// `mkdirSync(dir, { recursive: true })` never returns when the file system says ENOENT for a
// directory whose parent exists, as under /proc, and a process stuck in it does not run its
// SIGTERM handler: `CODEX_ORCHESTRATOR_RUNS_DIR=/proc/x codex-orchestrator start` hung at full
// CPU until killed. Here through the steps' seam, deterministic; for real under /proc in
// tests/integration/make-directories-proc.test.ts.
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeDirectoriesSync, type DirectorySteps } from '../../src/runtime/make-directories.js';
import { useTempDirs } from '../helpers/temp-dirs.js';

const tmp = useTempDirs('make-dirs-');

function fsError(code: string, syscall: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${syscall} '${path}'`), { code, syscall, path });
}

const recording = (made: string[]): DirectorySteps => ({
  statSync,
  mkdirSync: (path) => {
    made.push(path);
    mkdirSync(path);
  },
});

describe('makeDirectoriesSync', () => {
  it('makes each missing level in turn from the deepest that exists, and nothing when the directory is there', () => {
    const dir = tmp();
    const made: string[] = [];
    makeDirectoriesSync(join(dir, 'a/b/c'), recording(made));
    expect(made).toEqual([join(dir, 'a'), join(dir, 'a/b'), join(dir, 'a/b/c')]);
    expect(statSync(join(dir, 'a/b/c')).isDirectory()).toBe(true);
    made.length = 0;
    makeDirectoriesSync(join(dir, 'a/b/c'), recording(made));
    makeDirectoriesSync(join(dir, 'a'), recording(made));
    expect(made).toEqual([]);
  });

  it("a level the file system refuses throws that level's own error (ENOENT under a parent that exists, as /proc says)", () => {
    const steps: DirectorySteps = {
      statSync: (path) => {
        if (path === '/' || path === '/proc') return { isDirectory: () => true };
        throw fsError('ENOENT', 'stat', path);
      },
      mkdirSync: (path) => {
        throw fsError('ENOENT', 'mkdir', path);
      },
    };
    expect(() => makeDirectoriesSync('/proc/nope/x', steps)).toThrow(expect.objectContaining({ code: 'ENOENT', path: '/proc/nope' }));
  });

  it('a file where a directory should be is its own error, naming it; a level made meanwhile by another process is fine', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'file'), 'x');
    expect(() => makeDirectoriesSync(join(dir, 'file'))).toThrow(expect.objectContaining({ code: 'EEXIST', path: join(dir, 'file') }));
    expect(() => makeDirectoriesSync(join(dir, 'file/sub'))).toThrow(expect.objectContaining({ code: 'ENOTDIR', path: join(dir, 'file/sub') }));
    // Deeper under the file: still the level right below it, the first that cannot be made.
    expect(() => makeDirectoriesSync(join(dir, 'file/sub/run/deeper'))).toThrow(
      expect.objectContaining({ code: 'ENOTDIR', path: join(dir, 'file/sub') }),
    );
    // Another process makes the level between this one's look and its mkdir.
    const racing: DirectorySteps = {
      statSync,
      mkdirSync: (path) => {
        mkdirSync(path);
        throw fsError('EEXIST', 'mkdir', path);
      },
    };
    makeDirectoriesSync(join(dir, 'raced/deeper'), racing);
    expect(statSync(join(dir, 'raced/deeper')).isDirectory()).toBe(true);
  });
});
