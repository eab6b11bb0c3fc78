// The expression language of Azure Pipelines, as far as our templates use it: literals ('text', numbers,
// true/false), references (`parameters.x`, `variables['Build.SourceBranch']`,
// `dependencies.Plan.outputs['Plan.plan.hasRelease']`) and calls of the functions a caller allows
// (`eq`, `ne`, `and`, `succeeded()`, `failed()`). Anything else fails loudly: the runner must not guess
// what Azure DevOps would do with syntax our templates never use.
import { SandboxError } from '../errors.ts';

export type ExpressionNode =
  | { kind: 'literal'; value: string | number | boolean | null }
  | { kind: 'call'; name: string; args: ExpressionNode[] }
  | { kind: 'ref'; root: string; path: (string | ExpressionNode)[] };

/** A value whose members are looked up on demand (case-insensitive variables, declared outputs). */
export class Lookup {
  constructor(
    readonly describe: string,
    readonly get: (key: string) => unknown,
  ) {}
}

export type ExpressionFunction = (
  args: readonly ExpressionNode[],
  evaluate: (node: ExpressionNode) => unknown,
) => unknown;

export interface ExpressionContext {
  roots: Readonly<Record<string, unknown>>;
  functions: Readonly<Record<string, ExpressionFunction>>;
  /** Where the expression is, for error messages. */
  where: string;
}

type Token =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'ident'; value: string }
  | { kind: 'punct'; value: '(' | ')' | '[' | ']' | ',' | '.' };

function unsupported(text: string, why: string): SandboxError {
  return new SandboxError('TEMPLATE_UNSUPPORTED', `expression "${text}": ${why}`, { expression: text });
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < text.length) {
    const char = text[index] as string;
    if (/\s/.test(char)) {
      index++;
    } else if (char === "'") {
      let value = '';
      index++;
      for (;;) {
        if (index >= text.length) throw unsupported(text, 'unterminated string');
        if (text[index] === "'") {
          if (text[index + 1] === "'") {
            value += "'";
            index += 2;
            continue;
          }
          index++;
          break;
        }
        value += text[index];
        index++;
      }
      tokens.push({ kind: 'string', value });
    } else if ('()[],.'.includes(char)) {
      tokens.push({ kind: 'punct', value: char as '(' });
      index++;
    } else if (/[0-9]/.test(char)) {
      const match = /^[0-9]+(\.[0-9]+)?/.exec(text.slice(index)) as RegExpExecArray;
      tokens.push({ kind: 'number', value: Number(match[0]) });
      index += match[0].length;
    } else if (/[A-Za-z_]/.test(char)) {
      const match = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(text.slice(index)) as RegExpExecArray;
      tokens.push({ kind: 'ident', value: match[0] });
      index += match[0].length;
    } else {
      throw unsupported(text, `unexpected character "${char}"`);
    }
  }
  return tokens;
}

export function parseExpression(text: string): ExpressionNode {
  const tokens = tokenize(text);
  let position = 0;
  const peek = () => tokens[position];
  const expect = (value: string) => {
    const token = tokens[position];
    if (token?.kind !== 'punct' || token.value !== value)
      throw unsupported(text, `expected "${value}" at token ${position + 1}`);
    position++;
  };
  const parse = (): ExpressionNode => {
    const token = tokens[position++];
    if (!token) throw unsupported(text, 'unexpected end');
    if (token.kind === 'string' || token.kind === 'number') return { kind: 'literal', value: token.value };
    if (token.kind !== 'ident') throw unsupported(text, `unexpected "${token.value}"`);
    const next = peek();
    if (next?.kind === 'punct' && next.value === '(') {
      position++;
      const args: ExpressionNode[] = [];
      if (!(peek()?.kind === 'punct' && peek()?.value === ')')) {
        for (;;) {
          args.push(parse());
          const separator = peek();
          if (separator?.kind === 'punct' && separator.value === ',') {
            position++;
            continue;
          }
          break;
        }
      }
      expect(')');
      return { kind: 'call', name: token.value.toLowerCase(), args };
    }
    const lower = token.value.toLowerCase();
    if (lower === 'true' || lower === 'false') return { kind: 'literal', value: lower === 'true' };
    if (lower === 'null') return { kind: 'literal', value: null };
    const path: (string | ExpressionNode)[] = [];
    for (;;) {
      const accessor = peek();
      if (accessor?.kind === 'punct' && accessor.value === '.') {
        position++;
        const name = tokens[position++];
        if (name?.kind !== 'ident') throw unsupported(text, 'expected a property name after "."');
        path.push(name.value);
      } else if (accessor?.kind === 'punct' && accessor.value === '[') {
        position++;
        path.push(parse());
        expect(']');
      } else {
        break;
      }
    }
    return { kind: 'ref', root: token.value, path };
  };
  const node = parse();
  if (position !== tokens.length)
    throw unsupported(text, `unexpected "${String(tokens[position]?.value)}" after the expression`);
  return node;
}

