// GET /api/approvals/pending and POST /api/approvals/{threadId} (merge | cancel | approve | skip, or the
// gate's own button verb): the Python agent's approval endpoints, for operators and the hub. The decider
// is always the authenticated identity (the hub user's id, or `operator` for X-Operator-Token), checked
// against GATE_ALLOWED_USERS like a Slack clicker; a `by` in the body is refused.
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import * as z from 'zod/mini';
import { ReleaseAgentError } from '../core/errors.ts';
import { GATE_ACTIONS } from '../core/gates.ts';
import type { Decision } from '../core/model.ts';
import type { Logger } from '../flows/agent-deps.ts';
import { decideGate } from '../flows/decide.ts';
import {
  authenticate,
  enqueue,
  errorBody,
  invalidInput,
  jsonResponse,
  readJsonBody,
  statusOf,
} from './http.ts';
import { services } from './services.ts';

const verb = z.string().check(z.trim(), z.minLength(1), z.maxLength(100));

/** `action` (or the Python agent's `decision`), the decision it answers, and `by` only to refuse it. */
const decideBody = z.object({
  action: z.optional(verb),
  decision: z.optional(verb),
  decisionId: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
  by: z.optional(z.unknown()),
});

/** A decision as the API shows it: never its nonce. */
export function decisionView(decision: Decision): Record<string, unknown> {
  const spec = GATE_ACTIONS[decision.gate];
  const { nonce: _nonce, ...rest } = decision;
  return {
    ...rest,
    gateNumber: spec.number,
    title: spec.title,
    repo: decision.target.repo,
    actions: { approve: spec.approve.label.toLowerCase(), reject: spec.reject.label.toLowerCase() },
  };
}

export async function pendingApprovalsHandler(request: HttpRequest): Promise<HttpResponseInit> {
  const { config, deps } = services();
  authenticate(request, config, Math.floor(deps.now().getTime() / 1000));
  const repo = request.query.get('repo') ?? undefined;
  const pending = await deps.store.decisions.listPending(repo ? { repo } : {});
  return jsonResponse(200, { pending: pending.map(decisionView) });
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
  const body = await readJsonBody(request, decideBody);
  const action = body.action ?? body.decision;
  if (!action) invalidInput('action', 'required (merge, cancel, approve, skip, …)');
  const decisionId = body.decisionId;
  // Who decides is who authenticated: a name in the body would let a caller speak for someone else.
  if (body.by !== undefined) {
    throw new ReleaseAgentError(
      'INPUT_INVALID',
      'by is not accepted: the decider is the authenticated caller (hub user or operator)',
      { field: 'by' },
    );
  }
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
    });
  }
  return jsonResponse(200, { decision: decisionView(result.decision), effect: 'queued' });
}
