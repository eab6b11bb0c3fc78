// A button press delivered as Slack delivers it: POST to the app's interactions URL,
// `application/x-www-form-urlencoded` with `payload=<JSON>`, signed with X-Slack-Request-Timestamp
// and X-Slack-Signature, and Slack's 3-second wait for the answer.
import { randomBytes } from 'node:crypto';
import { signSlackRequest } from '../../../core/slack-signature.ts';
import type { Secret } from '../../../core/secret.ts';
import type { SimButton } from './blocks.ts';

export interface InteractionDelivery {
  id: number;
  at: string;
  channel: string;
  messageTs: string;
  actionId: string;
  value: string;
  userId: string;
  username: string;
  /** The app's HTTP status; undefined when nothing answered (no URL, timeout, network error). */
  status: number | undefined;
  /** Why the delivery failed, when it did. */
  error: string | undefined;
  durationMs: number;
  /** The start of the app's answer body, for the page. */
  responseBody: string;
}

export interface BlockActionsDelivery {
  id: number;
  interactionsUrl: string | undefined;
  signingSecret: Secret | string | undefined;
  timeoutMs: number;
  team: { id: string; domain: string };
  appId: string;
  user: { id: string; username: string; name: string };
  channel: { id: string; name: string };
  /** The message as Slack shows it now, blocks included. */
  message: Record<string, unknown>;
  messageTs: string;
  isEphemeral: boolean;
  button: SimButton;
  responseUrl: string;
}

/** The block_actions payload Slack sends for a button press. */
export function blockActionsPayload(delivery: BlockActionsDelivery, nowMs: number): Record<string, unknown> {
  const actionTs = (nowMs / 1000).toFixed(6);
  return {
    type: 'block_actions',
    user: {
      id: delivery.user.id,
      username: delivery.user.username,
      name: delivery.user.username,
      team_id: delivery.team.id,
    },
    api_app_id: delivery.appId,
    // The deprecated verification token Slack still includes; apps must use the signature instead.
    token: 'sandboxVerificationToken',
    container: {
      type: 'message',
      message_ts: delivery.messageTs,
      channel_id: delivery.channel.id,
      is_ephemeral: delivery.isEphemeral,
    },
    trigger_id: `${Math.floor(nowMs / 1000)}.${delivery.id}.${randomBytes(16).toString('hex')}`,
    team: delivery.team,
    enterprise: null,
    is_enterprise_install: false,
    channel: delivery.channel,
    message: delivery.message,
    state: { values: {} },
    response_url: delivery.responseUrl,
    actions: [
      {
        action_id: delivery.button.action_id,
        block_id: delivery.button.block_id,
        text: delivery.button.text,
        ...(delivery.button.value === undefined ? {} : { value: delivery.button.value }),
        ...(delivery.button.style === undefined ? {} : { style: delivery.button.style }),
        type: 'button',
        action_ts: actionTs,
      },
    ],
  };
}

export async function deliverBlockActions(delivery: BlockActionsDelivery): Promise<InteractionDelivery> {
  const started = Date.now();
  const record = (
    status: number | undefined,
    error: string | undefined,
    responseBody = '',
  ): InteractionDelivery => ({
    id: delivery.id,
    at: new Date(started).toISOString(),
    channel: delivery.channel.id,
    messageTs: delivery.messageTs,
    actionId: delivery.button.action_id,
    value: delivery.button.value ?? '',
    userId: delivery.user.id,
    username: delivery.user.username,
    status,
    error,
    durationMs: Date.now() - started,
    responseBody: responseBody.slice(0, 500),
  });
  if (!delivery.interactionsUrl) return record(undefined, 'no interactions URL is configured');
  const secret =
    typeof delivery.signingSecret === 'string' ? delivery.signingSecret : delivery.signingSecret?.reveal();
  if (!secret) return record(undefined, 'no signing secret is configured');

  const rawBody = `payload=${encodeURIComponent(JSON.stringify(blockActionsPayload(delivery, started)))}`;
  const timestamp = Math.floor(started / 1000);
  try {
    const response = await fetch(delivery.interactionsUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': String(timestamp),
        'x-slack-signature': signSlackRequest(secret, timestamp, rawBody),
        'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
      },
      body: rawBody,
      redirect: 'manual',
      signal: AbortSignal.timeout(delivery.timeoutMs),
    });
    const text = await response.text();
    const error =
      response.status === 200
        ? undefined
        : `the app answered ${response.status}; Slack shows the user an error`;
    return record(response.status, error, text);
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === 'TimeoutError')
      return record(undefined, `no answer within ${delivery.timeoutMs} ms; Slack shows the user an error`);
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return record(undefined, `delivery failed: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
  }
}
