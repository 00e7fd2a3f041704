// An ExecHandle whose process starts only after some awaited work (loading a module, asking
// Redis): a cancel that comes before then is kept and handed to the process once it starts.
import type { ExecHandle, ExecResult } from './types.js';

/** `run` does the work and passes the handle it starts to `started`, which returns that handle's end. */
export function deferredHandle(run: (started: (handle: ExecHandle) => Promise<ExecResult>) => Promise<ExecResult>): ExecHandle {
  let inner: ExecHandle | null = null;
  let cancelled: NodeJS.Signals | null = null;
  const started = (handle: ExecHandle) => {
    inner = handle;
    if (cancelled) handle.cancel(cancelled);
    return handle.done;
  };
  return {
    done: run(started),
    cancel(signal) {
      cancelled = signal;
      inner?.cancel(signal);
    },
  };
}
