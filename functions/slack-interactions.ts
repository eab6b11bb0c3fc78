// POST /api/slack/interactions: a button press. Verify the signature over the raw body, parse, check the
// click comes from the configured workspace (SLACK_TEAM_ID), app (SLACK_APP_ID) and channel
// (SLACK_CHANNEL_ID) and from someone allowed to answer the button's gate, queue the click signed, answer
// 200. The queue message is the only call before the 200. The worker takes the answer (single-shot, only
// on the decision's own card with a button of its gate, flows/decide.ts `answerGate`), runs the checks
// that need Azure DevOps or Slack's API (separation of duties, the PR's current commit), and decides or
// tells the clicker why not and redraws the card. A redelivery of the same click finds its answer taken.
// Refused clicks (another workspace, app, channel or card, not allowed, already decided, expired) still
// answer 200: Slack shows any other status as an error; the card or an ephemeral reply says why
// instead. So does every other verified request (a view, a shortcut, a button not ours, a payload we
// cannot read): acknowledged and ignored. Only an unverified request gets 401.
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { gateActionFromActionId, decodeActionValue } from '../core/gates.ts';
import { isReleaseAgentError, ReleaseAgentError } from '../core/errors.ts';
import { readInteraction } from '../core/slack-interaction.ts';
import { verifySlackSignature } from '../core/slack-signature.ts';
import { signClick, type TakenClick } from '../core/decision-proof.ts';
import { requireMayAnswer, requireSigningKey } from '../flows/decide.ts';
import type { Logger } from '../flows/agent-deps.ts';
import { workMessage } from '../flows/work-messages.ts';
import { enqueue, jsonResponse, readBody, requireMediaType } from './http.ts';
import { services } from './services.ts';

