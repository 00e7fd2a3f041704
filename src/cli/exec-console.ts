// `exec`'s console: what the command prints while it runs (text: its output as it comes;
// --jsonl: every event line) and what it ended with (--json prints the tails). The CLI builds
// it and hands it to the stage as one more sink, so the core keeps no notion of a console.
import { eventLine } from '../events/events.js';
import { outputTailSink } from '../run/sinks/output-tail-sink.js';
import type { StageEnd, StageSink } from '../run/sinks/stage-sink.js';
import type { Runtime } from '../runtime/types.js';

export type ExecOutput = 'text' | 'json' | 'jsonl';

/** The last command's result and output tails. */
export type ExecResultView = { exitCode: number | null; signal: string | null; durationMs: number; stdout: string; stderr: string };

export type ExecConsole = StageSink & { result(): ExecResultView | null };

export function execConsole(runtime: Runtime, output: ExecOutput): ExecConsole {
  let tails = outputTailSink();
  let ended: StageEnd | null = null;
  return {
    async event(event, at) {
      if (event.type === 'command:start') {
        tails = outputTailSink();
        ended = null;
      }
      if (output === 'jsonl') runtime.stdout.write(eventLine(event, at.timestamp, at.index, at.bytes));
      await tails.event(event, at);
      if (output === 'text' && event.type === 'exec:chunk' && at.bytes) (event.stream === 'stdout' ? runtime.stdout : runtime.stderr).write(at.bytes);
    },
    end(end) {
      ended = end;
    },
    result() {
      if (!ended) return null;
      if (ended.error !== null) return { exitCode: null, signal: null, durationMs: ended.durationMs, stdout: '', stderr: ended.error };
      return {
        exitCode: ended.exitCode,
        signal: ended.signal,
        durationMs: ended.durationMs,
        stdout: tails.stdout.text(),
        stderr: tails.stderr.text(),
      };
    },
  };
}
