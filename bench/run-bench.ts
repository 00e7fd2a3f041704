#!/usr/bin/env node
// `npm run bench`: write counts per golden scenario (exact), memory growth with output size,
// and timings as ratios — one table, checked against bench/budgets.json, recorded per phase
// in bench/history/.
import { InvalidArgumentError } from 'commander';
import { InputError } from '../src/errors.js';
import { outFile, runTool } from '../src/harness/tool-cli.js';
import { cpus } from 'node:os';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { checkBudgets, readBudgets, updateBudgets, writeBudgets, type Verdict } from './budgets.js';
import { measureCounts, COUNT_FIGURES } from './counts.js';
import { OTHER_RECORDS, compareResults, latestLabel, readHistory, writeHistory, type HistoryEntry } from './history.js';
import { measureGap } from './gap.js';
import { measureLatency } from './latency.js';
import { measureManifestGrowth } from './manifest-growth.js';
import { inPool } from './in-pool.js';
import { CAPPED_SIZES_MB, MEMORY_CAP, memoryId, memoryShape, MEMORY_SIZES_MB, probeMemory } from './memory.js';
import type { MemoryProbeResult } from './memory-probe.js';
import { refuseStaleDist } from '../src/harness/fresh-dist.js';

const SECTIONS = ['counts', 'memory', 'latency', 'gap'] as const;
type Section = (typeof SECTIONS)[number];

type Options = {
  check?: boolean;
  update?: boolean;
  allowIncrease?: string;
  record?: string;
  compare?: string;
  json?: boolean;
  out?: string;
  only?: Section[];
  gapAgainst: string;
  corpus: string;
};

const err = (line: string) => process.stderr.write(`${line}\n`);
const fmt = (n: number) => (Number.isInteger(n) ? n.toLocaleString('en-US') : String(n));

function parseSections(value: string): Section[] {
  const parts = value.split(',').map((s) => s.trim());
  for (const part of parts) {
    if (!SECTIONS.includes(part as Section)) throw new InvalidArgumentError(`expected a comma-separated list of ${SECTIONS.join(', ')}`);
  }
  return parts as Section[];
}

function label(value: string): string {
  if (value === 'latest') return value;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(value))
    throw new InvalidArgumentError('a label starts with a letter or digit, then letters, digits, ".", "_" or "-" (e.g. phase-0)');
  return value;
}

type Row = [section: string, subject: string, value: string, budget: string, status: string];

/** A ratio's noise band, as shown beside it. */
const band = (b: [number, number] | undefined) => (b ? ` [band ${b[0]}-${b[1]}x]` : '');

