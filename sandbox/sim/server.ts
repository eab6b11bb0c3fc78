// The base of every simulator: a node:http server on loopback with routes declared by their spec path
// template (e.g. `/{organization}/{project}/_apis/git/pullrequests`), a request log, and per-route fault
// injection (429 with Retry-After, 5xx, delays, connection resets, malformed bodies), driven from code
// or over HTTP at `/_sim/faults`.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { registerLogSource } from '../captured-logs.ts';
import type { LatencySampler } from './latency.ts';

export interface SimRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  rawBody: Buffer;
  /** Template parameters, e.g. { organization: 'acme' }. */
  params: Record<string, string>;
  /** Parses the body as JSON; throws SimHttpError 400 when it is not. */
  json<T = unknown>(): T;
  /** Parses an application/x-www-form-urlencoded body. */
  form(): URLSearchParams;
}

export interface SimResponse {
  status: number;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string or Buffer as is. */
  body?: unknown;
}

export type SimHandler = (request: SimRequest) => SimResponse | Promise<SimResponse>;

export interface SimRoute {
  method: string;
  /** Path template with `{name}` parameters, matched case-insensitively like the real services. */
  template: string;
  /** Operation name (e.g. the spec's operationId), used in logs and to aim faults. */
  operation: string;
  handler: SimHandler;
}

export type FaultKind = 'status' | 'delay' | 'reset' | 'malformed';

export interface Fault {
  /** Operation name or path template this fault applies to; omitted = every route. */
  route?: string;
  kind: FaultKind;
  /** For kind 'status': the status to answer (429, 500, 502, 503, 504 …). */
  status?: number;
  /** For 429/503: the Retry-After header, in seconds. */
  retryAfterSeconds?: number;
  /** For kind 'delay': how long to wait before handling the request normally. */
  delayMs?: number;
  /** How many matching requests it affects (default 1). */
  times?: number;
  /** Let this many matching requests through first (default 0). */
  after?: number;
}

export interface RequestLogEntry {
  at: string;
  method: string;
  path: string;
  query: string;
  status: number;
  operation: string | undefined;
  template: string | undefined;
  /** Who called, as the service's rate limits count (set by simulators that know their callers). */
  identity?: string;
  /** The latency profile's delay applied before answering, in ms. */
  latencyMs?: number;
  fault?: FaultKind;
}

/** A control route under `/_sim/` (scenario controls of one simulator): not logged, never faulted. */
export type SimAdminHandler = (request: {
  method: string;
  url: URL;
  rawBody: Buffer;
}) => SimResponse | Promise<SimResponse>;

export class SimHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body?: unknown,
  ) {
    super(message);
  }
}

interface CompiledRoute extends SimRoute {
  pattern: RegExp;
  names: string[];
}

interface SendContext {
  method: string;
  url: URL;
  route: CompiledRoute | undefined;
  identity?: string | undefined;
  latencyMs?: number;
  rawBody?: Buffer;
}

/** The bodies of a logged exchange, kept beside the log (not in it) when a server records them. */
export interface ExchangeBodies {
  /** Parsed JSON, or undefined when the request had no JSON body. */
  request: unknown;
  response: unknown;
}

const exchangeBodies = new WeakMap<RequestLogEntry, ExchangeBodies>();

/** What was sent and answered in a logged exchange, when its server records bodies (`recordBodies`). */
export function bodiesOf(entry: RequestLogEntry): ExchangeBodies | undefined {
  return exchangeBodies.get(entry);
}

type ActiveFault = Fault & { times: number; after: number; seen: number };

const MAX_BODY_BYTES = 10 * 1024 * 1024;

export class SimServer {
  readonly requestLog: RequestLogEntry[] = [];
  /** Keep each routed exchange's bodies for the contract checks (`bodiesOf`). */
  recordBodies = false;
  /** Operations held by a delay fault right now (a test waits on this instead of sleeping). */
  readonly delayed = new Map<string, number>();
  readonly #routes: CompiledRoute[] = [];
  readonly #adminRoutes = new Map<string, SimAdminHandler>();
  readonly #pages: CompiledRoute[] = [];
  #faults: ActiveFault[] = [];
  #server: Server | undefined;
  #url = '';
  /** Shapes an error body the way the simulated service does. */
  errorBody: (status: number, message: string) => unknown = (_status, message) => ({ message });
  /** The latency profile's delay for each routed request (undefined: answer at once). */
  latency: LatencySampler | undefined;
  /** Names the caller of a request for the log (e.g. the identity a PAT authenticates as). */
  identify: ((headers: IncomingMessage['headers']) => string | undefined) | undefined;

  constructor(readonly name: string) {
    // Query strings end up in real services' access logs: the test run scans them for secrets.
    registerLogSource(`${name} simulator requests`, () =>
      this.requestLog.map((entry) => `${entry.method} ${entry.path}${entry.query} ${entry.status}`),
    );
  }

