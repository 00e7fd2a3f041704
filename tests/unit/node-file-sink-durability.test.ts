// Phase 1 (tasks/specs/0001-manifest-correctness.md): atomic writes on the real disk cannot
// collide, are durable (the file fsynced, then its directory after the rename), leave no temp
// file behind when they fail, and never leave a partial file at the target. The durability
// policy is one value, read by the real sink and by the replay's counters.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../helpers/temp-dirs.js';
import { DURABILITY } from '../../src/runtime/durability.js';
import { createMemoryFileSink } from '../../src/runtime/memory-file-sink.js';
import { createNodeFileSink, NODE_FS_PRIMITIVES, type FsPrimitives } from '../../src/runtime/node-file-sink.js';
import { createVirtualClock } from '../../src/runtime/virtual-clock.js';

const tmp = useTempDirs('sink-durable-');

describe('phase 1: atomic writes on the real disk', () => {
  it('two writes of one file in the same millisecond from one process both land, in order', async () => {
    const dir = tmp();
    const target = join(dir, 'manifest.json');
    const sink = createNodeFileSink({ clock: createVirtualClock(1_700_000_000_000), pid: 7 }); // frozen clock
    for (let round = 0; round < 20; round += 1) {
      const results = await Promise.allSettled([sink.writeAtomic(target, `first ${round}`), sink.writeAtomic(target, `second ${round}`)]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
      expect(readFileSync(target, 'utf8')).toBe(`second ${round}`);
    }
    expect(readdirSync(dir)).toEqual(['manifest.json']);
  });

  it('a failed write leaves no temp file behind and the target as it was', async () => {
    const dir = tmp();
    const target = join(dir, 'state.json');
    mkdirSync(target); // a directory where the file should go: the rename fails
    const sink = createNodeFileSink({ clock: createVirtualClock(1_000), pid: 7 });
    await expect(sink.writeAtomic(target, 'x')).rejects.toThrow();
    expect(readdirSync(dir)).toEqual(['state.json']);
  });

  it('every atomic write is fsynced: the temp file before its rename, then the directory after it', async () => {
    const dir = tmp();
    const target = join(dir, 'a', 'manifest.json');
    const calls: string[] = [];
    const label = (path: unknown) => (String(path) === join(dir, 'a') ? 'dir' : String(path).startsWith(`${target}.`) ? 'temp' : String(path));
    // The seam: the fs primitives the sink writes the temp file, renames it and opens the directory with.
    const pathOf = new Map<number, string>();
    const fs: FsPrimitives = {
      ...NODE_FS_PRIMITIVES,
      openSync: (path, flags, mode) => {
        const fd = NODE_FS_PRIMITIVES.openSync(path, flags, mode);
        pathOf.set(fd, path);
        return fd;
      },
      fsync: async (fd) => {
        calls.push(`fsync ${label(pathOf.get(fd))}`);
        return NODE_FS_PRIMITIVES.fsync(fd);
      },
      renameSync: (from, to) => {
        calls.push(`rename ${label(from)} -> ${label(to)}`);
        NODE_FS_PRIMITIVES.renameSync(from, to);
      },
    };
    const sink = createNodeFileSink({ clock: createVirtualClock(1_000), pid: 7, fs });
    await sink.writeAtomic(target, '{"a":1}');
    await sink.writeAtomic(target, '{"a":2}');
    const one = ['fsync temp', `rename temp -> ${target}`, 'fsync dir'];
    expect(calls).toEqual([...one, ...one]);
    expect(readFileSync(target, 'utf8')).toBe('{"a":2}');
    expect(readdirSync(join(dir, 'a'))).toEqual(['manifest.json']);
  });

  it('the replay counts the fsyncs the real sink makes, from the same policy', async () => {
    expect(DURABILITY).toEqual({ fsyncFile: true, fsyncDirectory: true });
    const sink = createMemoryFileSink({ durability: DURABILITY });
    await sink.writeAtomic('/r/m.json', 'x');
    await sink.append('/r/log', 'y');
    expect(sink.counts().get('/r/m.json')).toEqual({ writes: 1, bytes: 1, fsyncs: 2 });
    expect(sink.counts().get('/r/log')).toEqual({ writes: 1, bytes: 1, fsyncs: 0 });
  });

  it('a process killed while it rewrites a file never leaves a partial file at the target', async () => {
    // A child rewrites one 256 KiB file atomically in a loop and says so after each write; it
    // is killed after the 5th. Whatever it was doing then, the target holds one whole version.
    const dir = tmp();
    const target = join(dir, 'big.json');
    const sinkModule = join(import.meta.dirname, '../../dist/src/runtime/node-file-sink.js');
    const clockModule = join(import.meta.dirname, '../../dist/src/runtime/real-clock.js');
    const script = `
      const { createNodeFileSink } = await import(${JSON.stringify(sinkModule)});
      const { createRealClock } = await import(${JSON.stringify(clockModule)});
      const sink = createNodeFileSink({ clock: createRealClock(), pid: process.pid });
      for (let i = 0; ; i += 1) {
        await sink.writeAtomic(${JSON.stringify(target)}, JSON.stringify({ i, pad: 'x'.repeat(256 * 1024) }));
        process.stdout.write(i + '\\n');
      }`;
    writeFileSync(join(dir, 'writer.mjs'), script);
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const child = spawn(process.execPath, [join(dir, 'writer.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
      let lines = 0;
      await new Promise<void>((resolve) => {
        child.stdout.on('data', (d: Buffer) => {
          lines += d.toString().split('\n').length - 1;
          if (lines >= 5 + attempt) child.kill('SIGKILL');
        });
        child.on('close', () => resolve());
      });
      const parsed = JSON.parse(readFileSync(target, 'utf8')) as { i: number; pad: string };
      expect(parsed.pad).toHaveLength(256 * 1024);
      expect(parsed.i).toBeGreaterThanOrEqual(4 + attempt);
    }
    expect(existsSync(target)).toBe(true);
  });
});
