// Issue 18 (part A): `plan` shows allow-failure and optional per stage and explains its mode
// column; the `Guardrails: …` line is printed only for pipelines that require guardrails
// (the manifest keeps it either way: docs/contracts.md §4).
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.js';
import type { Executor } from '../../src/runtime/types.js';
import { createVirtualRuntime, driveToCompletion } from '../../src/runtime/virtual-runtime.js';

const T0 = Date.parse('2026-08-01T09:00:00.000Z');

const CONFIG = {
  pipelines: [
    {
      id: 'ci',
      title: 'CI',
      stages: [
        { kind: 'command', id: 'build', title: 'Build', command: 'build' },
        { kind: 'command', id: 'lint', title: 'Lint', command: 'lint', allowFailure: true },
        { kind: 'subpipeline', id: 'docs', title: 'Docs', pipeline: 'docs', optional: true },
        { kind: 'command', id: 'publish', title: 'Publish', command: 'publish', requiresCloud: true },
      ],
    },
    { id: 'docs', title: 'Docs', stages: [{ kind: 'command', id: 'check', title: 'Check', command: 'check' }] },
    {
      id: 'gate',
      title: 'Gate',
      guardrailsRequired: true,
      stages: [
        { kind: 'command', id: 'spec', title: 'Spec guard', command: 'spec-guard' },
        { kind: 'command', id: 'test', title: 'Test', command: 'test' },
      ],
    },
  ],
};

/** Every command exits 0 except those listed. */
function exits(codes: Record<string, number>): Executor {
  return {
    start(request) {
      return { done: Promise.resolve({ exitCode: codes[request.command] ?? 0, signal: null }), cancel: () => undefined };
    },
  };
}

function world(codes: Record<string, number> = {}) {
  const runtime = createVirtualRuntime({ startMs: T0, seed: 7, cwd: '/repo', executor: exits(codes) });
  runtime.fs.seedFile('/repo/codex.orchestrator.json', JSON.stringify(CONFIG));
  return runtime;
}

describe('plan', () => {
  it('marks allow-failure and optional stages and ends with a legend of the mode column', async () => {
    const runtime = world();
    expect(await driveToCompletion(runtime, () => runCli(['plan', 'ci'], runtime))).toBe(0);
    expect(runtime.stdout.text()).toBe(
      [
        'Pipeline ci (CI):',
        '  1. build [mcp] build',
        '  2. lint [mcp] lint  (allow-failure)',
        '  3. docs [subpipeline docs]  (optional)',
        '    1. check [mcp] check',
        '  4. publish [cloud] publish',
        'mode: [mcp] runs on this machine; [cloud] runs on a worker when CODEX_ORCHESTRATOR_REDIS_URL is set, else here.',
        'allow-failure: the run goes on (and can succeed) when the stage fails. optional: a failed subpipeline does not fail the run.',
        '',
      ].join('\n'),
    );
  });

  it('JSON has allow_failure and optional on every stage', async () => {
    const runtime = world();
    expect(await driveToCompletion(runtime, () => runCli(['plan', 'ci', '--format', 'json'], runtime))).toBe(0);
    const plan = JSON.parse(runtime.stdout.text()) as { stages: Array<{ id: string; allow_failure: boolean; optional: boolean }> };
    expect(plan.stages.map((s) => [s.id, s.allow_failure, s.optional])).toEqual([
      ['build', false, false],
      ['lint', true, false],
      ['docs', false, true],
      ['publish', false, false],
    ]);
  });
});

describe('the Guardrails line', () => {
  it('is not printed for a pipeline that does not require guardrails (start, status), but stays in the manifest', async () => {
    const runtime = world();
    expect(await driveToCompletion(runtime, () => runCli(['start', 'ci'], runtime))).toBe(0);
    const out = runtime.stdout.text();
    expect(out).not.toContain('Guardrails');
    const runId = /^Run (\S+) succeeded/.exec(out)![1]!;
    const manifest = JSON.parse(runtime.fs.files().get(`/repo/.runs/0101/cli/${runId}/manifest.json`)!.toString()) as { summary: string };
    expect(manifest.summary).toContain('Guardrails: spec-guard command not found.');
    const status = createVirtualRuntime({ startMs: T0, seed: 8, cwd: '/repo', fs: runtime.fs });
    expect(await driveToCompletion(status, () => runCli(['status', '--run', runId], status))).toBe(0);
    expect(status.stdout.text()).not.toContain('Guardrails');
  });

  it('is printed for a pipeline that requires guardrails, red or green', async () => {
    const runtime = world({ test: 1 });
    expect(await driveToCompletion(runtime, () => runCli(['start', 'gate'], runtime))).toBe(1);
    expect(runtime.stdout.text()).toContain('  Guardrails: 1/1 succeeded.');
  });
});
