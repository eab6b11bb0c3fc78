// Slack through the Web API with a bot token (@slack/web-api v8): chat.postMessage and chat.update.
//
// Retries: the client's own policy is switched off (its default retries for ~30 minutes and repeats
// a chat.postMessage after a timeout, posting the card twice). Our bounded withRetries owns them
// instead: Retry-After honoured within the total budget, 502/503/504 and network faults retried
// only where repeating is safe (chat.update always, chat.postMessage only when Slack cannot have
// processed it). For that the client hands a 429 straight back (rejectRateLimitedCalls) rather than
// sleeping for as long as Slack asks; no rate-limited call is dropped: withRetries waits and retries.
import {
  type Logger,
  LogLevel,
  type WebAPICallResult,
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
  WebClient,
} from '@slack/web-api';
import * as z from 'zod/mini';
import { ReleaseAgentError } from '../../core/errors.ts';
import { formatIssue, parseWith } from '../../core/input.ts';
import { redact, type Secret } from '../../core/secret.ts';
import { DEFAULT_RETRY_POLICY, parseRetryAfter, withRetries } from '../http/retry.ts';
import { systemClock } from '../system-clock.ts';
import {
  defaultResponseUrlOrigins,
  type PostedMessage,
  SLACK_DEFAULT_TIMEOUT_MS,
  type Slack,
  type SlackMessage,
  type SlackMessageUpdate,
  type SlackResponse,
  type SlackTransportOptions,
  type UpdateResult,
} from './slack.ts';
import { classifySlackError, isSlackErrorCode, slackApiError } from './slack-errors.ts';
import { respondViaUrl } from './slack-post.ts';

export interface WebApiSlackOptions extends SlackTransportOptions {
  token: Secret;
  /** Base URL of the Web API, ending in `/api/` (default https://slack.com/api/; the sandbox's simulator otherwise). */
  apiUrl?: string;
  /** Channel for messages that name none (SLACK_CHANNEL_ID). */
  defaultChannel?: string;
  /** Where the client library logs; silent by default (our errors carry what matters). */
  logger?: Logger;
}

const SERVICE = 'slack';

export function createWebApiSlack(options: WebApiSlackOptions): Slack {
  if (options.token.isEmpty) {
    throw new ReleaseAgentError('CONFIG_INVALID', 'SLACK_BOT_TOKEN is empty', {
      variables: ['SLACK_BOT_TOKEN'],
    });
  }
  const clock = options.clock ?? systemClock;
  const apiUrl = options.apiUrl ?? 'https://slack.com/api/';
  const responseUrlOrigins = options.responseUrlOrigins ?? defaultResponseUrlOrigins(apiUrl);
  const timeoutMs = options.timeoutMs ?? SLACK_DEFAULT_TIMEOUT_MS;
  const policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const client = new WebClient(options.token.reveal(), {
    slackApiUrl: apiUrl,
    retryConfig: { retries: 0 },
    timeout: timeoutMs,
    rejectRateLimitedCalls: true,
    allowAbsoluteUrls: false,
    logger: options.logger ?? silentLogger(),
  });
  // A 429 pauses every call of this adapter, not only the one that got it (Slack limits per app).
  let notBefore = 0;

  const call = async (
    operation: string,
    args: Record<string, unknown>,
    idempotent: boolean,
  ): Promise<WebAPICallResult> => {
    const fields = {
      service: SERVICE,
      operation,
      ...(typeof args.channel === 'string' ? { channel: args.channel } : {}),
      ...(typeof args.ts === 'string' ? { ts: args.ts } : {}),
    };
    return await withRetries(
      async () => {
        const wait = notBefore - clock.now().getTime();
        // Slack asked for a pause no retry budget covers: fail fast as the 429 it stands for.
        if (wait > policy.maxTotalMs) {
          throw new ReleaseAgentError(
            'SERVICE_HTTP',
            `${SERVICE} ${operation} is rate limited for another ${wait} ms`,
            {
              ...fields,
              status: 429,
              retryAfterMs: wait,
            },
          );
        }
        if (wait > 0) await clock.sleep(wait);
        try {
          return await client.apiCall(operation, args);
        } catch (error) {
          const mapped = mapWebApiError(error, {
            fields,
            timeoutMs,
            token: options.token,
            now: clock.now().getTime(),
          });
          const retryAfterMs = mapped.fields.retryAfterMs;
          if (typeof retryAfterMs === 'number')
            notBefore = Math.max(notBefore, clock.now().getTime() + retryAfterMs);
          throw mapped;
        }
      },
      {
        service: SERVICE,
        operation,
        policy,
        clock,
        classify: (error) => classifySlackError(error, idempotent),
      },
    );
  };

  const channelOf = (message: SlackMessage): string => {
    const channel = message.channel ?? options.defaultChannel;
    if (!channel) {
      throw new ReleaseAgentError('INPUT_INVALID', 'no Slack channel: pass one or set SLACK_CHANNEL_ID', {
        service: SERVICE,
        variables: ['SLACK_CHANNEL_ID'],
      });
    }
    return channel;
  };

  return {
    mode: 'bot',
    interactive: true,

    async postMessage(message: SlackMessage): Promise<PostedMessage> {
      const channel = channelOf(message);
      const args = {
        channel,
        text: message.text,
        ...(message.blocks ? { blocks: message.blocks } : {}),
        // Cards carry links to PRs and tickets: previews would bury the buttons.
        unfurl_links: false,
        unfurl_media: false,
      };
      const result = answer(postedSchema, await call('chat.postMessage', args, false), 'chat.postMessage', {
        channel,
      });
      return { channel: result.channel, ts: result.ts };
    },

    async updateMessage(update: SlackMessageUpdate): Promise<UpdateResult> {
      const args = {
        channel: update.channel,
        ts: update.ts,
        text: update.text,
        ...(update.blocks ? { blocks: update.blocks } : {}),
      };
      // Replacing a message with the same content twice is harmless: safe to retry after a timeout.
      await call('chat.update', args, true);
      return { updated: true };
    },

    async respond(responseUrl: string, response: SlackResponse): Promise<void> {
      await respondViaUrl(responseUrl, response, { ...options, responseUrlOrigins });
    },

    async userEmail(userId: string): Promise<string | undefined> {
      // Slack leaves profile.email out (ok: true) when the token lacks users:read.email.
      const result = answer(
        userInfoSchema,
        await call('users.info', { user: userId }, true),
        'users.info',
        {},
      );
      const email = result.user.profile?.email;
      return email?.includes('@') ? email : undefined;
    },
  };
}

