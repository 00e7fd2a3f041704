import { singleManifestWriter } from '../rules/single-manifest-writer.js';
import { at, ruleTester } from './setup.js';

ruleTester.run('single-manifest-writer', singleManifestWriter, {
  valid: [
    // The writer's own module and other allowed modules.
    { code: "import { saveManifest } from './manifest-writer.js'; await saveManifest(p, m);", filename: at('src/persist/manifest-writer.ts') },
    {
      code: "import { saveManifest } from './manifest-writer.js'; await saveManifest(p, m);",
      filename: at('src/persist/persister.ts'),
      options: [{ allow: ['src/persist/'] }],
    },
    // Other exports of the writer module, other modules' saveManifest, other files.
    { code: "import { readManifest } from '../persist/manifest-writer.js'; await readManifest(fs, p, 'x');", filename: at('src/run/resume.ts') },
    { code: "import { saveManifest } from './somewhere-else.js'; await saveManifest(p, m);", filename: at('src/run/x.ts') },
    { code: "await fs.writeAtomic(paths.runSummaryPath, text); await writeFile('out/state.json', '{}');", filename: at('src/run/x.ts') },
    { code: "type Saver = typeof import('../persist/manifest-writer.js');", filename: at('src/run/x.ts') },
    { code: "await fs.writeAtomic(join(dir, 'manifest.json.bak'), text);", filename: at('src/run/x.ts') },
    // Configurable by names.
    {
      code: "import { saveManifest } from '../persist/manifest-writer.js'; saveManifest(p, m);",
      filename: at('lib/x.ts'),
      options: [{ writerModules: ['lib/store'], writerNames: ['writeState'] }],
    },
  ],
  invalid: [
    {
      code: "import { saveManifest } from '../persist/manifest-writer.js';\nawait saveManifest(paths, manifest);",
      filename: at('src/run/drive-run.ts'),
      errors: [
        { messageId: 'import', line: 1 },
        { messageId: 'call', line: 2 },
      ],
    },
    {
      code: "import { saveManifest as save } from '../persist/manifest-writer.js';\nsave(paths, manifest).then(() => undefined);",
      filename: at('src/run/x.ts'),
      errors: [{ messageId: 'import' }, { messageId: 'call', line: 2 }],
    },
    {
      code: "import * as store from '../persist/manifest-writer.js';\nawait store.saveManifest(paths, manifest);\nconst f = store.saveManifest;",
      filename: at('src/run/x.ts'),
      errors: [
        { messageId: 'call', line: 2 },
        { messageId: 'namespaceAccess', line: 3 },
      ],
    },
    {
      code: "export { saveManifest } from './persist/manifest-writer.js';\nexport * from './persist/manifest-writer.js';",
      filename: at('src/index.ts'),
      errors: [
        { messageId: 'reExport', line: 1 },
        { messageId: 'reExport', line: 2 },
      ],
    },
    {
      code: "import { saveManifest } from '../persist/manifest-writer.js';\nconst writers = [saveManifest];\nitems.forEach(() => saveManifest(p, m));",
      filename: at('src/run/x.ts'),
      errors: [{ messageId: 'import' }, { messageId: 'value', line: 2 }, { messageId: 'call', line: 3 }],
    },
    {
      code: [
        'await fs.writeAtomic(paths.manifestPath, text);',
        "await writeFile(join(runDir, 'manifest.json'), text);",
        'await writeFileSync(`${runDir}/.heartbeat`, now);',
        "const target = path.join(dir, '.heartbeat');",
        'await fsp.rename(tmp, target);',
        "fs.appendFile(dir + '/manifest.json', 'x');",
      ].join('\n'),
      filename: at('src/run/x.ts'),
      errors: [1, 2, 3, 5, 6].map((line) => ({ messageId: 'directWrite' as const, line })),
    },
  ],
});
