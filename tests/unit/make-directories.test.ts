// mkdir -p without Node's recursive mkdir (src/runtime/make-directories.ts). On Node 20,
// `mkdirSync(dir, { recursive: true })` never returns when the file system says ENOENT for a
// directory whose parent exists, as under /proc, and a process stuck in it does not run its
// SIGTERM handler: `CODEX_ORCHESTRATOR_RUNS_DIR=/proc/x codex-orchestrator start` hung at full
// CPU until killed. Through the steps' seam (deterministic), then for real under /proc, in child
// processes a hang would leave to be killed (the guard is never waited on when they return).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { makeDirectoriesSync, type DirectorySteps } from '../../src/runtime/make-directories.js';
import { CLI_PATH } from '../helpers/cli.js';
import { isOrchestratorVariable } from '../../src/config/env-settings.js';
import { TOOLS } from '../helpers/git-repo.js';
import { useTempDirs } from '../helpers/temp-dirs.js';

const tmp = useTempDirs('make-dirs-');
const MODULE = pathToFileURL(join(CLI_PATH, '../../runtime/make-directories.js')).href;
const HAS_PROC = existsSync('/proc/self/stat');
/** A child that hangs is killed: the test fails on its signal instead of hanging the suite. */
const GUARD = { encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' } as const;

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

describe.skipIf(!HAS_PROC)('under /proc, where Node 20 recursive mkdir never returns', () => {
  it('makeDirectoriesSync returns at once with ENOENT naming the first level', () => {
    const script = `import { makeDirectoriesSync } from ${JSON.stringify(MODULE)};
try { makeDirectoriesSync('/proc/codex-nope/x'); } catch (error) { console.log(error.code, error.path); process.exit(3); }`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], GUARD);
    expect(child.signal, 'killed: it hung').toBeNull();
    expect({ status: child.status, stdout: child.stdout.trim() }).toEqual({ status: 3, stdout: 'ENOENT /proc/codex-nope' });
  });

  it('a runs or out directory there ends the CLI with one line naming it (exit 1), never a hang', () => {
    const root = tmp();
    const config = { pipelines: [{ id: 'one', title: 'One', stages: [{ kind: 'command', id: 'true', title: 'True', command: 'true' }] }] };
    writeFileSync(join(root, 'codex.orchestrator.json'), JSON.stringify(config));
    // None of this process's own orchestrator variables (a lane's stage has its runs and out
    // directories set to the checkout's): the run that writes its other directory writes it here.
    const base: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !isOrchestratorVariable(key)));
    for (const variable of ['CODEX_ORCHESTRATOR_RUNS_DIR', 'CODEX_ORCHESTRATOR_OUT_DIR']) {
      const env: NodeJS.ProcessEnv = { ...base, [variable]: '/proc/codex-nope' };
      const child = spawnSync(process.execPath, [CLI_PATH, 'start', 'one'], { ...GUARD, cwd: root, env });
      expect(child.signal, `${variable}: killed: it hung`).toBeNull();
      expect(child.status, variable).toBe(1);
      expect(child.stderr, variable).toContain(
        'codex-orchestrator: could not create directory /proc/codex-nope: ENOENT: no such file or directory\n',
      );
      expect(child.stderr, variable).not.toMatch(/^\s+at /m);
    }
  });

  it("a tool's --out there is one line (exit 2, when the flag is read, before any work), never a hang", () => {
    const child = spawnSync(process.execPath, [TOOLS.golden, 'check', 'success', '--out', '/proc/codex-nope/out.json'], GUARD);
    expect(child.signal, 'killed: it hung').toBeNull();
    expect(child.status).toBe(2);
    expect(child.stdout).toBe('');
    expect(child.stderr.trim().split('\n')).toEqual([
      "error: option '--out <file>' argument '/proc/codex-nope/out.json' is invalid. could not create /proc/codex-nope: ENOENT",
    ]);
  });
});
