// Microsoft's Azure DevOps 7.1 OpenAPI specs as a list of (method, path template) operations, and the
// checks the contract test runs: a simulator route or a recorded request must map to one of them, with
// the api-version that operation demands and only query parameters it declares.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv-draft-04';
import { bodiesOf, type RequestLogEntry } from '../../sandbox/sim/server.ts';

/** What the body checks need of ajv-draft-04 (CommonJS with a `default` export: taken from require). */
interface SchemaValidator {
  addSchema(schema: object, key: string): unknown;
  compile(schema: object): ValidateFunction;
}
const Ajv = (
  createRequire(import.meta.url)('ajv-draft-04') as {
    default: new (options: Record<string, unknown>) => SchemaValidator;
  }
).default;

export const SPECS_DIR =
  process.env.AZDO_SPECS_DIR ?? join(import.meta.dirname, '..', 'fixtures', 'azure-devops-rest-7.1');

export interface SpecOperation {
  file: string;
  method: string;
  template: string;
  operationId: string;
  /** What `api-version` must be, e.g. 7.1 or 7.1-preview.1. */
  apiVersion: string | undefined;
  queryParameters: ReadonlySet<string>;
  /** Matches a concrete path, case-insensitively. */
  pattern: RegExp;
  /** Literal segments: the more, the more specific. */
  literalSegments: number;
  /** The spec's `security: [{ oauth2: [...] }]`: the OAuth/PAT scopes that grant the call (any one of them). */
  scopes: readonly string[];
  /** The schema of the request body (its `in: body` parameter), refs pointing into the spec file. */
  bodySchema: object | undefined;
  /** The schema of the 200 (or 201) answer, likewise. */
  responseSchema: object | undefined;
}

interface SwaggerParameter {
  $ref?: string;
  in?: string;
  name?: string;
  description?: string;
  schema?: object;
}

interface Swagger {
  paths: Record<
    string,
    Record<
      string,
      {
        operationId?: string;
        parameters?: SwaggerParameter[];
        security?: { oauth2?: string[] }[];
        responses?: Record<string, { schema?: object }>;
      }
    >
  >;
  parameters?: Record<string, SwaggerParameter>;
}

const METHODS = new Set(['get', 'put', 'post', 'patch', 'delete', 'head', 'options']);

export function loadSpecOperations(dir = SPECS_DIR): SpecOperation[] {
  const files = readdirSync(dir).filter((file) => file.endsWith('.json'));
  if (files.length === 0) throw new Error(`no spec files in ${dir}`);
  const operations: SpecOperation[] = [];
  for (const file of files) {
    // The files start with a UTF-8 byte order mark, which JSON.parse refuses.
    const spec = JSON.parse(readFileSync(join(dir, file), 'utf8').replace(/^\uFEFF/, '')) as Swagger;
    for (const [template, item] of Object.entries(spec.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        if (!METHODS.has(method)) continue;
        const parameters = (operation.parameters ?? []).map((parameter) => resolve(spec, parameter));
        const apiVersion = parameters.find((parameter) => parameter.name === 'api-version');
        operations.push({
          file,
          method: method.toUpperCase(),
          template,
          operationId: operation.operationId ?? '',
          apiVersion: apiVersion ? versionOf(apiVersion) : undefined,
          queryParameters: new Set(
            parameters
              .filter((parameter) => parameter.in === 'query' && parameter.name)
              .map((parameter) => parameter.name!),
          ),
          pattern: templatePattern(template),
          literalSegments: template.split('/').filter((segment) => segment && !segment.includes('{')).length,
          scopes: (operation.security ?? []).flatMap((requirement) => requirement.oauth2 ?? []),
          bodySchema: inFile(file, parameters.find((parameter) => parameter.in === 'body')?.schema),
          responseSchema: inFile(
            file,
            operation.responses?.['200']?.schema ?? operation.responses?.['201']?.schema,
          ),
        });
      }
    }
  }
  return operations;
}

/** A schema of a spec file with its `#/definitions/…` refs made absolute (`file#/definitions/…`). */
function inFile(file: string, schema: object | undefined): object | undefined {
  if (schema === undefined) return undefined;
  return JSON.parse(JSON.stringify(schema).replace(/"\$ref":"#\//g, `"$ref":"${file}#/`));
}

function resolve(spec: Swagger, parameter: SwaggerParameter): SwaggerParameter {
  if (!parameter.$ref) return parameter;
  const name = parameter.$ref.replace('#/parameters/', '');
  const found = spec.parameters?.[name];
  if (!found) throw new Error(`unresolved parameter ${parameter.$ref}`);
  return { ...found, $ref: parameter.$ref };
}

/** The spec says it in words: "This should be set to '7.1-preview.1' to use this version of the api." */
function versionOf(parameter: SwaggerParameter): string | undefined {
  const said = /set to '([^']+)'/.exec(parameter.description ?? '')?.[1];
  if (said) return said;
  const preview = /api-Version-(preview\.\d+)$/.exec(parameter.$ref ?? '')?.[1];
  return preview ? `7.1-${preview}` : parameter.$ref ? '7.1' : undefined;
}

