// Slack interaction payloads: the `block_actions` request Slack sends when someone presses a button.
// Parse only after the signature of the raw body was verified (core/slack-signature.ts). Pure: the
// form body in, a typed payload or a coded INPUT_INVALID error naming the first bad field out;
// readInteraction sorts any verified body into a button press or an interaction to ignore.
import { ReleaseAgentError } from './errors.ts';

export interface BlockActionUser {
  id: string;
  username: string;
  name: string | undefined;
  teamId: string | undefined;
}

export interface BlockAction {
  actionId: string;
  blockId: string;
  value: string;
  type: string;
  actionTs: string | undefined;
}

export interface BlockActionsContainer {
  type: string;
  messageTs: string;
  channelId: string;
  isEphemeral: boolean;
}

export interface BlockActionsPayload {
  type: 'block_actions';
  user: BlockActionUser;
  channel: { id: string; name: string | undefined };
  message: { ts: string; text: string | undefined; blocks: unknown[] };
  container: BlockActionsContainer;
  /** The pressed button: Slack sends one action per button press. */
  action: BlockAction;
  actions: BlockAction[];
  responseUrl: string;
  triggerId: string | undefined;
  teamId: string | undefined;
  apiAppId: string | undefined;
}

// Slack's own limits (action_id ≤ 255, value ≤ 2000); anything longer did not come from our cards.
const MAX_ID_LENGTH = 255;
const MAX_VALUE_LENGTH = 2000;

type Json = Record<string, unknown>;

/**
 * A verified interaction: a button press on a message, or something the Release Agent does not act on
 * (a view, a shortcut, a block action outside a message, a payload it cannot read). Those are answered
 * 200 and ignored; `responseUrl` is where Slack lets the clicker be told so (absent when it does not).
 */
export type Interaction =
  | { kind: 'button'; payload: BlockActionsPayload }
  | { kind: 'ignored'; type: string; reason: string; responseUrl: string | undefined };

/** Sorts a verified interaction body; never throws. */
export function readInteraction(formBody: string | Uint8Array): Interaction {
  let root: Json | undefined;
  try {
    const text =
      typeof formBody === 'string' ? formBody : new TextDecoder('utf-8', { fatal: false }).decode(formBody);
    const parsed: unknown = JSON.parse(new URLSearchParams(text).get('payload') ?? '');
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) root = parsed as Json;
  } catch {
    root = undefined;
  }
  if (!root)
    return {
      kind: 'ignored',
      type: 'unknown',
      reason: 'the payload is not readable',
      responseUrl: undefined,
    };
  const type = typeof root.type === 'string' ? root.type.slice(0, 40) : 'unknown';
  const responseUrl =
    typeof root.response_url === 'string' && isHttpUrl(root.response_url) ? root.response_url : undefined;
  const ignored = (reason: string): Interaction => ({ kind: 'ignored', type, reason, responseUrl });
  if (type !== 'block_actions') return ignored(`a ${type} interaction is not something it answers`);
  const container = root.container;
  if (
    typeof container !== 'object' ||
    container === null ||
    (container as Json).type !== 'message' ||
    typeof root.message !== 'object' ||
    root.message === null
  ) {
    return ignored('only buttons on its cards in the channel count');
  }
  try {
    return { kind: 'button', payload: parseBlockActions(formBody) };
  } catch (error) {
    if (error instanceof ReleaseAgentError) return ignored(error.message);
    throw error;
  }
}

