// Which Azure DevOps scopes each identity needs, computed rather than guessed: the adapter's calls
// (its area files read as source; a library client method read from azure-devops-node-api's own source,
// its location's route template from the simulator's location table) are mapped to the 7.1 spec operations, the
// adapter methods an identity's code calls are found through the import graph from its entry point,
// and the spec's `security` of those operations gives the scopes.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { operationForPath, type SpecOperation } from './azdo-spec.ts';

export const ROOT = join(import.meta.dirname, '..', '..');
/** The adapter's area files: each a class whose public methods are the port's (rest-azdo.ts composes them). */
const AREA_FILES = ['git.ts', 'pipelines.ts', 'approvals.ts', 'setup.ts'].map((file) =>
  join(ROOT, 'adapters', 'azdo', file),
);
const ADAPTER_DIR = join(ROOT, 'adapters', 'azdo');
const LIBRARY = join(ROOT, 'node_modules', 'azure-devops-node-api');
/** The library clients the areas hold, by the field they hold them in. */
const LIBRARY_CLIENTS: Record<string, string> = {
  '#api': 'GitApi.js',
  '#pipelines': 'PipelinesApi.js',
  '#builds': 'BuildApi.js',
  '#taskAgent': 'TaskAgentApiBase.js',
  '#policy': 'PolicyApi.js',
  '#core': 'CoreApi.js',
};

export interface AdapterCall {
  /** The adapter's label of the call (its first argument), or the library method called. */
  label: string;
  method: string;
  /** A concrete path the call could take, relative to the organisation URL. */
  path: string;
}

interface Member {
  name: string;
  text: string;
}

/** The members of the file's exported class, each with its source text. */
function classMembers(source: string, file: string): Member[] {
  const start = source.search(/export class \w+/);
  if (start < 0) throw new Error(`${file} has no exported class`);
  const body = source.slice(start);
  const end = body.indexOf('\n}\n');
  const lines = body.slice(0, end).split('\n');
  const members: Member[] = [];
  for (const line of lines) {
    const declared = /^ {2}(?:async |static |private |readonly )*(#?\w+)\s*(?:<[^>]*>)?\(/.exec(line);
    if (declared && !line.trimStart().startsWith('//'))
      members.push({ name: declared[1] as string, text: '' });
    const current = members.at(-1);
    if (current) current.text += `${line}\n`;
  }
  return members;
}

/** The arguments of the call whose `(` is at `open`, split at top-level commas. */
function callArguments(text: string, open: number): string[] {
  const args: string[] = [];
  let depth = 0;
  let current = '';
  let quote: string | undefined;
  for (let index = open + 1; index < text.length; index++) {
    const char = text[index] as string;
    if (quote) {
      current += char;
      if (char === quote && text[index - 1] !== '\\') quote = undefined;
      continue;
    }
    if (char === "'" || char === '"' || char === '`') {
      quote = char;
      current += char;
      continue;
    }
    if ('([{'.includes(char)) depth++;
    if (')]}'.includes(char)) {
      if (depth === 0) {
        args.push(current.trim());
        return args;
      }
      depth--;
    }
    if (char === ',' && depth === 0) {
      args.push(current.trim());
      current = '';
      continue;
    }
    current += char;
  }
  throw new Error('unbalanced call');
}

/** The `(` after `this.#connection.rest<…>` (type arguments may hold parentheses and braces). */
function openParen(text: string, from: number): number {
  let index = from;
  if (text[index] === '<') {
    let depth = 0;
    for (; index < text.length; index++) {
      if (text[index] === '<') depth++;
      if (text[index] === '>' && text[index - 1] !== '=' && --depth === 0) break;
    }
    index++;
  }
  while (/\s/.test(text[index] as string)) index++;
  if (text[index] !== '(') throw new Error(`no ( at ${text.slice(from, from + 40)}`);
  return index;
}

/** The concrete paths a path expression can take (a ternary gives two). */
function pathsOf(expression: string, member: Member): string[] {
  const named = /^\w+$/.test(expression)
    ? new RegExp(`const ${expression} =\\s*([\\s\\S]*?);\\n`).exec(member.text)?.[1]
    : undefined;
  if (/^\w+$/.test(expression) && !named) throw new Error(`${member.name}: cannot resolve ${expression}`);
  const text = (named ?? expression).trim();
  const ternary = /^[^?`'"]+\?\s*([\s\S]+?)\s*:\s*([\s\S]+)$/.exec(text);
  const alternatives = ternary ? [ternary[1] as string, ternary[2] as string] : [text];
  return alternatives.map((alternative) => {
    let path = alternative.trim();
    path = path.replace(/\$\{\s*this\.#connection\.projectPath\(\)\s*\}/g, 'proj');
    // A path built on a named one (`${path}/${id}`): that name's own path.
    path = path.replace(/\$\{\s*(\w+)\s*\}/g, (whole, name: string) =>
      new RegExp(`const ${name} =\\s*([\\s\\S]*?);\\n`).test(member.text)
        ? (pathsOf(name, member)[0] ?? whole)
        : whole,
    );
    path = path.replace(/\$\{[^}]*\}/g, '1');
    return path.replace(/^[`'"]|[`'"]$/g, '');
  });
}

const VERBS: Record<string, string> = {
  get: 'GET',
  create: 'POST',
  update: 'PATCH',
  replace: 'PUT',
  del: 'DELETE',
};

/**
 * The HTTP call a library client method makes, read from the library's own source (its location id,
 * verb and route values) and the route template the service advertises for that location.
 */
