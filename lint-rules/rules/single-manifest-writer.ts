// Only the allowed modules may touch the raw manifest writer or write manifest.json /
// .heartbeat directly: everything else goes through the persister.
import { AST_NODE_TYPES, type TSESTree } from '@typescript-eslint/utils';
import { createRule, fileOf, isAllowed, moduleMatches } from '../utils/create-rule.js';

export type Options = [
  {
    /** Modules that export the raw writer (repo paths, extension optional). */
    writerModules?: string[];
    /** The raw writer's export names. */
    writerNames?: string[];
    /** Files (or directories ending in '/') allowed to use the writer and write the files. */
    allow?: string[];
    /** File names no one else may write. */
    protectedFiles?: string[];
    /** Property names that hold such a path (`paths.manifestPath`). */
    pathProperties?: string[];
    /** Functions and methods that write to the path in their first argument (rename/copy: the second). */
    writeFunctions?: string[];
  },
];

type MessageIds = 'import' | 'reExport' | 'namespaceAccess' | 'call' | 'value' | 'directWrite';

const DEFAULTS = {
  writerModules: ['src/persist/manifest-writer'],
  writerNames: ['saveManifest'],
  allow: ['src/persist/manifest-writer.ts'],
  protectedFiles: ['manifest.json', '.heartbeat'],
  pathProperties: ['manifestPath', 'heartbeatPath'],
  writeFunctions: [
    'writeFile',
    'writeFileSync',
    'appendFile',
    'appendFileSync',
    'writeAtomic',
    'writeFileAtomic',
    'outputFile',
    'outputFileSync',
    'createWriteStream',
    'rename',
    'renameSync',
    'copyFile',
    'copyFileSync',
  ],
};

const DESTINATION_SECOND = new Set(['rename', 'renameSync', 'copyFile', 'copyFileSync']);

