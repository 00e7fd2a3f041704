// One live owner per run (issue 16, items 1 and 2): two resumes started together never both
// run a stage; a run whose process was killed is recovered at once, by `status` (which says
// the owner is gone) and `resume` (which takes over, and stops the stage the dead owner left
// running before the stage runs again). Readiness comes through FIFOs, never the clock.
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCliProcess } from '../helpers/cli.js';
import {
  liveProcessesInGroup,
  metricsLines,
  onlyRunId,
  processGone,
  readFifo,
  runFiles,
  startCliRaw,
  useTempRepos,
  type Json,
} from '../helpers/integration.js';

const repo = useTempRepos();

// Flipped in the change commit that gives each run one owner.
const owned = it;

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) {
    try {
      cleanup();
    } catch {
      // Gone already.
    }
  }
});

describe('two resumes at once', () => {
  // The second stage takes long enough (it waits for the first stage's resumed count to be
  // read back) that two resumes started together overlap; only one may run it.
  const config = {
    pipelines: [
      {
        id: 'diagnostics',
        title: 'Diagnostics',
        stages: [
          { kind: 'command', id: 'flaky', title: 'Flaky', command: 'echo x >> flaky-count.txt; test -f flag || exit 3' },
          { kind: 'command', id: 'after', title: 'After', command: 'echo x >> after-count.txt; sleep 0.2' },
        ],
      },
    ],
  };

  owned('50 pairs of simultaneous resumes: every pair has exactly one winner, each stage reruns once', { timeout: 240_000 }, async () => {
    const template = repo(config);
    const first = await runCliProcess(['start'], { cwd: template, invariants: false });
    expect(first.code, first.stderr).toBe(1);
    writeFileSync(join(template, 'flag'), '');
    const id = onlyRunId(template);

    const PAIRS = 50;
    const BATCH = 5;
    const outcomes: string[] = [];
    for (let batch = 0; batch < PAIRS / BATCH; batch += 1) {
      await Promise.all(
        Array.from({ length: BATCH }, async (_, k) => {
          const root = repo();
          cpSync(template, root, { recursive: true });
          const [a, b] = await Promise.all([
            runCliProcess(['resume', '--run', id, '--format', 'json'], { cwd: root, invariants: false }),
            runCliProcess(['resume', '--run', id, '--format', 'json'], { cwd: root, invariants: false }),
          ]);
          const codes = [a.code, b.code].sort();
          const pair = `pair ${batch * BATCH + k}: exits ${a.code}/${b.code}; stderr: ${a.stderr.trim()} | ${b.stderr.trim()}`;
          outcomes.push(pair);
          expect(codes, pair).toEqual([0, 2]);
          const loser = a.code === 2 ? a : b;
          // One line, naming who owns the run or that it already succeeded.
          expect(loser.stderr.trim().split('\n'), pair).toHaveLength(1);
          expect(loser.stderr, pair).toMatch(/owned by pid \d+ on host |already succeeded/);
          expect(readFileSync(join(root, 'flaky-count.txt'), 'utf8'), pair).toBe('x\nx\n');
          expect(readFileSync(join(root, 'after-count.txt'), 'utf8'), pair).toBe('x\n');
          const manifest = runFiles(root, id).manifest();
          expect(manifest.status, pair).toBe('succeeded');
          expect(
            (manifest.resume_events as Json[]).filter((e) => e.outcome === 'accepted'),
            pair,
          ).toHaveLength(1);
          // Exactly one metrics line per terminal state: the failure, then the success.
          expect(
            metricsLines(root).map((line) => line.status),
            pair,
          ).toEqual(['failed', 'succeeded']);
        }),
      );
    }
    expect(outcomes).toHaveLength(PAIRS);
  });
});

describe('a killed run', () => {
  // The stage says it runs (its pid and group on the FIFO), then waits quietly with a
  // background grandchild, as a stage that prints nothing would; on its second run it ends.
  const config = {
    pipelines: [
      {
        id: 'diagnostics',
        title: 'Diagnostics',
        stages: [
          {
            kind: 'command',
            id: 'quiet',
            title: 'Quiet',
            command: 'if [ -f second ]; then echo again; exit 0; fi; touch second; sleep 600 & sleep 600 & echo $$ > ready.fifo; wait',
          },
          { kind: 'command', id: 'after', title: 'After', command: 'echo after' },
        ],
      },
    ],
  };

  owned('is said to be ownerless at once, and resume takes it over and stops what it left running', { timeout: 60_000 }, async () => {
    const root = repo(config);
    execFileSync('mkfifo', [join(root, 'ready.fifo')]);
    const run = startCliRaw(['start'], { cwd: root, invariants: false });
    cleanups.push(() => run.child.kill('SIGKILL'));
    const stagePid = Number((await readFifo(join(root, 'ready.fifo'), run.result)).trim());
    const left = liveProcessesInGroup(stagePid);
    cleanups.push(() => process.kill(-stagePid, 'SIGKILL'));
    expect(left.length).toBeGreaterThanOrEqual(3); // the shell and its two sleeps
    run.child.kill('SIGKILL');
    await run.result;
    expect(processGone(run.child.pid!)).toBe(true);
    const id = onlyRunId(root);
    expect(runFiles(root, id).manifest().status).toBe('in_progress');

    // `status` says at once that no live process owns the run, and how to go on.
    const status = await runCliProcess(['status', '--run', id, '--format', 'json'], { cwd: root, invariants: false });
    expect(status.code, status.stderr).toBe(0);
    const view = JSON.parse(status.stdout) as Json;
    expect(view.owner).toMatchObject({ pid: run.child.pid, state: 'gone' });
    const text = await runCliProcess(['status', '--run', id], { cwd: root, invariants: false });
    expect(text.stdout).toContain(`owner:     pid ${run.child.pid}`);
    expect(text.stdout).toContain(`codex-orchestrator resume --run ${id}`);
    // `status --watch` ends with that message instead of waiting for an end that never comes.
    const watch = await runCliProcess(['status', '--run', id, '--watch', '--interval', '0.05'], { cwd: root, invariants: false });
    expect(watch.code).toBe(1);
    expect(watch.stderr).toContain('gone');

    // `resume` takes over at once (the heartbeat is fresh): the stage's group is stopped
    // before the stage runs again, and the takeover is recorded.
    const resumed = await runCliProcess(['resume', '--run', id, '--format', 'json'], { cwd: root });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(liveProcessesInGroup(stagePid)).toEqual([]);
    const manifest = runFiles(root, id).manifest();
    expect(manifest.status).toBe('succeeded');
    const accepted = (manifest.resume_events as Json[]).filter((e) => e.outcome === 'accepted');
    expect(accepted).toHaveLength(1);
    expect(accepted[0]).toMatchObject({
      previous_owner: { pid: run.child.pid, state: 'gone' },
      stopped_process_group: { pgid: stagePid },
    });
    expect(accepted[0]!.stopped_process_group.processes).toBeGreaterThanOrEqual(3);
  });
});
