// Separation of duties (SEPARATION_OF_DUTIES, on by default): the author of a PR does not answer its
// gate 1, and whoever created a release (answered its gate 2 "Create") does not approve its production
// stage. People are matched across Slack, the hub and Azure DevOps only through explicit mappings:
// the same channel's user id, an Azure DevOps identity id (the hub's `nameid`, a PR's createdBy.id),
// or an e-mail (Slack users.info profile email, a PR creator's uniqueName), case-insensitive. Never by
// display name. When the mapping a rule needs is unavailable, the answer is refused (closed).
import type { PullRequest } from '../adapters/azdo/azdo.ts';
import type { Slack } from '../adapters/slack/slack.ts';
import { isReleaseAgentError, ReleaseAgentError } from '../core/errors.ts';
import { GATE_ACTIONS } from '../core/gate-registry.ts';
import type { Decision, DecisionSource } from '../core/model.ts';
import type { AgentDeps } from './agent-deps.ts';
import type { FlowContext } from './context.ts';

/** What is known of a person: ids qualified by where they come from, and e-mails (lower case). */
export interface Person {
  ids: string[];
  emails: string[];
}

/**
 * The stage name of imported and earlier decisions for production; today's production stage is the
 * configured RELEASE_ENVIRONMENTS production environment. Both are held to the rule.
 */
export const PRODUCTION_STAGE = 'production';

const EMAIL_TTL_MS = 10 * 60_000;
const emailCache = new WeakMap<Slack, Map<string, { email: string | undefined; at: number }>>();

/** A Slack user's e-mail through users.info (cached 10 minutes per adapter); undefined when Slack has none. */
export async function slackEmail(
  slack: Slack | undefined,
  userId: string,
  nowMs: number,
): Promise<string | undefined> {
  if (!slack?.userEmail) return undefined;
  let cache = emailCache.get(slack);
  if (!cache) {
    cache = new Map();
    emailCache.set(slack, cache);
  }
  const hit = cache.get(userId);
  if (hit && nowMs - hit.at < EMAIL_TTL_MS) return hit.email;
  const email = (await slack.userEmail(userId))?.trim().toLowerCase() || undefined;
  cache.set(userId, { email, at: nowMs });
  return email;
}

/** The decider as a person: `api` is the operator credential (no person behind it to match). */
export function personOf(via: DecisionSource, by: string, email: string | undefined): Person {
  const emails = email ? [email.toLowerCase()] : [];
  switch (via) {
    case 'slack':
      return { ids: [`slack:${by}`], emails };
    case 'hub':
      return { ids: [`azdo:${by.toLowerCase()}`], emails };
    case 'api':
      return { ids: [`operator:${by}`], emails };
    case 'azdo':
      // Answered in Azure DevOps: only a display name is recorded, which proves nothing.
      return { ids: [], emails };
  }
}

export function samePerson(a: Person, b: Person): boolean {
  return a.ids.some((id) => b.ids.includes(id)) || a.emails.some((email) => b.emails.includes(email));
}

/** The PR's creator: its Azure DevOps id and, when uniqueName is an e-mail, that e-mail. */
export function authorOf(pr: Pick<PullRequest, 'createdBy'>): Person {
  const unique = pr.createdBy.uniqueName?.trim().toLowerCase();
  return {
    ids: pr.createdBy.id ? [`azdo:${pr.createdBy.id.toLowerCase()}`] : [],
    emails: unique?.includes('@') ? [unique] : [],
  };
}

type DutyDeps = FlowContext & Pick<AgentDeps, 'slack' | 'settings'>;

/**
 * Whether answering this decision needs its PR's author: a gate of the PR flow (gate 1) decides a PR
 * its author must not answer (the operator credential is no person).
 */
export function authorCheckApplies(
  settings: DutyDeps['settings'],
  decision: Decision,
  request: DutyRequest,
): boolean {
  return settings.separationOfDuties && GATE_ACTIONS[decision.gate].flow === 'pr' && request.via !== 'api';
}

export interface DutyRequest {
  by: string;
  via: DecisionSource;
}

/**
 * FORBIDDEN with the reason when the rules forbid this person to answer; returns the decider's e-mail
 * when one was looked up (recorded on the decision for later rules). `pr` is the PR of a gate-1
 * decision as just read (undefined when it could not be read).
 */
export async function checkDuties(
  deps: DutyDeps,
  decision: Decision,
  request: DutyRequest,
  pr: Pick<PullRequest, 'createdBy'> | undefined,
): Promise<string | undefined> {
  const stage = decision.target.gate === 'approve_stage' ? decision.target.stage.toLowerCase() : undefined;
  const production =
    stage !== undefined &&
    (stage === PRODUCTION_STAGE || stage === deps.settings.releaseEnvironments.production.toLowerCase());
  const needed =
    deps.settings.separationOfDuties && (GATE_ACTIONS[decision.gate].flow === 'pr' || production);
  const email = request.via === 'slack' ? await lookupSlackEmail(deps, decision, request.by) : undefined;
  // The operator token is a credential, not a person: there is no one to match it against.
  if (!needed || request.via === 'api') return email;
  const me = personOf(request.via, request.by, email);

  if (decision.target.gate === 'merge_pr') {
    if (!pr) {
      throw forbidden(decision, request, 'the PR could not be read to check who opened it: try again');
    }
    if (request.via === 'slack' && !email) {
      throw forbidden(
        decision,
        request,
        'Slack gave no e-mail for you, so you cannot be told apart from the PR author (the Slack app needs users:read.email)',
      );
    }
    if (samePerson(me, authorOf(pr))) {
      throw forbidden(decision, request, 'you opened this PR: someone else must merge it');
    }
    return email;
  }

  // Production: not the person who created the release (its gate-2 "Create" answer, same thread).
  const creators = (await deps.store.decisions.findByThread(decision.threadId)).filter(
    (other) => other.gate === 'create_release_pr' && other.status === 'approved' && other.decidedBy,
  );
  for (const created of creators) {
    const creator = personOf(
      created.decidedVia ?? 'azdo',
      created.decidedBy as string,
      created.decidedByEmail,
    );
    if (samePerson(me, creator)) {
      throw forbidden(decision, request, 'you created this release: someone else must approve production');
    }
  }
  return email;
}

async function lookupSlackEmail(
  deps: DutyDeps,
  decision: Decision,
  userId: string,
): Promise<string | undefined> {
  try {
    return await slackEmail(deps.slack, userId, deps.now().getTime());
  } catch (error) {
    deps.log.warn('Slack users.info failed: the clicker has no e-mail', {
      decisionId: decision.id,
      code: isReleaseAgentError(error) ? error.code : 'unknown',
    });
    return undefined;
  }
}

function forbidden(decision: Decision, request: DutyRequest, reason: string): ReleaseAgentError {
  return new ReleaseAgentError('FORBIDDEN', reason, {
    decisionId: decision.id,
    gate: decision.gate,
    user: request.by,
    rule: 'separation-of-duties',
  });
}
