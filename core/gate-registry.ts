// The five human gates, each defined once: its number, title, buttons, API verbs, card wording, the
// facts its question shows, the release environments whose approval it is, the effect a decision asks
// the worker for, and the Python agent's names for it. The Slack cards, the hub, the flows and the
// importer read this registry; a gate's card body is in core/gate-cards.ts and its details type in
// core/model.ts.
import { ReleaseAgentError } from './errors.ts';
import type { Fact } from './facts.ts';
import type {
  DecisionOutcome,
  DecisionTarget,
  GateDetails,
  GateKind,
  ThreadKind,
  TicketRef,
} from './model.ts';
import { DEFAULT_RELEASE_ENVIRONMENTS, type ReleaseEnvironments } from './release-environments.ts';

/** The side effects the worker performs after a decision (flows/decision-effects.ts). */
export const EFFECTS = ['complete_pr', 'decline_pr', 'decide_approval'] as const;
export type EffectKind = (typeof EFFECTS)[number];

export interface GateButton {
  /** Slack `action_id` (unique per gate and outcome). */
  actionId: string;
  label: string;
  outcome: DecisionOutcome;
  /** Block Kit button style (the hub shows `danger` the same way). */
  style?: 'primary' | 'danger';
}

/** What the cards say of an answer and its effect. */
export interface GateWording {
  /** "✅ {approvedVerb} by …" */
  approvedVerb: string;
  /** "❌ {rejectedVerb} by …" */
  rejectedVerb: string;
  /** "⏳ In progress: {effectQueued}…" */
  effectQueued: string;
  /** "Result: {effectDone}" when the effect reports no detail. */
  effectDone: string;
}

/** What is known of a pending Azure DevOps approval when its gate's question is asked (gates 2–5). */
export interface ApprovalFacts {
  repo: string;
  version: string;
  approvalId: string;
  /** The approval's environment (gate 5: the stage). */
  environment: string;
  /** The release's tickets (gate 2; empty when unknown). */
  tickets: readonly TicketRef[];
  /** The release PR (gate 3), when it is known. */
  releasePrId?: number;
  releasePrUrl?: string;
  /** The pipelines gate 4 runs. */
  pipelines: readonly string[];
  /** The run's page. */
  runUrl?: string;
  jiraBaseUrl: string;
}

/** What a decision of a release gate decides and what its card shows. */
export interface GateQuestion {
  target: DecisionTarget;
  details: Exclude<GateDetails, { gate: 'merge_pr' }>;
}

type DetailsOf<G extends GateKind> = Extract<GateDetails, { gate: G }>;
type TargetOf<G extends GateKind> = Extract<DecisionTarget, { gate: G }>;

export interface GateSpec {
  gate: GateKind;
  number: 1 | 2 | 3 | 4 | 5;
  title: string;
  /**
   * The flow it belongs to, which is the kind of thread its decisions are on: the PR flow (gate 1: a
   * pull request, its review and its author) or the release flow (gates 2–5: a version).
   */
  flow: ThreadKind;
  approve: GateButton;
  reject: GateButton;
  /** Verbs the REST API accepts (the Python agent's `merge|cancel|approve|skip`, plus ours). */
  verbs: Readonly<Record<string, DecisionOutcome>>;
  wording: Readonly<GateWording>;
  /**
   * What its question shows (core/facts.ts), from a card's details and the decision's target, either of
   * which may be absent (a decision recorded without a card has no details; a card is drawn from its
   * details alone). Details or a target of another gate count as absent.
   */
  facts(details: GateDetails | undefined, target: DecisionTarget | undefined): Fact[];
  /** The RELEASE_ENVIRONMENTS roles whose approval is this gate; none for gate 1 (a PR, not an approval). */
  environments: readonly (keyof ReleaseEnvironments)[];
  /** The effect each outcome asks the worker for. */
  effect: Readonly<Record<DecisionOutcome, EffectKind>>;
  /** The Python agent's node and gate names for it (lower case, `_` for any other separator). */
  pythonNames: readonly string[];
  /** Python names that also name the stage (gate 5 only). */
  pythonStageNames?: Readonly<Record<string, string>>;
  /** Gates 2–5: the question a pending approval of this gate's environment asks. */
  approvalQuestion?: (facts: ApprovalFacts) => GateQuestion;
}

interface GateDefinition<G extends GateKind> {
  number: GateSpec['number'];
  title: string;
  flow: ThreadKind;
  approveLabel: string;
  rejectLabel: string;
  /** Declining a gate whose effect cannot be taken back is shown as dangerous. */
  rejectStyle?: 'danger';
  wording: GateWording;
  facts: (details: DetailsOf<G> | undefined, target: TargetOf<G> | undefined) => Fact[];
  environments: GateSpec['environments'];
  effect: GateSpec['effect'];
  pythonNames: readonly string[];
  pythonStageNames?: Readonly<Record<string, string>>;
  approvalQuestion?: (facts: ApprovalFacts) => GateQuestion;
}

