// What every flow is given besides its own ports: the store, the clock and the logger. One shape for
// the function app, the sandbox and tests, so a flow never reads the time, waits or logs any other way.
import type { Store } from '../adapters/store/store.ts';

export type LogFields = Record<string, string | number | boolean | undefined | null>;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export const silentLogger: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

export interface FlowContext {
  store: Store;
  /** The one clock: tests pass a fixed or stepping one. */
  now: () => Date;
  log: Logger;
  /** Waits between polls; absent: real time (tests that poll pass one that moves `now` instead). */
  sleep?: (ms: number) => Promise<void>;
}

export const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The context's wait, real time when it has none. */
export function sleepOf(context: Pick<FlowContext, 'sleep'>): (ms: number) => Promise<void> {
  return context.sleep ?? realSleep;
}
