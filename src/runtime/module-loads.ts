// A command's modules are imported when it runs (src/cli/run-cli.ts), so the CLI loads only what
// the command needs. Importing is real I/O that no Runtime sees: the virtual runtime asks here
// whether a load is under way and does not move virtual time until it is done, so a replay does
// the same work in the same order whether a module was already loaded or not.

let pending = 0;

/** `load()` (a dynamic `import()`), counted as pending until it settles. */
export async function loadModule<T>(load: () => Promise<T>): Promise<T> {
  pending += 1;
  try {
    return await load();
  } finally {
    pending -= 1;
  }
}

/** How many module loads are under way. */
export function pendingModuleLoads(): number {
  return pending;
}
