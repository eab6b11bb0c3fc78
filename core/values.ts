// Small helpers for plain JSON data, shared by the core modules.
import { ReleaseAgentError } from './errors.ts';

/** JSON with sorted object keys and without undefined properties: equal content ⇔ equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (item && typeof item === 'object' && !Array.isArray(item)) {
      const entries = Object.entries(item as Record<string, unknown>).sort(([a], [b]) =>
        a < b ? -1 : a > b ? 1 : 0,
      );
      return Object.fromEntries(entries);
    }
    return item;
  });
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}

/** The ISO-8601 UTC text of a clock reading; INPUT_INVALID naming the field for an invalid Date. */
export function isoTime(now: Date, field = 'now'): string {
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
    throw new ReleaseAgentError('INPUT_INVALID', `${field} is not a valid Date`, { field });
  }
  return now.toISOString();
}
