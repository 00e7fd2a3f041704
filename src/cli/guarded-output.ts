// Every line the CLI prints, through the privacy guard in enforce mode (docs/contracts.md §9):
// each write is judged as a whole text. What a stage printed has already been judged as a
// stream (src/run/sinks/privacy-filter.ts); this covers the CLI's own texts (summaries,
// status, plans, error messages). Shadow mode changes nothing.
import { guardChunk, privacyModeFrom } from '../privacy/guard.js';
import type { OutputStream, Runtime } from '../runtime/types.js';

function guardedStream(stream: OutputStream): OutputStream {
  return {
    get isTTY() {
      return stream.isTTY;
    },
    get columns() {
      return stream.columns;
    },
    write(data) {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      const outcome = guardChunk('enforce', bytes);
      if (outcome.action === 'allow') stream.write(data);
      else if (outcome.persisted) stream.write(outcome.persisted);
    },
  };
}

/** The runtime the CLI prints through: its own in shadow mode, with guarded stdout and stderr in enforce mode. */
export function withGuardedOutput(runtime: Runtime): Runtime {
  if (privacyModeFrom(runtime.env) !== 'enforce') return runtime;
  return { ...runtime, stdout: guardedStream(runtime.stdout), stderr: guardedStream(runtime.stderr) };
}
