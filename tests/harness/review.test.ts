// The review packet: rendered from a real run directory (a manifest written by the project's
// CLI, spec-guard.json and diff-budget.json written by the real tools, a bench.json), as
// review.md and a self-contained review.html; the golden diff section from a hand-made packet;
// the mutation score section from a committed reports/mutation/summary.json.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../helpers/temp-dirs.js';
import type { BudgetReport } from '../../src/harness/diff-budget/budget.js';
import type { Manifest } from '../../src/manifest/schema.js';
import { MUTATION_SUMMARY_FILE, type MutationSummary } from '../../src/harness/review/mutation.js';
import {
  DETAIL_LINES,
  gatherPacket,
  mutationSection,
  renderHtml,
  renderMarkdown,
  type BenchDoc,
  type Packet,
} from '../../src/harness/review/packet.js';
import { expectOneLineError, onlyRunId } from '../helpers/integration.js';
import { reviewStage, TOOLS, lines, runNode, specText, useGitRepos, type GitRepo } from '../helpers/git-repo.js';

const phasesDir = useTempDirs('review-phases-');

const repo = useGitRepos();

const TODAY = '2026-06-15';
const SPEC = 'tasks/specs/0007-generic.md';
const OVERRIDE = 'the fixture rewrite is one mechanical change';

const CONFIG = {
  pipelines: [
    {
      id: 'mini',
      title: 'Mini',
      stages: [
        { kind: 'command', id: 'prepare', title: 'Prepare', command: `echo 'compiling'; echo '<script>alert(1)</script> | & "done"'` },
        // A report declared and written, as the lane's stages do: what the review judges the run from.
        {
          kind: 'command',
          id: 'check',
          title: 'Check',
          command: `echo '{"checks": 3}' > "$CODEX_ORCHESTRATOR_RUN_DIR/checks.json"; echo 3 checks passed`,
          report: 'checks.json',
        },
      ],
    },
  ],
};

const BENCH: BenchDoc = {
  over_budget: ['counts.success.bytes'],
  deltas: {
    against: 'phase-0',
    figures: [
      { figure: 'counts.success.manifest_writes', before: 8, now: 8, delta: 0, percent: 0 },
      { figure: 'counts.success.bytes', before: 1000, now: 1500, delta: 500, percent: 50 },
      { figure: 'counts.stage-failure.other_writes', before: 20, now: 15, delta: -5, percent: -25 },
      // Not measured by this run (e.g. `bench --only counts`): not a change.
      { figure: 'memory.16mb.heap_growth_mb', before: 51.4, now: null, delta: null, percent: null },
      // Measured now, not in the history (a figure a phase added): shown with its value.
      { figure: 'gap.virtual_gap_ms', before: null, now: 0, delta: null, percent: null },
    ],
  },
};

/** A committed mutation summary: src/a.ts (changed below) and src/b.ts (not changed) have survivors. */
const MUTATION: MutationSummary = {
  version: 1,
  generated_by: 'scripts/mutation-summary.mjs',
  stryker: '9.6.1',
  folders: {
    'src/manifest': {
      date: '2026-06-14T08:30:00.000Z',
      commit: '0123456789abcdef0123456789abcdef01234567',
      dirty: false,
      files: 4,
      mutants: 200,
      killed: 190,
      survived: 0,
      no_coverage: 0,
      timeout: 2,
      runtime_errors: 0,
      compile_errors: 0,
      ignored: 8,
      score: 100,
      untested_files: [],
    },
    src: {
      date: '2026-06-13T23:59:00.000Z',
      commit: 'fedcba9876543210fedcba9876543210fedcba98',
      dirty: true,
      files: 2,
      mutants: 40,
      killed: 33,
      survived: 3,
      no_coverage: 1,
      timeout: 0,
      runtime_errors: 0,
      compile_errors: 0,
      ignored: 3,
      score: 89.19,
      untested_files: ['src/c.ts'],
    },
  },
  survivors: {
    'src/a.ts': [
      { line: 1, column: 18, mutator: 'ArithmeticOperator', replacement: '-1', status: 'Survived' },
      { line: 1, column: 22, mutator: 'StringLiteral', replacement: '""', status: 'NoCoverage' },
      { line: 7, column: 3, mutator: 'BlockStatement', replacement: '{}', status: 'Survived' },
    ],
    'src/b.ts': [{ line: 2, column: 1, mutator: 'BooleanLiteral', replacement: 'false', status: 'Survived' }],
  },
};

/** A repo with a finished run of `mini`, and a change that touches a spec and is over a small budget. */
async function repoWithRun(): Promise<{ r: GitRepo; base: string; runDir: string; runId: string }> {
  const r = repo({
    'codex.orchestrator.json': JSON.stringify(CONFIG, null, 2),
    '.gitignore': '/.runs/\n/out/\n',
    'src/a.ts': 'export const a = 1;\n',
    // What the spec's golden_changes glob names (a glob that names nothing is a violation of its own).
    'golden/a/expected/out.txt': 'a\n',
    'tasks/specs/0001-old.md': specText({ id: '0001-old', status: 'active', last_review: '2026-01-01' }),
    [MUTATION_SUMMARY_FILE]: JSON.stringify(MUTATION, null, 2),
  });
  const base = r.head();
  r.write('src/a.ts', lines(20))
    .write(
      SPEC,
      specText({
        id: '0007-generic',
        title: 'Make <T> generic & safe',
        risk: 'medium',
        status: 'active',
        last_review: TODAY,
        phase: 2,
        golden_changes: ['golden/a/expected/**'],
      }),
    )
    .commit('the change');

  const started = await r.run(TOOLS.cli, ['start', 'mini', '--format', 'json']);
  expect(started.code, started.stderr).toBe(0);
  const doc = JSON.parse(started.stdout) as { run_id: string; artifact_root: string };
  const runDir = r.path(doc.artifact_root);
  expect(existsSync(join(runDir, 'manifest.json'))).toBe(true);

  const guard = await r.run(TOOLS.specGuard, ['--base', base, '--today', TODAY, '--dry-run', '--out', join(runDir, 'spec-guard.json')]);
  expect(guard.code, guard.stdout).toBe(0);
  const budget = await r.run(TOOLS.diffBudget, ['--base', base, '--max-lines', '5', '--out', join(runDir, 'diff-budget.json')], {
    DIFF_BUDGET_OVERRIDE_REASON: OVERRIDE,
  });
  expect(budget.code, budget.stdout).toBe(0);
  r.write(join(doc.artifact_root, 'bench.json'), JSON.stringify(BENCH, null, 2));
  return { r, base, runDir, runId: doc.run_id };
}

