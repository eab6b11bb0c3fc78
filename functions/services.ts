// The function app's wiring: configuration (validated once), the adapters and the store, built lazily
// once per process and shared by every invocation. Tests and the local host configure the environment,
// the clock and hooks, and reset between stacks.
import { QueueServiceClient } from '@azure/storage-queue';
import type { AzureDevOps } from '../adapters/azdo/azdo.ts';
import { RestAzureDevOps } from '../adapters/azdo/rest-azdo.ts';
import { createJiraClient } from '../adapters/jira/jira-client.ts';
import { createSlack } from '../adapters/slack/create-slack.ts';
import type { Store } from '../adapters/store/store.ts';
import { createTableStore } from '../adapters/store/table-store.ts';
import { systemClock } from '../adapters/system-clock.ts';
import { azdoOrganizationUrl, type Config, type Env, loadConfig } from '../core/config.ts';
import { ReleaseAgentError } from '../core/errors.ts';
import {
  type AgentDeps,
  type AgentHooks,
  type Logger,
  settingsFromConfig,
  type WorkQueue,
  silentLogger,
} from '../flows/agent-deps.ts';

export interface Services {
  config: Config;
  /** Ports for the flows; `log` is the process logger (handlers swap in the invocation's). */
  deps: AgentDeps;
  queues: WorkQueues;
}

export interface WorkQueues {
  name: string;
  poisonName: string;
  /** Approximate message counts (0 for a queue that does not exist yet). */
  depth(): Promise<{ queued: number; poison: number }>;
  /** The first few poison messages, as JSON (or text). */
  peekPoison(count: number): Promise<unknown[]>;
}

export interface ServiceOverrides {
  /** Instead of process.env. */
  env?: Env;
  now?: () => Date;
  log?: Logger;
  hooks?: AgentHooks;
  /** Instead of the Table Storage account (the hub's tests run the real routes over the memory store). */
  store?: Store;
}

let overrides: ServiceOverrides = {};
let built: Services | undefined;

/** For the local host and tests: the next services() call builds from these. */
export function configureServices(next: ServiceOverrides): void {
  overrides = next;
  built = undefined;
}

export function resetServices(): void {
  configureServices({});
}

export function serviceEnv(): Env {
  return overrides.env ?? process.env;
}

/** The configuration alone (GET /api/status reads it even when the rest cannot be built). */
export function currentConfig(): Config {
  return built?.config ?? loadConfig(serviceEnv());
}

/** CONFIG_INVALID naming the bad variables, or NOT_CONFIGURED when there is no storage account. */
export function services(): Services {
  if (built) return built;
  const config = loadConfig(serviceEnv());
  if (config.STORAGE_CONNECTION_STRING.isEmpty) {
    throw new ReleaseAgentError(
      'NOT_CONFIGURED',
      'STORAGE_CONNECTION_STRING (or AzureWebJobsStorage) is not set',
      {
        variables: ['STORAGE_CONNECTION_STRING'],
      },
    );
  }
  const connectionString = config.STORAGE_CONNECTION_STRING.reveal();
  const azdoReady =
    (config.AZDO_ORGANIZATION || config.AZDO_BASE_URL) && config.AZDO_PROJECT && !config.AZDO_PAT.isEmpty;
  const azdo = (timeoutMs: number, maxAttempts: number): AzureDevOps =>
    new RestAzureDevOps({
      organizationUrl: azdoOrganizationUrl(config),
      project: config.AZDO_PROJECT,
      auth: { kind: 'pat', token: config.AZDO_PAT },
      timeoutMs,
      retry: { maxAttempts, maxTotalMs: 20_000 },
    });
  const slackReady = !config.SLACK_BOT_TOKEN.isEmpty || !config.SLACK_WEBHOOK_URL.isEmpty;
  const jiraReady = config.JIRA_BASE_URL && config.JIRA_EMAIL && !config.JIRA_API_TOKEN.isEmpty;
  // The queue lives where the Functions host's binding looks: AzureWebJobsStorage when it is set.
  const queueConnection = serviceEnv().AzureWebJobsStorage?.trim() || connectionString;
  built = {
    config,
    deps: {
      store:
        overrides.store ?? createTableStore({ connectionString, tablePrefix: config.STORAGE_TABLE_PREFIX }),
      workQueue: delayedSender(queueConnection, config.WORK_QUEUE_NAME),
      azdo: azdoReady ? azdo(10_000, 3) : undefined,
      slack: slackReady
        ? createSlack(config, { timeoutMs: 5_000, retry: { maxAttempts: 3, maxTotalMs: 10_000 } })
        : undefined,
      channel: config.SLACK_CHANNEL_ID || undefined,
      jira: jiraReady
        ? createJiraClient({
            baseUrl: config.JIRA_BASE_URL,
            email: config.JIRA_EMAIL,
            apiToken: config.JIRA_API_TOKEN,
            timeoutMs: 10_000,
            retry: { maxAttempts: 3, maxTotalMs: 15_000 },
          })
        : undefined,
      now: overrides.now ?? systemClock.now,
      log: overrides.log ?? silentLogger,
      settings: settingsFromConfig(config),
      hooks: overrides.hooks ?? {},
    },
    queues: workQueues(queueConnection, config.WORK_QUEUE_NAME),
  };
  return built;
}

/**
 * Sends a work message that becomes visible after a delay (the output binding cannot delay): base64
 * JSON, as the binding writes it.
 */
function delayedSender(connectionString: string, name: string): WorkQueue {
  const queue = QueueServiceClient.fromConnectionString(connectionString).getQueueClient(name);
  return {
    async send(message, { delaySeconds }) {
      const text = Buffer.from(JSON.stringify(message), 'utf8').toString('base64');
      await queue.sendMessage(text, { visibilityTimeout: Math.max(0, Math.round(delaySeconds)) });
    },
  };
}

function workQueues(connectionString: string, name: string): WorkQueues {
  const client = QueueServiceClient.fromConnectionString(connectionString);
  const poisonName = `${name}-poison`;
  const count = async (queue: string) => {
    try {
      return (await client.getQueueClient(queue).getProperties()).approximateMessagesCount ?? 0;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return 0;
      throw error;
    }
  };
  return {
    name,
    poisonName,
    async depth() {
      const [queued, poison] = await Promise.all([count(name), count(poisonName)]);
      return { queued, poison };
    },
    async peekPoison(max) {
      try {
        const peeked = await client
          .getQueueClient(poisonName)
          .peekMessages({ numberOfMessages: Math.min(32, Math.max(1, max)) });
        return peeked.peekedMessageItems.map((item) => decodeQueueText(item.messageText));
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode === 404) return [];
        throw error;
      }
    },
  };
}

/** A queue message as the Functions host hands it over: base64 text decoded, JSON parsed when it is JSON. */
export function decodeQueueText(text: string): unknown {
  const bytes = Buffer.from(text, 'base64');
  const decoded = bytes.length > 0 && bytes.toString('base64') === text ? bytes.toString('utf8') : text;
  try {
    return JSON.parse(decoded);
  } catch {
    return decoded;
  }
}