  get url(): string {
    if (!this.#url) throw new Error(`${this.name} simulator is not started`);
    return this.#url;
  }

  get routes(): readonly SimRoute[] {
    return this.#routes;
  }

  route(method: string, template: string, operation: string, handler: SimHandler): this {
    this.#routes.push(compileRoute(method, template, operation, handler));
    return this;
  }

  /**
   * A page for people (HTML at the service's web URL, e.g. a PR page): matched like a route, but kept
   * out of `routes` and the request log, which are the REST contract's record, and never faulted.
   */
  page(method: string, template: string, handler: SimHandler): this {
    this.#pages.push(compileRoute(method, template, `page ${template}`, handler));
    return this;
  }

  /** Adds a control route at an exact `/_sim/...` path. */
  adminRoute(method: string, path: string, handler: SimAdminHandler): this {
    this.#adminRoutes.set(`${method.toUpperCase()} ${path}`, handler);
    return this;
  }

  addFault(fault: Fault): void {
    this.#faults.push({ times: 1, after: 0, ...fault, seen: 0 });
  }

  clearFaults(): void {
    this.#faults = [];
  }

  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify(this.errorBody(500, `simulator error: ${(error as Error).message}`)));
        }
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.#server!.once('error', reject);
      this.#server!.listen(port, host, () => resolve());
    });
    const address = this.#server.address() as AddressInfo;
    this.#url = `http://${host}:${address.port}`;
    return this.#url;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  #takeFault(route: CompiledRoute | undefined): ActiveFault | undefined {
    for (const fault of this.#faults) {
      if (fault.route && fault.route !== route?.operation && fault.route !== route?.template) continue;
      fault.seen++;
      if (fault.seen <= fault.after) continue;
      if (fault.seen > fault.after + fault.times) continue;
      return fault;
    }
    return undefined;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim');
    const method = (req.method ?? 'GET').toUpperCase();
    const rawBody = await readBody(req);
    if (rawBody === undefined) {
      return this.#send(
        res,
        { method, url, route: undefined },
        { status: 413, body: this.errorBody(413, 'request body too large') },
      );
    }
    if (url.pathname.startsWith('/_sim/')) return await this.#admin(res, url, method, rawBody);
    const page = this.#pages.find(
      (candidate) => candidate.method === method && candidate.pattern.test(url.pathname),
    );
    if (page) return await this.#page(res, page, req, url, method, rawBody);

    let params: Record<string, string> = {};
    const route = this.#routes.find((candidate) => {
      if (candidate.method !== method) return false;
      const match = candidate.pattern.exec(url.pathname);
      if (!match) return false;
      params = Object.fromEntries(
        candidate.names.map((name, index) => [name, safeDecode(match[index + 1] ?? '')]),
      );
      return true;
    });
    const context: SendContext = { method, url, route, identity: this.identify?.(req.headers), rawBody };
    // The real service's response time, once the operation is known (after routing).
    if (route && this.latency) {
      const delay = Math.round(this.latency({ method, operation: route.operation }));
      context.latencyMs = delay;
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    }
    const fault = this.#takeFault(route);
    if (fault) {
      if (fault.kind === 'reset') {
        this.#log(context, 0, 'reset');
        req.socket.destroy();
        return;
      }
      if (fault.kind === 'delay') {
        const operation = route?.operation ?? url.pathname;
        this.delayed.set(operation, (this.delayed.get(operation) ?? 0) + 1);
        try {
          await new Promise((resolve) => setTimeout(resolve, fault.delayMs ?? 1000));
        } finally {
          this.delayed.set(operation, (this.delayed.get(operation) ?? 1) - 1);
        }
      }
      if (fault.kind === 'status') {
        const status = fault.status ?? 503;
        const headers: Record<string, string> = {};
        if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
        return this.#send(
          res,
          context,
          { status, headers, body: this.errorBody(status, `simulated fault ${status}`) },
          'status',
        );
      }
      if (fault.kind === 'malformed') {
        return this.#send(
          res,
          context,
          { status: 200, headers: { 'content-type': 'application/json' }, body: '{"value": [ {"trunc' },
          'malformed',
        );
      }
    }
    if (!route) {
      const knownPath = this.#routes.some((candidate) => candidate.pattern.test(url.pathname));
      const status = knownPath ? 405 : 404;
      return this.#send(res, context, {
        status,
        body: this.errorBody(status, `${this.name} simulator: no route for ${method} ${url.pathname}`),
      });
    }
    let response: SimResponse;
    try {
      response = await route.handler(simRequest(req, url, method, rawBody, params));
    } catch (error) {
      if (!(error instanceof SimHttpError)) throw error;
      response = { status: error.status, body: error.body ?? this.errorBody(error.status, error.message) };
    }
    return this.#send(res, context, response, fault?.kind);
  }

  async #page(
    res: ServerResponse,
    page: CompiledRoute,
    req: IncomingMessage,
    url: URL,
    method: string,
    rawBody: Buffer,
  ): Promise<void> {
    const match = page.pattern.exec(url.pathname)!;
    const params = Object.fromEntries(
      page.names.map((name, index) => [name, safeDecode(match[index + 1] ?? '')]),
    );
    let response: SimResponse;
    try {
      response = await page.handler(simRequest(req, url, method, rawBody, params));
    } catch (error) {
      if (!(error instanceof SimHttpError)) throw error;
      response = {
        status: error.status,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body: error.message,
      };
    }
    this.#send(res, { method, url, route: undefined }, response, undefined, false);
  }

  async #admin(res: ServerResponse, url: URL, method: string, rawBody: Buffer): Promise<void> {
    const custom = this.#adminRoutes.get(`${method} ${url.pathname}`);
    let response: SimResponse;
    if (!custom) response = this.#adminResponse(url, method, rawBody);
    else {
      try {
        response = await custom({ method, url, rawBody });
      } catch (error) {
        if (!(error instanceof SimHttpError)) throw error;
        response = { status: error.status, body: error.body ?? this.errorBody(error.status, error.message) };
      }
    }
    this.#send(res, { method, url, route: undefined }, response, undefined, false);
  }

  #adminResponse(url: URL, method: string, rawBody: Buffer): SimResponse {
    if (url.pathname === '/_sim/requests' && method === 'GET') return { status: 200, body: this.requestLog };
    if (url.pathname === '/_sim/faults' && method === 'DELETE') {
      this.clearFaults();
      return { status: 204 };
    }
    if (url.pathname === '/_sim/faults' && method === 'POST') {
      try {
        const fault = JSON.parse(rawBody.toString('utf8')) as Fault;
        if (!['status', 'delay', 'reset', 'malformed'].includes(fault.kind)) throw new Error('kind');
        this.addFault(fault);
        return { status: 201, body: fault };
      } catch {
        return {
          status: 400,
          body: {
            message:
              'a fault is {kind: status|delay|reset|malformed, route?, status?, retryAfterSeconds?, delayMs?, times?, after?}',
          },
        };
      }
    }
    return { status: 404, body: { message: `no admin route ${method} ${url.pathname}` } };
  }

  #log(context: SendContext, status: number, fault?: FaultKind): void {
    this.requestLog.push({
      at: new Date().toISOString(),
      method: context.method,
      path: context.url.pathname,
      query: context.url.search,
      status,
      operation: context.route?.operation,
      template: context.route?.template,
      ...(context.identity ? { identity: context.identity } : {}),
      ...(context.latencyMs !== undefined ? { latencyMs: context.latencyMs } : {}),
      ...(fault ? { fault } : {}),
    });
  }

  #send(
    res: ServerResponse,
    context: SendContext,
    response: SimResponse,
    fault?: FaultKind,
    log = true,
  ): void {
    if (log) {
      this.#log(context, response.status, fault);
      const entry = this.requestLog.at(-1);
      // A snapshot: the simulator's state objects change after the answer.
      if (this.recordBodies && entry && context.route && response.status < 300) {
        const answered =
          response.body === undefined || typeof response.body === 'string' || Buffer.isBuffer(response.body)
            ? undefined
            : JSON.parse(JSON.stringify(response.body));
        exchangeBodies.set(entry, { request: parseJson(context.rawBody), response: answered });
      }
    }
    const headers = { ...response.headers };
    let payload: string | Buffer | undefined;
    if (response.body === undefined) payload = undefined;
    else if (typeof response.body === 'string' || Buffer.isBuffer(response.body)) payload = response.body;
    else {
      payload = JSON.stringify(response.body);
      headers['content-type'] ??= 'application/json; charset=utf-8';
    }
    res.writeHead(response.status, headers);
    res.end(payload);
  }
}

