// The in-memory file tree the golden replay writes into and whose write counts bench/ reads:
// the same FileSink semantics as the real sink, plus the counts and seeding only tests use.
import { describe, expect, it } from 'vitest';
import { createMemoryFileSink } from '../../src/runtime/memory-file-sink.js';

const sink = (durable = true) => createMemoryFileSink({ durability: { fsyncFile: durable, fsyncDirectory: durable } });
const texts = (files: Map<string, Buffer>) => Object.fromEntries([...files].map(([path, data]) => [path, data.toString('utf8')]));

describe('the memory file sink', () => {
  it('writeAtomic replaces the whole file and creates its directories', async () => {
    const fs = sink();
    await fs.writeAtomic('/r/a/m.json', 'first version, long');
    await fs.writeAtomic('/r/a/m.json', 'second');
    expect((await fs.readFile('/r/a/m.json')).toString('utf8')).toBe('second');
    expect(await fs.isDirectory('/r/a')).toBe(true);
    expect(await fs.isDirectory('/r')).toBe(true);
    expect(texts(fs.files())).toEqual({ '/r/a/m.json': 'second' });
  });

  it('append concatenates, creating the file on the first append', async () => {
    const fs = sink();
    await fs.append('/r/log.ndjson', 'one\n');
    await fs.append('/r/log.ndjson', Buffer.from('two\n'));
    await fs.append('/r/log.ndjson', Uint8Array.from([0xff, 0x0a]));
    expect(await fs.readFile('/r/log.ndjson')).toEqual(Buffer.concat([Buffer.from('one\ntwo\n'), Buffer.from([0xff, 0x0a])]));
  });

  it('mkdirp creates every missing ancestor and no file', async () => {
    const fs = sink();
    await fs.mkdirp('/r/a/b/c');
    await fs.mkdirp('/r/a/b/c'); // again: nothing changes
    for (const dir of ['/', '/r', '/r/a', '/r/a/b', '/r/a/b/c']) expect(await fs.isDirectory(dir)).toBe(true);
    expect(fs.files().size).toBe(0);
    expect(fs.counts().size).toBe(0);
    expect(await fs.readdir('/r/a')).toEqual(['b']);
  });

  it('readFile rejects with code ENOENT for a missing file; it returns a copy', async () => {
    const fs = sink();
    await expect(fs.readFile('/nope.txt')).rejects.toMatchObject({ code: 'ENOENT' });
    await fs.writeAtomic('/f', 'abc');
    const copy = await fs.readFile('/f');
    copy[0] = 0x7a;
    expect((await fs.readFile('/f')).toString('utf8')).toBe('abc');
  });

  it('exists is true for files and directories, isDirectory only for directories', async () => {
    const fs = sink();
    await fs.writeAtomic('/r/a/file.txt', 'x');
    expect(await fs.exists('/r/a/file.txt')).toBe(true);
    expect(await fs.isDirectory('/r/a/file.txt')).toBe(false);
    expect(await fs.exists('/r/a')).toBe(true);
    expect(await fs.isDirectory('/r/a')).toBe(true);
    expect(await fs.exists('/r/b')).toBe(false);
    expect(await fs.isDirectory('/r/b')).toBe(false);
    // Paths are normalized: relative to '/', '..' and '.' resolved.
    expect(await fs.exists('r/x/../a/./file.txt')).toBe(true);
  });

  it('readdir lists direct children (files and directories) once, sorted; [] when missing', async () => {
    const fs = sink();
    await fs.writeAtomic('/r/zeta.txt', 'z');
    await fs.writeAtomic('/r/Alpha.txt', 'A');
    await fs.writeAtomic('/r/beta/inner.txt', 'i');
    await fs.mkdirp('/r/empty');
    await fs.append('/r/alpha.log', 'a');
    expect(await fs.readdir('/r')).toEqual(['Alpha.txt', 'alpha.log', 'beta', 'empty', 'zeta.txt']);
    expect(await fs.readdir('/r/beta')).toEqual(['inner.txt']);
    expect(await fs.readdir('/r/empty')).toEqual([]);
    expect(await fs.readdir('/missing')).toEqual([]);
    expect(await fs.readdir('/')).toEqual(['r']);
  });

  it('remove deletes a file, or a directory with everything under it, and nothing else', async () => {
    const fs = sink();
    await fs.writeAtomic('/r/a/one.txt', '1');
    await fs.writeAtomic('/r/a/deep/two.txt', '2');
    await fs.writeAtomic('/r/ab/three.txt', '3'); // shares the prefix '/r/a'
    await fs.writeAtomic('/r/keep.txt', 'k');
    await fs.remove('/r/a');
    expect(texts(fs.files())).toEqual({ '/r/ab/three.txt': '3', '/r/keep.txt': 'k' });
    expect(await fs.exists('/r/a')).toBe(false);
    expect(await fs.exists('/r/a/deep')).toBe(false);
    expect(await fs.readdir('/r')).toEqual(['ab', 'keep.txt']);
    await fs.remove('/r/keep.txt');
    await fs.remove('/r/never-there'); // no error
    expect(texts(fs.files())).toEqual({ '/r/ab/three.txt': '3' });
  });

  it('createExclusive creates only when absent: false, and the file unchanged, when it exists', async () => {
    const fs = sink();
    expect(await fs.createExclusive('/r/lock', 'mine')).toBe(true);
    expect(await fs.createExclusive('/r/lock', 'theirs')).toBe(false);
    expect((await fs.readFile('/r/lock')).toString('utf8')).toBe('mine');
    expect(fs.counts().get('/r/lock')).toEqual({ writes: 1, bytes: 4, fsyncs: 0 });
    fs.seedFile('/r/seeded', 'old');
    expect(await fs.createExclusive('/r/seeded', 'new')).toBe(false);
    expect((await fs.readFile('/r/seeded')).toString('utf8')).toBe('old');
  });

  it('counts writes, bytes and fsyncs per path, sorted by path', async () => {
    const fs = sink(true);
    await fs.writeAtomic('/r/m.json', 'héllo'); // 6 bytes
    await fs.writeAtomic('/r/m.json', '{}');
    await fs.append('/r/a.log', 'abc');
    await fs.append('/r/a.log', Uint8Array.from([1, 2]));
    await fs.createExclusive('/r/z.lock', 'pid');
    await fs.mkdirp('/r/dir');
    expect([...fs.counts()]).toEqual([
      ['/r/a.log', { writes: 2, bytes: 5, fsyncs: 0 }],
      ['/r/m.json', { writes: 2, bytes: 8, fsyncs: 4 }], // the file and its directory, per write
      ['/r/z.lock', { writes: 1, bytes: 3, fsyncs: 0 }],
    ]);
    const noFsync = sink(false);
    await noFsync.writeAtomic('/m.json', 'x');
    expect(noFsync.counts().get('/m.json')).toEqual({ writes: 1, bytes: 1, fsyncs: 0 });
  });

  it('seedFile and seedDirectory put things in the tree without counting a write', async () => {
    const fs = sink();
    fs.seedFile('/r/cfg/config.json', '{"a":1}');
    fs.seedDirectory('/r/empty');
    expect(texts(fs.files())).toEqual({ '/r/cfg/config.json': '{"a":1}' });
    expect(await fs.isDirectory('/r/cfg')).toBe(true);
    expect(await fs.isDirectory('/r/empty')).toBe(true);
    expect(fs.counts().size).toBe(0);
    await fs.append('/r/cfg/config.json', '\n');
    expect(fs.counts().get('/r/cfg/config.json')).toEqual({ writes: 1, bytes: 1, fsyncs: 0 });
    expect((await fs.readFile('/r/cfg/config.json')).toString('utf8')).toBe('{"a":1}\n');
  });

  it('lists files sorted by path', async () => {
    const fs = sink();
    await fs.writeAtomic('/r/b', 'b');
    await fs.writeAtomic('/r/a/z', 'z');
    await fs.writeAtomic('/r/B', 'B');
    await fs.writeAtomic('/r/a.txt', 'a');
    expect([...fs.files().keys()]).toEqual(['/r/B', '/r/a.txt', '/r/a/z', '/r/b']);
  });

  it('has writes in flight only between their start and their end: zero when idle', async () => {
    const fs = sink();
    expect(fs.inFlight()).toBe(0);
    const pending = [fs.writeAtomic('/r/a', 'a'), fs.append('/r/b', 'b'), fs.mkdirp('/r/c')];
    expect(fs.inFlight()).toBe(3);
    expect(fs.files().size).toBe(0); // not written yet
    await Promise.all(pending);
    expect(fs.inFlight()).toBe(0);
    expect(texts(fs.files())).toEqual({ '/r/a': 'a', '/r/b': 'b' });
    const failing = fs.readFile('/missing');
    expect(fs.inFlight()).toBe(1);
    await expect(failing).rejects.toMatchObject({ code: 'ENOENT' });
    expect(fs.inFlight()).toBe(0);
    await fs.close();
    expect(fs.inFlight()).toBe(0);
  });
});

