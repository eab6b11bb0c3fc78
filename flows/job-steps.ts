// The function app's side of POST /api/jobs/{step}: one registry entry per step, naming the job roles
// that may ask it, the shape of what they send, and what the app does, with its own credentials, its
// own store and the facts of the job's build (core/job-roles.ts). Nothing here writes a decision except
// through the review's gate-1 request, which only ever asks a person.
import * as z from 'zod';
import { parseOrFail } from '../core/input.ts';
import { ReleaseAgentError, isReleaseAgentError } from '../core/errors.ts';
import type { JobRole, JobRoleKind } from '../core/job-roles.ts';
import type { ReleaseEnvironments } from '../core/release-environments.ts';
import { FINDING_SEVERITIES } from '../core/review.ts';
import { normalizeVersion } from '../core/versions.ts';
import { type AgentDeps, runUrl } from './agent-deps.ts';
import type { Logger } from './context.ts';
import { ensureTicket } from './jira-ticket.ts';
import { environmentFromInstructions } from './approval-gates.ts';
import { DEFAULT_WORKFLOW } from './jira-workflow.ts';
import type { JobAnswer, JobStep, JobSteps } from './job-api.ts';
import type { ReleaseFlowDeps } from './release-common.ts';
import { completeReleasePullRequest, createReleasePullRequest, planRelease } from './release-pull-request.ts';
import { completeRelease } from './complete-release.ts';
import { recordReview, type ReviewRecordDeps, startReview } from './review-record.ts';
import { storeReleaseRuns } from './run-pipelines.ts';
import { stageRelease } from './stage-release.ts';

/** How long one call waits for a release PR's policies; the task asks again until its own limit. */
export const COMPLETE_WAIT_PER_CALL_MS = 60_000;

/** The Jira status a PR's ticket moves to while it is reviewed. */
export const REVIEW_STATUS = 'Code Review';

type Log = JobAnswer<JobStep>['log'];

interface StepContext {
  deps: AgentDeps;
  log: Log;
}

interface StepDefinition<S extends JobStep, K extends JobRoleKind> {
  roles: readonly K[];
  /**
   * The environment (its role in RELEASE_ENVIRONMENTS) whose approval in this very run the step is the
   * effect of (gates 2, 3 and 5). A job that presents another run's build id, or asks before the person
   * answered, gets nothing.
   */
  afterApprovalOf?: keyof ReleaseEnvironments;
  body: z.ZodType<JobSteps[S]['request']>;
  run(
    context: StepContext,
    role: Extract<JobRole, { kind: K }>,
    body: JobSteps[S]['request'],
  ): Promise<JobSteps[S]['response']>;
}

