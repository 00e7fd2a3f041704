// Issue 18 item 4, spec 0012: a timing ratio is the median of interleaved pairs (each pair
// times both sides back to back, alternating which goes first, so a busy moment hits both),
// with its noise band (the pairs' 25th to 75th percentile). A ratio over its ceiling whose
// band still reaches under it is noise: not flagged; only a band wholly above it is, and a
// ratio never gates. A fake clock stands in for the wall clock.
import { describe, expect, it } from 'vitest';
import { checkBudgets, emptyBudgets } from '../../bench/budgets.js';
import * as latency from '../../bench/latency.js';

type PairRatio = { ratio: number; low: number; high: number; pairs: number; a_ms: number; b_ms: number };
type Interleaved = (
  a: () => Promise<void>,
  b: () => Promise<void>,
  options: { pairs: number; warmup: number; now: () => number },
) => Promise<PairRatio>;

describe('interleaved pairs', () => {
  it('alternate which side goes first and give the median ratio with its band', async () => {
    const interleavedRatio = (latency as unknown as { interleavedRatio: Interleaved }).interleavedRatio;
    let t = 0;
    const calls: string[] = [];
    // a costs 10 ms but 30 ms in one busy pair (which b feels too: 6 ms), b costs 2 ms.
    const aCosts = [10, 10, 10, 30, 10, 10, 10, 10];
    const bCosts = [2, 2, 2, 6, 2, 2, 2, 2];
    const a = async () => void calls.push('a') ?? (t += aCosts.shift()!);
    const b = async () => void calls.push('b') ?? (t += bCosts.shift()!);
    const r = await interleavedRatio(a, b, { pairs: 7, warmup: 1, now: () => t });
    expect(calls).toEqual(['a', 'b', 'a', 'b', 'b', 'a', 'a', 'b', 'b', 'a', 'a', 'b', 'b', 'a', 'a', 'b']);
    expect(r).toEqual({ ratio: 5, low: 5, high: 5, pairs: 7, a_ms: 10, b_ms: 2 });
  });

  it('a ratio over its ceiling whose band reaches under it is noise; a band wholly above is flagged; neither gates', () => {
    const budgets = emptyBudgets();
    budgets.ratios.stage_overhead_ratio = 10;
    budgets.ratios.cli_startup_ratio = 10;
    const measured = {
      latency: {
        forced_write_p50_ms: 1,
        forced_write_p99_ms: 2,
        stage_ms: 12,
        direct_spawn_ms: 1,
        stage_overhead_ratio: 12,
        stage_overhead_band: [9, 14],
        cli_start_ms: 12,
        node_start_ms: 1,
        cli_startup_ratio: 12,
        cli_startup_band: [11, 14],
      },
    };
    const verdicts = checkBudgets(budgets, measured as never);
    const stage = verdicts.find((v) => v.figure === 'ratios.stage_overhead_ratio')!;
    const cli = verdicts.find((v) => v.figure === 'ratios.cli_startup_ratio')!;
    expect([stage.over, stage.gates, stage.note]).toEqual([false, false, 'within the noise band 9-14x']);
    expect([cli.over, cli.gates, cli.note]).toEqual([true, false, 'band 11-14x, wholly over']);
  });
});
