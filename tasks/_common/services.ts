// Builds the adapters a task needs from the agent's contract: Azure DevOps through the job's own
// OAuth token (SystemVssConnection, i.e. System.AccessToken), the rest from the extension's service
// connections. Every credential read is registered as a secret before anything can print it. The
// Azure DevOps, Jira, Slack Web API, Table Storage and Claude CLI clients load on their first call
// (the bundles are split), so a task starts without compiling the libraries it may never use.
import * as tl from 'azure-pipelines-task-lib/task.js';
import { ReleaseAgentError } from '../../core/errors.ts';
import type { AzureDevOps } from '../../adapters/azdo/azdo.ts';
import { createAzureDevOpsOnFirstCall } from '../../adapters/azdo/azdo-on-first-call.ts';
import { claudeRunnerFromEnv } from '../../adapters/claude/cli-claude.ts';
import type { ClaudeRunner } from '../../adapters/claude/claude.ts';
import type { Jira } from '../../adapters/jira/jira.ts';
import { createJiraClientOnFirstCall } from '../../adapters/jira/jira-on-first-call.ts';
import type { Slack } from '../../adapters/slack/slack.ts';
import { createWebApiSlackOnFirstCall } from '../../adapters/slack/web-api-slack-on-first-call.ts';
import { createWebhookSlack } from '../../adapters/slack/webhook-slack.ts';
import { type FunctionApp, HttpFunctionApp } from '../../adapters/function-app/function-app.ts';
import type { JobAnswer, JobStep, JobSteps } from '../../flows/job-api.ts';
import { type ServiceConnection, serviceConnection, type TaskContext } from './task-runtime.ts';

/** Input names shared by every task that uses a service. */
export const CONNECTION_INPUTS = {
  jira: 'jiraConnection',
  slack: 'slackConnection',
  state: 'stateConnection',
} as const;

export interface AzureDevOpsContext {
  azdo: AzureDevOps;
  organizationUrl: string;
  project: string;
  repositoryName: string | undefined;
  /** The run's page, for links in cards and summaries. */
  runUrl: string | undefined;
}

/** Azure DevOps as the job's identity (System.AccessToken via SystemVssConnection). */
/** The job's own System.AccessToken (SystemVssConnection), registered as a secret. */
function jobAccessToken(context: TaskContext) {
  const accessToken = context.inputs.secret(
    tl.getEndpointAuthorizationParameter('SYSTEMVSSCONNECTION', 'AccessToken', true) ??
      context.variable('System.AccessToken'),
  );
  if (accessToken.isEmpty) {
    throw new ReleaseAgentError(
      'INPUT_INVALID',
      'no job access token: the task needs System.AccessToken (SystemVssConnection); check that the job is allowed to use it',
      { input: 'System.AccessToken' },
    );
  }
  return accessToken;
}

export function azureDevOpsFromAgent(context: TaskContext): AzureDevOpsContext {
  const accessToken = jobAccessToken(context);
  const organizationUrl = (context.variable('System.TeamFoundationCollectionUri') ?? '').replace(/\/+$/, '');
  const project = context.variable('System.TeamProject') ?? '';
  if (!organizationUrl || !project) {
    throw new ReleaseAgentError(
      'INPUT_INVALID',
      'System.TeamFoundationCollectionUri and System.TeamProject must be set by the agent',
      {
        input: 'System.TeamFoundationCollectionUri',
      },
    );
  }
  const buildId = context.variable('Build.BuildId');
  return {
    azdo: createAzureDevOpsOnFirstCall({
      organizationUrl,
      project,
      auth: { kind: 'bearer', token: accessToken },
    }),
    organizationUrl,
    project,
    repositoryName: context.variable('Build.Repository.Name'),
    runUrl: buildId
      ? `${organizationUrl}/${encodeURIComponent(project)}/_build/results?buildId=${buildId}`
      : undefined,
  };
}

/** Jira from a `releaseagent-jira` connection (site URL, email, API token). */
export function jiraFromConnection(context: TaskContext, required: boolean): Jira | undefined {
  return jiraContextFromConnection(context, required)?.jira;
}

/** Jira plus its site URL (for ticket links in cards and summaries). */
export function jiraContextFromConnection(
  context: TaskContext,
  required: boolean,
): { jira: Jira; baseUrl: string } | undefined {
  const connection = serviceConnection(context.inputs, CONNECTION_INPUTS.jira, required);
  if (!connection) return undefined;
  const email = connection.parameter('username')?.trim() ?? '';
  const apiToken = context.inputs.secret(connection.parameter('password'));
  if (!email || apiToken.isEmpty)
    throw incomplete(connection, CONNECTION_INPUTS.jira, 'an account email and an API token');
  // The Basic header jira.js sends is derived from both: masked too, should anything print it.
  context.inputs.secret(Buffer.from(`${email}:${apiToken.reveal()}`).toString('base64'));
  return {
    jira: createJiraClientOnFirstCall({ baseUrl: connection.url, email, apiToken }),
    baseUrl: connection.url.replace(/\/+$/, ''),
  };
}

