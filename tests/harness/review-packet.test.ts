// Issue 18 items 2 and 3, spec 0012: a red lane still leaves its packet (the review stage is
// `always`), and the packet is the one a reviewer wants: a verdict block first (green or red
// and why, the golden changes and whether each is declared, budget overrides, base and head),
// each stage's log linked and what its output says, the failing stage's last lines, golden
// diffs as diff blocks (fenced in Markdown, coloured in HTML), the bench split into budgeted
// figures and machine-dependent timings, the touched specs copied beside the packet.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/manifest/schema.js';
import { gatherPacket, packetVerdict, renderHtml, renderMarkdown, type BenchDoc, type Packet } from '../../src/harness/review/packet.js';
import { reviewStage, TOOLS, specText, useGitRepos } from '../helpers/git-repo.js';

const repo = useGitRepos();
const TODAY = new Date().toISOString().slice(0, 10);

/** A lane in miniature: build, a test stage that fails like vitest, docs, and the review stage (always). */
const LANE = {
  pipelines: [
    {
      id: 'gate',
      title: 'Gate',
      stages: [
        { kind: 'command', id: 'build', title: 'Build', command: 'echo built' },
        {
          kind: 'command',
          id: 'test',
          title: 'Test',
          command: `for i in $(seq 1 30); do echo "ok $i"; done; printf '\\033[31mFAIL\\033[39m tests/a.test.ts > adds\\n'; echo ' Tests  1 failed | 3 passed (4)'; exit 1`,
          // Declared as the lane's test stage does; this one fails before writing it.
          report: 'tests.json',
        },
        { kind: 'command', id: 'docs', title: 'Docs', command: 'echo docs' },
        reviewStage('Review packet'),
      ],
    },
  ],
};

describe('a red lane leaves its packet', () => {
  it('the review stage runs after the failure; the packet says red and why, links the logs, shows the last lines', async () => {
    const r = repo({
      'codex.orchestrator.json': JSON.stringify(LANE, null, 2),
      '.gitignore': '/.runs/\n/out/\n',
      'tasks/specs/0001-a.md': specText({ id: '0001-a', status: 'active', last_review: TODAY }),
    });
    const started = await r.run(TOOLS.cli, ['start', 'gate']);
    expect(started.code, started.stderr).toBe(1);
    const runId = /^Run (\S+) failed/.exec(started.stdout)![1]!;
    const runDir = r.path(`.runs/0101/cli/${runId}`);
    const md = readFileSync(join(runDir, 'review.md'), 'utf8');
    const html = readFileSync(join(runDir, 'review.html'), 'utf8');

    // The lane's last line names the packet and its verdict.
    const last = started.stdout.trimEnd().split('\n').at(-1)!;
    expect(last).toBe(`  review: red: stage test failed (exit 1) (+1 more); golden diff not available (.runs/0101/cli/${runId}/review.md)`);

    // The verdict block comes first.
    expect(md.indexOf('## Verdict')).toBeGreaterThan(0);
    expect(md.indexOf('## Verdict')).toBeLessThan(md.indexOf('## Stages'));
    expect(md).toContain('**RED**: stage test failed (exit 1).');
    expect(md).toContain('- Budget overrides: unknown (no diff-budget.json)');
    expect(md).toContain(`- Base \`${r.head().slice(0, 12)}\` (HEAD), head \`${r.head().slice(0, 12)}\`.`);
    expect(html).toContain('<p class="bad"><b>RED</b>: stage test failed (exit 1).</p>');

    // Each stage's log, linked relative to the run directory, and what the test stage's output says.
    expect(md).toContain('| 2 | test | failed | 1 |');
    expect(md).toContain('**tests: 1 failed, 3 passed (of 4)**');
    expect(md).toContain('[log](commands/02-test.ndjson)');
    expect(md).toContain('| 3 | docs | pending |');
    const links = [...html.matchAll(/href="([^"]+)"/g)].map((m) => decodeURI(m[1]!));
    expect(links).toContain('commands/02-test.ndjson');
    for (const link of links) expect(existsSync(join(runDir, link)), link).toBe(true);

    // The failing stage's last 20 lines, colours removed, stdout and stderr in order.
    const failing = md.slice(md.indexOf('## Failing stages'), md.indexOf('## Specs touched'));
    expect(failing).toContain('**test** (exit 1), its last 20 line(s) ([commands/02-test.ndjson](commands/02-test.ndjson)):');
    expect(failing).toContain(
      [
        '```text',
        ...Array.from({ length: 18 }, (_, k) => `ok ${k + 13}`),
        'FAIL tests/a.test.ts > adds',
        ' Tests  1 failed | 3 passed (4)',
        '```',
      ].join('\n'),
    );
  });
});

