// Chooses the Slack adapter from configuration, like the Python agent: a bot token when there is one
// (buttons, in-place updates), else the incoming webhook (notifications only).
import type { Config } from '../../core/config.ts';
import { ReleaseAgentError } from '../../core/errors.ts';
import type { Slack, SlackTransportOptions } from './slack.ts';
import { createWebApiSlack } from './web-api-slack.ts';
import { createWebhookSlack } from './webhook-slack.ts';

export type SlackConfig = Pick<
  Config,
  'SLACK_BOT_TOKEN' | 'SLACK_WEBHOOK_URL' | 'SLACK_API_URL' | 'SLACK_CHANNEL_ID'
>;

/** The bot adapter when SLACK_BOT_TOKEN is set (it can do everything), else the incoming webhook. */
export function createSlack(config: SlackConfig, options: SlackTransportOptions = {}): Slack {
  if (!config.SLACK_BOT_TOKEN.isEmpty) {
    return createWebApiSlack({
      ...options,
      token: config.SLACK_BOT_TOKEN,
      apiUrl: config.SLACK_API_URL || 'https://slack.com/api/',
      ...(config.SLACK_CHANNEL_ID ? { defaultChannel: config.SLACK_CHANNEL_ID } : {}),
    });
  }
  if (!config.SLACK_WEBHOOK_URL.isEmpty)
    return createWebhookSlack({ ...options, webhookUrl: config.SLACK_WEBHOOK_URL });
  throw new ReleaseAgentError(
    'CONFIG_INVALID',
    'Slack is not configured: set SLACK_BOT_TOKEN (buttons and updates) or SLACK_WEBHOOK_URL (notifications only)',
    { variables: ['SLACK_BOT_TOKEN', 'SLACK_WEBHOOK_URL'] },
  );
}
