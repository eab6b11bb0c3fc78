// The timer: PR discovery (when PR_POLL_ENABLED) and the pending-approval reconcile, every
// PR_POLL_INTERVAL_SECONDS. Timer triggers run on one instance at a time.
import { randomUUID } from 'node:crypto';
import type { InvocationContext, Timer } from '@azure/functions';
import { pollOnce } from '../flows/poller.ts';
import { invocationLogger } from './http.ts';
import { services } from './services.ts';

export async function prPollerHandler(_timer: Timer, context: InvocationContext): Promise<void> {
  const log = invocationLogger(context);
  const report = await pollOnce(
    { ...services().deps, log },
    context.invocationId === 'unknown' ? randomUUID() : context.invocationId,
  );
  for (const error of report.errors) log.warn('poll cycle problem', { error: error.slice(0, 300) });
}

/**
 * An NCRONTAB schedule for an interval in seconds: the largest interval not above the setting that a
 * cron field can express (10 → every 10 s, 300 → every 5 min, 7 min → every 6 min, 2 h → every 2 h).
 */
export function pollSchedule(seconds: number): string {
  const divisorAtMost = (value: number, of: number) => {
    for (let step = Math.min(value, of); step > 1; step--) if (of % step === 0) return step;
    return 1;
  };
  if (seconds < 60) return `*/${divisorAtMost(Math.max(1, Math.floor(seconds)), 60)} * * * * *`;
  if (seconds < 3600) return `0 */${divisorAtMost(Math.floor(seconds / 60), 60)} * * * *`;
  if (seconds < 86_400) return `0 0 */${divisorAtMost(Math.floor(seconds / 3600), 24)} * * *`;
  return '0 0 0 * * *';
}
