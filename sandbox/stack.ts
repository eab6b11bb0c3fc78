// The sandbox stack: Azurite and the simulators of Azure DevOps, Jira and Slack on free loopback
// ports, with fresh random credentials, plus the environment the function app reads and the service
// connections the tasks read. Tests, `npm start` and the benchmarks all start it the same way.
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Store } from '../adapters/store/store.ts';
import { createTableStore } from '../adapters/store/table-store.ts';
import type { EndpointSpec } from './agent/task-runner.ts';
import { type RunningAzurite, startAzurite } from './azurite.ts';
import { CLAUDE_STAND_IN_PATH } from './claude/index.ts';
import { type AzureDevOpsSimulator, startAzureDevOpsSimulator } from './sim/azdo/simulator.ts';
import { type JiraSimulator, startJiraSimulator } from './sim/jira/jira-simulator.ts';
import { LATENCY_PROFILES, type LatencyProfileName, latencySampler } from './sim/latency.ts';
import { appTokenClaims, signAppToken } from '../core/app-token.ts';
import { EXTENSION_ID } from '../core/config.ts';
import {
  DEFAULT_SIM_USERS,
  type RunningSlackSimulator,
  SIM_BOT,
  SIM_TEAM,
  startSlackSimulator,
} from './sim/slack/slack-simulator.ts';
import { processWideList } from './process-registry.ts';

export interface StackSecrets {
  azdoPat: string;
  accessToken: string;
  jiraApiToken: string;
  slackBotToken: string;
  slackSigningSecret: string;
  webhookSecret: string;
  operatorToken: string;
  extensionCertificate: string;
  decisionSigningKey: string;
}

/** The hub user of the sandbox (the `nameid` of its app tokens). */
export const SANDBOX_HUB_USER = 'sandbox-user';

/**
 * Who may decide in the sandbox: its three Slack people, its hub user and the operator token, at
 * every gate (closed by default elsewhere: GATE_ALLOWED_USERS empty means no one).
 */
export const SANDBOX_ALLOWED_USERS = `*=${DEFAULT_SIM_USERS.map((user) => user.id).join('|')}|${SANDBOX_HUB_USER}|operator`;

export interface StackOptions {
  /** Reuse a running Azurite (tests share the global fixture's); otherwise one is started. */
  storageConnectionString?: string;
  /** Table name prefix, so several stacks can share one account. */
  tablePrefix?: string;
  organization?: string;
  project?: string;
  jiraProject?: string;
  slackChannel?: string;
  /** Where the Slack simulator sends button presses (the function app's route); can be set later. */
  interactionsUrl?: string;
  /** How long a simulated pipeline run takes unless scripted. */
  pipelineRunDurationMs?: number;
  /** Pipelines that exist in the Azure DevOps simulator (`agent`: runs executed by the sandbox's agent). */
  pipelines?: { id: number; name: string; agent?: boolean }[];
  /** Use these credentials instead of fresh ones (outside tools that already hold them). */
  secrets?: Partial<StackSecrets>;
  /** How fast the simulators answer: `none` (default) at once, `real` as the real services do. */
  latency?: LatencyProfileName;
  /** Seed of the latency samples (a run can be repeated). */
  latencySeed?: number;
}

export interface Stack {
  secrets: StackSecrets;
  storageConnectionString: string;
  tablePrefix: string;
  store: Store;
  azdo: AzureDevOpsSimulator;
  jira: JiraSimulator;
  slack: RunningSlackSimulator;
  slackChannel: string;
  /** The `claude` stand-in executable. */
  claudePath: string;
  /** The organisation id the hub's app tokens carry (`tid`, AZDO_ORGANIZATION_ID). */
  organizationId: string;
  /** An app token as Azure DevOps signs it for the hub (default user SANDBOX_HUB_USER). */
  hubToken(userId?: string): string;
  /** Environment of the function app (the settings in core/config.ts). */
  functionEnv(extra?: Record<string, string>): Record<string, string>;
  /** Service connections of the tasks, by the ids the task inputs name (`state`: the function app's URL). */
  endpoints: Record<'jira' | 'slack' | 'state', EndpointSpec>;
  /** Points the `state` connection at the function app once its host runs. */
  setFunctionAppUrl(url: string): void;
  /** Pipeline variables the agent sets for a run in this project. */
  agentVariables(extra?: Record<string, string>): Record<string, string>;
  stop(): Promise<void>;
}

const issued = processWideList<string>('issued-secrets');

/** Every secret any stack of this process issued: the test run scans all its output for them. */
export function issuedSecrets(): readonly string[] {
  return issued;
}

