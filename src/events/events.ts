// Exec event lines (docs/contracts.md §5) as a union the compiler checks, their ndjson form
// (snake_case, `timestamp` and `index` last) and their camelCase form in tool run records.
import type { OutputStreamName } from '../runtime/types.js';

export { decodeChunk, encodeChunk, type ChunkPayload } from '../runtime/chunk-payload.js';
import type { ChunkPayload } from '../runtime/chunk-payload.js';

export type ExecEvent =
  | { type: 'command:start'; command: string }
  | { type: 'exec:begin'; correlation_id: string; attempt: number; command: string; cwd: string }
  | ({
      type: 'exec:chunk';
      correlation_id: string;
      attempt: number;
      stream: OutputStreamName;
      sequence: number;
      bytes: number;
    } & ChunkPayload)
  | {
      type: 'exec:end';
      correlation_id: string;
      attempt: number;
      exit_code: number | null;
      signal: string | null;
      duration_ms: number;
      status: 'succeeded' | 'failed';
    }
  | { type: 'command:end'; exit_code: number | null; signal: string | null; duration_ms: number }
  | { type: 'command:error'; message: string }
  | { type: 'run:resume'; actor: string; reason: string };

export type EventType = ExecEvent['type'];

/** One compact JSON line; `timestamp` and `index` are appended last. */
export function eventLine(event: ExecEvent, timestamp: string, index: number | null): string {
  return `${JSON.stringify({ ...event, timestamp, index })}\n`;
}

export type ToolRunEvent = Record<string, unknown> & { type: string; timestamp: string };

const camel = (key: string) => key.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

/** The camelCase form kept in a ToolRunRecord: `type, correlationId, timestamp, attempt, …`. */
export function toToolRunEvent(event: ExecEvent, timestamp: string): ToolRunEvent {
  const ordered = { type: event.type } as ToolRunEvent;
  if ('correlation_id' in event) ordered.correlationId = event.correlation_id;
  ordered.timestamp = timestamp;
  for (const [key, value] of Object.entries(event)) {
    if (key !== 'type' && key !== 'correlation_id') ordered[camel(key)] = value;
  }
  return ordered;
}
