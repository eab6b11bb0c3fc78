// A task suite's function app and the build each task run belongs to. Tasks reach the state through the
// app with their job's own token, and the app reads that job's build from the Azure DevOps simulator:
// so each run gets a real in-progress build (a PR build, a develop CI build or a run of the repo's
// release pipeline) and its token, and the stack's `state` connection names the app.
import { DEFAULT_RELEASE_ENVIRONMENTS, RELEASE_ENVIRONMENT_ROLES } from '../../core/release-environments.ts';
import { randomBytes } from 'node:crypto';
import { approvalInstructions } from '../../flows/approval-gates.ts';
import { configureServices } from '../../functions/services.ts';
import { type FunctionsHost, startAgentHost } from '../../sandbox/functions-host.ts';
import type { Stack } from '../../sandbox/stack.ts';

export type JobKind = 'pr' | 'ci' | 'release';

interface App {
  host: FunctionsHost;
  env: Record<string, string>;
  releasePipelines: Map<string, number>;
}

const apps = new WeakMap<Stack, App>();
const lastJobs = new WeakMap<Stack, Job>();

/** The job token of the last build `jobFor` started on this stack. */
export function lastJobToken(stack: Stack): string | undefined {
  return lastJobs.get(stack)?.token;
}

/** The last build `jobFor` started on this stack: its id and pipeline. */
export function lastJobBuild(stack: Stack): { buildId: number; pipelineId: number } | undefined {
  const job = lastJobs.get(stack);
  return job
    ? {
        buildId: Number(job.variables['Build.BuildId']),
        pipelineId: Number(job.variables['System.DefinitionId']),
      }
    : undefined;
}
const PR_PIPELINE = 11;
const CI_PIPELINE = 31;
let nextReleasePipeline = 1_000;

/** The function app of this stack, started on first use (with `settings`) and stopped with the stack. */
export async function functionAppOf(stack: Stack, settings: Record<string, string> = {}): Promise<App> {
  const running = apps.get(stack);
  if (running) return running;
  const env = stack.functionEnv({ WORK_QUEUE_NAME: `work-${randomBytes(4).toString('hex')}`, ...settings });
  const host = await startAgentHost({
    env,
    queue: { pollIntervalMs: 50, retryDelaySeconds: 0, leaseSeconds: 30 },
    timers: 'manual',
    // FUNCTIONS_TEST_LOG=1 prints the host's log while debugging a test.
    log: (entry) => {
      if (process.env.FUNCTIONS_TEST_LOG)
        console.error(`[${entry.level}] [${entry.functionName}] ${entry.message}`);
    },
  });
  stack.setFunctionAppUrl(host.url);
  const app: App = { host, env, releasePipelines: new Map() };
  apps.set(stack, app);
  const stopStack = stack.stop;
  stack.stop = async () => {
    apps.delete(stack);
    await host.stop();
    await stopStack();
  };
  return app;
}

/** The release pipeline RELEASE_PIPELINE_BY_REPO names for `repo` (configured on the app on first use). */
async function releasePipelineOf(stack: Stack, repo: string): Promise<number> {
  const app = await functionAppOf(stack);
  const known = app.releasePipelines.get(repo);
  if (known) return known;
  // No repository: a pipeline the app does not know (the task fails on its input before it asks).
  if (!repo) return nextReleasePipeline++;
  const id = nextReleasePipeline++;
  app.releasePipelines.set(repo, id);
  app.env.RELEASE_PIPELINE_BY_REPO = [...app.releasePipelines]
    .map(([name, pipeline]) => `${name}=${pipeline}`)
    .join(';');
  // The app reads its settings once: start it over with the new one, as a changed app setting does.
  configureServices({ env: app.env });
  return id;
}

export interface Job {
  token: string;
  /** The agent's variables of that build (Build.BuildId, System.DefinitionId, …). */
  variables: Record<string, string>;
}

