// Runs in a child Node process started with --expose-gc: loads the orchestrator (a first run
// with no output loads what a run needs), measures its idle memory, then runs a one-stage
// pipeline (a real child process printing <MB> of output) in-process and reports the peak heap
// and RSS growth over that idle baseline, and the time from the child's exit to the run's end,
// as one JSON line on stdout.
// Usage: memory-probe.js <MB> [<cap>] (cap: CODEX_ORCHESTRATOR_EXEC_EVENT_MAX_CHUNKS).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../src/cli/run-cli.js';
import { createManualSignals } from '../src/runtime/process-signals.js';
import { createRealRuntime } from '../src/runtime/real-runtime.js';
import { createCapturedStream } from '../src/runtime/virtual-runtime.js';

const MB = 1024 * 1024;

export type MemoryProbeResult = {
  size_mb: number;
  /** The chunk-event cap the run had (phase 3), or null (unbounded). */
  cap?: number | null;
  finished: boolean;
  reason: string | null;
  heap_growth_mb: number;
  rss_growth_mb: number;
  seconds: number;
  /** From the stage's child exiting to the run's end: the run's end work (writing run-summary.json, …). */
  tail_seconds?: number;
};

/**
 * This process's peak RSS in bytes: VmHWM from /proc/self/status (Linux), the high-water mark
 * of this process image. Not getrusage's maxRSS where VmHWM exists: Linux keeps that across
 * fork and exec, so a probe started by a bench process that had grown (replaying the corpus)
 * began with the parent's RSS as its "peak".
 */
function peakRssBytes(): number {
  try {
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (hwm) return Number(hwm[1]) * 1024;
  } catch {
    // Not Linux: getrusage's figure below.
  }
  return process.resourceUsage().maxRSS * 1024;
}

async function main(): Promise<void> {
  const sizeMb = Number(process.argv[2]);
  const cap = process.argv[3] === undefined ? null : Number(process.argv[3]);
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  const root = mkdtempSync(join(tmpdir(), 'bench-memory-'));
  const line = '0123456789abcdef'.repeat(4).slice(0, 63);
  writeFileSync(
    join(root, 'codex.orchestrator.json'),
    JSON.stringify({
      pipelines: [
        { id: 'print', title: 'Print', stages: [{ kind: 'command', id: 'print', title: 'Print', command: `yes ${line} | head -c ${sizeMb * MB}` }] },
        { id: 'warm', title: 'Warm', stages: [{ kind: 'command', id: 'warm', title: 'Warm', command: 'true' }] },
      ],
    }),
  );
  const stderr = createCapturedStream();
  const runtime = createRealRuntime({
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...(cap === null ? {} : { CODEX_ORCHESTRATOR_EXEC_EVENT_MAX_CHUNKS: String(cap) }) },
    stdout: createCapturedStream(),
    stderr,
    signals: createManualSignals(),
    cwd: root,
  });
  let childExitedAt = Number.NaN;
  const executor = runtime.executor;
  runtime.executor = {
    start(request, onChunk) {
      const handle = executor.start(request, onChunk);
      void handle.done.then(() => (childExitedAt = performance.now())).catch(() => undefined);
      return handle;
    },
  };
  // The CLI loads a command's modules when the command runs (src/cli/main.ts): one run with no
  // output first, so the idle figure is the orchestrator's with everything a run loads, and
  // the growth measured is the output's, not the loading of `start`'s modules.
  if ((await runCli(['start', 'warm'], runtime)) !== 0) throw new Error(`the warm-up run failed: ${stderr.text().trim().split('\n').at(-1)}`);
  gc();
  gc();
  const base = process.memoryUsage();
  let peakHeap = base.heapUsed;
  const sample = setInterval(() => {
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }, 5);
  const started = performance.now();
  let finished = true;
  let tailSeconds = Number.NaN;
  let reason: string | null = null;
  try {
    const code = await runCli(['start', 'print'], runtime);
    tailSeconds = (performance.now() - childExitedAt) / 1000;
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    const failedSummary = /could not write run-summary\.json: (.*)/.exec(stderr.text());
    if (failedSummary) {
      finished = false;
      reason = `run-summary.json not written: ${failedSummary[1]}`;
    } else if (code !== 0) {
      finished = false;
      reason = `run exited ${code}: ${stderr.text().trim().split('\n').at(-1)}`;
    }
  } catch (error) {
    finished = false;
    reason = error instanceof Error ? error.message : String(error);
  }
  clearInterval(sample);
  const peakRss = peakRssBytes();
  const result: MemoryProbeResult = {
    size_mb: sizeMb,
    cap,
    finished,
    reason,
    heap_growth_mb: Math.round(((peakHeap - base.heapUsed) / MB) * 10) / 10,
    rss_growth_mb: Math.round(((peakRss - base.rss) / MB) * 10) / 10,
    seconds: Math.round((performance.now() - started) / 100) / 10,
    tail_seconds: Math.round(tailSeconds * 100) / 100,
  };
  rmSync(root, { recursive: true, force: true });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
