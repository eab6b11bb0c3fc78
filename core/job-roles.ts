// What a pipeline job may ask of the function app, from facts Azure DevOps gives about its build, never
// from what the job says about itself. A PR build runs the PR's own YAML, so whatever it sends is
// hostile: it may only report the review of its own PR. A build of the target branch (develop CI) may
// stage what that branch's commit merged. A run of the repo's configured release pipeline, on a release
// branch, may do the release steps of that repo. Nothing a job can do decides a gate or acts on one.
import { ReleaseAgentError } from './errors.ts';

/** The Build API's facts about the job's build (adapters/azdo Build, without the adapter's types). */
export interface BuildFacts {
  id: number;
  status: string;
  reason: string;
  definition: { id: number; name: string };
  repository: { name: string };
  sourceBranch: string;
  sourceVersion: string;
  pullRequest: { id: number; sourceCommit: string | undefined } | undefined;
}

export type JobRole =
  | { kind: 'pr'; buildId: number; repo: string; prId: number; sourceCommit: string | undefined }
  | { kind: 'ci'; buildId: number; repo: string; commit: string; branch: string }
  | { kind: 'release'; buildId: number; repo: string; pipelineId: number; branch: string };

export type JobRoleKind = JobRole['kind'];

export interface JobPolicy {
  /** PR_POLL_TARGET_BRANCH: the branch PRs merge into, whose CI stages releases. */
  targetBranch: string;
  /** Branches a release pipeline may run from (its YAML is reviewed code there). */
  releaseBranches: readonly string[];
  /** The repo's PR pipeline when configured (PR_PIPELINE_ID / PR_PIPELINE_BY_REPO); undefined: any PR build. */
  prPipelineFor(repo: string): number | undefined;
  /** RELEASE_PIPELINE_BY_REPO as pairs; a release role needs its pipeline configured. */
  releasePipelines: Readonly<Record<string, number>>;
}

/** Reasons of a build that ran for a push or by a person on the branch itself (not for a PR). */
const BRANCH_BUILD_REASONS = new Set(['individualCI', 'batchedCI', 'manual', 'schedule']);

function refused(message: string, build: BuildFacts): never {
  throw new ReleaseAgentError('FORBIDDEN', message, {
    buildId: build.id,
    definitionId: build.definition.id,
    reason: build.reason,
    sourceBranch: build.sourceBranch,
  });
}

function sameBranch(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** The one role a running build has; FORBIDDEN saying why when it has none. */
export function jobRoleOf(build: BuildFacts, policy: JobPolicy): JobRole {
  if (build.status !== 'inProgress') {
    refused(`build ${build.id} is ${build.status}: a job's requests are accepted only while it runs`, build);
  }
  const releaseRepo = Object.entries(policy.releasePipelines).find(
    ([, id]) => id === build.definition.id,
  )?.[0];
  if (releaseRepo !== undefined) {
    if (
      build.reason === 'pullRequest' ||
      !policy.releaseBranches.some((branch) => sameBranch(branch, build.sourceBranch))
    ) {
      refused(
        `build ${build.id} of release pipeline ${build.definition.id} runs from ${build.sourceBranch} (${build.reason}); release steps run only from ${policy.releaseBranches.join(' or ')}`,
        build,
      );
    }
    return {
      kind: 'release',
      buildId: build.id,
      repo: releaseRepo,
      pipelineId: build.definition.id,
      branch: build.sourceBranch,
    };
  }
  const repo = build.repository.name;
  if (!repo) refused(`build ${build.id} names no repository`, build);
  // Anything that builds a PR's merge ref runs the PR's code and YAML: at most a PR build, whoever queued
  // it (a Build Validation policy, or the app queueing the PR pipeline where a repo has none).
  const mergeRef = /^refs\/pull\/(\d{1,10})\/merge$/.exec(build.sourceBranch);
  if (build.reason === 'pullRequest' || mergeRef) {
    const prId = build.pullRequest?.id ?? Number(mergeRef?.[1]);
    if (!Number.isSafeInteger(prId) || prId <= 0)
      refused(`build ${build.id} is a PR build without its pull request`, build);
    const pipeline = policy.prPipelineFor(repo);
    if (pipeline !== undefined && pipeline !== build.definition.id) {
      refused(`build ${build.id} is not of the PR pipeline configured for ${repo} (${pipeline})`, build);
    }
    // The commit the PR build was queued for, when Azure DevOps says (triggerInfo); else the PR's current.
    const sourceCommit =
      build.pullRequest?.id === prId ? build.pullRequest.sourceCommit?.toLowerCase() : undefined;
    return { kind: 'pr', buildId: build.id, repo, prId, sourceCommit };
  }
  if (BRANCH_BUILD_REASONS.has(build.reason) && sameBranch(build.sourceBranch, policy.targetBranch)) {
    if (!/^[0-9a-f]{40}$/i.test(build.sourceVersion))
      refused(`build ${build.id} has no source commit`, build);
    return {
      kind: 'ci',
      buildId: build.id,
      repo,
      commit: build.sourceVersion.toLowerCase(),
      branch: build.sourceBranch,
    };
  }
  return refused(
    `build ${build.id} (${build.reason} on ${build.sourceBranch}) is neither a PR build, a ${policy.targetBranch} build nor a configured release pipeline`,
    build,
  );
}
