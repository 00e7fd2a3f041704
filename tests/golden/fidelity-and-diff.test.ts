// Replay fidelity (a real run vs the replay of what it did) and `golden diff --base`.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { transpileTree } from '../../src/harness/build/transpile-tree.js';
import { needsRedisServer } from '../../src/harness/golden/cloud-setup.js';
import { checkFidelity, normalizeOutputs } from '../../src/harness/golden/fidelity.js';
import { replayScenario } from '../../src/harness/golden/replay.js';
import { removeRealRun, runScenarioForReal } from '../../src/harness/golden/real-run.js';
import { listScenarios, loadScenario } from '../../src/harness/golden/scenario.js';
import { TOOLS } from '../helpers/git-repo.js';
import { HAVE_REDIS } from '../helpers/redis-server.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CORPUS = join(ROOT, 'golden');

describe('golden fidelity', () => {
  it('every recordable scenario: a real run and the replay of its transcript agree, but for times, durations and ids', async () => {
    let checked = 0;
    for (const name of await listScenarios(CORPUS)) {
      const { scenario } = await loadScenario(CORPUS, name);
      if (!scenario.recordable) continue;
      // A cloud scenario's real run starts a redis-server (CI installs it); the test below says so when it is missing.
      if (needsRedisServer(scenario.cloud) && !HAVE_REDIS) continue;
      const real = await runScenarioForReal(scenario);
      try {
        expect(await checkFidelity(real, scenario), name).toEqual([]);
      } finally {
        await removeRealRun(real);
      }
      checked += 1;
    }
    expect(checked).toBeGreaterThanOrEqual(20);
  });

  // Issue 17: the dispatching executor sits behind the Executor seam, so a cloud scenario is
  // recorded for real (a redis-server and a worker process of the recorder's own) and replayed
  // like any other.
  it.skipIf(!HAVE_REDIS)('records a cloud scenario for real (its own redis-server and worker) and its replay equals that real run', async () => {
    const { scenario } = await loadScenario(CORPUS, 'cloud-stage-on-worker');
    const real = await runScenarioForReal(scenario);
    try {
      const build = real.transcript.stages['cloud/build']!;
      expect(build).toHaveLength(1);
      // The stage ran on the worker the scenario names: its attempt's start comes first, then its output.
      expect(build[0]!.chunks[0]).toMatchObject({ attempt: 1, worker_id: 'worker-a' });
      const output = build[0]!.chunks.flatMap((c) => ('data' in c ? [`${c.stream}:${c.data}`] : [])).join('');
      expect(output).toBe('stdout:compiling\nstderr:warning: slow\nstdout:built\n');
      expect(build[0]!.exit).toMatchObject({ code: 0, signal: null });
      const manifest = JSON.parse([...real.outputs].find(([file]) => /\/cli\/[^/]+\/manifest\.json$/.test(file))![1].toString('utf8'));
      expect(manifest.commands[0].placement).toMatchObject({ where: 'worker', queue: 'codex-orchestrator', worker_id: 'worker-a', attempts: 1 });
      // Byte for byte but for times, durations and ids, with the requests the replay makes.
      expect(await checkFidelity(real, scenario)).toEqual([]);
      const replay = await replayScenario(scenario, real.transcript);
      expect(replay.violations).toEqual([]);
    } finally {
      await removeRealRun(real);
    }
  });

  it('a cloud scenario recorded with Redis unreachable says the declared socket, never the temp one its real run used', async () => {
    const { scenario } = await loadScenario(CORPUS, 'cloud-fallback-auto');
    const real = await runScenarioForReal(scenario);
    try {
      const reason = 'Redis at /var/run/codex-redis.sock is unreachable (connect ENOENT /var/run/codex-redis.sock); ran here (cloud fallback policy auto)';
      expect(real.transcript.stages['cloud/build']![0]!.fallback).toBe(reason);
      const written = [...real.outputs.values()].map((data) => data.toString('utf8')).join('\n');
      expect(written).toContain(reason);
      expect(written).not.toContain('golden-cloud-');
      expect(await checkFidelity(real, scenario)).toEqual([]);
    } finally {
      await removeRealRun(real);
    }
  });

  it('catches a replay that is not faithful', async () => {
    const { scenario } = await loadScenario(CORPUS, 'stage-failure');
    const real = await runScenarioForReal(scenario);
    try {
      const chunk = real.transcript.stages['ci/build']![0]!.chunks[0]!;
      expect('data' in chunk).toBe(true);
      (chunk as { data: string }).data = 'compiling…\n';
      const differences = await checkFidelity(real, scenario);
      expect(differences.length).toBeGreaterThan(0);
      expect(differences.map((d) => d.file)).toContain('files/.runs/0101/cli/<run-1>/runner.ndjson');
    } finally {
      await removeRealRun(real);
    }
  });

  it('normalizes only times, durations and ids', () => {
    const outputs = new Map([
      ['files/.runs/0101/metrics.json', Buffer.from('{"run_id":"2026-01-05T09-00-00-000Z-96a0f96b","duration_seconds":1.25,"recorded_at":"2026-01-05T09:00:01.250Z"}\n')],
      ['cli/1.stderr', Buffer.from('[ci 1/1] build succeeded (exit 0, 1.3s) in /tmp/x/sub\n')],
      ['cli/2.stdout', Buffer.from('  completed: 2026-01-05T09:00:01.250Z\n  duration:  1.3s\n  manifest:  x\n    1. duration:  2.0s\n')],
    ]);
    const normalized = normalizeOutputs(outputs, '/tmp/x');
    expect(normalized.get('files/.runs/0101/metrics.json')!.toString()).toBe('{"run_id":"<run-1>","duration_seconds":0,"recorded_at":"<time>"}\n');
    expect(normalized.get('cli/1.stderr')!.toString()).toBe('[ci 1/1] build succeeded (exit 0, <s>) in /repo/sub\n');
    // Text status's duration line, and nothing else that looks like it.
    expect(normalized.get('cli/2.stdout')!.toString()).toBe('  completed: <time>\n  duration:  <s>\n  manifest:  x\n    1. duration:  2.0s\n');
  });
});

