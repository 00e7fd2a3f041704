// The review packet: what a reviewer reads instead of scrolling logs. Gathers the lane run's
// stages (result, duration), the golden diff against the base ref, bench deltas against the
// last phase's history, the diff budget and any override, and the spec(s) the change
// touched, the last committed mutation score and whether the change touched files with
// surviving mutants; renders review.md and a self-contained review.html.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Manifest } from '../../manifest/schema.js';
import type { BudgetReport } from '../diff-budget/budget.js';
import type { ScenarioDiff } from '../golden/diff-base.js';
import type { GuardReport } from '../spec-guard/guard.js';
import { parseSpec } from '../spec-guard/spec.js';
import { MUTATION_SUMMARY_FILE, readMutationSummary, touchedSurvivors, type FolderScore, type Survivor } from './mutation.js';

export type BenchDoc = {
  over_budget: string[];
  deltas: {
    against: string;
    figures: Array<{ figure: string; before: number | null; now: number | null; delta: number | null; percent: number | null }>;
  } | null;
};

export type StageRow = {
  index: number;
  id: string;
  title: string;
  status: string;
  exit_code: number | null;
  seconds: number | null;
  summary: string | null;
};

/**
 * The last committed mutation score (reports/mutation/summary.json) and the changed files that
 * have surviving mutants in it. `changedFiles` is null when the diff budget did not run.
 */
export type MutationSection =
  | { state: 'absent' }
  | { state: 'unreadable'; error: string }
  | {
      state: 'present';
      folders: Record<string, FolderScore>;
      changedFiles: string[] | null;
      touched: Array<{ file: string; survivors: Survivor[] }>;
    };

export type SpecRow = { file: string; id: string; title: string; risk: string; status: string; phase: number | null; golden_changes: string[] };

export type Packet = {
  run_id: string;
  pipeline_id: string;
  generated_at: string;
  base: string | null;
  stages: StageRow[];
  specs: SpecRow[];
  specGuard: Pick<GuardReport, 'violations' | 'touchedSpecs' | 'baseSource'> | null;
  golden: { scenarios: ScenarioDiff[] } | { error: string };
  bench: BenchDoc | null;
  budget: BudgetReport | null;
  mutation: MutationSection;
};

function readJson<T>(path: string): T | null {
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return null;
  }
}

export function stageRows(manifest: Manifest): StageRow[] {
  return manifest.commands.map((c) => ({
    index: c.index,
    id: c.id,
    title: c.title,
    // The stage still running while the packet is written is the one writing it.
    status: c.status === 'running' && manifest.status === 'in_progress' ? 'running (writing this packet)' : c.status,
    exit_code: c.exit_code,
    seconds: c.started_at && c.completed_at ? Math.round((Date.parse(c.completed_at) - Date.parse(c.started_at)) / 100) / 10 : null,
    summary: c.summary,
  }));
}

export function specRows(root: string, files: string[]): SpecRow[] {
  return files.flatMap((file) => {
    const parsed = parseSpec(file, readFileSync(join(root, file), 'utf8'));
    const fm = parsed.frontMatter;
    return fm
      ? [{ file, id: fm.id, title: fm.title, risk: fm.risk, status: fm.status, phase: fm.phase ?? null, golden_changes: fm.golden_changes ?? [] }]
      : [];
  });
}

/** The mutation section: the summary under `root` against the files the diff budget saw change. */
export function mutationSection(root: string, budget: BudgetReport | null): MutationSection {
  let summary;
  try {
    summary = readMutationSummary(root);
  } catch (error) {
    return { state: 'unreadable', error: error instanceof Error ? error.message : String(error) };
  }
  if (!summary) return { state: 'absent' };
  const changedFiles = budget ? [...budget.code.paths, ...budget.fixtures.paths].map((p) => p.path) : null;
  return { state: 'present', folders: summary.folders, changedFiles, touched: changedFiles ? touchedSurvivors(summary, changedFiles) : [] };
}

export function gatherPacket(options: {
  root: string;
  runDir: string;
  manifest: Manifest;
  base: string | null;
  golden: Packet['golden'];
  now: Date;
}): Packet {
  const specGuard = readJson<GuardReport>(join(options.runDir, 'spec-guard.json'));
  const budget = readJson<BudgetReport>(join(options.runDir, 'diff-budget.json'));
  return {
    run_id: options.manifest.run_id,
    pipeline_id: options.manifest.pipeline_id,
    generated_at: options.now.toISOString(),
    base: options.base,
    stages: stageRows(options.manifest),
    specs: specGuard ? specRows(options.root, specGuard.touchedSpecs) : [],
    specGuard: specGuard ? { violations: specGuard.violations, touchedSpecs: specGuard.touchedSpecs, baseSource: specGuard.baseSource } : null,
    golden: options.golden,
    bench: readJson<BenchDoc>(join(options.runDir, 'bench.json')),
    budget,
    mutation: mutationSection(options.root, budget),
  };
}

