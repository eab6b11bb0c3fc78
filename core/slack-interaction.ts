// Slack interaction payloads: the `block_actions` request Slack sends when someone presses a button.
// Parse only after the signature of the raw body was verified (core/slack-signature.ts). Pure: the
// form body in, a typed payload or a coded INPUT_INVALID error naming the first bad field out;
// readInteraction sorts any verified body into a button press or an interaction to ignore.
import * as z from 'zod/mini';
import { ReleaseAgentError } from './errors.ts';
import { parseOrFail, parseWith } from './input.ts';

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

/** A field that is absent when it is not what is expected (the envelope only sorts interactions). */
const lenient = <T extends z.core.$ZodType>(schema: T) => z.catch(z.optional(schema), undefined);

/** What sorts a verified interaction: its type, where to answer, and whether a message holds it. */
const envelopeSchema = z.object({
  type: lenient(z.string()),
  response_url: lenient(z.string().check(z.refine(isHttpUrl))),
  container: lenient(z.object({ type: z.literal('message') })),
  message: lenient(z.object({})),
});

// Slack sends more fields than these: unknown keys are dropped, not refused.
const id = z.string().check(z.minLength(1), z.maxLength(MAX_ID_LENGTH));
const optionalText = z.nullish(z.string());
const ts = z
  .string()
  .check(z.regex(/^\d{1,12}\.\d{1,9}$/, 'expected a message timestamp such as 1712345678.000100'));

const actionSchema = z.object({
  action_id: id,
  block_id: id,
  value: z.string().check(z.maxLength(MAX_VALUE_LENGTH)),
  type: id,
  action_ts: optionalText,
});

const blockActionsSchema = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id, username: optionalText, name: optionalText, team_id: optionalText }).check(
    z.refine((user) => Boolean(user.username ?? user.name), {
      message: 'missing',
      path: ['username'],
    }),
  ),
  channel: z.object({ id, name: optionalText }),
  message: z.object({ ts, text: optionalText, blocks: z.optional(z.array(z.unknown())) }),
  container: z.object({ type: id, message_ts: ts, channel_id: id, is_ephemeral: z.optional(z.unknown()) }),
  actions: z.array(actionSchema).check(z.minLength(1, 'expected at least one action')),
  response_url: z.string().check(z.minLength(1), z.refine(isHttpUrl, 'expected an http(s) URL')),
  trigger_id: optionalText,
  team: z.nullish(z.object({ id: optionalText })),
  api_app_id: optionalText,
});

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
  let parsed: unknown;
  try {
    parsed = JSON.parse(new URLSearchParams(decode(formBody)).get('payload') ?? '');
  } catch {
    parsed = undefined;
  }
  const envelope = parseWith(envelopeSchema, parsed);
  if (!envelope.ok)
    return {
      kind: 'ignored',
      type: 'unknown',
      reason: 'the payload is not readable',
      responseUrl: undefined,
    };
  const type = envelope.value.type?.slice(0, 40) ?? 'unknown';
  const responseUrl = envelope.value.response_url;
  const ignored = (reason: string): Interaction => ({ kind: 'ignored', type, reason, responseUrl });
  if (type !== 'block_actions') return ignored(`a ${type} interaction is not something it answers`);
  if (!envelope.value.container || !envelope.value.message)
    return ignored('only buttons on its cards in the channel count');
  try {
    return { kind: 'button', payload: parseBlockActions(formBody) };
  } catch (error) {
    if (error instanceof ReleaseAgentError) return ignored(error.message);
    throw error;
  }
}

function decode(formBody: string | Uint8Array): string {
  return typeof formBody === 'string'
    ? formBody
    : new TextDecoder('utf-8', { fatal: false }).decode(formBody);
}

/** Decodes the `payload` field of an application/x-www-form-urlencoded interaction body. */
export function parseBlockActions(formBody: string | Uint8Array): BlockActionsPayload {
  const form = new URLSearchParams(decode(formBody));
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
  const root = parseOrFail(blockActionsSchema, parsed, invalid, { root: 'payload', indices: 'brackets' });
  const { user, channel, message, container } = root;
  // The container names the message the button sits on; a mismatch means a hand-made payload.
  if (container.message_ts !== message.ts) invalid('container.message_ts', 'does not match message.ts');
  if (container.channel_id !== channel.id) invalid('container.channel_id', 'does not match channel.id');
  const actions = root.actions.map(
    (action): BlockAction => ({
      actionId: action.action_id,
      blockId: action.block_id,
      value: action.value,
      type: action.type,
      actionTs: action.action_ts ?? undefined,
    }),
  );
  return {
    type: 'block_actions',
    user: {
      id: user.id,
      username: (user.username ?? user.name) as string,
      name: user.name ?? undefined,
      teamId: user.team_id ?? undefined,
    },
    channel: { id: channel.id, name: channel.name ?? undefined },
    message: { ts: message.ts, text: message.text ?? undefined, blocks: message.blocks ?? [] },
    container: {
      type: container.type,
      messageTs: container.message_ts,
      channelId: container.channel_id,
      isEphemeral: container.is_ephemeral === true,
    },
    action: actions[0] as BlockAction,
    actions,
    responseUrl: root.response_url,
    triggerId: root.trigger_id ?? undefined,
    teamId: root.team?.id ?? undefined,
    apiAppId: root.api_app_id ?? undefined,
  };
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

function invalid(field: string, problem: string): never {
  throw new ReleaseAgentError('INPUT_INVALID', `invalid Slack block_actions payload: ${field}: ${problem}`, {
    source: 'slack',
    field,
  });
}
