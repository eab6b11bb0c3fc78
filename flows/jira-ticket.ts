// The PR's Jira ticket: find it (branch, then title, then the one this agent created earlier), or have
// Claude write one and create a Story; link it to the PR once; move it through the workflow. Also the
// plain `transition` and `comment` actions. Tickets move with flows/jira-workflow.ts's moveTicket.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AzureDevOps, PullRequest } from '../adapters/azdo/azdo.ts';
import { type ClaudeRunner, writeTicket } from '../adapters/claude/claude.ts';
import type { Jira } from '../adapters/jira/jira.ts';
import type { Store } from '../adapters/store/store.ts';
import { errorMessage, ReleaseAgentError } from '../core/errors.ts';
import type { Secret } from '../core/secret.ts';
import { allTicketKeys, findTicketKey } from '../core/tickets.ts';
import type { FlowContext } from './context.ts';
import { buildPullRequestDiff, type GitRunner } from './pr-diff.ts';
import { isMissingIssue, type MoveResult, moveTicket } from './jira-workflow.ts';
import {
  describeClaims,
  openPrClaims,
  readPrThreadState,
  type TicketClaim,
  upsertPrThread,
} from './pr-thread.ts';

const TICKET_KEY = /^[A-Z][A-Z0-9_]+-\d+$/;

/** A Jira issue key as Jira spells it (`proj-1` → `PROJ-1`); undefined when it is not one. */
export function normalTicketKey(key: string): string | undefined {
  const trimmed = key.trim().toUpperCase();
  return TICKET_KEY.test(trimmed) ? trimmed : undefined;
}

/** The flow context plus the ports of ensure (run by the function app; Claude only where the checkout is). */
export interface TicketDeps extends FlowContext {
  azdo: AzureDevOps;
  jira: Jira;
  claude?: ClaudeRunner;
  git?: GitRunner;
}

export interface PullRequestRefInput {
  repo: string;
  prId: number;
}

export type TicketSource = 'branch' | 'title' | 'thread' | 'created';

export interface EnsureTicketInput extends PullRequestRefInput {
  ticketPattern?: string;
  /**
   * Jira project keys whose tickets a PR may name; a key of another project is ignored (with a
   * warning). Default: `defaultProject` alone.
   */
  projects?: readonly string[];
  /** Every secret the task knows: removed from the ticket Claude writes. */
  secrets?: readonly Secret[];
  autoCreate: boolean;
  /** With no ticket and auto-create off: fail (true) or succeed with issues (false). */
  requireTicket: boolean;
  defaultProject: string;
  /** Where the ticket goes; empty leaves it where it is. */
  status: string;
  workflow: readonly string[];
  /** For Claude writing a ticket. */
  cwd: string | undefined;
  maxBudgetUsd: number;
  timeoutMs: number;
  /** The Story's words when one must be created (written where the checkout is). */
  draft?: StoryDraft;
  /** Without a draft, answer `needs-draft` instead of writing one here (the function app has no checkout). */
  askForDraft?: boolean;
}

export type EnsureTicketResult =
  | {
      kind: 'linked';
      ticketKey: string;
      ticketUrl: string;
      summary: string;
      source: TicketSource;
      /** The agent created this ticket for this PR (in this run or an earlier attempt). */
      created: boolean;
      createdNow: boolean;
      linkThreadId: number | undefined;
      move: MoveResult | undefined;
      warnings: string[];
      pr: PullRequest;
    }
  | { kind: 'none'; reason: string; pr: PullRequest; warnings: string[] }
  | { kind: 'needs-draft'; pr: PullRequest; warnings: string[] }
  | {
      /** The PR names a ticket another open PR holds: flagged, not moved, not linked to this PR. */
      kind: 'conflict';
      ticketKey: string;
      claims: TicketClaim[];
      reason: string;
      pr: PullRequest;
      warnings: string[];
    };

/** Warnings for keys in the branch or title that belong to no configured project. */
export function foreignKeyWarnings(
  pr: { sourceRefName: string; title: string },
  options: { pattern?: string; projects?: readonly string[] | undefined },
): string[] {
  if (!options.projects) return [];
  const projects = options.projects;
  const text = `${pr.sourceRefName.replace(/^refs\/heads\//, '')}\n${pr.title}`;
  const counted = new Set(allTicketKeys(text, options));
  return allTicketKeys(text, { pattern: options.pattern })
    .filter((key) => !counted.has(key))
    .map(
      (key) => `${key} was ignored: it is not a key of the configured Jira projects (${projects.join(', ')})`,
    );
}

