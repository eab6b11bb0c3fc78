// The release pipeline's pull-request steps (the Python agent's release graph up to the tag):
//   plan     load the repo's staging release, render its notes, open the release thread for this run;
//   create   (after gate 2) open the develop → main PR, or reuse the open one;
//   complete (after gate 3) merge it at its current source commit, waiting out pending policies, and
//            tag the merge commit vX.Y.Z.
// Every step can run again (a retried stage) without doing anything twice.
import type { AzureDevOps, PullRequest } from '../adapters/azdo/azdo.ts';
import { ReleaseAgentError, isReleaseAgentError } from '../core/errors.ts';
import { releaseTag, renderReleaseNotes } from '../core/releases.ts';
import { releasePrCreatedCard } from '../core/release-cards.ts';
import {
  fitDescription,
  type PipelineRef,
  pollUntil,
  postCard,
  type ReleaseFlowDeps,
  releaseState,
  resolveRelease,
  seconds,
  upsertReleaseThread,
} from './release-common.ts';
import { releaseThreadId } from './threads.ts';

/** Azure DevOps' limit on a PR description. */
export const PR_DESCRIPTION_LIMIT = 4000;

export interface PlanInput {
  repo: string;
  /** Pipelines gate 4 triggers; empty keeps what the thread already has. */
  pipelines: readonly PipelineRef[];
  run: { runId?: number; pipelineId?: number; runUrl?: string };
}

/** What planning found: nothing staged, or the version and its notes (the release thread is open). */
export type PlanOutcome =
  | { kind: 'nothing-staged'; repo: string }
  | { kind: 'planned'; repo: string; version: string; tickets: number; notes: string; threadId: string };

/** Plan: what would be released. "Nothing to release" is an outcome, not a failure. */
export async function planRelease(deps: ReleaseFlowDeps, input: PlanInput): Promise<PlanOutcome> {
  const staging = await deps.store.staging.get(input.repo);
  if (!staging || staging.tickets.length === 0) {
    deps.log.info(`${input.repo} has no staged tickets: nothing to release.`);
    return { kind: 'nothing-staged', repo: input.repo };
  }
  const notes = renderReleaseNotes(staging, { jiraBaseUrl: deps.jiraBaseUrl });
  const now = deps.now();
  const thread = await upsertReleaseThread(deps.store, {
    repo: input.repo,
    version: staging.version,
    status: 'running',
    patch: {
      ...input.run,
      ...(input.pipelines.length > 0
        ? { pipelines: input.pipelines.map((pipeline) => ({ ...pipeline })) }
        : {}),
      notes,
    },
    now,
  });
  await deps.store.audit.append({
    at: now.toISOString(),
    actor: 'release-agent',
    action: 'release.planned',
    subject: thread.id,
    detail: { version: staging.version, tickets: staging.tickets.length, runId: input.run.runId },
  });
  const pipelines = releaseState(thread).pipelines ?? [];
  deps.log.info(
    `${input.repo} ${staging.version}: ${staging.tickets.length} ticket(s) staged; release thread ${thread.id}.`,
  );
  deps.log.info(
    pipelines.length > 0
      ? `Pipelines for gate 4: ${pipelines.map((pipeline) => `${pipeline.name} (${pipeline.id})`).join(', ')}.`
      : 'No pipelines configured for gate 4.',
  );
  return {
    kind: 'planned',
    repo: input.repo,
    version: staging.version,
    tickets: staging.tickets.length,
    notes,
    threadId: thread.id,
  };
}

export interface BranchesInput {
  repo: string;
  /** From the `version` input (the planned one), else the staging release's. */
  version: string | undefined;
  sourceRef: string;
  targetRef: string;
}

export type AzureDevOpsDeps = ReleaseFlowDeps & { azdo: AzureDevOps };

function nothingStaged(repo: string): ReleaseAgentError {
  return new ReleaseAgentError('RELEASE_NOT_FOUND', `${repo} has no staging release: nothing to release`, {
    repo,
  });
}