function renderTable(results: HistoryEntry['results'], verdicts: Verdict[]): string {
  const byFigure = new Map(verdicts.map((v) => [v.figure, v]));
  const status = (figures: string[]) => {
    const over = figures.map((f) => byFigure.get(f)).filter((v): v is Verdict => Boolean(v?.over));
    if (figures.every((f) => !byFigure.has(f))) return '';
    if (over.length === 0) return 'ok';
    const tag = over.some((v) => v.gates) ? 'OVER' : 'over (informs)';
    return `${tag}: ${over.map((v) => `${v.figure.split('.').at(-1)} ${v.value} > ${v.ceiling ?? 'none'}`).join(', ')}`;
  };
  const ceiling = (figure: string) => {
    const c = byFigure.get(figure)?.ceiling;
    return c === null || c === undefined ? '-' : typeof c === 'number' ? fmt(c) : String(c);
  };
  const rows: Row[] = [['section', 'subject', 'value', 'budget', 'status']];
  if (results.counts) {
    rows.push(['writes', '(manifest · heartbeat · other · bytes · fsyncs)', '', '', '']);
    for (const [scenario, counts] of Object.entries(results.counts)) {
      const figures = COUNT_FIGURES.map((f) => `counts.${scenario}.${f}`);
      rows.push(['writes', scenario, COUNT_FIGURES.map((f) => fmt(counts[f])).join(' · '), figures.map(ceiling).join(' · '), status(figures)]);
    }
  }
  const mg = results.manifest;
  if (mg) {
    rows.push([
      'writes',
      'manifest bytes per write: 10,000 chunks vs 1 chunk',
      `${mg.bytes_per_write_ratio}x (${fmt(Math.round(mg.noisy_bytes / mg.noisy_writes))} vs ${fmt(Math.round(mg.one_chunk_bytes / mg.one_chunk_writes))} bytes)`,
      ceiling('manifest.bytes_per_write_ratio'),
      status(['manifest.bytes_per_write_ratio']),
    ]);
    rows.push([
      'writes',
      'manifest bytes per run: 10,000 chunks (and 100x their bytes) vs 1',
      `${mg.total_bytes_ratio}x (${fmt(Math.max(mg.noisy_bytes, mg.noisy_long_bytes))} vs ${fmt(mg.one_chunk_bytes)} bytes)`,
      ceiling('manifest.total_bytes_ratio'),
      status(['manifest.total_bytes_ratio']),
    ]);
  }
  for (const probe of results.memory ?? []) {
    const id = memoryId(probe);
    const what = `${probe.size_mb} MB of output${probe.cap ? `, capped at ${probe.cap}` : ''}`;
    if (!probe.finished) {
      rows.push(['memory', what, `did not finish: ${probe.reason}`, `finishes: ${ceiling(`${id}.finishes`)}`, status([`${id}.finishes`])]);
      continue;
    }
    const figures = [`${id}.heap_growth_mb`, `${id}.rss_growth_mb`];
    const tail = probe.tail_seconds !== undefined && Number.isFinite(probe.tail_seconds) ? `, ${probe.tail_seconds}s after the stage` : '';
    rows.push([
      'memory',
      `${what} (heap · rss growth)`,
      `+${probe.heap_growth_mb} MB · +${probe.rss_growth_mb} MB (${probe.seconds}s${tail})`,
      figures.map(ceiling).join(' · '),
      status(figures),
    ]);
  }
  if (results.memory) {
    const shape = memoryShape(results.memory);
    if (shape.unbounded_rss_per_mb !== null)
      rows.push([
        'memory',
        'unbounded: rss growth per MB of output',
        `${shape.unbounded_rss_per_mb} MB/MB`,
        ceiling('memory.unbounded_rss_per_mb'),
        status(['memory.unbounded_rss_per_mb']),
      ]);
    if (shape.capped_spread_mb !== null)
      rows.push([
        'memory',
        'capped: rss growth over the 16 MB row',
        `+${shape.capped_spread_mb} MB`,
        ceiling('memory.capped_spread_mb'),
        status(['memory.capped_spread_mb']),
      ]);
  }
  const l = results.latency;
  if (l) {
    rows.push(['latency', 'forced manifest write p50 · p99', `${l.forced_write_p50_ms} ms · ${l.forced_write_p99_ms} ms`, '-', '']);
    rows.push([
      'latency',
      'one-stage run vs direct spawn (median of interleaved pairs)',
      `${l.stage_overhead_ratio}x${band(l.stage_overhead_band)} (${l.stage_ms} ms vs ${l.direct_spawn_ms} ms)`,
      ceiling('ratios.stage_overhead_ratio'),
      status(['ratios.stage_overhead_ratio']),
    ]);
    rows.push([
      'latency',
      'CLI start-up vs node -e 0 (median of interleaved pairs)',
      `${l.cli_startup_ratio}x${band(l.cli_startup_band)} (${l.cli_start_ms} ms vs ${l.node_start_ms} ms)`,
      ceiling('ratios.cli_startup_ratio'),
      status(['ratios.cli_startup_ratio']),
    ]);
    if (l.floor_ratio !== undefined) {
      rows.push([
        'latency',
        `contract floor vs node -e 0 (${l.floor_operations} file operations of that run and its child, no CLI)`,
        `${l.floor_ratio}x${band(l.floor_band)} (${l.floor_ms} ms vs ${l.floor_node_ms} ms)`,
        '-',
        '',
      ]);
    }
  }
  const g = results.gap;
  if (g) {
    rows.push([
      'gap',
      `stage end to next child start, virtual (${g.stages} stages)`,
      `${g.virtual_gap_ms} ms`,
      ceiling('gap.virtual_gap_ms'),
      status(['gap.virtual_gap_ms']),
    ]);
    rows.push([
      'gap',
      `same, real processes (p50) vs ${g.baseline.label}`,
      g.stage_gap_ratio === null
        ? `${g.real_gap_p50_ms} ms (${g.baseline.label} ${g.baseline.note ?? 'not measured'})`
        : `${g.stage_gap_ratio}x (${g.real_gap_p50_ms} ms vs ${g.baseline_gap_p50_ms} ms)`,
      ceiling('ratios.stage_gap_ratio'),
      g.stage_gap_ratio === null ? '' : status(['ratios.stage_gap_ratio']),
    ]);
  }
  if (results.replay) {
    rows.push([
      'latency',
      'golden replay throughput',
      `${results.replay.scenarios_per_second} scenarios/s (${results.replay.scenarios} in ${results.replay.seconds}s)`,
      '-',
      '',
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: Row) =>
    r
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

function renderDeltas(labelName: string, before: HistoryEntry, now: HistoryEntry['results']): string {
  const deltas = compareResults(before.results, now).filter((d) => d.delta !== 0 || /^(latency|memory|gap|manifest)\./.test(d.figure));
  const rows = [['figure', labelName, 'now', 'delta']];
  for (const d of deltas) {
    const pct = d.percent === null ? '' : ` (${d.percent > 0 ? '+' : ''}${d.percent}%)`;
    rows.push([
      d.figure,
      d.before === null ? '-' : fmt(d.before),
      d.now === null ? '-' : fmt(d.now),
      d.delta === null ? 'n/a' : `${d.delta > 0 ? '+' : ''}${fmt(d.delta)}${pct}`,
    ]);
  }
  const unchanged = compareResults(before.results, now).length - deltas.length;
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const out = rows.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
  out.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  out.push(`(${unchanged} write-count figure(s) unchanged against ${labelName}, recorded ${before.recorded_at})`);
  return out.join('\n');
}

/** How many memory probes run at once. */
export const MEMORY_PROBES_AT_ONCE = 2;

async function measure(options: Options): Promise<HistoryEntry['results']> {
  const sections = new Set(options.only ?? SECTIONS);
  const results: HistoryEntry['results'] = {};
  if (sections.has('counts')) {
    err('bench: replaying the golden corpus for write counts');
    const { scenarios, replaySeconds } = await measureCounts(options.corpus);
    results.counts = scenarios;
    const n = Object.keys(scenarios).length;
    results.replay = {
      scenarios: n,
      seconds: Math.round(replaySeconds * 100) / 100,
      scenarios_per_second: Math.round((n / replaySeconds) * 10) / 10,
    };
    const growth = await measureManifestGrowth(options.corpus, err);
    if (growth) results.manifest = growth;
    else err(`bench: no golden/noisy-stage in ${options.corpus}: manifest bytes per write not measured`);
  }
  if (sections.has('memory')) {
    // Each probe is its own process and measures its own peak RSS, so two run side by side
    // (2 cores): the figures are the same, the section takes about half as long. The largest
    // output goes first (the 1024 MB probe alone took as long as all the others). Results keep
    // this order.
    const probes: Array<() => Promise<MemoryProbeResult>> = [
      ...MEMORY_SIZES_MB.map((size) => () => {
        err(`bench: memory with ${size} MB of stage output (child process, --expose-gc)`);
        return probeMemory(size);
      }),
      ...CAPPED_SIZES_MB.map((size) => () => {
        err(`bench: memory with ${size} MB of stage output, chunk events capped at ${MEMORY_CAP}`);
        return probeMemory(size, MEMORY_CAP);
      }),
    ];
    results.memory = await inPool(probes, MEMORY_PROBES_AT_ONCE, [...MEMORY_SIZES_MB, ...CAPPED_SIZES_MB]);
  }
  if (sections.has('latency')) results.latency = await measureLatency(err);
  if (sections.has('gap')) results.gap = await measureGap(err, options.gapAgainst);
  return results;
}

export function runBench(argv: string[]): Promise<number> {
  return runTool('bench', argv, (program, setExit) => {
    program
      .description(
        'Write counts per golden scenario, memory growth with output size, the stage-to-stage gap, and timing ratios, against bench/budgets.json.',
      )
      .option('--check', 'exit 1 and name each count, memory or virtual-gap figure over its budget (timing ratios are reported, never gate)')
      .option('--update', 'lower the ceilings in bench/budgets.json to what was measured (raising one needs --allow-increase)')
      .option('--allow-increase <reason>', 'with --update: allow ceilings to go up; the reason is kept in bench/budgets.json')
      .option('--record <label>', 'save this run as bench/history/<label>.json (e.g. phase-0)', label)
      .option('--compare <label>', 'print the deltas against bench/history/<label>.json ("latest": the highest phase recorded)', label)
      .option('--json', 'print the results, verdicts and deltas as JSON on stdout')
      .option('--out <file>', 'also write that JSON document to this file (for the review packet)', outFile)
      .option('--only <sections>', `measure only these sections (${SECTIONS.join(',')})`, parseSections)
      .option('--corpus <dir>', 'golden corpus', 'golden')
      .option(
        '--gap-against <label>',
        'the phase whose CLI the real stage-to-stage gap is compared with, built from the commit that recorded bench/history/<label>.json',
        label,
        'phase-0',
      )
      .action(async (opts: Options) => {
        let exit = 0;
        if (opts.allowIncrease !== undefined && !opts.update) throw new InputError('--allow-increase goes with --update');
        if (opts.allowIncrease !== undefined && opts.allowIncrease.trim() === '') throw new InputError('--allow-increase needs a reason');
        const benchDir = resolve('bench');
        const budgetsPath = join(benchDir, 'budgets.json');
        for (const [flag, given] of [
          ['--record', opts.record],
          ['--compare', opts.compare],
          ['--gap-against', opts.gapAgainst],
        ] as const) {
          const owner = given === undefined ? undefined : OTHER_RECORDS.get(given);
          if (owner) throw new InputError(`${flag} ${given}: bench/history/${given}.json is ${owner}'s record, not a bench run's`);
        }
        if (opts.record !== undefined) {
          if (opts.record === 'latest')
            throw new InputError('--record latest: "latest" names the highest phase for --compare; record under a label of its own (e.g. phase-6)');
          // A recorded phase is a before-picture others compare with: never replaced by a later run, never by part of one.
          if (opts.only !== undefined) throw new InputError('--record saves a whole bench run: it does not go with --only');
          const existing = join(benchDir, 'history', `${opts.record}.json`);
          if (existsSync(existing))
            throw new InputError(
              `--record ${opts.record}: bench/history/${opts.record}.json exists; a recorded run is not replaced (delete the file first if it must be)`,
            );
        }
        const compareLabel = opts.compare === 'latest' ? latestLabel(join(benchDir, 'history')) : opts.compare;
        if (opts.compare === 'latest' && !compareLabel)
          throw new InputError('--compare latest: no history in bench/history/ (record one with --record phase-0)');
        if ((opts.only ?? SECTIONS).includes('gap') && !existsSync(join(benchDir, 'history', `${opts.gapAgainst}.json`)))
          throw new InputError(`--gap-against ${opts.gapAgainst}: no bench/history/${opts.gapAgainst}.json to build that phase from`);
        const compareEntry = compareLabel ? readHistory(join(benchDir, 'history', `${compareLabel}.json`), compareLabel) : null;
        const results = await measure(opts);
        let budgets = readBudgets(budgetsPath);
        if (opts.update) {
          const update = updateBudgets(budgets, results, opts.allowIncrease ?? null, new Date().toISOString().slice(0, 10));
          if (update.refused.length > 0) {
            err(`bench: --update refused: these figures are over their ceiling (use --allow-increase "<reason>" to raise them):`);
            for (const line of update.refused) err(`  ${line}`);
            setExit(1);
            return;
          }
          writeBudgets(budgetsPath, update.budgets);
          budgets = update.budgets;
          for (const line of update.lowered) err(`bench: lowered ${line}`);
          for (const line of update.raised) err(`bench: raised ${line} (${opts.allowIncrease})`);
          err(`bench: wrote ${budgetsPath}`);
        }
        const verdicts = checkBudgets(budgets, results);
        const over = verdicts.filter((v) => v.over && v.gates);
        const informing = verdicts.filter((v) => v.over && !v.gates);
        if (opts.record) {
          const path = join(benchDir, 'history', `${opts.record}.json`);
          writeHistory(path, { label: opts.record, recorded_at: new Date().toISOString(), node: process.version, results });
          err(`bench: recorded ${path}`);
        }
        const doc = {
          node: process.version,
          cpus: cpus().length,
          results,
          verdicts,
          over_budget: over.map((v) => v.figure),
          timings_over_budget: informing.map((v) => v.figure),
          deltas: compareEntry ? { against: compareEntry.label, figures: compareResults(compareEntry.results, results) } : null,
        };
        if (opts.out) {
          mkdirSync(dirname(resolve(opts.out)), { recursive: true });
          writeFileSync(resolve(opts.out), `${JSON.stringify(doc, null, 2)}\n`);
        }
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
        } else {
          process.stdout.write(`bench (node ${process.version}, ${cpus().length} cpus)\n${renderTable(results, verdicts)}\n`);
          if (compareEntry) process.stdout.write(`\nagainst ${compareEntry.label}:\n${renderDeltas(compareEntry.label, compareEntry, results)}\n`);
        }
        // The verdict ends the table on stdout (so it is the stage's summary in a lane run);
        // with --json, stdout holds the document only.
        const verdict = (line: string) => (opts.json ? err(line) : process.stdout.write(`${line}\n`));
        const name = (v: Verdict) =>
          `${v.figure} (${v.value}${v.ceiling === null ? ', no budget' : ` > ${v.ceiling}`}${v.note && v.ceiling !== null ? `: ${v.note}` : ''})`;
        // Timing ratios inform: named, never a failed --check (shared machines are noisy).
        if (informing.length > 0)
          verdict(`bench: ${informing.length} timing ratio(s) over budget (they inform, they do not gate): ${informing.map(name).join('; ')}`);
        if (over.length > 0) {
          verdict(`bench: ${over.length} figure(s) over budget: ${over.map(name).join('; ')}`);
          if (opts.check) exit = 1;
        } else {
          verdict(
            informing.length > 0
              ? 'bench: every gating figure (counts, memory, virtual gap) is within its budget'
              : 'bench: every figure is within its budget',
          );
        }
        setExit(exit);
      });
  });
}

refuseStaleDist('bench', import.meta.url);
process.exitCode = await runBench(process.argv.slice(2));
