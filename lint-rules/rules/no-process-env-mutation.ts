// process.env is read once, at the entry point, into the Runtime; nothing else writes it
// (a write leaks into every later resolution and child process — B6).
import { AST_NODE_TYPES, type TSESTree } from '@typescript-eslint/utils';
import { createRule, fileOf, isAllowed } from '../utils/create-rule.js';

export type Options = [{ allow?: string[] }];
type MessageIds = 'assign' | 'delete' | 'objectAssign' | 'replace';

function isProcessEnv(node: TSESTree.Node | undefined, aliases: Set<string>): boolean {
  if (!node) return false;
  if (node.type === AST_NODE_TYPES.Identifier) return aliases.has(node.name);
  return (
    node.type === AST_NODE_TYPES.MemberExpression &&
    !node.computed &&
    node.object.type === AST_NODE_TYPES.Identifier &&
    node.object.name === 'process' &&
    node.property.type === AST_NODE_TYPES.Identifier &&
    node.property.name === 'env'
  );
}

/** `process.env.X` / `process.env[k]` (or through an alias of process.env). */
function isEnvEntry(node: TSESTree.Node | undefined, aliases: Set<string>): boolean {
  return node?.type === AST_NODE_TYPES.MemberExpression && isProcessEnv(node.object, aliases);
}

export const noProcessEnvMutation = createRule<Options, MessageIds>({
  name: 'no-process-env-mutation',
  meta: {
    type: 'problem',
    docs: { description: 'Forbids writing process.env (assignment, delete, Object.assign) outside the allowed entry modules.' },
    schema: [{ type: 'object', additionalProperties: false, properties: { allow: { type: 'array', items: { type: 'string' } } } }],
    messages: {
      assign: 'process.env is written here; pass the value explicitly (e.g. as a child-env override) instead.',
      delete: 'process.env is modified with delete; keep the environment in the Runtime instead.',
      objectAssign: 'process.env is modified with {{how}}; pass the values explicitly instead.',
      replace: 'process.env is replaced; keep the environment in the Runtime instead.',
    },
  },
  defaultOptions: [{}],
  create(context, [options]) {
    if (isAllowed(fileOf(context), options.allow ?? ['src/cli/main.ts'])) return {};
    const aliases = new Set<string>();
    return {
      VariableDeclarator(node) {
        if (node.id.type === AST_NODE_TYPES.Identifier && isProcessEnv(node.init ?? undefined, aliases)) aliases.add(node.id.name);
      },
      AssignmentExpression(node) {
        if (isEnvEntry(node.left, aliases)) context.report({ node, messageId: 'assign' });
        else if (isProcessEnv(node.left, new Set())) context.report({ node, messageId: 'replace' });
      },
      UpdateExpression(node) {
        if (isEnvEntry(node.argument, aliases)) context.report({ node, messageId: 'assign' });
      },
      UnaryExpression(node) {
        if (node.operator === 'delete' && isEnvEntry(node.argument, aliases)) context.report({ node, messageId: 'delete' });
      },
      CallExpression(node) {
        const callee = node.callee;
        if (
          callee.type !== AST_NODE_TYPES.MemberExpression ||
          callee.object.type !== AST_NODE_TYPES.Identifier ||
          callee.property.type !== AST_NODE_TYPES.Identifier
        )
          return;
        const how = `${callee.object.name}.${callee.property.name}`;
        const writers = [
          'Object.assign',
          'Object.defineProperty',
          'Object.defineProperties',
          'Reflect.set',
          'Reflect.deleteProperty',
          'Reflect.defineProperty',
        ];
        if (writers.includes(how) && isProcessEnv(node.arguments[0], aliases)) context.report({ node, messageId: 'objectAssign', data: { how } });
      },
    };
  },
});
