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
