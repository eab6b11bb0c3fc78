// Structural checks of an Atlassian Document, the subset Jira enforces on write: known node types in
// the right places, non-empty text, known marks, code not combined with other marks (links aside).
// Written apart from core/adf.ts on purpose, so the simulator checks the converter rather than echoing it.

const INLINE = new Set(['text', 'hardBreak', 'mention', 'emoji', 'inlineCard', 'date', 'status']);
const BLOCK = new Set([
  'paragraph',
  'heading',
  'bulletList',
  'orderedList',
  'codeBlock',
  'rule',
  'blockquote',
  'panel',
]);
const MARKS = new Set(['strong', 'em', 'code', 'link', 'strike', 'underline', 'subsup', 'textColor']);

type Node = {
  type?: unknown;
  content?: unknown;
  text?: unknown;
  marks?: unknown;
  attrs?: unknown;
  version?: unknown;
};

/** The first problem found in `value` as an ADF document, or undefined when it is one. */
export function adfProblem(value: unknown): string | undefined {
  if (!isNode(value) || value.type !== 'doc' || value.version !== 1)
    return 'not a document ({ type: "doc", version: 1 })';
  if (!Array.isArray(value.content)) return 'doc.content is not a list';
  return children(value.content, 'doc', (node) => BLOCK.has(String(node.type)));
}

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function children(list: unknown[], parent: string, allowed: (node: Node) => boolean): string | undefined {
  for (const child of list) {
    if (!isNode(child) || typeof child.type !== 'string')
      return `${parent} holds something that is not a node`;
    if (!allowed(child)) return `${parent} cannot hold a ${child.type}`;
    const problem = node(child);
    if (problem) return problem;
  }
  return undefined;
}

function contentOf(value: Node, required: boolean): unknown[] | string {
  if (value.content === undefined && !required) return [];
  if (!Array.isArray(value.content) || (required && value.content.length === 0))
    return `${String(value.type)} needs content`;
  return value.content;
}

function node(value: Node): string | undefined {
  const type = String(value.type);
  const inline = (n: Node) => INLINE.has(String(n.type));
  switch (type) {
    case 'text':
      if (typeof value.text !== 'string' || value.text.length === 0)
        return 'a text node needs non-empty text';
      return marks(value.marks);
    case 'hardBreak':
    case 'rule':
    case 'mention':
    case 'emoji':
    case 'inlineCard':
    case 'date':
    case 'status':
      return undefined;
    case 'paragraph':
    case 'heading': {
      if (type === 'heading') {
        const level = (value.attrs as { level?: unknown } | undefined)?.level;
        if (typeof level !== 'number' || level < 1 || level > 6) return 'a heading needs attrs.level 1 to 6';
      }
      const content = contentOf(value, false);
      return typeof content === 'string' ? content : children(content, type, inline);
    }
    case 'bulletList':
    case 'orderedList': {
      const content = contentOf(value, true);
      return typeof content === 'string' ? content : children(content, type, (n) => n.type === 'listItem');
    }
    case 'listItem': {
      const content = contentOf(value, true);
      if (typeof content === 'string') return content;
      const first = content[0] as Node | undefined;
      if (!first || !['paragraph', 'codeBlock'].includes(String(first.type)))
        return 'a listItem starts with a paragraph';
      return children(content, type, (n) =>
        ['paragraph', 'bulletList', 'orderedList', 'codeBlock'].includes(String(n.type)),
      );
    }
    case 'codeBlock': {
      const content = contentOf(value, false);
      if (typeof content === 'string') return content;
      for (const child of content) {
        if (!isNode(child) || child.type !== 'text' || child.marks !== undefined)
          return 'a codeBlock holds unmarked text only';
      }
      return children(content, type, () => true);
    }
    case 'blockquote':
    case 'panel': {
      const content = contentOf(value, true);
      return typeof content === 'string'
        ? content
        : children(content, type, (n) =>
            ['paragraph', 'bulletList', 'orderedList', 'codeBlock'].includes(String(n.type)),
          );
    }
    default:
      return `unknown node type ${type}`;
  }
}

function marks(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) return 'marks is not a list';
  const types = value.map((mark) => (isNode(mark) ? String(mark.type) : ''));
  for (const [index, type] of types.entries()) {
    if (!MARKS.has(type)) return `unknown mark ${type || '(none)'}`;
    if (types.indexOf(type) !== index) return `mark ${type} twice on one text`;
    if (type === 'link') {
      const href = ((value[index] as Node).attrs as { href?: unknown } | undefined)?.href;
      if (typeof href !== 'string' || href.length === 0) return 'a link mark needs attrs.href';
    }
  }
  if (types.includes('code') && types.some((type) => type !== 'code' && type !== 'link')) {
    return 'code cannot be combined with marks other than link';
  }
  return undefined;
}
