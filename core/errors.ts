// Coded errors: a stable `code` that callers and tests match on, plus the identifiers of what failed.
// The message is for people; the code and fields are for code. Never put a secret in either.

export const ERROR_CODES = [
  'CONFIG_INVALID',
  'INPUT_INVALID',
  'TICKET_KEY_INVALID',
  'VERSION_INVALID',
  'VERSION_NOT_INCREASING',
  'RELEASE_ARCHIVED',
  'RELEASE_NOT_FOUND',
  'DECISION_NOT_PENDING',
  'DECISION_NONCE_MISMATCH',
  'DECISION_TARGET_MISMATCH',
  'DECISION_NOT_FOUND',
  'REVIEW_INVALID',
  'STORE_CONFLICT',
  'STORE_NOT_FOUND',
  'STORE_VALUE_TOO_LARGE',
  'STORE_KEY_INVALID',
  'THREAD_KIND_MISMATCH',
  'SERVICE_HTTP',
  'SERVICE_TIMEOUT',
  'SERVICE_NETWORK',
  'SERVICE_MALFORMED',
  'SERVICE_RETRIES_EXHAUSTED',
  'SIGNATURE_INVALID',
  'AUTH_INVALID',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'PR_STALE_COMMIT',
  'JIRA_TRANSITION_UNAVAILABLE',
  'CLAUDE_FAILED',
  'CLAUDE_TIMEOUT',
  'PIPELINE_FAILED',
  'PIPELINE_TIMEOUT',
  'IMPORT_ROW_INVALID',
  'IMPORT_SOURCE_INVALID',
  'SLACK_API_ERROR',
  'TICKET_MISSING',
  'PR_COMPLETION_TIMEOUT',
  'DECISION_EXPIRED',
  'BODY_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'NOT_CONFIGURED',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export type ErrorFields = Record<string, string | number | boolean | null | undefined | readonly string[]>;

export class ReleaseAgentError extends Error {
  override readonly name = 'ReleaseAgentError';
  readonly code: ErrorCode;
  /** Identifiers of what failed (repo, prId, ticket, variable, …): safe to log, never secret. */
  readonly fields: ErrorFields;

  constructor(code: ErrorCode, message: string, fields: ErrorFields = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.fields = fields;
  }

  toJSON(): { code: ErrorCode; message: string; fields: ErrorFields } {
    return { code: this.code, message: this.message, fields: this.fields };
  }
}

export function isReleaseAgentError(error: unknown, code?: ErrorCode): error is ReleaseAgentError {
  return error instanceof ReleaseAgentError && (code === undefined || error.code === code);
}

/** The message of anything thrown, for logs and run summaries. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/**
 * What kind of failure an error is, the one rule every entry maps from:
 * - `client`: the caller's request was wrong or not allowed (a 4xx naming what); never retried.
 * - `config`: the app's settings are missing or wrong (503); retrying does not help until they are fixed.
 * - `outside`: an outside service failed (502); `transient` when it may work again (down, throttled, timed out).
 * - `refused`: the operation itself failed for a reason of the domain (a version that does not increase,
 *   a transition Jira lacks); `transient` only for a write that lost a race (STORE_CONFLICT).
 * - `internal`: not a coded error (a bug or the unexpected); 500 and retried by the worker.
 */
export type ErrorKind = 'client' | 'config' | 'outside' | 'refused' | 'internal';

export interface ErrorClass {
  kind: ErrorKind;
  /** The HTTP status of the API routes for it. */
  status: number;
  /** Worth another attempt later (the worker redelivers, a caller may retry). */
  transient: boolean;
}

const CLIENT_STATUS: Partial<Record<ErrorCode, number>> = {
  INPUT_INVALID: 400,
  TICKET_KEY_INVALID: 400,
  VERSION_INVALID: 400,
  // A name the store cannot key (e.g. a repo of 200 emoji: short, but long once encoded).
  STORE_KEY_INVALID: 400,
  SIGNATURE_INVALID: 401,
  AUTH_INVALID: 401,
  FORBIDDEN: 403,
  DECISION_NONCE_MISMATCH: 403,
  NOT_FOUND: 404,
  DECISION_NOT_FOUND: 404,
  STORE_NOT_FOUND: 404,
  RELEASE_NOT_FOUND: 404,
  CONFLICT: 409,
  DECISION_NOT_PENDING: 409,
  DECISION_EXPIRED: 409,
  DECISION_TARGET_MISMATCH: 409,
  PR_STALE_COMMIT: 409,
  THREAD_KIND_MISMATCH: 409,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
};

/** Outside-service codes that say nothing about the request: the service may answer next time. */
const TRANSIENT_OUTSIDE: ReadonlySet<ErrorCode> = new Set([
  'SERVICE_TIMEOUT',
  'SERVICE_NETWORK',
  'SERVICE_MALFORMED',
  'SERVICE_RETRIES_EXHAUSTED',
]);

/** Every status a client error answers with (a caller reads these as a refusal, not an outage). */
export const CLIENT_ERROR_STATUSES: readonly number[] = [...new Set(Object.values(CLIENT_STATUS))].sort(
  (a, b) => a - b,
);

export function classifyError(error: unknown): ErrorClass {
  if (!isReleaseAgentError(error)) return { kind: 'internal', status: 500, transient: true };
  const { code } = error;
  const clientStatus = CLIENT_STATUS[code];
  if (clientStatus !== undefined) return { kind: 'client', status: clientStatus, transient: false };
  if (code === 'NOT_CONFIGURED' || code === 'CONFIG_INVALID')
    return { kind: 'config', status: 503, transient: false };
  if (code.startsWith('SERVICE_') || code === 'SLACK_API_ERROR') {
    if (TRANSIENT_OUTSIDE.has(code)) return { kind: 'outside', status: 502, transient: true };
    // An HTTP answer is transient when the service was down or throttled, not when it refused the request.
    const status = error.fields.status;
    const transient = typeof status !== 'number' || status >= 500 || status === 408 || status === 429;
    return { kind: 'outside', status: 502, transient };
  }
  return { kind: 'refused', status: 500, transient: code === 'STORE_CONFLICT' };
}
