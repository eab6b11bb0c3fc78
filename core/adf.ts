// Atlassian Document Format (ADF) from plain text or simple Markdown, for Jira descriptions and comments
// (Jira's v3 API takes rich text only as ADF). Pure: no I/O.
//
// Understood: paragraphs (blank-line separated; a single newline inside one becomes a hard break, so
// plain text keeps its lines), `#` headings, `-`/`*`/`+` bullet lists and `1.` ordered lists (nested by
// indentation), ``` fenced code blocks, `---` rules, and inline `**strong**`, `*em*`/`_em_`, `code`,
// [text](url) and bare http(s) URLs as links. Anything else stays literal text.

export type AdfMark =
  | { type: 'strong' }
  | { type: 'em' }
  | { type: 'code' }
  | { type: 'link'; attrs: { href: string } };

export type AdfText = { type: 'text'; text: string; marks?: AdfMark[] };
export type AdfHardBreak = { type: 'hardBreak' };
export type AdfInline = AdfText | AdfHardBreak;

export type AdfParagraph = { type: 'paragraph'; content: AdfInline[] };
export type AdfHeading = { type: 'heading'; attrs: { level: number }; content: AdfInline[] };
export type AdfCodeBlock = { type: 'codeBlock'; attrs?: { language: string }; content?: AdfText[] };
export type AdfRule = { type: 'rule' };
export type AdfListItem = { type: 'listItem'; content: (AdfParagraph | AdfList)[] };
export type AdfList =
  | { type: 'bulletList'; content: AdfListItem[] }
  | { type: 'orderedList'; attrs?: { order: number }; content: AdfListItem[] };
export type AdfBlock = AdfParagraph | AdfHeading | AdfCodeBlock | AdfRule | AdfList;

export type AdfDocument = { type: 'doc'; version: 1; content: AdfBlock[] };

const BULLET = /^(\s*)[-*+]\s+(.*)$/;
const ORDERED = /^(\s*)(\d{1,9})[.)]\s+(.*)$/;
const HEADING = /^\s{0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$/;
const FENCE = /^\s{0,3}```\s*([\w+#.-]*)\s*$/;
const RULE = /^\s{0,3}([-*_])(\s*\1){2,}\s*$/;

/** Converts plain text or simple Markdown to an ADF document. */
export function textToAdf(text: string): AdfDocument {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const content: AdfBlock[] = [];
  let paragraph: string[] = [];
  let list: ListBuilder | undefined;

  const flushParagraph = () => {
    if (paragraph.length > 0) content.push({ type: 'paragraph', content: inlineLines(paragraph) });
    paragraph = [];
  };
  const flushList = () => {
    if (list) content.push(list.root);
    list = undefined;
  };

  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? '';
    const fence = FENCE.exec(line);
    if (fence) {
      flushParagraph();
      flushList();
      const code: string[] = [];
      index++;
      while (index < lines.length && !/^\s{0,3}```\s*$/.test(lines[index] ?? ''))
        code.push(lines[index++] ?? '');
      const body = code.join('\n');
      content.push({
        type: 'codeBlock',
        ...(fence[1] ? { attrs: { language: fence[1] } } : {}),
        ...(body.length > 0 ? { content: [{ type: 'text', text: body }] } : {}),
      });
      continue;
    }
    if (line.trim() === '') {
      flushParagraph();
      flushList();
      continue;
    }
    const bullet = BULLET.exec(line);
    const ordered = bullet ? null : ORDERED.exec(line);
    if (RULE.test(line) && !(bullet && list)) {
      flushParagraph();
      flushList();
      content.push({ type: 'rule' });
      continue;
    }
    if (bullet || ordered) {
      flushParagraph();
      const indent = (bullet?.[1] ?? ordered?.[1] ?? '').length;
      const itemText = bullet ? (bullet[2] ?? '') : (ordered?.[3] ?? '');
      const kind = bullet ? 'bulletList' : 'orderedList';
      const start = ordered ? Number(ordered[2]) : 1;
      // A top-level item of the other kind starts a new list.
      if (list && indent <= list.indent && list.root.type !== kind) flushList();
      list ??= new ListBuilder(kind, start, indent);
      list.add(kind, start, indent, itemText);
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      flushParagraph();
      flushList();
      content.push({
        type: 'heading',
        attrs: { level: heading[1]?.length ?? 1 },
        content: parseInline(heading[2] ?? ''),
      });
      continue;
    }
    if (list && /^\s/.test(line)) {
      // An indented line under a list item continues that item.
      list.continueItem(line.trim());
      continue;
    }
    flushList();
    paragraph.push(line.trim());
  }
  flushParagraph();
  flushList();
  return { type: 'doc', version: 1, content };
}

/** Reads an ADF document back as plain text, one line per block (lists as `- item`). */
export function adfToText(document: { content?: unknown[] } | null | undefined): string {
  const lines: string[] = [];
  const inline = (nodes: unknown): string =>
    (Array.isArray(nodes) ? nodes : [])
      .map((node: { type?: string; text?: string; content?: unknown }) =>
        node.type === 'text' ? (node.text ?? '') : node.type === 'hardBreak' ? '\n' : inline(node.content),
      )
      .join('');
  const block = (node: { type?: string; content?: unknown[]; attrs?: { order?: number } }, depth: number) => {
    if (node.type === 'bulletList' || node.type === 'orderedList') {
      let number = node.attrs?.order ?? 1;
      for (const item of (node.content ?? []) as { content?: unknown[] }[]) {
        const marker = node.type === 'bulletList' ? '-' : `${number++}.`;
        const [first, ...rest] = (item.content ?? []) as { type?: string; content?: unknown[] }[];
        lines.push(`${'  '.repeat(depth)}${marker} ${first ? inline(first.content) : ''}`);
        for (const child of rest) block(child, depth + 1);
      }
    } else if (node.type === 'rule') {
      lines.push('---');
    } else {
      lines.push(inline(node.content));
    }
  };
  for (const node of (document?.content ?? []) as { type?: string }[]) block(node, 0);
  return lines.join('\n');
}

