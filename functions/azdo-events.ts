// POST /api/azdo/events: Azure DevOps service hooks. Authenticate the subscription's shared secret
// (X-Webhook-Secret or basic auth, two secrets during a rotation), validate, dedupe (one claim: what
// the event means, else its id), queue the work and answer 2xx. Azure DevOps retries 408/502/503/504
// but puts a subscription on probation after any other failure and disables it on 410: bad input gets
// a 4xx, our own trouble a 503, never a 500 or a 410.
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { ReleaseAgentError } from '../core/errors.ts';
import { parseServiceHookEvent, pullRequestEventMeaning } from '../core/service-hook-events.ts';
import { verifyWebhookAuth } from '../core/shared-secret.ts';
import { isWatched, type Logger } from '../flows/agent-deps.ts';
import { workMessage } from '../flows/work-messages.ts';
import { enqueue, jsonResponse, readBody, requireMediaType } from './http.ts';
import { services } from './services.ts';

/** Azure DevOps redelivers for minutes; an event id (and a completion) is remembered for a week. */
const EVENT_DEDUPE_SECONDS = 7 * 86_400;
/** Distinct events that mean the same thing (created + updated for one push, say) within this window. */
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
  // An event type we do not handle changes nothing: no claim to write.
  if (event.kind === 'other') {
    log.info('service-hook event type not handled: ignored', {
      eventType: event.eventType,
      eventId: event.id,
    });
    return jsonResponse(200, { status: 'ignored', eventId: event.id });
  }
  switch (event.kind) {
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
      // One claim, the one storage write the acknowledgement waits on. Distinct deliveries of one
      // push or one completion act once: the claim is what the event means (a redelivery means what
      // it meant, so this dedupes its id too); a completion is final and remembered as long as event
      // ids are. Only an event without a meaning is claimed by its id. A redelivery after the window
      // is queued again, and the worker's REST re-read finds nothing new.
      const meaning = pullRequestEventMeaning(event);
      const claimed = meaning
        ? await deps.store.inbox.claim(
            meaning,
            event.status === 'completed' ? EVENT_DEDUPE_SECONDS : MEANING_DEDUPE_SECONDS,
            now,
          )
        : await deps.store.inbox.claim(`azdo-event|${event.id}`, EVENT_DEDUPE_SECONDS, now);
      if (!claimed) {
        return jsonResponse(200, { status: 'duplicate', eventId: event.id });
      }
      // Only a pointer is queued: the worker re-reads the PR through REST before acting on it.
      enqueue(context, [workMessage('pr', { source: 'webhook', repo: event.repo, prId: event.prId })]);
      return jsonResponse(200, { status: 'queued', eventId: event.id });
    }
    case 'approval': {
      const meaning = `azdo-approval|${event.approvalId}|${event.status}`;
      if (!(await deps.store.inbox.claim(meaning, MEANING_DEDUPE_SECONDS, now))) {
        return jsonResponse(200, { status: 'duplicate', eventId: event.id });
      }
      enqueue(context, [
        workMessage('approval', {
          source: 'webhook',
          approvalId: event.approvalId,
          ...(event.environment ? { environment: event.environment.slice(0, 256) } : {}),
          ...(event.stage ? { stage: event.stage.slice(0, 256) } : {}),
          ...(event.runId ? { runId: event.runId } : {}),
          ...(event.pipelineId ? { pipelineId: event.pipelineId } : {}),
        }),
      ]);
      return jsonResponse(200, { status: 'queued', eventId: event.id });
    }
  }
}
