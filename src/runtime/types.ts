// The seams every part of the core runs on: one Runtime value is made at the entry point
// (real) or by a test / the golden replay (virtual) and carried down to everything.

export type TimerHandle = { readonly id: number };

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | null | undefined): void;
  setInterval(fn: () => void, ms: number): TimerHandle;
  clearInterval(handle: TimerHandle | null | undefined): void;
}

export interface Ids {
  /** 8 lower-case hex chars: the random suffix of a run id. */
  runSuffix(): string;
  /** A UUID-shaped id tying an exec's events together. */
  correlationId(): string;
  /** An output stream handle id. */
  handleId(): string;
  /** 64 lower-case hex chars. */
  resumeToken(): string;
  /** 32 lower-case hex chars: one acquisition of a run by its owner (docs/contracts.md §12). */
  ownerToken(): string;
}

export type OutputStreamName = 'stdout' | 'stderr';

export type ExecChunk = { stream: OutputStreamName; data: Uint8Array };

/** A cloud stage's job: sent to a worker through Redis (src/cloud/), else run here (see ExecResult.placement). */
export type CloudDispatch = {
  /**
   * Where to send it: the invocation's cloud settings (src/cloud/settings.ts, whose type this
   * layer below does not import) and how long to try a lost Redis again.
   */
  settings: { readonly queue: string; readonly target: string; readonly reconnectMs?: number };
  jobId: string;
  /** What the worker is sent: the command, its cwd relative to the root, only the env the run sets. */
  job: { command: string; cwd: string; env: Record<string, string>; stageKey: string; idempotent?: boolean };
};

/**
 * An attempt of a cloud stage starting on a worker (1 first; another after a worker was lost), and
 * how long it waited in the queue (since the job was added, or went back on the queue; null when
 * that is no longer known).
 */
export type ExecAttempt = { attempt: number; workerId: string; queuedMs: number | null };

/** Where a cloud stage ran: on a worker, or here because Redis was unreachable (policy auto). */
export type ExecPlacement =
  | {
      where: 'worker';
      queue: string;
      job_id: string;
      worker_id: string | null;
      attempts: number;
      queued_ms: number | null;
      dropped_chunks: number;
    }
  | { where: 'here'; reason: string };

export type ExecRequest = {
  command: string;
  /** Absolute working directory. */
  cwd: string;
  env: Record<string, string>;
  /** Stage identity, so a transcript executor can find the recorded stage. */
  stageKey: string;
  /** Called once the process runs, with its pid (the id of its own process group); not by executors with no process. */
  onSpawn?: (pid: number) => void | Promise<void>;
  /**
   * The command runs only once onSpawn has settled: the process first waits on a pipe from this
   * one. A caller killed before then leaves a process that exits (status 125) without running
   * the command. The cloud worker sets it, so that a stage never runs before its guard knows it.
   */
  gated?: boolean;
  /** Set for a cloud stage when a Redis URL is set: the executor sends it to a worker. */
  dispatch?: CloudDispatch;
  /**
   * A cloud stage's job is on the queue and no worker has taken it yet (it was sent, or sent
   * again by a resume); `onAttempt` follows once one does. Not called for a stage run here.
   */
  onQueued?: () => void;
  /** A cloud stage's attempt starts (before its output); awaited before the next chunk. */
  onAttempt?: (attempt: ExecAttempt) => Promise<void> | void;
  /**
   * A cloud stage's running attempt lost its worker: the worker stopped renewing its lock on the
   * job (killed, its machine gone). The job goes back on the queue at the next stalled check of
   * a live worker; with none, it waits. `onAttempt` follows once a worker takes it again.
   */
  onWorkerLost?: (lost: { attempt: number; workerId: string }) => void;
};

export type ExecResult = { exitCode: number | null; signal: NodeJS.Signals | null; placement?: ExecPlacement };

export interface ExecHandle {
  /** Settles when the process has exited and every chunk was delivered; rejects when it could not start. */
  readonly done: Promise<ExecResult>;
  /** Stops the whole process group with the signal (escalating if it does not exit). */
  cancel(signal: NodeJS.Signals): void;
}

/**
 * Runs a command. `onChunk` is called for each chunk read, in order; the executor waits
 * for the promise it returns before delivering the next chunk (back-pressure).
 */
export interface Executor {
  start(request: ExecRequest, onChunk: (chunk: ExecChunk) => Promise<void> | void): ExecHandle;
  /** Releases what the executor holds open (a cloud dispatcher's connections). */
  close?(): Promise<void>;
}

