// Reproducible ids from a seed (splitmix32), for tests and the golden replay.
import type { Ids } from './types.js';

/** Lower-case hex characters from splitmix32, seeded. */
function hexStream(seed: number): (chars: number) => string {
  let state = seed >>> 0;
  const next32 = (): number => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  return (chars) => {
    let out = '';
    while (out.length < chars) out += next32().toString(16).padStart(8, '0');
    return out.slice(0, chars);
  };
}

/**
 * `pid`, the virtual process's: two runtimes given one seed, standing for two processes, take
 * owner tokens of their own (a real token is random: one acquisition's alone).
 */
export function createSeededIds(seed: number, pid = 0): Ids {
  const hex = hexStream(seed);
  // Owner tokens come from a stream of their own: taking one moves no other id.
  const ownerHex = hexStream(seed ^ 0x6f776e72 ^ Math.imul(pid, 0x9e3779b9));
  return {
    runSuffix: () => hex(8),
    correlationId: () => {
      const h = hex(32);
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
    },
    handleId: () => `h-${hex(12)}`,
    resumeToken: () => hex(64),
    ownerToken: () => ownerHex(32),
  };
}
