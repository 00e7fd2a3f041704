// Every `codemod-unmigrated(<codemod>)` marker a codemod left is a call site still to move.
import { createRule } from '../utils/create-rule.js';

type MessageIds = 'marker';

const MARKER = /codemod-unmigrated\(([^)]*)\)(?::\s*([^*]*?))?\s*(?:\*\/)?$/;

export const noUnmigratedMarkers = createRule<[], MessageIds>({
  name: 'no-unmigrated-markers',
  meta: {
    type: 'problem',
    docs: { description: 'Reports every marker a codemod left at a site it could not migrate.' },
    schema: [],
    messages: { marker: 'The {{codemod}} codemod could not migrate this site{{reason}}: migrate it by hand, then delete the marker.' },
  },
  defaultOptions: [],
  create(context) {
    return {
      Program() {
        for (const comment of context.sourceCode.getAllComments()) {
          const match = MARKER.exec(comment.value.trim());
          if (!match) continue;
          context.report({
            loc: comment.loc,
            messageId: 'marker',
            data: { codemod: match[1] ?? '', reason: match[2] ? ` (${match[2].trim()})` : '' },
          });
        }
      },
    };
  },
});
