// A small JSON-over-HTTP client on fetch: a timeout on every call, bounded retries with backoff and
// jitter on 429/502/503/504 and network errors, Retry-After and X-RateLimit-* honoured (also on a
// success, for the next call), and coded errors that carry service, operation and status with the
// secrets redacted.
import type { Clock } from '../../core/clock.ts';
import { ReleaseAgentError } from '../../core/errors.ts';
import { redact, type Secret } from '../../core/secret.ts';
import { systemClock } from '../system-clock.ts';
import { DEFAULT_RETRY_POLICY, type RetryPolicy, rateLimitWaitMs, withRetries } from './retry.ts';

export const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);

export interface HttpClientOptions {
  /** Service name for errors and logs, e.g. "azure-devops". */
  service: string;
  baseUrl: string;
  /** Headers sent with every request (auth). */
  headers?: Record<string, string>;
  /** Values that must never appear in an error message. */
  secrets?: (Secret | string)[];
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  clock?: Clock;
  onRetry?(info: { operation: string; attempt: number; delayMs: number; error: unknown }): void;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  /** A JSON body (serialised) or a raw string. */
  body?: unknown;
  headers?: Record<string, string>;
  /**
   * Safe to send again after an uncertain failure (timeout, reset). Defaults to true for everything but
   * POST; a POST is still retried on 429/503 and on a refused connection, where nothing was processed.
   */
  idempotent?: boolean;
  /** Statuses that are answers, not errors (e.g. 404 for "not there"). */
  acceptStatuses?: number[];
  timeoutMs?: number;
}

