// Makes the built CLI entry executable so `npm ci` alone leaves a runnable bin.
import { chmodSync } from 'node:fs';
chmodSync(new URL('../dist/src/cli/main.js', import.meta.url), 0o755);
