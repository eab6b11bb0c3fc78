// POST /api/azdo/events: Azure DevOps service hooks. Authenticate the subscription's shared secret
// (X-Webhook-Secret or basic auth, two secrets during a rotation), validate, dedupe (by what the event
// means, or by its id for a completion), queue the work and answer 2xx. Azure DevOps retries 408/502/503/504 but puts
// a subscription on probation after any other failure and disables it on 410: bad input gets a 4xx,
// our own trouble a 503, never a 500 or a 410.
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { ReleaseAgentError } from '../core/errors.ts';
import { parseServiceHookEvent } from '../core/service-hook-events.ts';
import { verifyWebhookAuth } from '../core/shared-secret.ts';
import { isWatched, type Logger } from '../flows/agent-deps.ts';
import { workMessage } from '../flows/work-messages.ts';
import { enqueue, jsonResponse, readBody, requireMediaType } from './http.ts';
import { services } from './services.ts';

/** Azure DevOps redelivers for minutes; an event id is remembered for a week. */
const EVENT_DEDUPE_SECONDS = 7 * 86_400;
/**
 * Distinct events that mean the same thing (created + updated for one push, say), and redeliveries of
 * one, within this window. A later one only queues a pointer the worker finds already handled.
 */
const MEANING_DEDUPE_SECONDS = 600;

export async function azdoEvents(
  request: HttpRequest,
  context: InvocationContext,
  log: Logger,
): Promise<HttpResponseInit> {
  const { config, deps } = services();
  const auth = verifyWebhookAuth({
    secrets: [config.WEBHOOK_SECRET, config.WEBHOOK_SECRET_PREVIOUS],
    secretHeader: request.headers.get('x-webhook-secret'),
    authorization: request.headers.get('authorization'),
  });
  if (!auth.ok) {
    if (auth.reason === 'not_configured') {
      throw new ReleaseAgentError('NOT_CONFIGURED', 'WEBHOOK_SECRET is not set: service hooks are refused', {
        variables: ['WEBHOOK_SECRET'],
      });
    }
    log.warn('service hook refused', { reason: auth.reason });
    throw new ReleaseAgentError('AUTH_INVALID', 'the service hook did not present an accepted secret', {
      reason: auth.reason,
    });
  }
  requireMediaType(request, 'application/json');
  const raw = await readBody(request);
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new ReleaseAgentError('INPUT_INVALID', 'the body is not valid JSON', { field: 'body' });
  }
  const event = parseServiceHookEvent(body);
  const now = deps.now();
  // One claim per event, the narrowest that dedupes it: what it means (which also covers a redelivery
  // of the same event) for a push or an approval, its id for a completion. An ignored event needs none.
  const duplicate = async (key: string, seconds: number) =>
    !(await deps.store.inbox.claim(key, seconds, now))
      ? jsonResponse(200, { status: 'duplicate', eventId: event.id })
      : undefined;

  switch (event.kind) {
    case 'other':
      log.info('service-hook event type not handled: ignored', {
        eventType: event.eventType,
        eventId: event.id,
      });
      return jsonResponse(200, { status: 'ignored', eventId: event.id });
    case 'pull-request': {
      if (!isWatched(deps.settings, event.repo))
        return jsonResponse(200, { status: 'ignored', reason: 'repository not watched' });
      if (
        event.status === 'active' &&
        event.targetRefName &&
        event.targetRefName !== deps.settings.targetBranch
      ) {
        return jsonResponse(200, { status: 'ignored', reason: `targets ${event.targetRefName}` });
      }
      // A completion is rare and confirmed through REST: never let an earlier event's claim hide it.
      const refused =
        event.status === 'active'
          ? await duplicate(
              `azdo-pr|${event.repo.toLowerCase()}|${event.prId}|${event.status}|${event.sourceCommit ?? ''}`,
              MEANING_DEDUPE_SECONDS,
            )
          : await duplicate(`azdo-event|${event.id}`, EVENT_DEDUPE_SECONDS);
      if (refused) return refused;
      // Only a pointer is queued: the worker re-reads the PR through REST before acting on it.
      enqueue(context, [workMessage('pr', { source: 'webhook', repo: event.repo, prId: event.prId })]);
      return jsonResponse(200, { status: 'queued', eventId: event.id });
    }
    case 'approval': {
      const refused = await duplicate(
        `azdo-approval|${event.approvalId}|${event.status}`,
        MEANING_DEDUPE_SECONDS,
      );
      if (refused) return refused;
      enqueue(context, [
        workMessage('approval', {
          source: 'webhook',
          approvalId: event.approvalId,
          ...(event.environment ? { environment: event.environment.slice(0, 256) } : {}),
          ...(event.stage ? { stage: event.stage.slice(0, 256) } : {}),
          ...(event.runId ? { runId: event.runId } : {}),
          ...(event.pipelineId ? { pipelineId: event.pipelineId } : {}),
          ...(event.pipelineName ? { pipelineName: event.pipelineName.slice(0, 256) } : {}),
        }),
      ]);
      return jsonResponse(200, { status: 'queued', eventId: event.id });
    }
  }
}