const packetWith = (extra: Partial<Packet>): Packet => ({
  run_id: 'r1',
  pipeline_id: 'implementation-gate',
  generated_at: '2026-12-01T06:00:00.000Z',
  base: 'origin/main',
  base_sha: 'a'.repeat(40),
  head_sha: 'b'.repeat(40),
  ended: null,
  stages: [
    {
      index: 1,
      id: 'test',
      title: 'Test',
      status: 'succeeded',
      exit_code: 0,
      seconds: 1,
      summary: 'ok',
      log: 'commands/01-test.ndjson',
      facts: null,
    },
    { index: 2, id: 'review', title: 'Review', status: 'running (writing this packet)', exit_code: null, seconds: null, summary: null },
  ],
  specs: [
    {
      file: 'tasks/specs/0012-x.md',
      id: '0012-x',
      title: 'X',
      risk: 'low',
      status: 'active',
      phase: null,
      golden_changes: ['golden/success/expected/**'],
      link: 'specs/0012-x.md',
    },
  ],
  declared_reports: ['test'],
  specGuard: { state: 'absent' },
  golden: { error: 'n/a' },
  bench: { state: 'absent' },
  budget: { state: 'absent' },
  mutation: { state: 'absent' },
  phases: { state: 'absent' },
  ...extra,
});

