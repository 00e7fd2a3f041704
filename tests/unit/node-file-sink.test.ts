import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../helpers/temp-dirs.js';
import { createNodeFileSink } from '../../src/runtime/node-file-sink.js';
import { createVirtualClock } from '../../src/runtime/virtual-clock.js';

const tmp = useTempDirs('sink-');

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

  it('writes a stream atomically: the old file until the last piece, then the whole new one, no temp file left', async () => {
    const dir = tmp();
    const path = join(dir, 'run/summary.json');
    const sink = createNodeFileSink({ clock: createVirtualClock(1000), pid: 1 });
    await sink.writeAtomic(path, 'old');
    let seenMidway = '';
    async function* pieces() {
      yield 'new ';
      seenMidway = readFileSync(path, 'utf8');
      yield 'text';
    }
    await sink.writeAtomicStream(path, pieces());
    expect(seenMidway).toBe('old');
    expect(readFileSync(path, 'utf8')).toBe('new text');
    expect(readdirSync(join(dir, 'run'))).toEqual(['summary.json']);
  });

  it('a stream that fails leaves the old file and no temp file, and a later write of the file still runs', async () => {
    const dir = tmp();
    const path = join(dir, 'summary.json');
    const sink = createNodeFileSink({ clock: createVirtualClock(1000), pid: 1 });
    await sink.writeAtomic(path, 'old');
    async function* failing() {
      yield 'part';
      throw new Error('Invalid string length');
    }
    await expect(sink.writeAtomicStream(path, failing())).rejects.toThrow('Invalid string length');
    expect(readFileSync(path, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['summary.json']);
    await sink.writeAtomicStream(path, ['a', 'b']);
    expect(readFileSync(path, 'utf8')).toBe('ab');
  });

  it('readPrefix reads at most the bytes asked for, all of a shorter file, and ENOENT for a missing one', async () => {
    const dir = tmp();
    const sink = createNodeFileSink({ clock: createVirtualClock(1000), pid: 1 });
    await sink.writeAtomic(join(dir, 'f'), '0123456789');
    expect((await sink.readPrefix(join(dir, 'f'), 4)).toString()).toBe('0123');
    expect((await sink.readPrefix(join(dir, 'f'), 100)).toString()).toBe('0123456789');
    await expect(sink.readPrefix(join(dir, 'missing'), 4)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