// The fields of Slack's answers we read; others pass unread. chat.postMessage's channel and ts are the
// message's handle (later updates aim at it); users.info's email is optional (Slack leaves it out when
// the token lacks users:read.email).
const postedSchema = z.object({
  channel: z.string().check(z.minLength(1)),
  ts: z.string().check(z.minLength(1)),
});
const userInfoSchema = z.object({
  user: z.object({ profile: z.optional(z.object({ email: z.optional(z.string()) })) }),
});

/** Slack's answer read by `schema`, or SERVICE_MALFORMED naming the field that was wrong. */
function answer<S extends z.core.$ZodType>(
  schema: S,
  raw: unknown,
  operation: string,
  fields: { channel?: string },
): z.output<S> {
  const parsed = parseWith(schema, raw);
  if (parsed.ok) return parsed.value;
  const issue = parsed.issues[0];
  const problem = issue ? formatIssue(issue) : 'invalid';
  throw new ReleaseAgentError('SERVICE_MALFORMED', `${SERVICE} ${operation} answered ok with ${problem}`, {
    service: SERVICE,
    operation,
    ...fields,
    ...(issue ? { field: issue.path.map(String).join('.') } : {}),
  });
}

/** Turns what @slack/web-api throws into our coded errors, with the token kept out of every message. */
export function mapWebApiError(
  error: unknown,
  context: {
    fields: { service: string; operation: string; channel?: string; ts?: string };
    timeoutMs: number;
    token: Secret;
    now: number;
  },
): ReleaseAgentError {
  const { fields, timeoutMs, token } = context;
  const clean = (text: string) => redact(text, [token]);
  if (error instanceof WebAPIPlatformError) {
    const slackError = error.data.error;
    // The client reports a body that is not JSON as `{ ok: false, error: <the body> }`.
    if (!isSlackErrorCode(slackError)) {
      return new ReleaseAgentError(
        'SERVICE_MALFORMED',
        `${fields.service} ${fields.operation} answered with a body that is not Slack JSON`,
        {
          ...fields,
          status: 200,
        },
      );
    }
    return slackApiError(clean(slackError), fields);
  }
  if (error instanceof WebAPIRateLimitedError) {
    return new ReleaseAgentError(
      'SERVICE_HTTP',
      `${fields.service} ${fields.operation} was rate limited (retry after ${error.retryAfter} s)`,
      { ...fields, status: 429, retryAfterMs: error.retryAfter * 1000 },
    );
  }
  if (error instanceof WebAPIHTTPError) {
    const retryAfterMs = parseRetryAfter(error.headers['retry-after'], context.now);
    return new ReleaseAgentError(
      'SERVICE_HTTP',
      `${fields.service} ${fields.operation} answered ${error.statusCode}`,
      {
        ...fields,
        status: error.statusCode,
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      },
    );
  }
  const original = error instanceof WebAPIRequestError ? error.original : error;
  const name = (original as { name?: unknown } | undefined)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new ReleaseAgentError(
      'SERVICE_TIMEOUT',
      `${fields.service} ${fields.operation} timed out after ${timeoutMs} ms`,
      {
        ...fields,
        timeoutMs,
      },
    );
  }
  const message = clean(original instanceof Error ? original.message : String(original));
  // A 429 without a usable Retry-After: the client gives up with a plain Error; back off and retry.
  if (/Retry header did not contain a valid timeout/.test(message)) {
    return new ReleaseAgentError('SERVICE_HTTP', `${fields.service} ${fields.operation} was rate limited`, {
      ...fields,
      status: 429,
    });
  }
  const networkCode = findNetworkCode(original);
  if (networkCode !== undefined || error instanceof WebAPIRequestError) {
    const code = networkCode ?? 'UNKNOWN';
    return new ReleaseAgentError(
      'SERVICE_NETWORK',
      `${fields.service} ${fields.operation} failed on the network (${code}): ${message}`,
      {
        ...fields,
        networkCode: code,
      },
    );
  }
  return new ReleaseAgentError(
    'SLACK_API_ERROR',
    `${fields.service} ${fields.operation} failed: ${message}`,
    fields,
    { cause: error },
  );
}

/** The first Node/undici error code in a cause chain (ECONNRESET, UND_ERR_SOCKET, …). */
function findNetworkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^(E[A-Z]+|UND_ERR\w*)$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function silentLogger(): Logger {
  let level = LogLevel.ERROR;
  const ignore = () => undefined;
  return {
    debug: ignore,
    info: ignore,
    warn: ignore,
    error: ignore,
    setLevel: (next) => {
      level = next;
    },
    getLevel: () => level,
    setName: ignore,
  };
}
