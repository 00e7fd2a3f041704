// What the lane ran (src/harness/review/ran.ts): from the reports its stages declare, every
// suite, scenario and bench section; what exists and did not run makes the packet red.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { finishStage } from '../../src/manifest/transitions.js';
import { checkedKinds, narrowing, ranLines, suitesOnDisk, unknownReports, whatRan } from '../../src/harness/review/ran.js';
import { verdictOf } from '../../src/harness/review/verdict.js';
import { testManifest } from '../helpers/manifest-fixture.js';

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function checkout(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'review-ran-'));
  roots.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const RUN = '.runs/0101/cli/run-1';
const vitest = (root: string, files: Record<string, string[]>) =>
  JSON.stringify({
    testResults: Object.entries(files).map(([file, statuses]) => ({
      name: join(root, file),
      assertionResults: statuses.map((status, i) => ({ fullName: `case ${i}`, status })),
    })),
  });
const golden = (names: string[]) =>
  JSON.stringify({ tool: 'golden check', partial: false, scenarios: names.map((name) => ({ name, passed: true })) });
const bench = (sections: string[]) =>
  JSON.stringify({
    results: Object.fromEntries(sections.map((s) => [s, {}])),
    verdicts: [
      { figure: 'counts.a.bytes', gates: true },
      { figure: 'memory.16mb', gates: true },
    ],
  });

type Stage = { id: string; title: string; command: string; report?: string };

/** A manifest of RUN with these command stages; those at `ended` succeeded, having written the report they declare. */
function manifestOf(stages: Stage[], ended: number[]) {
  const m = testManifest({ nowMs: 0, artifactRoot: RUN, stages: stages.map((stage) => ({ ...stage, kind: 'command' as const })) });
  for (const i of ended) {
    const report = stages[i]!.report;
    finishStage(m, i, { status: 'succeeded', completedAtMs: 1, exitCode: 0, summary: null, ...(report ? { report: `${RUN}/${report}` } : {}) });
  }
  return m;
}

/** A lane manifest whose test, golden and bench stages ended having written their reports. */
function laneManifest() {
  return manifestOf(
    [
      { id: 'test', title: 'Test', command: 'npm run test:built', report: 'tests.json' },
      { id: 'golden', title: 'Golden', command: 'npm run golden -- check', report: 'golden.json' },
      { id: 'bench', title: 'Bench', command: 'npm run bench -- --check', report: 'bench.json' },
      { id: 'lint', title: 'Lint', command: 'npm run lint:style' },
    ],
    [0, 1, 2, 3],
  );
}

