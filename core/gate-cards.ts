// The five gate cards (one decision each): the question with [approve] [reject], then the same card
// once decided. What each gate is (number, labels, styles, wording, facts) comes from
// core/gate-registry.ts; a gate's own body (title, question, headline) is its entry of GATE_BODIES.
import {
  type ActionsBlock,
  type Actor,
  actorText,
  type Block,
  type ButtonElement,
  context,
  counted,
  factBlocks,
  fallback,
  formatUtcTime,
  header,
  inline,
  requireText,
  type SlackCard,
  section,
  shortCommit,
  stageName,
  VIA_TEXT,
} from './card-blocks.ts';
import { GATE_ACTIONS, type GateButton } from './gate-registry.ts';
import type { AzdoApprovalAccess, DecisionSource, GateDetails, GateKind } from './model.ts';
import { isLinkableUrl, SLACK_LIMITS, slackLink } from './slack-text.ts';

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

const GATE_COUNT = Object.keys(GATE_ACTIONS).length;

interface GateBody {
  title: string;
  /** Fallback text (mrkdwn, escaped). */
  summary: string;
  /** A bold first line above the facts (mrkdwn, escaped). */
  headline?: string;
}

type DetailsOf<G extends GateKind> = Extract<GateDetails, { gate: G }>;

// A gate's own title, fallback and headline; its facts come from the registry (GATE_ACTIONS.facts).
const GATE_BODIES: { readonly [G in GateKind]: (details: DetailsOf<G>) => GateBody } = {
  merge_pr: (d) => ({
    title: `Merge PR #${d.prId}: ${d.prTitle}`,
    summary: `Merge PR #${d.prId} ${inline(d.prTitle)} in ${inline(d.repo)}?`,
    headline: slackLink(d.prUrl, d.prTitle, { max: 500 }),
  }),
  create_release_pr: (d) => ({
    title: `Create release PR: ${d.repo} ${d.version}`,
    summary: `Create the release PR for ${inline(d.repo)} ${inline(d.version, 50)} (${counted(d.tickets.length, 'ticket')})?`,
  }),
  merge_release_pr: (d) => {
    const label = `Release PR #${d.releasePr.id}${d.releasePr.title ? `: ${d.releasePr.title}` : ''}`;
    return {
      title: `Merge release PR: ${d.repo} ${d.version}`,
      summary: `Merge the release PR #${d.releasePr.id} for ${inline(d.repo)} ${inline(d.version, 50)}?`,
      headline: slackLink(d.releasePr.url, label, { max: 500 }),
    };
  },
  run_pipelines: (d) => ({
    title: `Run pipelines: ${d.repo} ${d.version}`,
    summary: `Trigger ${counted(d.pipelines.length, 'pipeline')} for ${inline(d.repo)} ${inline(d.version, 50)}?`,
  }),
  approve_stage: (d) => ({
    title: `Deploy to ${stageName(d.stage)}: ${d.repo} ${d.version}`,
    summary: `Deploy ${inline(d.repo)} ${inline(d.version, 50)} to ${inline(stageName(d.stage), 50)}?`,
  }),
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
  const access = 'appCannotApprove' in details ? details.appCannotApprove : undefined;
  const gateFacts = GATE_ACTIONS[details.gate].facts(details, undefined);
  return [
    header(body.title),
    ...(body.headline ? [section(`*${body.headline}*`)] : []),
    ...factBlocks([['Repository', inline(details.repo)]], gateFacts),
    ...(access ? [section(cannotApproveLine(access))] : []),
    context([
      `Gate ${GATE_ACTIONS[details.gate].number} of ${GATE_COUNT} · decision ${inline(decisionId)} · also answerable in the hub`,
    ]),
  ];
}

const MAX_DECISION_ID = 200;

function button(spec: GateButton, value: string): ButtonElement {
  const element: ButtonElement = {
    type: 'button',
    action_id: spec.actionId,
    text: { type: 'plain_text', text: spec.label, emoji: true },
    value,
  };
  if (spec.style) element.style = spec.style;
  return element;
}

/** A gate card waiting for a click: the details, then [approve] [reject]. */
export function gateCard(input: GateCardInput): SlackCard {
  requireText(input.decisionId, 'decisionId', MAX_DECISION_ID);
  // The values are opaque and cannot be shortened: refuse rather than post a button that cannot work.
  requireText(input.approveValue, 'approveValue', SLACK_LIMITS.buttonValue);
  requireText(input.rejectValue, 'rejectValue', SLACK_LIMITS.buttonValue);
  const spec = GATE_ACTIONS[input.details.gate];
  const body = gateBody(input.details);
  const actions: ActionsBlock = {
    type: 'actions',
    block_id: `decision:${input.decisionId}:actions`,
    elements: [button(spec.approve, input.approveValue), button(spec.reject, input.rejectValue)],
  };
  return {
    text: fallback(`Gate ${spec.number}: ${body.summary}`),
    blocks: [...gateBlocks(input.decisionId, input.details, body), actions],
  };
}

function resolutionLine(gate: GateKind, resolution: GateResolution, now: string): string {
  const wording = GATE_ACTIONS[gate].wording;
  switch (resolution.status) {
    case 'approved':
    case 'rejected': {
      const [icon, verb]: [string, string] =
        resolution.status === 'approved' ? ['✅', wording.approvedVerb] : ['❌', wording.rejectedVerb];
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
  const wording = GATE_ACTIONS[gate].wording;
  const detail = effect.detail?.trim() ? inline(effect.detail, 500) : undefined;
  switch (effect.status) {
    case 'queued':
      return `⏳ In progress: ${wording.effectQueued}…`;
    case 'waiting':
      return `⏳ Waiting: ${detail ?? 'for required policies'}`;
    case 'done':
      return `Result: ${detail ?? wording.effectDone}`;
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
