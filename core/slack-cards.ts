// Slack Block Kit cards as pure functions: plain data in, `{ text, blocks }` out. Every untrusted
// string goes through escapeMrkdwn/escapePlain and every URL through slackLink (core/slack-text.ts);
// every text object is cut to its Block Kit limit. Per-gate wording lives in GATE_WORDING.
import { DEFAULT_RELEASE_ENVIRONMENTS } from './release-environments.ts';
import { ReleaseAgentError } from './errors.ts';
import { GATE_ACTIONS } from './gates.ts';
import type { DecisionSource, FindingSeverity, GateKind, ReviewFinding } from './model.ts';
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

// ---------------------------------------------------------------------------------------------
// Inputs.

/** Who did something: a Slack user id renders as a mention, anything else as escaped text. */
export interface Actor {
  slackUserId?: string;
  name?: string;
}

export interface TicketRef {
  key: string;
  summary?: string;
}

export interface PullRequestRef {
  id: number;
  url?: string;
  title?: string;
}

export interface MergePrDetails {
  gate: 'merge_pr';
  repo: string;
  prId: number;
  prTitle: string;
  prUrl?: string;
  author: string;
  sourceBranch?: string;
  targetBranch?: string;
  /** The reviewed commit the approval is bound to. */
  sourceCommit: string;
  ticket?: TicketRef;
  /** Base of ticket links (config JIRA_BASE_URL). */
  jiraBaseUrl: string;
  review: { summary: string; findingsCount: number; costUsd: number; injectionSuspected?: boolean };
}

/**
 * Gates 2–5: set when Azure DevOps said (`$expand=permissions`) that the app's identity may not answer
 * the approval: an answer here cannot release the stage, so the card sends people to Azure DevOps.
 */
export interface AzdoApprovalAccess {
  appCannotApprove?: { url?: string };
}

export interface CreateReleasePrDetails extends AzdoApprovalAccess {
  gate: 'create_release_pr';
  repo: string;
  version: string;
  tickets: TicketRef[];
  jiraBaseUrl: string;
}

export interface MergeReleasePrDetails extends AzdoApprovalAccess {
  gate: 'merge_release_pr';
  repo: string;
  version: string;
  releasePr: PullRequestRef;
}

export interface RunPipelinesDetails extends AzdoApprovalAccess {
  gate: 'run_pipelines';
  repo: string;
  version: string;
  pipelines: { name: string; url?: string }[];
}

export interface ApproveStageDetails extends AzdoApprovalAccess {
  gate: 'approve_stage';
  repo: string;
  version: string;
  /** The environment: `sandbox` or `production`. */
  stage: string;
  runUrl?: string;
}

/** What a gate card shows, per gate. */
export type GateDetails =
  | MergePrDetails
  | CreateReleasePrDetails
  | MergeReleasePrDetails
  | RunPipelinesDetails
  | ApproveStageDetails;

export interface GateCardInput {
  decisionId: string;
  details: GateDetails;
  /** Opaque button values made by the caller (decision id, nonce, outcome); passed through untouched. */
  approveValue: string;
  rejectValue: string;
}

/** How a decision ended. */
export type GateResolution =
  | { status: 'approved' | 'rejected'; by: Actor; via: DecisionSource; at: string }
  | { status: 'expired'; at?: string }
  | { status: 'superseded'; newCommit?: string; reason?: string; at?: string };

/** The side effect after a decision, when known. */
export interface GateEffect {
  status: 'queued' | 'waiting' | 'done' | 'failed';
  detail?: string;
}

export interface DecidedGateCardInput {
  decisionId: string;
  details: GateDetails;
  resolution: GateResolution;
  effect?: GateEffect;
  /** Somebody clicked a card that was already decided: say that the click changed nothing. */
  repeatedClick?: boolean;
  /** The current time (ISO-8601): times on today's date are shown without the date. */
  now: string;
}

// ---------------------------------------------------------------------------------------------
// Registries.

/** Card wording per gate; numbers, labels and action ids come from GATE_ACTIONS (core/gates.ts). */
interface GateWording {
  rejectStyle?: 'danger';
  approvedVerb: string;
  rejectedVerb: string;
  effectQueued: string;
  effectDone: string;
}

