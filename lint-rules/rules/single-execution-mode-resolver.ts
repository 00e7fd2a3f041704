// Execution mode is parsed in one module: anywhere else, comparing a string with a mode
// word or reading a mode key is a second rule set in the making (B5).
import { AST_NODE_TYPES, type TSESTree } from '@typescript-eslint/utils';
import { createRule, fileOf, isAllowed } from '../utils/create-rule.js';

export type Options = [{ resolver?: string[]; words?: string[]; keys?: string[] }];
type MessageIds = 'compare' | 'read';

const DEFAULTS = { resolver: ['src/run/execution-mode.ts'], words: ['cloud', 'mcp'], keys: ['executionMode', 'requires_cloud', 'requiresCloud'] };

export const singleExecutionModeResolver = createRule<Options, MessageIds>({
  name: 'single-execution-mode-resolver',
  meta: {
    type: 'problem',
    docs: { description: 'Execution-mode parsing (mode-word comparisons, mode-key reads) lives only in the resolver module.' },
    schema: [
      {
        type: 'object',
        additionalProperties: false,
        properties: {
          resolver: { type: 'array', items: { type: 'string' } },
          words: { type: 'array', items: { type: 'string' } },
          keys: { type: 'array', items: { type: 'string' } },
        },
      },
    ],
    messages: {
      compare: "Comparing with the mode word '{{word}}' outside the execution-mode resolver; call the resolver instead.",
      read: "Reading the mode key '{{key}}' outside the execution-mode resolver; call the resolver instead.",
    },
  },
  defaultOptions: [{}],
  create(context, [options]) {
    const o = { ...DEFAULTS, ...options };
    if (isAllowed(fileOf(context), o.resolver)) return {};
    const words = new Set(o.words.map((w) => w.toLowerCase()));
    const modeWord = (node: TSESTree.Node | null | undefined): string | null => {
      if (node?.type === AST_NODE_TYPES.Literal && typeof node.value === 'string' && words.has(node.value.trim().toLowerCase())) return node.value;
      if (node?.type === AST_NODE_TYPES.TemplateLiteral && node.expressions.length === 0) {
        const text = node.quasis[0]?.value.cooked ?? '';
        if (words.has(text.trim().toLowerCase())) return text;
      }
      return null;
    };
    const keyName = (node: TSESTree.MemberExpression): string | null => {
      if (!node.computed && node.property.type === AST_NODE_TYPES.Identifier) return node.property.name;
      if (node.computed && node.property.type === AST_NODE_TYPES.Literal && typeof node.property.value === 'string') return node.property.value;
      return null;
    };
    return {
      BinaryExpression(node) {
        if (['===', '!==', '==', '!='].includes(node.operator)) {
          const word = modeWord(node.left) ?? modeWord(node.right);
          if (word !== null) context.report({ node, messageId: 'compare', data: { word } });
        }
        if (
          node.operator === 'in' &&
          node.left.type === AST_NODE_TYPES.Literal &&
          typeof node.left.value === 'string' &&
          o.keys.includes(node.left.value)
        ) {
          context.report({ node, messageId: 'read', data: { key: node.left.value } });
        }
      },
      SwitchCase(node) {
        const word = modeWord(node.test);
        if (word !== null) context.report({ node, messageId: 'compare', data: { word } });
      },
      CallExpression(node) {
        const callee = node.callee;
        if (callee.type !== AST_NODE_TYPES.MemberExpression || callee.property.type !== AST_NODE_TYPES.Identifier) return;
        if (!['includes', 'indexOf', 'has'].includes(callee.property.name)) return;
        if (callee.object.type !== AST_NODE_TYPES.ArrayExpression) return;
        const word = callee.object.elements.map((e) => modeWord(e)).find((w) => w !== null);
        if (word) context.report({ node, messageId: 'compare', data: { word } });
      },
      MemberExpression(node) {
        const key = keyName(node);
        if (key === null || !o.keys.includes(key)) return;
        const parent = node.parent;
        if (parent?.type === AST_NODE_TYPES.AssignmentExpression && parent.left === node) return;
        context.report({ node, messageId: 'read', data: { key } });
      },
      ObjectPattern(node) {
        for (const property of node.properties) {
          if (property.type !== AST_NODE_TYPES.Property) continue;
          const key =
            property.key.type === AST_NODE_TYPES.Identifier
              ? property.key.name
              : property.key.type === AST_NODE_TYPES.Literal
                ? String(property.key.value)
                : null;
          if (key !== null && o.keys.includes(key)) context.report({ node: property, messageId: 'read', data: { key } });
        }
      },
    };
  },
});
