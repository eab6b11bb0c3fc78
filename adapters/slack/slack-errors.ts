// Slack's error codes (`{ ok: false, error }` from the Web API, the text body of a webhook or
// response_url failure) mapped to our coded errors. The Slack code stays in `fields.slackError`.
import * as z from 'zod/mini';
import {
  type ErrorCode,
  type ErrorFields,
  isReleaseAgentError,
  ReleaseAgentError,
} from '../../core/errors.ts';
import { parseWith } from '../../core/input.ts';
import { classifyHttpError } from '../http/http-client.ts';
import type { RetryVerdict } from '../http/retry.ts';

const CODE_BY_SLACK_ERROR: Readonly<Record<string, ErrorCode>> = {
  invalid_auth: 'AUTH_INVALID',
  not_authed: 'AUTH_INVALID',
  account_inactive: 'AUTH_INVALID',
  token_revoked: 'AUTH_INVALID',
  token_expired: 'AUTH_INVALID',
  invalid_token: 'AUTH_INVALID',
  no_service: 'AUTH_INVALID',
  no_service_id: 'AUTH_INVALID',
  no_team: 'AUTH_INVALID',
  team_disabled: 'AUTH_INVALID',
  channel_not_found: 'NOT_FOUND',
  message_not_found: 'NOT_FOUND',
  user_not_found: 'NOT_FOUND',
  expired_url: 'NOT_FOUND',
  used_url: 'NOT_FOUND',
  not_in_channel: 'FORBIDDEN',
  is_archived: 'FORBIDDEN',
  channel_is_archived: 'FORBIDDEN',
  missing_scope: 'FORBIDDEN',
  restricted_action: 'FORBIDDEN',
  cant_update_message: 'FORBIDDEN',
  edit_window_closed: 'FORBIDDEN',
  action_prohibited: 'FORBIDDEN',
  posting_to_general_channel_denied: 'FORBIDDEN',
  ekm_access_denied: 'FORBIDDEN',
  access_denied: 'FORBIDDEN',
  invalid_blocks: 'INPUT_INVALID',
  invalid_blocks_format: 'INPUT_INVALID',
  invalid_attachments: 'INPUT_INVALID',
  invalid_payload: 'INPUT_INVALID',
  invalid_arguments: 'INPUT_INVALID',
  invalid_arg_name: 'INPUT_INVALID',
  invalid_array_arg: 'INPUT_INVALID',
  invalid_charset: 'INPUT_INVALID',
  invalid_form_data: 'INPUT_INVALID',
  no_text: 'INPUT_INVALID',
  msg_too_long: 'INPUT_INVALID',
  too_many_attachments: 'INPUT_INVALID',
};

/** Slack's own "try again" answers; "it's possible some aspect of the operation succeeded", so only idempotent calls retry. */
const TRANSIENT_SLACK_ERRORS = new Set([
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
]);

/** Slack error codes are short snake_case words; anything else in that place is a garbled body. */
const slackErrorCode = z.string().check(z.regex(/^[a-z][a-z0-9_]{1,80}$/));

export function isSlackErrorCode(value: unknown): value is string {
  return parseWith(slackErrorCode, value).ok;
}

/** A response_url's JSON answer: `{"ok":true}`, or `{"ok":false,"error":"<code>"}`. */
const okReply = z.object({ ok: z.literal(true) });
const errorReply = z.object({ error: slackErrorCode });

export function slackApiError(
  slackError: string,
  fields: ErrorFields & { service: string; operation: string },
): ReleaseAgentError {
  if (slackError === 'ratelimited' || slackError === 'rate_limited') {
    return new ReleaseAgentError('SERVICE_HTTP', `${fields.service} ${fields.operation} was rate limited`, {
      ...fields,
      status: 429,
      slackError,
    });
  }
  const code = CODE_BY_SLACK_ERROR[slackError] ?? 'SLACK_API_ERROR';
  const target = typeof fields.channel === 'string' ? ` (channel ${fields.channel})` : '';
  return new ReleaseAgentError(code, `${fields.service} ${fields.operation} failed: ${slackError}${target}`, {
    ...fields,
    slackError,
    transient: TRANSIENT_SLACK_ERRORS.has(slackError),
  });
}

/** The shared HTTP rules, plus Slack's transient error codes for calls that are safe to repeat. */
export function classifySlackError(error: unknown, idempotent: boolean): RetryVerdict {
  if (isReleaseAgentError(error, 'SLACK_API_ERROR'))
    return { retry: idempotent && error.fields.transient === true };
  return classifyHttpError(error, idempotent);
}

/**
 * Reads the answer of an incoming webhook or a response_url: `ok` as text (webhooks) or
 * `{"ok":true}` (response URLs); a failure is a Slack error code as text or `{"ok":false,"error"}`.
 * Returns the Slack error code, or undefined on success.
 */
export function slackReplyError(status: number, body: unknown): string | undefined {
  if (typeof body === 'object' && body !== null) {
    if (status < 300 && parseWith(okReply, body).ok) return undefined;
    const failed = parseWith(errorReply, body);
    return failed.ok ? failed.value.error : `http_${status}`;
  }
  const text = typeof body === 'string' ? body.trim() : '';
  if (status < 300) return text === '' || text === 'ok' ? undefined : 'unexpected_reply';
  return isSlackErrorCode(text) ? text : `http_${status}`;
}
