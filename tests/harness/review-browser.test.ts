// Issue 18 item 3, spec 0012: review.html in a real headless Chromium (Debian's package,
// driven by playwright-core), offline: it loads with no console error and no request leaving
// the file, every section is there, and every link resolves to a file in the run directory.
// Skipped, saying why, only when no chromium binary exists outside CI; in CI (CI=true) a
// missing chromium fails (.ci/run installs it).
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { reviewStage, TOOLS, specText, useGitRepos } from '../helpers/git-repo.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const inCi = ['1', 'true'].includes((process.env.CI ?? '').toLowerCase());
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && !inCi) {
  process.stderr.write(`review-browser.test.ts: skipped: no chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)\n`);
}
const browserIt = haveChromium || inCi ? it : it.skip;

const repo = useGitRepos();
const TODAY = new Date().toISOString().slice(0, 10);
const SPEC = 'tasks/specs/0001-a.md';

const LANE = {
  pipelines: [
    {
      id: 'gate',
      title: 'Gate',
      stages: [
        { kind: 'command', id: 'build', title: 'Build', command: 'echo built' },
        // The test stage declares its report as the lane's does (it fails before writing it).
        {
          kind: 'command',
          id: 'test',
          title: 'Test',
          command: "echo ' Tests  1 failed | 3 passed (4)'; echo 'FAIL adds' >&2; exit 1",
          report: 'tests.json',
        },
        { kind: 'command', id: 'docs', title: 'Docs', command: 'echo docs' },
        reviewStage('Review packet'),
      ],
    },
  ],
};

let browser: Browser | null = null;
afterAll(async () => {
  await browser?.close();
});

describe('review.html in a headless Chromium', () => {
  browserIt('loads offline with no console error, every section present, every link a file in the run directory', async () => {
    expect(existsSync(CHROMIUM), `no chromium at ${CHROMIUM}: in CI it must be installed (.ci/run installs it)`).toBe(true);
    const r = repo({ 'codex.orchestrator.json': JSON.stringify(LANE, null, 2), '.gitignore': '/.runs/\n/out/\n' });
    // A change that touches a spec, so the packet links one.
    r.write(SPEC, specText({ id: '0001-a', status: 'active', last_review: TODAY })).commit('spec');
    const started = await r.run(TOOLS.cli, ['start', 'gate'], { BASE_SHA: 'HEAD~1' });
    expect(started.code, started.stderr).toBe(1);
    const runId = /^Run (\S+) failed/.exec(started.stdout)![1]!;
    const runDir = realpathSync(r.path(`.runs/0101/cli/${runId}`));
    // The spec guard is not a stage here: give the packet what it would have written.
    expect(readFileSync(join(runDir, 'review.md'), 'utf8')).toContain('**RED**');
    const guard = await r.run(TOOLS.specGuard, ['--base', 'HEAD~1', '--dry-run', '--out', join(runDir, 'spec-guard.json')]);
    expect(guard.code, guard.stdout).toBe(0);
    const again = await r.run(TOOLS.review, ['--run-dir', runDir, '--no-golden-diff']);
    expect(again.code, again.stderr).toBe(0);

    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    const context = await browser.newContext({ offline: true, javaScriptEnabled: true });
    const page = await context.newPage();
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('request', (request) => requests.push(request.url()));
    page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
    const url = pathToFileURL(join(runDir, 'review.html')).href;
    const response = await page.goto(url, { waitUntil: 'load' });
    expect(response?.ok() ?? true).toBe(true);

    expect(problems).toEqual([]);
    // Offline and self-contained: the page asked for nothing but itself.
    expect(requests).toEqual([url]);

    const titles = await page.locator('h2').allTextContents();
    expect(titles).toEqual([
      'Verdict',
      'Stages',
      'What ran',
      'Failing stages',
      'Specs touched by the change',
      'Golden diff against the base',
      'Bench',
      'Phases against phase 0',
      'Diff budget',
      'Mutation score',
    ]);
    expect(await page.locator('p.bad').first().textContent()).toBe('RED: stage test failed (exit 1).');
    expect(await page.title()).toBe(`Review packet ${runId}`);

    // Every link, as the browser resolves it, is a file inside the run directory.
    const hrefs = await page.locator('a').evaluateAll((links) => links.map((a) => (a as unknown as { href: string }).href));
    expect(hrefs.length).toBeGreaterThanOrEqual(5); // four stage logs (docs has none yet: pending) and the spec
    for (const href of hrefs) {
      expect(href.startsWith('file://'), href).toBe(true);
      const path = fileURLToPath(href);
      expect(path.startsWith(runDir + sep), `${href} is outside the run directory`).toBe(true);
      expect(existsSync(path), `${href} does not exist`).toBe(true);
    }
    expect(hrefs.map((h) => h.slice(pathToFileURL(runDir).href.length + 1))).toEqual(
      expect.arrayContaining(['commands/02-test.ndjson', 'specs/0001-a.md', 'ran.json']),
    );
    await context.close();
  });
});
