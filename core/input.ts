// One way to read outside input: a zod schema, and one formatting of its issues as `field: problem`
// for coded errors. zod/mini keeps the pipeline tasks' start small (they compile what they import
// before their first line); its checks run schemas from `zod` too (the function app's config).
import * as z from 'zod/mini';

export type Issue = z.core.$ZodIssue;

export interface FieldStyle {
  /** The field named when the value itself is wrong; default `(root)`. */
  root?: string;
  /** `findings.0.line` (default) or `actions[0].value`. */
  indices?: 'dots' | 'brackets';
}

/** The issue's field as a path (`findings.0.line`), `root` for the value itself. */
export function issueField(issue: Issue, style: FieldStyle = {}): string {
  if (issue.path.length === 0) return style.root ?? '(root)';
  if (style.indices !== 'brackets') return issue.path.map(String).join('.');
  return issue.path
    .map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index > 0 ? '.' : ''}${String(key)}`))
    .join('');
}

/** `field: problem`, the form every coded input error uses. */
export function formatIssue(issue: Issue, style: FieldStyle = {}): string {
  return `${issueField(issue, style)}: ${issue.message}`;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; issues: Issue[] };

/** Parses with this module's messages (a schema's own `error` still wins). */
export function parseWith<S extends z.core.$ZodType>(schema: S, value: unknown): Parsed<z.output<S>> {
  const result = z.safeParse(schema, value, { error: problemOf });
  return result.success ? { ok: true, value: result.data } : { ok: false, issues: result.error.issues };
}

/** The value, or `fail(field, problem)` for its first issue (which throws the caller's coded error). */
export function parseOrFail<S extends z.core.$ZodType>(
  schema: S,
  value: unknown,
  fail: (field: string, problem: string) => never,
  style: FieldStyle = {},
): z.output<S> {
  const parsed = parseWith(schema, value);
  if (parsed.ok) return parsed.value;
  const issue = parsed.issues[0];
  return issue ? fail(issueField(issue, style), issue.message) : fail(style.root ?? '(root)', 'invalid');
}

const EXPECTED: Record<string, string> = {
  object: 'an object',
  array: 'an array',
  string: 'a string',
  boolean: 'true or false',
  number: 'a number',
  int: 'a whole number',
};

/**
 * The problem, said short and the same way whatever zod's locale (zod/mini loads none): what was
 * expected and what came. Bad values are described, never quoted whole.
 */
function problemOf(issue: z.core.$ZodRawIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${describeValue(issue.input)}`;
    case 'unrecognized_keys':
      return `unknown ${issue.keys.length === 1 ? 'key' : 'keys'} ${issue.keys.map((key) => JSON.stringify(key)).join(', ')}`;
    case 'invalid_value':
      return `expected ${issue.values.length === 1 ? String(issue.values[0]) : `one of ${issue.values.join(', ')}`}, got ${describeValue(issue.input)}`;
    case 'too_big':
      if (issue.origin === 'string') return `longer than ${issue.maximum} characters`;
      if (issue.origin === 'array') return `more than ${issue.maximum} items`;
      return `expected at most ${issue.maximum}, got ${describeValue(issue.input)}`;
    case 'too_small':
      if (issue.origin === 'string')
        return issue.minimum === 1 ? 'empty' : `shorter than ${issue.minimum} characters`;
      if (issue.origin === 'array')
        return `expected at least ${issue.minimum} ${issue.minimum === 1 ? 'item' : 'items'}`;
      return `expected at least ${issue.minimum}, got ${describeValue(issue.input)}`;
    case 'invalid_format':
      return issue.format === 'regex' ? 'not in the expected form' : `expected ${issue.format}`;
    case 'invalid_union':
      return 'matches none of the allowed forms';
    default:
      return 'invalid';
  }
}

/** A short description of a bad value for messages (strings cut to 40 characters, never whole). */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

/** A string that is not blank (zod's min length counts spaces). */
export const notBlank = z.refine<string>((value) => value.trim().length > 0, 'must not be blank');
