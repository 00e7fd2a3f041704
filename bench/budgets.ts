// bench/budgets.json: exact ceilings for write counts, ceilings for memory growth per output
// size and for timing ratios. `check` names every figure over its ceiling; `update` only
// lowers ceilings unless an increase is allowed with a reason, which the file keeps.
import { writeFileSync } from 'node:fs';
import { z } from 'zod';
import { readLocalJson } from '../src/config/json-file.js';
import type { ScenarioCounts } from './counts.js';
import { COUNT_FIGURES } from './counts.js';
import type { MemoryProbeResult } from './memory-probe.js';
import { CAPPED_SPREAD_MB, memoryId, memoryKey, memoryShape, UNBOUNDED_RSS_PER_MB } from './memory.js';
import type { GapResults } from './gap.js';
import type { LatencyResults } from './latency.js';
import { BYTES_PER_WRITE_RATIO_MAX, TOTAL_BYTES_RATIO_MAX, type ManifestGrowth } from './manifest-growth.js';

export type MemoryBudget = { finishes: boolean; heap_growth_mb: number | null; rss_growth_mb: number | null };

export type Increase = { figure: string; from: number | boolean | null; to: number | boolean | null; reason: string; date: string };

export type Budgets = {
  counts: Record<string, ScenarioCounts>;
  memory: Record<string, MemoryBudget>;
  ratios: { stage_overhead_ratio: number | null; cli_startup_ratio: number | null; stage_gap_ratio: number | null };
  /** Exact: the stage-to-stage gap on the virtual runtime, in virtual ms (0: nothing waits on the clock). */
  gap: { virtual_gap_ms: number | null };
  increases: Increase[];
};

export type Measured = {
  counts?: Record<string, ScenarioCounts>;
  memory?: MemoryProbeResult[];
  latency?: LatencyResults;
  gap?: GapResults;
  /** Phase 5: the run manifest's bytes per write against the output (bench/manifest-growth.ts). */
  manifest?: ManifestGrowth;
};

/** Headroom over a measured value when a noisy figure's ceiling is set. */
export const MEMORY_HEADROOM = 1.5;
export const RATIO_HEADROOM = 2;
export const RATIO_FIGURES = ['stage_overhead_ratio', 'cli_startup_ratio'] as const;
/** Each ratio's noise band in the latency results. */
const BAND_OF = { stage_overhead_ratio: 'stage_overhead_band', cli_startup_ratio: 'cli_startup_band' } as const;

export function emptyBudgets(): Budgets {
  return {
    counts: {},
    memory: {},
    ratios: { stage_overhead_ratio: null, cli_startup_ratio: null, stage_gap_ratio: null },
    gap: { virtual_gap_ms: null },
    increases: [],
  };
}

const ceiling = z.number().nonnegative().nullable();
const countsSchema = z.strictObject(
  Object.fromEntries(COUNT_FIGURES.map((figure) => [figure, z.number().int().nonnegative()])) as Record<keyof ScenarioCounts, z.ZodNumber>,
);
const budgetsSchema = z.strictObject({
  counts: z.record(z.string(), countsSchema).default({}),
  memory: z.record(z.string(), z.strictObject({ finishes: z.boolean(), heap_growth_mb: ceiling, rss_growth_mb: ceiling })).default({}),
  ratios: z
    .strictObject({ stage_overhead_ratio: ceiling, cli_startup_ratio: ceiling, stage_gap_ratio: ceiling.default(null) })
    .default({ stage_overhead_ratio: null, cli_startup_ratio: null, stage_gap_ratio: null }),
  gap: z.strictObject({ virtual_gap_ms: ceiling }).default({ virtual_gap_ms: null }),
  increases: z
    .array(
      z.strictObject({
        figure: z.string(),
        from: z.union([z.number(), z.boolean()]).nullable(),
        to: z.union([z.number(), z.boolean()]).nullable(),
        reason: z.string().min(1),
        date: z.string(),
      }),
    )
    .default([]),
});

/** bench/budgets.json, validated: a bad file is one line naming it and the field (exit 2). */
export function readBudgets(path: string): Budgets {
  return (readLocalJson(path, path, budgetsSchema) as Budgets | undefined) ?? emptyBudgets();
}

export function writeBudgets(path: string, budgets: Budgets): void {
  writeFileSync(path, `${JSON.stringify(budgets, null, 2)}\n`);
}