describe('golden diff --base', () => {
  it('refuses a base that does not resolve', () => {
    const result = spawnSync(process.execPath, [TOOLS.golden, 'diff', '--base', 'no-such-ref-xyz'], { cwd: ROOT, encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toBe(`golden: --base: 'no-such-ref-xyz' does not name a commit in ${ROOT.replace(/\/$/, '')}`);
  });

  // Issue 18 item 4: the simulated change gives the failure summary's sentinel a value (no real
  // change touches it), never rewording a message users may reword.
  it("shows per scenario what the working tree's code changes against the base ref", async () => {
    // A throwaway repository holding this project's code and two scenarios; the working
    // tree then changes the failure summary through its sentinel.
    const repo = mkdtempSync(join(tmpdir(), 'golden-diff-'));
    for (const path of ['src', 'tsconfig.json', 'package.json', 'golden/stage-failure', 'golden/success']) {
      cpSync(join(ROOT, path), join(repo, path), { recursive: true });
    }
    symlinkSync(join(ROOT, 'node_modules'), join(repo, 'node_modules'), 'dir');
    writeFileSync(join(repo, '.gitignore'), 'node_modules\ndist\n');
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...args], { cwd: repo, encoding: 'utf8' });
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('commit', '-qm', 'base');
    const stageFile = join(repo, 'src/run/command-stage.ts');
    const code = readFileSync(stageFile, 'utf8');
    const changed = code.replace("export const FAILURE_SUMMARY_SENTINEL = '';", "export const FAILURE_SUMMARY_SENTINEL = 'sentinel: ';");
    expect(changed, 'the sentinel is in src/run/command-stage.ts').not.toBe(code);
    writeFileSync(stageFile, changed);
    await transpileTree(repo); // its JavaScript, as the base's is built (src/harness/build/transpile-tree.ts)
    writeFileSync(join(repo, 'dist/.build-stamp'), 'built\n'); // as `npm run build` leaves it: the tools check it

    const result = spawnSync(process.execPath, [join(repo, 'dist/src/harness/golden/cli.js'), 'diff', '--base', 'HEAD'], { cwd: repo, encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('success: unchanged');
    expect(result.stdout).toMatch(/stage-failure: \d+ file\(s\) changed/);
    expect(result.stdout).toContain('$.commands[1].summary: "Exited with code 2 — error TS2322: bad type" -> "sentinel: Exited with code 2 — error TS2322: bad type"');
    expect(result.stdout).toContain('golden diff: 1 of 2 scenarios changed against HEAD');
    expect(git('worktree', 'list').trim().split('\n')).toHaveLength(1);
    rmSync(repo, { recursive: true, force: true });
  });
});
