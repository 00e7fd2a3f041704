// SHA-256 digests from node:crypto, loaded the first time one is taken: most runs take none (a
// run hashes its instruction files only when it has some), and loading node:crypto costs a
// start about twenty of Node's modules (issue 19: load only what a command needs).
import { createRequire } from 'node:module';

let crypto: typeof import('node:crypto') | undefined;

/** The SHA-256 of the parts, one after another, as 64 lower-case hex characters. */
export function sha256Hex(parts: Iterable<string | Uint8Array>): string {
  crypto ??= createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
  const hash = crypto.createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}
