// Issue 18 (part A): the live display in a real pseudo-terminal, never judged by eye.
// - tmux (a real terminal emulator, 120x40) shows what a user sees after `exec`: the command's
//   output on its own line, never glued to the live line (`running 0.0sdone`).
// - util-linux `script` gives the CLI a pty and hands back its raw bytes: a stage blocks
//   reading a FIFO until the test has seen, in those bytes, its last output line drawn dimmed
//   on the live line; then the run ends and the screen is checked: the allowed failure and the
//   subpipeline's lines, no live line left over.
// Synchronised on events only: tmux's wait-for channel, data events of the pty's output, the
// FIFO; no sleep and no timed assertion.
import { execFileSync, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { isOrchestratorVariable } from '../../src/config/env-settings.js';
import { CLI_PATH } from '../helpers/cli.js';
import { NODE, shellQuote, useTempRepos } from '../helpers/integration.js';
import { screenOf } from '../helpers/terminal.js';

const repo = useTempRepos();

/** This process's environment without the orchestrator's own variables, with a terminal type. */
function terminalEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!isOrchestratorVariable(key)) env[key] = value;
  return { ...env, TERM: 'xterm-256color' };
}

const CLI = `${NODE} ${shellQuote(CLI_PATH)}`;

describe('in tmux', () => {
  it("exec's output gets its own line: the live line is cleared before it", () => {
    const root = repo();
    const server = `codex-live-${process.pid}`;
    const tmux = (...args: string[]) => execFileSync('tmux', ['-L', server, ...args], { encoding: 'utf8', env: terminalEnv(), timeout: 60_000 });
    // The pane runs the CLI, then signals the channel and stays open (cat on the pane's
    // terminal) so that its screen can be read.
    const command = `cd ${shellQuote(root)} && ${CLI} exec -- echo done; tmux -L ${server} wait-for -S finished; exec cat`;
    try {
      tmux('new-session', '-d', '-x', '120', '-y', '40', '-s', 'live', command);
      tmux('wait-for', 'finished');
      const screen = tmux('capture-pane', '-p', '-t', 'live').split('\n');
      expect(screen.filter((line) => line.includes('running'))).toEqual([]);
      expect(screen).toContain('done');
      expect(screen.some((line) => /^\[exec 1\/1\] exec succeeded \(exit 0, \d+\.\ds\)$/.test(line))).toBe(true);
    } finally {
      tmux('kill-server');
    }
  });
});

describe('under script (a pty, raw bytes)', () => {
  it('the running stage shows its last output line dimmed; allowed failures and subpipeline runs get their own lines', async () => {
    const root = repo({
      pipelines: [
        {
          id: 'ci',
          title: 'CI',
          stages: [
            { kind: 'command', id: 'lint', title: 'Lint', command: "echo 'warning: unused' >&2; exit 1", allowFailure: true },
            { kind: 'command', id: 'wait', title: 'Wait', command: "echo 'step 1 of 3'; cat gate.fifo > /dev/null; echo 'step 2 of 3'" },
            { kind: 'subpipeline', id: 'docs', title: 'Docs', pipeline: 'docs' },
          ],
        },
        { id: 'docs', title: 'Docs', stages: [{ kind: 'command', id: 'check', title: 'Check', command: 'echo docs ok' }] },
      ],
    });
    execFileSync('mkfifo', [join(root, 'gate.fifo')]);
    const child = spawn('script', ['-q', '-e', '-c', `stty cols 100 rows 40; exec ${CLI} start ci`, '/dev/null'], {
      cwd: root,
      env: terminalEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const DIMMED = '\u001b[2mstep 1 of 3\u001b[22m';
    const out: Buffer[] = [];
    let released = false;
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    child.stdout.on('data', (data: Buffer) => {
      out.push(data);
      // The stage is blocked on the FIFO: release it once its line is shown dimmed, or once
      // the live line was redrawn at 3 s without it (then the assertion below fails).
      const text = Buffer.concat(out).toString('utf8');
      if (!released && (text.includes(DIMMED) || text.includes('[ci 2/3] wait running 3.0s'))) {
        released = true;
        void writeFile(join(root, 'gate.fifo'), 'go\n');
      }
    });
    // Should the test time out, the pty and its CLI do not outlive it.
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    const code = await exited;
    const raw = Buffer.concat(out).toString('utf8');
    expect(raw).toContain(DIMMED);
    expect(code, raw).toBe(0);
    const screen = screenOf(raw);
    expect(screen.filter((line) => line.includes('running'))).toEqual([]);
    expect(
      screen.some((line) => /^\[ci 1\/3\] lint failed, allowed to fail \(exit 1, \d+\.\ds\)$/.test(line)),
      raw,
    ).toBe(true);
    expect(
      screen.some((line) => /^ {2}codex-orchestrator: started run \S+ \(pipeline docs\)$/.test(line)),
      raw,
    ).toBe(true);
    expect(
      screen.some((line) => /^ {2}\[docs 1\/1\] check succeeded \(exit 0, \d+\.\ds\)$/.test(line)),
      raw,
    ).toBe(true);
  });
});