/** Per-gate wording: button labels, outcome verbs, effect results. */
export const GATE_WORDING: Readonly<Record<GateKind, Readonly<GateWording>>> = {
  merge_pr: {
    rejectStyle: 'danger',
    approvedVerb: 'Merged',
    rejectedVerb: 'Cancelled',
    effectQueued: 'completing the PR',
    effectDone: 'PR completed',
  },
  create_release_pr: {
    rejectStyle: 'danger',
    approvedVerb: 'Created',
    rejectedVerb: 'Cancelled',
    effectQueued: 'creating the release PR',
    effectDone: 'release PR created',
  },
  merge_release_pr: {
    rejectStyle: 'danger',
    approvedVerb: 'Merged',
    rejectedVerb: 'Cancelled',
    effectQueued: 'completing the release PR',
    effectDone: 'release PR completed',
  },
  run_pipelines: {
    approvedVerb: 'Triggered',
    rejectedVerb: 'Skipped',
    effectQueued: 'queueing the pipelines',
    effectDone: 'pipelines queued',
  },
  approve_stage: {
    approvedVerb: 'Approved',
    rejectedVerb: 'Skipped',
    effectQueued: 'answering the stage approval',
    effectDone: 'stage approval recorded',
  },
};

const GATE_COUNT = Object.keys(GATE_ACTIONS).length;

const VIA_TEXT: Readonly<Record<DecisionSource, string>> = {
  slack: 'via Slack',
  hub: 'via the hub',
  api: 'via the REST API',
  azdo: 'in Azure DevOps',
};

const SEVERITY: Readonly<Record<FindingSeverity, { rank: number; icon: string }>> = {
  critical: { rank: 0, icon: '🔴' },
  major: { rank: 1, icon: '🟠' },
  minor: { rank: 2, icon: '🟡' },
  info: { rank: 3, icon: '🔵' },
};

/** Azure Pipelines run results, plus our own time-out. */
export type PipelineResult = 'succeeded' | 'partiallySucceeded' | 'failed' | 'canceled' | 'timedOut' | 'none';

const PIPELINE_RESULT: Readonly<Record<PipelineResult, { icon: string; label: string; ok: boolean }>> = {
  succeeded: { icon: '✅', label: 'succeeded', ok: true },
  partiallySucceeded: { icon: '⚠️', label: 'partially succeeded', ok: false },
  failed: { icon: '❌', label: 'failed', ok: false },
  canceled: { icon: '⛔', label: 'canceled', ok: false },
  timedOut: { icon: '⏱', label: 'timed out', ok: false },
  none: { icon: '❔', label: 'no result', ok: false },
};

// ---------------------------------------------------------------------------------------------
// Small builders.

const inline = (text: string, max = 200): string => escapeMrkdwn(text, { singleLine: true, max });

function mrkdwn(text: string, max: number): MrkdwnTextObject {
  const cut = truncateMrkdwn(text, max);
  // Slack rejects an empty text object.
  return { type: 'mrkdwn', text: cut.length > 0 ? cut : '—', verbatim: true };
}

function header(text: string): HeaderBlock {
  return {
    type: 'header',
    text: {
      type: 'plain_text',
      text: escapePlain(text, { max: SLACK_LIMITS.headerText }) || '—',
      emoji: true,
    },
  };
}

function section(text: string): SectionBlock {
  return { type: 'section', text: mrkdwn(text, SLACK_LIMITS.sectionText) };
}

/** A two-column fact list; `value` is already mrkdwn (escaped by the caller). */
function facts(pairs: ReadonlyArray<readonly [label: string, value: string | undefined]>): SectionBlock {
  const fields = pairs
    .filter((pair): pair is readonly [string, string] => pair[1] !== undefined && pair[1] !== '')
    .slice(0, SLACK_LIMITS.fields)
    .map(([label, value]) => mrkdwn(`*${label}*\n${value}`, SLACK_LIMITS.fieldText));
  return { type: 'section', fields };
}

function context(lines: readonly string[], blockId?: string): ContextBlock {
  const elements = [mrkdwn(lines.join('\n'), SLACK_LIMITS.contextText)];
  return blockId === undefined
    ? { type: 'context', elements }
    : { type: 'context', block_id: blockId, elements };
}

const divider = (): DividerBlock => ({ type: 'divider' });

