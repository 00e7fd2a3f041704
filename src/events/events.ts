// Exec event lines (docs/contracts.md §5) as a union the compiler checks, their ndjson form
// (snake_case, `timestamp` and `index` last) and their camelCase form in tool run records.
//
// A chunk event travels without its text: the stage hands the chunk's bytes beside it, and
// they are encoded (`data`, and `encoding` when base64) only where the event is written down.
import { isUtf8 } from 'node:buffer';
import type { OutputStreamName } from '../runtime/types.js';

export { decodeChunk, encodeChunk, type ChunkPayload } from '../runtime/chunk-payload.js';
import { encodeChunk, encodeChunkLazily, jsonStringLength, writeJsonString } from '../runtime/chunk-payload.js';

/** A chunk event's fields; its payload is the chunk's bytes, handed beside it. */
export type ExecChunkEvent = {
  type: 'exec:chunk';
  correlation_id: string;
  attempt: number;
  stream: OutputStreamName;
  sequence: number;
  bytes: number;
};

export type ExecEvent =
  | { type: 'command:start'; command: string }
  | { type: 'exec:begin'; correlation_id: string; attempt: number; command: string; cwd: string }
  /** A cloud stage's attempt starts on a worker (docs/cloud.md): the first, or another after a worker was lost. */
  | { type: 'exec:attempt'; correlation_id: string; attempt: number; worker_id: string; queued_ms: number | null }
  | ExecChunkEvent
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

type OtherEvent = Exclude<ExecEvent, ExecChunkEvent>;

/**
 * Where a chunk's line is written: a buffer of exactly `size` bytes. By default a new one; a
 * writer that has its line written down before it asks for the next may hand out the same
 * memory each time (see src/run/sinks/event-log-sink.ts).
 */
export type LineAllocator = (size: number) => Buffer;

/**
 * One compact JSON line in UTF-8: the event's fields, a chunk event's payload (`data`, then
 * `encoding` when base64), then `timestamp` and `index`. A chunk's text is escaped straight
 * from its bytes into the line (no string of it is made); the line is byte for byte
 * `JSON.stringify({ ...event, ...encodeChunk(chunk), timestamp, index })`.
 */
export function eventLine(event: OtherEvent, timestamp: string, index: number | null): Buffer;
export function eventLine(event: ExecChunkEvent, timestamp: string, index: number | null, chunk: Uint8Array, alloc?: LineAllocator): Buffer;
export function eventLine(event: ExecEvent, timestamp: string, index: number | null, chunk?: Uint8Array, alloc?: LineAllocator): Buffer;
export function eventLine(
  event: ExecEvent,
  timestamp: string,
  index: number | null,
  chunk?: Uint8Array,
  alloc: LineAllocator = (size) => Buffer.allocUnsafe(size),
): Buffer {
  if (event.type !== 'exec:chunk') return Buffer.from(`${JSON.stringify({ ...event, timestamp, index })}\n`, 'utf8');
  if (!chunk) throw new Error(`exec:chunk ${event.sequence}: the event line needs the chunk's bytes`);
  const head = `${JSON.stringify(event).slice(0, -1)},"data":`;
  const tail = `,${JSON.stringify({ timestamp, index }).slice(1)}\n`;
  const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (!isUtf8(bytes)) {
    const { data, encoding } = encodeChunk(bytes);
    const text = `${head}${JSON.stringify(data)},"encoding":${JSON.stringify(encoding)}${tail}`;
    const line = alloc(Buffer.byteLength(text, 'utf8'));
    line.write(text, 0, 'utf8');
    return line;
  }
  const headLength = Buffer.byteLength(head);
  const out = alloc(headLength + jsonStringLength(bytes) + Buffer.byteLength(tail));
  out.write(head, 0, 'utf8');
  const at = writeJsonString(bytes, out, headLength);
  out.write(tail, at, 'utf8');
  return out;
}

export type ToolRunEvent = Record<string, unknown> & { type: string; timestamp: string };

const camel = (key: string) => key.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

/**
 * The camelCase form kept in a ToolRunRecord: `type, correlationId, timestamp, attempt, …`, a
 * chunk's payload last (`lazy`: its text as a Utf8JsonString, made into text only when written).
 */
export function toToolRunEvent(event: OtherEvent, timestamp: string): ToolRunEvent;
export function toToolRunEvent(event: ExecChunkEvent, timestamp: string, chunk: Uint8Array, lazy?: boolean): ToolRunEvent;
export function toToolRunEvent(event: ExecEvent, timestamp: string, chunk?: Uint8Array, lazy = false): ToolRunEvent {
  const ordered = { type: event.type } as ToolRunEvent;
  if ('correlation_id' in event) ordered.correlationId = event.correlation_id;
  ordered.timestamp = timestamp;
  for (const [key, value] of Object.entries(event)) {
    if (key !== 'type' && key !== 'correlation_id') ordered[camel(key)] = value;
  }
  if (event.type === 'exec:chunk') {
    if (!chunk) throw new Error(`exec:chunk ${event.sequence}: the tool run event needs the chunk's bytes`);
    Object.assign(ordered, lazy ? encodeChunkLazily(chunk) : encodeChunk(chunk));
  }
  return ordered;
}
