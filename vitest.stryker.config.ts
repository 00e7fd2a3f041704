// The vitest run StrykerJS mutates under (`npm run mutation`, stryker.config.json). It is the
// project's suite less the tests that only reach the code under mutation through a child
// process (the built CLI in dist/, the real shell of a real run): a mutant lives in the
// sandbox's in-memory source, so those tests cannot kill it, and they would make every
// static mutant (one that runs at import time) pay for the whole suite.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    exclude: [
      '**/node_modules/**',
      // Spawn dist/src/cli/bin.cjs or the lane's tools.
      'tests/integration/**',
      'tests/harness/**',
      // Spawn dist/src/harness/golden/bin.cjs; real runs with real processes and the wall clock.
      'tests/golden/workflow.test.ts',
      'tests/golden/fidelity-and-diff.test.ts',
      'tests/golden/review-shard.test.ts',
      'tests/golden/workflow-edges.test.ts',
      // ts-morph over fixtures: no code under src/manifest, src/persist or src/run runs there.
      'tests/codemods/**',
      // Replay the whole corpus once per test (the battery: once per injected regression, nine
      // times; the bench: once to count writes): every mutant in src/run is covered by them, so
      // each one that survives would pay minutes. What they would catch, the per-scenario corpus
      // test (tests/golden/corpus.test.ts: files, timeline, requests, invariants) catches.
      'tests/golden/regression-battery.test.ts',
      'tests/bench/**',
      // The compiler over the sources: Stryker marks each mutated file @ts-nocheck in its
      // sandbox, so a type-level test cannot hold there (and no mutant changes a type).
      'tests/unit/manifest-view.test.ts',
    ],
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
