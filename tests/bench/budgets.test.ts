import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../helpers/temp-dirs.js';
import { checkBudgets, emptyBudgets, readBudgets, updateBudgets, type Budgets, type Measured } from '../../bench/budgets.js';
import { measureCounts, summarizeCounts } from '../../bench/counts.js';
import { compareResults, readHistory } from '../../bench/history.js';
import { InputError } from '../../src/errors.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const counts = (manifest: number, bytes = 1000) => ({ manifest_writes: manifest, heartbeat_writes: 1, other_writes: 10, bytes, fsyncs: 0 });
const probe = (size: number, heap: number, finished = true) => ({
  size_mb: size,
  finished,
  reason: finished ? null : 'out of memory',
  heap_growth_mb: heap,
  rss_growth_mb: heap * 2,
  seconds: 1,
});

describe('write counts against the committed budgets (exact, from the golden replay)', () => {
  it('every scenario is within bench/budgets.json and every scenario has a budget', async () => {
    const budgets = readBudgets(join(ROOT, 'bench/budgets.json'));
    const { scenarios } = await measureCounts(join(ROOT, 'golden'));
    const verdicts = checkBudgets(budgets, { counts: scenarios });
    expect(verdicts.filter((v) => v.over)).toEqual([]);
    expect(Object.keys(budgets.counts).sort()).toEqual(Object.keys(scenarios).sort());
  });

  it('sorts writes into manifest, heartbeat and other', () => {
    const c = summarizeCounts(
      new Map([
        ['.runs/0101/cli/r/manifest.json', { writes: 3, bytes: 30, fsyncs: 0 }],
        ['.runs/0101/mcp/r/manifest.json', { writes: 1, bytes: 5, fsyncs: 0 }],
        ['.runs/0101/cli/r/.heartbeat', { writes: 2, bytes: 50, fsyncs: 1 }],
        ['.runs/0101/cli/r/runner.ndjson', { writes: 7, bytes: 700, fsyncs: 0 }],
      ]),
    );
    expect(c).toEqual({ manifest_writes: 3, heartbeat_writes: 2, other_writes: 8, bytes: 785, fsyncs: 1 });
  });
});

describe('budget checks', () => {
  const budgets: Budgets = {
    ...emptyBudgets(),
    counts: { a: counts(5) },
    memory: {
      '16': { finishes: true, heap_growth_mb: 50, rss_growth_mb: 100 },
      '256': { finishes: false, heap_growth_mb: null, rss_growth_mb: null },
    },
    ratios: { stage_overhead_ratio: 3, cli_startup_ratio: 5, stage_gap_ratio: null },
  };

  it('names each figure over its ceiling', () => {
    const measured: Measured = {
      counts: { a: counts(6), b: counts(1) },
      memory: [probe(16, 60), probe(256, 0, false)],
      latency: {
        forced_write_p50_ms: 1,
        forced_write_p99_ms: 2,
        stage_ms: 4,
        direct_spawn_ms: 1,
        stage_overhead_ratio: 4,
        cli_start_ms: 1,
        node_start_ms: 1,
        cli_startup_ratio: 1,
      },
    };
    const over = checkBudgets(budgets, measured)
      .filter((v) => v.over)
      .map((v) => v.figure);
    expect(over).toEqual([
      'counts.a.manifest_writes',
      ...['manifest_writes', 'heartbeat_writes', 'other_writes', 'bytes', 'fsyncs'].map((f) => `counts.b.${f}`),
      'memory.16mb.heap_growth_mb',
      'memory.16mb.rss_growth_mb',
      'ratios.stage_overhead_ratio',
    ]);
  });

  it('timing ratios inform and never gate; counts and memory gate', () => {
    const verdicts = checkBudgets(budgets, {
      counts: { a: counts(6) },
      latency: {
        forced_write_p50_ms: 1,
        forced_write_p99_ms: 2,
        stage_ms: 40,
        direct_spawn_ms: 1,
        stage_overhead_ratio: 40,
        cli_start_ms: 9,
        node_start_ms: 1,
        cli_startup_ratio: 9,
      },
    });
    const gating = verdicts.filter((v) => v.over && v.gates).map((v) => v.figure);
    const informing = verdicts.filter((v) => v.over && !v.gates).map((v) => v.figure);
    expect(gating).toEqual(['counts.a.manifest_writes']);
    expect(informing).toEqual(['ratios.stage_overhead_ratio', 'ratios.cli_startup_ratio']);
  });

  it('a size that must finish and does not is over budget', () => {
    const strict = { ...budgets, memory: { '256': { finishes: true, heap_growth_mb: 900, rss_growth_mb: 1800 } } };
    expect(checkBudgets(strict, { memory: [probe(256, 0, false)] })).toEqual([
      { figure: 'memory.256mb.finishes', value: false, ceiling: true, over: true, gates: true, note: 'out of memory' },
    ]);
  });
});

