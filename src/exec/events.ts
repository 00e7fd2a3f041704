// Exec event lines (docs/contracts.md §5) as a union the compiler checks, their ndjson form
// (snake_case, `timestamp` and `index` last) and their camelCase form in tool run records.
import { isUtf8 } from 'node:buffer';
import type { OutputStreamName } from '../runtime/types.js';

export type ChunkPayload = { data: string; encoding?: 'base64' };

/** Text when the bytes are valid UTF-8, else base64 with `encoding: "base64"`: always exact. */
export function encodeChunk(data: Uint8Array): ChunkPayload {
  const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (isUtf8(buffer)) return { data: buffer.toString('utf8') };
  return { data: buffer.toString('base64'), encoding: 'base64' };
}

export function decodeChunk(payload: ChunkPayload): Buffer {
  return payload.encoding === 'base64' ? Buffer.from(payload.data, 'base64') : Buffer.from(payload.data, 'utf8');
}

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
