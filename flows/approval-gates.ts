// Gates 2–5 are Azure DevOps environment approvals: the release pipeline's stage waits on its
// environment's Approval check. When one is pending the gate's card is posted (once); when it is
// answered anywhere (our buttons, the Azure DevOps UI, a timeout) the card is brought up to date.
// Events may lack the run and stage (see the recorded sample): the approval is read back through REST,
// and a release that cannot be identified still gets an answerable card with what is known.
//
// What the card states as fact comes from our own records, never from what a run reports about
// itself: the gate from the approval's instructions as setup wrote them (read back through REST; an
// event's environment is only a hint, used when the approval carries no marker), the repo from the
// release thread of the run or the configured release pipeline. A pipeline's or run's name is not a
// repo: a PR build runs the YAML of the PR branch, whose author names it.
import type { Approval } from '../adapters/azdo/azdo.ts';
import { isReleaseAgentError } from '../core/errors.ts';
import {
  GATE_ACTIONS,
  type GateQuestion,
  gateEnvironments,
  gateForEnvironment,
  type ReleaseGate,
  UNMARKED_APPROVAL_GATE,
} from '../core/gate-registry.ts';
import { decide, expire, withdrawAnswer } from '../core/gates.ts';
import type { Decision, ReleaseThread } from '../core/model.ts';
import { environmentFromText } from '../core/service-hook-events.ts';
import { type AgentDeps, runUrl } from './agent-deps.ts';
import type { FlowContext } from './context.ts';
import { refreshCard, requestDecision } from './gate-requests.ts';
import type { ReleaseThreadState } from './threads.ts';

export interface ApprovalHints {
  environment?: string;
  stage?: string;
  runId?: number;
  pipelineId?: number;
}

export type ApprovalOutcome =
  | 'card-posted'
  | 'already-asked'
  | 'not-a-gate'
  | 'settled'
  | 'unchanged'
  | 'not-found';

type Deps = FlowContext & Pick<AgentDeps, 'azdo' | 'slack' | 'channel' | 'settings'>;

/** The marker our setup writes into an Approval check's instructions, so the poller can tell its gate. */
export function approvalInstructions(
  environment: string,
  text = 'Answer in Slack, the Release Agent hub or here.',
): string {
  return `${text} (release-agent environment: ${environment})`;
}

export function environmentFromInstructions(instructions: string | undefined): string | undefined {
  const marker = instructions ? /\(release-agent environment:\s*([^)\s]+)\s*\)/i.exec(instructions) : null;
  return marker?.[1] ?? environmentFromText(instructions);
}

/** Pending decisions of gates 2–5 whose approval the app's identity may not answer (for /api/status). */
export async function approvalsTheAppCannotAnswer(deps: Pick<Deps, 'store'>): Promise<Decision[]> {
  return (await deps.store.decisions.listPending()).filter(
    (decision) =>
      decision.details !== undefined &&
      'appCannotApprove' in decision.details &&
      decision.details.appCannotApprove !== undefined,
  );
}

/** An approval changed (event or poller): read it back and post or update its card. */
export async function observeApproval(
  deps: Deps,
  approvalId: string,
  hints: ApprovalHints = {},
): Promise<ApprovalOutcome> {
  if (!deps.azdo) return 'not-a-gate';
  let approval: Approval;
  try {
    approval = await deps.azdo.getApproval(approvalId);
  } catch (error) {
    if (!isReleaseAgentError(error, 'NOT_FOUND')) throw error;
    await settleDecisions(deps, approvalId, undefined);
    return 'not-found';
  }
  if (approval.status === 'pending') return await askForApproval(deps, approval, hints);
  return (await settleDecisions(deps, approval.id, approval)) > 0 ? 'settled' : 'unchanged';
}

