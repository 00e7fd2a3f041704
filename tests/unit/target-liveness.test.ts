// One --target validation and cut (start, plan, the stage loop) and one heartbeat staleness
// rule (status, resume).
import { describe, expect, it } from 'vitest';
import { heartbeatStale } from '../../src/manifest/liveness.js';
import { runsUnderTarget, targetIndex, validateTarget } from '../../src/run/target.js';

const pipeline = { id: 'gate', stages: [{ id: 'build' }, { id: 'lint' }, { id: 'test' }] };

describe('--target', () => {
  it('runs the stages up to and including the target; all without one', () => {
    expect([0, 1, 2].map((i) => runsUnderTarget(pipeline, 'lint', i))).toEqual([true, true, false]);
    expect([0, 1, 2].map((i) => runsUnderTarget(pipeline, null, i))).toEqual([true, true, true]);
    expect(targetIndex(pipeline, 'test')).toBe(2);
  });

  it('an unknown stage is one line of bad input naming the pipeline and its stages', () => {
    expect(() => validateTarget(pipeline, 'deploy')).toThrow("--target: pipeline 'gate' has no stage 'deploy' (stages: build, lint, test)");
    expect(() => validateTarget(pipeline, null)).not.toThrow();
  });
});

describe('heartbeat staleness', () => {
  const at = (iso: string) => Date.parse(iso);
  const run = (status: 'queued' | 'in_progress' | 'failed', heartbeat_at: string | null) => ({
    status,
    heartbeat_at,
    updated_at: '2026-01-05T09:00:00.000Z',
    heartbeat_stale_after_seconds: 30,
  });

  it('an active run is stale only once its heartbeat is more than 30 s old', () => {
    expect(heartbeatStale(run('in_progress', '2026-01-05T09:00:10.000Z'), at('2026-01-05T09:00:40.000Z'))).toBe(false);
    expect(heartbeatStale(run('in_progress', '2026-01-05T09:00:10.000Z'), at('2026-01-05T09:00:40.001Z'))).toBe(true);
  });

  it('a queued run without a heartbeat counts from updated_at; a finished run is never stale', () => {
    expect(heartbeatStale(run('queued', null), at('2026-01-05T09:00:30.000Z'))).toBe(false);
    expect(heartbeatStale(run('queued', null), at('2026-01-05T09:00:31.000Z'))).toBe(true);
    expect(heartbeatStale(run('failed', '2020-01-01T00:00:00.000Z'), at('2026-01-05T09:00:31.000Z'))).toBe(false);
  });
});
