// The lane end to end with the project's own CLI: a throwaway repository whose
// codex.orchestrator.json defines `implementation-gate` with the lane's nine stages in order,
// where spec-guard, golden, bench, docs, diff-budget and review run this project's built tools
// (node <abs path>) and build, lint and test are cheap real commands. Green: one manifest, every
// stage succeeded, the review packet in the run directory. Red: the lane stops at the failing
// stage and leaves the rest pending.
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BudgetReport } from '../../src/harness/diff-budget/budget.js';
import type { GuardReport } from '../../src/harness/spec-guard/guard.js';
import type { BenchDoc } from '../../src/harness/review/packet.js';
import { NODE, checkRunsDir, onlyRunId, runFiles, shellQuote, type Json } from '../helpers/integration.js';
import { PROJECT_ROOT, TOOLS, specText, useGitRepos, type GitRepo } from '../helpers/git-repo.js';

const repo = useGitRepos();

const TODAY = '2026-06-15';
const SPEC = 'tasks/specs/0001-answer.md';
const STAGES = ['spec-guard', 'build', 'lint', 'test', 'golden', 'bench', 'docs', 'diff-budget', 'review'];
const SCENARIOS = ['stage-failure', 'success'];
/** `--compare latest` is the highest phase recorded in bench/history/. */
const LATEST_PHASE = readdirSync(join(PROJECT_ROOT, 'bench/history'))
  .map((name) => /^phase-(\d+)\.json$/.exec(name))
  .filter((m): m is RegExpExecArray => m !== null)
  .map((m) => Number(m[1]))
  .sort((a, b) => b - a)
  .map((n) => `phase-${n}`)[0];

const tool = (path: string) => `${NODE} ${shellQuote(path)}`;
const RUN_DIR = '"$CODEX_ORCHESTRATOR_RUN_DIR"';

const CONFIG = {
  defaultPipeline: 'implementation-gate',
  pipelines: [
    {
      id: 'implementation-gate',
      title: 'Implementation gate',
      guardrailsRequired: true,
      stages: [
        // The stages declare their reports as the project's lane does (the review judges the run from them),
        // but the bench, which measures only its counts here: the review would rightly call the other sections not run.
        {
          id: 'spec-guard',
          title: 'Spec guard',
          command: `${tool(TOOLS.specGuard)} --today ${TODAY} --out ${RUN_DIR}/spec-guard.json`,
          report: 'spec-guard.json',
        },
        { id: 'build', title: 'Build', command: 'mkdir -p dist && cp src/answer.js dist/answer.js' },
        { id: 'lint', title: 'Lint', command: `${NODE} --check src/answer.js && ${NODE} --check test/answer.test.js` },
        { id: 'test', title: 'Test', command: `${NODE} test/answer.test.js` },
        { id: 'golden', title: 'Golden check', command: `${tool(TOOLS.golden)} check --out ${RUN_DIR}/golden.json`, report: 'golden.json' },
        {
          id: 'bench',
          title: 'Bench check',
          command: `${tool(TOOLS.bench)} --only counts --check --compare latest --out ${RUN_DIR}/bench.json`,
        },
        { id: 'docs', title: 'Docs check', command: `${tool(TOOLS.docsCheck)} --out ${RUN_DIR}/docs.json`, report: 'docs.json' },
        {
          id: 'diff-budget',
          title: 'Diff budget',
          command: `${tool(TOOLS.diffBudget)} --out ${RUN_DIR}/diff-budget.json`,
          report: 'diff-budget.json',
        },
        // As in the project's own lane: the packet is written after a failure too.
        { id: 'review', title: 'Review packet', command: `${tool(TOOLS.review)} --no-golden-diff`, always: true, report: 'ran.json' },
      ].map((stage) => ({ kind: 'command', ...stage })),
    },
  ],
};

const PACKAGE = {
  name: 'lane-fixture',
  private: true,
  type: 'module',
  scripts: { build: 'see codex.orchestrator.json', lint: '-', test: '-', lane: 'codex-orchestrator start implementation-gate' },
};

const README = [
  '# Lane fixture',
  '',
  'Run `npm run lane` (that is `codex-orchestrator start implementation-gate`); then `npm run test` alone.',
  'The answer lives in `src/answer.js`, its test in `test/answer.test.js`, the specs in `tasks/specs/`.',
  'Runs go to `.runs/0101/cli/<run-id>/`.',
  '',
].join('\n');

const TEST = [
  "import { answer } from '../dist/answer.js';",
  'if (answer() !== 42) {',
  '  console.error(`expected 42, got ${answer()}`);',
  '  process.exit(1);',
  '}',
  "console.log('1 test passed');",
  '',
].join('\n');

