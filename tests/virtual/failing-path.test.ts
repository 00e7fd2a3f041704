// Issue 18: a red run says why in text mode: the failing stage's last lines (stdout and
// stderr merged in order, colours stripped, at most 20) and its log, a totals line, and the
// exact resume command.
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.js';
import type { Executor } from '../../src/runtime/types.js';
import { createVirtualRuntime, driveToCompletion } from '../../src/runtime/virtual-runtime.js';

const says = it;

const CONFIG = {
  pipelines: [
    {
      id: 'ci',
      title: 'CI',
      stages: [
        { kind: 'command', id: 'prepare', title: 'Prepare', command: 'prepare' },
        { kind: 'command', id: 'lint', title: 'Lint', command: 'lint', allowFailure: true },
        { kind: 'command', id: 'test', title: 'Test', command: 'test' },
        { kind: 'command', id: 'docs', title: 'Docs', command: 'docs' },
      ],
    },
  ],
};

// Each command prints what the map says, chunk by chunk, then exits with its code.
const SCRIPT: Record<string, { out: Array<['stdout' | 'stderr', string]>; code: number }> = {
  prepare: { out: [['stdout', 'ready\n']], code: 0 },
  lint: { out: [['stderr', 'warning: unused\n']], code: 1 },
  test: {
    out: [
      ...Array.from({ length: 30 }, (_, k): ['stdout', string] => ['stdout', `line ${k}\n`]),
      ['stderr', '\u001b[31mFAIL\u001b[39m tests/a.test.ts > adds\n'],
      ['stdout', 'AssertionError: expected 2 to be 3\n'],
      ['stdout', '⎯⎯⎯[1/1]⎯\n'],
    ],
    code: 1,
  },
  docs: { out: [], code: 0 },
};

const executor: Executor = {
  start(request, onChunk) {
    const script = SCRIPT[request.command]!;
    const done = (async () => {
      for (const [stream, text] of script.out) await onChunk({ stream, data: Buffer.from(text) });
      return { exitCode: script.code, signal: null };
    })();
    return { done, cancel: () => undefined };
  },
};

describe('a red run in text mode', () => {
  says('prints the failing stage last lines and its log, the totals and the resume command', async () => {
    const runtime = createVirtualRuntime({ startMs: Date.parse('2026-08-01T09:00:00.000Z'), seed: 3, cwd: '/repo', executor });
    runtime.fs.seedFile('/repo/codex.orchestrator.json', JSON.stringify(CONFIG));
    expect(await driveToCompletion(runtime, () => runCli(['start', 'ci'], runtime))).toBe(1);
    const out = runtime.stdout.text();
    const runId = /^Run (\S+) failed/.exec(out)![1]!;
    const lines = out.split('\n');
    const at = lines.indexOf(`  failed stage: test (exit 1), its last lines (.runs/0101/cli/${runId}/commands/03-test.ndjson):`);
    expect(at, out).toBeGreaterThan(0);
    // 20 lines, in the order printed, stdout and stderr merged, colours stripped.
    expect(lines.slice(at + 1, at + 21)).toEqual([
      ...Array.from({ length: 17 }, (_, k) => `    line ${k + 13}`),
      '    FAIL tests/a.test.ts > adds',
      '    AssertionError: expected 2 to be 3',
      '    ⎯⎯⎯[1/1]⎯',
    ]);
    expect(lines.at(-3)).toBe('  stages: 1 succeeded, 1 allowed to fail, 1 failed, 1 not run (0.0s)');
    expect(lines.at(-2)).toBe(`  resume: codex-orchestrator resume --run ${runId}`);
  });

  says('a green run ends with its totals and no resume command', async () => {
    const runtime = createVirtualRuntime({ startMs: Date.parse('2026-08-01T09:00:00.000Z'), seed: 3, cwd: '/repo', executor });
    const green = { pipelines: [{ ...CONFIG.pipelines[0]!, stages: CONFIG.pipelines[0]!.stages.filter((s) => s.id !== 'test') }] };
    runtime.fs.seedFile('/repo/codex.orchestrator.json', JSON.stringify(green));
    expect(await driveToCompletion(runtime, () => runCli(['start', 'ci'], runtime))).toBe(0);
    const out = runtime.stdout.text();
    expect(out.split('\n').at(-2)).toBe('  stages: 2 succeeded, 1 allowed to fail, 0 failed, 0 not run (0.0s)');
    expect(out).not.toContain('resume:');
    expect(out).not.toContain('failed stage:');
  });
});

describe('--version', () => {
  it("prints the package's version on stdout and exits 0 (issue 18; it was an unknown option)", async () => {
    const { readFileSync } = await import('node:fs');
    const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
    const runtime = createVirtualRuntime({ startMs: 0, seed: 1, cwd: '/repo', executor });
    expect(await driveToCompletion(runtime, () => runCli(['--version'], runtime))).toBe(0);
    expect(runtime.stdout.text()).toBe(`${version}\n`);
    expect(runtime.stderr.text()).toBe('');
  });
});

describe('the error record', () => {
  const plain = it;
  plain("keeps the stage's stderr without terminal colours (issue 18)", async () => {
    const runtime = createVirtualRuntime({ startMs: Date.parse('2026-08-01T09:00:00.000Z'), seed: 3, cwd: '/repo', executor });
    runtime.fs.seedFile(
      '/repo/codex.orchestrator.json',
      JSON.stringify({ pipelines: [{ ...CONFIG.pipelines[0]!, stages: [CONFIG.pipelines[0]!.stages[2]!] }] }),
    );
    expect(await driveToCompletion(runtime, () => runCli(['start', 'ci'], runtime))).toBe(1);
    const errorFile = [...runtime.fs.files().entries()].find(([path]) => path.endsWith('/errors/01-test.json'))!;
    const record = JSON.parse(errorFile[1].toString('utf8')) as { details: { stderr: string } };
    expect(record.details.stderr).toBe('FAIL tests/a.test.ts > adds\n');
  });
});
