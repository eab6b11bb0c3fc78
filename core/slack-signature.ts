// Slack request signing (https://api.slack.com/authentication/verifying-requests-from-slack):
// `v0=` + hex HMAC-SHA256(signing secret, `v0:{timestamp}:{raw body}`). Verification is a pure
// function of its inputs, the clock included, so callers and tests decide what "now" is.
// node:crypto is computation, not I/O.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Secret } from './secret.ts';

/** Slack's replay window: a request older or newer than this many seconds is refused. */
export const SLACK_SIGNATURE_MAX_SKEW_SECONDS = 300;

export type SlackSignatureFailure =
  | 'missing_secret'
  | 'missing_headers'
  | 'stale'
  | 'future'
  | 'bad_signature'
  | 'malformed';

export type SlackSignatureResult = { ok: true } | { ok: false; reason: SlackSignatureFailure };

/** A header as Node gives it: absent, one value, or several when the header was repeated. */
export type HeaderValue = string | readonly string[] | null | undefined;

export interface SlackSignatureInput {
  signingSecret: Secret | string;
  /** The `X-Slack-Request-Timestamp` header. */
  timestamp: HeaderValue;
  /** The `X-Slack-Signature` header. */
  signature: HeaderValue;
  /** The body exactly as received, before any decoding. */
  rawBody: string | Uint8Array;
  /** The current time in whole seconds since the epoch. */
  nowSeconds: number;
}

const SIGNATURE_PREFIX = 'v0=';

/** The `X-Slack-Signature` value for a request. */
export function signSlackRequest(
  signingSecret: Secret | string,
  timestamp: number | string,
  rawBody: string | Uint8Array,
): string {
  const secret = typeof signingSecret === 'string' ? signingSecret : signingSecret.reveal();
  const hmac = createHmac('sha256', secret);
  hmac.update(`v0:${timestamp}:`);
  hmac.update(rawBody);
  return SIGNATURE_PREFIX + hmac.digest('hex');
}

export function verifySlackSignature(input: SlackSignatureInput): SlackSignatureResult {
  const secret = typeof input.signingSecret === 'string' ? input.signingSecret : input.signingSecret.reveal();
  // An empty secret would make every forged signature computable: refuse rather than verify.
  if (secret.length === 0) return fail('missing_secret');

  const timestamp = singleHeader(input.timestamp);
  const signature = singleHeader(input.signature);
  if (timestamp === undefined || signature === undefined) return fail('missing_headers');
  if (timestamp === null || signature === null) return fail('malformed');
  if (!/^\d{1,12}$/.test(timestamp) || !signature.startsWith(SIGNATURE_PREFIX)) return fail('malformed');

  const skew = input.nowSeconds - Number(timestamp);
  if (skew > SLACK_SIGNATURE_MAX_SKEW_SECONDS) return fail('stale');
  if (skew < -SLACK_SIGNATURE_MAX_SKEW_SECONDS) return fail('future');

  const expected = Buffer.from(signSlackRequest(secret, timestamp, input.rawBody), 'utf8');
  const received = Buffer.from(signature, 'utf8');
  // timingSafeEqual throws on different lengths; the length itself is not secret.
  if (received.length !== expected.length) return fail('bad_signature');
  return timingSafeEqual(received, expected) ? { ok: true } : fail('bad_signature');
}

/** undefined = absent or empty; null = repeated (ambiguous, refused). */
function singleHeader(value: HeaderValue): string | null | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value !== 'string') {
    if (value.length === 0) return undefined;
    return value.length === 1 ? singleHeader(value[0]) : null;
  }
  const trimmed = value.trim();
  return trimmed.length === 0 ? undefined : trimmed;
}

function fail(reason: SlackSignatureFailure): SlackSignatureResult {
  return { ok: false, reason };
}
