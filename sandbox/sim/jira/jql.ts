// The JQL subset the simulator understands: clauses on project, key (issuekey), status, fixVersion and
// issuetype (type) with =, !=, IN, NOT IN, joined by AND, and ORDER BY key|created ASC|DESC. Anything
// else is a JqlError, answered 400 like Jira's "Error in the JQL Query".

export type JqlField = 'project' | 'key' | 'status' | 'fixVersion' | 'issuetype';
export type JqlOperator = '=' | '!=' | 'in' | 'not in';

export interface JqlClause {
  field: JqlField;
  operator: JqlOperator;
  values: string[];
}

export interface JqlOrder {
  field: 'key' | 'created';
  direction: 'asc' | 'desc';
}

export interface JqlQuery {
  clauses: JqlClause[];
  orderBy: JqlOrder[];
}

export class JqlError extends Error {}

const FIELDS: Record<string, JqlField> = {
  project: 'project',
  key: 'key',
  issuekey: 'key',
  status: 'status',
  fixversion: 'fixVersion',
  issuetype: 'issuetype',
  type: 'issuetype',
};

type Token = { kind: 'word' | 'string' | 'symbol'; text: string; at: number };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < text.length) {
    const char = text[index] ?? '';
    if (/\s/.test(char)) {
      index++;
    } else if (char === '"' || char === "'") {
      let value = '';
      let end = index + 1;
      while (end < text.length && text[end] !== char) {
        if (text[end] === '\\' && end + 1 < text.length) end++;
        value += text[end];
        end++;
      }
      if (end >= text.length)
        throw new JqlError(
          `Error in the JQL Query: The quoted string starting at character ${index} is not closed.`,
        );
      tokens.push({ kind: 'string', text: value, at: index });
      index = end + 1;
    } else if (text.startsWith('!=', index)) {
      tokens.push({ kind: 'symbol', text: '!=', at: index });
      index += 2;
    } else if ('=(),'.includes(char)) {
      tokens.push({ kind: 'symbol', text: char, at: index });
      index++;
    } else {
      const word = /^[\w.-]+/.exec(text.slice(index))?.[0];
      if (!word)
        throw new JqlError(
          `Error in the JQL Query: The character '${char}' is a reserved JQL character (at ${index}).`,
        );
      tokens.push({ kind: 'word', text: word, at: index });
      index += word.length;
    }
  }
  return tokens;
}

export function parseJql(text: string): JqlQuery {
  const tokens = tokenize(text);
  let position = 0;
  const peek = () => tokens[position];
  const isWord = (token: Token | undefined, word: string) =>
    token?.kind === 'word' && token.text.toLowerCase() === word;
  const expected = (what: string): never => {
    const token = peek();
    throw new JqlError(
      `Error in the JQL Query: Expecting ${what} but ${token ? `got '${token.text}'` : 'reached the end of the query'}.`,
    );
  };
  const value = (): string => {
    const token = peek();
    if (!token || token.kind === 'symbol') return expected('a value');
    position++;
    return token.text;
  };

  const clauses: JqlClause[] = [];
  const orderBy: JqlOrder[] = [];
  while (position < tokens.length && !isWord(peek(), 'order')) {
    if (clauses.length > 0) {
      if (isWord(peek(), 'or'))
        throw new JqlError('Error in the JQL Query: the Jira simulator supports AND only, not OR.');
      if (!isWord(peek(), 'and')) expected("'AND' or 'ORDER BY'");
      position++;
    }
    const fieldToken = peek();
    if (!fieldToken || fieldToken.kind === 'symbol') expected('a field name');
    const field = FIELDS[fieldToken!.text.toLowerCase()];
    if (!field)
      throw new JqlError(
        `Field '${fieldToken!.text}' does not exist or you do not have permission to view it.`,
      );
    position++;
    let operator: JqlOperator;
    const next = peek();
    if (next?.text === '=' || next?.text === '!=') {
      operator = next.text as JqlOperator;
      position++;
      clauses.push({ field, operator, values: [value()] });
      continue;
    }
    if (isWord(next, 'not')) {
      position++;
      if (!isWord(peek(), 'in')) expected("'IN'");
      operator = 'not in';
    } else if (isWord(next, 'in')) {
      operator = 'in';
    } else {
      return expected("an operator ('=', '!=', 'IN', 'NOT IN')");
    }
    position++;
    if (peek()?.text !== '(') expected("'('");
    position++;
    const values = [value()];
    while (peek()?.text === ',') {
      position++;
      values.push(value());
    }
    if (peek()?.text !== ')') expected("')'");
    position++;
    clauses.push({ field, operator, values });
  }
  if (isWord(peek(), 'order')) {
    position++;
    if (!isWord(peek(), 'by')) expected("'BY'");
    position++;
    do {
      if (orderBy.length > 0) position++;
      const name = value().toLowerCase();
      const field =
        name === 'key' || name === 'issuekey' ? 'key' : name === 'created' ? 'created' : undefined;
      if (!field)
        throw new JqlError(
          `Error in the JQL Query: the Jira simulator orders by key or created only, not '${name}'.`,
        );
      let direction: 'asc' | 'desc' = 'asc';
      if (isWord(peek(), 'asc') || isWord(peek(), 'desc'))
        direction = value().toLowerCase() as 'asc' | 'desc';
      orderBy.push({ field, direction });
    } while (peek()?.text === ',');
  }
  if (position < tokens.length) expected('the end of the query');
  return { clauses, orderBy };
}