function latestIteration<T extends { id: number }>(iterations: readonly T[]): T | undefined {
  return iterations.reduce<T | undefined>(
    (latest, iteration) => (!latest || iteration.id > latest.id ? iteration : latest),
    undefined,
  );
}

/** A Story's words: from Claude over the PR (or the PR's own words when Claude fails), without our footer. */
export interface StoryDraft {
  summary: string;
  description: string;
}

/** Claude writes the Story of a PR that has no ticket (run where the checkout is: the PR build). */
export async function draftStory(
  deps: Pick<TicketDeps, 'azdo' | 'claude' | 'git'>,
  input: Pick<
    EnsureTicketInput,
    'repo' | 'cwd' | 'maxBudgetUsd' | 'timeoutMs' | 'defaultProject' | 'secrets'
  >,
  pr: PullRequest,
  warnings: string[],
): Promise<StoryDraft> {
  const fallback = () => ({
    summary: pr.title.trim() || `Pull request !${pr.id} in ${input.repo}`,
    description: pr.description.trim() || pr.title,
  });
  if (!deps.claude) {
    warnings.push('no Claude runner: the ticket was written from the PR title and description');
    return fallback();
  }
  const iteration = latestIteration(await deps.azdo.listIterations(input.repo, pr.id));
  const changes = iteration ? await deps.azdo.getIterationChanges(input.repo, pr.id, iteration.id) : [];
  const diff = await buildPullRequestDiff({
    cwd: input.cwd,
    changes,
    targetCommit: iteration?.targetCommitId,
    sourceCommit: iteration?.sourceCommitId ?? pr.sourceCommitId,
    ...(deps.git ? { git: deps.git } : {}),
  });
  try {
    const written = await writeTicket(deps.claude, {
      repo: input.repo,
      title: pr.title,
      description: pr.description,
      branch: pr.sourceRefName,
      commits: diff.commits,
      diff: diff.diff,
      // Without a checkout Claude gets an empty place to look: never the agent's own folders.
      cwd:
        input.cwd && diff.method !== 'list' ? input.cwd : mkdtempSync(join(tmpdir(), 'release-agent-empty-')),
      maxBudgetUsd: input.maxBudgetUsd,
      timeoutMs: input.timeoutMs,
      projectKey: input.defaultProject,
      ...(input.secrets ? { secrets: input.secrets } : {}),
    });
    if (written.secretRemoved)
      warnings.push(
        "Claude's ticket draft contained a credential; it was removed before the ticket was created",
      );
    return { summary: written.summary, description: written.description };
  } catch (error) {
    // A ticket is still better than none: the PR's own words, and the reason in the run's warnings.
    warnings.push(
      `Claude could not write the ticket (${errorMessage(error)}); it was written from the PR title and description`,
    );
    return fallback();
  }
}

