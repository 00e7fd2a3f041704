// A trace of everything a run does that another process could observe: every write it makes
// (atomic replaces, appends, exclusive creates, removals), every child it starts and how that
// child ended, and where each CLI invocation starts and returns. The golden replay records one
// per scenario (its write timeline and invariants come from it); the bin records one for real
// runs when CODEX_ORCHESTRATOR_TRACE names a file (the integration tests check invariants on it).
import { relative, sep } from 'node:path';
import { RUN_MANIFEST_PATTERN } from '../../layout/run-layout.js';
import { fsyncsPerAtomicWrite, type Durability } from '../../runtime/durability.js';
import type { Clock, ExecRequest, Executor, FileSink } from '../../runtime/types.js';

/** The state a reader polling a manifest would see after a write: compact, comparable. */
export type ManifestDigest =
  | {
      run: string;
      detail: string | null;
      /** `<stage id>:<status>` per command, in order. */
      commands: string[];
      updated_at: string | null;
      heartbeat_at: string | null;
      /** Accepted resume events so far (a recorded resume may move statuses back). */
      resumes: number;
    }
  | { invalid: string };

/**
 * A trace's events. `S` is what a manifest write's `state` and `was` hold: the digest a reader
 * would see (the replay's trace, and a real trace once read back), or the manifest's own text
 * (a real process's trace file, src/harness/trace/file-trace.ts, digested when it is read back
 * by src/harness/trace/read-trace.ts, so the traced process never loads the schema).
 */
export type TraceEvent<S = ManifestDigest> =
  | { t: number; kind: 'cli:start'; argv: string[] }
  | { t: number; kind: 'cli:exit'; code: number }
  | {
      t: number;
      kind: 'write';
      path: string;
      bytes: number;
      fsync: boolean;
      state?: S;
      /** A real trace's first write of a manifest that existed before the process: its state then. */
      was?: S;
    }
  | { t: number; kind: 'append'; path: string; bytes: number }
  | { t: number; kind: 'create'; path: string; bytes: number }
  | { t: number; kind: 'remove'; path: string }
  | { t: number; kind: 'write:failed'; path: string; op: 'write' | 'append' | 'create' | 'remove'; error: string }
  | { t: number; kind: 'exec:start'; stage: string; manifest: string | null }
  | { t: number; kind: 'exec:exit'; stage: string; code: number | null; signal: string | null }
  | { t: number; kind: 'exec:error'; stage: string; error: string };

export function isManifestPath(path: string): boolean {
  return RUN_MANIFEST_PATTERN.test(path.split(sep).join('/'));
}

export type TraceRecorderOptions<S = ManifestDigest> = {
  clock: Clock;
  /** The repo root: paths in the trace are relative to it, with '/' separators. */
  root: string;
  /** Virtual or wall time the trace's `t` counts from. */
  originMs: number;
  /** The durability policy of the sink being wrapped: an atomic write is `fsync: true` when it fsyncs. */
  durability: Durability;
  /** Receives each event as it happens (a file appender, or nothing beyond `events()`). */
  onEvent?: (event: TraceEvent<S>) => void;
  /** Keep events in memory for `events()` (default true). */
  keep?: boolean;
  /**
   * Before the first write of each manifest, the state it had (a real process does not know
   * what was on disk before it started). Synchronous, so reading it cannot let a later write
   * of the same file overtake this one. Not given in the replay, whose trace starts empty.
   */
  readPrevious?: (path: string) => S | undefined;
  /**
   * What a manifest write's bytes become in its event: digestManifest
   * (src/harness/trace/manifest-digest.ts), or the text itself, digested when read back.
   */
  digest: (data: string | Uint8Array) => S;
};

export type TraceRecorder<S = ManifestDigest> = {
  /**
   * Records each write when its promise resolves (a real sink resolves once the bytes are in
   * place). With `observed`, landings come from `landed()` instead (the memory sink tells the
   * instant its tree changes) and the wrapper records only failures.
   */
  wrapFs<T extends FileSink>(fs: T, options?: { observed?: boolean }): T;
  /** A write that landed, told by the sink itself (absolute path). */
  landed(kind: 'write' | 'append' | 'create' | 'remove', path: string, data: Uint8Array | null): void;
  wrapExecutor(executor: Executor): Executor;
  note(event: Omit<Extract<TraceEvent, { kind: 'cli:start' }>, 't'> | Omit<Extract<TraceEvent, { kind: 'cli:exit' }>, 't'>): void;
  events(): TraceEvent<S>[];
  readonly originMs: number;
};

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

