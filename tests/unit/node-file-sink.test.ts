import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import * as nodeFs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { baselineTempPath, createNodeFileSink, type FsPrimitives } from '../../src/runtime/node-file-sink.js';
import { createVirtualClock } from '../../src/runtime/virtual-clock.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'sink-'));

describe('node file sink', () => {
  it('replaces files atomically and appends in order', async () => {
    const dir = tmp();
    const sink = createNodeFileSink({ clock: createVirtualClock(1000), pid: 1 });
    await sink.writeAtomic(join(dir, 'a/b.json'), 'one');
    await sink.writeAtomic(join(dir, 'a/b.json'), 'two');
    await Promise.all(Array.from({ length: 50 }, (_, i) => sink.append(join(dir, 'log.ndjson'), `${i}\n`)));
    await sink.close();
    expect(readFileSync(join(dir, 'a/b.json'), 'utf8')).toBe('two');
    expect(readFileSync(join(dir, 'log.ndjson'), 'utf8')).toBe(Array.from({ length: 50 }, (_, i) => `${i}\n`).join(''));
    expect(readdirSync(join(dir, 'a'))).toEqual(['b.json']);
    expect(await sink.createExclusive(join(dir, 'lock'), 'x')).toBe(true);
    expect(await sink.createExclusive(join(dir, 'lock'), 'y')).toBe(false);
    expect(await sink.readdir(join(dir, 'missing'))).toEqual([]);
  });

  it('B2 characterization (removed by phase 1): two writes of one file in the same millisecond collide', async () => {
    const dir = tmp();
    const target = join(dir, 'manifest.json');
    const clock = createVirtualClock(1_700_000_000_000); // frozen: both writes see the same ms
    expect(baselineTempPath(target, 7, clock.now())).toBe(`${target}.tmp-7-1700000000000`);

    // Sequence the two writers the way overlapping ones (a queue flush and a direct
    // saveManifest) can interleave on a real disk: first's temp write, second's temp write,
    // then first's rename, then second's rename.
    let firstWritten!: () => void;
    const firstTempWritten = new Promise<void>((resolve) => (firstWritten = resolve));
    let releaseFirstRename!: () => void;
    const firstRenameMayGo = new Promise<void>((resolve) => (releaseFirstRename = resolve));
    let renames = 0;
    const fs: FsPrimitives = {
      ...nodeFs,
      rename: async (from, to) => {
        renames += 1;
        if (renames === 1) await firstRenameMayGo;
        return nodeFs.rename(from, to);
      },
      writeFile: async (...args: Parameters<typeof nodeFs.writeFile>) => {
        if (String(args[1]) === 'second') await firstTempWritten;
        await nodeFs.writeFile(...args);
        if (String(args[1]) === 'first') firstWritten();
        if (String(args[1]) === 'second') releaseFirstRename();
      },
    };
    const sink = createNodeFileSink({ clock, pid: 7, fs });
    const results = await Promise.allSettled([sink.writeAtomic(target, 'first'), sink.writeAtomic(target, 'second')]);
    // The second writer's temp file was renamed away by the first: one write fails, and the
    // bytes on disk are the second writer's although the first writer "won".
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    expect(((results[1] as PromiseRejectedResult).reason as NodeJS.ErrnoException).code).toBe('ENOENT');
    expect(readFileSync(target, 'utf8')).toBe('second');
  });
});
