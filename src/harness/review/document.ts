// The review packet as one document model, rendered twice: review.md and a self-contained
// review.html say the same things in the same order because both come from this model.
// Text is plain: each renderer escapes for its own format.

/** Inline content: plain text, code, bold, a stage result (coloured in HTML), or a link (relative to the packet). */
export type Inline = string | { code: string } | { strong: string } | { status: string } | { link: string; text: string };

export type Tone = 'ok' | 'bad';

export type Block =
  | { kind: 'paragraph'; text: Inline[]; tone?: Tone }
  /** Each item may carry lines shown verbatim below it (a golden file's changed details). */
  | { kind: 'list'; items: Array<{ text: Inline[]; lines?: string[]; code?: CodeBlock }> }
  /** Verbatim lines: a fenced block in Markdown, a <pre> in HTML (a diff's lines coloured). */
  | CodeBlock
  | { kind: 'table'; head: string[]; rows: Inline[][][] }
  /** A titled group (one golden scenario): a subsection in Markdown, open <details> in HTML. */
  | { kind: 'group'; title: string; blocks: Block[] };

export type CodeBlock = { kind: 'code'; lang: 'diff' | 'text'; lines: string[] };

export type Section = { title: string; blocks: Block[] };

export type Document = { title: string; meta: Inline[]; sections: Section[] };

export const paragraph = (text: Inline[] | string, tone?: Tone): Block => ({
  kind: 'paragraph',
  text: typeof text === 'string' ? [text] : text,
  ...(tone ? { tone } : {}),
});

/** Every item's inline parts, interleaved with `separator` (`a, b, c`). */
export function joined(parts: Inline[], separator: string): Inline[] {
  return parts.flatMap((part, i) => (i === 0 ? [part] : [separator, part]));
}

// ---- Markdown ----

const mdCode = (text: string) => `\`${text.replace(/`/g, "'")}\``;

function mdInline(parts: Inline[]): string {
  return parts
    .map((part) => {
      if (typeof part === 'string') return part;
      if ('code' in part) return mdCode(part.code);
      if ('strong' in part) return `**${part.strong}**`;
      if ('link' in part) return `[${part.text.replace(/[[\]]/g, '\\$&')}](${encodeURI(part.link)})`;
      return part.status;
    })
    .join('');
}

/** A table cell: pipes escaped, one line. */
const mdCell = (parts: Inline[]) => mdInline(parts).replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** A fenced block whose fence is longer than any run of backticks in it. */
function mdFence(block: CodeBlock, indent = ''): string {
  const longest = Math.max(2, ...block.lines.map((line) => Math.max(0, ...[...line.matchAll(/`+/g)].map((m) => m[0].length))));
  const fence = '`'.repeat(longest + 1);
  return [`${fence}${block.lang}`, ...block.lines, fence].map((line) => `${indent}${line}`).join('\n');
}

function mdBlock(block: Block, depth: number): string {
  switch (block.kind) {
    case 'paragraph':
      return mdInline(block.text);
    case 'code':
      return mdFence(block);
    case 'list':
      return block.items
        .flatMap((item) => [
          `- ${mdInline(item.text)}`,
          ...(item.lines ?? []).map((line) => `  - ${mdCode(line)}`),
          ...(item.code ? ['', mdFence(item.code, '  '), ''] : []),
        ])
        .join('\n');
    case 'table':
      return [
        `| ${block.head.join(' | ')} |`,
        `|${block.head.map(() => '---|').join('')}`,
        ...block.rows.map((row) => `| ${row.map(mdCell).join(' | ')} |`),
      ].join('\n');
    case 'group':
      return [`${'#'.repeat(depth + 1)} ${block.title}`, ...block.blocks.map((b) => mdBlock(b, depth + 1))].join('\n\n');
  }
}

export function renderMarkdownDocument(doc: Document): string {
  const parts = [`# ${doc.title}`, mdInline(doc.meta)];
  for (const section of doc.sections) parts.push(`## ${section.title}`, ...section.blocks.map((b) => mdBlock(b, 2)));
  return `${parts.join('\n\n')}\n`;
}

// ---- HTML ----

const esc = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function htmlInline(parts: Inline[]): string {
  return parts
    .map((part) => {
      if (typeof part === 'string') return esc(part);
      if ('code' in part) return `<code>${esc(part.code)}</code>`;
      if ('strong' in part) return `<b>${esc(part.strong)}</b>`;
      if ('link' in part) return `<a href="${esc(encodeURI(part.link))}">${esc(part.text)}</a>`;
      return `<span class="st ${esc(part.status)}">${esc(part.status)}</span>`;
    })
    .join('');
}

/** A diff line's class: added, removed, or a hunk or file header. */
function diffClass(line: string): string | null {
  if (line.startsWith('+++') || line.startsWith('---') || line.startsWith('@@')) return 'hunk';
  if (line.startsWith('+')) return 'add';
  if (line.startsWith('-')) return 'del';
  return null;
}

function htmlCode(block: CodeBlock): string {
  if (block.lang !== 'diff') return `<pre class="text">${esc(block.lines.join('\n'))}</pre>`;
  const lines = block.lines.map((line) => {
    const cls = diffClass(line);
    return cls ? `<span class="${cls}">${esc(line)}</span>` : esc(line);
  });
  return `<pre class="diff">${lines.join('\n')}</pre>`;
}

function htmlBlock(block: Block): string {
  switch (block.kind) {
    case 'paragraph':
      return `<p${block.tone ? ` class="${block.tone}"` : ''}>${htmlInline(block.text)}</p>`;
    case 'code':
      return htmlCode(block);
    case 'list':
      return `<ul>${block.items.map((item) => `<li>${htmlInline(item.text)}${item.lines?.length ? `<pre>${esc(item.lines.join('\n'))}</pre>` : ''}${item.code ? htmlCode(item.code) : ''}</li>`).join('')}</ul>`;
    case 'table':
      return `<table><thead><tr>${block.head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${block.rows
        .map((row) => `<tr>${row.map((c) => `<td>${htmlInline(c)}</td>`).join('')}</tr>`)
        .join('\n')}</tbody></table>`;
    case 'group':
      return `<details open><summary>${esc(block.title)}</summary>${block.blocks.map(htmlBlock).join('')}</details>`;
  }
}

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#1d1d1f}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f3f3f3}pre{background:#f6f8fa;padding:.6em;overflow:auto;font-size:12px}code{font-size:12px}
.st.succeeded,.ok{color:#1a7f37}.st.failed,.bad{color:#cf222e}.st.running,.st.pending,.st.skipped{color:#6e7781}.meta{color:#57606a}
details{margin:.4em 0}summary{cursor:pointer;font-weight:600}
pre.diff .add{color:#1a7f37;background:#e6ffec;display:inline-block;width:100%}pre.diff .del{color:#cf222e;background:#ffebe9;display:inline-block;width:100%}
pre.diff .hunk{color:#8250df}`;

/** One self-contained page: no script, no external resource. */
export function renderHtmlDocument(doc: Document, pageTitle: string): string {
  const parts = [`<h1>${esc(doc.title)}</h1>`, `<p class="meta">${htmlInline(doc.meta)}</p>`];
  for (const section of doc.sections) parts.push(`<h2>${esc(section.title)}</h2>`, ...section.blocks.map(htmlBlock));
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${esc(pageTitle)}</title><style>${STYLE}</style></head><body>\n${parts.join('\n')}\n</body></html>\n`;
}
