// GET /api/approvals/pending and POST /api/approvals/{threadId} (merge | cancel | approve | skip, or the
// gate's own button verb): the Python agent's approval endpoints, for operators and the hub. The decider
// is always the authenticated identity (the hub user's id, or `operator` for X-Operator-Token), checked
// against GATE_ALLOWED_USERS like a Slack clicker; a `by` in the body is refused.
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import * as z from 'zod/mini';
import { ReleaseAgentError } from '../core/errors.ts';
import {
  type DecideRefusal,
  type DecideResponse,
  decisionView,
  type PendingResponse,
} from '../core/views.ts';
import type { Logger } from '../flows/agent-deps.ts';
import { decideGate } from '../flows/decide.ts';
import { enqueue, errorBody, invalidInput, jsonResponse, readJsonBody, statusOf } from './http.ts';
import { authenticate } from './auth.ts';
import { services } from './services.ts';

/** What POST /api/approvals/{threadId} reads: DecideRequest, plus `decision` (the Python agent's name for `action`). */
const DECIDE_FIELDS: ReadonlySet<string> = new Set(['action', 'decision', 'decisionId']);

const verb = z.string().check(z.trim(), z.minLength(1), z.maxLength(100));

/** Loose: the fields it does not read are kept, to be refused by name below. */
const decideBody = z.looseObject({
  action: z.optional(verb),
  decision: z.optional(verb),
  decisionId: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
});

export async function pendingApprovalsHandler(request: HttpRequest): Promise<HttpResponseInit> {
  const { config, deps } = services();
  authenticate(request, config, Math.floor(deps.now().getTime() / 1000));
  const repo = request.query.get('repo') ?? undefined;
  const pending = await deps.store.decisions.listPending(repo ? { repo } : {});
  return jsonResponse(200, { pending: pending.map(decisionView) } satisfies PendingResponse);
}

export async function decideApprovalHandler(
  request: HttpRequest,
  context: InvocationContext,
  log: Logger,
): Promise<HttpResponseInit> {
  const { config, deps } = services();
  const caller = authenticate(request, config, Math.floor(deps.now().getTime() / 1000));
  const threadId = request.params.threadId?.trim();
  if (!threadId || threadId.length > 400)
    throw new ReleaseAgentError('INPUT_INVALID', 'threadId is required', { field: 'threadId' });
  const body: Record<string, unknown> & z.infer<typeof decideBody> = await readJsonBody(request, decideBody);
  // Who decides is who authenticated: a name in the body would let a caller speak for someone else.
  if (body.by !== undefined) {
    throw new ReleaseAgentError(
      'INPUT_INVALID',
      'by is not accepted: the decider is the authenticated caller (hub user or operator)',
      { field: 'by' },
    );
  }
  // A field the API does not read is refused, not ignored: the caller would believe it counted (a
  // nonce, say: it proves a Slack button came from its card; an API caller proves itself by its token).
  const unknown = Object.keys(body).find((name) => !DECIDE_FIELDS.has(name));
  if (unknown !== undefined) {
    throw new ReleaseAgentError(
      'INPUT_INVALID',
      `${unknown.slice(0, 60)} is not accepted: the body is { action, decisionId }`,
      { field: unknown.slice(0, 60) },
    );
  }
  const action = body.action ?? body.decision;
  if (!action) invalidInput('action', 'required (merge, cancel, approve, skip, …)');
  const decisionId = body.decisionId;
  const result = await decideGate(
    { ...deps, log },
    {
      threadId,
      ...(decisionId ? { decisionId } : {}),
      action,
      by: caller.kind === 'hub' ? caller.userId : caller.name,
      via: caller.kind === 'hub' ? 'hub' : 'api',
    },
  );
  // Refusals still redraw the card (superseded, expired, "changed nothing").
  enqueue(context, result.messages);
  if (result.kind === 'refused') {
    return jsonResponse(statusOf(result.error), {
      ...errorBody(result.error.code, result.error.message),
      ...(result.decision ? { decision: decisionView(result.decision) } : {}),
    } satisfies DecideRefusal);
  }
  return jsonResponse(200, {
    decision: decisionView(result.decision),
    effect: 'queued',
  } satisfies DecideResponse);
}
