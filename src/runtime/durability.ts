// The durability policy of atomic writes: one value, read by the real sink
// (src/runtime/node-file-sink.ts), by the replay's write counters (the memory sink) and by the
// write timeline. Phase 1 (removing B2): the file is fsynced before its rename, and its
// directory after the rename, so a crash can neither leave a partial file at the target nor
// lose a rename that was reported done.
export type Durability = {
  /** fsync the temp file before it is renamed onto the target. */
  readonly fsyncFile: boolean;
  /** fsync the target's directory after the rename. */
  readonly fsyncDirectory: boolean;
};

export const DURABILITY: Durability = { fsyncFile: true, fsyncDirectory: true };

/** fsync calls one atomic write makes under a policy. */
export function fsyncsPerAtomicWrite(policy: Durability): number {
  return (policy.fsyncFile ? 1 : 0) + (policy.fsyncDirectory ? 1 : 0);
}
