// The real file sink: atomic replaces and appends on the local disk.
import { constants as fsConstants } from 'node:fs';
import * as nodeFs from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { dirname } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { OrchestratorError } from '../errors.js';
import { DURABILITY, type Durability } from './durability.js';
import type { Clock, FileSink } from './types.js';

/** The parts of node:fs/promises the sink uses; injectable so a test can sequence them. */
export type FsPrimitives = Pick<
  typeof nodeFs,
  'writeFile' | 'rename' | 'mkdir' | 'readFile' | 'stat' | 'readdir' | 'rm' | 'open' | 'unlink' | 'link'
>;

/** write-file-atomic's promise form: the seam a test uses to see what it is asked to do. */
export type AtomicWriter = (path: string, data: string | Uint8Array, options: { fsync: boolean; mode?: number }) => Promise<void>;

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
function appendOpenError(path: string, error: unknown): unknown {
  if ((error as { code?: unknown }).code !== 'ELOOP') return error;
  return new OrchestratorError(`refusing to append to ${path}: it is a symbolic link (the run never writes through a link)`, 1);
}

export type NodeFileSinkOptions = {
  clock: Clock;
  pid: number;
  fs?: FsPrimitives;
  atomicWriter?: AtomicWriter;
  durability?: Durability;
};

const libraryWriter: AtomicWriter = (path, data, options) => writeFileAtomic(path, typeof data === 'string' ? data : Buffer.from(data), options);

export function createNodeFileSink(options: NodeFileSinkOptions): FileSink {
  const fs = options.fs ?? nodeFs;
  const appenders = new Map<string, { handle: Promise<nodeFs.FileHandle>; tail: Promise<void> }>();

  const appenderFor = (path: string) => {
    let appender = appenders.get(path);
    if (!appender) {
      const handle = fs
        .mkdir(dirname(path), { recursive: true })
        .then(() => fs.open(path, APPEND_FLAGS, 0o666))
        .catch((error: unknown) => {
          throw appendOpenError(path, error);
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

  const atomicWriter = options.atomicWriter ?? libraryWriter;
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
   * An atomic replace of `path` by `replace` (which writes a temp file and renames it), in the
   * order the replaces of that file were issued (each waits for the one before, failed or
   * not), with the directory made first and fsynced after the rename.
   */
  const replaceInOrder = (path: string, replace: () => Promise<void>): Promise<void> => {
    const previous = atomicTails.get(path) ?? Promise.resolve();
    const write = previous.then(async () => {
      const dir = dirname(path);
      await fs.mkdir(dir, { recursive: true });
      await replace();
      if (durability.fsyncDirectory) await syncDirectory(dir);
    });
    const tail = write.catch(() => undefined);
    atomicTails.set(path, tail);
    void tail.then(() => {
      if (atomicTails.get(path) === tail) atomicTails.delete(path);
    });
    return write;
  };

  return {
    /**
     * Phase 1 (removed B2): write-file-atomic writes a temp file whose name is unique per
     * process, thread and write (so two writes of one file in the same millisecond cannot
     * share it; it also queues writes of one file in order), fsyncs it, renames it onto the
     * target and removes it when anything fails; then the directory is fsynced.
     */
    writeAtomic(path, data, options) {
      const mode = options?.private ? { mode: 0o600 } : {};
      return replaceInOrder(path, () => atomicWriter(path, data, { fsync: durability.fsyncFile, ...mode }));
    },
    writeAtomicStream(path, pieces) {
      return replaceInOrder(path, async () => {
        // A temp file unique to this write, next to the target (the rename stays in one file system).
        const temp = `${path}.${process.pid}.${randomUUID()}.tmp`;
        const handle = await fs.open(temp, 'wx');
        try {
          for await (const piece of pieces) {
            const bytes = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece;
            // A write may take part of what it is given: go on until the piece is all written.
            for (let at = 0; at < bytes.byteLength;) {
              const { bytesWritten } = await handle.write(bytes, at);
              if (bytesWritten === 0) throw new Error(`could not write ${temp}: no progress`);
              at += bytesWritten;
            }
          }
          if (durability.fsyncFile) await handle.sync();
          await handle.close();
          await fs.rename(temp, path);
        } catch (error) {
          await handle.close().catch(() => undefined);
          await fs.rm(temp, { force: true });
          throw error;
        }
      });
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
      await fs.rm(path, { force: true, recursive: true });
    },
    async createExclusive(path, data) {
      await fs.mkdir(dirname(path), { recursive: true });
      // Written whole under a name of its own, then linked into place (link never replaces a
      // file, nor follows a link at `path`): a reader never finds the file empty or half written.
      const temp = `${path}.${randomUUID()}.tmp`;
      try {
        await fs.writeFile(temp, data, { flag: 'wx' });
        await fs.link(temp, path);
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw error;
      } finally {
        await fs.unlink(temp).catch(() => undefined);
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