export function createTraceRecorder<S = ManifestDigest>(options: TraceRecorderOptions<S>): TraceRecorder<S> {
  const events: TraceEvent<S>[] = [];
  const keep = options.keep ?? true;
  const rel = (path: string) => {
    const r = relative(options.root, path).split(sep).join('/');
    return r === '' ? '.' : r;
  };
  const t = () => options.clock.now() - options.originMs;
  const emit = (event: TraceEvent<S>) => {
    if (keep) events.push(event);
    options.onEvent?.(event);
  };
  const size = (data: string | Uint8Array | number) =>
    typeof data === 'number' ? data : typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : data.byteLength;
  const failed = (path: string, op: Extract<TraceEvent, { kind: 'write:failed' }>['op']) => (error: unknown) => {
    emit({ t: t(), kind: 'write:failed', path: rel(path), op, error: message(error) });
    throw error;
  };

  /** A write that landed: when a reader can see it. */
  /** `data` is the bytes written, or only their count (a streamed write, never a manifest). */
  const record = (kind: 'write' | 'append' | 'create' | 'remove', path: string, data: string | Uint8Array | number | null, was?: S) => {
    const at = t();
    const p = rel(path);
    if (kind === 'remove') return emit({ t: at, kind, path: p });
    const bytes = size(data ?? '');
    if (kind !== 'write') return emit({ t: at, kind, path: p, bytes });
    const event: TraceEvent<S> = { t: at, kind, path: p, bytes, fsync: fsyncsPerAtomicWrite(options.durability) > 0 };
    if (isManifestPath(path) && typeof data !== 'number') event.state = options.digest(data ?? '');
    if (was) event.was = was;
    emit(event);
  };

  return {
    originMs: options.originMs,
    events: () => events,
    note: (event) => emit({ t: t(), ...event } as TraceEvent<S>),
    landed: (kind, path, data) => record(kind, path, data ?? new Uint8Array()),
    wrapFs<T extends FileSink>(fs: T, wrapOptions: { observed?: boolean } = {}): T {
      const observed = wrapOptions.observed ?? false;
      const seen = new Set<string>();
      /** Resolves like the sink; records the landing unless the sink reports it itself. */
      const settle = <R>(promise: Promise<R>, path: string, op: Extract<TraceEvent, { kind: 'write:failed' }>['op'], onLanded: (result: R) => void) =>
        promise.then(
          (result) => {
            if (!observed) onLanded(result);
            return result;
          },
          failed(path, op),
        );
      return {
        ...fs,
        writeAtomic: (path: string, data: string | Uint8Array, writeOptions?: { private?: boolean }) => {
          let was: S | undefined;
          if (!observed && options.readPrevious && isManifestPath(path) && !seen.has(path)) {
            seen.add(path);
            was = options.readPrevious(path);
          }
          return settle(fs.writeAtomic(path, data, writeOptions), path, 'write', () => record('write', path, data, was));
        },
        writeAtomicStream: (path: string, pieces: Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>) => {
          let bytes = 0;
          async function* counted() {
            for await (const piece of pieces) {
              bytes += typeof piece === 'string' ? Buffer.byteLength(piece, 'utf8') : piece.byteLength;
              yield piece;
            }
          }
          return settle(fs.writeAtomicStream(path, counted()), path, 'write', () => record('write', path, bytes));
        },
        append: (path: string, data: string | Uint8Array) => settle(fs.append(path, data), path, 'append', () => record('append', path, data)),
        createExclusive: (path: string, data: string) =>
          settle(fs.createExclusive(path, data), path, 'create', (created) => {
            if (created) record('create', path, data);
          }),
        remove: (path: string) => settle(fs.remove(path), path, 'remove', () => record('remove', path, null)),
      };
    },
    wrapExecutor(executor: Executor): Executor {
      return {
        start(request: ExecRequest, onChunk) {
          const manifest = request.env.CODEX_ORCHESTRATOR_MANIFEST_PATH;
          emit({ t: t(), kind: 'exec:start', stage: request.stageKey, manifest: manifest ? rel(manifest) : null });
          const handle = executor.start(request, onChunk);
          const done = handle.done.then(
            (result) => {
              emit({ t: t(), kind: 'exec:exit', stage: request.stageKey, code: result.exitCode, signal: result.signal });
              return result;
            },
            (error: unknown) => {
              emit({ t: t(), kind: 'exec:error', stage: request.stageKey, error: message(error) });
              throw error;
            },
          );
          return { done, cancel: (signal) => handle.cancel(signal) };
        },
        // What the wrapped executor holds open (a cloud dispatcher's connections) is still released.
        close: () => executor.close?.() ?? Promise.resolve(),
      };
    },
  };
}
