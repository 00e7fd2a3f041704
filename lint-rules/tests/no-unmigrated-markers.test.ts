import { noUnmigratedMarkers } from '../rules/no-unmigrated-markers.js';
import { at, ruleTester } from './setup.js';

ruleTester.run('no-unmigrated-markers', noUnmigratedMarkers, {
  valid: [
    { code: '// codemod: migrated\nawait persister.persist({ force: true });', filename: at('src/x.ts') },
    { code: '/* unmigrated sites are listed in the report */', filename: at('src/x.ts') },
  ],
  invalid: [
    {
      code: 'await /* codemod-unmigrated(persister): no ManifestPersister reachable here */ saveManifest(p, m);',
      filename: at('src/x.ts'),
      errors: [{ messageId: 'marker', data: { codemod: 'persister', reason: ' (no ManifestPersister reachable here)' } }],
    },
    {
      code: '// codemod-unmigrated(other-codemod)\nfoo();\nconst xs = [/* codemod-unmigrated(persister): the writer is used as a value, not called */ f];',
      filename: at('src/x.ts'),
      errors: [
        { messageId: 'marker', line: 1, data: { codemod: 'other-codemod', reason: '' } },
        { messageId: 'marker', line: 3 },
      ],
    },
  ],
});
