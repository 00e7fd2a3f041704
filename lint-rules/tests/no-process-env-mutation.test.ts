import { noProcessEnvMutation } from '../rules/no-process-env-mutation.js';
import { at, ruleTester } from './setup.js';

ruleTester.run('no-process-env-mutation', noProcessEnvMutation, {
  valid: [
    { code: "const home = process.env.HOME; const env = { ...process.env, A: '1' }; runtime.env.X = '1';", filename: at('src/run/x.ts') },
    { code: "process.env.NODE_ENV = 'production';", filename: at('src/cli/main.ts') },
    { code: 'delete process.env.X;', filename: at('scripts/setup.ts'), options: [{ allow: ['scripts/'] }] },
    { code: 'Object.assign({}, process.env);', filename: at('src/run/x.ts') },
  ],
  invalid: [
    { code: "process.env.FOO = 'bar';", filename: at('src/config/pipeline-env.ts'), errors: [{ messageId: 'assign' }] },
    { code: 'process.env[key] = value;', filename: at('src/config/pipeline-env.ts'), errors: [{ messageId: 'assign' }] },
    { code: "process.env.COUNT += '1';", filename: at('src/x.ts'), errors: [{ messageId: 'assign' }] },
    { code: 'delete process.env.FOO;', filename: at('src/x.ts'), errors: [{ messageId: 'delete' }] },
    { code: 'Object.assign(process.env, defaults);', filename: at('src/x.ts'), errors: [{ messageId: 'objectAssign' }] },
    { code: "Reflect.set(process.env, 'A', '1');", filename: at('src/x.ts'), errors: [{ messageId: 'objectAssign' }] },
    { code: 'process.env = {};', filename: at('src/x.ts'), errors: [{ messageId: 'replace' }] },
    { code: "const env = process.env;\nenv.LEAK = '1';", filename: at('src/x.ts'), errors: [{ messageId: 'assign', line: 2 }] },
  ],
});
