// Issue 18 (part A), the live display on a terminal, byte for byte on the virtual runtime: the
// CLI's stdout and stderr are one terminal (as in a shell), read back through a minimal
// terminal (tests/helpers/terminal.ts). The live line is cleared before any other output, the
// running stage shows its last output line dimmed and cut to the terminal's width, allowed
// failures and cancelled stages are labelled, a subpipeline's messages get their own line.
// tests/integration/live-display.test.ts checks the same in a real pseudo-terminal.
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.js';
import type { ExecResult, Executor, OutputStream } from '../../src/runtime/types.js';
import type { VirtualClock } from '../../src/runtime/virtual-clock.js';
import { createVirtualRuntime, driveToCompletion, type VirtualRuntime } from '../../src/runtime/virtual-runtime.js';
import { screenOf } from '../helpers/terminal.js';

const T0 = Date.parse('2026-08-01T09:00:00.000Z');
const CLEAR = '\r\u001b[K';
const DIM = '\u001b[2m';
const UNDIM = '\u001b[22m';

/** stdout and stderr of one terminal `columns` wide: both write into the same bytes. */
function terminal(columns: number) {
  const parts: Buffer[] = [];
  const stream = (): OutputStream & { columns: number } => ({
    write: (data) => {
      parts.push(typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data));
    },
    isTTY: true,
    columns,
  });
  return { stdout: stream(), stderr: stream(), bytes: () => Buffer.concat(parts) };
}

type Step = { out?: ['stdout' | 'stderr', string]; waitMs?: number };

/** Each command runs its steps (output, or a wait on the virtual clock) and exits with its code; a cancel ends it by the signal. */
function scripted(clock: VirtualClock, scripts: Record<string, { steps: Step[]; code: number }>): Executor {
  return {
    start(request, onChunk) {
      const script = scripts[request.command]!;
      let cancelled: ((result: ExecResult) => void) | null = null;
      const stop = new Promise<ExecResult>((resolve) => (cancelled = resolve));
      const done = (async (): Promise<ExecResult> => {
        for (const step of script.steps) {
          if (step.out) await onChunk({ stream: step.out[0], data: Buffer.from(step.out[1]) });
          if (step.waitMs) {
            const waited = new Promise<null>((resolve) => clock.setTimeout(() => resolve(null), step.waitMs!));
            const stopped = await Promise.race([waited, stop]);
            if (stopped) return stopped;
          }
        }
        return { exitCode: script.code, signal: null };
      })();
      return { done, cancel: (signal) => cancelled?.({ exitCode: null, signal }) };
    },
  };
}

function world(config: unknown, scripts: Record<string, { steps: Step[]; code: number }>, columns = 120) {
  const tty = terminal(columns);
  const base = createVirtualRuntime({ startMs: T0, seed: 11, cwd: '/repo', executor: (clock) => scripted(clock, scripts) });
  const runtime: VirtualRuntime = Object.assign(base, {
    stdout: Object.assign(base.stdout, tty.stdout),
    stderr: Object.assign(base.stderr, tty.stderr),
  });
  if (config !== null) runtime.fs.seedFile('/repo/codex.orchestrator.json', JSON.stringify(config));
  return { runtime, bytes: tty.bytes };
}

