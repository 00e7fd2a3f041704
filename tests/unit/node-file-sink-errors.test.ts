// Issue 16, item 4, on the real sink: a write that does not fit, fails half-way or meets a
// read-only file system rejects with one line naming the file and the error, and leaves no
// part of itself behind: no truncated file renamed onto the target, no partial line at the end
// of a log, no empty lock file, no temp file. Through the sink's fs seam (deterministic), and on
// a real small tmpfs where this process may mount one.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { useTempDirs } from '../helpers/temp-dirs.js';
import { createNodeFileSink, NODE_FS_PRIMITIVES, type FsPrimitives } from '../../src/runtime/node-file-sink.js';
import { createVirtualClock } from '../../src/runtime/virtual-clock.js';
import type { FileSink } from '../../src/runtime/types.js';
import { fillUp, mountTmpfs, probeMount, remountReadOnly, unmount } from '../helpers/tmpfs.js';

/** Expected failures on the code before the change (tests first, with `it.fails`); flipped by the change. */
const fixed = it;

const tmp = useTempDirs('sink-errors-');

function fsError(code: string, meaning: string, syscall: string, path?: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${meaning}, ${syscall}${path ? ` '${path}'` : ''}`), { code, syscall, ...(path ? { path } : {}) });
}

/**
 * Node's fs, except that a file opened for writing whose path `match`es writes only `room`
 * bytes more: its next write after that fails with ENOSPC, as on a full disk. The sink writes
 * every file (appends, replaces, exclusive creates) through a file descriptor.
 */
function fullAfter(room: number, match: (path: string) => boolean): FsPrimitives {
  const roomOf = new Map<number, number>();
  return {
    ...NODE_FS_PRIMITIVES,
    openSync: (path, flags, mode) => {
      const fd = NODE_FS_PRIMITIVES.openSync(path, flags, mode);
      if (match(path)) roomOf.set(fd, room);
      return fd;
    },
    writeSync: (fd, buffer, offset, length) => {
      const left = roomOf.get(fd);
      if (left === undefined) return NODE_FS_PRIMITIVES.writeSync(fd, buffer, offset, length);
      if (left <= 0) throw fsError('ENOSPC', 'no space left on device', 'write');
      const written = NODE_FS_PRIMITIVES.writeSync(fd, buffer, offset, Math.min(left, length));
      roomOf.set(fd, left - written);
      return written;
    },
    closeSync: (fd) => {
      roomOf.delete(fd);
      NODE_FS_PRIMITIVES.closeSync(fd);
    },
  };
}

const sinks: FileSink[] = [];
const sinkOn = (fs?: FsPrimitives) => {
  const sink = createNodeFileSink({ clock: createVirtualClock(1_000), pid: 7, ...(fs ? { fs } : {}) });
  sinks.push(sink);
  return sink;
};

afterEach(async () => {
  for (const sink of sinks.splice(0)) await sink.close();
});

describe('the real sink, through its fs seam', () => {
  fixed('a replace that runs out of room half-way rejects naming the file; the target and the directory are as they were', async () => {
    const dir = tmp();
    const target = join(dir, 'manifest.json');
    writeFileSync(target, '{"old":true}\n');
    const sink = sinkOn(fullAfter(100, (path) => path.startsWith(`${target}.`)));
    await expect(sink.writeAtomic(target, JSON.stringify({ pad: 'x'.repeat(1_000) }))).rejects.toThrow(
      `could not write ${target}: ENOSPC: no space left on device`,
    );
    expect(readFileSync(target, 'utf8')).toBe('{"old":true}\n');
    expect(readdirSync(dir)).toEqual(['manifest.json']);
  });

  fixed('an append that runs out of room half-way rejects naming the file, and leaves the file as it was (no partial line)', async () => {
    const dir = tmp();
    const log = join(dir, 'runner.ndjson');
    writeFileSync(log, '{"n":1}\n');
    const sink = sinkOn(fullAfter(5, (path) => path === log));
    await expect(sink.append(log, `{"n":2,"pad":"${'x'.repeat(100)}"}\n`)).rejects.toThrow(`could not write ${log}: ENOSPC: no space left on device`);
    expect(readFileSync(log, 'utf8')).toBe('{"n":1}\n');
  });

  fixed('an exclusive create that finds the disk full leaves no empty file behind', async () => {
    const dir = tmp();
    const lock = join(dir, 'metrics.lock');
    // The lock's bytes go to a temp file of its own first (then linked into place): that is
    // where they do not fit. As on a full disk: the file is created, then its bytes do not fit.
    const sink = sinkOn(fullAfter(0, (path) => path === lock || path.startsWith(`${lock}.`)));
    await expect(sink.createExclusive(lock, '{"run_id":"r"}')).rejects.toThrow(`could not write ${lock}: ENOSPC: no space left on device`);
    expect(existsSync(lock)).toBe(false);
    expect(readdirSync(dir), 'no temp file either').toEqual([]);
  });

  fixed("a directory that cannot be made is named with the real reason, not recursive mkdir's ENOENT", async () => {
    const dir = tmp();
    // Node's recursive mkdir reports ENOENT when a directory cannot be made on a read-only
    // file system; making the first missing one alone tells the real reason.
    const fs: FsPrimitives = {
      ...NODE_FS_PRIMITIVES,
      mkdirSync: (path, options) => {
        if (options?.recursive) throw fsError('ENOENT', 'no such file or directory', 'mkdir', `${dir}/runs`);
        throw fsError('EROFS', 'read-only file system', 'mkdir', path);
      },
    };
    const sink = sinkOn(fs);
    await expect(sink.mkdirp(join(dir, 'runs/0101/cli/run-1'))).rejects.toMatchObject({
      message: `could not create directory ${dir}/runs: EROFS: read-only file system`,
    });
    await expect(sink.append(join(dir, 'runs/log'), 'x')).rejects.toThrow(`could not create directory ${dir}/runs: EROFS: read-only file system`);
  });
});

const mount = probeMount();

describe.skipIf(!mount.ok)(`the real sink on a real small tmpfs${mount.ok ? '' : ` (skipped: ${mount.reason})`}`, () => {
  const mounted: string[] = [];
  const tmpfs = (bytes: number) => {
    const dir = tmp();
    mountTmpfs(dir, bytes);
    mounted.push(dir);
    return dir;
  };
  afterEach(async () => {
    for (const sink of sinks.splice(0)) await sink.close();
    for (const dir of mounted.splice(0)) {
      unmount(dir);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  fixed('a replace that does not fit rejects (a short write is not success); nothing is left of it', async () => {
    const dir = tmpfs(64 * 1024);
    const filler = fillUp(dir, 4096);
    const target = join(dir, 'manifest.json');
    const sink = sinkOn();
    await expect(sink.writeAtomic(target, JSON.stringify({ pad: 'x'.repeat(9_000) }))).rejects.toThrow(
      `could not write ${target}: ENOSPC: no space left on device`,
    );
    expect(readdirSync(dir)).toEqual([filler.slice(dir.length + 1)]);
  });

  fixed('an append that does not fit leaves the log as it was', async () => {
    const dir = tmpfs(64 * 1024);
    const log = join(dir, 'runner.ndjson');
    writeFileSync(log, '{"n":1}\n');
    fillUp(dir, 4096);
    const sink = sinkOn();
    await expect(sink.append(log, `${JSON.stringify({ pad: 'x'.repeat(9_000) })}\n`)).rejects.toThrow(
      `could not write ${log}: ENOSPC: no space left on device`,
    );
    expect(readFileSync(log, 'utf8')).toBe('{"n":1}\n');
  });

  fixed('an exclusive create on a full disk leaves no empty file', async () => {
    const dir = tmpfs(64 * 1024);
    fillUp(dir, 0);
    const lock = join(dir, 'metrics.lock');
    const sink = sinkOn();
    await expect(sink.createExclusive(lock, '{"run_id":"r"}')).rejects.toThrow(`could not write ${lock}: ENOSPC: no space left on device`);
    expect(existsSync(lock)).toBe(false);
    expect(readdirSync(dir), 'no temp file either').toEqual(['filler']);
  });

  fixed('a read-only file system is named as such (Node says ENOENT for a recursive mkdir)', async () => {
    const dir = tmpfs(64 * 1024);
    mkdirSync(join(dir, 'runs'));
    remountReadOnly(dir);
    const sink = sinkOn();
    await expect(sink.mkdirp(join(dir, 'runs/0101/cli/run-1'))).rejects.toThrow(
      `could not create directory ${dir}/runs/0101: EROFS: read-only file system`,
    );
    await expect(sink.writeAtomic(join(dir, 'runs/state.json'), '{}')).rejects.toThrow(
      `could not write ${dir}/runs/state.json: EROFS: read-only file system`,
    );
  });
});