/** The release PR of a version: opened now or an open one reused; `notified` false when Slack failed. */
export interface ReleasePrOutcome {
  kind: 'release-pr';
  repo: string;
  version: string;
  created: boolean;
  pr: { id: number; url: string; title: string };
  notes: string;
  /** False only when a card was due and Slack refused it (no Slack, or announced before: true). */
  notified: boolean;
}

/** Create: the develop → main PR titled `Release <repo> <version>` with the notes; reuses an open one. */
export async function createReleasePullRequest(
  deps: AzureDevOpsDeps,
  input: BranchesInput,
): Promise<ReleasePrOutcome> {
  const release = await resolveRelease(deps.store, input.repo, input.version);
  const { staging, version } = release;
  if (!staging || staging.tickets.length === 0 || !version) throw nothingStaged(input.repo);
  if (staging.version !== version) {
    deps.log.warn(
      `staging of ${input.repo} is at ${staging.version} now; this release stays ${version} as planned`,
    );
  }
  const notes = renderReleaseNotes({ ...staging, version }, { jiraBaseUrl: deps.jiraBaseUrl });
  const title = `Release ${input.repo} ${version}`;
  const { pullRequest, created } = await deps.azdo.createPullRequest(input.repo, {
    sourceRefName: input.sourceRef,
    targetRefName: input.targetRef,
    title,
    description: fitDescription(notes, PR_DESCRIPTION_LIMIT),
  });
  deps.log.info(
    created
      ? `Created PR #${pullRequest.id} "${title}": ${pullRequest.webUrl}`
      : `Reused the open PR #${pullRequest.id} "${pullRequest.title}" from ${input.sourceRef} to ${input.targetRef}: ${pullRequest.webUrl}`,
  );
  const known = releaseState(release.thread).releasePrId === pullRequest.id;
  const now = deps.now();
  const thread = await upsertReleaseThread(deps.store, {
    repo: input.repo,
    version,
    patch: { releasePrId: pullRequest.id, releasePrUrl: pullRequest.webUrl, notes },
    now,
  });
  let slackFailed = false;
  if (!known) {
    await deps.store.audit.append({
      at: now.toISOString(),
      actor: 'release-agent',
      action: created ? 'release.pr.created' : 'release.pr.reused',
      subject: thread.id,
      detail: { prId: pullRequest.id },
    });
    // Announced once per release PR: a retried task finds it recorded and stays quiet.
    const card = releasePrCreatedCard({
      repo: input.repo,
      version,
      pr: { id: pullRequest.id, url: pullRequest.webUrl, title: pullRequest.title },
      tickets: staging.tickets.map((ticket) => ({ key: ticket.key, summary: ticket.summary })),
      jiraBaseUrl: deps.jiraBaseUrl,
    });
    slackFailed = Boolean(deps.slack) && !(await postCard(deps, card));
  }
  return {
    kind: 'release-pr',
    repo: input.repo,
    version,
    created,
    pr: { id: pullRequest.id, url: pullRequest.webUrl, title },
    notes,
    notified: !slackFailed,
  };
}

export interface CompleteInput extends BranchesInput {
  /** The PR to complete; default the release thread's, else the open source → target PR. */
  pullRequestId?: number;
  mergeStrategy: 'noFastForward' | 'squash' | 'rebase' | 'rebaseMerge';
  pollIntervalMs: number;
  maxWaitMs: number;
}

async function findReleasePr(
  deps: AzureDevOpsDeps,
  input: CompleteInput,
  threadPrId: number | undefined,
): Promise<PullRequest> {
  const id = input.pullRequestId ?? threadPrId;
  if (id !== undefined) return await deps.azdo.getPullRequest(input.repo, id);
  const open = await deps.azdo.listActivePullRequests({
    repository: input.repo,
    targetRefName: input.targetRef,
  });
  const match = open.find((pr) => pr.sourceRefName === input.sourceRef);
  if (!match) {
    throw new ReleaseAgentError(
      'NOT_FOUND',
      `no release PR to complete: the release thread has none and no PR from ${input.sourceRef} to ${input.targetRef} is open in ${input.repo}`,
      { repo: input.repo },
    );
  }
  return await deps.azdo.getPullRequest(input.repo, match.id);
}