describe('the live line on a terminal', () => {
  it("exec: the command's output is never glued to the live line ('running 0.0sdone')", async () => {
    const { runtime, bytes } = world(null, { 'echo done': { steps: [{ out: ['stdout', 'done\n'] }], code: 0 } });
    expect(await driveToCompletion(runtime, () => runCli(['exec', '--', 'echo done'], runtime))).toBe(0);
    const screen = screenOf(bytes());
    expect(screen.filter((line) => line.includes('running'))).toEqual([]);
    expect(screen).toContain('done');
    expect(screen).toContain('[exec 1/1] exec succeeded (exit 0, 0.0s)');
    // The erase comes before the command's bytes.
    expect(bytes().toString('utf8')).toContain(`${CLEAR}done\n`);
  });

  it('exec: a partial last line of the command is ended before the result line, and not overdrawn', async () => {
    const { runtime, bytes } = world(null, { prompt: { steps: [{ out: ['stdout', 'Continue? '] }, { waitMs: 3_000 }], code: 0 } });
    expect(await driveToCompletion(runtime, () => runCli(['exec', '--', 'prompt'], runtime))).toBe(0);
    const screen = screenOf(bytes());
    expect(screen).toContain('Continue?');
    expect(screen).toContain('[exec 1/1] exec succeeded (exit 0, 3.0s)');
  });

  const CONFIG = {
    pipelines: [
      {
        id: 'ci',
        title: 'CI',
        stages: [
          { kind: 'command', id: 'lint', title: 'Lint', command: 'lint', allowFailure: true },
          { kind: 'command', id: 'build', title: 'Build', command: 'build' },
          { kind: 'subpipeline', id: 'docs', title: 'Docs', pipeline: 'docs' },
        ],
      },
      { id: 'docs', title: 'Docs', stages: [{ kind: 'command', id: 'check', title: 'Check', command: 'check' }] },
    ],
  };
  const SCRIPTS = {
    lint: { steps: [{ out: ['stderr', 'warning: unused import\n'] as ['stderr', string] }], code: 1 },
    build: {
      steps: [
        { out: ['stdout', 'compiling 1 of 2\n'] as ['stdout', string] },
        { waitMs: 2_000 },
        { out: ['stdout', `\u001b[32mcompiling ${'very-long-module-name/'.repeat(6)}index.ts\u001b[39m\n`] as ['stdout', string] },
        { waitMs: 2_000 },
      ],
      code: 0,
    },
    check: { steps: [{ out: ['stdout', 'docs ok\n'] as ['stdout', string] }], code: 0 },
  };

  it('shows the running stage last output line dimmed, without its colours, cut to the width', async () => {
    const { runtime, bytes } = world(CONFIG, SCRIPTS, 60);
    expect(await driveToCompletion(runtime, () => runCli(['start', 'ci'], runtime))).toBe(0);
    const raw = bytes().toString('utf8');
    expect(raw).toContain(`${CLEAR}[ci 2/3] build running 0.0s  ${DIM}compiling 1 of 2${UNDIM}`);
    // 59 columns at most (60 wide): the long line is cut with an ellipsis to the 30 left, its colour codes dropped.
    const long = raw.split(CLEAR).find((draw) => draw.startsWith('[ci 2/3] build running 2.0s'));
    expect(long).toBeDefined();
    const visible = long!.replaceAll(DIM, '').replaceAll(UNDIM, '');
    expect(visible).toMatch(/^\[ci 2\/3\] build running 2\.0s {2}compiling very-long-module-na…$/);
    expect(Array.from(visible)).toHaveLength(59);
  });

  it('labels an allowed failure, and gives a subpipeline run its own line', async () => {
    const { runtime, bytes } = world(CONFIG, SCRIPTS);
    expect(await driveToCompletion(runtime, () => runCli(['start', 'ci'], runtime))).toBe(0);
    const screen = screenOf(bytes());
    expect(screen).toContain('[ci 1/3] lint failed, allowed to fail (exit 1, 0.0s)');
    expect(screen.some((line) => /^ {2}codex-orchestrator: started run \S+ \(pipeline docs\)$/.test(line))).toBe(true);
    expect(screen).toContain('  [docs 1/1] check succeeded (exit 0, 0.0s)');
    expect(screen).toContain('[ci 3/3] docs succeeded (0.0s)');
    expect(screen.filter((line) => line.includes('running'))).toEqual([]);
  });

  it('labels the stage a signal stopped as cancelled', async () => {
    const { runtime, bytes } = world(CONFIG, {
      ...SCRIPTS,
      lint: {
        steps: [{ waitMs: 1_000 }],
        code: 0,
      },
    });
    runtime.clock.setTimeout(() => runtime.signals.fire('SIGINT'), 500);
    expect(await driveToCompletion(runtime, () => runCli(['start', 'ci'], runtime))).toBe(130);
    const screen = screenOf(bytes());
    expect(screen.some((line) => /^\[ci 1\/3\] lint cancelled \(/.test(line))).toBe(true);
  });
});
