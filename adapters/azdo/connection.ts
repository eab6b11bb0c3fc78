// One connection to an Azure DevOps organisation, shared by the adapter's areas (git.ts, pipelines.ts,
// approvals.ts, setup.ts). Two ways to call:
// - `library(...)`: a client of azure-devops-node-api (GitApi, PipelinesApi, BuildApi, TaskAgentApi,
//   PolicyApi). The library discovers each area's resource locations (`OPTIONS _apis/{area}`, once per
//   organisation and area in this process), builds the URL, negotiates the api-version and
//   (de)serialises its typed interfaces. Its wire goes through our shared HTTP client (below): the
//   same timeouts, bounded retries, rate-limit waits and secret redaction as every call.
// - `rest(...)`: a typed REST call of the 7.1 specs, for the areas the library has no client for
//   (approvals, check configurations, service-hook subscriptions) and setup's project lookup.
import { AsyncLocalStorage } from 'node:async_hooks';
import type * as z from 'zod/mini';
import type { Clock } from '../../core/clock.ts';
import { type ErrorFields, isReleaseAgentError, ReleaseAgentError } from '../../core/errors.ts';
import { formatIssue, issueField, parseWith } from '../../core/input.ts';
import { redact, type Secret } from '../../core/secret.ts';
import { createHttpClient, type HttpClient, type RequestOptions } from '../http/http-client.ts';
import type { RetryPolicy } from '../http/retry.ts';
import type { Identity } from './azdo.ts';

export type AzureDevOpsAuth =
  /** A personal access token: Basic auth with an empty user name. */
  | { kind: 'pat'; token: Secret }
  /** The pipeline's System.AccessToken (or an Entra token). */
  | { kind: 'bearer'; token: Secret };

export interface ConnectionOptions {
  /** e.g. https://dev.azure.com/acme */
  organizationUrl: string;
  project: string;
  auth: AzureDevOpsAuth;
  clock?: Clock;
  retry?: Partial<RetryPolicy>;
  timeoutMs?: number;
  onRetry?(info: { operation: string; attempt: number; delayMs: number; error: unknown }): void;
}

/** The api-version of every call: the library's requests negotiate down to it (the service advertises 7.1). */
export const API = '7.1';

export interface WireList<T> {
  count?: number;
  value?: T[];
}

export interface WireServiceError {
  message?: string;
  typeKey?: string;
}

export interface WireIdentity {
  id?: string;
  displayName?: string;
  uniqueName?: string;
}

type CallOptions = Omit<RequestOptions, 'query'> & {
  query?: RequestOptions['query'];
  apiVersion?: string;
  /** Identifiers added to any error (repo, prId, …). */
  fields?: ErrorFields;
  /** Extra values to redact from error text (secrets in this request's body). */
  secrets?: (Secret | string)[];
};

export interface LibraryCallOptions {
  fields?: ErrorFields;
  /** Statuses whose body the caller reads (the library throws them with `statusCode` and `result`). */
  acceptStatuses?: number[];
  /** A POST that is safe to send again (a query, a create that answers 409 when repeated). */
  idempotent?: boolean;
}

/** What the library's HTTP layer expects back from `request`. */
interface LibraryResponse {
  message: { statusCode: number; headers: Record<string, string> };
  readBody(): Promise<string>;
}

/** A library client: its REST layer's transport is replaced by ours, its location lookups shared. */
interface LibraryClient {
  rest: { client: { request(verb: string, url: string, data: unknown, headers: unknown): unknown } };
  vsoClient: object;
}

/** The one VsoClient method the location cache wraps (private in the library's typings). */
interface AreaLocationLookup {
  beginGetAreaLocations(area: string): Promise<unknown>;
}

/**
 * An area's resource locations, by organisation and area: the same for every caller, so a connection
 * made per request (the job API's, with the job's token) does not ask them again. Only answers are
 * kept; a failed lookup is asked again next time.
 */
const areaLocations = new Map<string, Promise<unknown>>();

/** The call a library request belongs to: its name, identifiers and what it accepts. */
interface CallContext extends LibraryCallOptions {
  operation: string;
}

export class AzureDevOpsConnection {
  readonly organizationUrl: string;
  readonly project: string;
  readonly #http: HttpClient;
  readonly #secrets: (Secret | string)[];
  readonly #context = new AsyncLocalStorage<CallContext>();

