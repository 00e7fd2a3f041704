// mkdir -p without Node's recursive mkdir (src/runtime/make-directories.ts), for real under
// /proc: on Node 20 `mkdirSync(dir, { recursive: true })` never returns there, and a process
// stuck in it does not run its SIGTERM handler. Each case runs in a child process a hang would
// leave to be killed (the guard is never waited on when they return). Apart from the
// deterministic cases (tests/unit/make-directories.test.ts): these start the built CLI and
// tools, so they stay out of the mutation run's suite (vitest.stryker.config.ts).
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isOrchestratorVariable } from '../../src/config/env-settings.js';
import { CLI_PATH } from '../helpers/cli.js';
import { TOOLS } from '../helpers/git-repo.js';
import { useTempDirs } from '../helpers/temp-dirs.js';

const tmp = useTempDirs('make-dirs-proc-');
const MODULE = pathToFileURL(join(CLI_PATH, '../../runtime/make-directories.js')).href;
const HAS_PROC = existsSync('/proc/self/stat');
/** A child that hangs is killed: the test fails on its signal instead of hanging the suite. */
const GUARD = { encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' } as const;

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