/** Posts the gate card of a pending approval (once: the decision id derives from what it decides). */
export async function askForApproval(
  deps: Deps,
  approval: Approval,
  hints: ApprovalHints = {},
): Promise<ApprovalOutcome> {
  const marked = environmentFromInstructions(approval.instructions);
  if (marked && hints.environment && marked.toLowerCase() !== hints.environment.toLowerCase()) {
    deps.log.warn('the event names another environment than the approval: the approval wins', {
      approvalId: approval.id,
      environment: marked,
      eventEnvironment: hints.environment.slice(0, 100),
    });
  }
  const environment = marked ?? hints.environment;
  const runId = approval.pipeline?.runId ?? hints.runId;
  const pipelineId =
    approval.pipeline?.id ?? (hints.pipelineId === undefined ? undefined : String(hints.pipelineId));
  const configured = gateEnvironments(deps.settings.releaseEnvironments);
  let gate = environment ? gateForEnvironment(environment, configured) : undefined;
  const thread = runId === undefined ? undefined : await releaseThreadOfRun(deps, runId);
  if (!gate && (thread || configuredRepoOfPipeline(deps, pipelineId))) {
    // A run of a release pipeline we know waits on an approval that names no gate of ours (a check
    // setup could not mark, an environment RELEASE_ENVIRONMENTS does not name): asked as a stage
    // approval rather than left waiting unseen. Its step still needs the marked gate's approval.
    gate = UNMARKED_APPROVAL_GATE;
    deps.log.warn('approval of a release pipeline run names no gate environment: asked as a stage', {
      approvalId: approval.id,
      environment: environment ?? null,
      runId: runId ?? null,
    });
  }
  if (!gate) {
    deps.log.info('approval is not for a Release Agent gate environment', {
      approvalId: approval.id,
      environment: environment ?? null,
    });
    return 'not-a-gate';
  }
  const existing = (await pendingFor(deps, approval.id))[0];
  if (existing) {
    // Asked before (by the other of webhook and poller): make sure its card exists.
    return 'already-asked';
  }
  const state = thread?.state;
  if (!thread) {
    deps.log.warn('approval pending for a release that cannot be identified: its card shows what is known', {
      approvalId: approval.id,
      environment: environment ?? null,
      runId: runId ?? null,
    });
  }
  const repo = thread?.repo ?? configuredRepoOfPipeline(deps, pipelineId) ?? UNKNOWN_RELEASE;
  const version = state?.version ?? 'unknown';
  const { target, details } = await gateQuestion(deps, gate, {
    repo,
    version,
    approvalId: approval.id,
    environment: environment ?? UNKNOWN_ENVIRONMENT,
    state,
    runId,
  });
  // Azure DevOps lets only an approver answer: ask it whether our identity may, before people are asked.
  const mayUpdate =
    approval.callerMayUpdate ??
    (deps.azdo
      ? (await deps.azdo.getApproval(approval.id, { permissions: true })).callerMayUpdate
      : undefined);
  if (mayUpdate === false) {
    const url = runId === undefined ? undefined : runUrl(deps.settings, runId);
    details.appCannotApprove = url ? { url } : {};
    deps.log.warn("the app's identity may not answer this approval in Azure DevOps: its card says so", {
      approvalId: approval.id,
      gate,
    });
  }
  const threadId = thread?.id ?? `approval.${approval.id}`;
  const asked = await requestDecision(deps, { threadId, target, details });
  deps.log.info('approval gate asked', {
    approvalId: approval.id,
    gate,
    decisionId: asked.decision.id,
    posted: asked.posted,
  });
  return asked.created ? 'card-posted' : 'already-asked';
}

