// Table keys: PartitionKey and RowKey forbid `/ \ # ?` and control characters and are limited in length.
// Anything user-controlled (repo names, refs, versions, ids) goes through encodeKeyPart first.
import { ReleaseAgentError } from '../../core/errors.ts';

/** Azure allows 1 KiB of UTF-16 per key; Azurite rejects 513 characters. */
export const MAX_KEY_LENGTH = 512;

/** Joins encoded parts; never produced by encodeKeyPart, so keys split back unambiguously. */
export const KEY_SEPARATOR = '|';

/**
 * Reversible, readable encoding: RFC 3986 unreserved characters (`A-Z a-z 0-9 - _ .`) stay, every
 * other UTF-8 byte becomes `~XX` (`refs/heads/x` → `refs~2Fheads~2Fx`).
 */
export function encodeKeyPart(value: string): string {
  if (value.length === 0) throw keyInvalid('an empty key part', value);
  let uri: string;
  try {
    uri = encodeURIComponent(value);
  } catch (error) {
    throw keyInvalid('a lone surrogate', value, error);
  }
  const encoded = uri
    .replace(/[!'()*~]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`)
    .replaceAll('%', '~');
  if (encoded.length > MAX_KEY_LENGTH)
    throw keyInvalid(`more than ${MAX_KEY_LENGTH} characters once encoded`, value);
  return encoded;
}

export function decodeKeyPart(encoded: string): string {
  return decodeURIComponent(encoded.replaceAll('~', '%'));
}

/** A full key from already encoded parts, checked against the length limit. */
export function joinKey(...encodedParts: string[]): string {
  const key = encodedParts.join(KEY_SEPARATOR);
  if (key.length > MAX_KEY_LENGTH)
    throw keyInvalid(`more than ${MAX_KEY_LENGTH} characters once encoded`, key);
  return key;
}

/** Epoch milliseconds of the largest Date; 17 digits cover the whole Date range. */
const MAX_TIME_MS = 8_640_000_000_000_000n;

/** A key part that sorts newest first: ascending RowKey order is descending time. */
export function reverseTime(iso: string, what: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) {
    throw new ReleaseAgentError('INPUT_INVALID', `${what} is not a timestamp: ${JSON.stringify(iso)}`, {
      what,
    });
  }
  // BigInt: the difference can exceed 2^53, where doubles skip integers.
  return String(MAX_TIME_MS - BigInt(ms)).padStart(17, '0');
}

/** The smallest string greater than every string starting with `prefix` (for range filters). */
export function prefixUpperBound(prefix: string): string {
  const last = prefix.charCodeAt(prefix.length - 1);
  return prefix.slice(0, -1) + String.fromCharCode(last + 1);
}

function keyInvalid(why: string, value: string, cause?: unknown): ReleaseAgentError {
  // Identify the key without echoing a huge or binary value.
  const key = JSON.stringify(value.slice(0, 120));
  return new ReleaseAgentError(
    'STORE_KEY_INVALID',
    `table key ${key} is invalid: ${why}`,
    { key },
    { cause },
  );
}