describe('what the lane ran', () => {
  it('lists every suite with its counts, every scenario and bench section; nothing left out is green', () => {
    const root = checkout({ 'tests/a.test.ts': '', 'tests/unit/b.test.ts': '', 'lint-rules/tests/c.test.ts': '', 'tests/helpers/x.ts': '' });
    writeFileSync(join(root, 'x'), '');
    mkdirSync(join(root, RUN), { recursive: true });
    writeFileSync(
      join(root, RUN, 'tests.json'),
      vitest(root, {
        'tests/a.test.ts': ['passed', 'passed'],
        'tests/unit/b.test.ts': ['passed', 'skipped'],
        'lint-rules/tests/c.test.ts': ['failed'],
      }),
    );
    writeFileSync(join(root, RUN, 'golden.json'), golden(['s1', 's2']));
    writeFileSync(join(root, RUN, 'bench.json'), bench(['counts', 'memory', 'latency', 'gap']));
    expect(suitesOnDisk(root)).toEqual(['lint-rules/tests/c.test.ts', 'tests/a.test.ts', 'tests/unit/b.test.ts']);
    const ran = whatRan(root, laneManifest(), ['s1', 's2']);
    expect(ran.suites).toEqual([
      { file: 'lint-rules/tests/c.test.ts', tests: 1, passed: 0, failed: 1, skipped: 0 },
      { file: 'tests/a.test.ts', tests: 2, passed: 2, failed: 0, skipped: 0 },
      { file: 'tests/unit/b.test.ts', tests: 2, passed: 1, failed: 0, skipped: 1 },
    ]);
    expect(ran.skipped_tests).toEqual(['tests/unit/b.test.ts: case 1']);
    expect(ran.stages.map((s) => [s.id, s.report])).toEqual([
      ['test', `${RUN}/tests.json`],
      ['golden', `${RUN}/golden.json`],
      ['bench', `${RUN}/bench.json`],
      ['lint', null],
    ]);
    expect(ran.not_run).toEqual({ suites: [], scenarios: [], bench_sections: [] });
    expect(narrowing(ran)).toEqual([]);
    expect(ranLines(ran)).toEqual([
      'tests: 3 suites, 5 tests (3 passed, 1 failed, 1 skipped)',
      'golden: 2 scenarios checked (2 passed)',
      'bench: sections counts, memory, latency, gap; 2 figures against their budgets',
    ]);
  });

  it('a suite on disk vitest did not report, a scenario not checked, a bench section not measured: each a reason, and the verdict is red', () => {
    const root = checkout({ 'tests/a.test.ts': '', 'tests/b.test.ts': '', 'tests/c.test.ts': '' });
    mkdirSync(join(root, RUN), { recursive: true });
    writeFileSync(join(root, RUN, 'tests.json'), vitest(root, { 'tests/a.test.ts': ['passed'] }));
    writeFileSync(join(root, RUN, 'golden.json'), golden(['s1']));
    writeFileSync(join(root, RUN, 'bench.json'), bench(['counts', 'latency']));
    const ran = whatRan(root, laneManifest(), ['s1', 's2']);
    expect(ran.not_run).toEqual({ suites: ['tests/b.test.ts', 'tests/c.test.ts'], scenarios: ['s2'], bench_sections: ['memory', 'gap'] });
    const reasons = narrowing(ran);
    expect(reasons).toEqual([
      '2 test suite(s) not run: tests/b.test.ts, tests/c.test.ts',
      '1 golden scenario(s) not checked: s2',
      'bench section(s) not measured: memory, gap',
    ]);
    const verdict = verdictOf({
      stages: [{ id: 'test', status: 'succeeded', exit_code: 0 }],
      ended: null,
      golden: { scenarios: [] },
      declarations: [],
      specGuardViolations: 0,
      benchOver: [],
      budgetOver: false,
      override: null,
      narrowed: reasons,
      declaredReports: ['test', 'golden', 'bench'],
    });
    expect(verdict.green).toBe(false);
    expect(verdict.line).toBe('red: 2 test suite(s) not run: tests/b.test.ts, tests/c.test.ts (+2 more); 0 of 0 golden scenarios change');
  });

  it('a pipeline whose declared reports were all read and are none of the lane kinds: only that is said (it named three unrun stages)', () => {
    const root = checkout({ 'tests/a.test.ts': '', [`${RUN}/golden.json`]: golden(['s1']), [`${RUN}/checks.json`]: '{"ok":true}' });
    const m = manifestOf(
      [
        { id: 'check', title: 'Check', command: './check', report: 'checks.json' },
        { id: 'lint', title: 'Lint', command: 'npm run lint:style' },
      ],
      [0],
    );
    const none = whatRan(root, m, ['s1']);
    expect(ranLines(none)).toEqual(['no test, golden or bench report: no stage of this pipeline declares one']);
    expect(checkedKinds(none)).toEqual([]);
    expect(narrowing(none)).toEqual([]);
    // One kind read: only its line; the other kinds, which no stage reports, are not named.
    m.commands[1]!.report = `${RUN}/golden.json`;
    const one = whatRan(root, m, ['s1']);
    expect(ranLines(one)).toEqual(['golden: 1 scenarios checked (1 passed)']);
    expect(checkedKinds(one)).toEqual(['every scenario of the corpus']);
    // The review's own stage, running, its report (this ran.json) not written yet: not a report of unknown kind.
    const withReview = manifestOf(
      [
        { id: 'check', title: 'Check', command: './check', report: 'checks.json' },
        { id: 'review', title: 'Review', command: 'npm run review', report: 'ran.json' },
      ],
      [0],
    );
    withReview.commands[1]!.status = 'running';
    withReview.commands[1]!.report = null;
    const reviewing = whatRan(root, withReview, ['s1'], 'review');
    expect(ranLines(reviewing)).toEqual(['no test, golden or bench report: no stage of this pipeline declares one']);
    expect(unknownReports(reviewing)).toEqual([]);
    // Taken for any other stage (reviewed from outside while it ran), its kind is unknown.
    expect(unknownReports(whatRan(root, withReview, ['s1']))).toEqual(['review']);
    // A declared report not written: its kind is unknown, so the kinds not found are each said to have no report.
    m.commands[0]!.report = null;
    expect(ranLines(whatRan(root, m, ['s1']))).toEqual([
      'tests: no report (the test stage did not run or wrote none)',
      'golden: 1 scenarios checked (1 passed)',
      'bench: no report (the bench stage did not run or wrote none)',
    ]);
  });

  it('a report that names its kind and does not parse as one is a problem, never taken for none (its kind vanished)', () => {
    const root = checkout({
      [`${RUN}/golden.json`]: JSON.stringify({ tool: 'golden check', scenarios: [] }),
      [`${RUN}/tests.json`]: '{"testResults":7}',
    });
    const m = manifestOf(
      [
        { id: 'golden', title: 'Golden', command: 'npm run golden -- check', report: 'golden.json' },
        { id: 'test', title: 'Test', command: 'npm test', report: 'tests.json' },
      ],
      [0, 1],
    );
    const ran = whatRan(root, m, ['s1']);
    expect(ran.problems).toEqual([
      `${RUN}/golden.json: not a valid golden report (partial: Invalid input: expected boolean, received undefined)`,
      `${RUN}/tests.json: not a valid tests report (testResults: Invalid input: expected array, received number)`,
    ]);
    expect(unknownReports(ran)).toEqual(['golden', 'test']);
    expect(narrowing(ran)).toEqual([`declared report(s) that cannot be read: ${ran.problems.join(', ')}`]);
  });

  it('a declared report that is not there, or not JSON, is named; a missing one leaves its kind unknown, never "nothing left out"', () => {
    const root = checkout({ 'tests/a.test.ts': '' });
    mkdirSync(join(root, RUN), { recursive: true });
    writeFileSync(join(root, RUN, 'golden.json'), '{ not json');
    const ran = whatRan(root, laneManifest(), ['s1']);
    expect(ran.suites).toBeNull();
    expect(ran.scenarios).toBeNull();
    expect(ran.problems.map((p) => p.split(':')[0])).toEqual([`${RUN}/tests.json`, `${RUN}/golden.json`, `${RUN}/bench.json`]);
    expect(ranLines(ran)[0]).toBe('tests: no report (the test stage did not run or wrote none)');
    // Passed, declared a report, did not write it: a reason.
    const m = laneManifest();
    m.commands[0]!.report = null;
    const reasons = narrowing(whatRan(root, m, ['s1']));
    expect(reasons[0]).toBe('stage(s) passed without their declared report: test');
    // The two that are declared and cannot be read (not JSON, not there): a reason too, each named.
    expect(reasons).toHaveLength(2);
    expect(reasons[1]).toMatch(new RegExp(`^declared report\\(s\\) that cannot be read: ${RUN}/golden\\.json: .+, ${RUN}/bench\\.json: ENOENT`));
  });
});
