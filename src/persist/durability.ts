// The durability policy of atomic writes, shared by the real sink and the replay's counters.
// B2 (phase 0, removed by phase 1): atomic writes are not fsynced.
export const FSYNC_ATOMIC_WRITES = false;
