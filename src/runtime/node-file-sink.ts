// The real file sink: atomic replaces and appends on the local disk.
import * as nodeFs from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Clock, FileSink } from './types.js';

/** The parts of node:fs/promises the sink uses; injectable so a test can sequence them. */
export type FsPrimitives = Pick<typeof nodeFs, 'writeFile' | 'rename' | 'mkdir' | 'readFile' | 'stat' | 'readdir' | 'rm' | 'open' | 'unlink'>;

export type NodeFileSinkOptions = {
  clock: Clock;
  pid: number;
  fs?: FsPrimitives;
};

/**
 * B2 (phase 0, removed by phase 1): the temp name is `<file>.tmp-<pid>-<ms>` and nothing is
 * fsynced, so two writes of one file in the same millisecond share a temp file and collide.
 */
export function baselineTempPath(path: string, pid: number, nowMs: number): string {
  return `${path}.tmp-${pid}-${nowMs}`;
}

export function createNodeFileSink(options: NodeFileSinkOptions): FileSink {
  const fs = options.fs ?? nodeFs;
  const appenders = new Map<string, { handle: Promise<nodeFs.FileHandle>; tail: Promise<void> }>();

  const appenderFor = (path: string) => {
    let appender = appenders.get(path);
    if (!appender) {
      const handle = fs.mkdir(dirname(path), { recursive: true }).then(() => fs.open(path, 'a'));
      appender = { handle, tail: handle.then(() => undefined) };
      appenders.set(path, appender);
    }
    return appender;
  };

  return {
    async writeAtomic(path, data) {
      await fs.mkdir(dirname(path), { recursive: true });
      const temp = baselineTempPath(path, options.pid, options.clock.now());
      await fs.writeFile(temp, data);
      await fs.rename(temp, path);
    },
    append(path, data) {
      const appender = appenderFor(path);
      const next = appender.tail.then(async () => {
        const handle = await appender.handle;
        await handle.appendFile(data);
      });
      // Keep the chain alive after a failure so later appends still run; the caller sees this one fail.
      appender.tail = next.catch(() => undefined);
      return next;
    },
    async mkdirp(path) {
      await fs.mkdir(path, { recursive: true });
    },
    readFile: (path) => fs.readFile(path),
    async exists(path) {
      try {
        await fs.stat(path);
        return true;
      } catch {
        return false;
      }
    },
    async isDirectory(path) {
      try {
        return (await fs.stat(path)).isDirectory();
      } catch {
        return false;
      }
    },
    async readdir(path) {
      try {
        return (await fs.readdir(path)).sort();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
    },
    async remove(path) {
      await fs.rm(path, { force: true, recursive: true });
    },
    async createExclusive(path, data) {
      await fs.mkdir(dirname(path), { recursive: true });
      try {
        await fs.writeFile(path, data, { flag: 'wx' });
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw error;
      }
    },
    async close() {
      const open = [...appenders.values()];
      appenders.clear();
      for (const appender of open) {
        await appender.tail;
        const handle = await appender.handle.catch(() => null);
        await handle?.close();
      }
    },
  };
}
