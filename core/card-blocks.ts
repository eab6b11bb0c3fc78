// The Block Kit types and mrkdwn helpers the gate cards (core/gate-cards.ts) and the release cards
// (core/release-cards.ts) share. Every untrusted string goes through escapeMrkdwn/escapePlain and
// every URL through slackLink (core/slack-text.ts); every text object is cut to its Block Kit limit.
import { ReleaseAgentError } from './errors.ts';
import type { Fact, FactKind, FactOf } from './facts.ts';
import type { DecisionSource, TicketRef } from './model.ts';
import { DEFAULT_RELEASE_ENVIRONMENTS } from './release-environments.ts';
import {
  escapeMrkdwn,
  escapePlain,
  isLinkableUrl,
  SLACK_LIMITS,
  slackLink,
  slackUserMention,
  truncateMrkdwn,
} from './slack-text.ts';

// ---------------------------------------------------------------------------------------------
// Block Kit types: only what the cards use. Type aliases, not interfaces, so a block is assignable
// to a plain JSON record (the Slack adapter's SlackBlock).

export type PlainTextObject = {
  type: 'plain_text';
  text: string;
  emoji?: boolean;
};

export type MrkdwnTextObject = {
  type: 'mrkdwn';
  text: string;
  verbatim?: boolean;
};

export type HeaderBlock = {
  type: 'header';
  text: PlainTextObject;
};

export type SectionBlock = {
  type: 'section';
  text?: MrkdwnTextObject;
  fields?: MrkdwnTextObject[];
};

export type ContextBlock = {
  type: 'context';
  block_id?: string;
  elements: MrkdwnTextObject[];
};

export type ButtonElement = {
  type: 'button';
  action_id: string;
  text: PlainTextObject;
  value: string;
  style?: 'primary' | 'danger';
};

export type ActionsBlock = {
  type: 'actions';
  block_id: string;
  elements: ButtonElement[];
};

export type DividerBlock = {
  type: 'divider';
};

export type Block = HeaderBlock | SectionBlock | ContextBlock | ActionsBlock | DividerBlock;

/** A card for chat.postMessage / chat.update (the adapter adds the channel); `text` is the fallback. */
export interface SlackCard {
  text: string;
  blocks: Block[];
}

/** Who did something: a Slack user id renders as a mention, anything else as escaped text. */
export interface Actor {
  slackUserId?: string;
  name?: string;
}
export const VIA_TEXT: Readonly<Record<DecisionSource, string>> = {
  slack: 'via Slack',
  hub: 'via the hub',
  api: 'via the REST API',
  azdo: 'in Azure DevOps',
};

// ---------------------------------------------------------------------------------------------
// Small builders.

export const inline = (text: string, max = 200): string => escapeMrkdwn(text, { singleLine: true, max });

export function mrkdwn(text: string, max: number): MrkdwnTextObject {
  const cut = truncateMrkdwn(text, max);
  // Slack rejects an empty text object.
  return { type: 'mrkdwn', text: cut.length > 0 ? cut : '—', verbatim: true };
}

export function header(text: string): HeaderBlock {
  return {
    type: 'header',
    text: {
      type: 'plain_text',
      text: escapePlain(text, { max: SLACK_LIMITS.headerText }) || '—',
      emoji: true,
    },
  };
}

export function section(text: string): SectionBlock {
  return { type: 'section', text: mrkdwn(text, SLACK_LIMITS.sectionText) };
}

/** A two-column fact list; `value` is already mrkdwn (escaped by the caller). */
export function facts(
  pairs: ReadonlyArray<readonly [label: string, value: string | undefined]>,
): SectionBlock {
  const fields = pairs
    .filter((pair): pair is readonly [string, string] => pair[1] !== undefined && pair[1] !== '')
    .slice(0, SLACK_LIMITS.fields)
    .map(([label, value]) => mrkdwn(`*${label}*\n${value}`, SLACK_LIMITS.fieldText));
  return { type: 'section', fields };
}