/**
 * One figure against its ceiling. `gates` is false for timing ratios: on shared machines
 * they inform (the table and the review packet show them over budget), but `--check` fails
 * only on counts and memory.
 */
export type Verdict = {
  figure: string;
  value: number | boolean;
  ceiling: number | boolean | null;
  over: boolean;
  gates: boolean;
  note?: string;
};

/** Every measured figure against its ceiling. A figure without a ceiling is over budget. */
export function checkBudgets(budgets: Budgets, measured: Measured): Verdict[] {
  const out: Verdict[] = [];
  for (const [scenario, counts] of Object.entries(measured.counts ?? {})) {
    for (const figure of COUNT_FIGURES) {
      const ceiling = budgets.counts[scenario]?.[figure] ?? null;
      out.push({
        figure: `counts.${scenario}.${figure}`,
        value: counts[figure],
        ceiling,
        over: ceiling === null || counts[figure] > ceiling,
        gates: true,
        note: ceiling === null ? 'no budget' : undefined,
      });
    }
  }
  for (const probe of measured.memory ?? []) {
    const budget = budgets.memory[memoryKey(probe)];
    const id = memoryId(probe);
    if (!budget) {
      out.push({ figure: `${id}.finishes`, value: probe.finished, ceiling: null, over: true, gates: true, note: 'no budget' });
      continue;
    }
    if (!probe.finished) {
      out.push({
        figure: `${id}.finishes`,
        value: false,
        ceiling: budget.finishes,
        over: budget.finishes,
        gates: true,
        note: probe.reason ?? undefined,
      });
      continue;
    }
    for (const figure of ['heap_growth_mb', 'rss_growth_mb'] as const) {
      const ceiling = budget[figure];
      out.push({ figure: `${id}.${figure}`, value: probe[figure], ceiling, over: ceiling !== null && probe[figure] > ceiling, gates: true });
    }
  }
  if (measured.latency) {
    for (const figure of RATIO_FIGURES) {
      const ceiling = budgets.ratios[figure];
      const value = measured.latency[figure];
      const band = measured.latency[BAND_OF[figure]];
      // Over its ceiling, a ratio whose noise band still reaches under it is noise; only a band
      // wholly above is flagged. Never a gate: on a shared machine timings inform.
      let over = ceiling === null || value > ceiling;
      let note: string | undefined = ceiling === null ? 'no budget' : undefined;
      if (ceiling !== null && over && band) {
        over = band[0] > ceiling;
        note = over ? `band ${band[0]}-${band[1]}x, wholly over` : `within the noise band ${band[0]}-${band[1]}x`;
      }
      out.push({ figure: `ratios.${figure}`, value, ceiling, over, gates: false, note });
    }
  }
  if (measured.memory) {
    // Phase 3's targets, fixed by the spec (not ratcheted by --update): capped rows flat, unbounded growth per MiB.
    const shape = memoryShape(measured.memory);
    const targets = { capped_spread_mb: CAPPED_SPREAD_MB, unbounded_rss_per_mb: UNBOUNDED_RSS_PER_MB };
    for (const figure of ['capped_spread_mb', 'unbounded_rss_per_mb'] as const) {
      const value = shape[figure];
      if (value === null) continue;
      out.push({ figure: `memory.${figure}`, value, ceiling: targets[figure], over: value > targets[figure], gates: true });
    }
  }
  if (measured.manifest) {
    // Phase 5's targets, fixed by the spec (not ratcheted by --update): manifest bytes do not grow with the output.
    const targets = { bytes_per_write_ratio: BYTES_PER_WRITE_RATIO_MAX, total_bytes_ratio: TOTAL_BYTES_RATIO_MAX };
    for (const figure of ['bytes_per_write_ratio', 'total_bytes_ratio'] as const) {
      const value = measured.manifest[figure];
      out.push({ figure: `manifest.${figure}`, value, ceiling: targets[figure], over: value > targets[figure], gates: true });
    }
  }
  if (measured.gap) {
    const ceiling = budgets.gap.virtual_gap_ms;
    out.push({
      figure: 'gap.virtual_gap_ms',
      value: measured.gap.virtual_gap_ms,
      ceiling,
      over: ceiling === null || measured.gap.virtual_gap_ms > ceiling,
      gates: true,
      note: ceiling === null ? 'no budget' : undefined,
    });
    const ratio = measured.gap.stage_gap_ratio;
    if (ratio !== null) {
      const ratioCeiling = budgets.ratios.stage_gap_ratio;
      out.push({
        figure: 'ratios.stage_gap_ratio',
        value: ratio,
        ceiling: ratioCeiling,
        over: ratioCeiling === null || ratio > ratioCeiling,
        gates: false,
        note: ratioCeiling === null ? 'no budget' : `against ${measured.gap.baseline.label}`,
      });
    }
  }
  return out;
}

