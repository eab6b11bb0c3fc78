// The hub's app token (`SDK.getAppToken()`): a JWT signed HS256 with the extension's Marketplace
// certificate string. Verification is a pure function of its inputs, the clock included. Only HS256
// is accepted: `none`, RS256 and the rest are refused before any key is used, so a token cannot
// choose how it is checked. node:crypto is computation, not I/O.
import { createHmac, timingSafeEqual } from 'node:crypto';
import * as z from 'zod/mini';
import { parseWith } from './input.ts';
import type { Secret } from './secret.ts';

/** Seconds of clock difference tolerated on `exp` and `nbf`. */
export const APP_TOKEN_CLOCK_TOLERANCE_SECONDS = 30;

/** The issuer Azure DevOps puts in every app token. */
export const APP_TOKEN_ISSUER = 'app.vstoken.visualstudio.com';

/**
 * The longest lifetime (exp − nbf, or exp − iat) a token may claim. Azure DevOps issues app tokens
 * valid about 70 minutes; a token claiming more was not made by it, or is being replayed for too long.
 */
export const APP_TOKEN_MAX_LIFETIME_SECONDS = 90 * 60;

export type AppTokenFailure =
  | 'missing_key'
  | 'malformed'
  | 'unsupported_algorithm'
  | 'bad_signature'
  | 'missing_exp'
  | 'expired'
  | 'not_yet_valid'
  | 'lifetime_too_long'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'wrong_organization'
  | 'no_user';

export interface AppTokenClaims {
  /** The Azure DevOps user id (`nameid`). */
  userId: string;
  /** Every claim, as sent. */
  raw: Readonly<Record<string, unknown>>;
  expiresAt: number;
}

export type AppTokenResult = { ok: true; claims: AppTokenClaims } | { ok: false; reason: AppTokenFailure };

export interface AppTokenInput {
  token: string;
  /** The extension's certificate string (EXTENSION_CERTIFICATE), used as the HMAC key as UTF-8 bytes. */
  key: Secret | string;
  /** The current time in whole seconds since the epoch. */
  nowSeconds: number;
  toleranceSeconds?: number;
  /**
   * What the token must be for. Every check is made only when the expectation is given, so the pure
   * signature checks stay testable on their own; the function app always passes all three.
   */
  expect?: {
    /** Accepted `aud` values (the extension); any one matches. */
    audiences: readonly string[];
    /** The `tid` claim: the organisation's tenant (host) id, compared case-insensitively. */
    organizationId: string;
    /** Default APP_TOKEN_ISSUER. */
    issuer?: string;
    /** Default APP_TOKEN_MAX_LIFETIME_SECONDS. */
    maxLifetimeSeconds?: number;
  };
}

/**
 * The claims read after the signature check. The times must be finite numbers (zod's number refuses
 * Infinity, which JSON's `1e999` gives); the others are compared as sent, their own failures naming
 * them (wrong_issuer, no_user…). Every other claim passes through into `raw`.
 */
/** The header: an object; its `alg` is compared as sent (anything but HS256 is unsupported_algorithm). */
const headerSchema = z.looseObject({ alg: z.optional(z.unknown()), crit: z.optional(z.unknown()) });

const claimsSchema = z.looseObject({
  exp: z.optional(z.number()),
  nbf: z.optional(z.number()),
  iat: z.optional(z.number()),
  iss: z.optional(z.unknown()),
  aud: z.optional(z.unknown()),
  tid: z.optional(z.unknown()),
  nameid: z.optional(z.unknown()),
});

const SEGMENT = /^[A-Za-z0-9_-]*$/;
const MAX_TOKEN_LENGTH = 8192;

export function verifyAppToken(input: AppTokenInput): AppTokenResult {
  const key = typeof input.key === 'string' ? input.key : input.key.reveal();
  // An empty key would make every signature computable by anyone.
  if (key.length === 0) return fail('missing_key');
  if (typeof input.token !== 'string' || input.token.length > MAX_TOKEN_LENGTH) return fail('malformed');
  const parts = input.token.split('.');
  if (parts.length !== 3) return fail('malformed');
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  if (
    ![headerPart, payloadPart, signaturePart].every((part) => SEGMENT.test(part)) ||
    !headerPart ||
    !payloadPart
  )
    return fail('malformed');

  const header = parseWith(headerSchema, decodeJson(headerPart));
  if (!header.ok) return fail('malformed');
  if (header.value.alg !== 'HS256') return fail('unsupported_algorithm');
  if (header.value.crit !== undefined) return fail('malformed');

  const expected = createHmac('sha256', key).update(`${headerPart}.${payloadPart}`).digest();
  const received = Buffer.from(signaturePart, 'base64url');
  // The length is not secret; timingSafeEqual needs equal lengths.
  if (received.length !== expected.length || !timingSafeEqual(received, expected))
    return fail('bad_signature');

  const parsed = parseWith(claimsSchema, decodeJson(payloadPart));
  if (!parsed.ok) return fail('malformed');
  const payload = parsed.value;
  const { exp, nbf, iat } = payload;
  if (exp === undefined) return fail('missing_exp');
  const tolerance = input.toleranceSeconds ?? APP_TOKEN_CLOCK_TOLERANCE_SECONDS;
  if (input.nowSeconds > exp + tolerance) return fail('expired');
  if (nbf !== undefined && input.nowSeconds + tolerance < nbf) return fail('not_yet_valid');
  const expect = input.expect;
  if (expect) {
    // A token must say when it starts, so its lifetime can be bounded.
    const start = nbf ?? iat;
    if (start === undefined || exp - start > (expect.maxLifetimeSeconds ?? APP_TOKEN_MAX_LIFETIME_SECONDS))
      return fail('lifetime_too_long');
    if (payload.iss !== (expect.issuer ?? APP_TOKEN_ISSUER)) return fail('wrong_issuer');
    const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    if (!audiences.some((aud) => typeof aud === 'string' && expect.audiences.includes(aud)))
      return fail('wrong_audience');
    if (
      typeof payload.tid !== 'string' ||
      !expect.organizationId ||
      payload.tid.toLowerCase() !== expect.organizationId.toLowerCase()
    )
      return fail('wrong_organization');
  }
  // Every answer is attributed to a person: a token without a user decides nothing.
  const userId = typeof payload.nameid === 'string' ? payload.nameid.trim() : '';
  if (!userId) return fail('no_user');
  return { ok: true, claims: { userId, raw: payload, expiresAt: exp } };
}

/** The claims Azure DevOps puts in an app token (the sandbox's hub and tests sign these). */
export function appTokenClaims(input: {
  userId: string;
  audience: string;
  organizationId: string;
  nowSeconds: number;
  lifetimeSeconds?: number;
}): Record<string, unknown> {
  return {
    nameid: input.userId,
    tid: input.organizationId,
    iss: APP_TOKEN_ISSUER,
    aud: input.audience,
    nbf: input.nowSeconds - 5,
    exp: input.nowSeconds + (input.lifetimeSeconds ?? 3600),
  };
}

/** Makes a token as Azure DevOps does (tests, the sandbox's hub). */
export function signAppToken(claims: Record<string, unknown>, key: Secret | string, alg = 'HS256'): string {
  const secret = typeof key === 'string' ? key : key.reveal();
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const head = `${encode({ typ: 'JWT', alg })}.${encode(claims)}`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}

/** The segment's JSON, or undefined when it is none (the schemas then refuse it). */
function decodeJson(part: string): unknown {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

function fail(reason: AppTokenFailure): AppTokenResult {
  return { ok: false, reason };
}