class ListBuilder {
  readonly root: AdfList;
  readonly indent: number;
  /** Open lists from the outermost in, with the indentation of their markers. */
  readonly #open: { list: AdfList; indent: number }[];

  constructor(kind: AdfList['type'], start: number, indent: number) {
    this.root = newList(kind, start);
    this.indent = indent;
    this.#open = [{ list: this.root, indent }];
  }

  add(kind: AdfList['type'], start: number, indent: number, text: string): void {
    while (this.#open.length > 1 && indent < (this.#open.at(-1)?.indent ?? 0)) this.#open.pop();
    const current = this.#open.at(-1)!;
    const parentItem = current.list.content.at(-1);
    if (indent > current.indent && parentItem) {
      // Deeper than the open list: a nested list inside its last item.
      const nested = newList(kind, start);
      parentItem.content.push(nested);
      this.#open.push({ list: nested, indent });
      nested.content.push(newItem(text));
      return;
    }
    current.list.content.push(newItem(text));
  }

  continueItem(text: string): void {
    const item = this.#open.at(-1)?.list.content.at(-1);
    const paragraph = item?.content.at(-1);
    if (paragraph?.type !== 'paragraph') return;
    paragraph.content.push({ type: 'hardBreak' }, ...parseInline(text));
  }
}

function newList(kind: AdfList['type'], start: number): AdfList {
  if (kind === 'bulletList') return { type: 'bulletList', content: [] };
  return start === 1
    ? { type: 'orderedList', content: [] }
    : { type: 'orderedList', attrs: { order: start }, content: [] };
}

function newItem(text: string): AdfListItem {
  return { type: 'listItem', content: [{ type: 'paragraph', content: parseInline(text) }] };
}

function inlineLines(lines: string[]): AdfInline[] {
  const out: AdfInline[] = [];
  lines.forEach((line, index) => {
    if (index > 0) out.push({ type: 'hardBreak' });
    out.push(...parseInline(line));
  });
  return out;
}

// One alternation, first match wins: code spans, links, bare URLs, strong, em (`*x*` or `_x_` not inside a word).
const INLINE =
  /`([^`]+)`|\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)|(https?:\/\/[^\s<>()]*[^\s<>().,;:!?'"])|\*\*(?!\s)(.+?)(?<!\s)\*\*|(?<![\w*])\*(?![\s*])(.+?)(?<![\s*])\*(?![\w*])|(?<![\w])_(?![\s_])(.+?)(?<![\s_])_(?!\w)/g;

/** Parses inline Markdown into text nodes with marks; adjacent nodes with the same marks are merged. */
export function parseInline(text: string, marks: AdfMark[] = []): AdfInline[] {
  const out: AdfText[] = [];
  const push = (value: string, nodeMarks: AdfMark[]) => {
    if (value.length === 0) return;
    const last = out.at(-1);
    if (last && sameMarks(last.marks ?? [], nodeMarks)) {
      last.text += value;
      return;
    }
    out.push(
      nodeMarks.length > 0 ? { type: 'text', text: value, marks: nodeMarks } : { type: 'text', text: value },
    );
  };
  let cursor = 0;
  for (const match of text.matchAll(INLINE)) {
    const index = match.index ?? 0;
    push(text.slice(cursor, index), marks);
    cursor = index + match[0].length;
    const [, code, linkText, linkHref, bareUrl, strong, star, underscore] = match;
    if (code !== undefined) {
      // ADF allows code only together with a link.
      push(code, [...marks.filter((mark) => mark.type === 'link'), { type: 'code' }]);
    } else if (linkText !== undefined && linkHref !== undefined) {
      for (const node of parseInline(
        linkText,
        withMark(marks, { type: 'link', attrs: { href: linkHref } }),
      )) {
        if (node.type === 'text') push(node.text, node.marks ?? []);
      }
    } else if (bareUrl !== undefined) {
      push(bareUrl, withMark(marks, { type: 'link', attrs: { href: bareUrl } }));
    } else {
      const inner = strong ?? star ?? underscore ?? '';
      const mark: AdfMark = strong !== undefined ? { type: 'strong' } : { type: 'em' };
      for (const node of parseInline(inner, withMark(marks, mark))) {
        if (node.type === 'text') push(node.text, node.marks ?? []);
      }
    }
  }
  push(text.slice(cursor), marks);
  return out;
}

function withMark(marks: AdfMark[], mark: AdfMark): AdfMark[] {
  if (marks.some((existing) => existing.type === mark.type)) return marks;
  if (marks.some((existing) => existing.type === 'code')) return marks;
  return [...marks, mark];
}

function sameMarks(a: AdfMark[], b: AdfMark[]): boolean {
  return a.length === b.length && a.every((mark, index) => JSON.stringify(mark) === JSON.stringify(b[index]));
}