export function context(lines: readonly string[], blockId?: string): ContextBlock {
  const elements = [mrkdwn(lines.join('\n'), SLACK_LIMITS.contextText)];
  return blockId === undefined
    ? { type: 'context', elements }
    : { type: 'context', block_id: blockId, elements };
}

export const divider = (): DividerBlock => ({ type: 'divider' });

/** Lines that fit `max` characters, the rest summarised as "…and N more". */
export function fitLines(lines: readonly string[], max: number): string {
  const kept: string[] = [];
  let used = 0;
  for (const [index, line] of lines.entries()) {
    const remaining = lines.length - index - 1;
    const tail = remaining > 0 ? `\n…and ${remaining} more`.length : 0;
    const cost = (kept.length > 0 ? 1 : 0) + line.length;
    if (used + cost + tail > max) {
      kept.push(`…and ${lines.length - index} more`);
      return kept.join('\n');
    }
    kept.push(line);
    used += cost;
  }
  return kept.join('\n');
}

export const fallback = (text: string): string => truncateMrkdwn(text, SLACK_LIMITS.fallbackText);

export function requireText(value: string, name: string, max: number): void {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw new ReleaseAgentError('INPUT_INVALID', `${name} must be 1 to ${max} characters`, { field: name });
  }
}

// ---------------------------------------------------------------------------------------------
// Shared renderings.

/** A count as a person writes it: "1 ticket", "2 tickets", "0 tickets". */
export function counted(count: number, noun: string): string {
  return `${count} ${count === 1 ? noun : `${noun}s`}`;
}

/** A ticket key linked to Jira (`{base}/browse/{KEY}`); an odd key or base gives plain text. */
export function ticketLink(key: string, jiraBaseUrl: string): string {
  const base = jiraBaseUrl.replace(/\/+$/, '');
  if (!/^[A-Z][A-Z0-9_]+-\d+$/.test(key) || !isLinkableUrl(base)) return inline(key, 100);
  return slackLink(`${base}/browse/${key}`, key);
}

function ticketLine(ticket: TicketRef, jiraBaseUrl: string): string {
  const summary = ticket.summary?.trim() ? ` ${inline(ticket.summary, 200)}` : '';
  return `• ${ticketLink(ticket.key, jiraBaseUrl)}${summary}`;
}

export function ticketList(tickets: readonly TicketRef[], jiraBaseUrl: string, max: number): string {
  if (tickets.length === 0) return '_no tickets_';
  return fitLines(
    tickets.map((ticket) => ticketLine(ticket, jiraBaseUrl)),
    max,
  );
}

export function shortCommit(commit: string): string {
  return /^[0-9a-f]{7,40}$/i.test(commit) ? `\`${commit.slice(0, 7).toLowerCase()}\`` : inline(commit, 50);
}