/**
 * An in-progress build the task runs in, from the variables the test gives: a PR build for
 * System.PullRequest.PullRequestId, a develop CI build of Build.SourceVersion, or a run of the repo's
 * release pipeline.
 */
export async function jobFor(
  stack: Stack,
  kind: JobKind,
  variables: Record<string, string>,
  options: JobOptions = {},
): Promise<Job> {
  const job = await startJob(stack, kind, variables, options);
  lastJobs.set(stack, job);
  return job;
}

export interface JobOptions {
  /** A release run whose gate approvals were given (default) or not yet. */
  approved?: boolean;
}

async function startJob(
  stack: Stack,
  kind: JobKind,
  variables: Record<string, string>,
  options: JobOptions,
): Promise<Job> {
  await functionAppOf(stack);
  const repo = variables['Build.Repository.Name'] ?? '';
  const { azdo } = stack;
  if (kind === 'pr') {
    // A Build Validation run names its PR; a run the app queued for refs/pull/<id>/merge is a manual one.
    const validation = Number(variables['System.PullRequest.PullRequestId']);
    const queued = Number(/^refs\/pull\/(\d+)\/merge$/.exec(variables['Build.SourceBranch'] ?? '')?.[1]);
    const prId = validation > 0 ? validation : queued;
    const pr = prId > 0 ? azdo.pullRequests.get(prId) : undefined;
    const { run, token } = azdo.startAgentBuild({
      pipelineId: PR_PIPELINE,
      pipelineName: 'PR validation',
      reason: validation > 0 ? 'pullRequest' : 'manual',
      repository: repo,
      sourceBranch: prId > 0 ? `refs/pull/${prId}/merge` : 'refs/heads/feature/none',
      sourceVersion: pr?.mergeCommit ?? '0'.repeat(40),
      ...(pr && validation > 0
        ? { pullRequest: { id: pr.id, sourceCommit: pr.sourceCommit, sourceBranch: pr.sourceRefName } }
        : {}),
    });
    return {
      token,
      variables: { 'Build.BuildId': String(run.id), 'System.DefinitionId': String(PR_PIPELINE) },
    };
  }
  if (kind === 'ci') {
    const { run, token } = azdo.startAgentBuild({
      pipelineId: CI_PIPELINE,
      pipelineName: 'develop CI',
      reason: 'individualCI',
      repository: repo,
      sourceBranch: 'refs/heads/develop',
      sourceVersion: variables['Build.SourceVersion'] ?? '0'.repeat(40),
    });
    return {
      token,
      variables: { 'Build.BuildId': String(run.id), 'System.DefinitionId': String(CI_PIPELINE) },
    };
  }
  const pipelineId = await releasePipelineOf(stack, repo);
  const { run, token } = azdo.startAgentBuild({
    pipelineId,
    pipelineName: `${repo} release`,
    reason: 'manual',
    repository: repo,
    sourceBranch: 'refs/heads/develop',
    sourceVersion: '0'.repeat(40),
  });
  // The run reached its steps: a person approved each gate environment on the way, as setup marks them.
  if (options.approved !== false) {
    for (const environment of RELEASE_ENVIRONMENT_ROLES.map((role) => DEFAULT_RELEASE_ENVIRONMENTS[role])) {
      const approval = azdo.createPendingApproval({
        environment,
        pipelineId,
        runId: run.id,
        instructions: approvalInstructions(environment),
      });
      azdo.decideApprovalAsUser(approval.id, 'approved');
    }
  }
  return { token, variables: { 'Build.BuildId': String(run.id), 'System.DefinitionId': String(pipelineId) } };
}

/** Which build a task runs in. */
export function jobKindOf(task: string): JobKind | undefined {
  if (task === 'ReviewPullRequest' || task === 'JiraTicket') return 'pr';
  if (task === 'StageRelease') return 'ci';
  if (task === 'ReleasePullRequest' || task === 'RunPipelines' || task === 'CompleteRelease')
    return 'release';
  return undefined;
}