/** Lines that fit `max` characters, the rest summarised as "…and N more". */
function fitLines(lines: readonly string[], max: number): string {
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

const fallback = (text: string): string => truncateMrkdwn(text, SLACK_LIMITS.fallbackText);

function requireText(value: string, name: string, max: number): void {
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

function ticketList(tickets: readonly TicketRef[], jiraBaseUrl: string, max: number): string {
  if (tickets.length === 0) return '_no tickets_';
  return fitLines(
    tickets.map((ticket) => ticketLine(ticket, jiraBaseUrl)),
    max,
  );
}

function shortCommit(commit: string): string {
  return /^[0-9a-f]{7,40}$/i.test(commit) ? `\`${commit.slice(0, 7).toLowerCase()}\`` : inline(commit, 50);
}

const branchName = (ref: string): string => ref.replace(/^refs\/heads\//, '');

function usd(amount: number): string {
  return Number.isFinite(amount) && amount >= 0 ? `$${amount.toFixed(2)}` : 'n/a';
}

function actorText(actor: Actor): string {
  if (actor.slackUserId && /^[UW][A-Z0-9]{2,20}$/.test(actor.slackUserId))
    return slackUserMention(actor.slackUserId);
  if (actor.name?.trim()) return inline(actor.name, 100);
  if (actor.slackUserId?.trim()) return inline(actor.slackUserId, 100);
  return 'someone';
}

function stageName(stage: string): string {
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
// Gate cards.

interface GateBody {
  title: string;
  /** Fallback text (mrkdwn, escaped). */
  summary: string;
  blocks: Block[];
}

type DetailsOf<G extends GateKind> = Extract<GateDetails, { gate: G }>;

const GATE_BODIES: { readonly [G in GateKind]: (details: DetailsOf<G>) => GateBody } = {
  merge_pr: (d) => {
    const blocks: Block[] = [
      section(`*${slackLink(d.prUrl, d.prTitle, { max: 500 })}*`),
      facts([
        ['Repository', inline(d.repo)],
        ['Author', inline(d.author, 100)],
        ['Ticket', d.ticket ? ticketLink(d.ticket.key, d.jiraBaseUrl) : '_none_'],
        [
          'Branch',
          d.sourceBranch
            ? `${inline(branchName(d.sourceBranch))}${d.targetBranch ? ` → ${inline(branchName(d.targetBranch))}` : ''}`
            : undefined,
        ],
        ['Commit', shortCommit(d.sourceCommit)],
        ['Findings', String(d.review.findingsCount)],
        ['Review cost', usd(d.review.costUsd)],
      ]),
    ];
    if (d.review.summary.trim()) {
      blocks.push(
        section(`*AI review*\n${escapeMrkdwn(d.review.summary, { max: SLACK_LIMITS.sectionText - 20 })}`),
      );
    }
    if (d.review.injectionSuspected) {
      blocks.push(
        context(['⚠ The review suspects instructions hidden in the PR text: read the diff yourself.']),
      );
    }
    return {
      title: `Merge PR #${d.prId}: ${d.prTitle}`,
      summary: `Merge PR #${d.prId} ${inline(d.prTitle)} in ${inline(d.repo)}?`,
      blocks,
    };
  },
  create_release_pr: (d) => ({
    title: `Create release PR: ${d.repo} ${d.version}`,
    summary: `Create the release PR for ${inline(d.repo)} ${inline(d.version, 50)} (${counted(d.tickets.length, 'ticket')})?`,
    blocks: [
      facts([
        ['Repository', inline(d.repo)],
        ['Version', inline(d.version, 50)],
      ]),
      section(
        `*Tickets (${d.tickets.length})*\n${ticketList(d.tickets, d.jiraBaseUrl, SLACK_LIMITS.sectionText - 30)}`,
      ),
    ],
  }),
  merge_release_pr: (d) => {
    const label = `Release PR #${d.releasePr.id}${d.releasePr.title ? `: ${d.releasePr.title}` : ''}`;
    return {
      title: `Merge release PR: ${d.repo} ${d.version}`,
      summary: `Merge the release PR #${d.releasePr.id} for ${inline(d.repo)} ${inline(d.version, 50)}?`,
      blocks: [
        section(`*${slackLink(d.releasePr.url, label, { max: 500 })}*`),
        facts([
          ['Repository', inline(d.repo)],
          ['Version', inline(d.version, 50)],
        ]),
      ],
    };
  },
  run_pipelines: (d) => ({
    title: `Run pipelines: ${d.repo} ${d.version}`,
    summary: `Trigger ${counted(d.pipelines.length, 'pipeline')} for ${inline(d.repo)} ${inline(d.version, 50)}?`,
    blocks: [
      facts([
        ['Repository', inline(d.repo)],
        ['Version', inline(d.version, 50)],
      ]),
      section(
        `*Pipelines (${d.pipelines.length})*\n${
          d.pipelines.length === 0
            ? '_none configured_'
            : fitLines(
                d.pipelines.map((pipeline) => `• ${slackLink(pipeline.url, pipeline.name)}`),
                SLACK_LIMITS.sectionText - 30,
              )
        }`,
      ),
    ],
  }),
  approve_stage: (d) => {
    const blocks: Block[] = [
      facts([
        ['Repository', inline(d.repo)],
        ['Version', inline(d.version, 50)],
        ['Stage', `*${inline(stageName(d.stage), 50)}*`],
      ]),
    ];
    if (d.runUrl && isLinkableUrl(d.runUrl)) blocks.push(section(slackLink(d.runUrl, 'Pipeline run')));
    return {
      title: `Deploy to ${stageName(d.stage)}: ${d.repo} ${d.version}`,
      summary: `Deploy ${inline(d.repo)} ${inline(d.version, 50)} to ${inline(stageName(d.stage), 50)}?`,
      blocks,
    };
  },
};

function gateBody(details: GateDetails): GateBody {
  // The registry is keyed by the same discriminant, so the lookup matches the details' type.
  const render = GATE_BODIES[details.gate] as (details: GateDetails) => GateBody;
  return render(details);
}

/** The warning of a gate the app may not answer in Azure DevOps, with the way there. */
export function cannotApproveLine(access: AzdoApprovalAccess['appCannotApprove']): string {
  const where =
    access?.url && isLinkableUrl(access.url) ? slackLink(access.url, 'Azure DevOps') : 'Azure DevOps';
  return `⚠ The Release Agent may not answer this approval in Azure DevOps (its identity is not an approver, or not one who may answer now): an answer here cannot release the stage. Answer it in ${where}.`;
}

function gateBlocks(decisionId: string, details: GateDetails, body: GateBody): Block[] {
  const access = details.gate === 'merge_pr' ? undefined : details.appCannotApprove;
  return [
    header(body.title),
    ...body.blocks,
    ...(access ? [section(cannotApproveLine(access))] : []),
    context([
      `Gate ${GATE_ACTIONS[details.gate].number} of ${GATE_COUNT} · decision ${inline(decisionId)} · also answerable in the hub`,
    ]),
  ];
}

const MAX_DECISION_ID = 200;

/** A gate card waiting for a click: the details, then [approve] [reject]. */
export function gateCard(input: GateCardInput): SlackCard {
  requireText(input.decisionId, 'decisionId', MAX_DECISION_ID);
  // The values are opaque and cannot be shortened: refuse rather than post a button that cannot work.
  requireText(input.approveValue, 'approveValue', SLACK_LIMITS.buttonValue);
  requireText(input.rejectValue, 'rejectValue', SLACK_LIMITS.buttonValue);
  const { gate } = input.details;
  const spec = GATE_WORDING[gate];
  const body = gateBody(input.details);
  const approve: ButtonElement = {
    type: 'button',
    action_id: GATE_ACTIONS[gate].approve.actionId,
    text: { type: 'plain_text', text: GATE_ACTIONS[gate].approve.label, emoji: true },
    value: input.approveValue,
    style: 'primary',
  };
  const reject: ButtonElement = {
    type: 'button',
    action_id: GATE_ACTIONS[gate].reject.actionId,
    text: { type: 'plain_text', text: GATE_ACTIONS[gate].reject.label, emoji: true },
    value: input.rejectValue,
  };
  if (spec.rejectStyle) reject.style = spec.rejectStyle;
  return {
    text: fallback(`Gate ${GATE_ACTIONS[gate].number}: ${body.summary}`),
    blocks: [
      ...gateBlocks(input.decisionId, input.details, body),
      { type: 'actions', block_id: `decision:${input.decisionId}:actions`, elements: [approve, reject] },
    ],
  };
}

function resolutionLine(gate: GateKind, resolution: GateResolution, now: string): string {
  const spec = GATE_WORDING[gate];
  switch (resolution.status) {
    case 'approved':
    case 'rejected': {
      const [icon, verb]: [string, string] =
        resolution.status === 'approved' ? ['✅', spec.approvedVerb] : ['❌', spec.rejectedVerb];
      return `${icon} ${verb} by ${actorText(resolution.by)} ${VIA_TEXT[resolution.via]} at ${formatUtcTime(resolution.at, now)}`;
    }
    case 'expired':
      return `⏱ Expired${resolution.at ? ` at ${formatUtcTime(resolution.at, now)}` : ''}`;
    case 'superseded': {
      const why = resolution.newCommit
        ? `a new commit ${shortCommit(resolution.newCommit)} was pushed`
        : resolution.reason?.trim()
          ? inline(resolution.reason, 300)
          : 'a newer request replaced this one';
      return `↪ Superseded: ${why}`;
    }
  }
}

function effectLine(gate: GateKind, effect: GateEffect): string {
  const spec = GATE_WORDING[gate];
  const detail = effect.detail?.trim() ? inline(effect.detail, 500) : undefined;
  switch (effect.status) {
    case 'queued':
      return `⏳ In progress: ${spec.effectQueued}…`;
    case 'waiting':
      return `⏳ Waiting: ${detail ?? 'for required policies'}`;
    case 'done':
      return `Result: ${detail ?? spec.effectDone}`;
    case 'failed':
      return `⚠ Result: failed: ${detail ?? 'unknown error'}`;
  }
}

function repeatedClickLine(resolution: GateResolution): string {
  const already =
    resolution.status === 'approved' || resolution.status === 'rejected'
      ? `Already decided by ${actorText(resolution.by)}`
      : `Already ${resolution.status}`;
  return `⚠ ${already} (your click changed nothing)`;
}

/** The same card once decided: the buttons give way to who decided, how and when, and the result. */
export function decidedGateCard(input: DecidedGateCardInput): SlackCard {
  requireText(input.decisionId, 'decisionId', MAX_DECISION_ID);
  const { gate } = input.details;
  const body = gateBody(input.details);
  const lines = [resolutionLine(gate, input.resolution, input.now)];
  if (input.effect) lines.push(effectLine(gate, input.effect));
  if (input.repeatedClick) lines.push(repeatedClickLine(input.resolution));
  return {
    text: fallback(`Gate ${GATE_ACTIONS[gate].number}: ${body.summary} ${lines[0]}`),
    blocks: [
      ...gateBlocks(input.decisionId, input.details, body),
      // A new block_id: Slack asks for one when a message is updated.
      context(lines, `decision:${input.decisionId}:outcome`),
    ],
  };
}

/** A short standalone notice for the one who clicked a decided card (e.g. an ephemeral reply). */
export function repeatedClickNotice(resolution: GateResolution): SlackCard {
  const line = repeatedClickLine(resolution);
  return { text: fallback(line), blocks: [context([line])] };
}

// ---------------------------------------------------------------------------------------------
// Notifications (no buttons).

export interface ReviewChangesRequestedInput {
  repo: string;
  prId: number;
  prTitle: string;
  prUrl?: string;
  author?: string;
  verdict?: 'request_changes' | 'needs_human_review';
  summary: string;
  findings: ReviewFinding[];
  ticket?: TicketRef;
  jiraBaseUrl: string;
  costUsd?: number;
}

export function reviewChangesRequestedCard(input: ReviewChangesRequestedInput): SlackCard {
  const human = input.verdict === 'needs_human_review';
  const findings = [...input.findings].sort(
    (a, b) =>
      SEVERITY[a.severity].rank - SEVERITY[b.severity].rank ||
      a.file.localeCompare(b.file) ||
      a.line - b.line,
  );
  const counts = (Object.keys(SEVERITY) as FindingSeverity[])
    .map(
      (severity) => [severity, findings.filter((finding) => finding.severity === severity).length] as const,
    )
    .filter(([, count]) => count > 0)
    .map(([severity, count]) => `${count} ${severity}`)
    .join(', ');
  const blocks: Block[] = [
    header(human ? `PR #${input.prId} needs a human review` : `Changes requested on PR #${input.prId}`),
    section(`*${slackLink(input.prUrl, input.prTitle, { max: 500 })}*`),
    facts([
      ['Repository', inline(input.repo)],
      ['Author', input.author ? inline(input.author, 100) : undefined],
      ['Ticket', input.ticket ? ticketLink(input.ticket.key, input.jiraBaseUrl) : undefined],
      ['Findings', findings.length > 0 ? `${findings.length} (${counts})` : '0'],
      ['Review cost', input.costUsd === undefined ? undefined : usd(input.costUsd)],
    ]),
  ];
  if (input.summary.trim()) {
    blocks.push(
      section(`*AI review*\n${escapeMrkdwn(input.summary, { max: SLACK_LIMITS.sectionText - 20 })}`),
    );
  }
  if (findings.length > 0) {
    const lines = findings.map(
      (finding) =>
        `${SEVERITY[finding.severity].icon} ${inline(finding.file, 200)}:${finding.line} ${inline(finding.message, 300)}`,
    );
    blocks.push(section(`*Findings*\n${fitLines(lines, SLACK_LIMITS.sectionText - 20)}`));
  }
  const what = human ? 'needs a human review' : 'changes requested';
  return {
    text: fallback(
      `PR #${input.prId} ${inline(input.prTitle)} in ${inline(input.repo)}: ${what} (${counted(findings.length, 'finding')})`,
    ),
    blocks,
  };
}

export interface StagedInput {
  repo: string;
  version: string;
  ticket: TicketRef;
  jiraBaseUrl: string;
  pr?: PullRequestRef;
  /** How many tickets the staging release holds now. */
  ticketsOnStaging?: number;
}

export function stagedCard(input: StagedInput): SlackCard {
  const key = ticketLink(input.ticket.key, input.jiraBaseUrl);
  const summary = input.ticket.summary?.trim() ? ` ${inline(input.ticket.summary)}` : '';
  const pr = input.pr
    ? `\nFrom ${slackLink(input.pr.url, `PR #${input.pr.id}${input.pr.title ? `: ${input.pr.title}` : ''}`)}`
    : '';
  const blocks: Block[] = [
    header(`Staged: ${input.ticket.key} → ${input.repo} ${input.version}`),
    section(
      `Ticket ${key}${summary} added to *${inline(input.repo)}* staging version *${inline(input.version, 50)}*${pr}`,
    ),
  ];
  if (input.ticketsOnStaging !== undefined) {
    blocks.push(
      context([`${counted(input.ticketsOnStaging, 'ticket')} on staging for ${inline(input.repo)}`]),
    );
  }
  return {
    text: fallback(
      `Ticket ${inline(input.ticket.key, 100)} added to ${inline(input.repo)} staging version ${inline(input.version, 50)}`,
    ),
    blocks,
  };
}

export interface ReleasePrCreatedInput {
  repo: string;
  version: string;
  pr: PullRequestRef;
  tickets: TicketRef[];
  jiraBaseUrl: string;
}

export function releasePrCreatedCard(input: ReleasePrCreatedInput): SlackCard {
  const label = `Release PR #${input.pr.id}${input.pr.title ? `: ${input.pr.title}` : ''}`;
  return {
    text: fallback(
      `Release PR #${input.pr.id} created for ${inline(input.repo)} ${inline(input.version, 50)}`,
    ),
    blocks: [
      header(`Release PR created: ${input.repo} ${input.version}`),
      section(`*${slackLink(input.pr.url, label, { max: 500 })}*`),
      section(
        `*Tickets (${input.tickets.length})*\n${ticketList(input.tickets, input.jiraBaseUrl, SLACK_LIMITS.sectionText - 30)}`,
      ),
    ],
  };
}

export interface PipelinesFinishedInput {
  repo: string;
  version?: string;
  pipelines: { name: string; result: PipelineResult; url?: string }[];
}

export function pipelinesFinishedCard(input: PipelinesFinishedInput): SlackCard {
  const ok = input.pipelines.every((pipeline) => PIPELINE_RESULT[pipeline.result].ok);
  const version = input.version ? ` ${input.version}` : '';
  const lines = input.pipelines.map((pipeline) => {
    const result = PIPELINE_RESULT[pipeline.result];
    return `${result.icon} ${slackLink(pipeline.url, pipeline.name)}: ${result.label}`;
  });
  const failed = input.pipelines.filter((pipeline) => !PIPELINE_RESULT[pipeline.result].ok).length;
  const outcome = ok ? 'all succeeded' : `${failed} of ${input.pipelines.length} did not succeed`;
  return {
    text: fallback(
      `Pipelines for ${inline(input.repo)}${input.version ? ` ${inline(input.version, 50)}` : ''}: ${outcome}`,
    ),
    blocks: [
      header(`${ok ? '✅' : '❌'} Pipelines finished: ${input.repo}${version}`),
      section(lines.length > 0 ? fitLines(lines, SLACK_LIMITS.sectionText) : '_no pipelines ran_'),
      context([outcome]),
    ],
  };
}

export interface DeploymentApprovedInput {
  repo: string;
  version: string;
  stage: string;
  by: Actor;
  via: DecisionSource;
  at: string;
  now: string;
  runUrl?: string;
}

export function deploymentApprovedCard(input: DeploymentApprovedInput): SlackCard {
  const stage = inline(stageName(input.stage), 50);
  const run =
    input.runUrl && isLinkableUrl(input.runUrl) ? ` · ${slackLink(input.runUrl, 'Pipeline run')}` : '';
  return {
    text: fallback(`Deployment of ${inline(input.repo)} ${inline(input.version, 50)} to ${stage} approved`),
    blocks: [
      header(`Deployment approved: ${input.repo} ${input.version} → ${stageName(input.stage)}`),
      section(
        `✅ *${stage}* deployment of *${inline(input.repo)}* ${inline(input.version, 50)} approved by ${actorText(input.by)} ${VIA_TEXT[input.via]} at ${formatUtcTime(input.at, input.now)}${run}`,
      ),
    ],
  };
}

export interface ReleaseCompletedInput {
  repo: string;
  version: string;
  notes: string;
  tickets: TicketRef[];
  jiraBaseUrl: string;
  releasePr?: PullRequestRef;
  tag?: string;
}

export function releaseCompletedCard(input: ReleaseCompletedInput): SlackCard {
  const blocks: Block[] = [
    header(`🚀 Released ${input.repo} ${input.version}`),
    facts([
      ['Repository', inline(input.repo)],
      ['Version', inline(input.version, 50)],
      ['Tag', input.tag ? inline(input.tag, 100) : undefined],
      [
        'Release PR',
        input.releasePr ? slackLink(input.releasePr.url, `PR #${input.releasePr.id}`) : undefined,
      ],
    ]),
  ];
  if (input.notes.trim()) {
    blocks.push(
      section(`*Release notes*\n${escapeMrkdwn(input.notes, { max: SLACK_LIMITS.sectionText - 20 })}`),
    );
  }
  blocks.push(
    divider(),
    section(
      `*Tickets (${input.tickets.length})*\n${ticketList(input.tickets, input.jiraBaseUrl, SLACK_LIMITS.sectionText - 30)}`,
    ),
  );
  return {
    text: fallback(
      `Released ${inline(input.repo)} ${inline(input.version, 50)} (${counted(input.tickets.length, 'ticket')})`,
    ),
    blocks,
  };
}

export interface FailureInput {
  /** The step that failed, e.g. "RunPipelines". */
  step: string;
  repo?: string;
  version?: string;
  runUrl?: string;
  /** Already redacted by the caller (core/secret.ts `redact`). */
  message: string;
}

export function failureCard(input: FailureInput): SlackCard {
  const where = [input.repo, input.version].filter((part): part is string => Boolean(part?.trim()));
  const blocks: Block[] = [
    header(`❌ Failed: ${input.step}${where.length > 0 ? ` (${where.join(' ')})` : ''}`),
    section(
      `*Error*\n${escapeMrkdwn(input.message, { max: SLACK_LIMITS.sectionText - 20 }) || '_no message_'}`,
    ),
  ];
  if (input.runUrl && isLinkableUrl(input.runUrl))
    blocks.push(context([slackLink(input.runUrl, 'Open the run')]));
  const scope = where.length > 0 ? ` for ${where.map((part) => inline(part)).join(' ')}` : '';
  return {
    text: fallback(`Failed: ${inline(input.step, 100)}${scope}: ${inline(input.message, 300)}`),
    blocks,
  };
}
