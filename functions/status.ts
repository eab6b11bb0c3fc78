// GET /api/status: health for anyone; configuration problems, the watched repos and the work queue's
// depth with its poison messages only for the hub or the operator (no secrets either way). Always 200
// with a `status` field, so a probe sees "degraded" or "misconfigured" rather than a failure.
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { type Config, configProblems, retiredSettingProblems } from '../core/config.ts';
import { errorMessage, isReleaseAgentError } from '../core/errors.ts';
import type { CallerStatus, MisconfiguredStatus, PublicStatus, QueueView } from '../core/views.ts';
import type { Logger } from '../flows/agent-deps.ts';
import { approvalsTheAppCannotAnswer } from '../flows/approval-gates.ts';
import { unpipelinedPrProblems } from '../flows/config-health.ts';
import { describeWorkMessage } from '../flows/work-messages.ts';
import { jsonResponse } from './http.ts';
import { optionalCaller } from './auth.ts';
import { currentConfig, serviceEnv, services } from './services.ts';

const QUEUE_TIMEOUT_MS = 3_000;

export async function statusHandler(
  request: HttpRequest,
  _context: InvocationContext,
  log: Logger,
): Promise<HttpResponseInit> {
  let problems: string[];
  let known: { repos: string[]; jiraBaseUrl: string };
  let config: Config;
  try {
    config = currentConfig();
    problems = [...configProblems(config), ...retiredSettingProblems(serviceEnv())];
    // What the hub shows: the watched repos and where tickets link to (no secrets).
    known = { repos: config.WATCHED_REPOS, jiraBaseUrl: config.JIRA_BASE_URL };
  } catch (error) {
    // No one can be authenticated without a configuration: name the variables, never their values.
    const variables = isReleaseAgentError(error) ? error.fields.variables : undefined;
    return jsonResponse(200, {
      status: 'misconfigured',
      ...(Array.isArray(variables) ? { variables: variables.map(String) } : {}),
    } satisfies MisconfiguredStatus);
  }
  let nowMs = Date.now();
  try {
    nowMs = services().deps.now().getTime();
  } catch {
    // No storage yet: the wall clock will do for reading a token.
  }
  const caller = optionalCaller(request, config, Math.floor(nowMs / 1000));
  let queue: QueueView | undefined;
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
  try {
    // Gates 2–5 waiting on an approval that the app's identity may not answer: only Azure DevOps can.
    const blocked = await withTimeout(approvalsTheAppCannotAnswer(services().deps));
    if (blocked.length > 0) {
      const ids = blocked.map((decision) =>
        'approvalId' in decision.target ? decision.target.approvalId : decision.id,
      );
      problems.push(
        `${blocked.length} pending approval(s) the app's Azure DevOps identity may not answer (make it an approver: npm run setup): ${ids.slice(0, 5).join(', ')}`,
      );
    }
  } catch (error) {
    log.warn('status: pending decisions could not be read', { error: errorMessage(error).slice(0, 200) });
  }
  try {
    // PRs nothing reviews: discovered for a repo with no PR pipeline, and no review arrived.
    problems.push(...(await withTimeout(unpipelinedPrProblems(services().deps))));
  } catch (error) {
    log.warn('status: the PR threads could not be read', { error: errorMessage(error).slice(0, 200) });
  }
  if (queue && queue.poisonDepth > 0)
    problems.push(`${queue.poisonDepth} work message(s) failed 5 times and are in the poison queue`);
  const status = problems.length === 0 ? 'ok' : 'degraded';
  // Anyone may probe health; what is missing or queued is for the hub and the operator.
  if (!caller) return jsonResponse(200, { status } satisfies PublicStatus);
  return jsonResponse(200, {
    status,
    problems,
    ...known,
    ...(queue ? { queue } : {}),
  } satisfies CallerStatus);
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