function gateSpec<G extends GateKind>(gate: G, definition: GateDefinition<G>): GateSpec {
  const approveVerb = definition.approveLabel.toLowerCase();
  const rejectVerb = definition.rejectLabel.toLowerCase();
  const reject: GateButton = {
    actionId: `release_agent:${gate}:reject`,
    label: definition.rejectLabel,
    outcome: 'rejected',
  };
  if (definition.rejectStyle) reject.style = definition.rejectStyle;
  return Object.freeze({
    gate,
    number: definition.number,
    title: definition.title,
    flow: definition.flow,
    approve: Object.freeze({
      actionId: `release_agent:${gate}:approve`,
      label: definition.approveLabel,
      outcome: 'approved',
      style: 'primary',
    } satisfies GateButton),
    reject: Object.freeze(reject),
    // The button's own verb, plus the generic approve/reject every gate understands. Declining is
    // always safe, so every gate also takes cancel and skip; approving takes only this gate's verb.
    verbs: Object.freeze({
      [approveVerb]: 'approved',
      approve: 'approved',
      [rejectVerb]: 'rejected',
      cancel: 'rejected',
      skip: 'rejected',
      reject: 'rejected',
    } satisfies Record<string, DecisionOutcome>),
    wording: Object.freeze({ ...definition.wording }),
    facts: (details, target) =>
      definition.facts(
        details?.gate === gate ? (details as DetailsOf<G>) : undefined,
        target?.gate === gate ? (target as TargetOf<G>) : undefined,
      ),
    environments: Object.freeze([...definition.environments]),
    effect: Object.freeze({ ...definition.effect }),
    pythonNames: Object.freeze([...definition.pythonNames]),
    ...(definition.pythonStageNames
      ? { pythonStageNames: Object.freeze({ ...definition.pythonStageNames }) }
      : {}),
    ...(definition.approvalQuestion ? { approvalQuestion: definition.approvalQuestion } : {}),
  } satisfies GateSpec);
}

const APPROVAL_EFFECT = { approved: 'decide_approval', rejected: 'decide_approval' } as const;