const changedScenarios = (golden: Packet['golden']) =>
  'scenarios' in golden ? golden.scenarios.filter((s) => s.differences.length > 0 || s.error) : [];

/** Figures measured both then and now that moved (a figure this run did not measure is left out). */
function benchRows(bench: BenchDoc): Array<[string, string, string, string]> {
  const figures = bench.deltas?.figures ?? [];
  return figures
    .filter((f) => f.before !== null && f.now !== null && f.delta !== 0)
    .map((f) => [
      f.figure,
      f.before === null ? '-' : String(f.before),
      f.now === null ? '-' : String(f.now),
      f.delta === null ? 'n/a' : `${f.delta > 0 ? '+' : ''}${f.delta}${f.percent === null ? '' : ` (${f.percent > 0 ? '+' : ''}${f.percent}%)`}`,
    ]);
}

const scoreText = (f: FolderScore) =>
  `${f.score === null ? 'n/a' : `${f.score}%`}${f.untested_files?.length ? ` (${f.untested_files.length} file(s) not tested)` : ''}`;
const runText = (f: FolderScore) => `${f.date.slice(0, 10)} at ${f.commit.slice(0, 10)}${f.dirty ? ' (uncommitted changes)' : ''}`;
const survivorText = (survivors: Survivor[]) =>
  `${survivors.length} surviving mutant(s), line(s) ${[...new Set(survivors.map((m) => m.line))].join(', ')}`;
const folderCells = (m: Extract<MutationSection, { state: 'present' }>) =>
  Object.entries(m.folders).map(([folder, f]) => [
    folder,
    scoreText(f),
    String(f.killed),
    String(f.timeout),
    String(f.survived),
    String(f.no_coverage),
    runText(f),
  ]);
const MUTATION_HEAD = ['folder', 'score', 'killed', 'timeout', 'survived', 'no coverage', 'run'];