export type UpdateResult = { budgets: Budgets; lowered: string[]; raised: string[]; refused: string[] };

const ceilingFor = (value: number, headroom: number, digits: number) => Math.ceil(value * headroom * 10 ** digits) / 10 ** digits;

/**
 * New budgets from a measurement: ceilings move down to what was measured (with headroom for
 * noisy figures); a figure over its ceiling is refused unless `allowIncrease` gives a reason.
 */
export function updateBudgets(current: Budgets, measured: Measured, allowIncrease: string | null, date: string): UpdateResult {
  const next: Budgets = structuredClone(current);
  const lowered: string[] = [];
  const raised: string[] = [];
  const refused: string[] = [];
  const apply = (
    figure: string,
    measuredValue: number | boolean,
    old: number | boolean | null | undefined,
    candidate: number | boolean,
    set: (v: number | boolean) => void,
  ) => {
    if (old === null || old === undefined) {
      set(candidate);
      return;
    }
    const over = typeof measuredValue === 'boolean' ? measuredValue === false && old === true : measuredValue > (old as number);
    if (over) {
      if (!allowIncrease) {
        refused.push(`${figure}: ${measuredValue} is over the ceiling ${old}`);
        return;
      }
      set(candidate);
      next.increases.push({ figure, from: old, to: candidate, reason: allowIncrease, date });
      raised.push(`${figure}: ${old} -> ${candidate}`);
      return;
    }
    const lower = typeof candidate === 'boolean' ? candidate === true && old === false : candidate < (old as number);
    if (lower) {
      set(candidate);
      lowered.push(`${figure}: ${old} -> ${candidate}`);
    }
  };

  if (measured.counts) {
    for (const scenario of Object.keys(next.counts)) if (!(scenario in measured.counts)) delete next.counts[scenario];
    for (const [scenario, counts] of Object.entries(measured.counts)) {
      const entry = (next.counts[scenario] ??= { ...counts });
      for (const figure of COUNT_FIGURES) {
        apply(
          `counts.${scenario}.${figure}`,
          counts[figure],
          current.counts[scenario]?.[figure],
          counts[figure],
          (v) => (entry[figure] = v as number),
        );
      }
    }
  }
  for (const probe of measured.memory ?? []) {
    const key = memoryKey(probe);
    const old = current.memory[key];
    const entry = (next.memory[key] ??= { finishes: probe.finished, heap_growth_mb: null, rss_growth_mb: null });
    apply(`${memoryId(probe)}.finishes`, probe.finished, old?.finishes, probe.finished, (v) => (entry.finishes = v as boolean));
    if (!probe.finished) continue;
    for (const figure of ['heap_growth_mb', 'rss_growth_mb'] as const) {
      apply(
        `${memoryId(probe)}.${figure}`,
        probe[figure],
        old?.[figure],
        ceilingFor(probe[figure], MEMORY_HEADROOM, 0),
        (v) => (entry[figure] = v as number),
      );
    }
  }
  if (measured.latency) {
    for (const figure of RATIO_FIGURES) {
      apply(
        `ratios.${figure}`,
        measured.latency[figure],
        current.ratios[figure],
        ceilingFor(measured.latency[figure], RATIO_HEADROOM, 1),
        (v) => (next.ratios[figure] = v as number),
      );
    }
  }
  if (measured.gap) {
    const gap = measured.gap;
    apply('gap.virtual_gap_ms', gap.virtual_gap_ms, current.gap.virtual_gap_ms, gap.virtual_gap_ms, (v) => (next.gap.virtual_gap_ms = v as number));
    if (gap.stage_gap_ratio !== null) {
      apply(
        'ratios.stage_gap_ratio',
        gap.stage_gap_ratio,
        current.ratios.stage_gap_ratio,
        ceilingFor(gap.stage_gap_ratio, RATIO_HEADROOM, 1),
        (v) => (next.ratios.stage_gap_ratio = v as number),
      );
    }
  }
  return { budgets: next, lowered, raised, refused };
}