/** Decodes the `payload` field of an application/x-www-form-urlencoded interaction body. */
export function parseBlockActions(formBody: string | Uint8Array): BlockActionsPayload {
  const text =
    typeof formBody === 'string' ? formBody : new TextDecoder('utf-8', { fatal: false }).decode(formBody);
  const form = new URLSearchParams(text);
  const payloads = form.getAll('payload');
  if (payloads.length !== 1)
    invalid(
      'payload',
      payloads.length === 0 ? 'the form has no payload field' : 'the form has several payload fields',
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(payloads[0] as string);
  } catch {
    invalid('payload', 'the payload field is not JSON');
  }
  const root = object(parsed, 'payload');
  if (root.type !== 'block_actions') invalid('type', `expected block_actions, got ${describe(root.type)}`);

  const user = object(root.user, 'user');
  const userId = id(user.id, 'user.id');
  const username = optionalString(user.username, 'user.username') ?? optionalString(user.name, 'user.name');
  if (!username) invalid('user.username', 'missing');

  const channel = object(root.channel, 'channel');
  const channelId = id(channel.id, 'channel.id');
  const message = object(root.message, 'message');
  const messageTs = ts(message.ts, 'message.ts');
  const blocks = message.blocks === undefined ? [] : message.blocks;
  if (!Array.isArray(blocks)) invalid('message.blocks', 'expected an array');

  const container = object(root.container, 'container');
  const parsedContainer: BlockActionsContainer = {
    type: id(container.type, 'container.type'),
    messageTs: ts(container.message_ts, 'container.message_ts'),
    channelId: id(container.channel_id, 'container.channel_id'),
    isEphemeral: container.is_ephemeral === true,
  };
  // The container names the message the button sits on; a mismatch means a hand-made payload.
  if (parsedContainer.messageTs !== messageTs) invalid('container.message_ts', 'does not match message.ts');
  if (parsedContainer.channelId !== channelId) invalid('container.channel_id', 'does not match channel.id');

  if (!Array.isArray(root.actions) || root.actions.length === 0)
    invalid('actions', 'expected at least one action');
  const actions = root.actions.map((action, index) => parseAction(action, `actions[${index}]`));

  const responseUrl = requiredString(root.response_url, 'response_url');
  if (!isHttpUrl(responseUrl)) invalid('response_url', 'expected an http(s) URL');

  const team = root.team === undefined || root.team === null ? undefined : object(root.team, 'team');
  return {
    type: 'block_actions',
    user: {
      id: userId,
      username,
      name: optionalString(user.name, 'user.name'),
      teamId: optionalString(user.team_id, 'user.team_id'),
    },
    channel: { id: channelId, name: optionalString(channel.name, 'channel.name') },
    message: { ts: messageTs, text: optionalString(message.text, 'message.text'), blocks },
    container: parsedContainer,
    action: actions[0] as BlockAction,
    actions,
    responseUrl,
    triggerId: optionalString(root.trigger_id, 'trigger_id'),
    teamId: team ? optionalString(team.id, 'team.id') : undefined,
    apiAppId: optionalString(root.api_app_id, 'api_app_id'),
  };
}

function parseAction(value: unknown, path: string): BlockAction {
  const action = object(value, path);
  const actionValue = requiredString(action.value, `${path}.value`, true);
  if (actionValue.length > MAX_VALUE_LENGTH)
    invalid(`${path}.value`, `longer than ${MAX_VALUE_LENGTH} characters`);
  return {
    actionId: id(action.action_id, `${path}.action_id`),
    blockId: id(action.block_id, `${path}.block_id`),
    value: actionValue,
    type: id(action.type, `${path}.type`),
    actionTs: optionalString(action.action_ts, `${path}.action_ts`),
  };
}

function object(value: unknown, path: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    invalid(path, `expected an object, got ${describe(value)}`);
  return value as Json;
}

function requiredString(value: unknown, path: string, allowEmpty = false): string {
  if (typeof value !== 'string') invalid(path, `expected a string, got ${describe(value)}`);
  if (!allowEmpty && value.length === 0) invalid(path, 'empty');
  return value;
}

function optionalString(value: unknown, path: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  return requiredString(value, path, true);
}

function id(value: unknown, path: string): string {
  const text = requiredString(value, path);
  if (text.length > MAX_ID_LENGTH) invalid(path, `longer than ${MAX_ID_LENGTH} characters`);
  return text;
}

function ts(value: unknown, path: string): string {
  const text = requiredString(value, path);
  if (!/^\d{1,12}\.\d{1,9}$/.test(text))
    invalid(path, 'expected a message timestamp such as 1712345678.000100');
  return text;
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40));
  return typeof value;
}

function invalid(field: string, problem: string): never {
  throw new ReleaseAgentError('INPUT_INVALID', `invalid Slack block_actions payload: ${field}: ${problem}`, {
    source: 'slack',
    field,
  });
}
