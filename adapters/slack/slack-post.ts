// POSTing JSON to a Slack hook URL: an incoming webhook or a button's response_url. Both carry their
// credential in the URL path, so the URL is treated as a secret and never appears in an error.
import { ReleaseAgentError } from '../../core/errors.ts';
import type { Secret } from '../../core/secret.ts';
import { createHttpClient } from '../http/http-client.ts';
import { DEFAULT_RETRY_POLICY } from '../http/retry.ts';
import {
  SLACK_DEFAULT_TIMEOUT_MS,
  SLACK_RESPONSE_URL_ORIGIN,
  type SlackResponse,
  type SlackTransportOptions,
} from './slack.ts';
import { slackApiError, slackReplyError } from './slack-errors.ts';

// Statuses that carry a Slack error code in the body: read them instead of failing generically.
const SLACK_ERROR_STATUSES = [400, 403, 404, 410];

export type HookPoster = (operation: string, body: unknown) => Promise<void>;

/**
 * A poster for one hook URL. Keep it for the URL's lifetime: its HTTP client remembers a
 * Retry-After, so the next post waits (or fails fast) instead of hitting a rate-limited Slack.
 */
export function createHookPoster(
  hookUrl: Secret | string,
  service: string,
  options: SlackTransportOptions,
): HookPoster {
  const url = new URL(typeof hookUrl === 'string' ? hookUrl : hookUrl.reveal());
  const client = createHttpClient({
    service,
    baseUrl: url.origin,
    secrets: [hookUrl, url.pathname],
    timeoutMs: options.timeoutMs ?? SLACK_DEFAULT_TIMEOUT_MS,
    retry: { ...DEFAULT_RETRY_POLICY, ...options.retry },
    ...(options.clock ? { clock: options.clock } : {}),
  });
  return async (operation, body) => {
    // A POST: retried only where Slack cannot have processed it (429, 503, refused connection).
    const response = await client.request(operation, 'POST', url.pathname + url.search, {
      body,
      acceptStatuses: SLACK_ERROR_STATUSES,
    });
    const slackError = slackReplyError(response.status, response.body);
    if (slackError === undefined) return;
    const fields = { service, operation, status: response.status };
    if (slackError === 'unexpected_reply' || slackError.startsWith('http_')) {
      throw new ReleaseAgentError(
        'SERVICE_MALFORMED',
        `${service} ${operation} answered ${response.status} with an unexpected body`,
        fields,
      );
    }
    throw slackApiError(slackError, fields);
  };
}

/** Replies through a response_url, after checking it points at Slack (or the configured simulator). */
export async function respondViaUrl(
  responseUrl: string,
  response: SlackResponse,
  options: SlackTransportOptions,
): Promise<void> {
  let url: URL;
  try {
    url = new URL(responseUrl);
  } catch {
    throw new ReleaseAgentError('INPUT_INVALID', 'the Slack response_url is not a URL', {
      service: 'slack',
      field: 'responseUrl',
    });
  }
  const allowed = options.responseUrlOrigins ?? [SLACK_RESPONSE_URL_ORIGIN];
  if (!allowed.includes(url.origin)) {
    throw new ReleaseAgentError(
      'INPUT_INVALID',
      `the Slack response_url must be on ${allowed.join(' or ')}`,
      {
        service: 'slack',
        field: 'responseUrl',
        origin: url.origin,
      },
    );
  }
  const replace = response.replaceOriginal ?? true;
  const body = {
    text: response.text,
    ...(response.blocks ? { blocks: response.blocks } : {}),
    replace_original: replace,
    ...(replace ? {} : { response_type: response.responseType ?? 'ephemeral' }),
  };
  await createHookPoster(responseUrl, 'slack', options)('response_url', body);
}
