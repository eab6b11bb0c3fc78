// The real clock (core/clock.ts): the machine's time, and waits on a timer.
import type { Clock } from '../core/clock.ts';

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
