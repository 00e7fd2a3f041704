// The real file sink: atomic replaces and appends on the local disk.
import {
  closeSync,
  constants as fsConstants,
  fstatSync,
  fsync,
  ftruncateSync,
  linkSync,
  mkdirSync,
  openSync,
  readdir,
  readFileSync,
  readSync,
  renameSync,
  rm,
  rmSync,
  stat,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { WriteError, writeError } from '../errors.js';
import { DURABILITY, type Durability } from './durability.js';
import { makeDirectoriesSync } from './make-directories.js';
import { randomUuid } from './random-source.js';
import type { Clock, FileSink } from './types.js';

/**
 * The steps of an atomic replace, an exclusive create, an append, a `mkdir -p` and a read of a
 * small file. Opening, writing, reading, closing, renaming and linking only touch the page
 * cache and the directory, and take microseconds: they run in place, where a trip through
 * libuv's thread pool and back would cost more than the step (a replace took nine trips, and an
 * event of a stage two, one per log, while the stage's output waited). The fsyncs wait on the
 * disk, so they alone leave the event loop free: a stage's output keeps flowing while a
 * manifest reaches the disk. A lookup (stat, readdir) and a removal go through the thread pool
 * too: a removal may be of a whole tree.
 */
export type FsSteps = {
  openSync(path: string, flags: string | number, mode?: number): number;
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number): number;
  closeSync(fd: number): void;
  renameSync(from: string, to: string): void;
  linkSync(existing: string, link: string): void;
  rmSync(path: string, options: { force: true }): void;
  mkdirSync(path: string): unknown;
  statSync(path: string): { isDirectory(): boolean };
  fstatSync(fd: number): FileKind & { isFile(): boolean; size: number };
  ftruncateSync(fd: number, length: number): void;
  readFileSync(fd: number): Buffer;
  readSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number;
  /** fsync(2), off the event loop. */
  fsync(fd: number): Promise<void>;
  stat(path: string): Promise<{ isDirectory(): boolean }>;
  readdir(path: string): Promise<string[]>;
  rm(path: string, options: { force: true; recursive: true }): Promise<void>;
};

/** The parts of node:fs the sink uses; injectable so a test can sequence them (or make them fail). */
export type FsPrimitives = FsSteps;

/** node:fs's callback form, as a promise (node:fs/promises costs a start some ten modules more). */
const promised = <T>(call: (done: (error: NodeJS.ErrnoException | null, value: T) => void) => void): Promise<T> =>
  new Promise((resolve, reject) => call((error, value) => (error ? reject(error) : resolve(value))));

/** Node's own: what the sink uses unless a test gives it others. */
export const NODE_FS_PRIMITIVES: FsPrimitives = {
  openSync,
  writeSync: (fd, buffer, offset, length) => writeSync(fd, buffer, offset, length),
  closeSync,
  renameSync,
  linkSync,
  rmSync,
  mkdirSync,
  statSync,
  fstatSync,
  ftruncateSync,
  readFileSync: (fd) => readFileSync(fd),
  readSync: (fd, buffer, offset, length, position) => readSync(fd, buffer, offset, length, position),
  fsync: (fd) => promised<void>((done) => fsync(fd, (error) => done(error, undefined))),
  stat: (path) => promised((done) => stat(path, done)),
  readdir: (path) => promised((done) => readdir(path, done)),
  rm: (path, options) => promised<void>((done) => rm(path, options, (error) => done(error, undefined))),
};

/** Appends create the file, and never follow a symbolic link planted where it should be. */
const APPEND_FLAGS = fsConstants.O_WRONLY | fsConstants.O_APPEND | fsConstants.O_CREAT | fsConstants.O_NOFOLLOW;

type FileKind = {
  isDirectory(): boolean;
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
};

