// After a merge to develop: the PR this commit completed, its tickets, the repo's next version, the
// staging release (one per repo; optimistic concurrency inside the store, the transition here is pure),
// tickets → the staging status, an optional Jira fix version, and a Slack note.
import type { AzureDevOps, PullRequest } from '../adapters/azdo/azdo.ts';
import type { Jira } from '../adapters/jira/jira.ts';
import { errorMessage, ReleaseAgentError } from '../core/errors.ts';
import type { Bump, StagingRelease } from '../core/model.ts';
import { addTicketToStaging, rebaseStaging, withTicketStatuses } from '../core/releases.ts';
import { stagedCard } from '../core/release-cards.ts';
import { allTicketKeys, findTicketKey } from '../core/tickets.ts';
import {
  bumpFromCommitMessage,
  compareVersions,
  highestBump,
  nextVersion,
  releaseAsFromDescription,
} from '../core/versions.ts';
import type { FlowContext } from './context.ts';
import { isMissingIssue, type MoveResult, moveTicket } from './jira-workflow.ts';
import { describeClaims, openPrClaims, readPrThreadState, upsertPrThread } from './pr-thread.ts';
import type { SlackTarget } from './release-common.ts';

/** The flow context plus the ports staging uses (Jira and Slack optional). */
export interface StageReleaseDeps extends FlowContext {
  azdo: AzureDevOps;
  jira?: Jira;
  /** Absent: no notification is posted. */
  slack?: SlackTarget;
}

export interface StageReleaseInput {
  repo: string;
  /** The commit this CI run built (Build.SourceVersion): the merge commit of the PR. */
  commit: string;
  /** Build.SourceVersionMessage, when the agent gives it. */
  commitMessage?: string;
  firstRelease: string;
  conventionalBumps: boolean;
  ticketPattern?: string;
  /** Jira project keys whose tickets may be staged; keys of other projects are ignored with a warning (all when absent). */
  projects?: readonly string[];
  /** Empty: tickets stay where they are. */
  stagingStatus: string;
  workflow: readonly string[];
  fixVersion: boolean;
  jiraBaseUrl: string;
}

export interface StagedTicketInfo {
  key: string;
  summary: string;
  /** The Jira status read before staging. */
  status?: string;
  move?: MoveResult;
}

export type StageReleaseOutcome =
  | { kind: 'no-pr'; commit: string }
  | { kind: 'no-ticket'; pr: PullRequest; warnings: string[] }
  | {
      kind: 'staged';
      pr: PullRequest;
      staging: StagingRelease;
      /** False when this PR's tickets were already on staging (a re-run): nothing changed, no notification. */
      changed: boolean;
      previousVersion: string | undefined;
      tickets: StagedTicketInfo[];
      bump: Bump;
      releaseAs: string | undefined;
      fixVersionName: string | undefined;
      warnings: string[];
      notified: boolean;
    };

/** The Jira fix version of a repo's release: `<repo>-<version>` (one Jira project serves many repos). */
export function fixVersionName(repo: string, version: string): string {
  return `${repo}-${version}`;
}