function templatePattern(template: string): RegExp {
  const source = template
    .replace(/\/+$/, '')
    .split('/')
    .map((segment) => (segment.includes('{') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}/?$`, 'i');
}

/** A template with parameter names erased and case folded: `/{a}/_apis/x/{b}` → `/{}/_apis/x/{}`. */
export function templateKey(template: string): string {
  return template
    .replace(/\/+$/, '')
    .replace(/\{[^}]+\}/g, '{}')
    .toLowerCase();
}

export function operationForTemplate(
  operations: readonly SpecOperation[],
  method: string,
  template: string,
): SpecOperation | undefined {
  const key = templateKey(template);
  return operations.find(
    (operation) => operation.method === method.toUpperCase() && templateKey(operation.template) === key,
  );
}

/** The most specific operation whose template matches a concrete path. */
export function operationForPath(
  operations: readonly SpecOperation[],
  method: string,
  path: string,
): SpecOperation | undefined {
  return operations
    .filter((operation) => operation.method === method.toUpperCase() && operation.pattern.test(path))
    .sort((a, b) => b.literalSegments - a.literalSegments)[0];
}

export interface ServedRoute {
  method: string;
  template: string;
  operation: string;
  apiVersion?: string;
}

/** Why each route is not an operation of the specs (empty: all are). */
export function routeProblems(
  operations: readonly SpecOperation[],
  routes: readonly ServedRoute[],
): string[] {
  const problems: string[] = [];
  for (const route of routes) {
    const operation = operationForTemplate(operations, route.method, route.template);
    const name = `${route.method} ${route.template}`;
    if (!operation) {
      problems.push(`${name}: no operation in the specs`);
      continue;
    }
    if (operation.operationId !== route.operation)
      problems.push(`${name}: named ${route.operation}, the spec says ${operation.operationId}`);
    if (route.apiVersion !== undefined && operation.apiVersion !== route.apiVersion) {
      problems.push(`${name}: serves api-version ${route.apiVersion}, the spec says ${operation.apiVersion}`);
    }
  }
  return problems;
}

/** Why each recorded request is not a call of a spec operation (empty: all are). */
export function requestProblems(
  operations: readonly SpecOperation[],
  entries: readonly RequestLogEntry[],
): string[] {
  const problems: string[] = [];
  for (const entry of entries) {
    const name = `${entry.method} ${entry.path}${entry.query}`;
    // Location discovery is how a client finds the operations, not one of them (checked by locationProblems).
    if (
      entry.method === 'OPTIONS' &&
      entry.operation === 'Location discovery' &&
      /^\/[^/]+\/_apis\/[^/]+$/.test(entry.path)
    )
      continue;
    const byTemplate = entry.template
      ? operationForTemplate(operations, entry.method, entry.template)
      : undefined;
    const operation = byTemplate?.pattern.test(entry.path)
      ? byTemplate
      : operationForPath(operations, entry.method, entry.path);
    if (!operation) {
      problems.push(`${name}: no operation in the specs`);
      continue;
    }
    const query = new URLSearchParams(entry.query);
    const version = query.get('api-version');
    if (version !== operation.apiVersion) {
      problems.push(
        `${name}: api-version ${version ?? '(none)'}, ${operation.operationId} needs ${operation.apiVersion}`,
      );
    }
    for (const key of new Set(query.keys())) {
      if (key !== 'api-version' && !operation.queryParameters.has(key)) {
        problems.push(`${name}: ${operation.operationId} declares no query parameter ${key}`);
      }
    }
  }
  return problems;
}

export interface AdvertisedLocation {
  id: string;
  area: string;
  resourceName: string;
  routeTemplate: string;
  maxVersion: string;
  releasedVersion: string;
}

/**
 * Why each advertised resource location would send a client off the specs: its route template, with
 * `{area}` and `{resource}` filled in as the library does, must be the path of a spec operation, and its
 * versions must keep a negotiated api-version at 7.1.
 */
export function locationProblems(
  operations: readonly SpecOperation[],
  locations: readonly AdvertisedLocation[],
): string[] {
  const problems: string[] = [];
  for (const location of locations) {
    const name = `${location.area} ${location.resourceName} ${location.id}`;
    const template = `/{organization}/${location.routeTemplate
      .replace('{area}', location.area)
      .replace('{resource}', location.resourceName)}`;
    // Optional trailing parameters ({threadId}, {*filter}) may be left out: the template or a prefix of it.
    const segments = template.split('/');
    let found = false;
    for (let end = segments.length; end > 0 && !found; end--) {
      const candidate = segments.slice(0, end).join('/');
      if (end < segments.length && !segments[end]!.startsWith('{')) break;
      found = operations.some(
        (operation) => templateKey(operation.template) === templateKey(candidate.replace('{*', '{')),
      );
    }
    if (!found) problems.push(`${name}: ${template} is no path of the specs`);
    if (location.maxVersion !== '7.1' || location.releasedVersion !== '7.1') {
      problems.push(
        `${name}: advertises ${location.maxVersion} (released ${location.releasedVersion}): calls would negotiate past 7.1`,
      );
    }
  }
  return problems;
}

/** Every spec file, to resolve the operations' schema refs against. */
export function loadSpecSchemas(dir = SPECS_DIR): SchemaValidator {
  // Swagger 2.0 schemas are draft 04 with extensions (x-ms-*, readOnly); formats are not checked. All
  // errors: an allowed deviation (KNOWN_SPEC_DEVIATIONS) must not hide a real problem after it.
  const ajv = new Ajv({ strict: false, validateFormats: false, validateSchema: false, allErrors: true });
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.json'))) {
    ajv.addSchema(JSON.parse(readFileSync(join(dir, file), 'utf8').replace(/^\uFEFF/, '')), file);
  }
  return ajv;
}

/**
 * Why each recorded exchange's bodies do not fit its operation: the request body against the spec's
 * body parameter, the 2xx answer against the spec's response (empty: all fit). Exchanges whose server
 * kept no bodies are skipped; `bodyChecks` counts those checked.
 */
/**
 * Where the service's answers differ from its own 7.1 specs (the specs are generated from its contracts
 * and lose a few things); the simulator answers as the service does. Each is one operation's response
 * path, and why.
 */
export const KNOWN_SPEC_DEVIATIONS: readonly { operationId: string; path: RegExp; why: string }[] = [
  {
    operationId: 'Pull Request Iteration Changes_Get',
    path: /^\/changeEntries\/\d+\/item$/,
    why: 'the generic Change<GitItem> is erased to `string` in the spec; the service answers the item object',
  },
  {
    operationId: 'Runs_Get',
    path: /^\/templateParameters\/[^/]+$/,
    why: 'the spec types the values as objects; the service answers the strings the run was given',
  },
  {
    operationId: 'Runs_Run Pipeline',
    path: /^\/templateParameters\/[^/]+$/,
    why: 'as Runs_Get',
  },
  {
    operationId: 'Approvals_Get',
    path: /^(\/steps\/\d+)?\/permissions$/,
    why: 'a flags enum: the service writes combinations ("view, update"), the spec lists single values',
  },
];

/** Swagger 2.0 has no `nullable`: the service writes null for an empty member, read here as absent. */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, member]) => member !== null)
      .map(([key, member]) => [key, withoutNulls(member)]),
  );
}

export function bodyProblems(
  operations: readonly SpecOperation[],
  ajv: SchemaValidator,
  entries: readonly RequestLogEntry[],
): { problems: string[]; bodyChecks: number } {
  const problems: string[] = [];
  const validators = new Map<object, ValidateFunction>();
  const validate = (schema: object, value: unknown, operationId?: string): string | undefined => {
    let validator = validators.get(schema);
    if (!validator) {
      validator = ajv.compile(schema);
      validators.set(schema, validator);
    }
    if (validator(value)) return undefined;
    const errors = (validator.errors ?? []).filter(
      (error) =>
        !KNOWN_SPEC_DEVIATIONS.some(
          (deviation) => deviation.operationId === operationId && deviation.path.test(error.instancePath),
        ),
    );
    if (errors.length === 0) return undefined;
    return errors.map((error) => `${error.instancePath || '(body)'} ${error.message ?? ''}`).join('; ');
  };
  let bodyChecks = 0;
  for (const entry of entries) {
    const bodies = bodiesOf(entry);
    if (!bodies || entry.status >= 300) continue;
    const byTemplate = entry.template
      ? operationForTemplate(operations, entry.method, entry.template)
      : undefined;
    const operation = byTemplate?.pattern.test(entry.path)
      ? byTemplate
      : operationForPath(operations, entry.method, entry.path);
    if (!operation) continue;
    const name = `${entry.method} ${entry.path} (${operation.operationId})`;
    if (operation.bodySchema && bodies.request !== undefined) {
      bodyChecks++;
      const problem = validate(operation.bodySchema, bodies.request);
      if (problem) problems.push(`${name} request: ${problem}`);
    }
    if (operation.responseSchema && bodies.response !== undefined) {
      bodyChecks++;
      // A collection is answered in the service's envelope; the spec describes its `value`.
      const envelope = bodies.response as { value?: unknown; count?: unknown };
      const answered =
        (operation.responseSchema as { type?: string }).type === 'array' &&
        envelope &&
        typeof envelope === 'object' &&
        Array.isArray(envelope.value)
          ? envelope.value
          : bodies.response;
      const problem = validate(operation.responseSchema, withoutNulls(answered), operation.operationId);
      if (problem) problems.push(`${name} response: ${problem}`);
    }
  }
  return { problems, bodyChecks };
}
