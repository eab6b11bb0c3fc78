// What every HTTP trigger shares: coded errors → statuses (never a 5xx for a client's mistake, never
// 410), JSON error bodies without stacks or secrets, body size and content-type limits, the callers'
// authentication (operator token or the hub's app token), CORS for the hub, and the work queue output.
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { Config } from '../core/config.ts';
import * as z from 'zod/mini';
import { classifyError, isReleaseAgentError, ReleaseAgentError } from '../core/errors.ts';
import { parseOrFail } from '../core/input.ts';
import type { Logger, LogFields } from '../flows/agent-deps.ts';
import type { WorkMessage } from '../flows/work-messages.ts';

/** Larger bodies are refused with 413 (Slack payloads and service-hook events are a few KiB). */
export const MAX_BODY_BYTES = 256 * 1024;

/** The HTTP status of a failure: the one classification in core/errors.ts. */
export function statusOf(error: unknown): number {
  return classifyError(error).status;
}

export function jsonResponse(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): HttpResponseInit {
  return { status, jsonBody: body, headers: { 'cache-control': 'no-store', ...headers } };
}

export function errorBody(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}

/**
 * The answer to a failure. Client errors say what was wrong (coded messages carry no secrets); server
 * errors say only that something failed, and are logged. `serverStatus` replaces 5xx (503 for Azure
 * DevOps, which retries 503 but puts a subscription on probation after a 500).
 */
export function errorResponse(
  error: unknown,
  log: Logger,
  options: { serverStatus?: number } = {},
): HttpResponseInit {
  const { kind, status } = classifyError(error);
  if (kind === 'client') {
    const coded = error as ReleaseAgentError;
    return jsonResponse(status, errorBody(coded.code, coded.message));
  }
  const code = isReleaseAgentError(error) ? error.code : 'INTERNAL';
  log.error('request failed', { code, status });
  const message =
    kind === 'config'
      ? (error as ReleaseAgentError).message
      : kind === 'outside'
        ? 'an outside service failed; try again'
        : 'internal error';
  return jsonResponse(options.serverStatus ?? status, errorBody(code, message));
}

/** The media type of the request, lower case, without parameters. */
export function mediaType(request: HttpRequest): string {
  return (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

export function requireMediaType(request: HttpRequest, expected: string): void {
  const actual = mediaType(request);
  if (actual !== expected) {
    throw new ReleaseAgentError(
      'UNSUPPORTED_MEDIA_TYPE',
      `expected ${expected}, got ${actual || 'no content type'}`,
      {
        contentType: actual,
      },
    );
  }
}

/**
 * The body's raw bytes, refused above `maxBytes`: by its declared length before reading anything, then
 * while reading the stream, which is cancelled as soon as more than `maxBytes` arrived (a chunked body
 * declares no length, and a large one must not be read whole just to be refused).
 */
export async function readBody(request: HttpRequest, maxBytes = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = request.headers.get('content-length')?.trim();
  if (declared && /^\d+$/.test(declared) && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  const stream = request.body;
  if (!stream) return Buffer.alloc(0);
  const reader = stream.getReader();
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const chunk = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value as Uint8Array);
      size += chunk.length;
      if (size > maxBytes) {
        await reader.cancel('body too large').catch(() => undefined);
        throw tooLarge(maxBytes);
      }
      chunks.push(chunk);
    }
  } finally {
    reader.releaseLock();
  }
  return Buffer.concat(chunks, size);
}

/** A JSON object body (an empty body reads as {}). */
export async function readJsonObject(request: HttpRequest): Promise<Record<string, unknown>> {
  return readJsonBody(request, z.record(z.string(), z.unknown()));
}

/** The JSON body read by `schema` (an empty body reads as {}): INPUT_INVALID naming the first bad field. */
export async function readJsonBody<S extends z.core.$ZodType>(
  request: HttpRequest,
  schema: S,
): Promise<z.output<S>> {
  const body = await readBody(request);
  if (body.length === 0) return parseInput(schema, {});
  requireMediaType(request, 'application/json');
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ReleaseAgentError('INPUT_INVALID', 'the body is not valid JSON', { field: 'body' });
  }
  return parseInput(schema, value);
}

