// Shared secrets presented by callers: the service hooks' X-Webhook-Secret header or basic auth, and the
// operator token. Azure DevOps service hooks carry no signature, so the secret itself is compared, in
// constant time, against every accepted secret (two during a rotation) without an early exit.
import { timingSafeEqual } from 'node:crypto';
import type { HeaderValue } from './slack-signature.ts';
import type { Secret } from './secret.ts';

/** True when `presented` equals one of the non-empty `accepted` secrets. */
export function matchesSecret(
  presented: string | undefined,
  accepted: readonly (Secret | string)[],
): boolean {
  if (presented === undefined || presented.length === 0) return false;
  const given = Buffer.from(presented, 'utf8');
  let matched = false;
  for (const candidate of accepted) {
    const value = typeof candidate === 'string' ? candidate : candidate.reveal();
    if (value.length === 0) continue;
    const expected = Buffer.from(value, 'utf8');
    // The length is not secret (octokit's rule: length check, then a timing-safe compare).
    const same = expected.length === given.length && timingSafeEqual(expected, given);
    matched = same || matched;
  }
  return matched;
}

export type WebhookAuthFailure = 'not_configured' | 'missing' | 'mismatch' | 'malformed';
export type WebhookAuthResult =
  | { ok: true; via: 'header' | 'basic' }
  | { ok: false; reason: WebhookAuthFailure };

export interface WebhookAuthInput {
  /** WEBHOOK_SECRET and WEBHOOK_SECRET_PREVIOUS (empty ones are ignored). */
  secrets: readonly Secret[];
  /** The `X-Webhook-Secret` header. */
  secretHeader: HeaderValue;
  /** The `Authorization` header (basic auth: the password is the secret, any user name). */
  authorization: HeaderValue;
}

/** A service-hook delivery is authentic when its secret header or its basic-auth password is accepted. */
export function verifyWebhookAuth(input: WebhookAuthInput): WebhookAuthResult {
  if (input.secrets.every((secret) => secret.isEmpty)) return { ok: false, reason: 'not_configured' };
  const header = single(input.secretHeader);
  const authorization = single(input.authorization);
  if (header === null || authorization === null) return { ok: false, reason: 'malformed' };
  if (header === undefined && authorization === undefined) return { ok: false, reason: 'missing' };
  if (header !== undefined) {
    return matchesSecret(header, input.secrets)
      ? { ok: true, via: 'header' }
      : { ok: false, reason: 'mismatch' };
  }
  const password = basicPassword(authorization as string);
  if (password === undefined) return { ok: false, reason: 'malformed' };
  return matchesSecret(password, input.secrets)
    ? { ok: true, via: 'basic' }
    : { ok: false, reason: 'mismatch' };
}

/** The password of a `Basic base64(user:password)` header; undefined when it is not one. */
export function basicPassword(authorization: string): string | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(authorization.trim());
  if (!match) return undefined;
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}

/** undefined = absent or empty; null = repeated (ambiguous, refused). */
function single(value: HeaderValue): string | null | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value !== 'string') {
    if (value.length === 0) return undefined;
    return value.length === 1 ? single(value[0]) : null;
  }
  const trimmed = value.trim();
  return trimmed.length === 0 ? undefined : trimmed;
}
