// What the release pipeline's task entries share: the inputs every one of them reads, the ports its
// flow gets, and mapping a flow's report onto the agent (outputs, build number, summary, result).
import { ReleaseAgentError } from '../../core/errors.ts';
import {
  type FlowReport,
  parsePipelineList,
  type PipelineRef,
  realWaiter,
  type ReleaseFlowDeps,
  versionInput,
} from '../../flows/release-common.ts';
import { CONNECTION_INPUTS, slackFromConnection, storeFromConnection } from './services.ts';
import { serviceConnection, type TaskContext, type TaskOutcome } from './task-runtime.ts';

/** JIRA_BASE_URL's default, for ticket links when no Jira connection is given. */
export const DEFAULT_JIRA_BASE_URL = 'https://billolife.atlassian.net';

/** The `repository` input, else the pipeline's own repository. */
export function repositoryInput(context: TaskContext): string {
  const repo = context.inputs.optional('repository') || context.variable('Build.Repository.Name')?.trim();
  if (!repo) {
    throw new ReleaseAgentError(
      'INPUT_INVALID',
      'input "repository" is required (Build.Repository.Name is not set)',
      {
        input: 'repository',
      },
    );
  }
  if (/[\\/#?\u0000-\u001f]/.test(repo) || repo.length > 256) {
    throw new ReleaseAgentError(
      'INPUT_INVALID',
      `input "repository" is not a repository name: "${repo.slice(0, 80)}"`,
      {
        input: 'repository',
      },
    );
  }
  return repo;
}

/** The optional `version` input (the version the release pipeline planned). */
export function optionalVersionInput(context: TaskContext): string | undefined {
  const value = context.inputs.optional('version');
  return value ? versionInput(value) : undefined;
}

export function pipelinesInput(context: TaskContext): PipelineRef[] {
  return parsePipelineList(context.inputs.list('pipelines'), 'pipelines');
}

/** The ports of a release flow from the task's connections: state (required), Slack and the Jira site URL (optional). */
export function releaseFlowDeps(
  context: TaskContext,
  options: { jiraBaseUrl?: string } = {},
): ReleaseFlowDeps {
  const { store } = storeFromConnection(context);
  const slack = slackFromConnection(context, false);
  const jiraBaseUrl =
    options.jiraBaseUrl ??
    serviceConnection(context.inputs, CONNECTION_INPUTS.jira, false)?.url ??
    DEFAULT_JIRA_BASE_URL;
  return {
    store,
    ...(slack ? { slack } : {}),
    jiraBaseUrl: jiraBaseUrl.replace(/\/+$/, ''),
    log: context.log,
    warn: context.warn,
    waiter: realWaiter,
  };
}

/** Sets the report's outputs, build number and summary, and gives the task's outcome. */
export function applyReport(context: TaskContext, report: FlowReport): TaskOutcome {
  for (const [name, value] of Object.entries(report.outputs)) context.setOutput(name, value);
  if (report.buildNumber) context.updateBuildNumber(report.buildNumber);
  if (report.summary) context.summary(report.summary.title, report.summary.markdown);
  return { result: report.result, message: report.message };
}
