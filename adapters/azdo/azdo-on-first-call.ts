// The Azure DevOps port with its client loaded on the first call. azure-devops-node-api (with
// typed-rest-client) is a large part of a task bundle; the tasks' bundles are split (scripts/build.ts),
// so this import() is a file of its own that a task compiles only once it talks to Azure DevOps
// (many tasks only ask the function app).
import type { AzureDevOps } from './azdo.ts';
import type { RestAzureDevOpsOptions } from './rest-azdo.ts';

const METHODS = [
  'listActivePullRequests',
  'getPullRequest',
  'listIterations',
  'getIterationChanges',
  'postReview',
  'listReviewThreads',
  'replyToThread',
  'setThreadStatus',
  'setPullRequestStatus',
  'completePullRequest',
  'cancelAutoComplete',
  'createPullRequest',
  'findPullRequestByMergeCommit',
  'createAnnotatedTag',
  'runPipeline',
  'getPipelineRun',
  'getBuild',
  'listPendingApprovals',
  'listApprovals',
  'getApproval',
  'decideApproval',
  'ensureEnvironment',
  'ensureApprovalCheck',
  'ensureServiceHook',
  'ensureStatusPolicy',
] as const satisfies readonly (keyof AzureDevOps)[];

// Every method of the port is listed: a method added to the port and not here fails the typecheck.
const everyMethod: Exclude<keyof AzureDevOps, (typeof METHODS)[number]> extends never ? true : false = true;

export function createAzureDevOpsOnFirstCall(options: RestAzureDevOpsOptions): AzureDevOps {
  void everyMethod;
  let loaded: Promise<AzureDevOps> | undefined;
  const azdo = () =>
    (loaded ??= import('./rest-azdo.ts').then((module) => new module.RestAzureDevOps(options)));
  return Object.fromEntries(
    METHODS.map((name) => [
      name,
      async (...args: unknown[]) =>
        ((await azdo())[name] as (...args: unknown[]) => Promise<unknown>)(...args),
    ]),
  ) as unknown as AzureDevOps;
}
