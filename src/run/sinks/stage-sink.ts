// Where a command stage's events go. The stage produces one stream of ExecEvents (with each
// chunk's persisted bytes); every consumer is a sink of its own module: the event logs, the
// output tails, the tool run record (B4 lives there alone), and, for `exec`, the console
// mirror the CLI builds. A sink sees every event in order; none knows the others.
import type { ExecEvent } from '../../events/events.js';

/** How the stage's command ended; `error` when it could not run at all. */
export type StageEnd = { exitCode: number | null; signal: string | null; durationMs: number; error: string | null };

/** When and where an event happened: its timestamp, the stage's index, a chunk's persisted bytes. */
export type EventContext = { timestamp: string; index: number; bytes?: Uint8Array };

export interface StageSink {
  event(event: ExecEvent, at: EventContext): Promise<void> | void;
  /** The stage is over. */
  end?(end: StageEnd): void;
}

/** The sinks in order: each event reaches the next sink once the one before has taken it. */
export function fanOut(sinks: readonly StageSink[]): Required<StageSink> {
  return {
    async event(event, at) {
      for (const sink of sinks) await sink.event(event, at);
    },
    end(end) {
      for (const sink of sinks) sink.end?.(end);
    },
  };
}
