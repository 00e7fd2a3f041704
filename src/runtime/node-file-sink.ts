// The real file sink: atomic replaces and appends on the local disk.
import { constants as fsConstants } from 'node:fs';
import * as nodeFs from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { dirname } from 'node:path';
import { WriteError, writeError } from '../errors.js';
import { DURABILITY, type Durability } from './durability.js';
import type { Clock, FileSink } from './types.js';

/** The parts of node:fs/promises the sink uses; injectable so a test can sequence them (or make them fail). */
export type FsPrimitives = Pick<
  typeof nodeFs,
  'writeFile' | 'rename' | 'mkdir' | 'readFile' | 'stat' | 'readdir' | 'rm' | 'open' | 'unlink' | 'link'
>;

/** Appends create the file, and never follow a symbolic link planted where it should be. */
const APPEND_FLAGS = fsConstants.O_WRONLY | fsConstants.O_APPEND | fsConstants.O_CREAT | fsConstants.O_NOFOLLOW;

/** What a path that is not a regular file is, for the one line that refuses it. */
function fileKind(info: {
  isDirectory(): boolean;
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
}): string {
  if (info.isDirectory()) return 'a directory';
  if (info.isFIFO()) return 'a FIFO';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** A failed open for append, said plainly when the path is a symbolic link (ELOOP with O_NOFOLLOW). */
function appendOpenError(path: string, error: unknown): WriteError {
  if ((error as { code?: unknown }).code !== 'ELOOP') return writeError(path, error);
  return new WriteError(path, 'it is a symbolic link (the run never writes through a link)', 'refusing to append to');
}

const bytesOf = (data: string | Uint8Array) => (typeof data === 'string' ? Buffer.from(data, 'utf8') : data);

/**
 * Writes all of `bytes` at the handle's position (the end, for a file opened to append): a write
 * may take only a part (a disk about to be full does), so it goes on until all is written or a
 * write fails. Calls `progress` with the bytes written so far after each write.
 */
async function writeAll(handle: nodeFs.FileHandle, bytes: Uint8Array, progress: (written: number) => void = () => undefined): Promise<void> {
  for (let at = 0; at < bytes.byteLength;) {
    const { bytesWritten } = await handle.write(bytes, at);
    if (bytesWritten <= 0) throw Object.assign(new Error('EIO: a write made no progress'), { code: 'EIO' });
    at += bytesWritten;
    progress(at);
  }
}

export type NodeFileSinkOptions = {
  clock: Clock;
  pid: number;
  fs?: FsPrimitives;
  durability?: Durability;
};

export function createNodeFileSink(options: NodeFileSinkOptions): FileSink {
  const fs = options.fs ?? nodeFs;
  const appenders = new Map<string, { handle: Promise<nodeFs.FileHandle>; tail: Promise<void> }>();

  const isDirectory = (path: string) =>
    fs.stat(path).then(
      (info) => info.isDirectory(),
      () => false,
    );

  /**
   * mkdir -p; a failure is a WriteError naming the directory that could not be made and why.
   * Node's recursive mkdir says ENOENT when a directory cannot be made on a read-only file
   * system (or without permission): then the first missing directory, made alone, tells the
   * real reason (and when that works after all, the whole path is tried once more).
   */
  const makeDirectory = async (dir: string): Promise<void> => {
    try {
      await fs.mkdir(dir, { recursive: true });
      return;
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'ENOENT') throw writeError(dir, error, 'could not create directory');
    }
    let missing = dir;
    for (let up = dirname(missing); up !== missing && !(await isDirectory(up)); up = dirname(up)) missing = up;
    try {
      await fs.mkdir(missing);
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'EEXIST') throw writeError(missing, error, 'could not create directory');
    }
    try {
      await fs.mkdir(dir, { recursive: true });
    } catch (error) {
      throw writeError(dir, error, 'could not create directory');
    }
  };

  const appenderFor = (path: string) => {
    let appender = appenders.get(path);
    if (!appender) {
      const handle = makeDirectory(dirname(path))
        .then(() => fs.open(path, APPEND_FLAGS, 0o666))
        .catch((error: unknown) => {
          throw error instanceof WriteError ? error : appendOpenError(path, error);
        });
      appender = { handle, tail: handle.then(() => undefined) };
      appenders.set(path, appender);
    }
    return appender;
  };

  /**
   * Opened without blocking (a FIFO with no writer would wait forever) and kept only if it is a
   * regular file: a config that is a FIFO or a link to /dev/zero is refused, not hung on.
   */
  const openRegular = async (path: string) => {
    const handle = await fs.open(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw Object.assign(new Error(`not a regular file (${fileKind(info)})`), { code: 'ENOTREG' });
      return handle;
    } catch (error) {
      await handle.close();
      throw error;
    }
  };

  /** The last write issued per file (a failed one too), so the next one goes after it. */
  const atomicTails = new Map<string, Promise<void>>();
  const durability = options.durability ?? DURABILITY;

  /** fsync a directory, so a rename in it survives a crash. */
  const syncDirectory = async (dir: string) => {
    const handle = await fs.open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  };

  /**
   * Phase 1 (removed B2), and issue 16 (a short write is not success): the pieces go to a temp
   * file next to the target whose name is unique per process and write, each written whole
   * (a write that takes a part goes on with the rest), the file is fsynced, closed and renamed
   * onto the target. When anything fails the temp file is removed and the target is as it was.
   */
  const replaceWith = async (path: string, pieces: Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>, mode: number) => {
    // A temp file unique to this write, next to the target (the rename stays in one file system).
    const temp = `${path}.${process.pid}.${randomUUID()}.tmp`;
    const handle = await fs.open(temp, 'wx', mode);
    try {
      for await (const piece of pieces) await writeAll(handle, bytesOf(piece));
      if (durability.fsyncFile) await handle.sync();
      await handle.close();
      await fs.rename(temp, path);
    } catch (error) {
      await handle.close().catch(() => undefined);
      await fs.rm(temp, { force: true }).catch(() => undefined);
      throw error;
    }
  };

  /**
   * An atomic replace of `path` by `replace` (which writes a temp file and renames it), in the
   * order the replaces of that file were issued (each waits for the one before, failed or
   * not), with the directory made first and fsynced after the rename. A failure is a
   * WriteError naming the file (or the directory that could not be made).
   */
  const replaceInOrder = (path: string, replace: () => Promise<void>): Promise<void> => {
    const previous = atomicTails.get(path) ?? Promise.resolve();
    const write = previous.then(async () => {
      const dir = dirname(path);
      await makeDirectory(dir);
      try {
        await replace();
        if (durability.fsyncDirectory) await syncDirectory(dir);
      } catch (error) {
        throw writeError(path, error);
      }
    });
    const tail = write.catch(() => undefined);
    atomicTails.set(path, tail);
    void tail.then(() => {
      if (atomicTails.get(path) === tail) atomicTails.delete(path);
    });
    return write;
  };

  return {
    /** The private mode (0600) is the temp file's from its creation: no moment where another user could read it. */
    writeAtomic(path, data, options) {
      return replaceInOrder(path, () => replaceWith(path, [data], options?.private ? 0o600 : 0o666));
    },
    writeAtomicStream(path, pieces) {
      return replaceInOrder(path, () => replaceWith(path, pieces, 0o666));
    },
    /**
     * A failed append takes back what part of it was written (the file is cut to where it
     * ended before), so a log keeps whole lines, and the next append goes on from there.
     */
    append(path, data) {
      const appender = appenderFor(path);
      const next = appender.tail.then(async () => {
        const handle = await appender.handle;
        let written = 0;
        try {
          await writeAll(handle, bytesOf(data), (at) => (written = at));
        } catch (error) {
          if (written > 0) {
            await handle
              .stat()
              .then((info) => handle.truncate(info.size - written))
              .catch(() => undefined);
          }
          throw writeError(path, error);
        }
      });
      // Keep the chain alive after a failure so later appends still run; the caller sees this one fail.
      appender.tail = next.catch(() => undefined);
      return next;
    },
    mkdirp: makeDirectory,
    async readFile(path) {
      const handle = await openRegular(path);
      try {
        return await handle.readFile();
      } finally {
        await handle.close();
      }
    },
    async readPrefix(path, bytes) {
      const handle = await openRegular(path);
      try {
        const buffer = Buffer.alloc(bytes);
        let filled = 0;
        while (filled < bytes) {
          const { bytesRead } = await handle.read(buffer, filled, bytes - filled, filled);
          if (bytesRead === 0) break;
          filled += bytesRead;
        }
        return buffer.subarray(0, filled);
      } finally {
        await handle.close();
      }
    },
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
      try {
        await fs.rm(path, { force: true, recursive: true });
      } catch (error) {
        throw writeError(path, error, 'could not remove');
      }
    },
    /**
     * Written whole under a name of its own, then linked into place (a link never replaces a
     * file, nor follows a link at `path`): a reader never finds the file empty or half written,
     * and when its bytes cannot be written nothing is left behind.
     */
    async createExclusive(path, data) {
      await makeDirectory(dirname(path));
      const temp = `${path}.${process.pid}.${randomUUID()}.tmp`;
      let handle: nodeFs.FileHandle;
      try {
        handle = await fs.open(temp, 'wx');
      } catch (error) {
        throw writeError(path, error);
      }
      try {
        await writeAll(handle, bytesOf(data));
        await handle.close();
        await fs.link(temp, path);
        return true;
      } catch (error) {
        await handle.close().catch(() => undefined);
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw writeError(path, error);
      } finally {
        await fs.rm(temp, { force: true }).catch(() => undefined);
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
