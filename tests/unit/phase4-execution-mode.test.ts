// Phase 4 (tasks/specs/0005-execution-mode-resolver.md): one execution-mode resolver with
// one preset per call site, each giving exactly what the parser it replaces gave.
//
// The oracle: a frozen copy of the three phase-0 parsers (B5), as they were in
// src/run/stage-dispatch.ts, src/commands/plan.ts and src/run/run-summary.ts. They are not
// to be edited: they are what "without changing a single answer" means.
import { ESLint } from 'eslint';
import { srcReports } from '../helpers/lint-src.js';
import fc from 'fast-check';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.js';
import { PLAN_MODE_LEGEND } from '../../src/commands/plan.js';
import { DISPATCH_PRESET, PLAN_PRESET, SUMMARY_PRESET, resolveExecutionMode, type ModePreset } from '../../src/run/execution-mode.js';
import { createVirtualRuntime } from '../../src/runtime/virtual-runtime.js';

type Mode = 'mcp' | 'cloud';
type Stage = { executionMode?: unknown; mode?: unknown; requires_cloud?: unknown; requiresCloud?: unknown };
type Task = { execution?: { parallel?: unknown } } | undefined;

const frozen = {
  dispatch(stage: Stage, task: Task): Mode {
    for (const flag of [stage.requires_cloud, stage.requiresCloud]) {
      if (typeof flag === 'boolean') return flag ? 'cloud' : 'mcp';
    }
    for (const value of [stage.executionMode, stage.mode]) {
      if (typeof value !== 'string') continue;
      const lowered = value.toLowerCase();
      if (lowered === 'cloud') return 'cloud';
      if (lowered === 'mcp') return 'mcp';
    }
    if (task?.execution?.parallel === true) return 'cloud';
    return 'mcp';
  },
  plan(stage: Stage): Mode {
    for (const flag of [stage.requires_cloud, stage.requiresCloud]) {
      if (typeof flag === 'boolean') return flag ? 'cloud' : 'mcp';
    }
    if (typeof stage.executionMode === 'string') {
      const word = stage.executionMode.trim().toLowerCase();
      if (word === 'cloud') return 'cloud';
      if (word === 'mcp') return 'mcp';
    }
    return 'mcp';
  },
  summary(stage: Stage, task: Task): Mode {
    let mode: Mode | null = null;
    for (const value of [stage.mode, stage.executionMode]) {
      if (typeof value !== 'string') continue;
      const word = value.trim().toLowerCase();
      if (['cloud', 'true', '1', 'yes'].includes(word)) {
        mode = 'cloud';
        break;
      }
      if (['mcp', 'false', '0', 'no'].includes(word)) {
        mode = 'mcp';
        break;
      }
    }
    if (mode === null) {
      for (const flag of [stage.requires_cloud, stage.requiresCloud]) {
        if (typeof flag === 'boolean') {
          mode = flag ? 'cloud' : 'mcp';
          break;
        }
      }
    }
    if (task?.execution?.parallel === true) return 'cloud';
    return mode ?? 'mcp';
  },
};

// Expected failures on phase-3 code (no resolver yet); flipped to `it` by the change.
const phase4 = it;

// Words any of the three rule sets knows, in any case, padded or not, and words none knows.
const word = fc
  .tuple(
    fc.constantFrom('cloud', 'mcp', 'true', 'false', '1', '0', 'yes', 'no', 'parallel', '', 'clouds', 'm cp'),
    fc.constantFrom('', ' ', '\t', '  \n'),
    fc.constantFrom('', ' ', '\t'),
    fc.boolean(),
  )
  .map(([w, before, after, upper]) => `${before}${upper ? w.toUpperCase() : w}${after}`);
