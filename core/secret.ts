// A secret value that cannot leak by accident: string conversion, JSON and util.inspect all print a
// redaction. Only `reveal()` gives the value, so every use of a secret is visible in the code.

const REDACTED = '[redacted]';
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

/** Every form in which a secret may show up in text: as is, base64, URL-encoded. */
export function secretForms(value: string): string[] {
  if (value.length < 4) return [];
  const forms = new Set([value, encodeURIComponent(value), base64(value)]);
  return [...forms];
}

/** Replaces every known secret (and its encoded forms) in `text` with a redaction. */
export function redact(text: string, secrets: Iterable<Secret | string | undefined>): string {
  let out = text;
  for (const secret of secrets) {
    if (secret === undefined) continue;
    const value = typeof secret === 'string' ? secret : secret.reveal();
    for (const form of secretForms(value)) out = out.split(form).join(REDACTED);
  }
  return out;
}

function base64(value: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(value)) binary += String.fromCharCode(byte);
  return btoa(binary);
}
