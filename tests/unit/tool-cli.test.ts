// isMain decides whether a tool runs (it is the process's entry) or was only imported. A tool
// in a checkout whose path holds a space or another character a file URL escapes must still
// see itself as the entry: before, it compared the URL's escaped path with argv[1], so such a
// tool printed nothing and exited 0.
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { isMain } from '../../src/harness/tool-cli.js';

const argv = [...process.argv];
afterEach(() => {
  process.argv.splice(0, process.argv.length, ...argv);
});

describe('isMain', () => {
  it.each(['/work/repo/dist/src/harness/docs-check/bin.cjs', '/tmp/sp ace/dist/tool.js', '/tmp/100%/tool.js', '/tmp/é#?/tool.js'])(
    'the entry %s is main',
    (path) => {
      process.argv[1] = path;
      expect(isMain(pathToFileURL(path).href)).toBe(true);
    },
  );

  it('another module, or no entry at all, is not main', () => {
    process.argv[1] = '/tmp/sp ace/dist/tool.js';
    expect(isMain(pathToFileURL('/tmp/sp ace/dist/other.js').href)).toBe(false);
    process.argv.splice(1);
    expect(isMain(pathToFileURL('/tmp/sp ace/dist/tool.js').href)).toBe(false);
  });
});