/** The release PR merged and its merge commit tagged. */
export interface MergedOutcome {
  kind: 'merged';
  repo: string;
  version: string;
  pr: { id: number; url: string };
  targetRef: string;
  mergeCommit: string;
  tag: string;
}

/** Complete: merge the release PR (at the source commit read now), wait for policies if needed, tag it. */
export async function completeReleasePullRequest(
  deps: AzureDevOpsDeps,
  input: CompleteInput,
): Promise<MergedOutcome> {
  const release = await resolveRelease(deps.store, input.repo, input.version);
  const version = release.version;
  if (!version) throw nothingStaged(input.repo);
  const state = releaseState(release.thread);
  const pr = await findReleasePr(deps, input, state.releasePrId);
  const merged = pr.status === 'completed' ? pr : await mergePullRequest(deps, input, pr, version);
  const mergeCommit = merged.mergeCommitId;
  if (!mergeCommit) {
    throw new ReleaseAgentError(
      'SERVICE_MALFORMED',
      `PR ${pr.id} is completed but Azure DevOps gave no merge commit`,
      {
        repo: input.repo,
        prId: pr.id,
      },
    );
  }
  const tagName = releaseTag(version);
  const tag = await deps.azdo.createAnnotatedTag(input.repo, {
    name: tagName,
    commitId: mergeCommit,
    message: `Release ${input.repo} ${version}`,
  });
  deps.log.info(
    tag.created
      ? `Tagged ${mergeCommit.slice(0, 8)} as ${tagName}.`
      : `Tag ${tagName} already points at ${mergeCommit.slice(0, 8)}.`,
  );
  const now = deps.now();
  const thread = await upsertReleaseThread(deps.store, {
    repo: input.repo,
    version,
    patch: { releasePrId: pr.id, releasePrUrl: pr.webUrl, mergeCommit, tag: tagName },
    now,
  });
  if (state.mergeCommit !== mergeCommit || state.tag !== tagName) {
    await deps.store.audit.append({
      at: now.toISOString(),
      actor: 'release-agent',
      action: 'release.pr.merged',
      subject: thread.id,
      detail: { prId: pr.id, mergeCommit, tag: tagName },
    });
  }
  return {
    kind: 'merged',
    repo: input.repo,
    version,
    pr: { id: pr.id, url: pr.webUrl },
    targetRef: input.targetRef,
    mergeCommit,
    tag: tagName,
  };
}

async function mergePullRequest(
  deps: AzureDevOpsDeps,
  input: CompleteInput,
  pr: PullRequest,
  version: string,
): Promise<PullRequest> {
  if (pr.status === 'abandoned') {
    throw new ReleaseAgentError(
      'CONFLICT',
      `release PR #${pr.id} of ${input.repo} was abandoned: nothing to merge`,
      {
        repo: input.repo,
        prId: pr.id,
      },
    );
  }
  const sourceCommit = pr.sourceCommitId;
  if (!sourceCommit) {
    throw new ReleaseAgentError(
      'SERVICE_MALFORMED',
      `PR ${pr.id} has no source commit yet: try again shortly`,
      {
        repo: input.repo,
        prId: pr.id,
      },
    );
  }
  const approvedBy = await gateThreeApprover(deps, input.repo, version);
  deps.log.info(`Completing PR #${pr.id} at ${sourceCommit.slice(0, 8)} (${input.mergeStrategy}).`);
  let outcome: Awaited<ReturnType<AzureDevOps['completePullRequest']>>;
  try {
    outcome = await deps.azdo.completePullRequest(input.repo, pr.id, {
      sourceCommitId: sourceCommit,
      mergeStrategy: input.mergeStrategy,
      // develop lives on after the release.
      deleteSourceBranch: false,
      mergeCommitMessage: `Merged PR ${pr.id}: Release ${input.repo} ${version}`,
      ...(approvedBy ? { approvedBy } : {}),
      // The task waits here and turns auto-complete off on a push or a timeout (see awaitCompletion).
      whenPoliciesPending: 'auto-complete',
    });
  } catch (error) {
    if (isReleaseAgentError(error, 'PR_STALE_COMMIT')) {
      throw new ReleaseAgentError(
        'PR_STALE_COMMIT',
        `${error.message}. Nothing was merged: check the new commits, then re-run this stage.`,
        error.fields,
        { cause: error },
      );
    }
    throw error;
  }
  switch (outcome.kind) {
    case 'completed':
    case 'already-completed':
      return outcome.pullRequest;
    case 'auto-complete-set':
      deps.log.info(
        `Required policies are pending: auto-complete is set, waiting up to ${seconds(input.maxWaitMs)}.`,
      );
      return await awaitCompletion(deps, input, outcome.pullRequest, sourceCommit, true);
    case 'completion-pending':
    case 'policies-pending':
      return await awaitCompletion(deps, input, outcome.pullRequest, sourceCommit, false);
  }
}