export interface HttpResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export interface HttpClient {
  request<T = unknown>(
    operation: string,
    method: string,
    path: string,
    options?: RequestOptions,
  ): Promise<HttpResponse<T>>;
}

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || code.startsWith('UND_ERR'))) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const clock = options.clock ?? systemClock;
  const secrets = options.secrets ?? [];
  let notBefore = 0;
  const clean = (text: string) => redact(text, secrets);

  const request = async <T>(
    operation: string,
    method: string,
    path: string,
    requestOptions: RequestOptions = {},
  ): Promise<HttpResponse<T>> => {
    const url = new URL(
      path.replace(/^\//, ''),
      options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`,
    );
    for (const [key, value] of Object.entries(requestOptions.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const idempotent = requestOptions.idempotent ?? method.toUpperCase() !== 'POST';
    const timeoutMs = requestOptions.timeoutMs ?? options.timeoutMs ?? 30_000;
    const body =
      requestOptions.body === undefined
        ? undefined
        : typeof requestOptions.body === 'string'
          ? requestOptions.body
          : JSON.stringify(requestOptions.body);
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...(body !== undefined && typeof requestOptions.body !== 'string'
        ? { 'content-type': 'application/json' }
        : {}),
      ...options.headers,
      ...requestOptions.headers,
    };
    const fields = { service: options.service, operation, method: method.toUpperCase() };

    const attempt = async (): Promise<HttpResponse<T>> => {
      const wait = notBefore - clock.now().getTime();
      // A wait no retry budget covers (a long Retry-After seen by an earlier call) fails fast as the
      // 429 it stands for, instead of sleeping past every bound.
      if (wait > (options.retry?.maxTotalMs ?? DEFAULT_RETRY_POLICY.maxTotalMs)) {
        throw new ReleaseAgentError(
          'SERVICE_HTTP',
          `${options.service} ${operation} is rate limited for another ${wait} ms`,
          {
            ...fields,
            status: 429,
            retryAfterMs: wait,
          },
        );
      }
      if (wait > 0) await clock.sleep(wait);
      let response: Response;
      try {
        response = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(timeoutMs) });
      } catch (error) {
        const name = (error as { name?: string }).name;
        if (name === 'TimeoutError' || name === 'AbortError') {
          throw new ReleaseAgentError(
            'SERVICE_TIMEOUT',
            `${options.service} ${operation} timed out after ${timeoutMs} ms`,
            {
              ...fields,
              timeoutMs,
            },
          );
        }
        const code = networkCode(error) ?? 'UNKNOWN';
        throw new ReleaseAgentError(
          'SERVICE_NETWORK',
          `${options.service} ${operation} failed on the network (${code}): ${clean((error as Error).message ?? String(error))}`,
          { ...fields, networkCode: code },
        );
      }
      const serverWait = rateLimitWaitMs(response.headers, clock.now().getTime());
      if (serverWait !== undefined) notBefore = Math.max(notBefore, clock.now().getTime() + serverWait);
      let text: string;
      try {
        text = await response.text();
      } catch (error) {
        throw new ReleaseAgentError(
          'SERVICE_NETWORK',
          `${options.service} ${operation}: the response body was cut off (${networkCode(error) ?? 'read error'})`,
          { ...fields, status: response.status, networkCode: networkCode(error) ?? 'READ' },
        );
      }
      const accepted = response.ok || (requestOptions.acceptStatuses ?? []).includes(response.status);
      if (!accepted) {
        throw new ReleaseAgentError(
          'SERVICE_HTTP',
          `${options.service} ${operation} answered ${response.status}: ${clean(errorSummary(text))}`,
          { ...fields, status: response.status, retryAfterMs: serverWait },
        );
      }
      const contentType = response.headers.get('content-type') ?? '';
      let parsed: unknown = text;
      if (text.length > 0 && (contentType.includes('json') || /^\s*[[{]/.test(text))) {
        try {
          parsed = JSON.parse(text);
        } catch {
          throw new ReleaseAgentError(
            'SERVICE_MALFORMED',
            `${options.service} ${operation} answered ${response.status} with a body that is not valid JSON`,
            { ...fields, status: response.status },
          );
        }
      } else if (text.length === 0) {
        parsed = undefined;
      }
      return { status: response.status, headers: response.headers, body: parsed as T };
    };

    return await withRetries(attempt, {
      service: options.service,
      operation,
      ...(options.retry ? { policy: options.retry } : {}),
      clock,
      classify: (error) => classifyHttpError(error, idempotent),
      onRetry: (info) => options.onRetry?.({ operation, ...info }),
    });
  };

  return { request };
}

/** Retry 429/502/503/504 and network faults; a non-idempotent call only where nothing was processed. */
export function classifyHttpError(
  error: unknown,
  idempotent: boolean,
): { retry: boolean; retryAfterMs?: number } {
  if (!(error instanceof ReleaseAgentError)) return { retry: false };
  const retryAfterMs = typeof error.fields.retryAfterMs === 'number' ? error.fields.retryAfterMs : undefined;
  switch (error.code) {
    case 'SERVICE_HTTP': {
      const status = Number(error.fields.status);
      if (!RETRYABLE_STATUSES.has(status)) return { retry: false };
      if (!idempotent && status !== 429 && status !== 503) return { retry: false };
      return retryAfterMs === undefined ? { retry: true } : { retry: true, retryAfterMs };
    }
    case 'SERVICE_NETWORK':
      return { retry: idempotent || error.fields.networkCode === 'ECONNREFUSED' };
    case 'SERVICE_TIMEOUT':
    case 'SERVICE_MALFORMED':
      return { retry: idempotent };
    default:
      return { retry: false };
  }
}

/** The useful part of an error body (Azure DevOps' `message`, Jira's `errorMessages`), kept short. */
function errorSummary(text: string): string {
  try {
    const body = JSON.parse(text) as {
      message?: unknown;
      errorMessages?: unknown;
      error?: unknown;
      errors?: unknown;
    };
    const parts = [body.message, body.error, ...(Array.isArray(body.errorMessages) ? body.errorMessages : [])]
      .concat(body.errors && typeof body.errors === 'object' ? Object.values(body.errors as object) : [])
      .filter((part): part is string => typeof part === 'string' && part.length > 0);
    if (parts.length > 0) return parts.join('; ').slice(0, 500);
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.replace(/\s+/g, ' ').trim().slice(0, 300) || '(empty body)';
}