/** What makes an HTML file not self-contained: anything fetched from elsewhere. */
function expectSelfContained(html: string): void {
  expect(html).not.toMatch(/\b(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
  expect(html).not.toMatch(/<script\b/i);
  expect(html).not.toMatch(/<link\b/i);
  expect(html).not.toMatch(/@import|url\(/i);
  expect(html).toMatch(/^<!doctype html>\n<html lang="en"><head><meta charset="utf-8">/);
  expect(html).toContain('<style>');
}

describe('review packet from a run directory', () => {
  it('writes review.md and a self-contained review.html with the stages, the spec, the bench and the diff budget', async () => {
    const { r, base, runDir, runId } = await repoWithRun();
    const result = await r.run(TOOLS.review, ['--run-dir', runDir, '--no-golden-diff'], { BASE_SHA: base });
    // Red with every stage passed (the spec guard ran with --dry-run): the packet's own finding, exit 1.
    expect(result.code, result.stderr).toBe(1);
    // The last line is the verdict and the packet: the review stage's summary, the lane's last line.
    expect(result.stdout).toBe(
      `review: wrote .runs/0101/cli/${runId}/review.md and .runs/0101/cli/${runId}/review.html\n` +
        // Its one declared report (checks.json) was read and is none of the lane's kinds: the pipeline
        // has no test, golden or bench stage, and is not said to have left theirs unwritten (it was).
        'review: ran no test, golden or bench report: no stage of this pipeline declares one\n' +
        `red: 1 spec guard violation(s) (+1 more); golden diff not available (.runs/0101/cli/${runId}/review.md)\n`,
    );

    const md = readFileSync(join(runDir, 'review.md'), 'utf8');
    expect(md.startsWith(`# Review packet: mini run ${runId}\n\nGenerated `)).toBe(true);
    // Not "every suite on disk, every scenario of the corpus and every bench section ran": none did.
    expect(md).toContain('Nothing to check against what exists: no stage declared a test, golden or bench report.');
    expect(md).toContain(`; change against \`${base}\`.`);
    expect(md).toMatch(
      /\| 1 \| prepare \| succeeded \| 0 \| [\d.]+ \| <script>alert\(1\)<\/script> \\\| & "done" \| \[log\]\(commands\/01-prepare\.ndjson\) \|\n/,
    );
    expect(md).toMatch(/\| 2 \| check \| succeeded \| 0 \| [\d.]+ \| 3 checks passed \| \[log\]\(commands\/02-check\.ndjson\) \|\n/);
    expect(md).toContain(
      `- [${SPEC}](specs/0007-generic.md): **Make <T> generic & safe** (0007-generic; risk medium; active; phase 2); declares golden changes: \`golden/a/expected/**\``,
    );
    expect(md).toContain('Spec guard violations (1):\n\n- `tasks/specs/0001-old.md` last_review: 2026-01-01 is 165 days old');
    expect(md).toContain('## Golden diff against the base\n\nNot available: left out (--no-golden-diff)\n');
    expect(md).toContain('Over budget: counts.success.bytes');
    expect(md).toContain('Against `phase-0`: 2 figure(s) changed.');
    expect(md).toContain('| counts.success.bytes | 1000 | 1500 | +500 (+50%) |');
    expect(md).toContain('| counts.stage-failure.other_writes | 20 | 15 | -5 (-25%) |');
    expect(md).not.toContain('counts.success.manifest_writes'); // unchanged figures are left out
    expect(md).toContain('1 figure(s) not in `phase-0`:\n\n| figure | now |\n|---|---|\n| gap.virtual_gap_ms | 0 |');
    const budget = JSON.parse(readFileSync(join(runDir, 'diff-budget.json'), 'utf8')) as BudgetReport;
    expect(budget.code.paths.map((p) => [p.path, p.lines])).toEqual([
      ['src/a.ts', 21],
      [SPEC, expect.any(Number)],
    ]);
    expect(md).toContain(
      [
        '| changed | size | budget | verdict |',
        '|---|---|---|---|',
        `| code | 2 files / ${budget.code.lines} lines | budget 25 / 5 | over |`,
        '| golden expected files and codemod fixtures | 0 files / 0 lines | budget 1000 / 500000 | ok |',
        '',
        `**Override:** ${OVERRIDE}`,
      ].join('\n'),
    );
    expect(md.slice(md.indexOf('## Mutation score'))).toBe(
      [
        '## Mutation score',
        '',
        'Last committed run (`reports/mutation/summary.json`):',
        '',
        '| folder | score | killed | timeout | survived | no coverage | run |',
        '|---|---|---|---|---|---|---|',
        '| src/manifest | 100% | 190 | 2 | 0 | 0 | 2026-06-14 at 0123456789 |',
        '| src | 89.19% (1 file(s) not tested) | 33 | 0 | 3 | 1 | 2026-06-13 at fedcba9876 (uncommitted changes) |',
        '',
        'The change touches 1 file(s) with surviving mutants (see reports/mutation/README.md):',
        '',
        '- `src/a.ts`: 3 surviving mutant(s), line(s) 1, 7',
        '',
      ].join('\n'),
    );

    const html = readFileSync(join(runDir, 'review.html'), 'utf8');
    expectSelfContained(html);
    expect(html).toContain(`<title>Review packet ${runId}</title>`);
    expect(html).toContain('<td>prepare</td><td><span class="st succeeded">succeeded</span></td>');
    expect(html).toContain('<td>&lt;script&gt;alert(1)&lt;/script&gt; | &amp; &quot;done&quot;</td>');
    expect(html).toContain('<td>check</td>');
    expect(html).toContain(
      `<a href="specs/0007-generic.md">${SPEC}</a>: <b>Make &lt;T&gt; generic &amp; safe</b> (0007-generic; risk medium; active; phase 2)`,
    );
    // The touched spec is copied beside the packet: its link stays inside the run directory.
    expect(readFileSync(join(runDir, 'specs/0007-generic.md'), 'utf8')).toBe(readFileSync(r.path(SPEC), 'utf8'));
    expect(html).toContain('<p>Not available: left out (--no-golden-diff)</p>');
    expect(html).toContain('<p class="bad">Over budget: counts.success.bytes</p>');
    expect(html).toContain('<tr><td>counts.success.bytes</td><td>1000</td><td>1500</td><td>+500 (+50%)</td></tr>');
    expect(html).toContain(`<tr><td>code</td><td>2 files / ${budget.code.lines} lines</td><td>budget 25 / 5</td><td>over</td></tr>`);
    expect(html).toContain(`<p class="bad"><b>Override:</b> ${OVERRIDE}</p>`);
    expect(html).toContain(
      '<h2>Mutation score</h2>\n<p>Last committed run (<code>reports/mutation/summary.json</code>):</p>\n<table><thead><tr><th>folder</th><th>score</th><th>killed</th><th>timeout</th><th>survived</th><th>no coverage</th><th>run</th></tr></thead><tbody><tr><td>src/manifest</td><td>100%</td><td>190</td><td>2</td><td>0</td><td>0</td><td>2026-06-14 at 0123456789</td></tr>\n<tr><td>src</td><td>89.19% (1 file(s) not tested)</td><td>33</td><td>0</td><td>3</td><td>1</td><td>2026-06-13 at fedcba9876 (uncommitted changes)</td></tr></tbody></table>\n<p class="bad">The change touches 1 file(s) with surviving mutants (see reports/mutation/README.md):</p>\n<ul><li><code>src/a.ts</code>: 3 surviving mutant(s), line(s) 1, 7</li></ul>\n</body>',
    );
  });

  it('finds the run directory in CODEX_ORCHESTRATOR_RUN_DIR, and says what did not run', async () => {
    const r = repo({ 'codex.orchestrator.json': JSON.stringify(CONFIG), '.gitignore': '/.runs/\n/out/\n' });
    const started = await r.run(TOOLS.cli, ['start', 'mini', '--format', 'json']);
    expect(started.code, started.stderr).toBe(0);
    const runDir = r.path((JSON.parse(started.stdout) as { artifact_root: string }).artifact_root);
    const result = await r.run(TOOLS.review, ['--no-golden-diff'], { CODEX_ORCHESTRATOR_RUN_DIR: runDir });
    expect(result.code, result.stderr).toBe(0);
    const md = readFileSync(join(runDir, 'review.md'), 'utf8');
    expect(md).toContain('No spec is touched by this change.');
    expect(md).toContain('The bench did not run (no bench.json in the run directory).');
    expect(md).toContain('The diff budget did not run (no diff-budget.json in the run directory).');
    expect(md).toContain('## Mutation score\n\nNo mutation report (no `reports/mutation/summary.json`).\n');
    expect(md).toContain('; change against `HEAD`.'); // no origin/main, no BASE_SHA: the working tree against HEAD
    const html = readFileSync(join(runDir, 'review.html'), 'utf8');
    expectSelfContained(html);
    expect(html).toContain('<p>The bench did not run (no bench.json in the run directory).</p>');
    expect(html).toContain('<p>The diff budget did not run (no diff-budget.json in the run directory).</p>');
    expect(html).toContain('<h2>Mutation score</h2>\n<p>No mutation report (no <code>reports/mutation/summary.json</code>).</p>\n</body>');
  });

  it('says "Not available" when the golden diff against the base fails, and leaves no worktree behind', async () => {
    const { r, base, runDir } = await repoWithRun();
    // This repo has no node_modules/typescript: the base cannot be built.
    const result = await r.run(TOOLS.review, ['--run-dir', runDir, '--base', base]);
    expect(result.code, result.stderr).toBe(1); // red, every stage passed (see above)
    const md = readFileSync(join(runDir, 'review.md'), 'utf8');
    expect(md).toContain(`## Golden diff against the base\n\nNot available: the code at ${base} does not build`);
    expect(readFileSync(join(runDir, 'review.html'), 'utf8')).toContain(`<p>Not available: the code at ${base} does not build`);
    expect(r.git('worktree', 'list').split('\n')).toHaveLength(1);
  });

  it('a missing run directory is bad input: exit 2, one line', async () => {
    const r = repo({ 'README.md': '# x\n' });
    expectOneLineError(await r.run(TOOLS.review, ['--run-dir', r.path('.runs/0101/cli/nope'), '--no-golden-diff']), 'review: ', 'manifest.json');
    expectOneLineError(await r.run(TOOLS.review, ['--no-golden-diff']), 'no run directory');
  });

  it('a --corpus that is not a directory is bad input: exit 2, one line (it gave a green packet with no golden diff)', async () => {
    const { r, runDir } = await repoWithRun();
    expectOneLineError(await r.run(TOOLS.review, ['--run-dir', runDir, '--corpus', r.path('no-corpus')]), 'review: --corpus: ', 'is not a directory');
  });

  it('a --base that names no commit is bad input: exit 2, one line', async () => {
    const { r, runDir } = await repoWithRun();
    expectOneLineError(
      await r.run(TOOLS.review, ['--run-dir', runDir, '--base', 'no-such-ref']),
      "review: --base: 'no-such-ref' does not name a commit",
    );
  });
});

describe('a run with nothing to review', () => {
  /** The review of `run`: exit 1, its last line `not reviewed: …` (`more`: the other reasons' count), and both files of the packet saying so. */
  async function expectNotReviewed(r: GitRepo, run: string, more = '') {
    const runDir = r.path(run);
    const result = await r.run(TOOLS.review, ['--run-dir', runDir, '--no-golden-diff']);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toBe('');
    const md = readFileSync(join(runDir, 'review.md'), 'utf8');
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe(
      `not reviewed: no stage declared a report ("report" in codex.orchestrator.json), so there was nothing to review${more}; golden diff not available (${run}/review.md)`,
    );
    expect(md).toContain(
      '## Verdict\n\n**NOT REVIEWED**: no stage declared a report ("report" in codex.orchestrator.json), so there was nothing to review.\n',
    );
    expect(md).not.toContain('GREEN');
    expect(readFileSync(join(runDir, 'review.html'), 'utf8')).toContain(
      '<p class="bad"><b>NOT REVIEWED</b>: no stage declared a report (&quot;report&quot; in codex.orchestrator.json), so there was nothing to review.</p>',
    );
  }

  it('a run of exec, or of a pipeline whose stages declare no report, every stage passed: not reviewed, exit 1 (it was green)', async () => {
    const plain = { pipelines: [{ ...CONFIG.pipelines[0]!, stages: CONFIG.pipelines[0]!.stages.map(({ report: _, ...stage }) => stage) }] };
    const r = repo({ 'codex.orchestrator.json': JSON.stringify(plain), '.gitignore': '/.runs/\n/out/\n' });
    const exec = await r.run(TOOLS.cli, ['exec', 'true']);
    expect(exec.code, exec.stderr).toBe(0);
    await expectNotReviewed(r, `.runs/0101/cli/${onlyRunId(r.root)}`);

    const started = await r.run(TOOLS.cli, ['start', 'mini', '--format', 'json']);
    expect(started.code, started.stderr).toBe(0);
    const run = (JSON.parse(started.stdout) as { artifact_root: string }).artifact_root;
    await expectNotReviewed(r, run);
    expect(existsSync(r.path(join(run, 'ran.json')))).toBe(false);
  });

  it("the review's own ran.json is not evidence: its stage fails in the run, and a second review says the same", async () => {
    const config = {
      pipelines: [
        {
          id: 'gate',
          title: 'Gate',
          stages: [{ kind: 'command', id: 'check', title: 'Check', command: 'echo 3 checks passed' }, reviewStage()],
        },
      ],
    };
    const r = repo({ 'codex.orchestrator.json': JSON.stringify(config), '.gitignore': '/.runs/\n/out/\n' });
    const started = await r.run(TOOLS.cli, ['start', 'gate', '--format', 'json']);
    expect(started.code, started.stderr).toBe(1);
    const doc = JSON.parse(started.stdout) as { artifact_root: string };
    const manifest = JSON.parse(readFileSync(r.path(join(doc.artifact_root, 'manifest.json')), 'utf8')) as Manifest;
    expect(manifest.status_detail).toBe('stage:review:failed');
    expect(manifest.commands.map((c) => [c.id, c.status, c.exit_code])).toEqual([
      ['check', 'succeeded', 0],
      ['review', 'failed', 1],
    ]);
    expect(manifest.commands[1]!.summary).toMatch(/^Exited with code 1 — not reviewed: no stage declared a report/);
    // Afterwards the review stage's entry names ran.json: the review's output, still nothing reviewed.
    expect(manifest.commands[1]!.report).toBe(`${doc.artifact_root}/ran.json`);
    // Reviewed again from outside: the same verdict and exit. The review stage's own failure is
    // not evidence either (it made the second review exit 0 with "stage review failed" first).
    await expectNotReviewed(r, doc.artifact_root);
    expect(readFileSync(r.path(join(doc.artifact_root, 'review.md')), 'utf8')).not.toContain('stage review failed');
  });
});

describe("the review as a stage of a pipeline that is not the lane: 'what ran' says what that pipeline has", () => {
  // Found in review: the review's own stage (running, its ran.json not written yet) was taken
  // for a stage whose report's kind is unknown, so the three "no report" lines came back.
  const gate = (first: Record<string, unknown>) => ({
    pipelines: [
      {
        id: 'gate',
        title: 'Gate',
        stages: [{ kind: 'command', title: 'First', ...first }, reviewStage()],
      },
    ],
  });
  const reviewed = async (first: Record<string, unknown>) => {
    const r = repo({ 'codex.orchestrator.json': JSON.stringify(gate(first)), '.gitignore': '/.runs/\n/out/\n' });
    const started = await r.run(TOOLS.cli, ['start', 'gate', '--format', 'json']);
    const doc = JSON.parse(started.stdout) as { artifact_root: string };
    return readFileSync(r.path(join(doc.artifact_root, 'review.md')), 'utf8');
  };

  it('its stages declare reports of no lane kind: one line says so, and nothing is said to be missing', async () => {
    const md = await reviewed({ id: 'check', command: 'echo \'{"ok":true}\' > "$CODEX_ORCHESTRATOR_RUN_DIR/checks.json"', report: 'checks.json' });
    expect(md).toContain('- no test, golden or bench report: no stage of this pipeline declares one\n');
    expect(md).toContain('Nothing to check against what exists: no stage declared a test, golden or bench report.');
    expect(md).not.toContain('no report (the');
  });

  it('a stage that failed before writing its declared report: what it ran is unknown, never "nothing left out"', async () => {
    const md = await reviewed({ id: 'test', command: 'exit 1', report: 'tests.json' });
    expect(md).toContain('- tests: no report (the test stage did not run or wrote none)\n');
    expect(md).toContain('What test ran is unknown: the report declared there was not written or cannot be read.');
    expect(md).not.toContain('Nothing to check against what exists');
  });
});

describe('the review exits 1 when the packet is red and no other stage failed', () => {
  const gate = (check: string) => ({
    pipelines: [{ id: 'gate', title: 'Gate', stages: [{ kind: 'command', id: 'check', title: 'Check', command: check, report: 'checks.json' }] }],
  });
  const reviewOf = async (check: string) => {
    const r = repo({ 'codex.orchestrator.json': JSON.stringify(gate(check)), '.gitignore': '/.runs/\n/out/\n' });
    const started = await r.run(TOOLS.cli, ['start', 'gate', '--format', 'json']);
    const runDir = r.path((JSON.parse(started.stdout) as { artifact_root: string }).artifact_root);
    return { started, result: await r.run(TOOLS.review, ['--run-dir', runDir, '--no-golden-diff']) };
  };

  it('a declared report that cannot be read, every stage passed: red, exit 1 (it was green, exit 0)', async () => {
    const { started, result } = await reviewOf(`printf '{"checks": 3' > "$CODEX_ORCHESTRATOR_RUN_DIR/checks.json"`);
    expect(started.code, started.stderr).toBe(0);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout.trimEnd().split('\n').at(-1)).toMatch(
      /^red: declared report\(s\) that cannot be read: \.runs\/0101\/cli\/[^/]+\/checks\.json: /,
    );
  });

  it('a run whose process died mid-stage, reviewed from outside: that stage did not finish, red, exit 1 (it was green: every running stage was taken for the review)', async () => {
    const { r, runDir } = await (async () => {
      const r = repo({
        'codex.orchestrator.json': JSON.stringify(gate(`echo '{"checks": 3}' > "$CODEX_ORCHESTRATOR_RUN_DIR/checks.json"`)),
        '.gitignore': '/.runs/\n/out/\n',
      });
      const started = await r.run(TOOLS.cli, ['start', 'gate', '--format', 'json']);
      expect(started.code, started.stderr).toBe(0);
      return { r, runDir: r.path((JSON.parse(started.stdout) as { artifact_root: string }).artifact_root) };
    })();
    // The run as a kill -9 of its process during the check stage leaves it.
    const manifest = JSON.parse(readFileSync(join(runDir, 'manifest.json'), 'utf8')) as Manifest;
    Object.assign(manifest, { status: 'in_progress', status_detail: null, completed_at: null });
    Object.assign(manifest.commands[0]!, { status: 'running', completed_at: null, exit_code: null, summary: null });
    writeFileSync(join(runDir, 'manifest.json'), JSON.stringify(manifest, null, 2));
    const result = await r.run(TOOLS.review, ['--run-dir', runDir, '--no-golden-diff']);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout.trimEnd().split('\n').at(-1)).toMatch(
      /^red: stage check did not finish \(its run is in progress elsewhere, or its process died\); /,
    );
    expect(readFileSync(join(runDir, 'review.md'), 'utf8')).not.toContain('writing this packet');
  });

  it('a run of another repository, reviewed from elsewhere (npm run starts the tool in this package): judged from its own repository (it read its reports from the cwd: red, every link broken)', async () => {
    const r = repo({
      'codex.orchestrator.json': JSON.stringify(gate(`echo '{"checks": 3}' > "$CODEX_ORCHESTRATOR_RUN_DIR/checks.json"`)),
      '.gitignore': '/.runs/\n/out/\n',
    });
    const started = await r.run(TOOLS.cli, ['start', 'gate', '--format', 'json']);
    expect(started.code, started.stderr).toBe(0);
    const runDir = r.path((JSON.parse(started.stdout) as { artifact_root: string }).artifact_root);
    const elsewhere = phasesDir();
    const result = await runNode(TOOLS.review, ['--run-dir', runDir, '--no-golden-diff'], { cwd: elsewhere });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trimEnd().split('\n').at(-1)).toMatch(/^green: every stage passed; golden diff not available \(.+\/review\.md\)$/);
    const md = readFileSync(join(runDir, 'review.md'), 'utf8');
    expect(md).toContain('(commands/01-check.ndjson)');
    expect(md).not.toContain('../');
    expect(result.stderr).toBe('');
  });

  it('a run whose runs directory is outside its repository, reviewed from elsewhere: says its repository cannot be told (it guessed the cwd silently)', async () => {
    const r = repo({
      'codex.orchestrator.json': JSON.stringify(gate(`echo '{"checks": 3}' > "$CODEX_ORCHESTRATOR_RUN_DIR/checks.json"`)),
    });
    const runsDir = phasesDir();
    const started = await r.run(TOOLS.cli, ['start', 'gate', '--format', 'json'], { CODEX_ORCHESTRATOR_RUNS_DIR: runsDir });
    expect(started.code, started.stderr).toBe(0);
    const doc = JSON.parse(started.stdout) as { artifact_root: string };
    expect(doc.artifact_root.startsWith('..')).toBe(true);
    const runDir = join(r.root, doc.artifact_root);
    const elsewhere = phasesDir();
    const result = await runNode(TOOLS.review, ['--run-dir', runDir, '--no-golden-diff'], { cwd: elsewhere });
    expect(result.stderr).toBe(
      `review: the repository of ${runDir} cannot be told from its artifact_root (${doc.artifact_root}): its paths are read from ${elsewhere}; run the review there\n`,
    );
  });

  it('red because a stage failed: exit 0, the failed stage already fails the run', async () => {
    const { started, result } = await reviewOf(`echo '{"checks": 3}' > "$CODEX_ORCHESTRATOR_RUN_DIR/checks.json"; exit 3`);
    expect(started.code).toBe(1);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trimEnd().split('\n').at(-1)).toMatch(/^red: stage check failed \(exit 3\); golden diff not available/);
  });
});

