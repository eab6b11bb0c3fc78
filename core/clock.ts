// The one clock type: what reads the time and what waits. core/ never reads the time itself; flows get
// a clock's `now` (and `sleep` when they poll) in their context, adapters get a clock for retries and
// rate limits, and tests pass a fixed or stepping one. The real clock is `systemClock`
// (adapters/system-clock.ts).
export interface Clock {
  now(): Date;
  sleep(ms: number): Promise<void>;
}
