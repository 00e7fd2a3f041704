// What the orchestrator and a worker say to each other through Redis: the job (what to run),
// the per-stage output stream (one start entry per attempt, chunks with sequence numbers
// counted from 1 in each attempt, then one end entry) and the cancel channel. The orchestrator
// alone writes the run's files; a worker writes only these.

/**
 * The job's data: the command, its cwd relative to the worker's root, and the env overrides
 * only (never the submitter's ambient env). `idempotent: false`: a job whose first attempt was
 * lost with its worker is not run again.
 */
export type StageJob = { command: string; cwd: string; env: Record<string, string>; stageKey: string; idempotent?: boolean };

/** What the job returns: how the command ended, and how many chunks it sent. */
export type StageJobResult = { exitCode: number | null; signal: NodeJS.Signals | null; chunks: number; error: string | null };

/**
 * An attempt's start, as the worker that took the job says it: the attempt (1 first), its id, how
 * long this attempt waited in the queue (the first since the job was added, a later one since the
 * job went back on the queue; null when that is no longer known).
 */
export type StageJobStart = { attempt: number; worker: string; queuedMs: number | null };

/** BullMQ's name for the job (every job of the queue has it). */
export const JOB_NAME = 'stage';

/** A stage's job id: its run and its index (a resume adds the same id, never a second job). BullMQ refuses `:` in custom ids. */
export const stageJobId = (runId: string, stageIndex: number) => `${runId}.${stageIndex}`;

/** The Redis stream a stage's output travels on. */
export const outputStreamKey = (queue: string, jobId: string) => `codex:${queue}:out:${jobId}`;

/**
 * How far the orchestrator has read a stage's stream (the JSON ReadCursor), written with each
 * deletion of what it read, and deleted with the stream: an orchestrator killed mid-stage and
 * resumed reads on from there.
 */
export const readCursorKey = (queue: string, jobId: string) => `codex:${queue}:read:${jobId}`;

/** The attempt being read, the last chunk of it already delivered (0: none), the chunks found missing so far. */
export type ReadCursor = { attempt: number; seq: number; dropped: number };

/** The channel cancel requests go on: `<jobId> <signal>`. */
export const cancelChannel = (queue: string) => `codex:${queue}:cancel`;

/**
 * Fields of a stream entry: an attempt's start (`start` with the JSON StageJobStart), a chunk
 * (`seq`, `stream`, `data`) or the end (`end` with the JSON StageJobResult).
 */
export const FIELD = { start: 'start', seq: 'seq', stream: 'stream', data: 'data', end: 'end' } as const;