export async function slackInteractions(
  request: HttpRequest,
  context: InvocationContext,
  log: Logger,
): Promise<HttpResponseInit> {
  const { config, deps } = services();
  if (config.SLACK_SIGNING_SECRET.isEmpty) {
    throw new ReleaseAgentError(
      'NOT_CONFIGURED',
      'SLACK_SIGNING_SECRET is not set: Slack buttons are refused',
      {
        variables: ['SLACK_SIGNING_SECRET'],
      },
    );
  }
  const unset = [
    ...(config.SLACK_TEAM_ID ? [] : ['SLACK_TEAM_ID']),
    ...(config.SLACK_APP_ID ? [] : ['SLACK_APP_ID']),
    ...(config.SLACK_CHANNEL_ID ? [] : ['SLACK_CHANNEL_ID']),
  ];
  if (unset.length > 0) {
    // Without them any workspace's or app's signed click would count: closed until they are set.
    throw new ReleaseAgentError('NOT_CONFIGURED', `${unset.join(', ')} not set: Slack buttons are refused`, {
      variables: unset,
    });
  }
  requireMediaType(request, 'application/x-www-form-urlencoded');
  // The signature covers the bytes as sent: verify them before decoding anything.
  const raw = await readBody(request);
  const verified = verifySlackSignature({
    signingSecret: config.SLACK_SIGNING_SECRET,
    timestamp: request.headers.get('x-slack-request-timestamp'),
    signature: request.headers.get('x-slack-signature'),
    rawBody: raw,
    nowSeconds: Math.floor(deps.now().getTime() / 1000),
  });
  if (!verified.ok) {
    log.warn('Slack request refused', { reason: verified.reason });
    throw new ReleaseAgentError('SIGNATURE_INVALID', `the Slack signature was refused (${verified.reason})`, {
      reason: verified.reason,
    });
  }

  // Verified from here on: Slack gets a 200 whatever we make of it (it shows any other answer to the
  // clicker as an error).
  const interaction = readInteraction(raw);
  if (interaction.kind === 'ignored') return ignore(context, log, interaction);
  const payload = interaction.payload;
  const { action, user } = payload;
  const button = gateActionFromActionId(action.actionId);
  const value = decodeActionValue(action.value);
  if (!button || !value || value.outcome !== button.outcome) {
    return ignore(context, log, {
      type: payload.type,
      reason: 'this button is not one of its gate buttons',
      responseUrl: payload.responseUrl,
    });
  }

  // Where the click came from: this workspace, this app, this channel. Answered 200 (Slack shows any
  // other status as an error) with a note to the clicker; nothing is recorded.
  const elsewhere =
    payload.teamId !== config.SLACK_TEAM_ID
      ? 'this Slack workspace is not the one the Release Agent answers'
      : payload.apiAppId !== config.SLACK_APP_ID
        ? 'this button does not belong to the Release Agent app'
        : payload.container.channelId !== config.SLACK_CHANNEL_ID
          ? 'gates are answered only in the Release Agent channel'
          : undefined;
  if (elsewhere) {
    log.warn('Slack click from elsewhere refused', {
      decisionId: value.decisionId,
      team: payload.teamId ?? '',
      app: payload.apiAppId ?? '',
      channel: payload.container.channelId,
    });
    enqueue(context, [
      workMessage('reply', {
        responseUrl: payload.responseUrl,
        text: `Your click changed nothing: ${elsewhere}.`,
      }),
    ]);
    return jsonResponse(200, { ok: true, refused: 'FORBIDDEN' });
  }

  const click = `slack|${payload.container.channelId}|${payload.container.messageTs}|${action.actionId}|${user.id}|${action.actionTs ?? payload.triggerId ?? ''}`;
  // What needs no storage is checked here: closed without a signing key, and only someone allowed to
  // answer this button's gate. The rest (this decision's own card, its nonce, still pending, single-shot)
  // is the worker's first step, flows/decide.ts `answerGate`.
  try {
    requireSigningKey(deps);
    requireMayAnswer(deps, button.gate, user.id, value.decisionId);
  } catch (error) {
    if (!isReleaseAgentError(error)) throw error;
    // Not allowed here, or not configured (no signing key): nothing is queued; only the clicker is told.
    log.info('Slack click refused', { decisionId: value.decisionId, code: error.code });
    enqueue(context, [
      workMessage('reply', {
        responseUrl: payload.responseUrl,
        text: `Your click changed nothing: ${error.message}`,
      }),
    ]);
    return jsonResponse(200, { ok: true, refused: error.code });
  }
  const taken: TakenClick = {
    decisionId: value.decisionId,
    outcome: value.outcome,
    nonce: value.nonce,
    by: user.id,
    card: { channel: payload.container.channelId, ts: payload.container.messageTs, gate: button.gate },
    click,
    responseUrl: payload.responseUrl,
  };
  // The queue message is the one durable write before the 200; the worker verifies its proof first.
  const proof = signClick(taken, deps.settings.decisionSigningKey) ?? '';
  enqueue(context, [workMessage('answer', { ...taken, proof })]);
  return jsonResponse(200, { ok: true, accepted: true });
}

/**
 * A verified interaction the Release Agent does not act on: acknowledged (200) and ignored, with a note
 * to the clicker where Slack gives a response_url. Views and option requests get an empty 200, which
 * is how Slack expects them acknowledged (it closes a modal).
 */
function ignore(
  context: InvocationContext,
  log: Logger,
  interaction: { type: string; reason: string; responseUrl: string | undefined },
): HttpResponseInit {
  log.info('Slack interaction ignored', { type: interaction.type, reason: interaction.reason.slice(0, 200) });
  if (interaction.responseUrl) {
    enqueue(context, [
      workMessage('reply', {
        responseUrl: interaction.responseUrl,
        text: `The Release Agent did nothing with this: ${interaction.reason}.`,
      }),
    ]);
  }
  if (interaction.type.startsWith('view_') || interaction.type === 'block_suggestion')
    return { status: 200, headers: { 'cache-control': 'no-store' } };
  return jsonResponse(200, { ok: true, ignored: interaction.type });
}