/** Finds or creates the PR's ticket, links it on the PR once, and moves it to `status`. */
export async function ensureTicket(deps: TicketDeps, input: EnsureTicketInput): Promise<EnsureTicketResult> {
  const store = deps.store;
  const warnings: string[] = [];
  const pr = await deps.azdo.getPullRequest(input.repo, input.prId);
  const state = await readPrThreadState(store, input.repo, input.prId);
  const keyOptions = {
    pattern: input.ticketPattern,
    projects: input.projects ?? (input.defaultProject ? [input.defaultProject] : undefined),
  };
  warnings.push(...foreignKeyWarnings(pr, keyOptions));
  const found = findTicketKey({ branch: pr.sourceRefName, title: pr.title }, keyOptions);
  if (found && state.ticketKey !== found.key) {
    // Naming a ticket in a branch or title must not take it over from the PR it belongs to.
    const claims = await openPrClaims({ store, azdo: deps.azdo }, found.key, {
      repo: input.repo,
      prId: pr.id,
    });
    if (claims.length > 0) {
      const reason = `${describeClaims(found.key, claims)}: this PR does not move it or take it into a release; a person must check which PR it belongs to`;
      warnings.push(reason);
      if (state.ticketConflictKey !== found.key) {
        const iteration = latestIteration(await deps.azdo.listIterations(input.repo, pr.id));
        if (iteration) {
          await deps.azdo.postReview(input.repo, pr.id, {
            iterationId: iteration.id,
            summary: `**Jira ticket:** ⚠ ${reason}.`,
            comments: [],
          });
        }
        await upsertPrThread(store, {
          repo: input.repo,
          prId: pr.id,
          now: deps.now(),
          state: { ticketConflictKey: found.key },
        });
      }
      return { kind: 'conflict', ticketKey: found.key, claims, reason, pr, warnings };
    }
  }

  let key: string;
  let source: TicketSource;
  let createdNow = false;
  if (found) {
    key = found.key;
    source = found.source;
  } else if (state.ticketKey) {
    // Created (or found) by an earlier attempt: never a second Story for the same PR.
    key = state.ticketKey;
    source = state.ticketCreated ? 'created' : 'thread';
  } else if (input.autoCreate && input.defaultProject) {
    if (!input.draft && input.askForDraft) return { kind: 'needs-draft', pr, warnings };
    const story = input.draft ?? (await draftStory(deps, input, pr, warnings));
    const footer = `Created by the Release Agent for pull request !${pr.id} in ${input.repo}: ${pr.webUrl}`;
    const created = await deps.jira.createStory({
      project: input.defaultProject,
      summary: story.summary,
      description: `${story.description}\n\n${footer}`,
    });
    key = created.key;
    source = 'created';
    createdNow = true;
    // Recorded at once, so a retry after any later failure reuses this Story.
    await upsertPrThread(store, {
      repo: input.repo,
      prId: pr.id,
      now: deps.now(),
      state: { ticketKey: key, ticketCreated: true },
    });
  } else {
    // Auto-create with no project to create in behaves as auto-create off, and says why.
    const reason = input.autoCreate
      ? `no ticket key in the branch "${pr.sourceRefName}" or the title of PR !${pr.id}, and no Story can be created: DEFAULT_JIRA_PROJECT is not set`
      : `no ticket key in the branch "${pr.sourceRefName}" or the title of PR !${pr.id}, and auto-create is off`;
    if (input.autoCreate) warnings.push(reason);
    if (input.requireTicket)
      throw new ReleaseAgentError('TICKET_MISSING', reason, { repo: input.repo, prId: pr.id });
    return { kind: 'none', reason, pr, warnings };
  }

  const issue = await deps.jira.getIssue(key).catch((error: unknown) => {
    if (!isMissingIssue(error)) throw error;
    throw new ReleaseAgentError(
      'TICKET_MISSING',
      `${key} (from the ${source === 'created' ? 'PR thread' : source}) is not a Jira issue the connection's account can see`,
      { repo: input.repo, prId: pr.id, key },
      { cause: error },
    );
  });
  const created = createdNow || (state.ticketCreated === true && state.ticketKey === key);
  await upsertPrThread(store, {
    repo: input.repo,
    prId: pr.id,
    now: deps.now(),
    state: {
      title: pr.title,
      sourceRefName: pr.sourceRefName,
      targetRefName: pr.targetRefName,
      ticketKey: key,
      ...(created ? { ticketCreated: true } : {}),
    },
  });

  let linkThreadId = state.ticketLinkedKey === key ? state.ticketLinkThreadId : undefined;
  if (state.ticketLinkedKey !== key) {
    const iteration = latestIteration(await deps.azdo.listIterations(input.repo, pr.id));
    if (iteration) {
      const how = created
        ? 'created by the Release Agent for this pull request'
        : `found in the ${source === 'title' ? 'title' : 'branch'}`;
      const posted = await deps.azdo.postReview(input.repo, pr.id, {
        iterationId: iteration.id,
        summary: `**Jira ticket:** [${key}](${issue.url}) ${issue.summary ? `— ${issue.summary}` : ''}\n\n_${how}._`,
        comments: [],
      });
      linkThreadId = posted.summaryThreadId;
      await upsertPrThread(store, {
        repo: input.repo,
        prId: pr.id,
        now: deps.now(),
        state: { ticketLinkedKey: key, ticketLinkThreadId: linkThreadId },
      });
    }
  }

  const move = input.status.trim()
    ? await moveTicket(deps.jira, key, input.status, { workflow: input.workflow, keepIfPast: true })
    : undefined;
  if (move?.skipped) warnings.push(`${key} was left in "${move.from}": ${move.skipped}`);
  return {
    kind: 'linked',
    ticketKey: key,
    ticketUrl: issue.url,
    summary: issue.summary,
    source,
    created,
    createdNow,
    linkThreadId,
    move,
    warnings,
    pr,
  };
}