export interface SlackContext {
  slack: Slack;
  channel: string | undefined;
}

/** Slack from a `releaseagent-slack` connection: a bot token (xoxb-…) or an incoming webhook URL. */
export function slackFromConnection(context: TaskContext, required: boolean): SlackContext | undefined {
  const connection = serviceConnection(context.inputs, CONNECTION_INPUTS.slack, required);
  if (!connection) return undefined;
  const credential = context.inputs.secret(connection.parameter('apitoken'));
  if (credential.isEmpty)
    throw incomplete(connection, CONNECTION_INPUTS.slack, 'a bot token or an incoming webhook URL');
  const channel = connection.data('channel')?.trim() || undefined;
  if (/^https?:\/\//i.test(credential.reveal())) {
    return { slack: createWebhookSlack({ webhookUrl: credential }), channel };
  }
  return {
    slack: createWebApiSlackOnFirstCall({
      token: credential,
      apiUrl: connection.url,
      ...(channel ? { defaultChannel: channel } : {}),
    }),
    channel,
  };
}

/**
 * The function app, from a `releaseagent-state` connection (its URL only). The job's own token is the
 * credential: the app reads this build from Azure DevOps and decides what the job may ask. A connection
 * that still holds a storage connection string is refused: any job that can use it could write the
 * app's state, decisions included.
 */
export function functionAppFromConnection(context: TaskContext): FunctionApp {
  const connection = serviceConnection(context.inputs, CONNECTION_INPUTS.state, true) as ServiceConnection;
  const stored = connection.parameter('apitoken') ?? '';
  if (/AccountKey=|SharedAccessSignature=|AccountName=/i.test(stored)) {
    context.inputs.secret(stored);
    // The key inside is what must never print, should anything quote it alone.
    const key = /(?:AccountKey|SharedAccessSignature)=([^;]+)/i.exec(stored)?.[1];
    if (key) context.inputs.secret(key);
    throw new ReleaseAgentError(
      'INPUT_INVALID',
      `service connection "${connection.id}" of input "${CONNECTION_INPUTS.state}" holds a storage connection string: the tasks reach the state through the function app with the job's own token. Recreate the connection with the function app's URL only, and rotate the storage key`,
      { input: CONNECTION_INPUTS.state },
    );
  }
  if (!/^https?:\/\/[^\s]+$/i.test(connection.url)) {
    throw new ReleaseAgentError(
      'INPUT_INVALID',
      `service connection "${connection.id}" of input "${CONNECTION_INPUTS.state}" needs the function app's URL`,
      {
        input: CONNECTION_INPUTS.state,
      },
    );
  }
  const buildId = Number(context.variable('Build.BuildId'));
  if (!Number.isSafeInteger(buildId) || buildId <= 0) {
    throw new ReleaseAgentError(
      'INPUT_INVALID',
      'Build.BuildId must be set by the agent: the function app verifies the job by its build',
      {
        input: 'Build.BuildId',
      },
    );
  }
  return new HttpFunctionApp({ url: connection.url, jobToken: jobAccessToken(context), buildId });
}

/** One job step: the app's answer, its flow's log lines repeated in this step's log. */
export async function askFunctionApp<S extends JobStep>(
  context: TaskContext,
  app: FunctionApp,
  step: S,
  body: JobSteps[S]['request'],
): Promise<JobAnswer<S>['result']> {
  const answer = await app.step(step, body);
  for (const line of answer.log) (line.level === 'warning' ? context.warn : context.log)(line.text);
  return answer.result;
}

/**
 * The Claude Code CLI found on the agent's PATH (`claude`; never a task input: a PR's pipeline must
 * not choose what runs). Its own credential comes from the `claudeCredential` input (a secret
 * variable); the runner builds the rest of its environment from a fixed allow-list.
 */
export function claudeFromInputs(context: TaskContext): ClaudeRunner {
  let given = context.inputs.optional('claudeCredential');
  // An undefined variable's macro stays literal: `$(CLAUDE_CREDENTIAL)` is not a key.
  if (/^\$\([^)]*\)$/.test(given)) {
    context.warn(
      `input "claudeCredential" is ${given}, a variable that is not defined: no Claude credential is passed (the CLI's own login is used)`,
    );
    given = '';
  }
  const credential = context.inputs.secret(given);
  const env: Record<string, string | undefined> = { ...process.env };
  delete env.ANTHROPIC_API_KEY;
  delete env.CLAUDE_CODE_OAUTH_TOKEN;
  if (!credential.isEmpty) {
    // A subscription token from `claude setup-token` starts with sk-ant-oat; anything else is an API key.
    if (credential.reveal().startsWith('sk-ant-oat')) env.CLAUDE_CODE_OAUTH_TOKEN = credential.reveal();
    else env.ANTHROPIC_API_KEY = credential.reveal();
  }
  return claudeRunnerFromEnv(env);
}

function incomplete(connection: ServiceConnection, input: string, what: string): ReleaseAgentError {
  return new ReleaseAgentError(
    'INPUT_INVALID',
    `service connection "${connection.id}" of input "${input}" lacks ${what}`,
    { input },
  );
}
