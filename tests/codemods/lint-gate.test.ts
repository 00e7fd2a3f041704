// Phase 2 keeps the single writer with the lint rule at `error`: the project's own ESLint
// config fails a new direct write of manifest.json anywhere outside src/persist/.
import { ESLint } from 'eslint';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { srcReports } from '../helpers/lint-src.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('codex/single-manifest-writer is an error in this project', () => {
  // Only the rule under test runs (the lint stage runs them all); its reports are all that is read.
  const eslint = new ESLint({ cwd: ROOT, ruleFilter: ({ ruleId }) => ruleId === 'codex/single-manifest-writer' });
  const lint = async (file: string, code: string) => {
    const [result] = await eslint.lintText(code, { filePath: join(ROOT, file) });
    return result!.messages.filter((m) => m.ruleId === 'codex/single-manifest-writer');
  };

  it('a new call of the raw writer, or a direct write of the manifest path, fails npm run lint', async () => {
    const call = await lint(
      'src/run/new-step.ts',
      "import { saveManifest } from '../persist/manifest-writer.js';\nexport async function step(p: never, m: never) {\n  await saveManifest(p, m);\n}\n",
    );
    expect(call.map((m) => [m.severity, m.messageId])).toEqual([
      [2, 'import'],
      [2, 'call'],
    ]);
    const direct = await lint(
      'src/commands/new-command.ts',
      'export async function w(fs: any, paths: any) {\n  await fs.writeAtomic(paths.manifestPath, "{}");\n}\n',
    );
    expect(direct.map((m) => [m.severity, m.messageId])).toEqual([[2, 'directWrite']]);
  });

  it('src/persist/ may write: the persister is the single writer', async () => {
    const inside = await lint(
      'src/persist/another.ts',
      "import { saveManifest } from './manifest-writer.js';\nexport const f = (p: never, m: never) => saveManifest(p, m);\n",
    );
    expect(inside).toEqual([]);
  });

  it('src/ has 0 reports of the rule', async () => {
    // The project's own rules over src/, once per worker (tests/helpers/lint-src.ts).
    expect(await srcReports('codex/single-manifest-writer')).toEqual([]);
  });
});