export interface ResolveTicketInput {
  /** An explicit key wins. */
  ticketKey?: string;
  pullRequest?: PullRequestRefInput;
  ticketPattern?: string;
  /** Jira project keys a PR's branch or title may name (all when absent). */
  projects?: readonly string[];
}

/** Why the ticket of a transition or a comment is not known; the task says which input to set. */
export type TicketTargetProblem =
  | { kind: 'invalid-key'; key: string }
  /** Neither an explicit key nor a pull request. */
  | { kind: 'no-target' }
  /** A pull request, but no Azure DevOps to read it. */
  | { kind: 'no-azdo'; repo: string; prId: number }
  | { kind: 'pr-without-ticket'; repo: string; prId: number };

export type ResolvedTicket = { kind: 'resolved'; key: string; source: TicketSource | 'input' };

/**
 * The flow context without the store (a pipeline job holds none) plus the ports of the transition and
 * comment actions: Azure DevOps and the store only to find a PR's ticket.
 */
export type TicketActionDeps = Omit<FlowContext, 'store'> & {
  jira: Jira;
  azdo?: AzureDevOps;
  store?: Pick<Store, 'threads'>;
};

/** The ticket of an explicit key, or of the PR (branch, title, then the PR thread). */
export async function resolveTicketKey(
  deps: Omit<TicketActionDeps, 'jira'>,
  input: ResolveTicketInput,
): Promise<ResolvedTicket | TicketTargetProblem> {
  if (input.ticketKey?.trim()) {
    const key = normalTicketKey(input.ticketKey);
    return key ? { kind: 'resolved', key, source: 'input' } : { kind: 'invalid-key', key: input.ticketKey };
  }
  if (!input.pullRequest) return { kind: 'no-target' };
  const { repo, prId } = input.pullRequest;
  if (!deps.azdo) return { kind: 'no-azdo', repo, prId };
  const pr = await deps.azdo.getPullRequest(repo, prId);
  const found = findTicketKey(
    { branch: pr.sourceRefName, title: pr.title },
    { pattern: input.ticketPattern, ...(input.projects ? { projects: input.projects } : {}) },
  );
  if (found) return { kind: 'resolved', key: found.key, source: found.source };
  const state = deps.store ? await readPrThreadState(deps.store, repo, prId) : {};
  if (state.ticketKey) return { kind: 'resolved', key: state.ticketKey, source: 'thread' };
  return { kind: 'pr-without-ticket', repo, prId };
}

export interface TransitionTicketInput extends ResolveTicketInput {
  status: string;
  workflow: readonly string[];
}

export type TransitionTicketOutcome =
  | TicketTargetProblem
  /** No status to move to. */
  | { kind: 'no-status' }
  | ({ kind: 'moved'; source: TicketSource | 'input' } & MoveResult);

export async function transitionTicket(
  deps: TicketActionDeps,
  input: TransitionTicketInput,
): Promise<TransitionTicketOutcome> {
  if (!input.status.trim()) return { kind: 'no-status' };
  const target = await resolveTicketKey(deps, input);
  if (target.kind !== 'resolved') return target;
  const moved = await moveTicket(deps.jira, target.key, input.status, {
    workflow: input.workflow,
    keepIfPast: false,
  });
  return { kind: 'moved', ...moved, source: target.source };
}

export interface CommentTicketInput extends ResolveTicketInput {
  comment: string;
}

export type CommentTicketOutcome =
  | TicketTargetProblem
  /** No text to post. */
  | { kind: 'no-comment' }
  | { kind: 'commented'; key: string; commentId: string; source: TicketSource | 'input' };

export async function commentTicket(
  deps: TicketActionDeps,
  input: CommentTicketInput,
): Promise<CommentTicketOutcome> {
  if (!input.comment.trim()) return { kind: 'no-comment' };
  const target = await resolveTicketKey(deps, input);
  if (target.kind !== 'resolved') return target;
  const { id } = await deps.jira.comment(target.key, input.comment);
  return { kind: 'commented', key: target.key, commentId: id, source: target.source };
}