describe('review packet rendering: the golden diff', () => {
  const packet = (golden: Packet['golden']): Packet => ({
    run_id: '2026-06-15T10-00-00-000Z-0123abcd',
    pipeline_id: 'implementation-gate',
    generated_at: '2026-06-15T10:05:00.000Z',
    base: 'origin/main',
    stages: [
      { index: 1, id: 'spec-guard', title: 'Spec guard', status: 'succeeded', exit_code: 0, seconds: 0.3, summary: 'spec-guard: ok' },
      { index: 2, id: 'golden', title: 'Golden check', status: 'failed', exit_code: 1, seconds: 1.2, summary: 'a <b> | c\nsecond line' },
      { index: 3, id: 'review', title: 'Review packet', status: 'pending', exit_code: null, seconds: null, summary: null },
    ],
    specs: [],
    specGuard: { state: 'absent' },
    golden,
    bench: { state: 'absent' },
    budget: { state: 'absent' },
    mutation: { state: 'absent' },
    phases: { state: 'absent' },
  });

  const scenarios: Packet['golden'] = {
    scenarios: [
      { name: 'success', differences: [], error: null },
      {
        name: 'stage-failure',
        differences: [{ kind: 'changed', file: 'manifest.json', details: ['$.status: "failed" -> "succeeded"', 'a `<tick>` here'] }],
        error: null,
      },
      {
        name: 'subpipeline-required',
        differences: [
          { kind: 'new', file: 'run-summary.json', details: ['not in expected/ (12 bytes)'] },
          { kind: 'stale', file: 'old.json', details: [] },
        ],
        error: null,
      },
      { name: 'cancel-sigint', differences: [], error: 'replay threw: <boom>' },
    ],
  };

  it('lists only the scenarios that change, with each file and the changed details (markdown)', () => {
    const md = renderMarkdown(packet(scenarios));
    const section = md.slice(md.indexOf('## Golden diff against the base'), md.indexOf('## Bench'));
    expect(section).toBe(
      [
        '## Golden diff against the base',
        '',
        '3 of 4 scenarios change.',
        '',
        '### stage-failure (1 file(s))',
        '',
        '- changed: `manifest.json`',
        '',
        '  ```diff',
        '  -$.status: "failed"',
        '  +$.status: "succeeded"',
        '   a `<tick>` here',
        '  ```',
        '',
        '',
        '### subpipeline-required (2 file(s))',
        '',
        '- added: `run-summary.json`',
        '- removed: `old.json`',
        '',
        '### cancel-sigint (error)',
        '',
        'Error: replay threw: <boom>',
        '',
        '',
      ].join('\n'),
    );
    expect(md).toContain('| 2 | golden | failed | 1 | 1.2 | a <b> \\| c second line |  |');
    expect(md).toContain('| 3 | review | pending |  |  |  |  |');
  });

  it('lists only the scenarios that change, escaped, in collapsible sections (html)', () => {
    const html = renderHtml(packet(scenarios));
    expectSelfContained(html);
    expect(html).toContain('<p>3 of 4 scenarios change.</p>');
    expect(html).not.toContain('<summary>success');
    expect(html).toContain(
      '<details open><summary>stage-failure (1 file(s))</summary><ul><li>changed: <code>manifest.json</code><pre class="diff"><span class="del">-$.status: &quot;failed&quot;</span>\n<span class="add">+$.status: &quot;succeeded&quot;</span>\n a `&lt;tick&gt;` here</pre></li></ul></details>',
    );
    expect(html).toContain(
      '<details open><summary>subpipeline-required (2 file(s))</summary><ul><li>added: <code>run-summary.json</code></li><li>removed: <code>old.json</code></li></ul></details>',
    );
    expect(html).toContain('<details open><summary>cancel-sigint (error)</summary><p class="bad">Error: replay threw: &lt;boom&gt;</p></details>');
    expect(html).toContain('<td>a &lt;b&gt; | c\nsecond line</td>');
    expect(html).not.toContain('<b> | c');
  });

  it('says "Not available" with the reason when the golden diff failed', () => {
    const failed = packet({ error: 'the code at origin/main does not build: <tsc> error' });
    expect(renderMarkdown(failed)).toContain(
      '## Golden diff against the base\n\nNot available: the code at origin/main does not build: <tsc> error\n',
    );
    const html = renderHtml(failed);
    expect(html).toContain('<h2>Golden diff against the base</h2>\n<p>Not available: the code at origin/main does not build: &lt;tsc&gt; error</p>');
    expect(html).not.toContain('scenarios change');
  });

  it('says so when no scenario changes', () => {
    const md = renderMarkdown(packet({ scenarios: [{ name: 'success', differences: [], error: null }] }));
    expect(md).toContain('## Golden diff against the base\n\n0 of 1 scenarios change.\n\n## Bench');
  });
});