/** The gates, keyed by gate: the registry that cards, the hub, the API, the flows and the importer read. */
export const GATE_ACTIONS: Readonly<Record<GateKind, GateSpec>> = Object.freeze({
  merge_pr: gateSpec('merge_pr', {
    number: 1,
    title: 'Merge the pull request',
    flow: 'pr',
    approveLabel: 'Merge',
    rejectLabel: 'Cancel',
    rejectStyle: 'danger',
    wording: {
      approvedVerb: 'Merged',
      rejectedVerb: 'Cancelled',
      effectQueued: 'completing the PR',
      effectDone: 'PR completed',
    },
    facts: (details, target) => {
      const review = details?.review;
      return [
        {
          kind: 'pullRequest',
          label: 'Pull request',
          repo: target?.repo ?? details?.repo ?? '',
          prId: details?.prId ?? target?.prId,
          ...optional('url', details?.prUrl),
          ...optional('title', details?.prTitle),
        },
        { kind: 'person', label: 'Author', name: details?.author },
        { kind: 'ticket', label: 'Ticket', key: details?.ticket?.key, jiraBaseUrl: details?.jiraBaseUrl },
        { kind: 'branch', label: 'Branch', source: details?.sourceBranch, target: details?.targetBranch },
        { kind: 'commit', label: 'Commit', commit: details?.sourceCommit ?? target?.sourceCommit },
        { kind: 'count', label: 'Findings', count: review?.findingsCount },
        { kind: 'usd', label: 'Review cost', usd: review?.costUsd },
        ...(review?.summary.trim()
          ? [{ kind: 'note', label: 'AI review', text: review.summary } as const]
          : []),
        ...(review?.injectionSuspected
          ? [
              {
                kind: 'warning',
                text: 'The review suspects instructions hidden in the PR text: read the diff yourself.',
              } as const,
            ]
          : []),
      ];
    },
    environments: [],
    effect: { approved: 'complete_pr', rejected: 'decline_pr' },
    pythonNames: ['merge_pr', 'merge', 'pr_merge', 'merge_pull_request', 'approve_merge', 'gate_1', '1'],
  }),
  create_release_pr: gateSpec('create_release_pr', {
    number: 2,
    title: 'Create the release pull request',
    flow: 'release',
    approveLabel: 'Create',
    rejectLabel: 'Cancel',
    rejectStyle: 'danger',
    wording: {
      approvedVerb: 'Created',
      rejectedVerb: 'Cancelled',
      effectQueued: 'creating the release PR',
      effectDone: 'release PR created',
    },
    facts: (details, target) => [
      { kind: 'version', label: 'Version', version: target?.version ?? details?.version },
      {
        kind: 'tickets',
        label: 'Tickets',
        tickets: details?.tickets ?? [],
        jiraBaseUrl: details?.jiraBaseUrl,
      },
    ],
    environments: ['create'],
    effect: APPROVAL_EFFECT,
    approvalQuestion: ({ repo, version, approvalId, tickets, jiraBaseUrl }) => {
      const gate = 'create_release_pr';
      return {
        target: { gate, repo, version, approvalId },
        details: {
          gate,
          repo,
          version,
          tickets: tickets.map(({ key, summary }) => ({
            key,
            ...(summary === undefined ? {} : { summary }),
          })),
          jiraBaseUrl,
        },
      };
    },
    pythonNames: [
      'create_release_pr',
      'create_release',
      'create_release_pull_request',
      'approve_release_pr',
      'gate_2',
      '2',
    ],
  }),
  merge_release_pr: gateSpec('merge_release_pr', {
    number: 3,
    title: 'Merge the release pull request',
    flow: 'release',
    approveLabel: 'Merge',
    rejectLabel: 'Cancel',
    rejectStyle: 'danger',
    wording: {
      approvedVerb: 'Merged',
      rejectedVerb: 'Cancelled',
      effectQueued: 'completing the release PR',
      effectDone: 'release PR completed',
    },
    facts: (details, target) => {
      const pr = details?.releasePr;
      return [
        { kind: 'version', label: 'Version', version: target?.version ?? details?.version },
        {
          kind: 'pullRequest',
          label: 'Release PR',
          repo: target?.repo ?? details?.repo ?? '',
          prId: pr?.id ?? target?.prId,
          ...optional('url', pr?.url),
          ...optional('title', pr?.title),
        },
      ];
    },
    environments: ['merge'],
    effect: APPROVAL_EFFECT,
    approvalQuestion: ({ repo, version, approvalId, releasePrId: prId, releasePrUrl: url }) => {
      const gate = 'merge_release_pr';
      return {
        target: { gate, repo, version, approvalId, ...(prId === undefined ? {} : { prId }) },
        details: { gate, repo, version, releasePr: { id: prId ?? 0, ...(url ? { url } : {}) } },
      };
    },
    pythonNames: ['merge_release_pr', 'merge_release', 'merge_release_pull_request', 'gate_3', '3'],
  }),
  run_pipelines: gateSpec('run_pipelines', {
    number: 4,
    title: 'Run the CI/CD pipelines',
    flow: 'release',
    approveLabel: 'Trigger',
    rejectLabel: 'Skip',
    wording: {
      approvedVerb: 'Triggered',
      rejectedVerb: 'Skipped',
      effectQueued: 'queueing the pipelines',
      effectDone: 'pipelines queued',
    },
    facts: (details, target) => {
      // A card's own list (with links); else the names the decision was asked for.
      const pipelines: readonly { name: string; url?: string }[] =
        details && details.pipelines.length > 0
          ? details.pipelines
          : (target?.pipelines ?? []).map((name) => ({ name }));
      return [
        { kind: 'version', label: 'Version', version: target?.version ?? details?.version },
        {
          kind: 'links',
          label: 'Pipelines',
          links: pipelines.map(({ name, url }) => ({ text: name, ...optional('url', url) })),
          none: 'none configured',
        },
      ];
    },
    environments: ['run'],
    effect: APPROVAL_EFFECT,
    approvalQuestion: ({ repo, version, approvalId, pipelines }) => {
      const gate = 'run_pipelines';
      return {
        target: { gate, repo, version, approvalId, pipelines: [...pipelines] },
        details: { gate, repo, version, pipelines: pipelines.map((name) => ({ name })) },
      };
    },
    pythonNames: [
      'run_pipelines',
      'run_pipeline',
      'trigger_pipelines',
      'trigger_pipeline',
      'trigger_ci',
      'trigger_ci_build',
      'run_ci',
      'ci_build',
      'gate_4',
      '4',
    ],
  }),
  approve_stage: gateSpec('approve_stage', {
    number: 5,
    title: 'Approve the deployment stage',
    flow: 'release',
    approveLabel: 'Approve',
    rejectLabel: 'Skip',
    wording: {
      approvedVerb: 'Approved',
      rejectedVerb: 'Skipped',
      effectQueued: 'answering the stage approval',
      effectDone: 'stage approval recorded',
    },
    facts: (details, target) => [
      { kind: 'version', label: 'Version', version: target?.version ?? details?.version },
      { kind: 'stage', label: 'Stage', stage: target?.stage ?? details?.stage },
      { kind: 'link', label: 'Run', text: 'Pipeline run', url: details?.runUrl },
    ],
    environments: ['sandbox', 'production'],
    effect: APPROVAL_EFFECT,
    approvalQuestion: ({ repo, version, approvalId, environment, runUrl }) => {
      const gate = 'approve_stage';
      return {
        target: { gate, repo, version, approvalId, stage: environment },
        details: { gate, repo, version, stage: environment, ...(runUrl ? { runUrl } : {}) },
      };
    },
    pythonNames: [
      'approve_stage',
      'approve_release_stage',
      'stage_approval',
      'approve_deployment',
      'cd_approval',
      'gate_5',
      '5',
    ],
    pythonStageNames: {
      approve_sandbox: 'sandbox',
      sandbox_approval: 'sandbox',
      approve_production: 'production',
      production_approval: 'production',
    },
  }),
});

