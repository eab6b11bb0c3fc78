// Retry with exponential backoff and full jitter, bounded in attempts and in total time, honouring a
// server's Retry-After. Shared by the REST calls we make ourselves and the client libraries we wrap.
import type { Clock } from '../../core/clock.ts';
import { ReleaseAgentError } from '../../core/errors.ts';
import { systemClock } from '../system-clock.ts';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** No retry is started once this much time has passed since the first attempt. */
  maxTotalMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  maxTotalMs: 60_000,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
};

/** What to do after a failed attempt. */
export interface RetryVerdict {
  retry: boolean;
  /** The server asked us to wait this long (Retry-After, rate-limit reset). */
  retryAfterMs?: number;
}

export interface RetryOptions {
  service: string;
  operation: string;
  policy?: Partial<RetryPolicy>;
  /** Reads the time and waits between attempts; the system clock when absent. */
  clock?: Clock;
  /** The jitter source of the backoff, in [0, 1); Math.random when absent (tests pass a fixed one). */
  random?: () => number;
  /** Classifies a thrown error: retry or give up. */
  classify(error: unknown): RetryVerdict;
  /** Called before each retry (progress, logs). */
  onRetry?(info: { attempt: number; delayMs: number; error: unknown }): void;
}

/** Delay before retry number `attempt` (1-based): full jitter, never shorter than what the server asked. */
export function backoffDelay(
  attempt: number,
  policy: RetryPolicy,
  random: number,
  retryAfterMs?: number,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  const jittered = Math.round(random * ceiling);
  return Math.max(jittered, retryAfterMs ?? 0);
}

export async function withRetries<T>(
  run: (attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const policy = { ...DEFAULT_RETRY_POLICY, ...options.policy };
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const started = clock.now().getTime();
  for (let attempt = 1; ; attempt++) {
    try {
      return await run(attempt);
    } catch (error) {
      const verdict = options.classify(error);
      if (!verdict.retry) throw error;
      const delayMs = backoffDelay(attempt, policy, random(), verdict.retryAfterMs);
      const elapsed = clock.now().getTime() - started;
      if (attempt >= policy.maxAttempts || elapsed + delayMs > policy.maxTotalMs) {
        const last = error instanceof ReleaseAgentError ? error : undefined;
        throw new ReleaseAgentError(
          'SERVICE_RETRIES_EXHAUSTED',
          `${options.service} ${options.operation} still failing after ${attempt} attempt(s) in ${elapsed} ms: ${
            error instanceof Error ? error.message : String(error)
          }`,
          {
            service: options.service,
            operation: options.operation,
            attempts: attempt,
            status: typeof last?.fields.status === 'number' ? last.fields.status : undefined,
            lastCode: last?.code,
          },
          { cause: error },
        );
      }
      options.onRetry?.({ attempt, delayMs, error });
      await clock.sleep(delayMs);
    }
  }
}

/** Parses Retry-After (delta seconds or an HTTP date) into milliseconds from `now`. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * Azure DevOps' rate-limit headers: when the budget is spent (`X-RateLimit-Remaining: 0`), wait until
 * `X-RateLimit-Reset` (epoch seconds).
 */
export function rateLimitWaitMs(
  headers: { get(name: string): string | null },
  now: number,
): number | undefined {
  const retryAfter = parseRetryAfter(headers.get('retry-after'), now);
  if (retryAfter !== undefined) return retryAfter;
  const remaining = headers.get('x-ratelimit-remaining');
  const reset = headers.get('x-ratelimit-reset');
  if (remaining !== null && Number(remaining) <= 0 && reset !== null && /^\d+$/.test(reset.trim())) {
    return Math.max(0, Number(reset.trim()) * 1000 - now);
  }
  return undefined;
}
