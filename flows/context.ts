// What every flow is given besides its own ports: the store, the clock and the logger. One shape for
// the function app, the sandbox and tests, so a flow never reads the time, waits or logs any other way.
import type { Store } from '../adapters/store/store.ts';
import { systemClock } from '../adapters/system-clock.ts';
import type { Clock } from '../core/clock.ts';

export type LogFields = Record<string, string | number | boolean | undefined | null>;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export const silentLogger: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

export interface FlowContext {
  store: Store;
  /** The clock's reading (the one `Clock`, core/clock.ts): tests pass a fixed or stepping one. */
  now: Clock['now'];
  log: Logger;
  /**
   * The clock's wait, between polls; absent: real time (tests that poll pass one that moves `now`
   * instead). Only the flows that poll wait, so a context needs no more of the clock than `now`.
   */
  sleep?: Clock['sleep'];
}

/** The context's wait, real time when it has none. */
export function sleepOf(context: Pick<FlowContext, 'sleep'>): Clock['sleep'] {
  return context.sleep ?? systemClock.sleep;
}