export const branchName = (ref: string): string => ref.replace(/^refs\/heads\//, '');

export function usd(amount: number): string {
  return Number.isFinite(amount) && amount >= 0 ? `$${amount.toFixed(2)}` : 'n/a';
}

export function actorText(actor: Actor): string {
  if (actor.slackUserId && /^[UW][A-Z0-9]{2,20}$/.test(actor.slackUserId))
    return slackUserMention(actor.slackUserId);
  if (actor.name?.trim()) return inline(actor.name, 100);
  if (actor.slackUserId?.trim()) return inline(actor.slackUserId, 100);
  return 'someone';
}

export function stageName(stage: string): string {
  const known: Record<string, string> = {
    sandbox: 'Sandbox',
    production: 'Production',
    [DEFAULT_RELEASE_ENVIRONMENTS.sandbox]: 'Sandbox',
    [DEFAULT_RELEASE_ENVIRONMENTS.production]: 'Production',
  };
  return known[stage.trim().toLowerCase()] ?? stage.trim();
}

/** `12:00 UTC` on `now`'s date, `2026-05-01 12:00 UTC` otherwise; an unparseable time is shown as given. */
export function formatUtcTime(at: string, now: string): string {
  const when = new Date(at);
  if (Number.isNaN(when.getTime())) return inline(at, 40);
  const iso = when.toISOString();
  const time = `${iso.slice(11, 16)} UTC`;
  const today = new Date(now);
  const sameDay = !Number.isNaN(today.getTime()) && today.toISOString().slice(0, 10) === iso.slice(0, 10);
  return sameDay ? time : `${iso.slice(0, 10)} ${time}`;
}

// ---------------------------------------------------------------------------------------------
// A gate's facts (core/facts.ts) on a card: one rendering per kind, either a field of the card's fact
// list or a block of its own below it.

type SlackFact =
  | { field: readonly [label: string, value: string | undefined] }
  | { block: Block }
  | undefined;

const listMax = SLACK_LIMITS.sectionText - 30;

const SLACK_FACTS: { readonly [K in FactKind]: (fact: FactOf<K>) => SlackFact } = {
  person: (f) => ({ field: [f.label, f.name === undefined ? undefined : inline(f.name, 100)] }),
  version: (f) => ({ field: [f.label, f.version === undefined ? undefined : inline(f.version, 50)] }),
  stage: (f) => ({
    field: [f.label, f.stage === undefined ? undefined : `*${inline(stageName(f.stage), 50)}*`],
  }),
  count: (f) => ({ field: [f.label, f.count === undefined ? undefined : String(f.count)] }),
  usd: (f) => ({ field: [f.label, f.usd === undefined ? undefined : usd(f.usd)] }),
  commit: (f) => ({ field: [f.label, f.commit === undefined ? undefined : shortCommit(f.commit)] }),
  branch: (f) => ({
    field: [
      f.label,
      f.source
        ? `${inline(branchName(f.source))}${f.target ? ` → ${inline(branchName(f.target))}` : ''}`
        : undefined,
    ],
  }),
  // A card shows its pull request as its headline (core/gate-cards.ts), not as a fact.
  pullRequest: () => undefined,
  ticket: (f) => ({ field: [f.label, f.key ? ticketLink(f.key, f.jiraBaseUrl ?? '') : '_none_'] }),
  tickets: (f) => ({
    block: section(
      `*${f.label} (${f.tickets.length})*\n${ticketList(f.tickets, f.jiraBaseUrl ?? '', listMax)}`,
    ),
  }),
  links: (f) => ({
    block: section(
      `*${f.label} (${f.links.length})*\n${
        f.links.length === 0
          ? `_${f.none}_`
          : fitLines(
              f.links.map((link) => `• ${slackLink(link.url, link.text)}`),
              listMax,
            )
      }`,
    ),
  }),
  link: (f) => (f.url && isLinkableUrl(f.url) ? { block: section(slackLink(f.url, f.text)) } : undefined),
  note: (f) => ({
    block: section(`*${f.label}*\n${escapeMrkdwn(f.text, { max: SLACK_LIMITS.sectionText - 20 })}`),
  }),
  warning: (f) => ({ block: context([`⚠ ${f.text}`]) }),
};

/**
 * A gate's facts as card blocks: one fact list (the `leading` fields, then the facts that are fields),
 * then the facts that are blocks of their own, in their order.
 */
export function factBlocks(
  leading: ReadonlyArray<readonly [label: string, value: string | undefined]>,
  list: readonly Fact[],
): Block[] {
  const fields = [...leading];
  const blocks: Block[] = [];
  for (const fact of list) {
    const rendered = (SLACK_FACTS[fact.kind] as (fact: Fact) => SlackFact)(fact);
    if (rendered === undefined) continue;
    if ('field' in rendered) fields.push(rendered.field);
    else blocks.push(rendered.block);
  }
  return [facts(fields), ...blocks];
}
