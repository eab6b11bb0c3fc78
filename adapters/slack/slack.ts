// The Slack port: post a card, update it in place, answer a button through its response_url.
// Two adapters, like the Python agent: a bot token (Web API, buttons and in-place updates) and an
// incoming webhook (notifications only: no buttons, no updates). create-slack.ts picks one from config.
import type { Clock } from '../../core/clock.ts';
import type { RetryPolicy } from '../http/retry.ts';

/** A Block Kit block as plain JSON (core/slack-cards.ts builds them; this adapter does not look inside). */
export type SlackBlock = Readonly<Record<string, unknown>>;

export interface SlackMessage {
  /** Channel id; defaults to SLACK_CHANNEL_ID. An incoming webhook ignores it: it is bound to its channel. */
  channel?: string;
  /** Fallback text for notifications and screen readers, and the whole message when there are no blocks. */
  text: string;
  blocks?: readonly SlackBlock[];
}

export interface SlackMessageUpdate {
  channel: string;
  ts: string;
  text: string;
  /** The new blocks; omitted keeps the message's current blocks (Slack's rule), [] removes them. */
  blocks?: readonly SlackBlock[];
}

/** Channel id and ts, the handle an update needs; both undefined after an incoming webhook, which answers only "ok". */
export type PostedMessage = { channel: string; ts: string } | { channel: undefined; ts: undefined };

/** An incoming webhook cannot edit what it posted: the update is skipped and the caller is told so. */
export type UpdateResult = { updated: true } | { updated: false; reason: 'webhook_mode' };

/** A reply through a button's response_url (valid 30 minutes, 5 uses; needs no token). */
export interface SlackResponse {
  text: string;
  blocks?: readonly SlackBlock[];
  /** true (default): the message the button sits on is replaced; false: a new message is posted. */
  replaceOriginal?: boolean;
  /** For a new message: only the clicker sees it (Slack's default) or the whole channel. */
  responseType?: 'ephemeral' | 'in_channel';
}

export type SlackMode = 'bot' | 'webhook';

export interface Slack {
  readonly mode: SlackMode;
  /** Buttons can be answered and messages updated in place (bot mode). Cards should leave buttons out otherwise. */
  readonly interactive: boolean;
  postMessage(message: SlackMessage): Promise<PostedMessage>;
  updateMessage(update: SlackMessageUpdate): Promise<UpdateResult>;
  respond(responseUrl: string, response: SlackResponse): Promise<void>;
  /**
   * A user's profile e-mail (`users.info`, scopes users:read and users:read.email); undefined when
   * Slack gives none. Bot mode only: an incoming webhook cannot look anyone up.
   */
  userEmail?(userId: string): Promise<string | undefined>;
}

export interface SlackTransportOptions {
  /** Per HTTP attempt (default 10 s). */
  timeoutMs?: number;
  /** Bounds on retries (429 with Retry-After, 502/503/504, network faults where safe); default 5 attempts in 60 s. */
  retry?: Partial<RetryPolicy>;
  clock?: Clock;
  /**
   * Origins a response_url may point at. Default: Slack's (https://hooks.slack.com), plus the origin
   * of a non-Slack API URL in bot mode (the sandbox's simulator serves response URLs too).
   */
  responseUrlOrigins?: readonly string[];
}

export const SLACK_DEFAULT_TIMEOUT_MS = 10_000;
export const SLACK_RESPONSE_URL_ORIGIN = 'https://hooks.slack.com';

/** Where response URLs may point for a Web API base URL: Slack's hooks host, and a simulator's own origin. */
export function defaultResponseUrlOrigins(apiUrl: string | undefined): string[] {
  const origin = apiUrl ? new URL(apiUrl).origin : 'https://slack.com';
  return origin === 'https://slack.com' ? [SLACK_RESPONSE_URL_ORIGIN] : [SLACK_RESPONSE_URL_ORIGIN, origin];
}