describe('review packet: one document, two renderers, validated inputs', () => {
  const inputsDir = useTempDirs('review-inputs-');

  function runDirWith(files: Record<string, string>): { root: string; runDir: string } {
    const root = inputsDir();
    const runDir = join(root, 'run');
    mkdirSync(runDir, { recursive: true });
    for (const [name, text] of Object.entries(files)) writeFileSync(join(runDir, name), text);
    return { root, runDir };
  }

  const gather = (files: Record<string, string>) => {
    const { root, runDir } = runDirWith(files);
    return gatherPacket({ root, runDir, manifest: minimalManifest(), base: 'b', golden: { error: 'n/a' }, now: new Date(0) });
  };

  it('a damaged input is named with its field in both renderings, never taken for "did not run"', () => {
    const packet = gather({
      'bench.json': JSON.stringify({ over_budget: 'all', deltas: null }),
      'diff-budget.json': '{"code": ',
      'spec-guard.json': JSON.stringify({ baseSource: 'x', touchedSpecs: [], violations: [{ file: 'a.md' }] }),
    });
    const md = renderMarkdown(packet);
    const html = renderHtml(packet);
    for (const text of [
      "The bench's report cannot be read: bench.json: over_budget: ",
      "The diff budget's report cannot be read: diff-budget.json: invalid JSON at line 1, column 10: expected a value",
      "The spec guard's report cannot be read: spec-guard.json: violations[0].field: ",
    ]) {
      expect(md).toContain(text);
      expect(html).toContain(`<p class="bad">${text}`);
    }
    expect(md).not.toContain('did not run');
  });

  it('markdown and HTML have the same sections in the same order, with the same paragraphs', () => {
    const packet = gather({
      'bench.json': JSON.stringify({ ...BENCH, over_budget: [], timings_over_budget: ['ratios.stage_overhead_ratio'] }),
    });
    const md = renderMarkdown(packet);
    const html = renderHtml(packet);
    const mdTitles = [...md.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    const htmlTitles = [...html.matchAll(/<h2>([^<]+)<\/h2>/g)].map((m) => m[1]);
    expect(mdTitles).toEqual([
      'Verdict',
      'Stages',
      'Specs touched by the change',
      'Golden diff against the base',
      'Bench',
      'Phases against phase 0',
      'Diff budget',
      'Mutation score',
    ]);
    expect(htmlTitles).toEqual(mdTitles);
    expect(md).toContain(
      'Every count and memory figure is within its budget.\n\nTiming ratios over budget (they inform, they do not gate): ratios.stage_overhead_ratio',
    );
    expect(html).toContain(
      '<p class="ok">Every count and memory figure is within its budget.</p>\n<p>Timing ratios over budget (they inform, they do not gate): ratios.stage_overhead_ratio</p>',
    );
  });

  it('shows the first changed lines of a golden file and says how many more there are', () => {
    const details = Array.from({ length: DETAIL_LINES + 5 }, (_, i) => `line ${i + 1}`);
    const packet = {
      ...gather({}),
      golden: { scenarios: [{ name: 'success', differences: [{ kind: 'changed' as const, file: 'timeline.ndjson', details }], error: null }] },
    };
    const md = renderMarkdown(packet);
    expect(md).toContain(`   line ${DETAIL_LINES}\n  ... and 5 more (npm run golden -- diff --base)\n  \`\`\``);
    expect(md).not.toContain(`line ${DETAIL_LINES + 1}\n`);
    expect(renderHtml(packet)).toContain(` line ${DETAIL_LINES}\n... and 5 more (npm run golden -- diff --base)</pre>`);
  });
});

describe('review packet: the mutation score section', () => {
  const mutationDir = useTempDirs('review-mutation-');

  /** A project root with `files` (relative path -> text) and a run directory under it. */
  function project(files: Record<string, string>): { root: string; runDir: string } {
    const root = mutationDir();
    const runDir = join(root, '.runs/0101/cli/run');
    mkdirSync(runDir, { recursive: true });
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    return { root, runDir };
  }

  const budget = (code: string[], fixtures: string[] = []): string => {
    const bucket = (paths: string[]) => ({
      files: paths.length,
      lines: paths.length,
      maxFiles: 25,
      maxLines: 800,
      over: false,
      paths: paths.map((path) => ({ path, lines: 1, status: 'modified' })),
    });
    return JSON.stringify({
      base: 'b',
      baseSource: '--base',
      code: bucket(code),
      fixtures: bucket(fixtures),
      ignored: [],
      over: false,
      override: null,
      passed: true,
    });
  };

  const runDirFile = (name: string) => `.runs/0101/cli/run/${name}`;

  it('lists every changed file that has survivors, code and fixtures alike, sorted, each once', () => {
    const { root } = project({ [MUTATION_SUMMARY_FILE]: JSON.stringify(MUTATION) });
    const budgetReport = JSON.parse(budget(['src/c.ts', 'src/b.ts', 'src/a.ts'], ['src/b.ts'])) as BudgetReport;
    expect(mutationSection(root, budgetReport)).toEqual({
      state: 'present',
      folders: MUTATION.folders,
      changedFiles: ['src/c.ts', 'src/b.ts', 'src/a.ts', 'src/b.ts'],
      touched: [
        { file: 'src/a.ts', survivors: MUTATION.survivors['src/a.ts'] },
        { file: 'src/b.ts', survivors: MUTATION.survivors['src/b.ts'] },
      ],
    });
  });

  it('says the change touches no file with survivors when it does not', () => {
    const { root, runDir } = project({
      [MUTATION_SUMMARY_FILE]: JSON.stringify(MUTATION),
      [runDirFile('diff-budget.json')]: budget(['src/c.ts', 'README.md']),
    });
    const packet = gatherPacket({ root, runDir, manifest: minimalManifest(), base: null, golden: { error: 'n/a' }, now: new Date(0) });
    expect(packet.mutation).toEqual({ state: 'present', folders: MUTATION.folders, changedFiles: ['src/c.ts', 'README.md'], touched: [] });
    const md = renderMarkdown(packet);
    expect(md.slice(md.indexOf('## Mutation score'))).toContain('|---|---|---|---|---|---|---|\n| src/manifest | 100% |');
    expect(md.endsWith('\n\nThe change touches no file with surviving mutants.\n')).toBe(true);
    expect(renderHtml(packet)).toContain('</table>\n<p>The change touches no file with surviving mutants.</p>\n</body>');
  });

  it('shows the scores but says the changed files are unknown when the diff budget did not run', () => {
    const { root, runDir } = project({ [MUTATION_SUMMARY_FILE]: JSON.stringify(MUTATION) });
    const packet = gatherPacket({ root, runDir, manifest: minimalManifest(), base: null, golden: { error: 'n/a' }, now: new Date(0) });
    expect(packet.mutation).toEqual({ state: 'present', folders: MUTATION.folders, changedFiles: null, touched: [] });
    expect(renderMarkdown(packet)).toMatch(
      /\| src \| 89\.19% \(1 file\(s\) not tested\) \| 33 \| 0 \| 3 \| 1 \| 2026-06-13 at fedcba9876 \(uncommitted changes\) \|\n\nWhich files the change touched is not known \(no diff-budget\.json in the run directory\)\.\n$/,
    );
  });

  it('a score of null (no valid mutant) shows as n/a', () => {
    const empty: MutationSummary = {
      ...MUTATION,
      folders: { 'src/persist': { ...MUTATION.folders['src/manifest']!, killed: 0, timeout: 0, score: null } },
    };
    const { root, runDir } = project({ [MUTATION_SUMMARY_FILE]: JSON.stringify(empty) });
    const md = renderMarkdown(gatherPacket({ root, runDir, manifest: minimalManifest(), base: null, golden: { error: 'n/a' }, now: new Date(0) }));
    expect(md).toContain('| src/persist | n/a | 0 | 0 | 0 | 0 | 2026-06-14 at 0123456789 |');
  });

  it('says "No mutation report" when the summary is absent or is not a summary', () => {
    const absent = project({});
    expect(mutationSection(absent.root, null)).toEqual({ state: 'absent' });
    const wrong = project({ [MUTATION_SUMMARY_FILE]: JSON.stringify({ ...MUTATION, version: 2 }) });
    const section = mutationSection(wrong.root, null);
    expect(section).toEqual({ state: 'unreadable', error: 'reports/mutation/summary.json: version: not a version 1 mutation summary' });
    const packet = gatherPacket({
      root: wrong.root,
      runDir: wrong.runDir,
      manifest: minimalManifest(),
      base: null,
      golden: { error: 'n/a' },
      now: new Date(0),
    });
    expect(
      renderMarkdown(packet).endsWith(
        '## Mutation score\n\nNo mutation report: reports/mutation/summary.json: version: not a version 1 mutation summary\n',
      ),
    ).toBe(true);
    expect(renderHtml(packet)).toContain(
      '<p class="bad">No mutation report: reports/mutation/summary.json: version: not a version 1 mutation summary</p>',
    );
    const broken = project({ [MUTATION_SUMMARY_FILE]: '{"version": 1,' });
    expect(mutationSection(broken.root, null)).toMatchObject({ state: 'unreadable', error: expect.stringMatching(/JSON/) });
  });
});

/** A manifest with no stage: enough for gatherPacket. */
function minimalManifest(): Manifest {
  return { run_id: 'r', pipeline_id: 'p', status: 'succeeded', commands: [] } as unknown as Manifest;
}

describe('review packet: every phase against phase 0', () => {
  const history = (label: string, manifestWrites: number, bytes: number, memory: unknown[], extra: Record<string, unknown> = {}) => ({
    label,
    recorded_at: '2026-12-01T00:00:00.000Z',
    node: 'v20',
    results: {
      counts: {
        a: { manifest_writes: manifestWrites, heartbeat_writes: 1, other_writes: 10, bytes, fsyncs: 0 },
        b: { manifest_writes: 1, heartbeat_writes: 1, other_writes: 10, bytes: 100, fsyncs: 0 },
        ...extra,
      },
      memory,
    },
  });
  const probe = (size: number, rss: number, cap: number | null = null) => ({ size_mb: size, cap, finished: true, rss_growth_mb: rss });

  it('one row per phase, in phase order, sums over the scenarios phase 0 measured, each with its change against phase 0', async () => {
    const root = phasesDir();
    mkdirSync(join(root, 'bench/history'), { recursive: true });
    const write = (name: string, value: unknown) => writeFileSync(join(root, 'bench/history', name), JSON.stringify(value));
    write('phase-0.json', history('phase-0', 9, 900, [probe(256, 1000)]));
    write('phase-10.json', history('phase-10', 3, 100, [probe(256, 250), probe(1024, 30, 100)]));
    // A scenario added later is not summed: the sums compare like with like.
    write(
      'phase-2.json',
      history('phase-2', 4, 400, [probe(256, 1100)], { late: { manifest_writes: 99, heartbeat_writes: 0, other_writes: 0, bytes: 9, fsyncs: 0 } }),
    );
    write('notes.json', {});
    const { readPhaseTable } = await import('../../src/harness/review/phases.js');
    const table = readPhaseTable(root);
    expect(table.state).toBe('present');
    const md = renderMarkdown({ ...packetFor(root), phases: table });
    const section = md.slice(md.indexOf('## Phases against phase 0'), md.indexOf('## Diff budget'));
    expect(section).toContain('summed over the 2 golden scenarios phase 0 measured');
    const rows = section.split('\n').filter((line) => line.startsWith('| phase-'));
    expect(rows).toEqual([
      '| phase-0 | 10 | 20 | 1,000 | 0 | 1,000 | - |',
      '| phase-2 | 5 (-50%) | 20 | 500 (-50%) | 0 | 1,100 (+10%) | - |',
      '| phase-10 | 4 (-60%) | 20 | 200 (-80%) | 0 | 250 (-75%) | 30 |',
    ]);
  });

  it('says so when there is no phase 0, and names a damaged history file', async () => {
    const { readPhaseTable } = await import('../../src/harness/review/phases.js');
    const empty = phasesDir();
    expect(readPhaseTable(empty)).toEqual({ state: 'absent' });
    expect(renderMarkdown({ ...packetFor(empty), phases: { state: 'absent' } })).toContain('No phase history (no `bench/history/phase-0.json`).');
    mkdirSync(join(empty, 'bench/history'), { recursive: true });
    writeFileSync(join(empty, 'bench/history/phase-0.json'), '{"label": 3}');
    const broken = readPhaseTable(empty);
    expect(broken.state).toBe('unreadable');
    expect(broken.state === 'unreadable' && broken.error).toMatch(/bench\/history\/phase-0\.json/);
  });
});

/** A packet gathered from an empty run directory under `root`. */
function packetFor(root: string): Packet {
  const runDir = join(root, 'run');
  mkdirSync(runDir, { recursive: true });
  return gatherPacket({ root, runDir, manifest: minimalManifest(), base: null, golden: { error: 'n/a' }, now: new Date(0) });
}
