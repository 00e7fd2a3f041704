// The review packet: what a reviewer reads instead of scrolling logs. Opens with a verdict
// (verdict.ts); gathers the lane run's stages (result, duration, log, what the output says, a
// failed stage's last lines), the golden diff against the base ref, bench deltas against the
// last phase's history, the diff budget and any override, the spec(s) the change touched, the
// last committed mutation score and whether the change touched files with surviving mutants.
// The inputs are read and validated (inputs.ts); the packet is one document model
// (document.ts) rendered as review.md and as a self-contained review.html.
import { readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Manifest } from '../../manifest/schema.js';
import type { ScenarioDiff } from '../golden/diff-base.js';
import { parseSpec } from '../spec-guard/spec.js';
import { joined, paragraph, renderHtmlDocument, renderMarkdownDocument, type Block, type Document, type Inline, type Section } from './document.js';
import { checkedKinds, narrowing, ranLines, unknownReports, type Ran } from './ran.js';
import {
  goldenDeclarations,
  lastLines,
  readLintBaseline,
  runDirLink,
  stageFacts,
  stageOutput,
  TAIL_LINES,
  verdictOf,
  type Verdict,
} from './verdict.js';
import {
  benchDocSchema,
  diffBudgetDocSchema,
  presentValue,
  readArtefact,
  specGuardDocSchema,
  type Artefact,
  type BenchDoc,
  type DiffBudgetDoc,
  type SpecGuardDoc,
} from './inputs.js';
import { MUTATION_SUMMARY_FILE, readMutationSummary, touchedSurvivors, type FolderScore, type Survivor } from './mutation.js';
import { HISTORY_DIR, PHASE_FIGURES, phaseCell, readPhaseTable, type PhaseTable } from './phases.js';

export type { BenchDoc, DiffBudgetDoc, SpecGuardDoc } from './inputs.js';