/** Tickets of a PR: the branch's first, then the PR thread's (e.g. one the agent created), then title and description. */
function ticketKeysOf(
  pr: PullRequest,
  threadTicket: string | undefined,
  options: { pattern?: string; projects?: readonly string[] },
): { keys: string[]; ignored: string[] } {
  const primary = findTicketKey({ branch: pr.sourceRefName, title: pr.title }, options)?.key;
  const text = [pr.title, pr.sourceRefName.replace(/^refs\/heads\//, ''), pr.description].join('\n');
  const inProjects = (key: string) =>
    !options.projects || options.projects.some((project) => key.startsWith(`${project}-`));
  const keys = [
    ...new Set(
      [primary, threadTicket, ...allTicketKeys(text, options)].filter(
        (key): key is string => Boolean(key) && inProjects(key as string),
      ),
    ),
  ];
  const ignored = options.projects
    ? allTicketKeys(text, { pattern: options.pattern }).filter(
        (key) => !keys.includes(key) && !inProjects(key),
      )
    : [];
  if (threadTicket && !inProjects(threadTicket)) ignored.push(threadTicket);
  return { keys, ignored: [...new Set(ignored)] };
}

/** The PR this commit completed, read whole (the query's copy may carry a cut description). */
export async function findMergedPullRequest(
  deps: Pick<StageReleaseDeps, 'azdo'>,
  repo: string,
  commit: string,
): Promise<PullRequest | undefined> {
  const merged = await deps.azdo.findPullRequestByMergeCommit(repo, commit);
  // Release-As and ticket keys need the whole text.
  return merged ? await deps.azdo.getPullRequest(repo, merged.id) : undefined;
}

/**
 * The tickets the PR brings into the release: its keys in the configured projects that no other open
 * PR holds and, with Jira, that name an issue (its summary and status read from Jira).
 */
export async function ticketsOfPullRequest(
  deps: Pick<StageReleaseDeps, 'azdo' | 'store' | 'jira'>,
  repo: string,
  pr: PullRequest,
  input: Pick<StageReleaseInput, 'ticketPattern' | 'projects'>,
): Promise<{ tickets: StagedTicketInfo[]; warnings: string[] }> {
  const state = await readPrThreadState(deps.store, repo, pr.id);
  const warnings: string[] = [];
  const found = ticketKeysOf(pr, state.ticketKey, {
    ...(input.ticketPattern ? { pattern: input.ticketPattern } : {}),
    ...(input.projects ? { projects: input.projects } : {}),
  });
  for (const key of found.ignored) {
    warnings.push(
      `${key} was ignored: it is not a key of the configured Jira projects (${input.projects?.join(', ')})`,
    );
  }
  // A ticket another open PR holds is not taken into this release (nor moved): a person checks it.
  const keys: string[] = [];
  for (const key of found.keys) {
    const claims = await openPrClaims({ store: deps.store, azdo: deps.azdo }, key, { repo, prId: pr.id });
    if (claims.length === 0) keys.push(key);
    else warnings.push(`${describeClaims(key, claims)}: left off this release and not moved`);
  }
  // With Jira, a key that names no issue (a lookalike in prose) is not a ticket; summaries come from Jira.
  const tickets: StagedTicketInfo[] = [];
  for (const key of keys) {
    if (!deps.jira) {
      tickets.push({ key, summary: '' });
      continue;
    }
    try {
      const issue = await deps.jira.getIssue(key);
      tickets.push({ key, summary: issue.summary, status: issue.status });
    } catch (error) {
      if (!isMissingIssue(error)) throw error;
      warnings.push(`${key} is not a Jira issue: left off the release`);
    }
  }
  return { tickets, warnings };
}

/** Records the merge on the PR's thread (done), whether or not it stages anything. */
export async function recordMerge(
  deps: Pick<StageReleaseDeps, 'store' | 'now'>,
  repo: string,
  pr: PullRequest,
  commit: string,
): Promise<void> {
  await upsertPrThread(deps.store, {
    repo,
    prId: pr.id,
    now: deps.now(),
    status: 'done',
    state: {
      mergeCommit: commit,
      title: pr.title,
      sourceRefName: pr.sourceRefName,
      targetRefName: pr.targetRefName,
    },
  });
}

export interface VersionPlan {
  bump: Bump;
  releaseAs: string | undefined;
  lastReleased: string | undefined;
}

/** How the PR moves the version: its bump (commit message, title, description), its Release-As. */
export function bumpOf(pr: PullRequest, commitMessage: string | undefined, conventionalBumps: boolean): Bump {
  const conventional = { conventional: conventionalBumps };
  return (
    highestBump([
      bumpFromCommitMessage(commitMessage ?? '', conventional),
      bumpFromCommitMessage(`${pr.title}\n\n${pr.description}`, conventional),
    ]) ?? 'patch'
  );
}

/** The bump, the Release-As and the repo's last release; VERSION_NOT_INCREASING for a Release-As at or below it. */
export async function planVersion(
  deps: Pick<StageReleaseDeps, 'store'>,
  repo: string,
  pr: PullRequest,
  input: Pick<StageReleaseInput, 'commitMessage' | 'conventionalBumps' | 'firstRelease'>,
): Promise<VersionPlan> {
  const bump = bumpOf(pr, input.commitMessage, input.conventionalBumps);
  const releaseAs = releaseAsFromDescription(pr.description);
  const lastReleased = (await deps.store.releases.latest(repo))?.version;
  // A Release-As at or below the last release is refused even when staging already holds a higher one.
  if (releaseAs)
    nextVersion({
      ...(lastReleased ? { lastReleased } : {}),
      firstRelease: input.firstRelease,
      bumps: [],
      releaseAs,
    });
  return { bump, releaseAs, lastReleased };
}

/**
 * Adds the tickets to the repo's staging release (one optimistic write). `changed` is false when they
 * were all there already (a re-run).
 */
export async function addToStaging(
  deps: Pick<StageReleaseDeps, 'store' | 'now'>,
  repo: string,
  pr: PullRequest,
  tickets: readonly StagedTicketInfo[],
  plan: VersionPlan,
  firstRelease: string,
): Promise<{ staging: StagingRelease; changed: boolean; previousVersion: string | undefined }> {
  const before = await deps.store.staging.get(repo);
  const now = deps.now();
  let changed = false;
  let staging = await deps.store.staging.update(repo, (current) => {
    let next = current;
    for (const ticket of tickets) {
      next = addTicketToStaging(next, {
        repo,
        ticket: {
          key: ticket.key,
          summary: ticket.summary,
          ...(ticket.status ? { status: ticket.status } : {}),
        },
        prId: pr.id,
        bump: plan.bump,
        ...(plan.releaseAs ? { releaseAs: plan.releaseAs } : {}),
        ...(plan.lastReleased ? { lastReleased: plan.lastReleased } : {}),
        firstRelease,
        now,
      }).staging;
    }
    changed = next !== current;
    return changed ? next : undefined;
  });
  if (!staging)
    throw new ReleaseAgentError(
      'STORE_NOT_FOUND',
      `the staging release of ${repo} vanished while it was written`,
      { repo },
    );
  // A release archived between reading the last release and this write left staging started over
  // from the older base, i.e. at the version just released: version it again over the new one.
  const released = (await deps.store.releases.latest(repo))?.version;
  if (released && released !== plan.lastReleased && compareVersions(staging.version, released) <= 0) {
    staging =
      (await deps.store.staging.update(repo, (current) =>
        current && compareVersions(current.version, released) <= 0
          ? rebaseStaging(current, { lastReleased: released, firstRelease, now }).staging
          : undefined,
      )) ?? staging;
  }
  return { staging, changed, previousVersion: before?.version };
}

/**
 * Moves the tickets to the staging status (a ticket already past it stays) and records on the staging
 * release where the moves left them (the hub shows it). Each ticket's `move` is set; a ticket that
 * cannot move is a warning: staging is right already, a person (or a re-run) fixes the ticket.
 */
export async function moveTicketsToStaging(
  deps: Pick<StageReleaseDeps, 'store' | 'now'> & { jira: Jira },
  repo: string,
  tickets: StagedTicketInfo[],
  staging: StagingRelease,
  input: Pick<StageReleaseInput, 'stagingStatus' | 'workflow'>,
): Promise<{ staging: StagingRelease; warnings: string[] }> {
  const warnings: string[] = [];
  for (const ticket of tickets) {
    try {
      ticket.move = await moveTicket(deps.jira, ticket.key, input.stagingStatus, {
        workflow: input.workflow,
        keepIfPast: true,
      });
      if (ticket.move.skipped)
        warnings.push(`${ticket.key} was left in "${ticket.move.from}": ${ticket.move.skipped}`);
    } catch (error) {
      warnings.push(`${ticket.key} was not moved to "${input.stagingStatus}": ${errorMessage(error)}`);
    }
  }
  const moved = new Map(
    tickets.flatMap((ticket) =>
      ticket.move ? [[ticket.key, ticket.move.skipped ? ticket.move.from : ticket.move.to] as const] : [],
    ),
  );
  const updated = await deps.store.staging.update(repo, (current) => {
    if (!current) return undefined;
    const next = withTicketStatuses(current, moved);
    return next === current ? undefined : { ...next, updatedAt: deps.now().toISOString() };
  });
  return { staging: updated ?? staging, warnings };
}

/** Puts the current fix version on every ticket on staging (an older one stays until the release is done). */
export async function setFixVersions(
  jira: Jira,
  repo: string,
  staging: StagingRelease,
): Promise<{ name: string; warnings: string[] }> {
  const name = fixVersionName(repo, staging.version);
  const warnings: string[] = [];
  for (const ticket of staging.tickets) {
    try {
      await jira.ensureVersion(ticket.key.slice(0, ticket.key.lastIndexOf('-')), name);
      await jira.addFixVersion(ticket.key, name);
    } catch (error) {
      warnings.push(`fix version ${name} was not set on ${ticket.key}: ${errorMessage(error)}`);
    }
  }
  return { name, warnings };
}

/** One card per staged ticket; a Slack failure is a warning (staging is written already). */
export async function notifyStaged(
  target: SlackTarget,
  repo: string,
  pr: PullRequest,
  tickets: readonly StagedTicketInfo[],
  staging: StagingRelease,
  jiraBaseUrl: string,
): Promise<{ notified: boolean; warnings: string[] }> {
  try {
    for (const ticket of tickets) {
      const card = stagedCard({
        repo,
        version: staging.version,
        ticket: { key: ticket.key, ...(ticket.summary ? { summary: ticket.summary } : {}) },
        jiraBaseUrl,
        pr: { id: pr.id, url: pr.webUrl, title: pr.title },
        ticketsOnStaging: staging.tickets.length,
      });
      await target.slack.postMessage({
        ...(target.channel ? { channel: target.channel } : {}),
        text: card.text,
        blocks: card.blocks,
      });
    }
    return { notified: true, warnings: [] };
  } catch (error) {
    return { notified: false, warnings: [`the Slack notification failed: ${errorMessage(error)}`] };
  }
}

/** The steps above, in order: find the PR, its tickets, record the merge, version, stage, move, notify. */
export async function stageRelease(
  deps: StageReleaseDeps,
  input: StageReleaseInput,
): Promise<StageReleaseOutcome> {
  const { repo } = input;
  const pr = await findMergedPullRequest(deps, repo, input.commit);
  if (!pr) return { kind: 'no-pr', commit: input.commit };
  const { tickets, warnings } = await ticketsOfPullRequest(deps, repo, pr, input);
  await recordMerge(deps, repo, pr, input.commit);
  if (tickets.length === 0) return { kind: 'no-ticket', pr, warnings };

  const plan = await planVersion(deps, repo, pr, input);
  const added = await addToStaging(deps, repo, pr, tickets, plan, input.firstRelease);
  let { staging } = added;
  if (deps.jira && input.stagingStatus.trim()) {
    const moved = await moveTicketsToStaging({ ...deps, jira: deps.jira }, repo, tickets, staging, input);
    staging = moved.staging;
    warnings.push(...moved.warnings);
  }
  let fixVersion: string | undefined;
  if (deps.jira && input.fixVersion) {
    const set = await setFixVersions(deps.jira, repo, staging);
    fixVersion = set.name;
    warnings.push(...set.warnings);
  }
  let notified = false;
  if (deps.slack && added.changed) {
    const sent = await notifyStaged(deps.slack, repo, pr, tickets, staging, input.jiraBaseUrl);
    notified = sent.notified;
    warnings.push(...sent.warnings);
  }
  for (const warning of warnings) deps.log.warn(warning, { repo, prId: pr.id });
  return {
    kind: 'staged',
    pr,
    staging,
    changed: added.changed,
    previousVersion: added.previousVersion,
    tickets,
    bump: plan.bump,
    releaseAs: plan.releaseAs,
    fixVersionName: fixVersion,
    warnings,
    notified,
  };
}

function cell(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/\|/g, '\\|').trim();
}

export function stageRunSummary(outcome: StageReleaseOutcome, repo: string): string {
  if (outcome.kind === 'no-pr') {
    return `Commit ${outcome.commit.slice(0, 7)} of ${repo} completed no pull request (a direct push?): nothing was staged.`;
  }
  const head = `**Pull request:** [!${outcome.pr.id} ${cell(outcome.pr.title)}](${outcome.pr.webUrl})`;
  if (outcome.kind === 'no-ticket') {
    return [
      head,
      '',
      'The pull request carries no Jira ticket: nothing was staged.',
      ...outcome.warnings.map((w) => `\n⚠ ${w}`),
    ].join('\n');
  }
  const { staging } = outcome;
  const lines = [
    head,
    '',
    `**${repo}** staging version **${staging.version}**${outcome.previousVersion && outcome.previousVersion !== staging.version ? ` (was ${outcome.previousVersion})` : ''}${outcome.releaseAs ? ` · Release-As ${outcome.releaseAs}` : ` · bump ${outcome.bump}`}`,
    outcome.changed ? '' : '\nThis PR was already on staging: nothing changed.',
    '',
    '| Ticket | Summary | PRs | Status |',
    '|---|---|---|---|',
  ];
  for (const ticket of staging.tickets) {
    const moved = outcome.tickets.find((candidate) => candidate.key === ticket.key)?.move;
    lines.push(
      `| ${ticket.key} | ${cell(ticket.summary)} | ${ticket.prIds.map((id) => `!${id}`).join(', ')} | ${moved ? cell(moved.to) : ''} |`,
    );
  }
  if (outcome.fixVersionName) lines.push('', `Jira fix version: ${outcome.fixVersionName}.`);
  for (const warning of outcome.warnings) lines.push('', `⚠ ${warning}`);
  return lines.join('\n');
}