/**
 * The fixture repository: origin/main is the base commit (a clone), the change on top of it
 * changes src/answer.js and its test and adds a spec.
 */
function laneRepo(change: { spec?: boolean; readme?: string } = {}): GitRepo {
  const r = repo({
    'package.json': `${JSON.stringify(PACKAGE, null, 2)}\n`,
    'codex.orchestrator.json': `${JSON.stringify(CONFIG, null, 2)}\n`,
    '.gitignore': '/.runs/\n/out/\n/dist/\n',
    'README.md': README,
    'src/answer.js': 'export const answer = () => 41;\n',
    'test/answer.test.js': TEST.replace(/42/g, '41'),
    'tasks/specs/0000-baseline.md': specText({ id: '0000-baseline', title: 'Baseline', status: 'landed', last_review: '2025-01-01', phase: 0 }),
  });
  for (const name of SCENARIOS) cpSync(join(PROJECT_ROOT, 'golden', name), r.path(join('golden', name)), { recursive: true });
  cpSync(join(PROJECT_ROOT, 'bench/budgets.json'), r.path('bench/budgets.json'));
  cpSync(join(PROJECT_ROOT, 'bench/history'), r.path('bench/history'), { recursive: true });
  r.commit('fixtures');
  r.git('update-ref', 'refs/remotes/origin/main', 'HEAD');
  r.git('checkout', '-q', '-b', 'answer-42');
  r.write('src/answer.js', 'export const answer = () => 42;\n').write('test/answer.test.js', TEST);
  if (change.spec ?? true)
    r.write(SPEC, specText({ id: '0001-answer', title: 'The answer becomes 42', risk: 'low', status: 'active', last_review: TODAY, phase: 1 }));
  if (change.readme !== undefined) r.write('README.md', change.readme);
  r.commit('the answer is 42');
  return r;
}

async function runLane(r: GitRepo) {
  const result = await r.run(TOOLS.cli, ['start', 'implementation-gate', '--format', 'json']);
  const doc = JSON.parse(result.stdout) as Json;
  const id = onlyRunId(r.root);
  const run = runFiles(r.root, id);
  expect(doc).toMatchObject({ run_id: id, artifact_root: `.runs/0101/cli/${id}` });
  checkRunsDir(r.root, { minManifests: 1 });
  return { result, doc, id, run, manifest: run.manifest(), file: (name: string) => join(run.dir, name) };
}

