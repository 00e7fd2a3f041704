// One exact text form of output bytes, used wherever a chunk is written down (event lines,
// tool run records, transcripts): UTF-8 text when the bytes are valid UTF-8, else base64 with
// `encoding: "base64"`.
import { isUtf8 } from 'node:buffer';

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
