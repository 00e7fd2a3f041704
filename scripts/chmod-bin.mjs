// The build's third step: makes the bin (dist/src/cli/bin.cjs, scripts/bundle-bin.mjs) and the
// entry it is bundled from executable so `npm ci` alone leaves a runnable bin, and writes
// dist/.build-stamp, which the lane's tools compare with their sources (a dist/ older than them
// is refused: src/harness/fresh-dist.ts).
import { chmodSync, writeFileSync } from 'node:fs';
for (const entry of ['bin.cjs', 'main.js']) chmodSync(new URL(`../dist/src/cli/${entry}`, import.meta.url), 0o755);
writeFileSync(new URL('../dist/.build-stamp', import.meta.url), `${new Date().toISOString()}\n`);
