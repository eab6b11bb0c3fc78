// The queue worker: the slow side effects of decisions and events (see flows/work-messages.ts). A
// thrown error leaves the message for redelivery; the host moves it to `<queue>-poison` after
// MAX_DEQUEUE_COUNT attempts, which GET /api/status counts and lists.
import type { InvocationContext } from '@azure/functions';
import { isReleaseAgentError } from '../core/errors.ts';
import { handleWorkMessage, MAX_DEQUEUE_COUNT } from '../flows/work.ts';
import { describeWorkMessage, parseWorkMessage } from '../flows/work-messages.ts';
import { invocationLogger } from './http.ts';
import { services } from './services.ts';

export async function workQueueHandler(entry: unknown, context: InvocationContext): Promise<void> {
  const log = invocationLogger(context);
  const dequeueCount = Math.max(1, Number(context.triggerMetadata?.dequeueCount ?? 1) || 1);
  try {
    const message = parseWorkMessage(entry);
    await handleWorkMessage({ ...services().deps, log }, message, {
      dequeueCount,
      maxAttempts: MAX_DEQUEUE_COUNT,
    });
  } catch (error) {
    const fields = {
      ...describeWorkMessage(entry),
      attempt: dequeueCount,
      code: isReleaseAgentError(error) ? error.code : 'unknown',
    };
    if (dequeueCount >= MAX_DEQUEUE_COUNT)
      log.error('work message failed for the last time: it goes to the poison queue', fields);
    else log.warn('work message failed: it will be redelivered', fields);
    throw error;
  }
}
