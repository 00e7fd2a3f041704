// Ids from the operating system's random source: what the real runtime uses.
import { randomHex, randomUuid } from './random-source.js';
import type { Ids } from './types.js';

export function createRandomIds(): Ids {
  return {
    runSuffix: () => randomHex(4),
    correlationId: randomUuid,
    handleId: () => `h-${randomHex(6)}`,
    resumeToken: () => randomHex(32),
    ownerToken: () => randomHex(16),
  };
}
