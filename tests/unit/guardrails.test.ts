// The guardrail status over the spec-guard stages, and when it blocks a run that requires it:
// every count, summary and recommendation exactly, at each boundary.
import { describe, expect, it } from 'vitest';
import { testManifest } from '../helpers/manifest-fixture.js';
import type { CommandStatus, Manifest } from '../../src/manifest/schema.js';
import { addChildRun, computeGuardrailStatus, guardrailsBlock, updateChildRun, updateCommandStatus } from '../../src/manifest/transitions.js';

const T0 = Date.parse('2026-06-01T08:00:00.000Z');

/** A manifest whose stages are spec-guard commands in the given statuses, after a `build` stage. */
function manifest(statuses: CommandStatus[], required = true): Manifest {
  const m = testManifest({
    nowMs: T0,
    resumeToken: 'e'.repeat(64),
    stages: [
      { id: 'build', title: 'Build', kind: 'command', command: 'npm run build' },
      // A subpipeline entry is never a guard, whatever text it carries.
      { id: 'sub', title: 'Sub', kind: 'subpipeline', command: 'npm run spec-guard' },
      ...statuses.map((_, i) => ({ id: `guard-${i}`, title: 'Guard', kind: 'command' as const, command: 'npm run spec-guard -- --dry-run' })),
    ],
    guardrailsRequired: required,
  });
  statuses.forEach((status, i) => updateCommandStatus(m, i + 2, { status }));
  updateCommandStatus(m, 0, { status: 'failed' }); // not a guard: never counted
  m.guardrail_status = computeGuardrailStatus(m, T0 + 1_000);
  return m;
}

describe('computeGuardrailStatus', () => {
  it('counts each status of the spec-guard stages apart; other stages are not guards', () => {
    const m = manifest(['succeeded', 'failed', 'skipped', 'pending', 'running', 'skipped', 'skipped']);
    expect(m.guardrail_status).toEqual({
      present: true,
      recommendation: 'Review the spec-guard output before merging.',
      summary: 'Guardrails: 1/7 succeeded, 1 failed.',
      computed_at: '2026-06-01T08:00:01.000Z',
      counts: { total: 7, succeeded: 1, failed: 1, skipped: 3, other: 2 },
    });
  });

  it('no guard at all: not present, and says to add one', () => {
    expect(manifest([]).guardrail_status).toEqual({
      present: false,
      recommendation: 'Add a spec-guard stage to the pipeline.',
      summary: 'Guardrails: spec-guard command not found.',
      computed_at: '2026-06-01T08:00:01.000Z',
      counts: { total: 0, succeeded: 0, failed: 0, skipped: 0, other: 0 },
    });
  });

  it('guards not run to the end and none failed: how many did not run, and to run them', () => {
    const m = manifest(['succeeded', 'pending', 'skipped']);
    expect(m.guardrail_status.summary).toBe('Guardrails: 1/3 succeeded, 2 not run.');
    expect(m.guardrail_status.recommendation).toBe('Run the spec-guard stage to completion.');
    expect(m.guardrail_status.counts).toEqual({ total: 3, succeeded: 1, failed: 0, skipped: 1, other: 1 });
  });

  it('every guard succeeded: no recommendation', () => {
    const m = manifest(['succeeded', 'succeeded']);
    expect([m.guardrail_status.summary, m.guardrail_status.recommendation]).toEqual(['Guardrails: 2/2 succeeded.', null]);
  });
});

describe('guardrailsBlock', () => {
  it('blocks a run that requires guardrails when one is missing or did not succeed, and never one that does not require them', () => {
    expect(guardrailsBlock(manifest(['succeeded', 'succeeded']))).toBe(false);
    expect(guardrailsBlock(manifest(['succeeded', 'skipped']))).toBe(true);
    expect(guardrailsBlock(manifest(['failed']))).toBe(true);
    expect(guardrailsBlock(manifest([]))).toBe(true);
    expect(guardrailsBlock(manifest([], false))).toBe(false);
    expect(guardrailsBlock(manifest(['failed'], false))).toBe(false);
  });
});

describe('child runs', () => {
  it('updateChildRun sets the status of the named child run, and refuses a run id the manifest does not list', () => {
    const m = manifest([]);
    const child = addChildRun(m, { run_id: 'child-1', pipeline_id: 'checks', status: 'in_progress', manifest: 'x/manifest.json' });
    addChildRun(m, { run_id: 'child-2', pipeline_id: 'checks', status: 'in_progress', manifest: 'y/manifest.json' });
    updateChildRun(m, 'child-1', 'failed');
    expect(child.status).toBe('failed');
    expect(m.child_runs.map((c) => c.status)).toEqual(['failed', 'in_progress']);
    expect(() => updateChildRun(m, 'child-3', 'succeeded')).toThrow(new Error('manifest has no child run child-3'));
  });
});

describe('updateCommandStatus', () => {
  it('refuses an index the manifest has no command for, naming it 1-based', () => {
    const m = manifest(['succeeded']);
    expect(() => updateCommandStatus(m, 3, { status: 'failed' })).toThrow(new Error('manifest has no command #4'));
    expect(() => updateCommandStatus(m, -1, { status: 'failed' })).toThrow(new Error('manifest has no command #0'));
  });
});