/** An approval that is no longer pending: its pending decisions take its outcome; returns how many changed. */
export async function settleDecisions(
  deps: Deps,
  approvalId: string,
  approval: Approval | undefined,
): Promise<number> {
  let changed = 0;
  for (const decision of await pendingFor(deps, approvalId)) {
    const updated = await deps.store.decisions.update(decision.id, (current) => {
      if (current.status !== 'pending') return undefined;
      const now = deps.now();
      if (approval && (approval.status === 'approved' || approval.status === 'rejected')) {
        const step =
          approval.steps.find((candidate) => candidate.status === approval.status) ?? approval.steps[0];
        const by = step?.approver?.displayName ?? 'someone in Azure DevOps';
        // Answered in Azure DevOps: that is what happened, whatever Slack answer still waits for its checks.
        const result = decide(withdrawAnswer(current), {
          outcome: approval.status,
          by,
          via: 'azdo',
          nonce: current.nonce,
          now,
        });
        return result.kind === 'decided'
          ? {
              ...result.decision,
              effect: { status: 'done', detail: `answered in Azure DevOps by ${by}`, at: now.toISOString() },
            }
          : result.decision;
      }
      return expire(current, now, `the approval was ${approval?.status ?? 'removed'} in Azure DevOps`);
    });
    if (updated.status !== 'pending') {
      changed++;
      await refreshCard(deps, updated);
      deps.log.info('approval answered outside the agent', {
        decisionId: updated.id,
        status: updated.status,
      });
    }
  }
  return changed;
}

const UNKNOWN_RELEASE = 'unknown release';
const UNKNOWN_ENVIRONMENT = 'unknown environment';

/** The repo whose release pipeline this is, by RELEASE_PIPELINE_BY_REPO (ids only: names are not ours). */
function configuredRepoOfPipeline(deps: Deps, pipelineId: string | undefined): string | undefined {
  if (!pipelineId || !/^\d+$/.test(pipelineId)) return undefined;
  const id = Number(pipelineId);
  const matches = Object.entries(deps.settings.releasePipelineByRepo).filter(([, value]) => value === id);
  // One pipeline releasing several repos does not say which one this is.
  return matches.length === 1 ? matches[0]![0] : undefined;
}

/** Pending decisions that ask about this approval. */
export async function pendingFor(deps: Pick<Deps, 'store'>, approvalId: string): Promise<Decision[]> {
  const id = approvalId.toLowerCase();
  return (await deps.store.decisions.listPending()).filter(
    (decision) => 'approvalId' in decision.target && decision.target.approvalId.toLowerCase() === id,
  );
}

/** The release thread whose pipeline run is waiting on the approval. */
async function releaseThreadOfRun(deps: Deps, runId: number): Promise<ReleaseThread | undefined> {
  for (const status of ['running', 'waiting'] as const) {
    const found = (await deps.store.threads.listByStatus(status)).find(
      (thread): thread is ReleaseThread => thread.kind === 'release' && thread.state.runId === runId,
    );
    if (found) return found;
  }
  return undefined;
}

interface Known {
  repo: string;
  version: string;
  approvalId: string;
  environment: string;
  state: ReleaseThreadState | undefined;
  runId: number | undefined;
}

async function gateQuestion(deps: Deps, gate: ReleaseGate, known: Known): Promise<GateQuestion> {
  const ask = GATE_ACTIONS[gate].approvalQuestion;
  if (!ask) throw new Error(`gate ${gate} has no approval question`);
  const { state } = known;
  const staging = known.repo === UNKNOWN_RELEASE ? undefined : await deps.store.staging.get(known.repo);
  const url = state?.runUrl ?? (known.runId === undefined ? undefined : runUrl(deps.settings, known.runId));
  return ask({
    repo: known.repo,
    version: known.version,
    approvalId: known.approvalId,
    environment: known.environment,
    tickets: staging?.tickets ?? [],
    ...(state?.releasePrId === undefined ? {} : { releasePrId: state.releasePrId }),
    ...(state?.releasePrUrl ? { releasePrUrl: state.releasePrUrl } : {}),
    pipelines: (state?.pipelines ?? []).map((pipeline) => pipeline.name),
    ...(url ? { runUrl: url } : {}),
    jiraBaseUrl: deps.settings.jiraBaseUrl,
  });
}