  constructor(options: ConnectionOptions) {
    this.organizationUrl = options.organizationUrl.replace(/\/+$/, '');
    this.project = options.project;
    const token = options.auth.token.reveal();
    const authorization =
      options.auth.kind === 'pat'
        ? `Basic ${Buffer.from(`:${token}`).toString('base64')}`
        : `Bearer ${token}`;
    this.#secrets = [options.auth.token, authorization];
    this.#http = createHttpClient({
      service: 'azure-devops',
      baseUrl: this.organizationUrl,
      headers: { authorization },
      secrets: this.#secrets,
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.retry ? { retry: options.retry } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.onRetry ? { onRetry: options.onRetry } : {}),
    });
  }

  /**
   * A library client for this organisation whose requests go through our HTTP client. No credential
   * handler is given to the library: the token lives only in our client, which redacts it.
   */
  client<T extends LibraryClient>(Client: new (baseUrl: string, handlers: never[], options: object) => T): T {
    const api = new Client(this.organizationUrl, [], {});
    api.rest.client.request = (verb, url, data, headers) =>
      this.#send(verb, String(url), data, headers as Record<string, string | undefined>);
    const vso = api.vsoClient as AreaLocationLookup;
    const lookup = vso.beginGetAreaLocations.bind(vso);
    vso.beginGetAreaLocations = (area) => {
      const key = `${this.organizationUrl.toLowerCase()} ${area.toLowerCase()}`;
      const known = areaLocations.get(key);
      if (known) return known;
      const asked = lookup(area);
      asked.then(
        () => areaLocations.set(key, asked),
        () => undefined,
      );
      return asked;
    };
    return api;
  }

  /** Runs one library call: its errors become our codes, with `fields` added. */
  async library<T>(operation: string, run: () => Promise<T>, options: LibraryCallOptions = {}): Promise<T> {
    const fields = options.fields ?? {};
    try {
      return await this.#context.run({ operation, ...options }, run);
    } catch (error) {
      if (isReleaseAgentError(error)) throw translate(error, fields, this.#secrets);
      const status = (error as { statusCode?: unknown }).statusCode;
      if (typeof status === 'number') {
        // An accepted status the library turned into an Error: the caller reads it with `refusalOf`.
        throw new LibraryRefusal(status, (error as { result?: WireServiceError }).result ?? {});
      }
      throw new ReleaseAgentError(
        'SERVICE_MALFORMED',
        `azure-devops ${operation}: ${redact(error instanceof Error ? error.message : String(error), this.#secrets)}`,
        { ...fields, service: 'azure-devops', operation },
        { cause: error },
      );
    }
  }

  /** The library's transport: one request through the shared HTTP client. */
  async #send(
    verb: string,
    url: string,
    data: unknown,
    headers: Record<string, string | undefined>,
  ): Promise<LibraryResponse> {
    const context = this.#context.getStore() ?? { operation: 'azure-devops' };
    const target = new URL(url);
    const sent: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers ?? {})) {
      if (value !== undefined) sent[name.toLowerCase()] = value;
    }
    // The library names the version in Accept; we send it as the query parameter the specs declare.
    const version = /api-version=([^;,\s]+)/i.exec(sent.accept ?? '')?.[1];
    if (version) target.searchParams.set('api-version', version);
    sent.accept = 'application/json';
    const discovery = verb.toUpperCase() === 'OPTIONS';
    const response = await this.#http.request<unknown>(
      discovery ? `${context.operation} (location discovery)` : context.operation,
      verb,
      target.toString(),
      {
        headers: sent,
        ...(typeof data === 'string' ? { body: data } : {}),
        ...(discovery ? {} : { acceptStatuses: context.acceptStatuses ?? [] }),
        ...(context.idempotent !== undefined && !discovery ? { idempotent: context.idempotent } : {}),
      },
    );
    checkResponse(response.status, response.body, context.operation, context.fields ?? {});
    const text = response.body === undefined ? '' : JSON.stringify(response.body);
    const responseHeaders: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      responseHeaders[name] = value;
    });
    return {
      message: { statusCode: response.status, headers: responseHeaders },
      readBody: async () => text,
    };
  }

  /** A typed REST call (an operation of the 7.1 specs the library has no client for). */
  async rest<T>(
    operation: string,
    method: string,
    path: string,
    options: CallOptions = {},
  ): Promise<{ status: number; body: T }> {
    const { apiVersion = API, query, fields = {}, secrets = [], ...rest } = options;
    let response: { status: number; body: unknown };
    try {
      response = await this.#http.request(operation, method, path, {
        ...rest,
        query: { ...query, 'api-version': apiVersion },
      });
    } catch (error) {
      throw translate(error, fields, [...this.#secrets, ...secrets]);
    }
    checkResponse(response.status, response.body, operation, fields);
    return response as { status: number; body: T };
  }

  projectPath(): string {
    return encodeURIComponent(this.project);
  }
}

/** A status the caller accepted, with the service's error body (typeKey, message). */
export class LibraryRefusal extends Error {
  constructor(
    readonly status: number,
    readonly body: WireServiceError,
  ) {
    super(`azure-devops answered ${status}: ${body.message ?? ''}`);
  }
}

