// Phase 5's target (tasks/specs/0006-metrics-env-hygiene.md), measured by the bench on the
// replay of golden/noisy-stage (three replays of 10,000 chunks: the bench's counts section
// measures it, the lane's bench stage gates it): the run manifest's bytes per write, and per
// run, do not grow with the output (within 2% of a 1-chunk stage's).
import { describe, expect, it } from 'vitest';
import { checkBudgets, emptyBudgets } from '../../bench/budgets.js';
import type { ManifestGrowth } from '../../bench/manifest-growth.js';

describe('manifest growth with output (phase 5 target)', () => {
  it('gates at the spec targets whatever bench/budgets.json says: phase 4 measured 544x', () => {
    const phase4: ManifestGrowth = {
      one_chunk_writes: 5,
      one_chunk_bytes: 15_450,
      noisy_writes: 5,
      noisy_bytes: 8_410_145,
      noisy_long_writes: 5,
      noisy_long_bytes: 8_410_145,
      bytes_per_write_ratio: 544.346,
      total_bytes_ratio: 544.346,
    };
    const verdicts = checkBudgets(emptyBudgets(), { manifest: phase4 }).filter((v) => v.figure.startsWith('manifest.'));
    expect(verdicts.map((v) => [v.figure, v.value, v.ceiling, v.over, v.gates])).toEqual([
      ['manifest.bytes_per_write_ratio', 544.346, 1.02, true, true],
      ['manifest.total_bytes_ratio', 544.346, 1.02, true, true],
    ]);
  });
});
