// golden diff --base: when the base's replay process fails, one line says why (never the
// child's stack, which it printed before: a newcomer's try of an old base showed Node's trace).
import { describe, expect, it } from 'vitest';
import { baseReplayFailure } from '../../src/harness/golden/diff-base.js';

const failed = (stderr: string, code = 1) => Object.assign(new Error(`Command failed: node cli.js replay\n${stderr}`), { stderr, code });

describe('baseReplayFailure', () => {
  it('names a package the base needs and this checkout does not install', () => {
    const stderr = [
      'node:internal/modules/esm/resolve:873',
      '  throw new ERR_MODULE_NOT_FOUND(packageName, fileURLToPath(base), null);',
      "Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'write-file-atomic' imported from /tmp/x/tree/dist/src/runtime/node-file-sink.js",
      '    at packageResolve (node:internal/modules/esm/resolve:873:9)',
      'Node.js v20.20.2',
    ].join('\n');
    expect(baseReplayFailure('HEAD~150', failed(stderr)).message).toBe(
      "the code at HEAD~150 needs 'write-file-atomic', which this checkout does not install: its golden replay cannot run here",
    );
  });

  it("otherwise says the error's own line and the exit code, without the stack", () => {
    const stderr = [
      '/tmp/x/tree/dist/src/harness/golden/cli.js:10',
      'TypeError: replay is not a function',
      '    at main (file:///tmp/x.js:1:1)',
      'Node.js v20.20.2',
    ].join('\n');
    const message = baseReplayFailure('v1', failed(stderr, 1)).message;
    expect(message).toBe('the replay at v1 failed (exit 1): TypeError: replay is not a function');
    expect(message).not.toContain('\n');
  });
});
