// The stage-to-stage gap: from one stage's end to the next stage's child start.
//
// - On the virtual runtime it is exact, and must be 0 ms: nothing between two stages may wait
//   on the clock (a forced write never waits out a throttle). This figure gates.
// - On real processes it is measured from outside, the same way for any version of the CLI:
//   each stage's command is `date +%s%N >> <stamps>`, so the gap is the time between two
//   consecutive stamps (child exit, the orchestrator's work between the stages, the next spawn).
//   The current CLI and a baseline phase's CLI (built from the commit that recorded
//   bench/history/<phase>.json) run alternately in the same bench run; the ratio of their
//   medians informs, it does not gate.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { runCli } from '../src/cli/run-cli.js';
import { checkoutCommit } from '../src/harness/build/checkout.js';
import { buildTree } from '../src/harness/build/transpile-tree.js';
import { createTranscriptExecutor, type Transcript } from '../src/runtime/transcript-executor.js';
import type { Executor } from '../src/runtime/types.js';
import { createVirtualRuntime, driveToCompletion } from '../src/runtime/virtual-runtime.js';
import { CLI } from './latency.js';

const run = promisify(execFile);

/** Stages per run; each run gives STAGES - 1 gaps. */
export const GAP_STAGES = 6;
/** Real runs per CLI, alternating current and baseline. */
export const GAP_ROUNDS = 5;

export type GapResults = {
  stages: number;
  /** The largest stage-to-stage gap on the virtual runtime (must be 0). */
  virtual_gap_ms: number;
  /** Median of the real gaps of the current CLI. */
  real_gap_p50_ms: number;
  /** The baseline's label (e.g. phase-0) and commit, or why it could not be measured. */
  baseline: { label: string; commit: string | null; note: string | null };
  /** Median of the real gaps of the baseline CLI, in the same run; null when it could not be built. */
  baseline_gap_p50_ms: number | null;
  /** real_gap_p50_ms / baseline_gap_p50_ms. */
  stage_gap_ratio: number | null;
};

const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function pipeline(command: (i: number) => string) {
  return {
    pipelines: [
      {
        id: 'gap',
        title: 'Gap',
        stages: Array.from({ length: GAP_STAGES }, (_, i) => ({ kind: 'command', id: `s${i + 1}`, title: `S${i + 1}`, command: command(i) })),
      },
    ],
  };
}

/**
 * A run of GAP_STAGES stages on the virtual runtime; each stage prints a line at 1 ms (which
 * arms the manifest's throttle) and exits at 3 ms. Returns the largest gap between a child's
 * exit reaching the orchestrator and the next child's start, in virtual ms.
 */
export async function measureVirtualGap(): Promise<number> {
  const root = '/repo';
  const transcript: Transcript = { stages: {} };
  for (let i = 1; i <= GAP_STAGES; i += 1) {
    transcript.stages[`gap/s${i}`] = [{ chunks: [{ stream: 'stdout', data: `stage ${i}\n`, at_ms: 1 }], exit: { code: 0, signal: null, at_ms: 3 } }];
  }
  const starts: number[] = [];
  const ends: number[] = [];
  const runtime = createVirtualRuntime({
    startMs: Date.parse('2026-01-05T09:00:00.000Z'),
    seed: 7,
    cwd: root,
    executor: (clock): Executor => {
      const inner = createTranscriptExecutor(transcript, clock);
      return {
        start(request, onChunk) {
          starts.push(clock.now());
          const handle = inner.start(request, onChunk);
          void handle.done.then(() => ends.push(clock.now()));
          return handle;
        },
      };
    },
  });
  runtime.fs.seedFile(`${root}/codex.orchestrator.json`, JSON.stringify(pipeline((i) => `stage ${i + 1}`)));
  const code = await driveToCompletion(runtime, () => runCli(['start', 'gap'], runtime));
  if (code !== 0 || starts.length !== GAP_STAGES || ends.length !== GAP_STAGES) {
    throw new Error(`virtual gap run exited ${code} with ${starts.length} of ${GAP_STAGES} stages started`);
  }
  return Math.max(...starts.slice(1).map((start, i) => start - ends[i]!));
}