export type WriteCounts = { writes: number; bytes: number; fsyncs: number };

/** Every write the core makes goes through here: atomic replaces and appends. */
export interface FileSink {
  /** `private`: only the owner may read the file (0600), for a file that holds a secret. */
  writeAtomic(path: string, data: string | Uint8Array, options?: { private?: boolean }): Promise<void>;
  /**
   * The same atomic replace, from pieces of text written as they come (a file too large to
   * hold as one string): a reader sees the old file or the whole new one, never a part.
   */
  writeAtomicStream(path: string, pieces: Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>): Promise<void>;
  /**
   * Never through a symbolic link: a link at `path` is refused (an OrchestratorError naming it),
   * its target untouched. `data` is written down (or copied) by the time the promise settles:
   * the caller may then use its memory again (the event logs write every line from one buffer).
   */
  append(path: string, data: string | Uint8Array): Promise<void>;
  mkdirp(path: string): Promise<void>;
  /** Rejects with an error whose `code` is 'ENOENT' when the file does not exist, 'ENOTREG' when it is not a regular file (a FIFO, a device: never waited on). */
  readFile(path: string): Promise<Buffer>;
  /** At most the first `bytes` bytes of the file (all of it when it is shorter); ENOENT like readFile. */
  readPrefix(path: string, bytes: number): Promise<Buffer>;
  exists(path: string): Promise<boolean>;
  isDirectory(path: string): Promise<boolean>;
  /** Names in the directory, sorted; [] when it does not exist. */
  readdir(path: string): Promise<string[]>;
  remove(path: string): Promise<void>;
  /** Creates the file only if it does not exist (it appears whole: never empty or half written); false when it already did. */
  createExclusive(path: string, data: string): Promise<boolean>;
  /** Waits for every pending append and releases open files. */
  close(): Promise<void>;
}

export interface OutputStream {
  write(data: string | Uint8Array): void;
  readonly isTTY: boolean;
  /** The terminal's width in columns, when it is a terminal that says. */
  readonly columns?: number;
  /** On a terminal: the one status line kept under everything else printed (src/runtime/live-line.ts). */
  readonly live?: LiveLine;
}

/**
 * The live line of a terminal: drawn at the bottom, cleared before any other output reaches
 * the terminal (stdout or stderr) and drawn again once that output has ended its line.
 */
export interface LiveLine {
  /** Shows `text` (one line, already cut to the width) as the live line; null removes it. */
  set(text: string | null): void;
  /** Prints `text` as a line of its own: after the live line is cleared, and on a new line if the cursor is not at a line's start. */
  line(text: string): void;
}

export type SignalName = 'SIGINT' | 'SIGTERM';

export interface SignalSource {
  /** Calls `handler` on SIGINT/SIGTERM until the returned function is called. */
  subscribe(handler: (signal: SignalName) => void): () => void;
}

/** A process: its pid, its host, and its start (null where the system does not say), so a reused pid is never taken for it. */
export type ProcessIdentity = { pid: number; host: string; started: string | null };

/** 'unknown': it runs on another host, where this one cannot look. */
export type ProcessLiveness = 'alive' | 'gone' | 'unknown';

/** The processes of this host, as far as a run's ownership needs them. */
export interface ProcessTable {
  /** This process. */
  self(): ProcessIdentity;
  /** A process of this host by pid, now. */
  identify(pid: number): ProcessIdentity;
  liveness(identity: ProcessIdentity): ProcessLiveness;
  /**
   * Stops (SIGKILL) what is left of a process group whose leader had start `started`; returns
   * how many processes it held (0: none left, or the id now belongs to another group).
   */
  stopGroup(group: { pgid: number; started: string | null }): number;
  /**
   * Stops (SIGKILL) the process group of every process of this host whose environment has
   * `name` set to one of `values` (never this process's own group); returns those groups and
   * how many processes they held.
   */
  stopByEnvironment(name: string, values: string[]): { groups: number[]; processes: number };
}

export type Runtime = {
  clock: Clock;
  ids: Ids;
  executor: Executor;
  fs: FileSink;
  /** The orchestrator's environment (the real runtime passes process.env itself). */
  env: Record<string, string | undefined>;
  stdout: OutputStream;
  stderr: OutputStream;
  signals: SignalSource;
  /** The working directory the CLI was started in. */
  cwd: string;
  /** Process id, used in temp-file names (B2). */
  pid: number;
  /** Who owns a run, and whether that process still runs. */
  processes: ProcessTable;
};
