// A secret value that cannot leak by accident: string conversion, JSON and util.inspect all print a
// redaction. Only `reveal()` gives the value, so every use of a secret is visible in the code.

export const REDACTED = '[redacted]';
const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  get isEmpty(): boolean {
    return this.#value.length === 0;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspectSymbol](): string {
    return `Secret(${REDACTED})`;
  }
}

/**
 * Every form in which a secret may show up in text: as is, URL-encoded, base64 (standard and
 * URL-safe, whole and as it appears inside a longer base64 text) and hex (lower and upper case).
 */
export function secretForms(value: string): string[] {
  if (value.length < 4) return [];
  const bytes = new TextEncoder().encode(value);
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('');
  // Inside a longer base64 text (a Basic header is base64(":" + PAT)) the secret's encoding
  // depends on its offset mod 3: keep the characters that only the secret's bytes determine.
  const cores = [0, 1, 2].map((shift) => base64Core(bytes, shift)).filter((form) => form.length >= 4);
  const forms = new Set([
    value,
    encodeURIComponent(value),
    new URLSearchParams({ v: value }).toString().slice(2),
    bytesToBase64(bytes),
    ...cores,
    // The URL-safe alphabet (base64url, JWTs) differs only in two characters and the padding.
    toBase64Url(bytesToBase64(bytes)),
    ...cores.map(toBase64Url),
    hex,
    hex.toUpperCase(),
  ]);
  return [...forms];
}

/** `text` with every known secret (and its encoded forms) replaced, and whether there was any. */
export function redactFound(
  text: string,
  secrets: Iterable<Secret | string | undefined>,
): { text: string; found: boolean } {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret === undefined) continue;
    for (const form of secretForms(typeof secret === 'string' ? secret : secret.reveal())) forms.add(form);
  }
  // Longest first: a secret that contains a shorter one must not be left half-redacted.
  let out = text;
  let found = false;
  for (const form of [...forms].sort((a, b) => b.length - a.length)) {
    if (!out.includes(form)) continue;
    found = true;
    out = out.split(form).join(REDACTED);
  }
  return { text: out, found };
}

/** Replaces every known secret (and its encoded forms) in `text` with a redaction. */
export function redact(text: string, secrets: Iterable<Secret | string | undefined>): string {
  return redactFound(text, secrets).text;
}

/** base64 of the secret preceded by `shift` bytes, without the characters mixed with its neighbours. */
function base64Core(bytes: Uint8Array, shift: number): string {
  const padded = new Uint8Array(shift + bytes.length);
  padded.set(bytes, shift);
  const encoded = bytesToBase64(padded).replace(/=+$/, '');
  const head = Math.ceil((shift * 8) / 6);
  const tail = padded.length % 3 === 0 ? 0 : 1;
  return encoded.slice(head, encoded.length - tail);
}

function toBase64Url(base64: string): string {
  return base64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Every string inside a JSON-like value redacted (keys too), and whether any secret was there. */
export function redactDeep<T>(
  value: T,
  secrets: readonly (Secret | string | undefined)[],
): { value: T; found: boolean } {
  let found = false;
  const walk = (item: unknown): unknown => {
    if (typeof item === 'string') {
      const result = redactFound(item, secrets);
      found ||= result.found;
      return result.text;
    }
    if (Array.isArray(item)) return item.map(walk);
    if (item !== null && typeof item === 'object') {
      return Object.fromEntries(Object.entries(item).map(([key, child]) => [walk(key), walk(child)]));
    }
    return item;
  };
  const out = walk(value) as T;
  return { value: out, found };
}