describe('the memory file sink: appends', () => {
  it('many appends, a replace between them, a removal: each file is exactly what was written, and views handed out stay as they were', async () => {
    const fs = sink();
    const expected: Buffer[] = [];
    let early: Buffer | undefined;
    for (let i = 0; i < 3_000; i += 1) {
      const piece = Buffer.from(`line ${i} ${'x'.repeat(i % 50)}\n`);
      await fs.append('/r/log.ndjson', piece);
      expected.push(piece);
      if (i === 10) early = fs.files().get('/r/log.ndjson');
    }
    expect(fs.files().get('/r/log.ndjson')).toEqual(Buffer.concat(expected));
    expect(early).toEqual(Buffer.concat(expected.slice(0, 11)));
    expect(fs.counts().get('/r/log.ndjson')).toEqual({ writes: 3_000, bytes: Buffer.concat(expected).length, fsyncs: 0 });
    await fs.writeAtomic('/r/log.ndjson', 'fresh\n');
    await fs.append('/r/log.ndjson', 'more\n');
    expect(fs.files().get('/r/log.ndjson')!.toString()).toBe('fresh\nmore\n');
    await fs.remove('/r/log.ndjson');
    await fs.append('/r/log.ndjson', 'again\n');
    expect(fs.files().get('/r/log.ndjson')!.toString()).toBe('again\n');
    expect((await fs.readFile('/r/log.ndjson')).toString()).toBe('again\n');
  });
});
