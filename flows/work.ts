// The queue worker's dispatch: one handler per message kind, each idempotent (see work-messages.ts).
import type { PipelineRun } from '../adapters/azdo/azdo.ts';
import { isReleaseAgentError } from '../core/errors.ts';
import type { AgentDeps } from './agent-deps.ts';
import { observeApproval } from './approval-gates.ts';
import { verifyClickProof } from '../core/decision-proof.ts';
import { answerGate, confirmAnswer, effectFor } from './decide.ts';
import { type EffectAttempt, isTransient, performEffect, refuseUnproven } from './decision-effects.ts';
import { refreshCard } from './gate-requests.ts';
import { observePullRequest } from './pr-discovery.ts';
import { type WorkMessage, type WorkMessageOf, workMessage } from './work-messages.ts';

/** How many deliveries the host makes before a message goes to the poison queue (host.json maxDequeueCount). */
export const MAX_DEQUEUE_COUNT = 5;

/** Runs one message; throws to have it redelivered (the host counts attempts and poisons after the last). */
export async function handleWorkMessage(
  deps: AgentDeps,
  message: WorkMessage,
  attempt: EffectAttempt,
): Promise<void> {
  switch (message.kind) {
    case 'effect':
      await performEffect(deps, message, attempt);
      return;
    case 'answer':
      await answerAndPerform(deps, message, attempt);
      return;
    case 'confirm':
      await confirmAndPerform(deps, message, attempt);
      return;
    case 'card': {
      const decision = await deps.store.decisions.get(message.decisionId);
      if (decision)
        await refreshCard(deps, decision, message.notice === 'repeated' ? { repeatedClick: true } : {});
      return;
    }
    case 'reply':
      await reply(deps, message);
      return;
    case 'pr': {
      const result = await observePullRequest(deps, {
        repo: message.repo,
        prId: message.prId,
        source: message.source,
        requestId: message.id,
        ...(message.force ? { force: true } : {}),
      });
      deps.log.info('PR observed', {
        repo: message.repo,
        prId: message.prId,
        outcome: result.outcome,
        reason: result.reason ?? null,
      });
      return;
    }
    case 'approval': {
      const outcome = await observeApproval(deps, message.approvalId, {
        ...(message.environment ? { environment: message.environment } : {}),
        ...(message.stage ? { stage: message.stage } : {}),
        ...(message.runId ? { runId: message.runId } : {}),
        ...(message.pipelineId ? { pipelineId: message.pipelineId } : {}),
      });
      deps.log.info('approval observed', { approvalId: message.approvalId, outcome });
      return;
    }
    case 'release':
      await queueRelease(deps, message);
      return;
  }
}

/** The refusals a clicker learns about from a note (the card cannot show them). */
const NOTED_REFUSALS = new Set([
  'FORBIDDEN',
  'CONFLICT',
  'DECISION_NOT_FOUND',
  'DECISION_NONCE_MISMATCH',
  'DECISION_TARGET_MISMATCH',
  'INPUT_INVALID',
]);

/**
 * A Slack click the acknowledgement queued: take the answer (storage only, flows/decide.ts
 * `answerGate`: this card, this gate's button, the nonce, still pending), then its checks and its
 * effect in the same run. A message without the app's proof is audited and dropped. A redelivery finds
 * its answer taken and goes on with the checks.
 */
async function answerAndPerform(
  deps: AgentDeps,
  message: WorkMessageOf<'answer'>,
  attempt: EffectAttempt,
): Promise<void> {
  const proof = verifyClickProof(message, message.proof, deps.settings.decisionSigningKey);
  if (!proof.ok) {
    await refuseUnproven(deps, 'answer-refused', message.decisionId, `click proof ${proof.reason}`);
    return;
  }
  const taken = await answerGate(deps, {
    decisionId: message.decisionId,
    outcome: message.outcome,
    nonce: message.nonce,
    by: message.by,
    via: 'slack',
    card: message.card,
    click: message.click,
    responseUrl: message.responseUrl,
  });
  if (taken.kind === 'refused') {
    // Storage trouble refuses nobody: the message is redelivered.
    if (isTransient(taken.error)) throw taken.error;
    const notes = NOTED_REFUSALS.has(taken.error.code)
      ? [
          workMessage('reply', {
            responseUrl: message.responseUrl,
            text: `Your click changed nothing: ${taken.error.message}`,
          }),
        ]
      : [];
    for (const follow of [...taken.messages, ...notes])
      await deps.workQueue?.send(follow, { delaySeconds: 0 });
    deps.log.info('Slack click refused', { decisionId: message.decisionId, code: taken.error.code });
    return;
  }
  await confirmAndPerform(deps, workMessage('confirm', { decisionId: message.decisionId }), attempt);
}

/**
 * A Slack answer's checks, then its effect in the same run (one queue hop from click to merge). The
 * refusal's note and card go through the queue, so a failure to send them is retried on its own.
 */
async function confirmAndPerform(
  deps: AgentDeps,
  message: WorkMessageOf<'confirm'>,
  attempt: EffectAttempt,
): Promise<void> {
  const result = await confirmAnswer(deps, message.decisionId);
  if (result.kind === 'refused') {
    for (const follow of result.messages) await deps.workQueue?.send(follow, { delaySeconds: 0 });
    deps.log.info('answer not taken', { decisionId: message.decisionId, code: result.error.code });
    return;
  }
  await performEffect(
    deps,
    workMessage('effect', { decisionId: result.decision.id, effect: effectFor(result.decision) }),
    attempt,
  );
}

async function reply(deps: AgentDeps, message: WorkMessageOf<'reply'>): Promise<void> {
  if (!deps.slack) return;
  try {
    await deps.slack.respond(message.responseUrl, {
      text: message.text,
      replaceOriginal: false,
      responseType: 'ephemeral',
    });
  } catch (error) {
    // An expired or used-up response_url will not get better.
    if (isTransient(error)) throw error;
    deps.log.warn('could not reply to the clicker', {
      code: isReleaseAgentError(error) ? error.code : 'unknown',
    });
  }
}

/** Queues a repo's release pipeline once per request (the claim survives a redelivery). */
async function queueRelease(deps: AgentDeps, message: WorkMessageOf<'release'>): Promise<void> {
  if (!deps.azdo) return;
  const claim = `release-run|${message.id}`;
  if (!(await deps.store.inbox.claim(claim, 7 * 86_400, deps.now()))) return;
  let run: PipelineRun;
  try {
    run = await deps.azdo.runPipeline(message.pipelineId);
  } catch (error) {
    // The redelivery must try again, not find the claim and drop the operator's request.
    await deps.store.inbox.release(claim);
    throw error;
  }
  await deps.store.audit.append({
    at: deps.now().toISOString(),
    actor: message.requestedBy,
    action: 'release.run-queued',
    subject: message.repo,
    detail: { pipelineId: message.pipelineId, runId: run.id },
  });
  deps.log.info('release pipeline queued', {
    repo: message.repo,
    pipelineId: message.pipelineId,
    runId: run.id,
  });
}