export type StageRow = {
  index: number;
  id: string;
  title: string;
  status: string;
  exit_code: number | null;
  seconds: number | null;
  summary: string | null;
  /** Its log, relative to the run directory (a link in the packet); null when it has none. */
  log?: string | null;
  /** What its output says (tests passed and failed, lint errors and warnings), when it says so. */
  facts?: string | null;
  /** A failed stage's last lines (stdout and stderr in order, colours removed). */
  tail?: string[] | null;
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

export type SpecRow = {
  file: string;
  id: string;
  title: string;
  risk: string;
  status: string;
  phase: number | null;
  golden_changes: string[];
  /** Its copy in the run directory (`specs/<name>`), when the packet's writer made one. */
  link?: string | null;
};

export type Packet = {
  run_id: string;
  pipeline_id: string;
  generated_at: string;
  base: string | null;
  /** The base's and the head's commit ids, when known. */
  base_sha?: string | null;
  head_sha?: string | null;
  /** The run's status and detail once it has ended (a packet written again afterwards); null while in progress. */
  ended?: { status: string; detail: string | null } | null;
  /** Why the tools' dist/ is older than its sources, when it is (fresh-dist.ts): the packet is then red. */
  stale_dist?: string | null;
  stages: StageRow[];
  specs: SpecRow[];
  specGuard: Artefact<SpecGuardDoc>;
  golden: { scenarios: ScenarioDiff[] } | { error: string };
  bench: Artefact<BenchDoc>;
  budget: Artefact<DiffBudgetDoc>;
  mutation: MutationSection;
  /** Every phase's recorded bench run against phase 0's (bench/history/). */
  phases: PhaseTable;
  /** What the lane ran, from its stages' declared reports (ran.ts); absent in packets of older callers. */
  ran?: Ran | null;
  /**
   * The stages that declared a report, the one writing this packet left out (declaredReports):
   * none, and the packet is `not reviewed`, never green.
   */
  declared_reports: string[];
  /** The review's own stage (ownStage), left out of the verdict; absent in packets of older callers (then: the one running). */
  own_stage?: string | null;
};

/** The stages the verdict judges: all but the review's own. */
export function judgedStages(p: Pick<Packet, 'stages' | 'own_stage'>): StageRow[] {
  return p.stages.filter((s) => (p.own_stage === undefined ? !s.status.startsWith('running') : s.id !== p.own_stage));
}

/**
 * The review's own stage in the run, the one writing this packet, whose result is not evidence:
 * inside the run (`inside`: its run directory is this process's CODEX_ORCHESTRATOR_RUN_DIR and
 * the run is in progress) the stage running now; otherwise the one whose report is this run
 * directory's ran.json (the review's output). Null when there is none: a stage running in a run
 * reviewed from outside is not the review's, it has not finished.
 */
export function ownStage(root: string, runDir: string, manifest: Manifest, inside: boolean): string | null {
  if (inside && manifest.status === 'in_progress') {
    const running = manifest.commands.find((c) => c.status === 'running');
    if (running) return running.id;
  }
  const ownReport = resolve(runDir, 'ran.json');
  return manifest.commands.find((c) => typeof c.report === 'string' && resolve(root, c.report) === ownReport)?.id ?? null;
}

/**
 * The ids of the stages that declared a report (`"report"` in the config; the manifest entry
 * has the key), what the review judges a run from; the review's own stage (`own`) left out.
 */
export function declaredReports(manifest: Manifest, own: string | null): string[] {
  return manifest.commands.filter((c) => c.report !== undefined && c.id !== own).map((c) => c.id);
}

export function stageRows(manifest: Manifest, own: string | null = null): StageRow[] {
  return manifest.commands.map((c) => ({
    index: c.index,
    id: c.id,
    title: c.title,
    status: c.status === 'running' && c.id === own ? 'running (writing this packet)' : c.status,
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
      ? [
          {
            file,
            id: fm.id,
            title: fm.title,
            risk: fm.risk,
            status: fm.status,
            phase: fm.phase ?? null,
            golden_changes: fm.golden_changes ?? [],
            link: `specs/${basename(file)}`,
          },
        ]
      : [];
  });
}

/** The stage rows with each stage's log link, what its output says and, for a failed stage, its last lines. */
export function stageDetails(root: string, runDir: string, manifest: Manifest, own: string | null = null): StageRow[] {
  const baseline = readLintBaseline(root);
  return stageRows(manifest, own).map((row, i) => {
    const c = manifest.commands[i]!;
    if (c.log_path === null || c.status === 'pending' || c.status === 'running')
      return { ...row, log: c.log_path && runDirLink(root, runDir, c.log_path) };
    const output = stageOutput(root, c.log_path);
    return {
      ...row,
      log: runDirLink(root, runDir, c.log_path),
      facts: output === null ? null : stageFacts(output, c.status === 'succeeded', c.command, baseline),
      tail: c.status === 'failed' && output !== null ? lastLines(output, TAIL_LINES) : null,
    };
  });
}

/** The mutation section: the summary under `root` against the files the diff budget saw change. */
export function mutationSection(root: string, budget: DiffBudgetDoc | null): MutationSection {
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
  baseSha?: string | null;
  headSha?: string | null;
  staleDist?: string | null;
  ran?: Ran | null;
  /** The review writes this packet as a stage of the run (see ownStage). */
  inside?: boolean;
}): Packet {
  const specGuard = readArtefact(options.runDir, 'spec-guard.json', specGuardDocSchema);
  const budget = readArtefact(options.runDir, 'diff-budget.json', diffBudgetDocSchema);
  const guard = presentValue(specGuard);
  const m = options.manifest;
  const own = ownStage(options.root, options.runDir, m, options.inside ?? false);
  return {
    run_id: m.run_id,
    pipeline_id: m.pipeline_id,
    generated_at: options.now.toISOString(),
    base: options.base,
    base_sha: options.baseSha ?? null,
    head_sha: options.headSha ?? null,
    ended: m.status === 'in_progress' || m.status === 'queued' ? null : { status: m.status, detail: m.status_detail },
    stale_dist: options.staleDist ?? null,
    stages: stageDetails(options.root, options.runDir, m, own),
    specs: guard ? specRows(options.root, guard.touchedSpecs) : [],
    specGuard,
    golden: options.golden,
    bench: readArtefact(options.runDir, 'bench.json', benchDocSchema),
    budget,
    mutation: mutationSection(options.root, presentValue(budget)),
    phases: readPhaseTable(options.root),
    ran: options.ran ?? null,
    declared_reports: declaredReports(m, own),
    own_stage: own,
  };
}

/** The packet's verdict: green or red and why, the golden changes and whether each is declared. */
export function packetVerdict(p: Packet): Verdict {
  const guard = presentValue(p.specGuard);
  const bench = presentValue(p.bench);
  const budget = presentValue(p.budget);
  return verdictOf({
    stages: judgedStages(p),
    ended: p.ended ?? null,
    golden: p.golden,
    declarations: 'scenarios' in p.golden ? goldenDeclarations(p.golden.scenarios, p.specs) : [],
    specGuardViolations: guard ? guard.violations.length : null,
    benchOver: bench ? bench.over_budget : null,
    budgetOver: budget ? budget.code.over || budget.fixtures.over : null,
    override: budget ? budget.override : null,
    staleDist: p.stale_dist ?? null,
    narrowed: p.ran ? narrowing(p.ran) : [],
    declaredReports: p.declared_reports,
  });
}

const shortSha = (sha: string | null | undefined) => (sha ? sha.slice(0, 12) : 'unknown');

function verdictSection(p: Packet): Section {
  const v = packetVerdict(p);
  const budget = presentValue(p.budget);
  const items: Array<{ text: Inline[] }> = [
    ...(v.green ? [] : v.reasons.map((r) => ({ text: [r] as Inline[] }))),
    { text: [`Golden: ${v.golden}.`] },
    { text: ['Budget overrides: ', budget?.override ? { strong: budget.override } : budget ? 'none' : 'unknown (no diff-budget.json)'] },
    { text: ['Base ', { code: shortSha(p.base_sha) }, ` (${p.base ?? 'unknown base'}), head `, { code: shortSha(p.head_sha) }, '.'] },
  ];
  return {
    title: 'Verdict',
    blocks: [
      paragraph(
        [{ strong: v.green ? 'GREEN' : v.reviewed ? 'RED' : 'NOT REVIEWED' }, v.green ? ': every stage passed.' : `: ${v.reasons[0]}.`],
        v.green ? 'ok' : 'bad',
      ),
      { kind: 'list', items },
    ],
  };
}

/** Each failed stage's last lines, with its log. */
function failuresSection(p: Packet): Section | null {
  const failed = p.stages.filter((s) => s.status === 'failed' && s.tail && s.tail.length > 0);
  if (failed.length === 0) return null;
  return {
    title: 'Failing stages',
    blocks: failed.flatMap((s): Block[] => [
      paragraph([
        { strong: s.id },
        ` (${s.exit_code === null ? 'no exit code' : `exit ${s.exit_code}`}), its last ${s.tail!.length} line(s)`,
        ...(s.log ? ([' (', { link: s.log, text: s.log }, ')'] as Inline[]) : []),
        ':',
      ]),
      { kind: 'code', lang: 'text', lines: s.tail! },
    ]),
  };
}

const changedScenarios = (golden: Packet['golden']) =>
  'scenarios' in golden ? golden.scenarios.filter((s) => s.differences.length > 0 || s.error) : [];

/** Changed lines shown per golden file; `golden diff --base` shows them all. */
export const DETAIL_LINES = 20;

/**
 * A golden file's changed details as diff lines: a unified diff stays as it is; a JSON change
 * (`$.path: old -> new`, `line 3 $.x: old -> new`) becomes a removed and an added line; an
 * NDJSON line added or removed, an added or removed line.
 */
export function asDiff(details: string[]): string[] {
  if (details.some((line) => line.startsWith('@@'))) return details;
  return details.flatMap((line) => {
    const change = /^((?:line \S+ )?\$\S*: )(.*?) -> (.*)$/.exec(line);
    if (change) return [`-${change[1]}${change[2]}`, `+${change[1]}${change[3]}`];
    const added = /^(line \S+: )added (.*)$/.exec(line);
    if (added) return [`+${added[1]}${added[2]}`];
    const removed = /^(line \S+: )removed (.*)$/.exec(line);
    if (removed) return [`-${removed[1]}${removed[2]}`];
    return [` ${line}`];
  });
}

/**
 * A timing: machine-dependent, it informs and never gates (the latency section, the replay's
 * throughput, the real stage-to-stage gap, the memory probes' tail). Counts, memory and the
 * virtual gap are exact or budgeted figures.
 */
export const isTiming = (figure: string) => /^(latency|replay)\./.test(figure) || /^gap\.(?!virtual_)/.test(figure) || /tail_seconds$/.test(figure);

/** Whether a timing went the good way: higher is better only for a throughput. */
function timingArrow(figure: string, delta: number): string {
  const better = /per_second$/.test(figure) ? delta > 0 : delta < 0;
  return better ? '↓ better' : '↑ worse';
}

/** Timings measured both then and now, with an arrow saying which way they went. */
function timingRows(bench: BenchDoc): Inline[][][] {
  return (bench.deltas?.figures ?? [])
    .filter((f) => isTiming(f.figure) && f.before !== null && f.now !== null)
    .map((f) => [
      [f.figure],
      [String(f.before)],
      [String(f.now)],
      [
        f.delta === null || f.delta === 0
          ? '='
          : `${timingArrow(f.figure, f.delta)} (${f.delta > 0 ? '+' : ''}${f.delta}${f.percent === null ? '' : `, ${f.percent > 0 ? '+' : ''}${f.percent}%`})`,
      ],
    ]);
}

/** Figures measured both then and now that moved (a figure this run did not measure is left out); timings apart. */
function benchRows(bench: BenchDoc): Inline[][][] {
  const figures = bench.deltas?.figures ?? [];
  return figures
    .filter((f) => !isTiming(f.figure) && f.before !== null && f.now !== null && f.delta !== 0)
    .map((f) => [
      [f.figure],
      [f.before === null ? '-' : String(f.before)],
      [f.now === null ? '-' : String(f.now)],
      [f.delta === null ? 'n/a' : `${f.delta > 0 ? '+' : ''}${f.delta}${f.percent === null ? '' : ` (${f.percent > 0 ? '+' : ''}${f.percent}%)`}`],
    ]);
}

const scoreText = (f: FolderScore) =>
  `${f.score === null ? 'n/a' : `${f.score}%`}${f.untested_files?.length ? ` (${f.untested_files.length} file(s) not tested)` : ''}`;
const runText = (f: FolderScore) => `${f.date.slice(0, 10)} at ${f.commit.slice(0, 10)}${f.dirty ? ' (uncommitted changes)' : ''}`;
const survivorText = (survivors: Survivor[]) =>
  `${survivors.length} surviving mutant(s), line(s) ${[...new Set(survivors.map((m) => m.line))].join(', ')}`;

/** The sentence on the changed files, without the list that may follow it. */
function touchedSentence(m: Extract<MutationSection, { state: 'present' }>): string {
  if (m.changedFiles === null) return 'Which files the change touched is not known (no diff-budget.json in the run directory).';
  if (m.touched.length === 0) return 'The change touches no file with surviving mutants.';
  return `The change touches ${m.touched.length} file(s) with surviving mutants (see reports/mutation/README.md):`;
}

/** What an artefact that is not there or cannot be read says in its section. */
function artefactProblem(artefact: Exclude<Artefact<unknown>, { state: 'present' }>, name: string, stage: string): Block {
  if (artefact.state === 'absent') return paragraph(`The ${stage} did not run (no ${name} in the run directory).`);
  return paragraph(`The ${stage}'s report cannot be read: ${artefact.error}`, 'bad');
}

function stagesSection(p: Packet): Section {
  return {
    title: 'Stages',
    blocks: [
      {
        kind: 'table',
        head: ['#', 'stage', 'result', 'exit', 'seconds', 'summary', 'log'],
        rows: p.stages.map((s) => [
          [String(s.index)],
          [s.id],
          [{ status: s.status }],
          [s.exit_code === null ? '' : String(s.exit_code)],
          [s.seconds === null ? '' : String(s.seconds)],
          s.facts ? [{ strong: s.facts }, ...(s.summary ? [` — ${s.summary}`] : [])] : [s.summary ?? ''],
          s.log ? [{ link: s.log, text: 'log' }] : [''],
        ]),
      },
    ],
  };
}

function specsSection(p: Packet): Section {
  const blocks: Block[] = [];
  if (p.specs.length === 0) blocks.push(paragraph('No spec is touched by this change.'));
  else
    blocks.push({
      kind: 'list',
      items: p.specs.map((s) => ({
        text: [
          s.link ? { link: s.link, text: s.file } : { code: s.file },
          ': ',
          { strong: s.title },
          ` (${s.id}; risk ${s.risk}; ${s.status}${s.phase !== null ? `; phase ${s.phase}` : ''})`,
          ...(s.golden_changes.length
            ? [
                '; declares golden changes: ',
                ...joined(
                  s.golden_changes.map((g) => ({ code: g })),
                  ', ',
                ),
              ]
            : []),
        ],
      })),
    });
  const guard = p.specGuard;
  if (guard.state === 'unreadable') blocks.push(artefactProblem(guard, 'spec-guard.json', 'spec guard'));
  if (guard.state === 'present' && guard.value.violations.length > 0) {
    blocks.push(paragraph(`Spec guard violations (${guard.value.violations.length}):`, 'bad'), {
      kind: 'list',
      items: guard.value.violations.slice(0, 30).map((v) => ({ text: [{ code: v.file }, ` ${v.field}: ${v.message}`] })),
    });
  }
  return { title: 'Specs touched by the change', blocks };
}

function goldenSection(p: Packet): Section {
  const title = 'Golden diff against the base';
  if ('error' in p.golden) return { title, blocks: [paragraph(`Not available: ${p.golden.error}`)] };
  const changed = changedScenarios(p.golden);
  const verb = { changed: 'changed', new: 'added', stale: 'removed' } as const;
  return {
    title,
    blocks: [
      paragraph(`${changed.length} of ${p.golden.scenarios.length} scenarios change.`),
      ...changed.map((s): Block => ({
        kind: 'group',
        title: `${s.name} (${s.error ? 'error' : `${s.differences.length} file(s)`})`,
        blocks: s.error
          ? [paragraph(`Error: ${s.error}`, 'bad')]
          : [
              ...(s.baseError ? [paragraph(`New since the base: its code cannot replay it (${s.baseError}).`)] : []),
              {
                kind: 'list',
                items: s.differences.map((d) => ({
                  text: [`${verb[d.kind]}: `, { code: d.file }],
                  ...(d.kind !== 'changed'
                    ? {}
                    : {
                        code: {
                          kind: 'code' as const,
                          lang: 'diff' as const,
                          lines:
                            d.details.length > DETAIL_LINES
                              ? [
                                  ...asDiff(d.details.slice(0, DETAIL_LINES)),
                                  `... and ${d.details.length - DETAIL_LINES} more (npm run golden -- diff --base)`,
                                ]
                              : asDiff(d.details),
                        },
                      }),
                })),
              },
            ],
      })),
    ],
  };
}

function benchSection(p: Packet): Section {
  const title = 'Bench';
  if (p.bench.state !== 'present') return { title, blocks: [artefactProblem(p.bench, 'bench.json', 'bench')] };
  const bench = p.bench.value;
  const timings = bench.timings_over_budget ?? [];
  const blocks: Block[] = [
    bench.over_budget.length === 0
      ? paragraph(timings.length ? 'Every count and memory figure is within its budget.' : 'Every figure is within its budget.', 'ok')
      : paragraph(`Over budget: ${bench.over_budget.join(', ')}`, 'bad'),
  ];
  if (timings.length > 0) blocks.push(paragraph(`Timing ratios over budget (they inform, they do not gate): ${timings.join(', ')}`));
  const gating = (bench.verdicts ?? []).filter((v) => v.gates);
  if (gating.length > 0) {
    const over = gating.filter((v) => v.over).length;
    blocks.push(
      paragraph([
        { strong: 'Budgeted figures' },
        ` (exact counts, memory, the virtual gap; they gate): ${gating.length} checked, ${over} over budget.`,
      ]),
    );
  }
  if (bench.deltas) {
    const rows = benchRows(bench);
    blocks.push(paragraph(['Against ', { code: bench.deltas.against }, `: ${rows.length} figure(s) changed.`]));
    if (rows.length > 0) blocks.push({ kind: 'table', head: ['figure', 'before', 'now', 'delta'], rows });
    // What this run measures that the history did not (a figure a phase added: the
    // stage-to-stage gap, the capped memory rows): shown with its value, never left out.
    const added = bench.deltas.figures.filter((f) => f.before === null && f.now !== null);
    if (added.length > 0) {
      blocks.push(paragraph([`${added.length} figure(s) not in `, { code: bench.deltas.against }, ':']));
      blocks.push({ kind: 'table', head: ['figure', 'now'], rows: added.map((f) => [[f.figure], [String(f.now)]]) });
    }
    const timingTable = timingRows(bench);
    if (timingTable.length > 0) {
      blocks.push(
        paragraph([
          { strong: 'Informational timings' },
          ' (machine-dependent: measured on this machine under its load, against ',
          { code: bench.deltas.against },
          ' recorded elsewhere; they never gate):',
        ]),
        { kind: 'table', head: ['timing', 'before', 'now', 'change'], rows: timingTable },
      );
    }
  }
  return { title, blocks };
}

function phasesSection(p: Packet): Section {
  const title = 'Phases against phase 0';
  const t = p.phases;
  if (t.state === 'absent') return { title, blocks: [paragraph(['No phase history (no ', { code: `${HISTORY_DIR}/phase-0.json` }, ').'])] };
  if (t.state === 'unreadable') return { title, blocks: [paragraph(`The phase history cannot be read: ${t.error}`, 'bad')] };
  const base = t.rows[0]!.values;
  return {
    title,
    blocks: [
      paragraph([
        'Each phase as recorded in ',
        { code: `${HISTORY_DIR}/` },
        `, against phase 0: writes, bytes and fsyncs summed over the ${t.scenarios} golden scenarios phase 0 measured; memory as the RSS growth of one stage printing that much.`,
      ]),
      {
        kind: 'table',
        head: ['phase', ...PHASE_FIGURES.map((f) => f.head)],
        rows: t.rows.map((row) => [[row.label], ...PHASE_FIGURES.map((f) => [phaseCell(row.values[f.key], base[f.key])])]),
      },
    ],
  };
}

function budgetSection(p: Packet): Section {
  const title = 'Diff budget';
  if (p.budget.state !== 'present') return { title, blocks: [artefactProblem(p.budget, 'diff-budget.json', 'diff budget')] };
  const b = p.budget.value;
  const row = (name: string, bucket: DiffBudgetDoc['code']): Inline[][] => [
    [name],
    [`${bucket.files} files / ${bucket.lines} lines`],
    [`budget ${bucket.maxFiles} / ${bucket.maxLines}`],
    [bucket.over ? 'over' : 'ok'],
  ];
  const blocks: Block[] = [
    {
      kind: 'table',
      head: ['changed', 'size', 'budget', 'verdict'],
      rows: [row('code', b.code), row('golden expected files and codemod fixtures', b.fixtures)],
    },
  ];
  if (b.override) blocks.push(paragraph([{ strong: 'Override:' }, ` ${b.override}`], 'bad'));
  return { title, blocks };
}

function mutationBlocks(m: MutationSection): Block[] {
  if (m.state === 'absent') return [paragraph(['No mutation report (no ', { code: MUTATION_SUMMARY_FILE }, ').'])];
  if (m.state === 'unreadable') return [paragraph(`No mutation report: ${m.error}`, 'bad')];
  const blocks: Block[] = [
    paragraph(['Last committed run (', { code: MUTATION_SUMMARY_FILE }, '):']),
    {
      kind: 'table',
      head: ['folder', 'score', 'killed', 'timeout', 'survived', 'no coverage', 'run'],
      rows: Object.entries(m.folders).map(([folder, f]) =>
        [folder, scoreText(f), String(f.killed), String(f.timeout), String(f.survived), String(f.no_coverage), runText(f)].map((c) => [c]),
      ),
    },
    paragraph(touchedSentence(m), m.touched.length > 0 ? 'bad' : undefined),
  ];
  if (m.touched.length > 0)
    blocks.push({ kind: 'list', items: m.touched.map((t) => ({ text: [{ code: t.file }, `: ${survivorText(t.survivors)}`] })) });
  return blocks;
}

/** "Nothing left out: every suite on disk, every scenario of the corpus and every bench section ran.", for the kinds read. */
function nothingLeftOut(kinds: string[]): string {
  if (kinds.length === 0) return 'Nothing to check against what exists: no stage declared a test, golden or bench report.';
  const list = kinds.length === 1 ? kinds[0]! : `${kinds.slice(0, -1).join(', ')} and ${kinds.at(-1)!}`;
  return `Nothing left out: ${list} ran.`;
}

/** What the lane ran (ran.json): per kind a line, then what exists and did not run. */
function ranSection(p: Packet): Section | null {
  if (!p.ran) return null;
  const r = p.ran;
  const left = narrowing(r);
  const unknown = unknownReports(r);
  const blocks: Block[] = [
    paragraph([
      'From the reports its stages declared (the manifest names each); the full lists are in ',
      { link: 'ran.json', text: 'ran.json' },
      '.',
    ]),
    { kind: 'list', items: ranLines(r).map((line) => ({ text: [line] as Inline[] })) },
    left.length > 0
      ? paragraph(`Left out: ${left.join('; ')}.`, 'bad')
      : unknown.length > 0
        ? paragraph(`What ${unknown.join(', ')} ran is unknown: the report declared there was not written or cannot be read.`, 'bad')
        : paragraph(nothingLeftOut(checkedKinds(r)), 'ok'),
  ];
  if (r.skipped_tests.length > 0)
    blocks.push(paragraph(`Skipped by the suites themselves (${r.skipped_tests.length}):`), {
      kind: 'list',
      items: r.skipped_tests.map((t) => ({ text: [{ code: t }] as Inline[] })),
    });
  if (r.problems.length > 0) blocks.push({ kind: 'list', items: r.problems.map((t) => ({ text: [`unreadable report: ${t}`] as Inline[] })) });
  return { title: 'What ran', blocks };
}

/** The packet as one document: both renderers show exactly these sections. */
export function packetDocument(p: Packet): Document {
  return {
    title: `Review packet: ${p.pipeline_id} run ${p.run_id}`,
    meta: [`Generated ${p.generated_at}; change against `, { code: p.base ?? 'unknown base' }, '.'],
    sections: [
      verdictSection(p),
      stagesSection(p),
      ...[ranSection(p)].filter((x): x is Section => x !== null),
      ...[failuresSection(p)].filter((x): x is Section => x !== null),
      specsSection(p),
      goldenSection(p),
      benchSection(p),
      phasesSection(p),
      budgetSection(p),
      { title: 'Mutation score', blocks: mutationBlocks(p.mutation) },
    ],
  };
}

export const renderMarkdown = (p: Packet): string => renderMarkdownDocument(packetDocument(p));

export const renderHtml = (p: Packet): string => renderHtmlDocument(packetDocument(p), `Review packet ${p.run_id}`);
