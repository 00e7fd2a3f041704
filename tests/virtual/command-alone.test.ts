// Issue 19: a command named first (without --help) is the only one the CLI builds. Each
// command, built alone, must still reject what it rejected among all the others, and its
// help (which builds them all) must be the one `help <command>` prints.
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.js';
import type { Executor } from '../../src/runtime/types.js';
import { createVirtualRuntime, driveToCompletion } from '../../src/runtime/virtual-runtime.js';

const COMMANDS = ['start', 'resume', 'status', 'logs', 'runs', 'plan', 'exec', 'worker'];

const REQUIRED: Record<string, string[]> = { resume: ['--run', 'r'], worker: ['--root', '/repo'] };

const executor: Executor = {
  start() {
    return { done: Promise.resolve({ exitCode: 0, signal: null }), cancel: () => undefined };
  },
};

async function cli(argv: string[]) {
  const runtime = createVirtualRuntime({ startMs: 0, seed: 1, cwd: '/repo', executor });
  const code = await driveToCompletion(runtime, () => runCli(argv, runtime));
  return { code, stdout: runtime.stdout.text(), stderr: runtime.stderr.text() };
}

describe('a command built alone', () => {
  it.each(COMMANDS)('%s rejects an unknown option with one line and exit 2', async (name) => {
    // Commander checks required options first: give them so the unknown one is what is named.
    const required = REQUIRED[name] ?? [];
    const { code, stdout, stderr } = await cli([name, ...required, '--no-such-flag']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe("error: unknown option '--no-such-flag'\n");
  });

  it.each(COMMANDS)('%s --help prints what help <command> prints', async (name) => {
    const alone = await cli([name, '--help']);
    const viaHelp = await cli(['help', name]);
    expect(alone.code).toBe(0);
    expect(alone.stdout).toContain(`Usage: codex-orchestrator ${name} `);
    expect(alone.stdout).toBe(viaHelp.stdout);
  });

  it('--version after a command is an unknown option, as it was with every command built', async () => {
    const { code, stderr } = await cli(['start', '--version']);
    expect(code).toBe(2);
    expect(stderr).toBe("error: unknown option '--version'\n");
  });

  it('a misspelt command is still matched against every command', async () => {
    const { code, stderr } = await cli(['strat']);
    expect(code).toBe(2);
    expect(stderr).toContain("unknown command 'strat' (Did you mean start?)");
  });
});
