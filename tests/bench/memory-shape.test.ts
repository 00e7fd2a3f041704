// Phase 3's memory targets (tasks/specs/0004-bounded-exec-capture.md), read from the bench's
// memory rows: capped rows flat (within 16 MB of the 16 MB row), unbounded growth at most
// 1.2 MB of RSS per MB of output. They gate, at the spec's figures.
import { describe, expect, it } from 'vitest';
import { checkBudgets, emptyBudgets } from '../../bench/budgets.js';

describe('memory shape (phase 3 targets)', () => {
  const row = (size: number, rss: number, cap: number | null = null) => ({
    size_mb: size,
    cap,
    finished: true,
    reason: null,
    heap_growth_mb: 1,
    rss_growth_mb: rss,
    seconds: 1,
  });

  it('capped rows: the spread over the 16 MB row; unbounded rows: rss growth per MB between 16 MB and the largest', async () => {
    const { memoryShape } = await import('../../bench/memory.js');
    expect(memoryShape([row(16, 30), row(64, 90), row(256, 318), row(16, 20, 100), row(256, 30, 100), row(1024, 34, 100)])).toEqual({
      capped_spread_mb: 14,
      unbounded_rss_per_mb: 1.2,
    });
    expect(memoryShape([row(16, 30)])).toEqual({ capped_spread_mb: null, unbounded_rss_per_mb: null });
  });

  it('both gate at the spec targets (16 MB, 1.2 MB/MB), whatever bench/budgets.json says', () => {
    const verdicts = checkBudgets(emptyBudgets(), { memory: [row(16, 30), row(256, 340), row(16, 20, 100), row(1024, 40, 100)] });
    const shape = verdicts.filter((v) => v.figure.startsWith('memory.capped') || v.figure.startsWith('memory.unbounded'));
    expect(shape.map((v) => [v.figure, v.value, v.ceiling, v.over, v.gates])).toEqual([
      ['memory.capped_spread_mb', 20, 16, true, true],
      ['memory.unbounded_rss_per_mb', 1.29, 1.2, true, true],
    ]);
    // A capped row has its own budget key and figure names.
    expect(verdicts.map((v) => v.figure)).toContain('memory.1024mb-capped.finishes');
  });
});

describe('the memory probe measures its own peak', () => {
  it('a probe started by a process holding 256 MB does not report that as its own growth', async () => {
    const { spawnSync } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const probe = fileURLToPath(new URL('../../dist/bench/memory-probe.js', import.meta.url));
    // Touched, so it is resident: getrusage's maxRSS (kept by Linux across fork and exec) would start the probe at this.
    const held = Buffer.alloc(256 * 1024 * 1024, 1);
    const run = spawnSync(process.execPath, ['--expose-gc', probe, '1', '100'], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { rss_growth_mb: number; finished: boolean };
    expect(result.finished).toBe(true);
    expect(result.rss_growth_mb).toBeLessThan(128);
    expect(held[held.length - 1]).toBe(1);
  });
});