function member(value: unknown, key: string, context: ExpressionContext, text: string): unknown {
  if (value instanceof Lookup) return value.get(key);
  if (value === null || value === undefined) return null;
  if (typeof value !== 'object')
    throw new SandboxError(
      'TEMPLATE_INVALID',
      `${context.where}: "${text}" reads "${key}" of a ${typeof value}`,
      { key },
    );
  const record = value as Record<string, unknown>;
  // Azure Pipelines' property names are case-insensitive.
  const found = Object.keys(record).find((name) => name.toLowerCase() === key.toLowerCase());
  return found === undefined ? null : record[found];
}

export function evaluate(node: ExpressionNode, context: ExpressionContext, text = ''): unknown {
  const recurse = (child: ExpressionNode) => evaluate(child, context, text);
  switch (node.kind) {
    case 'literal':
      return node.value;
    case 'call': {
      const fn = context.functions[node.name];
      if (!fn)
        throw new SandboxError(
          'TEMPLATE_UNSUPPORTED',
          `${context.where}: function ${node.name}() is not supported here (supported: ${Object.keys(context.functions).join(', ')})`,
          { function: node.name },
        );
      return fn(node.args, recurse);
    }
    case 'ref': {
      const rootKey = Object.keys(context.roots).find(
        (name) => name.toLowerCase() === node.root.toLowerCase(),
      );
      if (rootKey === undefined)
        throw new SandboxError(
          'TEMPLATE_UNSUPPORTED',
          `${context.where}: "${node.root}" is not available here (available: ${Object.keys(context.roots).join(', ')})`,
          { name: node.root },
        );
      let value = context.roots[rootKey];
      for (const step of node.path) {
        const key = typeof step === 'string' ? step : recurse(step);
        if (typeof key !== 'string' && typeof key !== 'number')
          throw new SandboxError(
            'TEMPLATE_INVALID',
            `${context.where}: an index must be a string or number`,
            {},
          );
        value = member(value, String(key), context, text);
      }
      return value;
    }
  }
}

/** Text form of a value the way Azure Pipelines converts it (booleans as True/False). */
export function toText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return value;
  throw new SandboxError('TEMPLATE_INVALID', 'an object or a list cannot be used as text', {});
}

function truthy(value: unknown): boolean {
  if (typeof value === 'string') return value.length > 0;
  if (typeof value === 'number') return value !== 0;
  return Boolean(value);
}

/** eq/ne compare as Azure Pipelines does for the values our templates compare: text, case-insensitive. */
function same(left: unknown, right: unknown): boolean {
  if (typeof left === 'number' && typeof right === 'number') return left === right;
  return toText(left).toLowerCase() === toText(right).toLowerCase();
}

const arity = (name: string, args: readonly ExpressionNode[], count: number) => {
  if (args.length !== count)
    throw new SandboxError('TEMPLATE_INVALID', `${name}() takes ${count} argument(s), got ${args.length}`, {
      function: name,
    });
};

/** eq, ne and and: the functions our templates use in both template and runtime expressions. */
export const COMPARISON_FUNCTIONS: Readonly<Record<string, ExpressionFunction>> = {
  eq: (args, evaluateArg) => {
    arity('eq', args, 2);
    return same(evaluateArg(args[0] as ExpressionNode), evaluateArg(args[1] as ExpressionNode));
  },
  ne: (args, evaluateArg) => {
    arity('ne', args, 2);
    return !same(evaluateArg(args[0] as ExpressionNode), evaluateArg(args[1] as ExpressionNode));
  },
  and: (args, evaluateArg) => {
    if (args.length < 2) throw new SandboxError('TEMPLATE_INVALID', 'and() takes at least 2 arguments', {});
    // Short-circuits like Azure Pipelines: later arguments are not evaluated once one is false.
    for (const arg of args) if (!truthy(evaluateArg(arg))) return false;
    return true;
  },
};

/** Evaluates `text` and casts the result to a boolean (a condition). */
export function evaluateCondition(text: string, context: ExpressionContext): boolean {
  return truthy(evaluate(parseExpression(text), context, text));
}

/** Status functions of a condition: `succeeded()` / `failed()` with no arguments. */
export function statusFunctions(status: {
  succeeded: () => boolean;
  failed: () => boolean;
}): Record<string, ExpressionFunction> {
  return {
    succeeded: (args) => {
      if (args.length > 0)
        throw new SandboxError('TEMPLATE_UNSUPPORTED', 'succeeded(<name>) is not supported', {});
      return status.succeeded();
    },
    failed: (args) => {
      if (args.length > 0)
        throw new SandboxError('TEMPLATE_UNSUPPORTED', 'failed(<name>) is not supported', {});
      return status.failed();
    },
  };
}
