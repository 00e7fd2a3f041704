import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createNodeFileSink } from '../../src/runtime/node-file-sink.js';
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
});
