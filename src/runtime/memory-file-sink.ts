// An in-memory file tree behind the FileSink seam: the golden replay writes into it, compares
// it with the expected files, and reads its per-file write counts (for bench/).
import { posix } from 'node:path';
import { fsyncsPerAtomicWrite, type Durability } from './durability.js';
import type { FileSink, WriteCounts } from './types.js';

export interface MemoryFileSink extends FileSink {
  /** Every file and its bytes, sorted by path. */
  files(): Map<string, Buffer>;
  /** Per-file counts of writes (atomic replaces and appends), bytes written and fsyncs. */
  counts(): Map<string, WriteCounts>;
  /** Puts a file in the tree without counting it as a write (scenario set-up). */
  seedFile(path: string, data: string | Uint8Array): void;
  seedDirectory(path: string): void;
  /** Writes started but not finished: zero whenever the replay is idle. */
  inFlight(): number;
  /**
   * Calls `listener` at the instant each write lands (the tree changes), whatever the caller
   * does with the promise: what a reader of the tree would see, and when.
   */
  observe(listener: (landed: LandedWrite) => void): void;
}

export type LandedWrite = { kind: 'write' | 'append' | 'create' | 'remove'; path: string; data: Buffer | null };

export type MemoryFileSinkOptions = {
  /** The real sink's durability policy: how many fsyncs each atomic write is counted as. */
  durability: Durability;
};

function enoent(path: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`ENOENT: no such file or directory, open '${path}'`);
  error.code = 'ENOENT';
  return error;
}

export function createMemoryFileSink(options: MemoryFileSinkOptions): MemoryFileSink {
  const files = new Map<string, Buffer>();
  const dirs = new Set<string>(['/']);
  const counts = new Map<string, WriteCounts>();
  /**
   * The growable buffer behind a file that is appended to: `files` holds a view of its first
   * bytes, and an append writes after them, doubling the buffer when it is full. Appending is
   * amortized O(bytes appended), not a copy of the whole file each time (a stage of 10,000
   * chunks made its replay quadratic).
   */
  const backing = new Map<string, Buffer>();
  const appendTo = (p: string, buffer: Buffer) => {
    const existing = files.get(p);
    if (!existing) {
      files.set(p, buffer);
      return;
    }
    const length = existing.length + buffer.length;
    let back = backing.get(p);
    const viewOfBack = back !== undefined && existing.buffer === back.buffer && existing.byteOffset === back.byteOffset;
    if (!back || !viewOfBack || back.length < length) {
      // Not pooled (allocUnsafeSlow): the identity check above needs a buffer of its own.
      const grown = Buffer.allocUnsafeSlow(Math.max(4096, 2 * length));
      existing.copy(grown);
      back = grown;
      backing.set(p, back);
    }
    buffer.copy(back, existing.length);
    files.set(p, back.subarray(0, length));
  };
  let inFlight = 0;
  const fsyncs = fsyncsPerAtomicWrite(options.durability);
  const listeners: Array<(landed: LandedWrite) => void> = [];
  const landed = (kind: LandedWrite['kind'], path: string, data: Buffer | null) => {
    for (const listener of listeners) listener({ kind, path, data });
  };

  const norm = (path: string) => posix.resolve('/', path);
  const addDirs = (dir: string) => {
    let current = norm(dir);
    while (!dirs.has(current)) {
      dirs.add(current);
      current = posix.dirname(current);
    }
  };
  const toBuffer = (data: string | Uint8Array) => (typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data));
  const count = (path: string, bytes: number, fsyncCount: number) => {
    const entry = counts.get(path) ?? { writes: 0, bytes: 0, fsyncs: 0 };
    entry.writes += 1;
    entry.bytes += bytes;
    entry.fsyncs += fsyncCount;
    counts.set(path, entry);
  };
  const track = async <T>(work: () => T): Promise<T> => {
    inFlight += 1;
    try {
      await Promise.resolve();
      return work();
    } finally {
      inFlight -= 1;
    }
  };

  const writeAtomic = (path: string, data: string | Uint8Array) =>
    track(() => {
      const p = norm(path);
      const buffer = toBuffer(data);
      addDirs(posix.dirname(p));
      files.set(p, buffer);
      count(p, buffer.length, fsyncs);
      landed('write', p, buffer);
    });

  return {
    writeAtomic,
    async writeAtomicStream(path, pieces) {
      const parts: Buffer[] = [];
      for await (const piece of pieces) parts.push(toBuffer(piece));
      return writeAtomic(path, Buffer.concat(parts));
    },
    append: (path, data) =>
      track(() => {
        const p = norm(path);
        const buffer = toBuffer(data);
        addDirs(posix.dirname(p));
        appendTo(p, buffer);
        count(p, buffer.length, 0);
        landed('append', p, buffer);
      }),
    mkdirp: (path) => track(() => addDirs(path)),
    readFile: (path) =>
      track(() => {
        const data = files.get(norm(path));
        if (!data) throw enoent(path);
        return Buffer.from(data);
      }),
    readPrefix: (path, bytes) =>
      track(() => {
        const data = files.get(norm(path));
        if (!data) throw enoent(path);
        return Buffer.from(data.subarray(0, bytes));
      }),
    exists: (path) => track(() => files.has(norm(path)) || dirs.has(norm(path))),
    isDirectory: (path) => track(() => dirs.has(norm(path))),
    readdir: (path) =>
      track(() => {
        const dir = norm(path);
        const names = new Set<string>();
        for (const entry of [...files.keys(), ...dirs]) {
          if (entry !== dir && posix.dirname(entry) === dir) names.add(posix.basename(entry));
        }
        return [...names].sort();
      }),
    remove: (path) =>
      track(() => {
        const p = norm(path);
        files.delete(p);
        for (const key of [...files.keys()]) if (key.startsWith(`${p}/`)) files.delete(key);
        for (const key of [...dirs]) if (key === p || key.startsWith(`${p}/`)) dirs.delete(key);
        landed('remove', p, null);
      }),
    createExclusive: (path, data) =>
      track(() => {
        const p = norm(path);
        if (files.has(p)) return false;
        const buffer = toBuffer(data);
        addDirs(posix.dirname(p));
        files.set(p, buffer);
        count(p, buffer.length, 0);
        landed('create', p, buffer);
        return true;
      }),
    close: async () => undefined,
    files: () => new Map([...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    counts: () => new Map([...counts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    seedFile(path, data) {
      const p = norm(path);
      addDirs(posix.dirname(p));
      files.set(p, toBuffer(data));
    },
    seedDirectory: (path) => addDirs(path),
    inFlight: () => inFlight,
    observe: (listener) => {
      listeners.push(listener);
    },
  };
}
