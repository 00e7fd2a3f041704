import { singleExecutionModeResolver } from '../rules/single-execution-mode-resolver.js';
import { at, ruleTester } from './setup.js';

ruleTester.run('single-execution-mode-resolver', singleExecutionModeResolver, {
  valid: [
    { code: "if (stage.executionMode === 'cloud') {}", filename: at('src/run/execution-mode.ts') },
    { code: "const mode = resolveExecutionMode(stage, 'dispatch'); return 'cloud';", filename: at('src/run/x.ts') },
    { code: 'const schema = { executionMode: z.string() }; metadata.execution_mode = mode;', filename: at('src/config/schema.ts') },
    { code: "if (privacy.mode === 'enforce') {}", filename: at('src/run/x.ts') },
    { code: "stage.executionMode = 'cloud';", filename: at('src/run/x.ts') },
    { code: "if (x.flavor === 'cloud') {}", filename: at('lib/x.ts'), options: [{ resolver: ['lib/x.ts'] }] },
  ],
  invalid: [
    { code: "if (word === 'cloud') return 'cloud';", filename: at('src/commands/plan.ts'), errors: [{ messageId: 'compare' }] },
    { code: "if ('MCP' != lowered) {}", filename: at('src/run/x.ts'), errors: [{ messageId: 'compare' }] },
    { code: "switch (w) { case 'mcp': break; }", filename: at('src/run/x.ts'), errors: [{ messageId: 'compare' }] },
    { code: "if (['cloud', 'true'].includes(word)) {}", filename: at('src/run/x.ts'), errors: [{ messageId: 'compare' }] },
    { code: 'const m = stage.executionMode;', filename: at('src/run/x.ts'), errors: [{ messageId: 'read' }] },
    { code: "const m = stage['requires_cloud'];", filename: at('src/run/x.ts'), errors: [{ messageId: 'read' }] },
    { code: 'const { requiresCloud } = stage;', filename: at('src/run/x.ts'), errors: [{ messageId: 'read' }] },
    { code: "if ('executionMode' in stage) {}", filename: at('src/run/x.ts'), errors: [{ messageId: 'read' }] },
  ],
});