/** Who approved gate 3, for the note Azure DevOps shows when auto-complete is set. */
async function gateThreeApprover(
  deps: AzureDevOpsDeps,
  repo: string,
  version: string,
): Promise<string | undefined> {
  const decisions = await deps.store.decisions.findByThread(releaseThreadId(repo, version));
  return decisions
    .filter((decision) => decision.gate === 'merge_release_pr' && decision.status === 'approved')
    .at(-1)?.decidedBy;
}

/**
 * Waits for Azure DevOps to finish the merge. A push to the source branch meanwhile would be merged
 * unseen by auto-complete, so it is turned off and the task fails; so does a timeout, so nothing merges
 * behind a failed stage.
 */
async function awaitCompletion(
  deps: AzureDevOpsDeps,
  input: CompleteInput,
  accepted: PullRequest,
  approvedCommit: string,
  autoComplete: boolean,
): Promise<PullRequest> {
  const fields = { repo: input.repo, prId: accepted.id };
  const stop = async () => {
    if (autoComplete) await deps.azdo.cancelAutoComplete(input.repo, accepted.id);
  };
  const outcome = await pollUntil<PullRequest>({
    clock: deps,
    intervalMs: input.pollIntervalMs,
    maxWaitMs: input.maxWaitMs,
    check: async (round, elapsedMs) => {
      const pr = round === 1 ? accepted : await deps.azdo.getPullRequest(input.repo, accepted.id);
      if (pr.status === 'completed') return pr;
      if (pr.status === 'abandoned') {
        throw new ReleaseAgentError(
          'CONFLICT',
          `release PR #${pr.id} was abandoned while waiting for it to merge`,
          fields,
        );
      }
      if (pr.sourceCommitId !== approvedCommit) {
        await stop();
        throw new ReleaseAgentError(
          'PR_STALE_COMMIT',
          `PR ${pr.id} in ${input.repo} moved from ${approvedCommit.slice(0, 8)} to ${pr.sourceCommitId?.slice(0, 8) ?? 'unknown'} while waiting for its policies: auto-complete is turned off and nothing was merged; check the new commits, then re-run this stage`,
          { ...fields, expectedCommit: approvedCommit, actualCommit: pr.sourceCommitId },
        );
      }
      if (pr.mergeStatus === 'conflicts') {
        await stop();
        throw new ReleaseAgentError(
          'CONFLICT',
          `PR ${pr.id} in ${input.repo} has merge conflicts between ${input.sourceRef} and ${input.targetRef}: resolve them, then re-run this stage`,
          { ...fields, mergeStatus: pr.mergeStatus },
        );
      }
      deps.log.info(
        `[${seconds(elapsedMs)}] PR #${pr.id}: ${pr.status}, merge ${pr.mergeStatus ?? 'not computed'}, auto-complete ${pr.autoCompleteSetById ? 'on' : 'off'}: waiting.`,
      );
      return undefined;
    },
  });
  if (outcome.done) return outcome.value;
  await stop();
  throw new ReleaseAgentError(
    'PR_COMPLETION_TIMEOUT',
    `PR ${accepted.id} in ${input.repo} did not complete within ${seconds(input.maxWaitMs)}${autoComplete ? ' (its required policies are still pending; auto-complete is turned off again)' : ''}: re-run this stage once it can merge`,
    { ...fields, maxWaitSeconds: input.maxWaitMs / 1000 },
  );
}
