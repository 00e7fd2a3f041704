// bench/history/<label>.json: one recorded bench run per phase, and the side-by-side deltas
// of a run against one of them.
import { readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { readLocalJson } from '../src/config/json-file.js';
import { InputError } from '../src/errors.js';
import type { Measured } from './budgets.js';
import { COUNT_FIGURES } from './counts.js';
import { memoryId } from './memory.js';

export type HistoryEntry = {
  label: string;
  recorded_at: string;
  node: string;
  results: Measured & { replay?: { scenarios: number; seconds: number; scenarios_per_second: number } };
};

/** The envelope of a history entry; its results are the bench's own output, checked by shape. */
const historySchema = z.object({
  label: z.string(),
  recorded_at: z.string(),
  node: z.string(),
  results: z.object({
    counts: z.record(z.string(), z.record(z.string(), z.number())).optional(),
    memory: z.array(z.object({ size_mb: z.number(), finished: z.boolean() }).passthrough()).optional(),
    latency: z.record(z.string(), z.unknown()).optional(),
    gap: z.object({ virtual_gap_ms: z.number(), real_gap_p50_ms: z.number() }).passthrough().optional(),
    replay: z.object({ scenarios: z.number(), seconds: z.number(), scenarios_per_second: z.number() }).optional(),
    manifest: z.record(z.string(), z.number()).optional(),
  }),
});

/** bench/history/<label>.json, validated: a bad file is one line naming it and the field (exit 2). */
export function readHistory(path: string, label: string): HistoryEntry {
  const entry = readLocalJson(path, path, historySchema) as HistoryEntry | undefined;
  if (!entry) throw new InputError(`no bench history named '${label}' (${path}); record one with --record ${label}`);
  return entry;
}

export function writeHistory(path: string, entry: HistoryEntry): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(entry, null, 2)}\n`);
}

/** Flat figure -> value maps of a result, for comparing two of them. */
export function flatten(results: HistoryEntry['results']): Map<string, number> {
  const out = new Map<string, number>();
  for (const [scenario, counts] of Object.entries(results.counts ?? {})) {
    for (const figure of COUNT_FIGURES) out.set(`counts.${scenario}.${figure}`, counts[figure]);
  }
  for (const probe of results.memory ?? []) {
    if (!probe.finished) continue;
    out.set(`${memoryId(probe)}.heap_growth_mb`, probe.heap_growth_mb);
    out.set(`${memoryId(probe)}.rss_growth_mb`, probe.rss_growth_mb);
    if (probe.tail_seconds !== undefined && Number.isFinite(probe.tail_seconds)) out.set(`${memoryId(probe)}.tail_seconds`, probe.tail_seconds);
  }
  // The noise bands are not figures of their own: only numbers are compared.
  if (results.latency) for (const [key, value] of Object.entries(results.latency)) if (typeof value === 'number') out.set(`latency.${key}`, value);
  if (results.gap) {
    out.set('gap.virtual_gap_ms', results.gap.virtual_gap_ms);
    out.set('gap.real_gap_p50_ms', results.gap.real_gap_p50_ms);
    if (results.gap.baseline_gap_p50_ms !== null) out.set('gap.baseline_gap_p50_ms', results.gap.baseline_gap_p50_ms);
    if (results.gap.stage_gap_ratio !== null) out.set('gap.stage_gap_ratio', results.gap.stage_gap_ratio);
  }
  if (results.replay) out.set('replay.scenarios_per_second', results.replay.scenarios_per_second);
  if (results.manifest) for (const [key, value] of Object.entries(results.manifest)) out.set(`manifest.${key}`, value);
  return out;
}

export type Delta = { figure: string; before: number | null; now: number | null; delta: number | null; percent: number | null };

export function compareResults(before: HistoryEntry['results'], now: HistoryEntry['results']): Delta[] {
  const a = flatten(before);
  const b = flatten(now);
  const figures = [...new Set([...a.keys(), ...b.keys()])];
  return figures.map((figure) => {
    const x = a.get(figure) ?? null;
    const y = b.get(figure) ?? null;
    const delta = x !== null && y !== null ? Math.round((y - x) * 1000) / 1000 : null;
    const percent = x !== null && y !== null && x !== 0 ? Math.round(((y - x) / x) * 1000) / 10 : null;
    return { figure, before: x, now: y, delta, percent };
  });
}

/** bench/history/ files of other tools, by label, with the tool that keeps each: not bench runs. */
export const OTHER_RECORDS = new Map([
  ['lane', 'bench:lane'],
  ['cloud', 'bench:cloud'],
]);

/** The history label of the latest phase (`phase-N` with the highest N), else the last label by name. */
export function latestLabel(dir: string): string | null {
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((n) => n.endsWith('.json'))
      .map((n) => n.slice(0, -5))
      // bench:lane's and bench:cloud's records live beside the bench runs.
      .filter((n) => !OTHER_RECORDS.has(n));
  } catch {
    return null;
  }
  const phases = names.map((n) => ({ n, phase: /^phase-(\d+)$/.exec(n)?.[1] })).filter((x) => x.phase !== undefined);
  if (phases.length > 0) return phases.sort((a, b) => Number(b.phase) - Number(a.phase))[0]!.n;
  return names.sort().at(-1) ?? null;
}
