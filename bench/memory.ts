// Memory growth with output size: one child Node process (--expose-gc) per size, so each
// measurement starts from a fresh heap. A size the core cannot finish is reported with why.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { MemoryProbeResult } from './memory-probe.js';

export const MEMORY_SIZES_MB = [16, 64, 256];
/** A fixed heap limit, so "out of memory" means the same on every machine. */
export const PROBE_HEAP_LIMIT_MB = 4096;

const PROBE = fileURLToPath(new URL('./memory-probe.js', import.meta.url));

export function probeMemory(sizeMb: number): Promise<MemoryProbeResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', `--max-old-space-size=${PROBE_HEAP_LIMIT_MB}`, PROBE, String(sizeMb)], {
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
      resolve({ size_mb: sizeMb, finished: false, reason, heap_growth_mb: Number.NaN, rss_growth_mb: Number.NaN, seconds: Number.NaN });
    });
  });
}