describe('the packet a reviewer wants', () => {
  const golden: Packet['golden'] = {
    scenarios: [
      {
        name: 'success',
        differences: [{ kind: 'changed', file: 'cli/1.stdout', details: ['@@ -1,2 +1,2 @@', ' Run x succeeded.', '-  old <line>', '+  new <line>'] }],
        error: null,
      },
      {
        name: 'stage-failure',
        differences: [{ kind: 'changed', file: 'manifest.json', details: ['$.status: "failed" -> "succeeded"', 'line 4->5 $.x: 1 -> 2'] }],
        error: null,
      },
      { name: 'plan-output', differences: [], error: null },
    ],
  };

  it('golden diffs are fenced diff blocks in Markdown and coloured in HTML; the verdict counts undeclared changes', () => {
    const p = packetWith({ golden });
    const md = renderMarkdown(p);
    expect(md).toContain(
      ['- changed: `cli/1.stdout`', '', '  ```diff', '  @@ -1,2 +1,2 @@', '   Run x succeeded.', '  -  old <line>', '  +  new <line>', '  ```'].join(
        '\n',
      ),
    );
    expect(md).toContain(
      ['  ```diff', '  -$.status: "failed"', '  +$.status: "succeeded"', '  -line 4->5 $.x: 1', '  +line 4->5 $.x: 2', '  ```'].join('\n'),
    );
    const html = renderHtml(p);
    expect(html).toContain(
      '<pre class="diff"><span class="hunk">@@ -1,2 +1,2 @@</span>\n Run x succeeded.\n<span class="del">-  old &lt;line&gt;</span>\n<span class="add">+  new &lt;line&gt;</span></pre>',
    );
    // success's change is declared by the touched spec, stage-failure's is not.
    expect(md).toContain('**RED**: 1 golden file(s) changed without a touched spec declaring them.');
    expect(md).toContain('- Golden: 2 of 3 golden scenarios change, 1 changed file(s) not declared by a touched spec.');
    expect(md).toContain(`- Base \`${'a'.repeat(12)}\` (origin/main), head \`${'b'.repeat(12)}\`.`);
    expect(md).toContain('- [tasks/specs/0012-x.md](specs/0012-x.md): **X**');
  });

  it('a green packet: every stage passed, the golden changes all declared, the override named', () => {
    const declared: Packet['golden'] = { scenarios: [golden.scenarios[0]!, golden.scenarios[2]!] };
    const budget = {
      code: { files: 1, lines: 900, maxFiles: 25, maxLines: 800, over: true, paths: [] },
      fixtures: { files: 0, lines: 0, maxFiles: 1, maxLines: 1, over: false, paths: [] },
    };
    const md = renderMarkdown(
      packetWith({ golden: declared, budget: { state: 'present', value: { ...budget, override: 'one mechanical rewrite' } } }),
    );
    expect(md).toContain('**GREEN**: every stage passed.');
    expect(md).toContain('- Golden: 1 of 2 golden scenarios change, every changed file declared by a touched spec.');
    expect(md).toContain('- Budget overrides: **one mechanical rewrite**');
  });

  it("a tool's report is not a second reason when its own stage's failure already says it", () => {
    const budget = {
      code: { files: 30, lines: 900, maxFiles: 25, maxLines: 800, over: true, paths: [] },
      fixtures: { files: 0, lines: 0, maxFiles: 1, maxLines: 1, over: false, paths: [] },
    };
    const stages: Packet['stages'] = [
      { index: 1, id: 'diff-budget', title: 'Diff budget', status: 'failed', exit_code: 1, seconds: 1, summary: null },
    ];
    const failedStage = packetVerdict(packetWith({ stages, budget: { state: 'present', value: { ...budget, override: null } } }));
    expect(failedStage.reasons).toEqual(['stage diff-budget failed (exit 1)']);
    expect(failedStage.line).toBe('red: stage diff-budget failed (exit 1); golden diff not available');
    // Rewritten by hand with no diff-budget stage: the report is the reason.
    const noStage = packetVerdict(packetWith({ stages: [], budget: { state: 'present', value: { ...budget, override: null } } }));
    expect(noStage.reasons).toEqual(['diff over budget']);
  });

  it('the bench: budgeted figures apart from machine-dependent timings, with better and worse arrows', () => {
    const bench: BenchDoc = {
      over_budget: [],
      timings_over_budget: [],
      verdicts: [
        { figure: 'counts.success.bytes', over: false, gates: true },
        { figure: 'counts.success.fsyncs', over: false, gates: true },
        { figure: 'ratios.cli_startup_ratio', over: false, gates: false },
      ],
      deltas: {
        against: 'phase-5',
        figures: [
          { figure: 'counts.success.bytes', before: 1000, now: 900, delta: -100, percent: -10 },
          { figure: 'latency.cli_start_ms', before: 200, now: 250, delta: 50, percent: 25 },
          { figure: 'latency.stage_overhead_ratio', before: 14, now: 12, delta: -2, percent: -14.3 },
          { figure: 'replay.scenarios_per_second', before: 6, now: 7, delta: 1, percent: 16.7 },
        ],
      },
    };
    const md = renderMarkdown(packetWith({ bench: { state: 'present', value: bench } }));
    expect(md).toContain('**Budgeted figures** (exact counts, memory, the virtual gap; they gate): 2 checked, 0 over budget.');
    expect(md).toContain(
      'Against `phase-5`: 1 figure(s) changed.\n\n| figure | before | now | delta |\n|---|---|---|---|\n| counts.success.bytes | 1000 | 900 | -100 (-10%) |',
    );
    expect(md).toContain(
      [
        '| timing | before | now | change |',
        '|---|---|---|---|',
        '| latency.cli_start_ms | 200 | 250 | ↑ worse (+50, +25%) |',
        '| latency.stage_overhead_ratio | 14 | 12 | ↓ better (-2, -14.3%) |',
        '| replay.scenarios_per_second | 6 | 7 | ↓ better (+1, +16.7%) |',
      ].join('\n'),
    );
    expect(md).toContain('**Informational timings** (machine-dependent');
  });

  it('gathers the stage facts from each log and the verdict from the manifest', () => {
    const packet = gatherPacket({
      root: '/nonexistent',
      runDir: '/nonexistent/run',
      manifest: { run_id: 'r', pipeline_id: 'p', status: 'failed', status_detail: 'stage:x:failed', commands: [] } as unknown as Manifest,
      base: 'b',
      golden: { error: 'n/a' },
      now: new Date(0),
    });
    expect(packet.ended).toEqual({ status: 'failed', detail: 'stage:x:failed' });
  });
});