describe('budget updates', () => {
  const base: Budgets = {
    ...emptyBudgets(),
    counts: { a: counts(5, 1000), gone: counts(1) },
    ratios: { stage_overhead_ratio: 3, cli_startup_ratio: 5 },
  };

  it('lowers ceilings to what was measured, and drops scenarios that are gone', () => {
    const result = updateBudgets(base, { counts: { a: counts(4, 900) } }, null, '2026-11-25');
    expect(result.refused).toEqual([]);
    expect(result.budgets.counts).toEqual({ a: counts(4, 900) });
    expect(result.lowered).toEqual(['counts.a.manifest_writes: 5 -> 4', 'counts.a.bytes: 1000 -> 900']);
    expect(result.budgets.increases).toEqual([]);
  });

  it('refuses to raise a ceiling without a reason', () => {
    const result = updateBudgets(base, { counts: { a: counts(7, 1000) } }, null, '2026-11-25');
    expect(result.refused).toEqual(['counts.a.manifest_writes: 7 is over the ceiling 5']);
  });

  it('raises with --allow-increase and keeps the reason in the file', () => {
    const result = updateBudgets(base, { counts: { a: counts(7, 1000) } }, 'phase 1 adds an fsync write', '2026-11-25');
    expect(result.budgets.counts.a!.manifest_writes).toBe(7);
    expect(result.budgets.increases).toEqual([
      { figure: 'counts.a.manifest_writes', from: 5, to: 7, reason: 'phase 1 adds an fsync write', date: '2026-11-25' },
    ]);
  });

  it('keeps a noisy ceiling when the measurement is under it but its headroom is not', () => {
    const latency = {
      forced_write_p50_ms: 1,
      forced_write_p99_ms: 2,
      stage_ms: 1,
      direct_spawn_ms: 1,
      stage_overhead_ratio: 2.9,
      cli_start_ms: 1,
      node_start_ms: 1,
      cli_startup_ratio: 1,
    };
    const result = updateBudgets(base, { latency }, null, '2026-11-25');
    expect(result.budgets.ratios).toEqual({ stage_overhead_ratio: 3, cli_startup_ratio: 2 });
    expect(result.refused).toEqual([]);
  });
});

describe('bench history', () => {
  it('compares two runs figure by figure', () => {
    const deltas = compareResults({ counts: { a: counts(10, 2000) } }, { counts: { a: counts(4, 1000) } });
    expect(deltas.find((d) => d.figure === 'counts.a.manifest_writes')).toEqual({
      figure: 'counts.a.manifest_writes',
      before: 10,
      now: 4,
      delta: -6,
      percent: -60,
    });
    expect(deltas.find((d) => d.figure === 'counts.a.fsyncs')).toMatchObject({ delta: 0 });
  });

  it('bench/history/phase-0.json holds the phase-0 baseline for every section', () => {
    const entry = JSON.parse(spawnSync('cat', [join(ROOT, 'bench/history/phase-0.json')], { encoding: 'utf8' }).stdout) as {
      label: string;
      results: Measured;
    };
    expect(entry.label).toBe('phase-0');
    expect(Object.keys(entry.results.counts ?? {}).length).toBeGreaterThanOrEqual(20);
    expect(entry.results.memory?.map((m) => m.size_mb)).toEqual([16, 64, 256]);
    expect(entry.results.latency?.stage_overhead_ratio).toBeGreaterThan(1);
  });
});

