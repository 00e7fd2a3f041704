// Ids from the operating system's random source: what the real runtime uses.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Ids } from './types.js';

export function createRandomIds(): Ids {
  return {
    runSuffix: () => randomBytes(4).toString('hex'),
    correlationId: () => randomUUID(),
    handleId: () => `h-${randomBytes(6).toString('hex')}`,
    resumeToken: () => randomBytes(32).toString('hex'),
  };
}
