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
