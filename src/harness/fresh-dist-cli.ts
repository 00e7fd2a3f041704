// `node dist/src/harness/fresh-dist-cli.js <tool>`: the stale-dist check alone (src/harness/fresh-dist.ts);
// the `lane` and `test:built` scripts run it first. An entry of its own, not a main guard in
// fresh-dist.ts: the tools' bundles (scripts/bundle-bin.mjs) hold fresh-dist.ts, and in a bundle
// every module's import.meta.url is the bundle's, so such a guard would fire in every tool.
import { refuseStaleDist } from './fresh-dist.js';

refuseStaleDist(process.argv[2] ?? 'codex-orchestrator', import.meta.url);
