// Timings. Absolute times depend on the machine, so what is budgeted is a ratio of two things
// measured in the same run, as the median of interleaved pairs with its noise band (spec 0012);
// absolute figures are shown for reading. The forced write's percentiles come from tinybench.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import { runCli } from '../src/cli/run-cli.js';
import { ENV_VARIABLES } from '../src/config/env-settings.js';
import { createManifest } from '../src/manifest/transitions.js';
import { ManifestPersister } from '../src/persist/persister.js';
import { runPaths } from '../src/persist/manifest-writer.js';
import { createNodeFileSink } from '../src/runtime/node-file-sink.js';
import { createManualSignals } from '../src/runtime/process-signals.js';
import { createRandomIds } from '../src/runtime/random-ids.js';
import { createRealClock } from '../src/runtime/real-clock.js';
import { createRealRuntime } from '../src/runtime/real-runtime.js';
import type { Runtime } from '../src/runtime/types.js';
import type { FloorOperation } from './startup-floor.cjs';
import { createCapturedStream } from '../src/runtime/virtual-runtime.js';

/** This checkout's built bin (dist/src/cli/bin.cjs), which the benches run as users do. */
export const CLI = fileURLToPath(new URL('../src/cli/bin.cjs', import.meta.url));
/** The contract's floor under a one-stage run (bench/startup-floor.cts). */
const FLOOR = fileURLToPath(new URL('./startup-floor.cjs', import.meta.url));

export type LatencyResults = {
  forced_write_p50_ms: number;
  forced_write_p99_ms: number;
  stage_ms: number;
  direct_spawn_ms: number;
  stage_overhead_ratio: number;
  /** The pairs' 25th and 75th percentile ratio: the noise band (absent in history before spec 0012). */
  stage_overhead_band?: [number, number];
  cli_start_ms: number;
  node_start_ms: number;
  cli_startup_ratio: number;
  cli_startup_band?: [number, number];
  /**
   * The floor under the start-up ratio: the file operations of a traced one-stage `start`
   * (their count, `floor_operations`) and its `sh -c true`, replayed with the real sink's
   * steps and none of the CLI's logic, against `node -e 0` (absent in history before
   * 2026-12-02). It informs; it has no budget.
   */
  floor_operations?: number;
  floor_ms?: number;
  floor_node_ms?: number;
  floor_ratio?: number;
  floor_band?: [number, number];
};

/** A ratio measured as interleaved pairs: the median pair ratio, its band, and each side's median time. */
export type PairRatio = { ratio: number; low: number; high: number; pairs: number; a_ms: number; b_ms: number };

