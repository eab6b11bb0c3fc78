// Slack through an incoming webhook (SLACK_WEBHOOK_URL): POST `{ text, blocks }`, answered `ok`.
// Notifications only: the webhook returns no message handle, so nothing can be updated later, and
// buttons are left out (no click could be answered in place). updateMessage reports
// `{ updated: false, reason: 'webhook_mode' }` instead of throwing: a decision taken in the hub
// or REST must not fail because the card cannot show it.
import { ReleaseAgentError } from '../../core/errors.ts';
import type { Secret } from '../../core/secret.ts';
import type {
  PostedMessage,
  Slack,
  SlackBlock,
  SlackMessage,
  SlackResponse,
  SlackTransportOptions,
  UpdateResult,
} from './slack.ts';
import { createHookPoster, respondViaUrl } from './slack-post.ts';

export interface WebhookSlackOptions extends SlackTransportOptions {
  webhookUrl: Secret;
}

export function createWebhookSlack(options: WebhookSlackOptions): Slack {
  assertWebhookUrl(options.webhookUrl);
  const post = createHookPoster(options.webhookUrl, 'slack-webhook', options);
  return {
    mode: 'webhook',
    interactive: false,

    async postMessage(message: SlackMessage): Promise<PostedMessage> {
      const blocks = message.blocks ? withoutButtons(message.blocks) : undefined;
      const body = { text: message.text, ...(blocks && blocks.length > 0 ? { blocks } : {}) };
      await post('webhook.post', body);
      return { channel: undefined, ts: undefined };
    },

    async updateMessage(): Promise<UpdateResult> {
      return { updated: false, reason: 'webhook_mode' };
    },

    async respond(responseUrl: string, response: SlackResponse): Promise<void> {
      await respondViaUrl(responseUrl, response, options);
    },
  };
}

/** Drops `actions` blocks and button accessories: a webhook card is read, not answered. */
export function withoutButtons(blocks: readonly SlackBlock[]): SlackBlock[] {
  return blocks
    .filter((block) => block.type !== 'actions')
    .map((block) => {
      const accessory = block.accessory as { type?: unknown } | undefined;
      if (block.type !== 'section' || accessory?.type !== 'button') return block;
      const { accessory: _dropped, ...rest } = block;
      return rest;
    });
}

function assertWebhookUrl(webhookUrl: Secret): void {
  let valid = false;
  try {
    const url = new URL(webhookUrl.reveal());
    valid = url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    valid = false;
  }
  // The URL is the credential: say what is wrong without echoing it.
  if (!valid)
    throw new ReleaseAgentError('CONFIG_INVALID', 'SLACK_WEBHOOK_URL is not an http(s) URL', {
      variables: ['SLACK_WEBHOOK_URL'],
    });
}