export const GATE_KINDS = Object.keys(GATE_ACTIONS) as GateKind[];

export function isGateKind(value: unknown): value is GateKind {
  return typeof value === 'string' && Object.hasOwn(GATE_ACTIONS, value);
}

/** The gate and outcome of a Slack `action_id`, or undefined when it is not one of ours. */
export function gateActionFromActionId(
  actionId: string,
): { gate: GateKind; outcome: DecisionOutcome } | undefined {
  for (const spec of Object.values(GATE_ACTIONS)) {
    for (const button of [spec.approve, spec.reject]) {
      if (button.actionId === actionId) return { gate: spec.gate, outcome: button.outcome };
    }
  }
  return undefined;
}

/** The outcome an API verb means at a gate; INPUT_INVALID naming the verb when the gate has no such verb. */
export function outcomeFromAction(gate: GateKind, action: string): DecisionOutcome {
  const spec = GATE_ACTIONS[gate];
  const verb = action.trim().toLowerCase();
  const outcome = spec && Object.hasOwn(spec.verbs, verb) ? spec.verbs[verb] : undefined;
  if (!outcome) {
    const accepted = spec ? Object.keys(spec.verbs).join(', ') : '';
    throw new ReleaseAgentError(
      'INPUT_INVALID',
      `action "${action}" is not valid at gate ${gate} (accepted: ${accepted})`,
      {
        action,
        gate,
      },
    );
  }
  return outcome;
}

/** The effect a decision of this gate with this outcome asks the worker for. */
export function gateEffect(gate: GateKind, outcome: DecisionOutcome): EffectKind {
  return GATE_ACTIONS[gate].effect[outcome];
}

/** The gates that are an Azure DevOps approval (2–5): those with a release environment. */
export type ReleaseGate = Exclude<GateKind, 'merge_pr'>;

/** The environment names of each release gate, from the configured RELEASE_ENVIRONMENTS. */
export type GateEnvironments = Readonly<Record<ReleaseGate, readonly string[]>>;

/** Which gate each configured environment's approval is (RELEASE_ENVIRONMENTS, core/release-environments.ts). */
export function gateEnvironments(environments: Readonly<ReleaseEnvironments>): GateEnvironments {
  const entries = GATE_KINDS.filter((gate) => GATE_ACTIONS[gate].environments.length > 0).map((gate) => [
    gate,
    GATE_ACTIONS[gate].environments.map((role) => environments[role]),
  ]);
  return Object.fromEntries(entries) as GateEnvironments;
}

/**
 * The gate an approval of a known release run is asked as when it names no gate environment (a check
 * setup could not mark): a stage approval, rather than left waiting unseen.
 */
export const UNMARKED_APPROVAL_GATE: ReleaseGate = 'approve_stage';

/** The gates of the default environment names (the release template's parameter defaults). */
export const DEFAULT_GATE_ENVIRONMENTS: GateEnvironments = gateEnvironments(DEFAULT_RELEASE_ENVIRONMENTS);

/** The release gate whose approval an environment is, case-insensitively; undefined for any other. */
export function gateForEnvironment(
  environment: string,
  environments: GateEnvironments,
): ReleaseGate | undefined {
  const name = environment.trim().toLowerCase();
  for (const [gate, names] of Object.entries(environments) as [ReleaseGate, readonly string[]][]) {
    if (names.some((candidate) => candidate.toLowerCase() === name)) return gate;
  }
  return undefined;
}

function optional<K extends string>(name: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [name]: value } as Record<K, string>);
}