/** The q-quantile (0..1) of sorted values, interpolated. */
function quantile(sorted: number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

/**
 * `a` against `b` as interleaved pairs: each pair times both back to back, the first side
 * alternating pair by pair, so a busy moment of a shared machine weighs on both sides of the
 * pairs it hits instead of on one side's whole block. The ratio is the median of the pair
 * ratios; the band their 25th to 75th percentile. `warmup` pairs are run and not counted.
 */
export async function interleavedRatio(
  a: () => Promise<void>,
  b: () => Promise<void>,
  options: { pairs: number; warmup: number; now?: () => number },
): Promise<PairRatio> {
  const now = options.now ?? (() => performance.now());
  const time = async (work: () => Promise<void>) => {
    const start = now();
    await work();
    return now() - start;
  };
  for (let k = 0; k < options.warmup; k += 1) {
    await a();
    await b();
  }
  const as: number[] = [];
  const bs: number[] = [];
  const ratios: number[] = [];
  for (let k = 0; k < options.pairs; k += 1) {
    let ta: number;
    let tb: number;
    if (k % 2 === 0) {
      ta = await time(a);
      tb = await time(b);
    } else {
      tb = await time(b);
      ta = await time(a);
    }
    as.push(ta);
    bs.push(tb);
    ratios.push(ta / tb);
  }
  const sort = (values: number[]) => [...values].sort((x, y) => x - y);
  const r = sort(ratios);
  return {
    ratio: round(quantile(r, 0.5), 2),
    low: round(quantile(r, 0.25), 2),
    high: round(quantile(r, 0.75), 2),
    pairs: options.pairs,
    a_ms: round(quantile(sort(as), 0.5)),
    b_ms: round(quantile(sort(bs), 0.5)),
  };
}

function runProcess(command: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: 'ignore', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env } });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited ${code}`))));
  });
}

/**
 * The file operations and the child of one traced `start one` in `root`, in order, with the
 * run's id as `{run}` (bench/startup-floor.cts gives each replay an id of its own).
 */
export function floorOperations(traceText: string): FloorOperation[] {
  const events = traceText
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { kind?: string; path?: string; bytes?: number });
  const runId = events.map((e) => /(?:^|\/)(?:cli|mcp)\/([^/]+)\//.exec(e.path ?? '')?.[1]).find((id) => id !== undefined);
  if (runId === undefined) throw new Error('the traced run wrote nothing under a run directory');
  const operations: FloorOperation[] = [];
  for (const event of events) {
    if (event.kind === 'exec:start') operations.push({ kind: 'exec' });
    else if (event.kind === 'create' || event.kind === 'write' || event.kind === 'append' || event.kind === 'remove') {
      operations.push({
        kind: event.kind,
        path: event.path!.split(runId).join('{run}'),
        ...(event.bytes === undefined ? {} : { bytes: event.bytes }),
      });
    }
  }
  return operations;
}

function oneStageRepo(): string {
  const root = mkdtempSync(join(tmpdir(), 'bench-latency-'));
  writeFileSync(
    join(root, 'codex.orchestrator.json'),
    JSON.stringify({ pipelines: [{ id: 'one', title: 'One', stages: [{ kind: 'command', id: 'true', title: 'True', command: 'true' }] }] }),
  );
  return root;
}

function realRuntime(root: string): Runtime {
  return createRealRuntime({
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    stdout: createCapturedStream(),
    stderr: createCapturedStream(),
    signals: createManualSignals(),
    cwd: root,
  });
}

function stats(bench: Bench, name: string): { mean: number; p50: number; p99: number } {
  const task = bench.getTask(name);
  const result = task?.result as { latency?: { mean: number; p50: number; p99: number } } | undefined;
  if (!result?.latency) throw new Error(`bench task '${name}' produced no result`);
  return { mean: result.latency.mean, p50: result.latency.p50, p99: result.latency.p99 };
}

const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;

export async function measureLatency(log: (line: string) => void): Promise<LatencyResults> {
  const root = oneStageRepo();
  try {
    // 1. A forced manifest write, from the request to the bytes on disk.
    const clock = createRealClock();
    const fs = createNodeFileSink({ clock, pid: process.pid });
    const paths = runPaths({ root, runsDir: join(root, '.runs'), outDir: join(root, 'out') }, '0101', 'bench-run', fs, clock);
    const manifest = createManifest({
      taskId: '0101',
      taskSlug: null,
      runId: 'bench-run',
      parentRunId: null,
      pipelineId: 'one',
      pipelineTitle: 'One',
      approvalPolicy: null,
      nowMs: clock.now(),
      artifactRoot: '.runs/0101/cli/bench-run',
      compatPath: 'c',
      logPath: 'l',
      resumeToken: createRandomIds().resumeToken(),
      stages: Array.from({ length: 8 }, (_, i) => ({
        id: `stage-${i}`,
        title: `Stage ${i}`,
        kind: 'command' as const,
        command: `npm run step-${i}`,
      })),
      planTargetId: null,
      instructionsHash: null,
      instructionsSources: [],
      guardrailsRequired: false,
      privacyMode: 'shadow',
      privacyLogPath: 'p',
    });
    const persister = new ManifestPersister(paths, manifest, { intervalMs: 5_000 });
    const writes = new Bench({ time: 1_000, iterations: 50, warmupIterations: 10 });
    let n = 0;
    writes.add('forced manifest write', async () => {
      // A new state each time: the persister skips a write that would repeat the last one.
      n += 1;
      await persister.update((m) => void (m.summary = `write ${n}`), { force: true });
    });
    log('bench: timing forced manifest writes');
    await writes.run();
    await persister.close();

    // 2. A one-stage run in-process vs spawning the same command directly, as interleaved pairs.
    const runtime = realRuntime(root);
    log('bench: timing a one-stage run against a direct spawn (interleaved pairs)');
    const stage = await interleavedRatio(
      async () => {
        const code = await runCli(['start', 'one'], runtime);
        if (code !== 0) throw new Error(`one-stage run exited ${code}`);
      },
      () => runProcess('/bin/sh', ['-c', 'true'], root),
      { pairs: 21, warmup: 3 },
    );

    // 3. CLI start-up of `start` on a one-stage `true` pipeline vs `node -e 0`, as interleaved pairs.
    log('bench: timing CLI start-up against node -e 0 (interleaved pairs)');
    const startup = await interleavedRatio(
      () => runProcess(process.execPath, [CLI, 'start', 'one'], root),
      () => runProcess(process.execPath, ['-e', '0'], root),
      { pairs: 11, warmup: 2 },
    );

    // 4. The floor under 3: the traced run's file operations and child, with none of the CLI's logic.
    log('bench: timing the contract floor of a one-stage run against node -e 0 (interleaved pairs)');
    const trace = join(root, 'floor-trace.ndjson');
    await runProcess(process.execPath, [CLI, 'start', 'one'], root, { [ENV_VARIABLES.trace.name]: trace });
    const operations = floorOperations(readFileSync(trace, 'utf8'));
    const operationsFile = join(root, 'floor-operations.json');
    writeFileSync(operationsFile, JSON.stringify(operations));
    const floor = await interleavedRatio(
      () => runProcess(process.execPath, [FLOOR, operationsFile], root),
      () => runProcess(process.execPath, ['-e', '0'], root),
      { pairs: 11, warmup: 2 },
    );

    const write = stats(writes, 'forced manifest write');
    return {
      forced_write_p50_ms: round(write.p50),
      forced_write_p99_ms: round(write.p99),
      stage_ms: stage.a_ms,
      direct_spawn_ms: stage.b_ms,
      stage_overhead_ratio: stage.ratio,
      stage_overhead_band: [stage.low, stage.high],
      cli_start_ms: startup.a_ms,
      node_start_ms: startup.b_ms,
      cli_startup_ratio: startup.ratio,
      cli_startup_band: [startup.low, startup.high],
      floor_operations: operations.length,
      floor_ms: floor.a_ms,
      floor_node_ms: floor.b_ms,
      floor_ratio: floor.ratio,
      floor_band: [floor.low, floor.high],
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