/** A request's body or parameters read by `schema`; the field named is the body's key or the parameter. */
export function parseInput<S extends z.core.$ZodType>(schema: S, value: unknown): z.output<S> {
  return parseOrFail(schema, value, invalidInput, { root: 'body' });
}

/** The 400 for a client's bad input: INPUT_INVALID naming the field. */
export function invalidInput(field: string, problem: string): never {
  throw new ReleaseAgentError('INPUT_INVALID', `${field}: ${problem}`, { field });
}

function tooLarge(maxBytes: number): ReleaseAgentError {
  return new ReleaseAgentError('BODY_TOO_LARGE', `the body is larger than ${maxBytes} bytes`, { maxBytes });
}

/** The hub's origin: https://<publisher>.gallerycdn.vsassets.io. */
export function hubOrigin(config: Pick<Config, 'EXTENSION_PUBLISHER'>): string {
  return `https://${config.EXTENSION_PUBLISHER.toLowerCase()}.gallerycdn.vsassets.io`;
}

/** CORS headers for the hub's origin (none for any other origin: the browser then refuses). */
export function corsHeaders(
  request: HttpRequest,
  config: Pick<Config, 'EXTENSION_PUBLISHER'> | undefined,
): Record<string, string> {
  const origin = request.headers.get('origin');
  if (!origin || !config || origin !== hubOrigin(config)) return {};
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-methods': 'GET, POST, OPTIONS',
    'access-control-allow-headers': 'authorization, content-type, x-operator-token',
    'access-control-max-age': '600',
    vary: 'Origin',
  };
}

/** A logger writing to the invocation's log: `message {json fields}`. */
export function invocationLogger(context: InvocationContext): Logger {
  const line = (message: string, fields?: LogFields) =>
    fields && Object.keys(fields).length > 0 ? `${message} ${JSON.stringify(fields)}` : message;
  return {
    info: (message, fields) => context.log(line(message, fields)),
    warn: (message, fields) => context.warn(line(message, fields)),
    error: (message, fields) => context.error(line(message, fields)),
  };
}

/** Adds messages to the function's Storage queue output binding (written by the host after it returns). */
export function enqueue(context: InvocationContext, messages: readonly WorkMessage[]): void {
  if (messages.length === 0) return;
  const binding = context.options.extraOutputs.find((candidate) => candidate.type === 'queue');
  if (!binding) throw new Error(`function ${context.functionName} has no queue output binding`);
  const current = context.extraOutputs.get(binding);
  const list = Array.isArray(current) ? current : current === undefined ? [] : [current];
  context.extraOutputs.set(binding, [...list, ...messages]);
}

export interface RouteOptions {
  /** Answer CORS (and preflight) for the hub's origin. */
  cors?: boolean;
  /** Replaces any 5xx (see errorResponse). */
  serverStatus?: number;
  /** Reads the configuration for CORS; injected so this module needs no services. */
  config?: () => Pick<Config, 'EXTENSION_PUBLISHER'> | undefined;
}

export type RouteHandler = (
  request: HttpRequest,
  context: InvocationContext,
  log: Logger,
) => Promise<HttpResponseInit>;

/** Wraps a route: every failure becomes a coded JSON answer, CORS headers are added for the hub. */
export function httpRoute(handler: RouteHandler, options: RouteOptions = {}) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const log = invocationLogger(context);
    let config: Pick<Config, 'EXTENSION_PUBLISHER'> | undefined;
    try {
      config = options.config?.();
    } catch {
      config = undefined;
    }
    const cors = options.cors ? corsHeaders(request, config) : {};
    if (options.cors && request.method === 'OPTIONS') return { status: 204, headers: cors };
    let response: HttpResponseInit;
    try {
      response = await handler(request, context, log);
    } catch (error) {
      response = errorResponse(
        error,
        log,
        options.serverStatus === undefined ? {} : { serverStatus: options.serverStatus },
      );
    }
    return { ...response, headers: { ...(response.headers as Record<string, string> | undefined), ...cors } };
  };
}