/** The commit that recorded bench/history/<label>.json: the tree that phase was measured on. */
async function baselineCommit(label: string): Promise<string> {
  const { stdout } = await run('git', ['log', '--diff-filter=A', '--format=%H', '--', `bench/history/${label}.json`]);
  const commit = stdout.trim().split('\n').at(-1) ?? '';
  if (!/^[0-9a-f]{40}$/.test(commit)) throw new Error(`no commit in this clone recorded bench/history/${label}.json (a shallow clone?)`);
  return commit;
}

/**
 * The baseline's CLI, built once per commit under node_modules/.cache/codex-bench/ from
 * its files (src/harness/build/checkout.ts), with this checkout's node_modules.
 */
async function buildBaseline(commit: string, log: (line: string) => void): Promise<string> {
  const dir = resolve('node_modules/.cache/codex-bench', commit);
  const cli = join(dir, 'dist/src/cli/main.js');
  if (existsSync(cli)) return cli;
  log(`bench: building the baseline CLI from ${commit.slice(0, 12)} (once; cached in ${dir})`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await checkoutCommit(resolve('.'), commit, dir);
  symlinkSync(resolve('node_modules'), join(dir, 'node_modules'), 'dir');
  // What is needed is the CLI: src/ transpiled file by file (src/harness/build/transpile-tree.ts);
  // when that does not link, tsc, which emits even when newer dependencies' types complain.
  await buildTree(dir, resolve('node_modules/typescript/bin/tsc'), ['dist/src/cli/run-cli.js'], { under: ['src'] }).catch(() => undefined);
  if (!existsSync(cli)) throw new Error(`the baseline did not build (${cli} is missing)`);
  return cli;
}

function runOnce(cli: string, root: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [cli, 'start', 'gap'], { cwd: root, stdio: 'ignore', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolvePromise() : reject(new Error(`${cli} start gap exited ${code}`))));
  });
}

/** The gaps (ms) of one real run of `cli`, from the stamps its stages wrote. */
async function realGaps(cli: string): Promise<number[]> {
  const root = mkdtempSync(join(tmpdir(), 'bench-gap-'));
  try {
    const stamps = join(root, 'stamps');
    writeFileSync(join(root, 'codex.orchestrator.json'), JSON.stringify(pipeline(() => `date +%s%N >> '${stamps}'`)));
    await runOnce(cli, root);
    const ns = readFileSync(stamps, 'utf8').trim().split('\n').map(BigInt);
    if (ns.length !== GAP_STAGES) throw new Error(`expected ${GAP_STAGES} stamps, found ${ns.length}`);
    return ns.slice(1).map((t, i) => Number(t - ns[i]!) / 1e6);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

export async function measureGap(log: (line: string) => void, baselineLabel = 'phase-0'): Promise<GapResults> {
  log('bench: stage-to-stage gap on the virtual runtime');
  const virtualGap = await measureVirtualGap();

  let baselineCli: string | null = null;
  const baseline: GapResults['baseline'] = { label: baselineLabel, commit: null, note: null };
  try {
    baseline.commit = await baselineCommit(baselineLabel);
    baselineCli = await buildBaseline(baseline.commit, log);
  } catch (error) {
    baseline.note = `not measured: ${error instanceof Error ? error.message : String(error)}`;
    log(`bench: the ${baselineLabel} gap is ${baseline.note}`);
  }

  log(
    `bench: stage-to-stage gap on real processes (${GAP_ROUNDS} runs of ${GAP_STAGES} stages${baselineCli ? `, alternating with ${baselineLabel}` : ''})`,
  );
  const current: number[] = [];
  const before: number[] = [];
  await realGaps(CLI); // warm-up: the file cache and the first spawn
  for (let r = 0; r < GAP_ROUNDS; r += 1) {
    // Alternate which goes first, so neither always runs on a warmer machine.
    const order = r % 2 === 0 ? ['current', 'baseline'] : ['baseline', 'current'];
    for (const which of order) {
      if (which === 'current') current.push(...(await realGaps(CLI)));
      else if (baselineCli) before.push(...(await realGaps(baselineCli)));
    }
  }
  const p50 = median(current);
  const baseP50 = before.length > 0 ? median(before) : null;
  return {
    stages: GAP_STAGES,
    virtual_gap_ms: virtualGap,
    real_gap_p50_ms: round(p50),
    baseline,
    baseline_gap_p50_ms: baseP50 === null ? null : round(baseP50),
    stage_gap_ratio: baseP50 === null || baseP50 === 0 ? null : round(p50 / baseP50, 2),
  };
}
