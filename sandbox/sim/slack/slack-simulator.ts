// The Slack simulator: the Web API methods the agent calls (chat.postMessage, chat.update,
// auth.test, users.info) with JSON or form bodies as @slack/web-api sends them, an incoming webhook, response
// URLs, a per-channel rate limit, and a web page showing each channel whose buttons make this server
// send a signed block_actions request to the app, as Slack does. Fault injection comes from SimServer
// (`/_sim/faults`, operations chat.postMessage, chat.update, auth.test, webhook, response_url).
import { randomBytes } from 'node:crypto';
import type { Secret } from '../../../core/secret.ts';
import { SimHttpError, type SimRequest, type SimResponse, SimServer, bearerToken } from '../server.ts';
import { buttonsOf, type SimBlock, validateBlocks, withGeneratedIds } from './blocks.ts';
import { deliverBlockActions, type InteractionDelivery } from './interactions.ts';
import { renderChannelPage, renderMessagesState } from './page.ts';

export interface SimChannel {
  id: string;
  name: string;
}

export interface SimUser {
  id: string;
  username: string;
  name: string;
  /** The profile e-mail users.info shows to a token with users:read.email. */
  email?: string;
}

export interface SimMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: SimBlock[];
  /** The bot user for API and response_url messages; undefined for incoming webhooks. */
  user: string | undefined;
  botId: string;
  source: 'api' | 'webhook' | 'response_url';
  /** A response_url reply only the clicker would see. */
  ephemeral: boolean;
  edited: { user: string; ts: string } | undefined;
  deleted: boolean;
  /** Bumped on every change, so the page redraws just that message. */
  revision: number;
}

export interface SlackRateLimit {
  /** chat.postMessage calls allowed per channel per window. */
  limit: number;
  windowMs: number;
  retryAfterSeconds?: number;
}

export interface SlackSimulatorOptions {
  port?: number;
  host?: string;
  /** The bot token the Web API accepts (default xoxb-sandbox-token). */
  botToken?: string;
  /** The bot token's OAuth scopes (default chat:write, users:read, users:read.email). */
  botScopes?: string[];
  /** Signs block_actions deliveries; without it no button can be delivered. */
  signingSecret?: Secret | string;
  /** Where button presses are POSTed (the function app's Slack route). */
  interactionsUrl?: string;
  channels?: SimChannel[];
  users?: SimUser[];
  /** Secret path of the incoming webhook, `/services/{team}/{bot}/{secret}` (default /services/T000/B000/XXXX). */
  webhookPath?: string;
  /** Channel the incoming webhook posts to (default the first channel). */
  webhookChannel?: string;
  rateLimit?: SlackRateLimit;
  /** Slack waits 3 s for the app to answer a button press. */
  interactionTimeoutMs?: number;
  /** How often the page polls for changes. */
  pagePollMs?: number;
}

export interface ClickOptions {
  channel: string;
  ts: string;
  actionId: string;
  /** Default: the first simulated user (U0SANDBOX). */
  userId?: string;
}

export interface RunningSlackSimulator {
  url: string;
  /** For @slack/web-api's slackApiUrl (ends in /api/). */
  apiUrl: string;
  webhookUrl: string;
  /** Request log and fault injection. */
  server: SimServer;
  channels: readonly SimChannel[];
  users: readonly SimUser[];
  /** Copies of a channel's messages (all channels when omitted), oldest first. */
  messages(channel?: string): SimMessage[];
  message(channel: string, ts: string): SimMessage | undefined;
  /** Every button press delivered (or attempted), oldest first. */
  deliveries(): InteractionDelivery[];
  /** Presses a button as a person would on the page: the server sends the signed block_actions request. */
  click(options: ClickOptions): Promise<InteractionDelivery>;
  /** A response_url as Slack mints one for an interaction on this message (for payloads a test composes). */
  responseUrl(channel: string, ts: string): string;
  setInteractionsUrl(url: string | undefined): void;
  setRateLimit(rateLimit: SlackRateLimit | undefined): void;
  /** Changes the bot token's scopes (a reinstall of the app with other scopes). */
  setBotScopes(scopes: string[]): void;
  stop(): Promise<void>;
}

