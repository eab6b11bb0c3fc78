/**
 * A list shared by every instance of a module in this process. A test run may load one module both
 * as CommonJS and as ESM (the mocha fixture is required, the suites are imported): a plain
 * module-level array would then be two arrays.
 */
export function processWideList<T>(name: string): T[] {
  const key = Symbol.for(`release-agent.${name}`);
  const holder = globalThis as Record<symbol, T[] | undefined>;
  const existing = holder[key];
  if (existing) return existing;
  const created: T[] = [];
  holder[key] = created;
  return created;
}
