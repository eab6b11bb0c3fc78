// POST /api/slack/interactions: a button press. Verify the signature over the raw body, parse, check the
// click comes from the configured workspace (SLACK_TEAM_ID), app (SLACK_APP_ID) and channel
// (SLACK_CHANNEL_ID), dedupe the delivery, record the decision (single-shot, only on the decision's own
// card with a button of its gate), queue the side effect, answer 200, all well inside Slack's 3 s.
// Refused clicks (another workspace, app, channel or card, not allowed, already decided, a newer push,
// expired) still answer 200: Slack shows any other status as an error; the card or an ephemeral reply
// says why instead.
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { gateActionFromActionId, decodeActionValue } from '../core/gates.ts';
import { ReleaseAgentError } from '../core/errors.ts';
import { parseBlockActions } from '../core/slack-interaction.ts';
import { verifySlackSignature } from '../core/slack-signature.ts';
import { decideGate } from '../flows/decide.ts';
import type { Logger } from '../flows/agent-deps.ts';
import { workMessage } from '../flows/work-messages.ts';
import { enqueue, jsonResponse, readBody, requireMediaType } from './http.ts';
import { services } from './services.ts';

/** A delivery Slack retries (or a double submit) is the same click for a day. */
const CLICK_DEDUPE_SECONDS = 86_400;

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

  const payload = parseBlockActions(raw);
  const { action, user } = payload;
  const button = gateActionFromActionId(action.actionId);
  const value = decodeActionValue(action.value);
  if (!button || !value || value.outcome !== button.outcome) {
    throw new ReleaseAgentError('INPUT_INVALID', 'not a Release Agent button', { field: 'actions[0]' });
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

  const clickKey = `slack|${payload.container.channelId}|${payload.container.messageTs}|${action.actionId}|${user.id}|${action.actionTs ?? payload.triggerId ?? ''}`;
  if (!(await deps.store.inbox.claim(clickKey, CLICK_DEDUPE_SECONDS, deps.now()))) {
    log.info('duplicate Slack delivery ignored', { decisionId: value.decisionId });
    return jsonResponse(200, { ok: true, duplicate: true });
  }

  const result = await decideGate(
    { ...deps, log },
    {
      decisionId: value.decisionId,
      outcome: value.outcome,
      nonce: value.nonce,
      by: user.id,
      via: 'slack',
      card: { channel: payload.container.channelId, ts: payload.container.messageTs, gate: button.gate },
    },
  );
  const messages = [...result.messages];
  if (result.kind === 'refused') {
    log.info('Slack click refused', { decisionId: value.decisionId, code: result.error.code });
    // Only the clicker learns about a refusal that the card cannot show.
    if (
      [
        'FORBIDDEN',
        'DECISION_NOT_FOUND',
        'DECISION_NONCE_MISMATCH',
        'DECISION_TARGET_MISMATCH',
        'INPUT_INVALID',
      ].includes(result.error.code)
    ) {
      messages.push(
        workMessage('reply', {
          responseUrl: payload.responseUrl,
          text: `Your click changed nothing: ${result.error.message}`,
        }),
      );
    }
  }
  enqueue(context, messages);
  return jsonResponse(200, {
    ok: true,
    ...(result.kind === 'refused' ? { refused: result.error.code } : {}),
  });
}