/** What a path that is not a regular file is, for the one line that refuses it. */
function fileKind(info: FileKind): string {
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
 * Writes all of `bytes` to the file descriptor, in place (at its end, for a file opened to
 * append): a write may take only a part (a disk about to be full does), so it goes on until all
 * is written or a write fails. Calls `progress` with the bytes written so far after each write.
 */
function writeAllSync(fs: FsSteps, fd: number, bytes: Uint8Array, progress?: (written: number) => void): void {
  for (let at = 0; at < bytes.byteLength;) {
    const written = fs.writeSync(fd, bytes, at, bytes.byteLength - at);
    if (written <= 0) throw Object.assign(new Error('EIO: a write made no progress'), { code: 'EIO' });
    at += written;
    progress?.(at);
  }
}

/** Clean-up after a failure: its own failure would hide the one that matters. */
function swallow(step: () => void): void {
  try {
    step();
  } catch {
    // The first failure is the one reported.
  }
}

export type NodeFileSinkOptions = {
  clock: Clock;
  pid: number;
  fs?: FsPrimitives;
  durability?: Durability;
};

export function createNodeFileSink(options: NodeFileSinkOptions): FileSink {
  const fs = options.fs ?? NODE_FS_PRIMITIVES;
  /** Each log's file descriptor, open from its first append on, or why it could not be opened. */
  const appenders = new Map<string, { fd: number } | { error: unknown }>();

  /**
   * mkdir -p (src/runtime/make-directories.ts: never Node's recursive mkdir, which hangs under
   * /proc and says ENOENT on a read-only file system); a failure is a WriteError naming the
   * first directory that could not be made, and why.
   */
  const makeDirectorySync = (dir: string): void => {
    try {
      makeDirectoriesSync(dir, fs);
    } catch (error) {
      const path = (error as { path?: unknown }).path;
      throw writeError(typeof path === 'string' ? path : dir, error, 'could not create directory');
    }
  };
  const makeDirectory = async (dir: string): Promise<void> => makeDirectorySync(dir);

  /** The log's file descriptor, opened (its directory made) by its first append; an open that failed fails every append. */
  const appenderFor = (path: string): number => {
    let appender = appenders.get(path);
    if (!appender) {
      try {
        makeDirectorySync(dirname(path));
        appender = { fd: fs.openSync(path, APPEND_FLAGS, 0o666) };
      } catch (error) {
        appender = { error: error instanceof WriteError ? error : appendOpenError(path, error) };
      }
      appenders.set(path, appender);
    }
    if ('error' in appender) throw appender.error;
    return appender.fd;
  };

  /**
   * Opened without blocking (a FIFO with no writer would wait forever) and kept only if it is a
   * regular file: a config that is a FIFO or a link to /dev/zero is refused, not hung on. Then
   * read in place, like the replaces' steps: the files read this way (a config, a manifest, an
   * owner record, the metrics lines) are small, and are awaited by their caller.
   */
  const readRegular = <T>(path: string, read: (fd: number) => T): T => {
    const fd = fs.openSync(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
    try {
      const info = fs.fstatSync(fd);
      if (!info.isFile()) throw Object.assign(new Error(`not a regular file (${fileKind(info)})`), { code: 'ENOTREG' });
      return read(fd);
    } finally {
      fs.closeSync(fd);
    }
  };

  /** The last write issued per file (a failed one too), so the next one goes after it. */
  const atomicTails = new Map<string, Promise<void>>();
  const durability = options.durability ?? DURABILITY;

  /** fsync a directory, so a rename in it survives a crash. */
  const syncDirectory = async (dir: string) => {
    const fd = fs.openSync(dir, 'r');
    try {
      await fs.fsync(fd);
    } finally {
      fs.closeSync(fd);
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
    const temp = `${path}.${process.pid}.${randomUuid()}.tmp`;
    const fd = fs.openSync(temp, 'wx', mode);
    let open = true;
    try {
      for await (const piece of pieces) writeAllSync(fs, fd, bytesOf(piece));
      if (durability.fsyncFile) await fs.fsync(fd);
      open = false;
      fs.closeSync(fd);
      fs.renameSync(temp, path);
    } catch (error) {
      if (open) swallow(() => fs.closeSync(fd));
      swallow(() => fs.rmSync(temp, { force: true }));
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
      makeDirectorySync(dir);
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
    async append(path, data) {
      const fd = appenderFor(path);
      let written = 0;
      try {
        writeAllSync(fs, fd, bytesOf(data), (at) => (written = at));
      } catch (error) {
        if (written > 0) swallow(() => fs.ftruncateSync(fd, fs.fstatSync(fd).size - written));
        throw writeError(path, error);
      }
    },
    mkdirp: makeDirectory,
    async readFile(path) {
      return readRegular(path, (fd) => fs.readFileSync(fd));
    },
    async readPrefix(path, bytes) {
      return readRegular(path, (fd) => {
        const buffer = Buffer.alloc(bytes);
        let filled = 0;
        while (filled < bytes) {
          const read = fs.readSync(fd, buffer, filled, bytes - filled, filled);
          if (read === 0) break;
          filled += read;
        }
        return buffer.subarray(0, filled);
      });
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
      makeDirectorySync(dirname(path));
      const temp = `${path}.${process.pid}.${randomUuid()}.tmp`;
      let fd: number;
      try {
        fd = fs.openSync(temp, 'wx');
      } catch (error) {
        throw writeError(path, error);
      }
      let open = true;
      try {
        writeAllSync(fs, fd, bytesOf(data));
        open = false;
        fs.closeSync(fd);
        fs.linkSync(temp, path);
        return true;
      } catch (error) {
        if (open) swallow(() => fs.closeSync(fd));
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw writeError(path, error);
      } finally {
        swallow(() => fs.rmSync(temp, { force: true }));
      }
    },
    async close() {
      const open = [...appenders.values()];
      appenders.clear();
      for (const appender of open) if ('fd' in appender) fs.closeSync(appender.fd);
    },
  };
}