const text = (max: number) => z.string().max(max);
const branch = z.string().regex(/^refs\/heads\/[^\s~^:?*[\\]{1,240}$/);
const version = z.string().max(64).optional();
const repository = text(256).min(1);
const pipelines = z
  .array(z.object({ id: z.number().int().min(1).max(2_147_483_647), name: text(200) }))
  .max(50);

function requireJira(deps: AgentDeps) {
  if (!deps.jira)
    throw new ReleaseAgentError('NOT_CONFIGURED', 'Jira is not configured on the function app', {
      variables: ['JIRA_EMAIL', 'JIRA_API_TOKEN'],
    });
  return deps.jira;
}

function requireAzdo(deps: AgentDeps) {
  if (!deps.azdo)
    throw new ReleaseAgentError('NOT_CONFIGURED', 'Azure DevOps is not configured on the function app', {
      variables: ['AZDO_PAT'],
    });
  return deps.azdo;
}

function recordDeps({ deps, log }: StepContext): ReviewRecordDeps {
  return {
    azdo: requireAzdo(deps),
    store: deps.store,
    log: jobLogger(log),
    ...(deps.slack ? { slack: deps.slack } : {}),
    ...(deps.channel ? { channel: deps.channel } : {}),
    ...(deps.jira ? { jira: deps.jira } : {}),
    now: deps.now,
    jiraBaseUrl: deps.settings.jiraBaseUrl,
    ...(deps.settings.ticketKeyPattern ? { ticketPattern: deps.settings.ticketKeyPattern } : {}),
    prBudgetUsd: deps.settings.reviewPrBudgetUsd,
  };
}

function releaseDeps({ deps, log }: StepContext): ReleaseFlowDeps {
  return {
    store: deps.store,
    ...(deps.slack ? { slack: { slack: deps.slack, channel: deps.channel } } : {}),
    jiraBaseUrl: deps.settings.jiraBaseUrl,
    now: deps.now,
    log: jobLogger(log),
  };
}

/** The flow's lines, handed back to the job for its own log (errors show there as warnings). */
function jobLogger(log: Log): Logger {
  return {
    info: (text) => log.push({ level: 'info', text }),
    warn: (text) => log.push({ level: 'warning', text }),
    error: (text) => log.push({ level: 'warning', text }),
  };
}

/** A step with its types erased, so one registry holds them all; `define` keeps each entry checked. */
interface RegisteredStep {
  roles: readonly JobRoleKind[];
  afterApprovalOf?: keyof ReleaseEnvironments;
  body: z.ZodType;
  run(context: StepContext, role: JobRole, body: unknown): Promise<unknown>;
}

function define<S extends JobStep, K extends JobRoleKind>(definition: StepDefinition<S, K>): RegisteredStep {
  return {
    roles: definition.roles,
    ...(definition.afterApprovalOf ? { afterApprovalOf: definition.afterApprovalOf } : {}),
    body: definition.body,
    // The registry checks the role against `roles` before it runs a step.
    run: (context, role, body) =>
      definition.run(context, role as Extract<JobRole, { kind: K }>, body as JobSteps[S]['request']),
  };
}

export const JOB_STEP_DEFINITIONS: Readonly<Record<JobStep, RegisteredStep>> = {
  'review.start': define<'review.start', 'pr'>({
    roles: ['pr'],
    body: z.object({}).strict() as unknown as z.ZodType<Record<string, never>>,
    run: (context, role) =>
      startReview(recordDeps(context), { repo: role.repo, prId: role.prId, sourceCommit: role.sourceCommit }),
  }),
  'review.report': define<'review.report', 'pr'>({
    roles: ['pr'],
    body: z.object({
      iterationId: z.number().int().min(1).max(1_000_000),
      verdict: z.enum(['approve', 'request_changes', 'needs_human_review']),
      summary: text(20_000),
      findings: z
        .array(
          z.object({
            file: text(1_000),
            line: z.number().int().min(0).max(10_000_000),
            severity: z.enum(FINDING_SEVERITIES),
            message: text(4_000),
          }),
        )
        .max(200),
      injectionSuspected: z.boolean(),
      failure: text(200).optional(),
      costUsd: z.number().min(0).max(10_000),
    }) as z.ZodType<JobSteps['review.report']['request']>,
    run: (context, role, report) =>
      recordReview(
        recordDeps(context),
        { repo: role.repo, prId: role.prId, sourceCommit: role.sourceCommit },
        report,
      ),
  }),
  'ticket.ensure': define<'ticket.ensure', 'pr'>({
    roles: ['pr'],
    body: z.object({
      draft: z.object({ summary: text(250).min(1), description: text(30_000) }).optional(),
      autoCreate: z.boolean().optional(),
      requireTicket: z.boolean().optional(),
    }),
    run: async ({ deps, log }, role, body) => {
      const config = deps.settings;
      return await ensureTicket(
        {
          azdo: requireAzdo(deps),
          jira: requireJira(deps),
          store: deps.store,
          now: deps.now,
          log: jobLogger(log),
        },
        {
          repo: role.repo,
          prId: role.prId,
          ...(config.ticketKeyPattern ? { ticketPattern: config.ticketKeyPattern } : {}),
          // A PR build may only narrow what the app's settings allow: its YAML is the PR author's.
          autoCreate: config.autoCreateTicket && body.autoCreate !== false,
          requireTicket: body.requireTicket === true,
          defaultProject: config.defaultJiraProject,
          projects: config.jiraProjects,
          status: REVIEW_STATUS,
          workflow: config.jiraWorkflow,
          cwd: undefined,
          maxBudgetUsd: 0,
          timeoutMs: 0,
          askForDraft: true,
          ...(body.draft ? { draft: body.draft } : {}),
        },
      );
    },
  }),
  stage: define<'stage', 'ci'>({
    roles: ['ci'],
    body: z.object({
      commitMessage: text(10_000).optional(),
      firstRelease: text(64).optional(),
      conventionalBumps: z.boolean().optional(),
      ticketPattern: text(200).optional(),
      stagingStatus: text(100).optional(),
      workflow: z.array(text(100)).max(30).optional(),
      fixVersion: z.boolean().optional(),
      jiraProjects: z
        .array(z.string().regex(/^[A-Z][A-Z0-9]+$/))
        .max(50)
        .optional(),
    }),
    run: async ({ deps }, role, body) => {
      const config = deps.settings;
      return await stageRelease(
        {
          azdo: requireAzdo(deps),
          store: deps.store,
          now: deps.now,
          // The app's own log: the warnings reach the job in the outcome.
          log: deps.log,
          ...(deps.jira ? { jira: deps.jira } : {}),
          ...(deps.slack ? { slack: { slack: deps.slack, channel: deps.channel } } : {}),
        },
        {
          repo: role.repo,
          commit: role.commit,
          ...(body.commitMessage ? { commitMessage: body.commitMessage } : {}),
          firstRelease: normalizeVersion(body.firstRelease ?? config.firstReleaseVersion),
          conventionalBumps: body.conventionalBumps ?? config.conventionalBumps,
          ...((body.ticketPattern ?? config.ticketKeyPattern)
            ? { ticketPattern: body.ticketPattern ?? config.ticketKeyPattern }
            : {}),
          stagingStatus: body.stagingStatus ?? config.jiraStagingStatus,
          workflow: body.workflow && body.workflow.length > 0 ? body.workflow : config.jiraWorkflow,
          fixVersion: body.fixVersion ?? false,
          projects:
            body.jiraProjects && body.jiraProjects.length > 0 ? body.jiraProjects : config.jiraProjects,
          jiraBaseUrl: config.jiraBaseUrl,
        },
      );
    },
  }),
  'release.plan': define<'release.plan', 'release'>({
    roles: ['release'],
    body: z.object({ repository, pipelines }),
    run: async (context, role, body) => {
      // The run is the build Azure DevOps vouched for; its link is built here, not taken from the job.
      const url = runUrl(context.deps.settings, role.buildId);
      return await planRelease(releaseDeps(context), {
        repo: role.repo,
        pipelines: body.pipelines,
        run: { runId: role.buildId, pipelineId: role.pipelineId, ...(url ? { runUrl: url } : {}) },
      });
    },
  }),
  'release.create': define<'release.create', 'release'>({
    roles: ['release'],
    afterApprovalOf: 'create',
    body: z.object({ repository, version, sourceRef: branch, targetRef: branch }),
    run: async (context, role, body) =>
      await createReleasePullRequest(
        { ...releaseDeps(context), azdo: requireAzdo(context.deps) },
        { repo: role.repo, version: body.version, sourceRef: body.sourceRef, targetRef: body.targetRef },
      ),
  }),
  'release.complete': define<'release.complete', 'release'>({
    roles: ['release'],
    afterApprovalOf: 'merge',
    body: z.object({
      repository,
      version,
      sourceRef: branch,
      targetRef: branch,
      pullRequestId: z.number().int().min(1).max(2_147_483_647).optional(),
      mergeStrategy: z.enum(['noFastForward', 'squash', 'rebase', 'rebaseMerge']),
      waitSeconds: z.number().min(0).max(86_400),
      pollIntervalSeconds: z.number().min(0.1).max(3_600),
    }),
    run: async (context, role, body) => {
      try {
        return await completeReleasePullRequest(
          { ...releaseDeps(context), azdo: requireAzdo(context.deps) },
          {
            repo: role.repo,
            version: body.version,
            sourceRef: body.sourceRef,
            targetRef: body.targetRef,
            ...(body.pullRequestId ? { pullRequestId: body.pullRequestId } : {}),
            mergeStrategy: body.mergeStrategy,
            pollIntervalMs: body.pollIntervalSeconds * 1000,
            maxWaitMs: Math.min(body.waitSeconds * 1000, COMPLETE_WAIT_PER_CALL_MS),
          },
        );
      } catch (error) {
        // Policies still pending: the task asks again until its own limit (an HTTP call must stay short).
        if (isReleaseAgentError(error, 'PR_COMPLETION_TIMEOUT'))
          return { kind: 'pending' as const, message: error.message };
        throw error;
      }
    },
  }),
  'release.finish': define<'release.finish', 'release'>({
    roles: ['release'],
    afterApprovalOf: 'production',
    body: z.object({
      repository,
      version,
      doneStatus: text(100).min(1),
      workflow: z.array(text(100)).max(30),
      jiraVersion: z.boolean(),
    }),
    run: async (context, role, body) =>
      await completeRelease(
        { ...releaseDeps(context), jira: requireJira(context.deps) },
        {
          repo: role.repo,
          version: body.version,
          doneStatus: body.doneStatus,
          workflow: body.workflow.length > 0 ? body.workflow : DEFAULT_WORKFLOW,
          jiraVersion: body.jiraVersion,
        },
      ),
  }),
  'release.runs': define<'release.runs', 'release'>({
    roles: ['release'],
    body: z.object({ repository, version }),
    run: async ({ deps }, role, body) =>
      await storeReleaseRuns(deps.store, deps.now).resolve(role.repo, body.version),
  }),
  'release.record-run': define<'release.record-run', 'release'>({
    roles: ['release'],
    body: z.object({
      repository,
      version: text(64).min(1),
      run: z.object({
        pipelineId: z.number().int().min(1),
        runId: z.number().int().min(1),
        commit: z.string().regex(/^[0-9a-f]{40}$/),
        webUrl: z.url().max(2_000).optional(),
      }),
    }) as z.ZodType<JobSteps['release.record-run']['request']>,
    run: async ({ deps }, role, body) => {
      await storeReleaseRuns(deps.store, deps.now).record(role.repo, body.version, body.run);
      return { recorded: true as const };
    },
  }),
};

export function isJobStep(value: string): value is JobStep {
  return Object.hasOwn(JOB_STEP_DEFINITIONS, value);
}

/** Parses the body against the step's shape: INPUT_INVALID naming the first field that is wrong. */
export function parseStepBody<S extends JobStep>(step: S, body: unknown): JobSteps[S]['request'] {
  return parseOrFail(
    JOB_STEP_DEFINITIONS[step].body,
    body,
    (field, problem) => {
      throw new ReleaseAgentError('INPUT_INVALID', `step ${step}: ${field}: ${problem}`, { step, field });
    },
    { root: 'body' },
  ) as JobSteps[S]['request'];
}

/** FORBIDDEN unless the job's role may ask this step, for the repository it names. */
export function authorizeJobStep<S extends JobStep>(
  role: JobRole,
  step: S,
  body: JobSteps[S]['request'],
): void {
  const definition = JOB_STEP_DEFINITIONS[step];
  if (!definition.roles.includes(role.kind)) {
    const names: Record<JobRoleKind, string> = {
      pr: 'a PR build',
      ci: 'a target-branch (CI) build',
      release: 'a release pipeline run',
    };
    throw new ReleaseAgentError(
      'FORBIDDEN',
      `step ${step} is for ${definition.roles.map((kind) => names[kind]).join(' or ')}; build ${role.buildId} is ${names[role.kind]}`,
      { buildId: role.buildId, step },
    );
  }
  const named = (body as { repository?: unknown }).repository;
  if (
    role.kind === 'release' &&
    typeof named === 'string' &&
    named.toLowerCase() !== role.repo.toLowerCase()
  ) {
    throw new ReleaseAgentError(
      'FORBIDDEN',
      `build ${role.buildId} is a run of the release pipeline of ${role.repo} (RELEASE_PIPELINE_BY_REPO), not of ${named}`,
      { buildId: role.buildId, repo: role.repo },
    );
  }
}

/**
 * FORBIDDEN unless the approval the step is the effect of was given in this run: read from Azure DevOps
 * with the app's identity (the approval's own instructions name its environment, as setup writes them).
 */
export async function requireApprovalOfStep(deps: AgentDeps, role: JobRole, step: JobStep): Promise<void> {
  const gated = JOB_STEP_DEFINITIONS[step].afterApprovalOf;
  if (!gated) return;
  const environment = deps.settings.releaseEnvironments[gated];
  const azdo = requireAzdo(deps);
  const approved = (await azdo.listApprovals('approved')).some(
    (approval) =>
      approval.pipeline?.runId === role.buildId &&
      environmentFromInstructions(approval.instructions)?.toLowerCase() === environment.toLowerCase(),
  );
  if (!approved) {
    throw new ReleaseAgentError(
      'FORBIDDEN',
      `step ${step} runs only after the approval of environment ${environment} in this run (${role.buildId}); none is approved`,
      { buildId: role.buildId, step, environment },
    );
  }
}

/** Runs a step for a job `authorizeJobStep` let through. */
export async function runJobStep<S extends JobStep>(
  deps: AgentDeps,
  role: JobRole,
  step: S,
  body: JobSteps[S]['request'],
): Promise<JobAnswer<S>> {
  const log: Log = [];
  const result = (await JOB_STEP_DEFINITIONS[step].run({ deps, log }, role, body)) as JobSteps[S]['response'];
  return { result, log };
}
