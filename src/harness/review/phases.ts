// The review packet's phase table: every phase's recorded bench run (bench/history/phase-N.json)
// against phase 0's, one row per phase: the write counts summed over the scenarios phase 0
// measured (a scenario added later is left out, so the sums compare like with like), and the
// memory rows each run measured.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { readLocalJson } from '../../config/json-file.js';
import { errorMessage } from '../../errors.js';

export const HISTORY_DIR = 'bench/history';

const historySchema = z.looseObject({
  label: z.string(),
  recorded_at: z.string(),
  results: z.looseObject({
    counts: z
      .record(z.string(), z.looseObject({ manifest_writes: z.number(), other_writes: z.number(), bytes: z.number(), fsyncs: z.number() }))
      .optional(),
    memory: z
      .array(
        z.looseObject({ size_mb: z.number(), cap: z.number().nullable().optional(), finished: z.boolean(), rss_growth_mb: z.number().nullable() }),
      )
      .optional(),
  }),
});
type History = z.infer<typeof historySchema>;

/** The figures of the table, in its column order. */
export const PHASE_FIGURES = [
  { key: 'manifest_writes', head: 'manifest writes' },
  { key: 'other_writes', head: 'other writes' },
  { key: 'bytes', head: 'bytes written' },
  { key: 'fsyncs', head: 'fsyncs' },
  { key: 'rss_256', head: 'RSS growth (MB), 256 MB of output' },
  { key: 'rss_1024_capped', head: 'RSS growth (MB), 1 GB capped' },
] as const;
export type PhaseFigure = (typeof PHASE_FIGURES)[number]['key'];

export type PhaseRow = { label: string; recorded_at: string; values: Record<PhaseFigure, number | null> };
export type PhaseTable = { state: 'present'; scenarios: number; rows: PhaseRow[] } | { state: 'absent' } | { state: 'unreadable'; error: string };

const rss = (h: History, size: number, capped: boolean) => {
  const probe = h.results.memory?.find((p) => p.size_mb === size && Boolean(p.cap) === capped && p.finished);
  return probe?.rss_growth_mb ?? null;
};

/** Reads bench/history/phase-*.json under `root`, in phase order; phase 0 must be there. */
export function readPhaseTable(root: string): PhaseTable {
  const dir = join(root, HISTORY_DIR);
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => /^phase-\d+\.json$/.test(name));
  } catch {
    return { state: 'absent' };
  }
  names.sort((a, b) => Number(/\d+/.exec(a)![0]) - Number(/\d+/.exec(b)![0]));
  if (!names.includes('phase-0.json')) return { state: 'absent' };
  try {
    const histories = names.map((name) => readLocalJson(join(dir, name), `${HISTORY_DIR}/${name}`, historySchema)!);
    const scenarios = Object.keys(histories[0]!.results.counts ?? {});
    const rows = histories.map((h) => {
      const sum = (figure: 'manifest_writes' | 'other_writes' | 'bytes' | 'fsyncs') => {
        const counts = h.results.counts;
        if (!counts || scenarios.some((s) => !counts[s])) return null;
        return scenarios.reduce((total, s) => total + counts[s]![figure], 0);
      };
      return {
        label: h.label,
        recorded_at: h.recorded_at,
        values: {
          manifest_writes: sum('manifest_writes'),
          other_writes: sum('other_writes'),
          bytes: sum('bytes'),
          fsyncs: sum('fsyncs'),
          rss_256: rss(h, 256, false),
          rss_1024_capped: rss(h, 1024, true),
        },
      };
    });
    return { state: 'present', scenarios: scenarios.length, rows };
  } catch (error) {
    return { state: 'unreadable', error: errorMessage(error) };
  }
}

/** `value (+x% vs phase 0)`, or '-' when not measured. */
export function phaseCell(value: number | null, base: number | null): string {
  if (value === null) return '-';
  const text = Number.isInteger(value) ? value.toLocaleString('en-US') : String(value);
  if (base === null || base === 0) return text;
  const percent = Math.round(((value - base) / base) * 1000) / 10;
  return percent === 0 ? text : `${text} (${percent > 0 ? '+' : ''}${percent}%)`;
}
