// The operating system's random bytes, for the real runtime's ids (src/runtime/random-ids.ts)
// and the real sink's temp names. Read from /dev/urandom (the kernel's CSPRNG, what node:crypto's
// generator is seeded from too), a block at a time: loading node:crypto for a few random bytes
// costs a start about twenty of Node's modules (some 3 ms of a one-stage run, issue 19: load
// only what a command needs). Where /dev/urandom cannot be read (not a Unix), node:crypto's
// randomFillSync fills the block instead.
import { closeSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';

const BLOCK = 512;
let block: Buffer | null = null;
let used = BLOCK;

function fromUrandom(into: Buffer): boolean {
  let fd: number;
  try {
    fd = openSync('/dev/urandom', 'r');
  } catch {
    return false;
  }
  try {
    for (let at = 0; at < into.byteLength;) {
      const got = readSync(fd, into, at, into.byteLength - at, null);
      if (got <= 0) return false;
      at += got;
    }
    return true;
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}

function fill(into: Buffer): void {
  if (fromUrandom(into)) return;
  const crypto = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
  crypto.randomFillSync(into);
}

/** `count` random bytes; each byte is handed out once. */
export function randomBytes(count: number): Buffer {
  const out = Buffer.allocUnsafe(count);
  for (let at = 0; at < count;) {
    if (block === null || used === BLOCK) {
      block ??= Buffer.allocUnsafe(BLOCK);
      fill(block);
      used = 0;
    }
    const take = Math.min(count - at, BLOCK - used);
    block.copy(out, at, used, used + take);
    // Handed out: not kept where a later read of the block could see it again.
    block.fill(0, used, used + take);
    used += take;
    at += take;
  }
  return out;
}

/** `count` random bytes as 2×`count` lower-case hex characters. */
export const randomHex = (count: number): string => randomBytes(count).toString('hex');

/** A version 4 UUID (RFC 9562), lower-case. */
export function randomUuid(): string {
  const bytes = randomBytes(16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
