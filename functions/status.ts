// GET /api/status: health, configuration problems, and the work queue's depth with its poison messages
// (no secrets, no auth: the Python agent's /status). Always 200 with a `status` field, so a probe sees
// "degraded" or "misconfigured" rather than a failure.
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { configProblems } from '../core/config.ts';
import { errorMessage } from '../core/errors.ts';
import type { Logger } from '../flows/agent-deps.ts';
import { describeWorkMessage } from '../flows/work-messages.ts';
import { jsonResponse } from './http.ts';
import { currentConfig, services } from './services.ts';

const QUEUE_TIMEOUT_MS = 3_000;

export async function statusHandler(
  _request: HttpRequest,
  _context: InvocationContext,
  log: Logger,
): Promise<HttpResponseInit> {
  let problems: string[];
  let known: { repos: string[]; jiraBaseUrl: string };
  try {
    const config = currentConfig();
    problems = configProblems(config);
    // What the hub shows: the watched repos and where tickets link to (no secrets).
    known = { repos: config.WATCHED_REPOS, jiraBaseUrl: config.JIRA_BASE_URL };
  } catch (error) {
    return jsonResponse(200, { status: 'misconfigured', problems: [errorMessage(error)] });
  }
  let queue: Record<string, unknown> | undefined;
  try {
    const { queues } = services();
    const [depth, poison] = await withTimeout(Promise.all([queues.depth(), queues.peekPoison(10)]));
    queue = {
      name: queues.name,
      depth: depth.queued,
      poisonName: queues.poisonName,
      poisonDepth: depth.poison,
      // What the poison messages were about (kinds and ids only: no response URLs, no free text).
      poison: poison.map((message) => describeWorkMessage(message)),
    };
  } catch (error) {
    log.warn('status: the work queue could not be read', { error: errorMessage(error).slice(0, 200) });
    problems.push('the work queue could not be read');
  }
  const poisoned = typeof queue?.poisonDepth === 'number' && queue.poisonDepth > 0;
  if (poisoned)
    problems.push(`${queue?.poisonDepth} work message(s) failed 5 times and are in the poison queue`);
  return jsonResponse(200, {
    status: problems.length === 0 ? 'ok' : 'degraded',
    problems,
    ...known,
    ...(queue ? { queue } : {}),
  });
}

async function withTimeout<T>(work: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timed out')), QUEUE_TIMEOUT_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
