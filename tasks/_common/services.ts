// Builds the adapters a task needs from the agent's contract: Azure DevOps through the job's own
// OAuth token (SystemVssConnection, i.e. System.AccessToken), the rest from the extension's service
// connections. Every credential read is registered as a secret before anything can print it. The
// Jira, Slack Web API, Table Storage and Claude CLI clients load on their first call (the bundles are
// split), so a task starts without compiling the libraries it may never use.
import * as tl from 'azure-pipelines-task-lib/task.js';
import { isReleaseAgentError, ReleaseAgentError } from '../../core/errors.ts';
import type { AzureDevOps } from '../../adapters/azdo/azdo.ts';
import { RestAzureDevOps } from '../../adapters/azdo/rest-azdo.ts';
import { claudeRunnerFromEnv } from '../../adapters/claude/cli-claude.ts';
import type { ClaudeRunner } from '../../adapters/claude/claude.ts';
import type { Jira } from '../../adapters/jira/jira.ts';
import { createJiraClientOnFirstCall } from '../../adapters/jira/jira-on-first-call.ts';
import type { Slack } from '../../adapters/slack/slack.ts';
import { createWebApiSlackOnFirstCall } from '../../adapters/slack/web-api-slack-on-first-call.ts';
import { createWebhookSlack } from '../../adapters/slack/webhook-slack.ts';
import type { Store } from '../../adapters/store/store.ts';
import { createTableStore } from '../../adapters/store/table-store.ts';
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
export function azureDevOpsFromAgent(context: TaskContext): AzureDevOpsContext {
  const accessToken = context.inputs.secret(
    tl.getEndpointAuthorizationParameter('SYSTEMVSSCONNECTION', 'AccessToken', true) ?? context.variable('System.AccessToken'),
  );
  if (accessToken.isEmpty) {
    throw new ReleaseAgentError(
      'INPUT_INVALID',
      'no job access token: the task needs System.AccessToken (SystemVssConnection); check that the job is allowed to use it',
      { input: 'System.AccessToken' },
    );
  }
  const organizationUrl = (context.variable('System.TeamFoundationCollectionUri') ?? '').replace(/\/+$/, '');
  const project = context.variable('System.TeamProject') ?? '';
  if (!organizationUrl || !project) {
    throw new ReleaseAgentError('INPUT_INVALID', 'System.TeamFoundationCollectionUri and System.TeamProject must be set by the agent', {
      input: 'System.TeamFoundationCollectionUri',
    });
  }
  const buildId = context.variable('Build.BuildId');
  return {
    azdo: new RestAzureDevOps({ organizationUrl, project, auth: { kind: 'bearer', token: accessToken } }),
    organizationUrl,
    project,
    repositoryName: context.variable('Build.Repository.Name'),
    runUrl: buildId ? `${organizationUrl}/${encodeURIComponent(project)}/_build/results?buildId=${buildId}` : undefined,
  };
}

/** Jira from a `releaseagent-jira` connection (site URL, email, API token). */
export function jiraFromConnection(context: TaskContext, required: boolean): Jira | undefined {
  return jiraContextFromConnection(context, required)?.jira;
}

/** Jira plus its site URL (for ticket links in cards and summaries). */
export function jiraContextFromConnection(context: TaskContext, required: boolean): { jira: Jira; baseUrl: string } | undefined {
  const connection = serviceConnection(context.inputs, CONNECTION_INPUTS.jira, required);
  if (!connection) return undefined;
  const email = connection.parameter('username')?.trim() ?? '';
  const apiToken = context.inputs.secret(connection.parameter('password'));
  if (!email || apiToken.isEmpty) throw incomplete(connection, CONNECTION_INPUTS.jira, 'an account email and an API token');
  // The Basic header jira.js sends is derived from both: masked too, should anything print it.
  context.inputs.secret(Buffer.from(`${email}:${apiToken.reveal()}`).toString('base64'));
  return { jira: createJiraClientOnFirstCall({ baseUrl: connection.url, email, apiToken }), baseUrl: connection.url.replace(/\/+$/, '') };
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
  if (credential.isEmpty) throw incomplete(connection, CONNECTION_INPUTS.slack, 'a bot token or an incoming webhook URL');
  const channel = connection.data('channel')?.trim() || undefined;
  if (/^https?:\/\//i.test(credential.reveal())) {
    return { slack: createWebhookSlack({ webhookUrl: credential }), channel };
  }
  return {
    slack: createWebApiSlackOnFirstCall({ token: credential, apiUrl: connection.url, ...(channel ? { defaultChannel: channel } : {}) }),
    channel,
  };
}

/** The agent's state (Table Storage) from a `releaseagent-state` connection. */
export function storeFromConnection(context: TaskContext): { store: Store; functionAppUrl: string } {
  const connection = serviceConnection(context.inputs, CONNECTION_INPUTS.state, true) as ServiceConnection;
  const connectionString = context.inputs.secret(connection.parameter('apitoken'));
  if (connectionString.isEmpty) throw incomplete(connection, CONNECTION_INPUTS.state, 'a storage connection string');
  // The account key inside the connection string is what must never print.
  const accountKey = /AccountKey=([^;]+)/i.exec(connectionString.reveal())?.[1];
  if (accountKey) context.inputs.secret(accountKey);
  const tablePrefix = connection.data('tablePrefix')?.trim();
  try {
    return {
      store: createTableStore({ connectionString: connectionString.reveal(), ...(tablePrefix ? { tablePrefix } : {}) }),
      functionAppUrl: connection.url,
    };
  } catch (error) {
    // A connection string or table prefix the store refuses: say which connection holds it.
    if (!isReleaseAgentError(error) || error.code !== 'CONFIG_INVALID') throw error;
    throw new ReleaseAgentError('INPUT_INVALID', `service connection "${connection.id}" of input "${CONNECTION_INPUTS.state}": ${error.message}`, {
      input: CONNECTION_INPUTS.state,
    });
  }
}

/**
 * The Claude Code CLI found on the agent's PATH (`claude`; never a task input: a PR's pipeline must
 * not choose what runs). Its own credential comes from the `claudeCredential` input (a secret
 * variable); the runner builds the rest of its environment from a fixed allow-list.
 */
export function claudeFromInputs(context: TaskContext): ClaudeRunner {
  const credential = context.inputs.secret(context.inputs.optional('claudeCredential'));
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
  return new ReleaseAgentError('INPUT_INVALID', `service connection "${connection.id}" of input "${input}" lacks ${what}`, { input });
}

