// The lane, old against new, side by side in one run (issue 19: "at most half of today's lane
// wall time, measured side by side in one run (old lane vs new), with the same tests,
// scenarios and checks"). Two fresh clones of this repository, one at --old, one at --new
// (default HEAD); `npm ci` in each (not timed); then rounds of `npm run lane` in each, the
// order alternating from round to round so neither always runs on a warmer machine. Each lane
// judges its own commit (BASE_SHA is the clone's HEAD), so both do the same work but for what
// changed between them. Reported per lane: wall time, each stage's seconds, and what it ran
// (tests passed/failed/skipped, golden scenarios, bench verdict) read from its own run; then
// the ratio of the medians. Informational, like every timing: it never gates.
// `npm run bench:lane -- --old <commit> [--new <commit>] [--rounds N] [--keep]`; each
// comparison whose lanes all passed is added to bench/history/lane.json. Stopped by SIGINT or
// SIGTERM, it stops the command running now (npm ci or a lane, its whole process group), removes
// the clones unless --keep, records nothing and exits 130/143.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError } from 'commander';
import { InputError } from '../src/errors.js';
import { refuseStaleDist } from '../src/harness/fresh-dist.js';
import { stageFacts, stageOutput } from '../src/harness/review/verdict.js';
import { isMain, runTool } from '../src/harness/tool-cli.js';
import { stopOnSignal as stopBenchOnSignal, type SignalStop } from './stop-on-signal.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const LANE_HISTORY = join(REPO, 'bench/history/lane.json');

type StageTime = { id: string; status: string; seconds: number | null; summary: string | null };
type LaneRun = { side: 'old' | 'new'; commit: string; round: number; exit: number; wall_seconds: number; stages: StageTime[]; ran: RanFacts };
/** What a lane ran, from its own run: its test stage's counts, its golden stage's scenarios. */
type RanFacts = { tests: string | null; golden: string | null; bench: string | null };

function git(cwd: string, ...args: string[]): string {
  const out = spawnSync('git', args, { cwd, encoding: 'utf8' });
  if (out.status !== 0) throw new InputError(`git ${args.join(' ')}: ${out.stderr.trim().split('\n')[0]}`);
  return out.stdout.trim();
}

/** The commit a flag names, or one line: `--old nosuchref is not a commit of this repository`. */
function commitOf(flag: string, ref: string): string {
  try {
    return git(REPO, 'rev-parse', '--verify', '--quiet', `${ref}^{commit}`);
  } catch {
    throw new InputError(`${flag} ${ref} is not a commit of this repository`);
  }
}

/** The commands running now, each the leader of its own process group. */
const running = new Set<ChildProcess>();
/** Once a signal stops bench:lane, no command starts, and none that ends is acted on. */
let signalStop: SignalStop | null = null;
const stopping = () => signalStop?.stopping === true;

/**
 * Runs `command` in its own process group (a terminal's Ctrl-C reaches bench:lane alone, which
 * then stops the group: stopOnSignal); resolves with its exit code, logging the lane's stage lines.
 */
export function sh(cwd: string, command: string, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<number> {
  // Stopping: the process exits once the running commands have; what would come next never starts.
  if (stopping()) return new Promise(() => undefined);
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    running.add(child);
    child.once('exit', () => running.delete(child));
    let last = '';
    const keep = (d: Buffer) => {
      const lines = (last + d.toString('utf8')).split('\n');
      last = lines.pop() ?? '';
      for (const line of lines) if (/^\[implementation-gate \d+\/\d+\] .* (succeeded|failed)/.test(line)) log(`  ${line}`);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('close', (code) => stopping() || resolve(code ?? 1));
  });
}

/**
 * On SIGINT or SIGTERM: every running command's process group gets SIGTERM (npm, the lane's
 * orchestrator, which cancels its stage as a lane stopped from its terminal does); once they
 * have all exited, each with its whole group (SIGKILL for what is left of it after a second),
 * `cleanup` runs and the process exits 130/143. Returns the uninstaller.
 */
export function stopOnSignal(cleanup: () => void): () => void {
  signalStop = stopBenchOnSignal({
    children: () => [...running],
    kill: (child) => {
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        // Gone meanwhile.
      }
    },
    groups: true,
    message: (signal) => `bench:lane: stopped by ${signal}: stopping the running command; nothing is recorded`,
    cleanup,
  });
  return signalStop.uninstall;
}

