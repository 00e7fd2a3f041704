// Memory growth with output size: one child Node process (--expose-gc) per size, so each
// measurement starts from a fresh heap. A size the core cannot finish is reported with why.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { MemoryProbeResult } from './memory-probe.js';

/** Unbounded (the default, B4): every chunk event is kept. */
export const MEMORY_SIZES_MB = [16, 64, 256];
/** Phase 3's opt-in cap: the same stage with CODEX_ORCHESTRATOR_EXEC_EVENT_MAX_CHUNKS set. */
export const CAPPED_SIZES_MB = [16, 256, 1024];
export const MEMORY_CAP = 100;

/** A probe's key in bench/budgets.json's memory section: `256`, or `256-capped`. */
export const memoryKey = (probe: { size_mb: number; cap?: number | null }) => `${probe.size_mb}${probe.cap ? '-capped' : ''}`;
/** Its figures' prefix: `memory.256mb`, or `memory.256mb-capped`. */
export const memoryId = (probe: { size_mb: number; cap?: number | null }) => `memory.${probe.size_mb}mb${probe.cap ? '-capped' : ''}`;

/** The phase-3 targets: capped peak RSS within this of the 16 MB capped figure; unbounded growth per MiB. */
export const CAPPED_SPREAD_MB = 16;
export const UNBOUNDED_RSS_PER_MB = 1.2;

/** The shape figures of one bench run: how far the capped rows spread, and the unbounded rows' slope (null when not measured). */
export function memoryShape(probes: MemoryProbeResult[]): { capped_spread_mb: number | null; unbounded_rss_per_mb: number | null } {
  const finished = probes.filter((p) => p.finished);
  const capped = finished.filter((p) => p.cap);
  const base = capped.find((p) => p.size_mb === 16);
  const others = capped.filter((p) => p !== base);
  const spread = base && others.length > 0 ? Math.max(...others.map((p) => p.rss_growth_mb - base.rss_growth_mb)) : null;
  const unbounded = finished.filter((p) => !p.cap);
  const small = unbounded.find((p) => p.size_mb === 16);
  const large = unbounded.filter((p) => p.size_mb > 16).sort((a, b) => b.size_mb - a.size_mb)[0];
  const slope = small && large ? (large.rss_growth_mb - small.rss_growth_mb) / (large.size_mb - small.size_mb) : null;
  const round = (n: number | null) => (n === null ? null : Math.round(n * 100) / 100);
  return { capped_spread_mb: round(spread), unbounded_rss_per_mb: round(slope) };
}
/** A fixed heap limit, so "out of memory" means the same on every machine. */
export const PROBE_HEAP_LIMIT_MB = 4096;

const PROBE = fileURLToPath(new URL('./memory-probe.js', import.meta.url));

export function probeMemory(sizeMb: number, cap: number | null = null): Promise<MemoryProbeResult> {
  return new Promise((resolve) => {
    const args = ['--expose-gc', `--max-old-space-size=${PROBE_HEAP_LIMIT_MB}`, PROBE, String(sizeMb), ...(cap === null ? [] : [String(cap)])];
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code, signal) => {
      const line = out.trim().split('\n').at(-1);
      if (code === 0 && line) {
        resolve(JSON.parse(line) as MemoryProbeResult);
        return;
      }
      const oom = /heap out of memory|Allocation failed/i.test(err);
      const tooLong = /Invalid string length/.test(err);
      const reason = oom
        ? `out of memory (heap limit ${PROBE_HEAP_LIMIT_MB} MB)`
        : tooLong
          ? 'a string too long to serialize'
          : `probe exited ${code ?? signal}: ${err.trim().split('\n').slice(-2).join(' ')}`;
      resolve({ size_mb: sizeMb, cap, finished: false, reason, heap_growth_mb: Number.NaN, rss_growth_mb: Number.NaN, seconds: Number.NaN });
    });
  });
}