export const SIM_TEAM = { id: 'T0SANDBOX', domain: 'sandbox' } as const;
export const SIM_BOT = { userId: 'U0RELEASEBOT', botId: 'B0RELEASEBOT', appId: 'A0RELEASEAGENT' } as const;
export const DEFAULT_SIM_CHANNELS: SimChannel[] = [{ id: 'C0SANDBOX', name: 'releases' }];
export const DEFAULT_SIM_USERS: SimUser[] = [
  { id: 'U0SANDBOX', username: 'sandbox.user', name: 'Sandbox User', email: 'sandbox.user@acme.example' },
  {
    id: 'U0RELMGR',
    username: 'release.manager',
    name: 'Release Manager',
    email: 'release.manager@acme.example',
  },
  { id: 'U0QA', username: 'qa.tester', name: 'QA Tester', email: 'qa.tester@acme.example' },
];
export const DEFAULT_BOT_SCOPES = ['chat:write', 'users:read', 'users:read.email'];

const MAX_TEXT = 40_000;
// Slack's response_url lives 30 minutes and takes 5 replies.
const RESPONSE_URL_TTL_MS = 30 * 60_000;
const RESPONSE_URL_MAX_USES = 5;

interface ResponseHook {
  channel: string;
  ts: string;
  secret: string;
  createdAt: number;
  uses: number;
}