function compileRoute(
  method: string,
  template: string,
  operation: string,
  handler: SimHandler,
): CompiledRoute {
  const names: string[] = [];
  const source = template
    .split('/')
    .map((segment) =>
      segment.replace(/\{([^}]+)\}|[^{]+/g, (part, name: string | undefined) => {
        if (name) {
          names.push(name);
          return '([^/]+)';
        }
        return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      }),
    )
    .join('/');
  return {
    method: method.toUpperCase(),
    template,
    operation,
    handler,
    names,
    pattern: new RegExp(`^${source}/?$`, 'i'),
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Reads `Authorization: Basic …` into user and password, or undefined. */
export function basicCredentials(
  headers: IncomingMessage['headers'],
): { user: string; password: string } | undefined {
  const header = headers.authorization;
  if (!header?.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Reads `Authorization: Bearer …`. */
export function bearerToken(headers: IncomingMessage['headers']): string | undefined {
  const header = headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7) : undefined;
}

/** A path segment decoded; a malformed escape stays as sent (the route then answers 404, not 500). */
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** What a route's or a page's handler gets of a request. */
function simRequest(
  req: IncomingMessage,
  url: URL,
  method: string,
  rawBody: Buffer,
  params: Record<string, string>,
): SimRequest {
  return {
    method,
    path: url.pathname,
    query: url.searchParams,
    headers: req.headers,
    rawBody,
    params,
    json<T>() {
      try {
        return JSON.parse(rawBody.toString('utf8')) as T;
      } catch {
        throw new SimHttpError(400, 'the request body is not valid JSON');
      }
    },
    form() {
      return new URLSearchParams(rawBody.toString('utf8'));
    },
  };
}

function parseJson(raw: Buffer | undefined): unknown {
  if (!raw || raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
}