export function libraryCall(
  clientFile: string,
  method: string,
  locations: readonly { id: string; area: string; resourceName: string; routeTemplate: string }[],
): AdapterCall {
  const source = readFileSync(join(LIBRARY, clientFile), 'utf8');
  const start = source.indexOf(`\n    ${method}(`);
  if (start < 0) throw new Error(`${clientFile} has no method ${method}`);
  const body = source.slice(start, source.indexOf('\n    }\n', start));
  const versioning = /getVersioningData\("[^"]*", "(\w+)", "([0-9a-f-]+)"/.exec(body);
  const verb = /this\.rest\.(get|create|update|replace|del)\(/.exec(body);
  if (!versioning || !verb) throw new Error(`${clientFile} ${method}: no location or verb`);
  const location = locations.find((entry) => entry.id === versioning[2]);
  if (!location) throw new Error(`${clientFile} ${method}: location ${versioning[2]} is not advertised`);
  const routeValues = new Set(
    [...(/let routeValues = \{([^}]*)\}/.exec(body)?.[1] ?? '').matchAll(/(\w+):/g)].map((m) => m[1]),
  );
  // As the library fills a template: a parameter it has no value for drops its segment.
  const path = location.routeTemplate
    .split('/')
    .map((segment) => {
      if (segment === '{area}') return location.area;
      if (segment === '{resource}') return location.resourceName;
      const parameter = /^\{\*?(\w+)\}$/.exec(segment)?.[1];
      if (!parameter) return segment;
      if (!routeValues.has(parameter)) return '';
      return parameter === 'project' ? 'proj' : '1';
    })
    .filter(Boolean)
    .join('/');
  return { label: method, method: VERBS[verb[1] as string] as string, path };
}

/** Every public method of the adapter → the HTTP calls it can make (through its private helpers too). */
export function adapterCalls(
  locations: readonly { id: string; area: string; resourceName: string; routeTemplate: string }[],
  files: readonly string[] = AREA_FILES,
): Map<string, AdapterCall[]> {
  const result = new Map<string, AdapterCall[]>();
  for (const file of files) {
    const members = classMembers(readFileSync(file, 'utf8'), file);
    const own = new Map<string, AdapterCall[]>();
    const calls = new Map<string, Set<string>>();
    for (const member of members) {
      const found: AdapterCall[] = [];
      for (const match of member.text.matchAll(/this\.#connection\.rest\b/g)) {
        const args = callArguments(member.text, openParen(member.text, (match.index ?? 0) + match[0].length));
        const [labelArg, second, third] = args as [string, string, string];
        const label = labelArg.replace(/^'|'$/g, '');
        for (const path of pathsOf(third, member))
          found.push({ label, method: second.replace(/^'|'$/g, ''), path });
      }
      for (const match of member.text.matchAll(/this\.(#\w+)\.(\w+)\(/g)) {
        const client = LIBRARY_CLIENTS[match[1] as string];
        if (client) found.push(libraryCall(client, match[2] as string, locations));
      }
      own.set(member.name, found);
      calls.set(
        member.name,
        new Set(
          [...member.text.matchAll(/this\.(#?\w+)\(/g)]
            .map((call) => call[1] as string)
            .filter((name) => name !== member.name),
        ),
      );
    }
    const reach = (name: string, seen: Set<string>): AdapterCall[] => {
      if (seen.has(name)) return [];
      seen.add(name);
      return [...(own.get(name) ?? []), ...[...(calls.get(name) ?? [])].flatMap((next) => reach(next, seen))];
    };
    for (const member of members) {
      if (member.name.startsWith('#') || member.name === 'constructor') continue;
      result.set(member.name, reach(member.name, new Set()));
    }
  }
  return result;
}

/** Every .ts file the entry point loads at run time (type-only imports left out). */
export function importClosure(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(
      /^\s*(?:import|export)\s+(type\s+)?[^;]*?from\s+'(\.{1,2}\/[^']+)'/gm,
    )) {
      if (match[1]) continue;
      const target = resolve(dirname(file), match[2] as string);
      if (existsSync(target)) visit(target);
    }
  };
  visit(join(ROOT, entry));
  return [...seen].map((file) => relative(ROOT, file)).sort();
}

/** The adapter methods the code reachable from `entry` calls (`.name(` on anything). */
export function adapterMethodsCalledFrom(entry: string, methods: readonly string[]): string[] {
  const files = importClosure(entry).filter((file) => !file.startsWith(relative(ROOT, ADAPTER_DIR)));
  const called = new Set<string>();
  for (const file of files) {
    const source = readFileSync(join(ROOT, file), 'utf8');
    for (const method of methods) if (new RegExp(`\\.${method}\\(`).test(source)) called.add(method);
  }
  return [...called].sort();
}

export interface ScopeNeed {
  operationId: string;
  /** Any one of them grants the call. */
  scopes: readonly string[];
}

/** The spec operations (and their scopes) of the adapter methods given. */
export function scopeNeeds(
  operations: readonly SpecOperation[],
  calls: Map<string, AdapterCall[]>,
  methods: readonly string[],
): ScopeNeed[] {
  const needs = new Map<string, ScopeNeed>();
  for (const method of methods) {
    for (const call of calls.get(method) ?? []) {
      const operation = operationForPath(operations, call.method, `/org/${call.path}`);
      if (!operation) throw new Error(`${method}: ${call.method} ${call.path} is no spec operation`);
      needs.set(operation.operationId, { operationId: operation.operationId, scopes: operation.scopes });
    }
  }
  return [...needs.values()].sort((a, b) => a.operationId.localeCompare(b.operationId));
}

/** `vso.code_write` grants what `vso.code` grants (a scope's `_write`/`_execute`/`_manage` forms include it). */
export function implies(held: string, wanted: string): boolean {
  return held === wanted || held.startsWith(`${wanted}_`);
}