/** The sentence on the changed files, without the list that may follow it. */
function touchedSentence(m: Extract<MutationSection, { state: 'present' }>): string {
  if (m.changedFiles === null) return 'Which files the change touched is not known (no diff-budget.json in the run directory).';
  if (m.touched.length === 0) return 'The change touches no file with surviving mutants.';
  return `The change touches ${m.touched.length} file(s) with surviving mutants (see reports/mutation/README.md):`;
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderMarkdown(p: Packet): string {
  const out: string[] = [
    `# Review packet: ${p.pipeline_id} run ${p.run_id}`,
    '',
    `Generated ${p.generated_at}; change against \`${p.base ?? 'unknown base'}\`.`,
    '',
  ];
  out.push('## Stages', '', '| # | stage | result | exit | seconds | summary |', '|---|---|---|---|---|---|');
  for (const s of p.stages)
    out.push(`| ${s.index} | ${cell(s.id)} | ${s.status} | ${s.exit_code ?? ''} | ${s.seconds ?? ''} | ${cell(s.summary ?? '')} |`);
  out.push('', '## Specs touched by the change', '');
  if (p.specs.length === 0) out.push('No spec is touched by this change.');
  for (const s of p.specs)
    out.push(
      `- \`${s.file}\`: **${s.title}** (${s.id}; risk ${s.risk}; ${s.status}${s.phase !== null ? `; phase ${s.phase}` : ''})${s.golden_changes.length ? `; declares golden changes: ${s.golden_changes.map((g) => `\`${g}\``).join(', ')}` : ''}`,
    );
  if (p.specGuard && p.specGuard.violations.length > 0) {
    out.push('', `Spec guard violations (${p.specGuard.violations.length}):`, '');
    for (const v of p.specGuard.violations.slice(0, 30)) out.push(`- \`${v.file}\` ${v.field}: ${v.message}`);
  }
  out.push('', '## Golden diff against the base', '');
  if ('error' in p.golden) out.push(`Not available: ${p.golden.error}`);
  else {
    const changed = changedScenarios(p.golden);
    out.push(`${changed.length} of ${p.golden.scenarios.length} scenarios change.`);
    for (const s of changed) {
      out.push('', `### ${s.name}`, '');
      if (s.error) out.push(`Error: ${s.error}`);
      for (const d of s.differences) {
        out.push(`- ${d.kind === 'changed' ? 'changed' : d.kind === 'new' ? 'added' : 'removed'}: \`${d.file}\``);
        if (d.kind === 'changed') for (const line of d.details.slice(0, 15)) out.push(`  - \`${line.replace(/`/g, "'")}\``);
      }
    }
  }
  out.push('', '## Bench', '');
  if (!p.bench) out.push('The bench did not run (no bench.json in the run directory).');
  else {
    out.push(p.bench.over_budget.length === 0 ? 'Every figure is within its budget.' : `Over budget: ${p.bench.over_budget.join(', ')}`);
    if (p.bench.deltas) {
      const rows = benchRows(p.bench);
      out.push('', `Against \`${p.bench.deltas.against}\`: ${rows.length} figure(s) changed.`, '');
      if (rows.length > 0) out.push('| figure | before | now | delta |', '|---|---|---|---|', ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`));
    }
  }
  out.push('', '## Diff budget', '');
  if (!p.budget) out.push('The diff budget did not run (no diff-budget.json in the run directory).');
  else {
    const b = p.budget;
    out.push(
      `- code: ${b.code.files} files / ${b.code.lines} lines (budget ${b.code.maxFiles} / ${b.code.maxLines})${b.code.over ? ' **over**' : ''}`,
    );
    out.push(
      `- golden expected files and codemod fixtures: ${b.fixtures.files} files / ${b.fixtures.lines} lines (budget ${b.fixtures.maxFiles} / ${b.fixtures.maxLines})${b.fixtures.over ? ' **over**' : ''}`,
    );
    if (b.override) out.push(`- **override**: ${b.override}`);
  }
  out.push('', '## Mutation score', '');
  const m = p.mutation;
  if (m.state === 'absent') out.push(`No mutation report (no \`${MUTATION_SUMMARY_FILE}\`).`);
  else if (m.state === 'unreadable') out.push(`No mutation report: ${m.error}`);
  else {
    out.push(`Last committed run (\`${MUTATION_SUMMARY_FILE}\`):`, '');
    out.push(`| ${MUTATION_HEAD.join(' | ')} |`, `|${MUTATION_HEAD.map(() => '---|').join('')}`);
    for (const row of folderCells(m)) out.push(`| ${row.map(cell).join(' | ')} |`);
    out.push('', touchedSentence(m));
    if (m.touched.length > 0) out.push('', ...m.touched.map((t) => `- \`${t.file}\`: ${survivorText(t.survivors)}`));
  }
  return `${out.join('\n')}\n`;
}

const esc = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function renderHtml(p: Packet): string {
  const rows = (cells: string[][]) => cells.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('\n');
  const status = (s: string) => `<span class="st ${esc(s)}">${esc(s)}</span>`;
  const parts: string[] = [];
  parts.push(`<h1>Review packet: ${esc(p.pipeline_id)} run <code>${esc(p.run_id)}</code></h1>`);
  parts.push(`<p class="meta">Generated ${esc(p.generated_at)}; change against <code>${esc(p.base ?? 'unknown base')}</code>.</p>`);
  parts.push(
    '<h2>Stages</h2><table><thead><tr><th>#</th><th>stage</th><th>result</th><th>exit</th><th>seconds</th><th>summary</th></tr></thead><tbody>',
  );
  parts.push(
    p.stages
      .map(
        (s) =>
          `<tr><td>${s.index}</td><td>${esc(s.id)}</td><td>${status(s.status)}</td><td>${s.exit_code ?? ''}</td><td>${s.seconds ?? ''}</td><td>${esc(s.summary ?? '')}</td></tr>`,
      )
      .join('\n'),
  );
  parts.push('</tbody></table>');
  parts.push('<h2>Specs touched by the change</h2>');
  parts.push(
    p.specs.length === 0
      ? '<p>No spec is touched by this change.</p>'
      : `<ul>${p.specs.map((s) => `<li><code>${esc(s.file)}</code>: <b>${esc(s.title)}</b> (${esc(s.id)}; risk ${esc(s.risk)}; ${esc(s.status)}${s.phase !== null ? `; phase ${s.phase}` : ''})${s.golden_changes.length ? `; golden changes: ${s.golden_changes.map((g) => `<code>${esc(g)}</code>`).join(', ')}` : ''}</li>`).join('')}</ul>`,
  );
  if (p.specGuard && p.specGuard.violations.length > 0) {
    parts.push(
      `<p class="bad">Spec guard violations (${p.specGuard.violations.length}):</p><ul>${p.specGuard.violations
        .slice(0, 30)
        .map((v) => `<li><code>${esc(v.file)}</code> ${esc(v.field)}: ${esc(v.message)}</li>`)
        .join('')}</ul>`,
    );
  }
  parts.push('<h2>Golden diff against the base</h2>');
  if ('error' in p.golden) parts.push(`<p>Not available: ${esc(p.golden.error)}</p>`);
  else {
    const changed = changedScenarios(p.golden);
    parts.push(`<p>${changed.length} of ${p.golden.scenarios.length} scenarios change.</p>`);
    for (const s of changed) {
      const body = s.error
        ? `<p class="bad">${esc(s.error)}</p>`
        : s.differences
            .map((d) => `<p>${esc(d.kind)}: <code>${esc(d.file)}</code></p>${d.kind === 'changed' ? `<pre>${esc(d.details.join('\n'))}</pre>` : ''}`)
            .join('');
      parts.push(`<details open><summary>${esc(s.name)} (${s.error ? 'error' : `${s.differences.length} file(s)`})</summary>${body}</details>`);
    }
  }
  parts.push('<h2>Bench</h2>');
  if (!p.bench) parts.push('<p>The bench did not run.</p>');
  else {
    parts.push(
      p.bench.over_budget.length === 0
        ? '<p class="ok">Every figure is within its budget.</p>'
        : `<p class="bad">Over budget: ${esc(p.bench.over_budget.join(', '))}</p>`,
    );
    if (p.bench.deltas) {
      const deltas = benchRows(p.bench);
      parts.push(`<p>Against <code>${esc(p.bench.deltas.against)}</code>: ${deltas.length} figure(s) changed.</p>`);
      if (deltas.length > 0)
        parts.push(`<table><thead><tr><th>figure</th><th>before</th><th>now</th><th>delta</th></tr></thead><tbody>${rows(deltas)}</tbody></table>`);
    }
  }
  parts.push('<h2>Diff budget</h2>');
  if (!p.budget) parts.push('<p>The diff budget did not run.</p>');
  else {
    const b = p.budget;
    parts.push(
      `<table><tbody>${rows([
        ['code', `${b.code.files} files / ${b.code.lines} lines`, `budget ${b.code.maxFiles} / ${b.code.maxLines}`, b.code.over ? 'over' : 'ok'],
        [
          'golden expected files and codemod fixtures',
          `${b.fixtures.files} files / ${b.fixtures.lines} lines`,
          `budget ${b.fixtures.maxFiles} / ${b.fixtures.maxLines}`,
          b.fixtures.over ? 'over' : 'ok',
        ],
      ])}</tbody></table>`,
    );
    if (b.override) parts.push(`<p class="bad"><b>Override:</b> ${esc(b.override)}</p>`);
  }
  parts.push('<h2>Mutation score</h2>');
  const m = p.mutation;
  if (m.state === 'absent') parts.push(`<p>No mutation report (no <code>${MUTATION_SUMMARY_FILE}</code>).</p>`);
  else if (m.state === 'unreadable') parts.push(`<p class="bad">No mutation report: ${esc(m.error)}</p>`);
  else {
    parts.push(`<p>Last committed run (<code>${MUTATION_SUMMARY_FILE}</code>):</p>`);
    parts.push(`<table><thead><tr>${MUTATION_HEAD.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows(folderCells(m))}</tbody></table>`);
    parts.push(`<p${m.touched.length > 0 ? ' class="bad"' : ''}>${esc(touchedSentence(m))}</p>`);
    if (m.touched.length > 0)
      parts.push(`<ul>${m.touched.map((t) => `<li><code>${esc(t.file)}</code>: ${esc(survivorText(t.survivors))}</li>`).join('')}</ul>`);
  }
  const style = `body{font:14px/1.45 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#1d1d1f}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f3f3f3}pre{background:#f6f8fa;padding:.6em;overflow:auto;font-size:12px}code{font-size:12px}
.st.succeeded,.ok{color:#1a7f37}.st.failed,.bad{color:#cf222e}.st.running,.st.pending,.st.skipped{color:#6e7781}.meta{color:#57606a}
details{margin:.4em 0}summary{cursor:pointer;font-weight:600}`;
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Review packet ${esc(p.run_id)}</title><style>${style}</style></head><body>\n${parts.join('\n')}\n</body></html>\n`;
}