export async function startSlackSimulator(
  options: SlackSimulatorOptions = {},
): Promise<RunningSlackSimulator> {
  const channels = options.channels ?? DEFAULT_SIM_CHANNELS;
  const users = options.users ?? DEFAULT_SIM_USERS;
  if (channels.length === 0 || users.length === 0)
    throw new Error('the Slack simulator needs at least one channel and one user');
  const botToken = options.botToken ?? 'xoxb-sandbox-token';
  const webhookPath = options.webhookPath ?? '/services/T000/B000/XXXX';
  const webhookParts = /^\/services\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(webhookPath);
  if (!webhookParts) throw new Error('webhookPath must look like /services/{team}/{bot}/{secret}');
  const webhookChannel = options.webhookChannel ?? channels[0]!.id;
  let interactionsUrl = options.interactionsUrl;
  let rateLimit = options.rateLimit;

  const messages: SimMessage[] = [];
  const deliveries: InteractionDelivery[] = [];
  const hooks = new Map<string, ResponseHook>();
  const postTimes = new Map<string, number[]>();
  let version = 0;
  let lastTsSeconds = 0;
  let tsSequence = 0;

  const server = new SimServer('slack');
  // Slack answers errors as `{ ok: false, error }`, also on the 429 and 5xx faults.
  server.errorBody = (status) => ({
    ok: false,
    error: status === 429 ? 'ratelimited' : status >= 500 ? 'internal_error' : 'invalid_request',
  });

  const changed = () => {
    version++;
  };

  /** Unique, increasing, shaped like Slack's "1712345678.000100". */
  const nextTs = (): string => {
    const seconds = Math.max(Math.floor(Date.now() / 1000), lastTsSeconds);
    tsSequence = seconds === lastTsSeconds ? tsSequence + 100 : 100;
    lastTsSeconds = seconds;
    return `${seconds}.${String(tsSequence).padStart(6, '0')}`;
  };

  const findChannel = (idOrName: string | undefined): SimChannel | undefined => {
    if (!idOrName) return undefined;
    const name = idOrName.replace(/^#/, '');
    return channels.find((channel) => channel.id === idOrName || channel.name === name);
  };

  const findMessage = (channel: string, ts: string): SimMessage | undefined =>
    messages.find((message) => message.channel === channel && message.ts === ts);

  const messageJson = (message: SimMessage) => ({
    type: 'message',
    ...(message.user ? { user: message.user } : { subtype: 'bot_message' }),
    bot_id: message.botId,
    app_id: SIM_BOT.appId,
    text: message.text,
    ts: message.ts,
    team: SIM_TEAM.id,
    blocks: message.blocks,
    ...(message.edited ? { edited: message.edited } : {}),
  });

  const ok = (body: Record<string, unknown>): SimResponse => ({ status: 200, body: { ok: true, ...body } });
  const slackError = (error: string, extra: Record<string, unknown> = {}): SimResponse => ({
    status: 200,
    body: { ok: false, error, ...extra },
  });

  /** The arguments of a Web API call, from a JSON body (bearer token) or a form body (token header or field). */
  const apiArguments = (
    request: SimRequest,
  ): { args: Record<string, unknown>; token: string | undefined } => {
    const contentType = String(request.headers['content-type'] ?? '');
    if (contentType.includes('application/json')) {
      let body: unknown;
      try {
        body = JSON.parse(request.rawBody.toString('utf8'));
      } catch {
        body = undefined;
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body))
        throw new SimHttpError(200, 'invalid_json', { ok: false, error: 'invalid_json' });
      // Slack ignores a token inside a JSON body: JSON calls authenticate by header only.
      return { args: body as Record<string, unknown>, token: bearerToken(request.headers) };
    }
    const form = request.form();
    const args: Record<string, unknown> = Object.fromEntries(form.entries());
    return { args, token: bearerToken(request.headers) ?? form.get('token') ?? undefined };
  };

  const authenticate = (token: string | undefined): SimResponse | undefined => {
    if (!token) return slackError('not_authed');
    if (token !== botToken) return slackError('invalid_auth');
    return undefined;
  };

  /** blocks as an array (JSON) or a JSON string (form, or JSON from some clients). */
  const readBlocks = (value: unknown): { blocks?: SimBlock[]; error?: SimResponse } => {
    if (value === undefined || value === '') return {};
    let blocks = value;
    if (typeof value === 'string') {
      try {
        blocks = JSON.parse(value);
      } catch {
        return { error: slackError('invalid_blocks_format') };
      }
    }
    if (!Array.isArray(blocks)) return { error: slackError('invalid_blocks_format') };
    const problems = validateBlocks(blocks);
    if (problems.length > 0) {
      return {
        error: slackError('invalid_blocks', {
          errors: problems,
          response_metadata: { messages: problems.map((p) => `[ERROR] ${p}`) },
        }),
      };
    }
    return { blocks: withGeneratedIds(blocks as SimBlock[]) };
  };

  const rateLimited = (channel: string): SimResponse | undefined => {
    if (!rateLimit) return undefined;
    const now = Date.now();
    const recent = (postTimes.get(channel) ?? []).filter((at) => now - at < rateLimit!.windowMs);
    if (recent.length >= rateLimit.limit) {
      postTimes.set(channel, recent);
      const oldest = recent[0] ?? now;
      const retryAfter =
        rateLimit.retryAfterSeconds ?? Math.max(1, Math.ceil((rateLimit.windowMs - (now - oldest)) / 1000));
      return {
        status: 429,
        headers: { 'retry-after': String(retryAfter) },
        body: { ok: false, error: 'ratelimited' },
      };
    }
    recent.push(now);
    postTimes.set(channel, recent);
    return undefined;
  };

  server.route('POST', '/api/auth.test', 'auth.test', (request) => {
    const { token } = apiArguments(request);
    const denied = authenticate(token);
    if (denied) return denied;
    return ok({
      url: `https://${SIM_TEAM.domain}.slack.com/`,
      team: 'Sandbox',
      user: 'release-agent',
      team_id: SIM_TEAM.id,
      user_id: SIM_BOT.userId,
      bot_id: SIM_BOT.botId,
      is_enterprise_install: false,
    });
  });

  // users.info as Slack answers it: missing_scope without users:read; the profile's email only with
  // users:read.email (left out, not an error, without it).
  let botScopes = options.botScopes ?? DEFAULT_BOT_SCOPES;
  server.route('POST', '/api/users.info', 'users.info', (request) => {
    const { args, token } = apiArguments(request);
    const denied = authenticate(token);
    if (denied) return denied;
    if (!botScopes.includes('users:read'))
      return slackError('missing_scope', { needed: 'users:read', provided: botScopes.join(',') });
    if (typeof args.user !== 'string' || !args.user) return slackError('invalid_arguments');
    const user = users.find((candidate) => candidate.id === args.user);
    if (!user) return slackError('user_not_found');
    const showEmail = botScopes.includes('users:read.email') && user.email;
    return ok({
      user: {
        id: user.id,
        team_id: SIM_TEAM.id,
        name: user.username,
        deleted: false,
        real_name: user.name,
        is_bot: false,
        profile: {
          real_name: user.name,
          display_name: user.username,
          ...(showEmail ? { email: user.email } : {}),
          team: SIM_TEAM.id,
        },
      },
    });
  });

  server.route('POST', '/api/chat.postMessage', 'chat.postMessage', (request) => {
    const { args, token } = apiArguments(request);
    const denied = authenticate(token);
    if (denied) return denied;
    const channel = findChannel(typeof args.channel === 'string' ? args.channel : undefined);
    if (!channel) return slackError('channel_not_found');
    const limited = rateLimited(channel.id);
    if (limited) return limited;
    const { blocks, error } = readBlocks(args.blocks);
    if (error) return error;
    const text = typeof args.text === 'string' ? args.text : '';
    if (!text && !blocks?.length) return slackError('no_text');
    if (text.length > MAX_TEXT) return slackError('msg_too_long');
    const message: SimMessage = {
      channel: channel.id,
      ts: nextTs(),
      text,
      blocks: blocks ?? [],
      user: SIM_BOT.userId,
      botId: SIM_BOT.botId,
      source: 'api',
      ephemeral: false,
      edited: undefined,
      deleted: false,
      revision: 1,
    };
    messages.push(message);
    changed();
    return ok({ channel: channel.id, ts: message.ts, message: messageJson(message) });
  });

  server.route('POST', '/api/chat.update', 'chat.update', (request) => {
    const { args, token } = apiArguments(request);
    const denied = authenticate(token);
    if (denied) return denied;
    const channel = findChannel(typeof args.channel === 'string' ? args.channel : undefined);
    if (!channel) return slackError('channel_not_found');
    const message = typeof args.ts === 'string' ? findMessage(channel.id, args.ts) : undefined;
    if (!message || message.deleted) return slackError('message_not_found');
    if (message.source === 'webhook') return slackError('cant_update_message');
    const { blocks, error } = readBlocks(args.blocks);
    if (error) return error;
    const text = typeof args.text === 'string' ? args.text : undefined;
    if (text === undefined && blocks === undefined) return slackError('no_text');
    if (text !== undefined && text.length > MAX_TEXT) return slackError('msg_too_long');
    // Slack keeps what an update leaves out.
    if (text !== undefined) message.text = text;
    if (blocks !== undefined) message.blocks = blocks;
    message.edited = { user: SIM_BOT.userId, ts: nextTs() };
    message.revision++;
    changed();
    return ok({ channel: channel.id, ts: message.ts, text: message.text, message: messageJson(message) });
  });

  // Incoming webhook: answers plain text like Slack ("ok", or the error code with a 4xx status).
  const webhookText = (status: number, text: string): SimResponse => ({
    status,
    headers: { 'content-type': 'text/html' },
    body: text,
  });
  server.route('POST', '/services/{team}/{bot}/{secret}', 'webhook', (request) => {
    if (request.params.team !== webhookParts[1] || request.params.bot !== webhookParts[2])
      return webhookText(404, 'no_service');
    if (request.params.secret !== webhookParts[3]) return webhookText(403, 'invalid_token');
    const payload = hookPayload(request);
    if (!payload) return webhookText(400, 'invalid_payload');
    const { blocks, error } = readBlocks(payload.blocks);
    if (error) return webhookText(400, 'invalid_blocks');
    const text = typeof payload.text === 'string' ? payload.text : '';
    if (!text && !blocks?.length) return webhookText(400, 'no_text');
    messages.push({
      channel: webhookChannel,
      ts: nextTs(),
      text,
      blocks: blocks ?? [],
      user: undefined,
      botId: 'B000WEBHOOK',
      source: 'webhook',
      ephemeral: false,
      edited: undefined,
      deleted: false,
      revision: 1,
    });
    changed();
    return webhookText(200, 'ok');
  });

  // response_url: replace or delete the message the button sat on, or post a new (ephemeral) one.
  server.route('POST', '/actions/{team}/{hook}/{secret}', 'response_url', (request) => {
    const hook = hooks.get(request.params.hook ?? '');
    if (!hook || hook.secret !== request.params.secret)
      return { status: 404, body: { ok: false, error: 'no_service' } };
    if (Date.now() - hook.createdAt > RESPONSE_URL_TTL_MS)
      return { status: 404, body: { ok: false, error: 'expired_url' } };
    if (hook.uses >= RESPONSE_URL_MAX_USES) return { status: 404, body: { ok: false, error: 'used_url' } };
    const payload = hookPayload(request);
    if (!payload) return { status: 400, body: { ok: false, error: 'invalid_payload' } };
    const original = findMessage(hook.channel, hook.ts);
    hook.uses++;
    if (payload.delete_original === true || payload.delete_original === 'true') {
      if (original) {
        original.deleted = true;
        original.revision++;
        changed();
      }
      return { status: 200, body: { ok: true } };
    }
    const { blocks, error } = readBlocks(payload.blocks);
    if (error) return { status: 400, body: { ok: false, error: 'invalid_blocks' } };
    const text = typeof payload.text === 'string' ? payload.text : '';
    if (!text && !blocks?.length) return { status: 400, body: { ok: false, error: 'no_text' } };
    const replace = payload.replace_original === true || payload.replace_original === 'true';
    if (replace && original && !original.deleted) {
      original.text = text;
      original.blocks = blocks ?? [];
      original.edited = { user: SIM_BOT.userId, ts: nextTs() };
      original.revision++;
    } else {
      messages.push({
        channel: hook.channel,
        ts: nextTs(),
        text,
        blocks: blocks ?? [],
        user: SIM_BOT.userId,
        botId: SIM_BOT.botId,
        source: 'response_url',
        ephemeral: payload.response_type !== 'in_channel',
        edited: undefined,
        deleted: false,
        revision: 1,
      });
    }
    changed();
    return { status: 200, body: { ok: true } };
  });

  // The page and its JSON endpoints.
  const pageOptions = (channel: SimChannel) => ({
    channels,
    users,
    pollMs: options.pagePollMs ?? 1000,
    interactionsUrl,
    messages: messages.filter((message) => message.channel === channel.id),
    deliveries: deliveries.filter((delivery) => delivery.channel === channel.id),
  });
  const html = (status: number, body: string): SimResponse => ({
    status,
    headers: { 'content-type': 'text/html; charset=utf-8' },
    body,
  });
  server.route('GET', '/', 'page', () =>
    html(200, renderChannelPage(channels[0]!, pageOptions(channels[0]!))),
  );
  server.route('GET', '/channels/{id}', 'page', (request) => {
    const channel = findChannel(request.params.id);
    if (!channel)
      return html(
        404,
        `<!doctype html><title>Not found</title><p>No channel ${request.params.id?.replace(/[^\w-]/g, '')}</p>`,
      );
    return html(200, renderChannelPage(channel, pageOptions(channel)));
  });
  server.route('GET', '/ui/channels/{id}/state', 'page.state', (request) => {
    const channel = findChannel(request.params.id);
    if (!channel) return { status: 404, body: { error: 'channel_not_found' } };
    const since = Number(request.query.get('since') ?? -1);
    if (since === version) return { status: 200, body: { version, unchanged: true } };
    const visible = messages.filter((message) => message.channel === channel.id);
    return {
      status: 200,
      body: {
        version,
        ...renderMessagesState(
          visible,
          deliveries.filter((d) => d.channel === channel.id),
          users,
        ),
      },
    };
  });
  server.route('POST', '/ui/click', 'page.click', async (request) => {
    const body = request.json<Partial<ClickOptions>>();
    if (
      typeof body.channel !== 'string' ||
      typeof body.ts !== 'string' ||
      typeof body.actionId !== 'string'
    ) {
      return { status: 400, body: { error: 'expected { channel, ts, actionId, userId? }' } };
    }
    try {
      const delivery = await click({
        channel: body.channel,
        ts: body.ts,
        actionId: body.actionId,
        ...(typeof body.userId === 'string' ? { userId: body.userId } : {}),
      });
      return { status: 200, body: delivery };
    } catch (error) {
      return { status: 404, body: { error: (error as Error).message } };
    }
  });

  /** The response_url Slack sends with an interaction on a message: 30 minutes, 5 replies. */
  const mintResponseUrl = (channelId: string, ts: string): string => {
    for (const [id, hook] of hooks) if (Date.now() - hook.createdAt > RESPONSE_URL_TTL_MS) hooks.delete(id);
    const hookId = String(Date.now()) + randomBytes(2).readUInt16BE(0);
    const hookSecret = randomBytes(12).toString('base64url');
    hooks.set(hookId, { channel: channelId, ts, secret: hookSecret, createdAt: Date.now(), uses: 0 });
    return `${server.url}/actions/${SIM_TEAM.id}/${hookId}/${hookSecret}`;
  };

  const click = async (clickOptions: ClickOptions): Promise<InteractionDelivery> => {
    const channel = findChannel(clickOptions.channel);
    const message = channel ? findMessage(channel.id, clickOptions.ts) : undefined;
    if (!channel || !message || message.deleted)
      throw new Error(`no message ${clickOptions.ts} in channel ${clickOptions.channel}`);
    const button = buttonsOf(message.blocks).find(
      (candidate) => candidate.action_id === clickOptions.actionId,
    );
    if (!button)
      throw new Error(`message ${message.ts} has no button with action_id ${clickOptions.actionId}`);
    const user = users.find((candidate) => candidate.id === (clickOptions.userId ?? users[0]!.id));
    if (!user) throw new Error(`no simulated user ${clickOptions.userId}`);

    const responseUrl = mintResponseUrl(channel.id, message.ts);
    const delivery = await deliverBlockActions({
      id: deliveries.length + 1,
      interactionsUrl,
      signingSecret: options.signingSecret,
      timeoutMs: options.interactionTimeoutMs ?? 3000,
      team: SIM_TEAM,
      appId: SIM_BOT.appId,
      user,
      channel,
      message: messageJson(message),
      messageTs: message.ts,
      isEphemeral: message.ephemeral,
      button,
      responseUrl,
    });
    deliveries.push(delivery);
    changed();
    return delivery;
  };

  await server.start(options.port ?? 0, options.host ?? '127.0.0.1');

  return {
    url: server.url,
    apiUrl: `${server.url}/api/`,
    webhookUrl: `${server.url}${webhookPath}`,
    server,
    channels,
    users,
    messages: (channel) =>
      structuredClone(messages.filter((message) => channel === undefined || message.channel === channel)),
    message: (channel, ts) => {
      const found = findMessage(channel, ts);
      return found ? structuredClone(found) : undefined;
    },
    deliveries: () => structuredClone(deliveries),
    click,
    responseUrl: mintResponseUrl,
    setInteractionsUrl: (url) => {
      interactionsUrl = url;
    },
    setRateLimit: (next) => {
      rateLimit = next;
      postTimes.clear();
    },
    setBotScopes: (scopes) => {
      botScopes = [...scopes];
    },
    stop: () => server.stop(),
  };
}

/** A webhook or response_url body: JSON, or the legacy form field `payload` holding JSON. */
function hookPayload(request: SimRequest): Record<string, unknown> | undefined {
  const contentType = String(request.headers['content-type'] ?? '');
  let text = request.rawBody.toString('utf8');
  if (contentType.includes('application/x-www-form-urlencoded')) text = request.form().get('payload') ?? '';
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