describe('bench CLI input errors', () => {
  const bench = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'dist/bench/run-bench.js'), ...args], { cwd: ROOT, encoding: 'utf8' });

  it('refuses --allow-increase without --update, an unknown history label, a bad section and an unknown gap baseline', () => {
    const a = bench('--only', 'counts', '--allow-increase', 'x');
    expect(a.status).toBe(2);
    expect(a.stderr.trim()).toBe('bench: --allow-increase goes with --update');
    const b = bench('--only', 'counts', '--compare', 'phase-99');
    expect(b.status).toBe(2);
    expect(b.stderr).toContain("bench: no bench history named 'phase-99'");
    const c = bench('--only', 'timings');
    expect(c.status).toBe(2);
    expect(c.stderr).toContain('expected a comma-separated list of counts, memory, latency, gap');
    const d = bench('--only', 'gap', '--gap-against', 'phase-99');
    expect(d.status).toBe(2);
    expect(d.stderr.trim()).toBe('bench: --gap-against phase-99: no bench/history/phase-99.json to build that phase from');
  });

  it("--record never replaces a recorded run, records no part of one, and leaves the other tools' records alone", () => {
    const before = spawnSync('git', ['status', '--porcelain', '--', 'bench/history'], { cwd: ROOT, encoding: 'utf8' }).stdout;
    const cases: Array<[string[], string]> = [
      [['--record', 'phase-0'], 'bench: --record phase-0: bench/history/phase-0.json exists; a recorded run is not replaced'],
      [['--record', 'phase-99', '--only', 'counts'], 'bench: --record saves a whole bench run: it does not go with --only'],
      [['--record', 'lane'], "bench: --record lane: bench/history/lane.json is bench:lane's record, not a bench run's"],
      [['--only', 'counts', '--compare', 'cloud'], "bench: --compare cloud: bench/history/cloud.json is bench:cloud's record, not a bench run's"],
    ];
    for (const [args, line] of cases) {
      const run = bench(...args);
      expect(run.status, args.join(' ')).toBe(2);
      expect(run.stderr.trim().split('\n'), args.join(' ')).toEqual([expect.stringContaining(line)]);
    }
    expect(spawnSync('git', ['status', '--porcelain', '--', 'bench/history'], { cwd: ROOT, encoding: 'utf8' }).stdout).toBe(before);
    // A label that is a name of every object's prototype is a label like any other.
    const proto = bench('--only', 'counts', '--compare', 'constructor');
    expect(proto.status).toBe(2);
    expect(proto.stderr).toContain("bench: no bench history named 'constructor'");
  });

  it('an --out that is a directory or cannot be made is refused before anything is measured', () => {
    for (const [out, why] of [
      ['/tmp', 'is a directory'],
      ['/proc/codex-nope/x.json', 'could not create /proc/codex-nope: ENOENT'],
    ]) {
      const run = bench('--only', 'counts', '--out', out!);
      expect(run.status, out).toBe(2);
      expect(run.stderr.trim().split('\n'), out).toEqual([expect.stringContaining(why!)]);
      expect(run.stdout, out).toBe('');
    }
  });
});

describe('reading budgets and history', () => {
  const temp = useTempDirs('budgets-');

  it('a hand-edited budgets file with a wrong field is one line naming the file and the field', () => {
    const path = join(temp(), 'budgets.json');
    writeFileSync(path, JSON.stringify({ counts: {}, memory: {}, ratios: { stage_overhead_ratio: 'fast', cli_startup_ratio: null }, increases: [] }));
    expect(() => readBudgets(path)).toThrow(InputError);
    expect(() => readBudgets(path)).toThrow(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ratios\\.stage_overhead_ratio: `));
    writeFileSync(path, '{"counts": {"a": {"manifest_writes": 1}}, ');
    expect(() => readBudgets(path)).toThrow(/invalid JSON at line 1/);
  });

  it('a missing budgets file is empty budgets; a history entry without its envelope is refused', () => {
    expect(readBudgets(join(temp(), 'none.json'))).toEqual(emptyBudgets());
    const path = join(temp(), 'phase-9.json');
    writeFileSync(path, JSON.stringify({ label: 'phase-9', results: {} }));
    expect(() => readHistory(path, 'phase-9')).toThrow(/phase-9\.json: recorded_at: /);
  });
});
