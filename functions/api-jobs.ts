// POST /api/jobs/{step}: what a pipeline job asks of the app. The job sends its own System.AccessToken
// (Authorization: Bearer) and its build id (X-Release-Agent-Build). The app reads that build from Azure
// DevOps with the job's token, which proves the token is live in this project, and takes the job's role
// from the build's facts alone (core/job-roles.ts). No job holds a credential of the app's state.
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import * as z from 'zod/mini';
import { RestAzureDevOps } from '../adapters/azdo/rest-azdo.ts';
import { azdoOrganizationUrl, type Config } from '../core/config.ts';
import { classifyError, isReleaseAgentError, ReleaseAgentError } from '../core/errors.ts';
import { parseOrFail } from '../core/input.ts';
import { type JobPolicy, type JobRole, jobRoleOf } from '../core/job-roles.ts';
import { Secret } from '../core/secret.ts';
import { type AgentSettings, type Logger, pipelineFor } from '../flows/agent-deps.ts';
import { BUILD_HEADER, JOB_STEP_FAILED, JOB_STEP_OUTSIDE_FAILED } from '../flows/job-api.ts';
import {
  authorizeJobStep,
  isJobStep,
  parseStepBody,
  requireApprovalOfStep,
  runJobStep,
} from '../flows/job-steps.ts';
import { errorBody, jsonResponse, readJsonObject } from './http.ts';
import { services } from './services.ts';

/** `Bearer <token>`, read as the token (the problem is not said: it is about a credential). */
const bearerSchema = z.pipe(
  z.string().check(z.regex(/^Bearer\s+\S{8,4096}$/i)),
  z.transform((header: string) => header.replace(/^Bearer\s+/i, '')),
);

/** The build id header: a positive whole number of at most 10 digits, as Build.BuildId prints it. */
const buildIdSchema = z.pipe(
  z.string().check(
    z.regex(/^\d{1,10}$/),
    z.refine((text: string) => Number(text) > 0, 'must not be 0'),
  ),
  z.transform(Number),
);

export function jobPolicy(settings: AgentSettings, config: Pick<Config, 'RELEASE_BRANCHES'>): JobPolicy {
  const releaseBranches = config.RELEASE_BRANCHES.split(',')
    .map((branch) => branch.trim())
    .filter(Boolean);
  return {
    targetBranch: settings.targetBranch,
    releaseBranches:
      releaseBranches.length > 0 ? releaseBranches : [settings.targetBranch, 'refs/heads/main'],
    prPipelineFor: (repo) => pipelineFor(settings.prPipelineByRepo, repo, settings.prPipelineId),
    releasePipelines: settings.releasePipelineByRepo,
  };
}

/** The caller's job: its token must read its own build in this project; the build's facts give the role. */
export async function jobOfRequest(
  request: HttpRequest,
  config: Config,
  settings: AgentSettings,
): Promise<JobRole> {
  const token = parseOrFail(bearerSchema, request.headers.get('authorization')?.trim() ?? '', () => {
    throw new ReleaseAgentError(
      'AUTH_INVALID',
      "Authorization must be 'Bearer <the job's System.AccessToken>'",
      {},
    );
  });
  const buildId = parseOrFail(
    buildIdSchema,
    request.headers.get(BUILD_HEADER)?.trim() ?? '',
    (_field, problem) => {
      throw new ReleaseAgentError(
        'INPUT_INVALID',
        `${BUILD_HEADER} must be the job's Build.BuildId: ${problem}`,
        { field: BUILD_HEADER },
      );
    },
  );
  if (!(config.AZDO_ORGANIZATION || config.AZDO_BASE_URL) || !config.AZDO_PROJECT) {
    throw new ReleaseAgentError(
      'NOT_CONFIGURED',
      'AZDO_ORGANIZATION and AZDO_PROJECT must be set to verify pipeline jobs',
      {
        variables: ['AZDO_ORGANIZATION', 'AZDO_PROJECT'],
      },
    );
  }
  const asJob = new RestAzureDevOps({
    organizationUrl: azdoOrganizationUrl(config),
    project: config.AZDO_PROJECT,
    auth: { kind: 'bearer', token: new Secret(token) },
    timeoutMs: 10_000,
    retry: { maxAttempts: 2, maxTotalMs: 8_000 },
  });
  let build: Awaited<ReturnType<RestAzureDevOps['getBuild']>>;
  try {
    build = await asJob.getBuild(buildId);
  } catch (error) {
    if (isReleaseAgentError(error, 'AUTH_INVALID') || isReleaseAgentError(error, 'FORBIDDEN')) {
      throw new ReleaseAgentError(
        'AUTH_INVALID',
        'Azure DevOps refused the job token: it is not a live token of this project',
        { buildId },
      );
    }
    if (isReleaseAgentError(error, 'NOT_FOUND')) {
      throw new ReleaseAgentError('FORBIDDEN', `build ${buildId} does not exist in ${config.AZDO_PROJECT}`, {
        buildId,
      });
    }
    throw error;
  }
  return jobRoleOf(build, jobPolicy(settings, config));
}

export async function jobStepHandler(
  request: HttpRequest,
  _context: unknown,
  log: Logger,
): Promise<HttpResponseInit> {
  const { config, deps } = services();
  const step = request.params.step ?? '';
  if (!isJobStep(step))
    throw new ReleaseAgentError('NOT_FOUND', `no job step "${step.slice(0, 60)}"`, {
      step: step.slice(0, 60),
    });
  const role = await jobOfRequest(request, config, deps.settings);
  const body = parseStepBody(step, await readJsonObject(request));
  authorizeJobStep(role, step, body);
  await requireApprovalOfStep(deps, role, step);
  try {
    const answer = await runJobStep({ ...deps, log }, role, step, body);
    log.info('job step', { step, buildId: role.buildId, role: role.kind, repo: role.repo });
    return jsonResponse(200, answer);
  } catch (error) {
    // The step's own failure (a version that does not increase, an abandoned release PR, Jira refusing
    // a transition…) is the job's answer: its code and words fail the task, as they did when it ran
    // there. Coded messages carry no secrets; anything else stays a logged internal error.
    const { kind } = classifyError(error);
    if (!isReleaseAgentError(error) || kind === 'internal' || kind === 'config') throw error;
    log.warn('job step failed', { step, buildId: role.buildId, code: error.code });
    // 424: an outside service the step depends on failed; 422: the step itself could not be done.
    return jsonResponse(
      kind === 'outside' ? JOB_STEP_OUTSIDE_FAILED : JOB_STEP_FAILED,
      errorBody(error.code, error.message),
    );
  }
}
