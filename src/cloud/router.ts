// The real runtime's executor: a request with a `dispatch` (a cloud stage, a Redis URL set) goes
// to a cloud dispatcher, every other one to the local executor. The dispatcher (BullMQ, ioredis:
// a large module graph) is loaded only when the first such request comes, so a local run never
// pays for it (start-up and memory, measured in bench/).
import type { CloudDispatcher } from './dispatch-executor.js';
import type { CloudSettings } from './settings.js';
import { deferredHandle } from '../runtime/deferred-handle.js';
import type { ExecHandle, Executor } from '../runtime/types.js';

export function createCloudRouter(local: Executor): Executor {
  const dispatchers = new Map<string, Promise<CloudDispatcher>>();
  return {
    start(request, onChunk): ExecHandle {
      const dispatch = request.dispatch;
      if (!dispatch) return local.start(request, onChunk);
      // The invocation's own settings, passed through the runtime's seam untyped.
      const settings = dispatch.settings as CloudSettings & { reconnectMs?: number };
      const key = JSON.stringify(settings);
      let dispatcher = dispatchers.get(key);
      if (!dispatcher) {
        dispatcher = import('../cloud/dispatch-executor.js').then(({ CloudDispatcher }) => new CloudDispatcher(settings, settings.reconnectMs));
        dispatchers.set(key, dispatcher);
      }
      return deferredHandle((started) => dispatcher.then((d) => started(d.start({ ...request, dispatch }, onChunk, local))));
    },
    async close() {
      const open = [...dispatchers.values()];
      dispatchers.clear();
      await Promise.all(open.map(async (d) => (await d).close()));
    },
  };
}