/** 203 sign-in pages and bodies that are not JSON are not answers. */
function checkResponse(status: number, body: unknown, operation: string, fields: ErrorFields): void {
  if (status === 203) {
    // Azure DevOps' answer to a bad or expired PAT on some routes: a sign-in page, not a 401.
    throw new ReleaseAgentError(
      'AUTH_INVALID',
      `azure-devops ${operation} answered 203 with a sign-in page: the token is invalid or expired`,
      { ...fields, service: 'azure-devops', operation, status: 203 },
    );
  }
  if (typeof body === 'string') {
    throw new ReleaseAgentError(
      'SERVICE_MALFORMED',
      `azure-devops ${operation} answered ${status} with a body that is not JSON`,
      { ...fields, service: 'azure-devops', operation, status },
    );
  }
}

/** HTTP failures become the codes callers branch on; identifiers are added, secrets removed. */
export function translate(error: unknown, fields: ErrorFields, secrets: (Secret | string)[]): unknown {
  if (!isReleaseAgentError(error)) return error;
  const status = typeof error.fields.status === 'number' ? error.fields.status : undefined;
  const message = redact(error.message, secrets);
  const merged = { ...error.fields, ...fields };
  if (error.code === 'SERVICE_HTTP' && status !== undefined)
    return refusalError(status, message, merged, error);
  return new ReleaseAgentError(error.code, message, merged, { cause: error });
}

export function refusalError(
  status: number,
  message: string,
  fields: ErrorFields,
  cause?: unknown,
): ReleaseAgentError {
  const code =
    status === 401
      ? 'AUTH_INVALID'
      : status === 403
        ? 'FORBIDDEN'
        : status === 404
          ? 'NOT_FOUND'
          : status === 409
            ? 'CONFLICT'
            : 'SERVICE_HTTP';
  return new ReleaseAgentError(
    code,
    message,
    { ...fields, status },
    cause === undefined ? undefined : { cause },
  );
}

export function expectObject<T>(body: T | null | undefined, operation: string): T {
  if (body === null || body === undefined || typeof body !== 'object') {
    throw new ReleaseAgentError(
      'SERVICE_MALFORMED',
      `azure-devops ${operation} answered without a JSON object`,
      { service: 'azure-devops', operation },
    );
  }
  return body;
}

/**
 * An answer whose fields we then trust for a decision (an approval's status, a build's definition and
 * branch), read by `schema`: SERVICE_MALFORMED naming the first wrong field. Fields we never read
 * are left out of the schemas, so their drift does not fail a release.
 */
export function wireAnswer<S extends z.core.$ZodType>(
  schema: S,
  body: unknown,
  operation: string,
  fields: ErrorFields = {},
): z.output<S> {
  const parsed = parseWith(schema, body);
  if (parsed.ok) return parsed.value;
  const issue = parsed.issues[0];
  throw new ReleaseAgentError(
    'SERVICE_MALFORMED',
    `azure-devops ${operation} answered with ${issue ? formatIssue(issue) : 'an invalid body'}`,
    { ...fields, service: 'azure-devops', operation, ...(issue ? { field: issueField(issue) } : {}) },
  );
}

/** Azure DevOps wraps every collection as `{ count, value: [...] }`. */
export function listValue<T>(body: WireList<T> | undefined, operation: string): T[] {
  const value = expectObject(body, operation).value;
  if (!Array.isArray(value)) {
    throw new ReleaseAgentError(
      'SERVICE_MALFORMED',
      `azure-devops ${operation} answered without a value list`,
      { service: 'azure-devops', operation },
    );
  }
  return value;
}

/** The library answers a list as an array (the `value` of the envelope). */
export function expectArray<T>(body: T[] | null | undefined, operation: string): T[] {
  if (!Array.isArray(body)) {
    throw new ReleaseAgentError(
      'SERVICE_MALFORMED',
      `azure-devops ${operation} answered without a value list`,
      { service: 'azure-devops', operation },
    );
  }
  return body;
}

export function identity(wire: WireIdentity | undefined): Identity {
  return {
    id: wire?.id ?? '',
    displayName: wire?.displayName ?? '',
    ...(wire?.uniqueName ? { uniqueName: wire.uniqueName } : {}),
  };
}

/** The library deserialises dates into Date objects; the port keeps the service's ISO text. */
export function isoDate(value: Date | string | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
  return String(value);
}

/**
 * The library's typings say its enums are numbers (what it deserialises to); the service also takes
 * their names, which is what the 7.1 specs declare for a request body. We send names.
 */
export function enumName<E>(name: string): E {
  return name as unknown as E;
}

/** The name of a numeric enum value the library deserialised, first letter lowered ('Active' → 'active'). */
export function nameOf(enumeration: Record<number, string>, value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value !== 'number') return undefined;
  const name = enumeration[value];
  return name ? name.charAt(0).toLowerCase() + name.slice(1) : undefined;
}
