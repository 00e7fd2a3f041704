// Errors a user can act on: each carries its exit code and a one-line message naming
// what is wrong and where. The CLI prints the message, never a stack trace.

export class OrchestratorError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad usage or bad input (config, ids, unknown pipeline, missing run): exit 2, nothing written. */
export class InputError extends OrchestratorError {
  constructor(message: string) {
    super(message, 2);
  }
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/**
 * A file of the run's own (a log, the manifest, an evidence file, a directory for them) could
 * not be written: a full disk, an I/O error, a read-only file system. Its message is one line
 * naming the path and the error: `could not write <path>: ENOSPC: no space left on device`.
 */
export class WriteError extends OrchestratorError {
  /** The file the core was writing when it failed (the evidence lost); `path` names what failed (it or its directory). */
  file: string;

  constructor(
    /** What failed: the file, or the directory it goes in. */
    readonly path: string,
    /** The error alone: `ENOSPC: no space left on device`. */
    readonly reason: string,
    /** What could not be done to `path`: `could not write`, `could not create directory`, … */
    readonly action = 'could not write',
  ) {
    super(`${action} ${path}: ${reason}`, 1);
    this.file = path;
  }
}

/**
 * A failed write as `CODE: meaning`: Node's own message without its trailing syscall and path
 * (`ENOSPC: no space left on device, write` -> `ENOSPC: no space left on device`); the message
 * as it is for an error without a code.
 */
export function writeFailureReason(error: unknown): string {
  const message = errorMessage(error);
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !/^E[A-Z0-9]+$/.test(code)) return message;
  const meaning = message.startsWith(`${code}: `) ? message.slice(code.length + 2) : message;
  return `${code}: ${meaning.replace(/, [a-z]+(?: '[^']*')?(?: -> '[^']*')?$/, '')}`;
}

/**
 * The WriteError for a failed write of `file` (absolute): one already made (by the real sink,
 * naming the directory that could not be made) is kept, with `file` set to the file it was for.
 */
export function writeError(file: string, error: unknown, action = 'could not write'): WriteError {
  if (error instanceof WriteError) {
    error.file = file;
    return error;
  }
  return new WriteError(file, writeFailureReason(error), action);
}
