// The stage-to-stage gap (bench/gap.ts): on the virtual runtime it is exact and must be 0 ms;
// a forced write that waits out the throttle (seeded below through a patched persister) makes
// it the throttle's interval, and the budget check names it as a gating figure.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { checkBudgets, emptyBudgets, updateBudgets } from '../../bench/budgets.js';
import type { GapResults } from '../../bench/gap.js';

afterEach(() => {
  vi.doUnmock('../../src/persist/persister.js');
  vi.resetModules();
});

const gap = (virtual: number, ratio: number | null): GapResults => ({
  stages: 6,
  virtual_gap_ms: virtual,
  real_gap_p50_ms: 4,
  baseline: { label: 'phase-0', commit: 'a'.repeat(40), note: null },
  baseline_gap_p50_ms: ratio === null ? null : 4 / ratio,
  stage_gap_ratio: ratio,
});

describe('the stage-to-stage gap', () => {
  it('is 0 ms on the virtual runtime: nothing between two stages waits on the clock', async () => {
    const { measureVirtualGap } = await import('../../bench/gap.js');
    expect(await measureVirtualGap()).toBe(0);
  });

  it('is the throttle interval when a forced write waits out the throttle (a seeded regression)', async () => {
    vi.resetModules();
    vi.doMock('../../src/persist/persister.js', async (importOriginal) => {
      const original = await importOriginal<typeof import('../../src/persist/persister.js')>();
      class WaitsOutThrottle extends original.ManifestPersister {
        override update(transition: Parameters<original.ManifestPersister['update']>[0], options: { force?: boolean } = {}): Promise<void> {
          if (!options.force) return super.update(transition, options);
          void super.update(transition); // a plain request: it arms the throttle
          const clock = (this as unknown as { paths: { clock: { setTimeout(fn: () => void, ms: number): unknown } } }).paths.clock;
          return new Promise<void>((resolve) => clock.setTimeout(resolve, 5_000)).then(() => super.persist({ force: true }));
        }
      }
      return { ...original, ManifestPersister: WaitsOutThrottle };
    });
    const { measureVirtualGap } = await import('../../bench/gap.js');
    expect(await measureVirtualGap()).toBe(5_000);
  });

  it('the virtual gap gates; the real ratio against the baseline informs', () => {
    const budgets = {
      ...emptyBudgets(),
      gap: { virtual_gap_ms: 0 },
      ratios: { stage_overhead_ratio: null, cli_startup_ratio: null, stage_gap_ratio: 1.5 },
    };
    const ok = checkBudgets(budgets, { gap: gap(0, 1.2) });
    expect(ok.filter((v) => v.over)).toEqual([]);
    const bad = checkBudgets(budgets, { gap: gap(5_000, 3) });
    expect(bad.filter((v) => v.over && v.gates).map((v) => v.figure)).toEqual(['gap.virtual_gap_ms']);
    expect(bad.filter((v) => v.over && !v.gates).map((v) => v.figure)).toEqual(['ratios.stage_gap_ratio']);
    // No baseline measured (a shallow clone): no ratio figure at all, the virtual gap still gates.
    expect(checkBudgets(budgets, { gap: gap(0, null) }).map((v) => v.figure)).toEqual(['gap.virtual_gap_ms']);
  });

  it('--update sets the virtual gap exactly and the ratio with headroom, and refuses a larger gap', () => {
    const first = updateBudgets(emptyBudgets(), { gap: gap(0, 1.2) }, null, '2026-11-30');
    expect(first.budgets.gap.virtual_gap_ms).toBe(0);
    expect(first.budgets.ratios.stage_gap_ratio).toBe(2.4);
    const worse = updateBudgets(first.budgets, { gap: gap(250, 1.2) }, null, '2026-11-30');
    expect(worse.refused).toEqual(['gap.virtual_gap_ms: 250 is over the ceiling 0']);
  });
});
