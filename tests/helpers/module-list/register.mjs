// `node --import <this file>`: appends the URL of every module the process loads to the file in
// $MODULE_LIST_FILE, one a line: each ES module and builtin as the loader loads it (hooks.mjs),
// and at exit every CommonJS module in require's cache and every public builtin Node loaded on
// the main thread (`node:<name>`, from process.moduleLoadList: those that CommonJS code required
// do not pass the loader hooks). Used by tests/integration/startup-modules.test.ts.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';

const file = process.env.MODULE_LIST_FILE;
if (!file) throw new Error('module-list: set MODULE_LIST_FILE');
register(new URL('./hooks.mjs', import.meta.url), { data: { file } });
const require = createRequire(import.meta.url);
process.on('exit', () => {
  const required = Object.keys(require.cache).map((path) => `${pathToFileURL(path).href}\n`);
  const builtins = process.moduleLoadList
    .filter((entry) => entry.startsWith('NativeModule ') && !entry.startsWith('NativeModule internal/'))
    .map((entry) => `node:${entry.slice('NativeModule '.length)}\n`);
  appendFileSync(file, [...required, ...builtins].join(''));
});
