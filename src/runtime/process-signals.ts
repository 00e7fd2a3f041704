// SIGINT/SIGTERM of this process, behind the SignalSource seam.
import type { SignalName, SignalSource } from './types.js';

export function createProcessSignals(): SignalSource {
  return {
    subscribe(handler) {
      const onInt = () => handler('SIGINT');
      const onTerm = () => handler('SIGTERM');
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
      return () => {
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
      };
    },
  };
}

/** A signal source a test or the replay fires by hand. */
export function createManualSignals(): SignalSource & { fire(signal: SignalName): void } {
  const handlers = new Set<(signal: SignalName) => void>();
  return {
    subscribe(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    fire(signal) {
      for (const handler of [...handlers]) handler(signal);
    },
  };
}