const setting = fc.oneof(word, fc.boolean(), fc.string({ maxLength: 6 }), fc.integer({ min: -1, max: 2 }), fc.constant(null));
const stageArb: fc.Arbitrary<Stage> = fc.record(
  { executionMode: setting, mode: setting, requires_cloud: setting, requiresCloud: setting },
  { requiredKeys: [] },
);
const taskArb: fc.Arbitrary<Task> = fc.oneof(
  fc.constant(undefined),
  fc.constant({}),
  fc.record({
    execution: fc.oneof(
      fc.constant(undefined),
      fc.record({ parallel: fc.oneof(fc.boolean(), fc.constantFrom('true', 1, null)) }, { requiredKeys: [] }),
    ),
  }),
);

describe('phase 4: each preset gives what the parser it replaces gave', () => {
  const presets: Array<[name: string, preset: ModePreset, oracle: (stage: Stage, task: Task) => Mode]> = [
    ['DISPATCH_PRESET is the stage-dispatch rule set, for any stage and task metadata', DISPATCH_PRESET, frozen.dispatch],
    ['PLAN_PRESET is the plan-preview rule set (the task never changes it)', PLAN_PRESET, (stage) => frozen.plan(stage)],
    ['SUMMARY_PRESET is the run-summary rule set, for any stage and task metadata', SUMMARY_PRESET, frozen.summary],
  ];
  it.each(presets)('%s', (_name, preset, oracle) => {
    fc.assert(
      fc.property(stageArb, taskArb, (stage, task) => {
        expect(resolveExecutionMode(preset, stage, task)).toBe(oracle(stage, task));
      }),
      { numRuns: 3000 },
    );
  });
});

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('phase 4: codex/single-execution-mode-resolver is an error with 0 sites', () => {
  // Only the rule under test runs (the lint stage runs them all); its reports are all that is read.
  const eslint = new ESLint({ cwd: ROOT, ruleFilter: ({ ruleId }) => ruleId === 'codex/single-execution-mode-resolver' });
  const reports = async (file: string, code: string) => {
    const [result] = await eslint.lintText(code, { filePath: join(ROOT, file) });
    return result!.messages.filter((m) => m.ruleId === 'codex/single-execution-mode-resolver').map((m) => [m.severity, m.messageId]);
  };

  phase4('a new comparison with a mode word, or a read of a mode key, outside the resolver fails npm run lint', async () => {
    expect(await reports('src/commands/new-command.ts', "export const isCloud = (m: string) => m === 'cloud';\n")).toEqual([[2, 'compare']]);
    expect(await reports('src/run/new-step.ts', 'export const flag = (s: { requiresCloud?: unknown }) => s.requiresCloud;\n')).toEqual([[2, 'read']]);
  });

  phase4('src/ has 0 reports of the rule', async () => {
    expect(await srcReports('codex/single-execution-mode-resolver')).toEqual([]);
  });

  it('the resolver module itself may read the keys and compare the words', async () => {
    expect(await reports('src/run/execution-mode.ts', "export const isCloud = (m: string) => m === 'cloud';\n")).toEqual([]);
  });
});

describe('phase 4: plan --task is refused (the plan preview never read the task)', () => {
  const CONFIG = {
    pipelines: [{ id: 'main', title: 'Main', stages: [{ kind: 'command', id: 'build', title: 'Build', command: 'make' }] }],
  };
  const world = () => {
    const runtime = createVirtualRuntime({ cwd: '/repo', startMs: Date.parse('2026-12-01T09:00:00.000Z'), seed: 1 });
    runtime.fs.seedFile('/repo/codex.orchestrator.json', JSON.stringify(CONFIG));
    return runtime;
  };

  phase4('exit 2, one line naming the flag and where the task is read; nothing on stdout', async () => {
    const runtime = world();
    expect(await runCli(['plan', 'main', '--task', '0101'], runtime)).toBe(2);
    expect(runtime.stdout.text()).toBe('');
    const lines = runtime.stderr.text().trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^codex-orchestrator: plan: --task is not accepted: .*start/);
  });

  it('plan without --task is unchanged', async () => {
    const runtime = world();
    expect(await runCli(['plan', 'main'], runtime)).toBe(0);
    expect(runtime.stdout.text()).toBe(`Pipeline main (Main):\n  1. build [mcp] make\n${PLAN_MODE_LEGEND}\n`);
  });
});