describe('the lane end to end', () => {
  it('runs the nine stages green and writes the review packet into the run directory', async () => {
    const r = laneRepo();
    const { result, doc, manifest, file, id } = await runLane(r);
    expect(result.code, result.stderr).toBe(0);
    expect(doc.status).toBe('succeeded');

    expect(manifest.pipeline_id).toBe('implementation-gate');
    expect(manifest.status).toBe('succeeded');
    expect(manifest.commands.map((c: Json) => c.id)).toEqual(STAGES);
    for (const c of manifest.commands) expect([c.id, c.status, c.exit_code]).toEqual([c.id, 'succeeded', 0]);
    expect(manifest.guardrail_status).toMatchObject({ present: true, counts: { total: 1, succeeded: 1, failed: 0 } });

    // What the tools wrote for the packet.
    const guard = JSON.parse(readFileSync(file('spec-guard.json'), 'utf8')) as GuardReport;
    expect(guard).toMatchObject({ base: 'origin/main', baseSource: 'origin/main', touchedSpecs: [SPEC], violations: [] });
    expect(guard.guardedChanges).toEqual(['src/answer.js']);
    const bench = JSON.parse(readFileSync(file('bench.json'), 'utf8')) as BenchDoc & { results: { counts: Record<string, unknown> } };
    expect(bench.over_budget).toEqual([]);
    expect(Object.keys(bench.results.counts).sort()).toEqual(SCENARIOS);
    expect(bench.deltas?.against).toBe(LATEST_PHASE);
    const budget = JSON.parse(readFileSync(file('diff-budget.json'), 'utf8')) as BudgetReport;
    expect(budget).toMatchObject({ baseSource: 'origin/main', over: false, passed: true, override: null });
    expect(budget.code.paths.map((p) => p.path)).toEqual(['src/answer.js', SPEC, 'test/answer.test.js']);

    // The packet: every stage, the spec, the bench, the diff budget.
    const md = readFileSync(file('review.md'), 'utf8');
    expect(md.startsWith(`# Review packet: implementation-gate run ${id}\n`)).toBe(true);
    expect(md).toContain('change against `origin/main`.');
    STAGES.forEach((stage, i) => {
      const status = stage === 'review' ? 'running \\(writing this packet\\)' : 'succeeded \\| 0';
      expect(md).toMatch(new RegExp(`\\n\\| ${i + 1} \\| ${stage} \\| ${status} \\|`));
    });
    expect(md).toContain('| test | succeeded | 0 |');
    expect(md).toMatch(/\| 5 \| golden \| succeeded \| 0 \| [\d.]+ \| golden: 2 passed, 0 failed \(2 scenarios/);
    expect(md).toContain(`- [${SPEC}](specs/0001-answer.md): **The answer becomes 42** (0001-answer; risk low; active; phase 1)`);
    expect(md).toContain('## Verdict\n\n**GREEN**: every stage passed.\n');
    // Judged from the reports the stages declared: the review's own, ran.json, names what ran.
    expect(manifest.commands.at(-1).report).toBe(`.runs/0101/cli/${id}/ran.json`);
    expect(md).toContain('- golden: 2 scenarios checked (2 passed)');
    expect(md).toMatch(
      new RegExp(
        `## Bench\\n\\nEvery figure is within its budget\\.\\n\\n\\*\\*Budgeted figures\\*\\* \\(exact counts, memory, the virtual gap; they gate\\): \\d+ checked, 0 over budget\\.\\n\\nAgainst \`${LATEST_PHASE}\`:`,
      ),
    );
    expect(md).toContain(
      `## Diff budget\n\n| changed | size | budget | verdict |\n|---|---|---|---|\n| code | 3 files / ${budget.code.lines} lines | budget 25 / 800 | ok |\n`,
    );
    expect(md).toContain('Not available: left out (--no-golden-diff)');

    const html = readFileSync(file('review.html'), 'utf8');
    expect(html).not.toMatch(/\b(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
    expect(html).not.toMatch(/<script\b|<link\b/i);
    for (const stage of STAGES) expect(html).toContain(`<td>${stage}</td>`);
    expect(html).toContain(`<a href="specs/0001-answer.md">${SPEC}</a>: <b>The answer becomes 42</b>`);
    expect(html).toContain('<h2>Diff budget</h2>');
    expect(html).toContain(`<td>3 files / ${budget.code.lines} lines</td><td>budget 25 / 800</td><td>ok</td>`);
    expect(html).toContain('<h2>Bench</h2>\n<p class="ok">Every figure is within its budget.</p>');

    // The lane does not touch the repository beyond its (ignored) run and build output.
    expect(r.git('status', '--porcelain')).toBe('');
  });

  it.each([
    {
      name: 'a doc naming a missing script fails the docs stage',
      change: { readme: `${README}Deploy with \`npm run deploy\`.\n` },
      failed: 'docs',
      mentions: "no script 'deploy' in package.json",
    },
    {
      name: 'a code change without a spec fails the spec-guard stage',
      change: { spec: false },
      failed: 'spec-guard',
      mentions: 'guarded code changed (src/answer.js)',
    },
  ])(
    '$name: exit 1, the run stops there, later stages stay pending but the review stage writes a red packet',
    async ({ change, failed, mentions }) => {
      const r = laneRepo(change);
      const { result, doc, manifest, run, file } = await runLane(r);
      expect(result.code, result.stderr).toBe(1);
      expect(doc.status).toBe('failed');
      expect(manifest.status).toBe('failed');
      expect(manifest.status_detail).toBe(`stage:${failed}:failed`);
      const at = STAGES.indexOf(failed);
      expect(manifest.commands.map((c: Json) => [c.id, c.status])).toEqual(
        STAGES.map((stage, i) => [stage, i < at || stage === 'review' ? 'succeeded' : i === at ? 'failed' : 'pending']),
      );
      expect(manifest.commands[at].exit_code).toBe(1);
      const log = readFileSync(join(run.dir, 'commands', `${String(at + 1).padStart(2, '0')}-${failed}.ndjson`), 'utf8');
      expect(log).toContain(mentions);
      // The review stage (always) ran all the same: a red packet, with the failing stage's last lines.
      const md = readFileSync(file('review.md'), 'utf8');
      expect(md).toContain(`## Verdict\n\n**RED**: stage ${failed} failed (exit 1).\n`);
      expect(md).toContain(`**${failed}** (exit 1), its last `);
      expect(md.slice(md.indexOf('## Failing stages'))).toContain(mentions);
      expect(existsSync(file('review.html'))).toBe(true);
      expect(manifest.commands.at(-1).summary).toMatch(
        new RegExp(`^red: stage ${failed} failed \\(exit 1\\) \\(\\+\\d more\\); golden diff not available \\(\\.runs/.*/review\\.md\\)$`),
      );
      if (failed === 'spec-guard') expect(manifest.guardrail_status).toMatchObject({ counts: { total: 1, succeeded: 0, failed: 1 } });
    },
  );
});