const token = (prefix: string, given?: string, bytes = 18) => {
  const value = given || `${prefix}${randomBytes(bytes).toString('base64url')}`;
  issued.push(value);
  return value;
};

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const given = options.secrets ?? {};
  const secrets: StackSecrets = {
    azdoPat: token('pat-', given.azdoPat),
    accessToken: token('oauth-', given.accessToken),
    jiraApiToken: token('jira-', given.jiraApiToken),
    slackBotToken: token('xoxb-', given.slackBotToken),
    slackSigningSecret: token('sign-', given.slackSigningSecret),
    webhookSecret: token('hook-', given.webhookSecret),
    operatorToken: token('op-', given.operatorToken),
    extensionCertificate: token('cert-', given.extensionCertificate),
    decisionSigningKey: token('dsk-', given.decisionSigningKey, 36),
  };
  const organizationId = randomUUID();
  const started: { stop(): Promise<void> }[] = [];
  const stopAll = async () => {
    for (const part of started.reverse()) await part.stop().catch(() => undefined);
  };
  try {
    let azurite: RunningAzurite | undefined;
    let storageConnectionString = options.storageConnectionString;
    if (!storageConnectionString) {
      azurite = await startAzurite();
      started.push(azurite);
      storageConnectionString = azurite.connectionString;
    }
    const tablePrefix = options.tablePrefix ?? `Sbx${randomBytes(4).toString('hex')}`;
    const slackChannel = options.slackChannel ?? 'C0SANDBOX';
    const azdo = await startAzureDevOpsSimulator({
      organization: options.organization ?? 'acme',
      project: options.project ?? 'Payments',
      pats: [{ token: secrets.azdoPat }],
      bearerTokens: [{ token: secrets.accessToken }],
      pipelineRunDurationMs: options.pipelineRunDurationMs ?? 300,
      pipelines: options.pipelines ?? [],
    });
    started.push(azdo);
    const jira = await startJiraSimulator({
      apiToken: secrets.jiraApiToken,
      projects: [options.jiraProject ?? 'ALLPOST'],
    });
    started.push(jira);
    const slack = await startSlackSimulator({
      botToken: secrets.slackBotToken,
      signingSecret: secrets.slackSigningSecret,
      channels: [{ id: slackChannel, name: 'releases' }],
      ...(options.interactionsUrl ? { interactionsUrl: options.interactionsUrl } : {}),
    });
    started.push(slack);
    const profile = LATENCY_PROFILES[options.latency ?? 'none'];
    const seed = options.latencySeed ?? 1;
    azdo.server.latency = latencySampler(profile, 'azure-devops', seed);
    jira.server.latency = latencySampler(profile, 'jira', seed + 1);
    slack.server.latency = latencySampler(profile, 'slack', seed + 2);
    const store = createTableStore({ connectionString: storageConnectionString, tablePrefix });
    const connectionString = storageConnectionString;
    // The tasks' state connection names the function app only: no storage key leaves the app.
    const endpoints: Stack['endpoints'] = {
      jira: {
        url: jira.url,
        scheme: 'UsernamePassword',
        parameters: { username: jira.email, password: secrets.jiraApiToken },
      },
      slack: {
        url: slack.apiUrl,
        scheme: 'Token',
        parameters: { apitoken: secrets.slackBotToken },
        data: { channel: slackChannel },
      },
      state: { url: 'http://127.0.0.1:9/function-app-not-started', scheme: 'None', parameters: {} },
    };

    return {
      secrets,
      storageConnectionString: connectionString,
      tablePrefix,
      store,
      azdo,
      jira,
      slack,
      slackChannel,
      claudePath: CLAUDE_STAND_IN_PATH,
      organizationId,
      hubToken: (userId = SANDBOX_HUB_USER) =>
        signAppToken(
          appTokenClaims({
            userId,
            audience: `release-agent.${EXTENSION_ID}`,
            organizationId,
            nowSeconds: Math.floor(Date.now() / 1000),
          }),
          secrets.extensionCertificate,
        ),
      functionEnv: (extra = {}) => ({
        AZDO_ORGANIZATION: azdo.organization,
        AZDO_PROJECT: azdo.project.name,
        AZDO_BASE_URL: azdo.organizationUrl,
        AZDO_PAT: secrets.azdoPat,
        JIRA_BASE_URL: jira.url,
        // The simulator's project: the product itself assumes no team's site or project.
        DEFAULT_JIRA_PROJECT: 'ALLPOST',
        JIRA_EMAIL: jira.email,
        JIRA_API_TOKEN: secrets.jiraApiToken,
        SLACK_API_URL: slack.apiUrl,
        SLACK_BOT_TOKEN: secrets.slackBotToken,
        SLACK_SIGNING_SECRET: secrets.slackSigningSecret,
        SLACK_CHANNEL_ID: slackChannel,
        SLACK_TEAM_ID: SIM_TEAM.id,
        SLACK_APP_ID: SIM_BOT.appId,
        WEBHOOK_SECRET: secrets.webhookSecret,
        OPERATOR_TOKEN: secrets.operatorToken,
        DECISION_SIGNING_KEY: secrets.decisionSigningKey,
        GATE_ALLOWED_USERS: SANDBOX_ALLOWED_USERS,
        EXTENSION_CERTIFICATE: secrets.extensionCertificate,
        EXTENSION_PUBLISHER: 'release-agent',
        AZDO_ORGANIZATION_ID: organizationId,
        STORAGE_CONNECTION_STRING: connectionString,
        STORAGE_TABLE_PREFIX: tablePrefix,
        ...extra,
      }),
      endpoints,
      setFunctionAppUrl: (url) => {
        endpoints.state = { ...endpoints.state, url };
      },
      agentVariables: (extra = {}) => ({
        'System.TeamFoundationCollectionUri': `${azdo.organizationUrl}/`,
        'System.TeamProject': azdo.project.name,
        'System.TeamProjectId': azdo.project.id,
        'Build.BuildId': '1',
        ...extra,
      }),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Folder of the task bundles built by `npm run build`. */
export const DIST_TASKS = join(import.meta.dirname, '..', 'dist', 'tasks');