export const singleManifestWriter = createRule<Options, MessageIds>({
  name: 'single-manifest-writer',
  meta: {
    type: 'problem',
    docs: { description: 'Only the persister (the allowed modules) writes manifest.json and .heartbeat; nothing else uses the raw writer.' },
    schema: [
      {
        type: 'object',
        additionalProperties: false,
        properties: {
          writerModules: { type: 'array', items: { type: 'string' } },
          writerNames: { type: 'array', items: { type: 'string' } },
          allow: { type: 'array', items: { type: 'string' } },
          protectedFiles: { type: 'array', items: { type: 'string' } },
          pathProperties: { type: 'array', items: { type: 'string' } },
          writeFunctions: { type: 'array', items: { type: 'string' } },
        },
      },
    ],
    messages: {
      import: "'{{name}}' (the raw manifest writer) is imported outside the persister; persist through the persister instead.",
      reExport: "'{{name}}' (the raw manifest writer) is re-exported outside the persister.",
      namespaceAccess: "'{{name}}' (the raw manifest writer) is reached through a namespace outside the persister.",
      call: "'{{name}}' (the raw manifest writer) is called outside the persister; use a forced persist through the persister.",
      value: "'{{name}}' (the raw manifest writer) is used as a value outside the persister.",
      directWrite: "'{{callee}}' writes {{file}} directly; only the persister writes it.",
    },
  },
  defaultOptions: [{}],
  create(context, [options]) {
    const o = { ...DEFAULTS, ...options };
    if (isAllowed(fileOf(context), o.allow)) return {};
    const localWriters = new Map<string, string>(); // local name -> exported name
    const namespaces = new Set<string>();
    const reported = new Set<TSESTree.Node>();
    const isWriterModule = (source: string) => moduleMatches(context, source, o.writerModules);
    const protectedRe = new RegExp(`(^|[/\\\\])(${o.protectedFiles.map((f) => f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})$`);

    /** Whether an expression is a path (as far as it can be seen) ending in a protected file name. */
    const isProtectedPath = (node: TSESTree.Node | undefined, depth = 0): boolean => {
      if (!node || depth > 4) return false;
      switch (node.type) {
        case AST_NODE_TYPES.Literal:
          return typeof node.value === 'string' && protectedRe.test(node.value);
        case AST_NODE_TYPES.TemplateLiteral:
          return protectedRe.test(node.quasis.at(-1)?.value.cooked ?? '');
        case AST_NODE_TYPES.BinaryExpression:
          return node.operator === '+' && isProtectedPath(node.right, depth + 1);
        case AST_NODE_TYPES.CallExpression: {
          const callee = node.callee;
          const name =
            callee.type === AST_NODE_TYPES.MemberExpression && callee.property.type === AST_NODE_TYPES.Identifier
              ? callee.property.name
              : callee.type === AST_NODE_TYPES.Identifier
                ? callee.name
                : '';
          return ['join', 'resolve'].includes(name) && isProtectedPath(node.arguments.at(-1), depth + 1);
        }
        case AST_NODE_TYPES.MemberExpression:
          return node.property.type === AST_NODE_TYPES.Identifier && !node.computed && o.pathProperties.includes(node.property.name);
        case AST_NODE_TYPES.Identifier: {
          if (o.pathProperties.includes(node.name)) return true;
          let scope: ReturnType<typeof context.sourceCode.getScope> | null = context.sourceCode.getScope(node);
          while (scope) {
            const variable = scope.set.get(node.name);
            if (variable) {
              const def = variable.defs[0];
              return (
                def?.node.type === AST_NODE_TYPES.VariableDeclarator &&
                def.parent?.type === AST_NODE_TYPES.VariableDeclaration &&
                def.parent.kind === 'const' &&
                isProtectedPath(def.node.init ?? undefined, depth + 1)
              );
            }
            scope = scope.upper;
          }
          return false;
        }
        default:
          return false;
      }
    };

    return {
      ImportDeclaration(node) {
        if (!isWriterModule(node.source.value)) return;
        for (const specifier of node.specifiers) {
          if (specifier.type === AST_NODE_TYPES.ImportNamespaceSpecifier) namespaces.add(specifier.local.name);
          if (specifier.type === AST_NODE_TYPES.ImportSpecifier) {
            const imported = specifier.imported.type === AST_NODE_TYPES.Identifier ? specifier.imported.name : specifier.imported.value;
            if (!o.writerNames.includes(imported)) continue;
            localWriters.set(specifier.local.name, imported);
            context.report({ node: specifier, messageId: 'import', data: { name: imported } });
          }
        }
      },
      ExportNamedDeclaration(node) {
        if (!node.source || !isWriterModule(node.source.value)) return;
        for (const specifier of node.specifiers) {
          const local = specifier.local.type === AST_NODE_TYPES.Identifier ? specifier.local.name : specifier.local.value;
          if (o.writerNames.includes(local)) context.report({ node: specifier, messageId: 'reExport', data: { name: local } });
        }
      },
      ExportAllDeclaration(node) {
        if (isWriterModule(node.source.value)) context.report({ node, messageId: 'reExport', data: { name: o.writerNames.join(', ') } });
      },
      CallExpression(node) {
        const callee = node.callee;
        if (callee.type === AST_NODE_TYPES.Identifier && localWriters.has(callee.name)) {
          reported.add(callee);
          context.report({ node: callee, messageId: 'call', data: { name: localWriters.get(callee.name)! } });
          return;
        }
        if (
          callee.type === AST_NODE_TYPES.MemberExpression &&
          callee.object.type === AST_NODE_TYPES.Identifier &&
          namespaces.has(callee.object.name) &&
          callee.property.type === AST_NODE_TYPES.Identifier &&
          o.writerNames.includes(callee.property.name)
        ) {
          reported.add(callee);
          context.report({ node: callee, messageId: 'call', data: { name: callee.property.name } });
          return;
        }
        const name =
          callee.type === AST_NODE_TYPES.Identifier
            ? callee.name
            : callee.type === AST_NODE_TYPES.MemberExpression && callee.property.type === AST_NODE_TYPES.Identifier
              ? callee.property.name
              : null;
        if (!name || !o.writeFunctions.includes(name)) return;
        const target = node.arguments[DESTINATION_SECOND.has(name) ? 1 : 0];
        if (target && isProtectedPath(target)) {
          context.report({ node, messageId: 'directWrite', data: { callee: name, file: o.protectedFiles.join(' or ') } });
        }
      },
      MemberExpression(node) {
        if (reported.has(node)) return;
        if (node.object.type !== AST_NODE_TYPES.Identifier || !namespaces.has(node.object.name)) return;
        if (node.property.type !== AST_NODE_TYPES.Identifier || !o.writerNames.includes(node.property.name)) return;
        const parent = node.parent;
        if (parent?.type === AST_NODE_TYPES.CallExpression && parent.callee === node) return;
        context.report({ node, messageId: 'namespaceAccess', data: { name: node.property.name } });
      },
      'Program:exit'() {
        // Every other reference to an imported writer is a use as a value.
        const scope = context.sourceCode.scopeManager?.globalScope;
        const modules = scope?.childScopes.filter((s) => s.type === 'module') ?? [];
        for (const moduleScope of modules) {
          for (const [local, exported] of localWriters) {
            const variable = moduleScope.set.get(local);
            for (const reference of variable?.references ?? []) {
              const id = reference.identifier as TSESTree.Identifier;
              if (reported.has(id)) continue;
              if (id.parent?.type === AST_NODE_TYPES.TSTypeQuery) continue;
              context.report({ node: id, messageId: 'value', data: { name: exported } });
            }
          }
        }
      },
    };
  },
});