type LaneManifest = {
  commands: Array<{
    id: string;
    status: string;
    command: string | null;
    started_at: string | null;
    completed_at: string | null;
    summary: string | null;
    log_path: string | null;
  }>;
};

/** The lane run's manifest in `clone` (the newest run of the implementation-gate pipeline). */
function laneManifest(clone: string): LaneManifest | null {
  const dir = join(clone, '.runs/0101/cli');
  if (!existsSync(dir)) return null;
  const runs = readdirSync(dir).sort();
  for (const run of runs.reverse()) {
    const path = join(dir, run, 'manifest.json');
    if (!existsSync(path)) continue;
    const m = JSON.parse(readFileSync(path, 'utf8')) as { pipeline_id: string; commands: never };
    if (m.pipeline_id === 'implementation-gate') return m;
  }
  return null;
}

const seconds = (a: string | null, b: string | null) => (a && b ? Math.round((Date.parse(b) - Date.parse(a)) / 100) / 10 : null);

/** What a lane ran, in its stages' own words: vitest's counts (stageFacts), the golden and bench summaries. */
function ranFacts(stages: StageTime[], clone: string, m: LaneManifest | null): RanFacts {
  const test = m?.commands.find((c) => c.id === 'test');
  const output = test ? stageOutput(clone, test.log_path) : null;
  const facts = output ? stageFacts(output, test!.status === 'succeeded', test!.command, null) : null;
  return {
    tests: facts ?? stages.find((s) => s.id === 'test')?.summary ?? null,
    golden: stages.find((s) => s.id === 'golden')?.summary ?? null,
    bench: stages.find((s) => s.id === 'bench')?.summary ?? null,
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/**
 * Why a comparison is not added to the history, or null when it is: a lane that failed stopped
 * at its failing stage, so its time says nothing of the lane's speed (every lane must be green).
 */
export function notRecordedBecause(runs: Array<Pick<LaneRun, 'side' | 'round' | 'exit' | 'stages'>>): string | null {
  const failed = runs.filter((r) => r.exit !== 0);
  if (failed.length === 0) return null;
  return failed
    .map((r) => {
      const stage = r.stages.find((s) => s.status === 'failed')?.id;
      return `the ${r.side} lane of round ${r.round} failed (exit ${r.exit}${stage ? `, at its ${stage} stage` : ''})`;
    })
    .join('; ');
}

export function runLaneBench(argv: string[]): Promise<number> {
  return runTool('bench:lane', argv, (program, setExit) => {
    program
      .description(
        "Time the implementation-gate lane at two commits side by side: fresh clones, npm ci in each (not timed), then rounds of npm run lane in alternating order; prints each lane's wall time, stage seconds and what it ran, and the ratio of the medians, added to bench/history/lane.json when every lane passed (a failed lane makes no comparison, exit 1). Informational: it never gates.",
      )
      .requiredOption('--old <commit>', 'the commit whose lane is the baseline')
      .option('--new <commit>', 'the commit to compare with it', 'HEAD')
      .option(
        '--rounds <n>',
        'rounds (each runs both lanes)',
        (v: string) => {
          const n = Number(v);
          if (!Number.isInteger(n) || n < 1 || n > 9) throw new InvalidArgumentError('expected a whole number from 1 to 9');
          return n;
        },
        1,
      )
      .option('--keep', "keep the clones (their run directories hold each lane's packet)")
      .action(async (opts: { old: string; new: string; rounds: number; keep?: boolean }) => {
        const log = (line: string) => process.stderr.write(`${line}\n`);
        const commits = {
          old: commitOf('--old', opts.old),
          new: commitOf('--new', opts.new),
        };
        const work = mkdtempSync(join(tmpdir(), 'lane-bench-'));
        const env: NodeJS.ProcessEnv = { ...process.env, CI: 'true' };
        for (const key of Object.keys(env))
          if (/^CODEX_ORCHESTRATOR_/.test(key) || key === 'BASE_SHA' || key === 'DIFF_BUDGET_OVERRIDE_REASON') delete env[key];
        const runs: LaneRun[] = [];
        const removeClones = () => {
          if (opts.keep) log(`bench:lane: clones kept in ${work}`);
          else rmSync(work, { recursive: true, force: true });
        };
        const uninstall = stopOnSignal(removeClones);
        try {
          for (const side of ['old', 'new'] as const) {
            const clone = join(work, side);
            log(`bench:lane: cloning ${commits[side].slice(0, 12)} (${side}) and npm ci (not timed)`);
            git(work, 'clone', '--quiet', '--no-checkout', REPO, clone);
            git(clone, 'checkout', '--quiet', '--detach', commits[side]);
            if ((await sh(clone, 'npm ci --no-audit --no-fund', env, log)) !== 0) throw new Error(`npm ci failed in the ${side} clone`);
          }
          for (let round = 1; round <= opts.rounds; round += 1) {
            const order = round % 2 === 1 ? (['old', 'new'] as const) : (['new', 'old'] as const);
            for (const side of order) {
              const clone = join(work, side);
              log(`bench:lane: round ${round}, ${side} lane (${commits[side].slice(0, 12)})`);
              const start = process.hrtime.bigint();
              const exit = await sh(clone, 'npm run lane', { ...env, BASE_SHA: commits[side] }, log);
              const wall = Number(process.hrtime.bigint() - start) / 1e9;
              const m = laneManifest(clone);
              const stages = (m?.commands ?? []).map((c) => ({
                id: c.id,
                status: c.status,
                seconds: seconds(c.started_at, c.completed_at),
                summary: c.summary,
              }));
              runs.push({
                side,
                commit: commits[side],
                round,
                exit,
                wall_seconds: Math.round(wall * 10) / 10,
                stages,
                ran: ranFacts(stages, clone, m),
              });
              log(`bench:lane: ${side} lane exit ${exit} in ${wall.toFixed(1)} s`);
            }
          }
        } finally {
          uninstall();
          removeClones();
        }
        const oldMedian = median(runs.filter((r) => r.side === 'old').map((r) => r.wall_seconds));
        const newMedian = median(runs.filter((r) => r.side === 'new').map((r) => r.wall_seconds));
        const ratio = Math.round((newMedian / oldMedian) * 100) / 100;
        const entry = {
          recorded_at: new Date().toISOString(),
          machine: { cpus: cpus().length, loadavg_1m_at_end: Math.round(loadavg()[0]! * 100) / 100, node: process.version },
          old: commits.old,
          new: commits.new,
          rounds: opts.rounds,
          old_median_seconds: oldMedian,
          new_median_seconds: newMedian,
          new_over_old: ratio,
          runs,
        };
        const unrecorded = notRecordedBecause(runs);
        if (unrecorded === null) {
          const history = existsSync(LANE_HISTORY) ? (JSON.parse(readFileSync(LANE_HISTORY, 'utf8')) as { runs: unknown[] }) : { runs: [] };
          history.runs.push(entry);
          mkdirSync(dirname(LANE_HISTORY), { recursive: true });
          writeFileSync(LANE_HISTORY, `${JSON.stringify(history, null, 2)}\n`);
        }
        const out = (line: string) => process.stdout.write(`${line}\n`);
        for (const r of runs) {
          out(`${r.side} ${r.commit.slice(0, 12)} round ${r.round}: exit ${r.exit}, ${r.wall_seconds} s`);
          out(`  stages: ${r.stages.map((s) => `${s.id} ${s.seconds ?? '?'}s${s.status === 'succeeded' ? '' : ` (${s.status})`}`).join(', ')}`);
          out(`  ran: tests ${r.ran.tests ?? 'unknown'}; ${r.ran.golden ?? 'golden unknown'}`);
        }
        if (unrecorded === null) {
          out(
            `bench:lane: new ${newMedian} s against old ${oldMedian} s: ${ratio}x the old lane's wall time (median of ${opts.rounds} round(s); added to bench/history/lane.json)`,
          );
        } else {
          out(`bench:lane: no comparison: ${unrecorded}; nothing was added to bench/history/lane.json (every lane must pass)`);
        }
        setExit(unrecorded === null ? 0 : 1);
      });
  });
}

if (isMain(import.meta.url)) {
  refuseStaleDist('bench:lane', import.meta.url);
  process.exitCode = await runLaneBench(process.argv.slice(2));
}
