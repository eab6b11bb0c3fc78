// Shared arrangements of the reliability suite: sandbox stacks with the pipelines the flows use, the
// real adapters with small retry and timeout bounds, the function app's ports over an in-memory store,
// the queue's redelivery loop in process, store snapshots, and a bounded pool for parallel cases.
import { randomBytes } from 'node:crypto';
import { RestAzureDevOps } from '../../adapters/azdo/rest-azdo.ts';
import { createCliClaudeRunner } from '../../adapters/claude/cli-claude.ts';
import type { ClaudeRunner } from '../../adapters/claude/claude.ts';
import type { RetryPolicy } from '../../adapters/http/retry.ts';
import type { Jira } from '../../adapters/jira/jira.ts';
import { createJiraClient } from '../../adapters/jira/jira-client.ts';
import type { Slack } from '../../adapters/slack/slack.ts';
import { createWebApiSlack } from '../../adapters/slack/web-api-slack.ts';
import { COLLECTIONS } from '../../adapters/store/entity-store.ts';
import type { EntityProps } from '../../adapters/store/entity-table.ts';
import { createMemoryStore, MemoryTables } from '../../adapters/store/memory-store.ts';
import type { Store } from '../../adapters/store/store.ts';
import { loadConfig } from '../../core/config.ts';
import { errorMessage } from '../../core/errors.ts';
import { Secret } from '../../core/secret.ts';
import { type AgentDeps, type Logger, settingsFromConfig } from '../../flows/agent-deps.ts';
import type { EffectAttempt } from '../../flows/decision-effects.ts';
import type { ReleaseFlowDeps } from '../../flows/release-common.ts';
import { scriptedClaude } from '../../sandbox/claude/index.ts';
import { type Stack, startStack } from '../../sandbox/stack.ts';

export const PIPELINES = {
  pr: { id: 11, name: 'pr-validation' },
  release: { id: 21, name: 'payment-release' },
  ci: { id: 31, name: 'payment-ci' },
  cd: { id: 32, name: 'payment-cd' },
} as const;

/** A sandbox stack on the run's Azurite, with the pipelines the flows queue and quick simulated runs. */
export async function startReliabilityStack(pipelineRunDurationMs = 60): Promise<Stack> {
  return await startStack({
    storageConnectionString: process.env.AZURE_STORAGE_CONNECTION_STRING_TEST!,
    pipelines: Object.values(PIPELINES).map((pipeline) => ({ ...pipeline })),
    pipelineRunDurationMs,
  });
}

/** Per attempt: a fault of kind `timeout` delays the answer past it. */
export const ADAPTER_TIMEOUT_MS = 800;
/** Bounds of every adapter in the suite: a few quick attempts, one Retry-After of 1 s fits. */
export const ADAPTER_RETRY: Partial<RetryPolicy> = {
  maxAttempts: 3,
  baseDelayMs: 10,
  maxDelayMs: 40,
  maxTotalMs: 1_500,
};

export interface Adapters {
  azdo: RestAzureDevOps;
  jira: Jira;
  slack: Slack;
  claude: ClaudeRunner;
}

/** The real adapters against the stack's simulators (fresh ones: a Retry-After pause is per adapter). */
export function adaptersFor(stack: Stack): Adapters {
  const azdo = (maxAttempts?: number) =>
    new RestAzureDevOps({
      organizationUrl: stack.azdo.organizationUrl,
      project: stack.azdo.project.name,
      auth: { kind: 'pat', token: new Secret(stack.secrets.azdoPat) },
      timeoutMs: ADAPTER_TIMEOUT_MS,
      retry: maxAttempts ? { ...ADAPTER_RETRY, maxAttempts } : ADAPTER_RETRY,
    });
  return {
    azdo: azdo(),
    jira: createJiraClient({
      baseUrl: stack.jira.url,
      email: stack.jira.email,
      apiToken: new Secret(stack.secrets.jiraApiToken),
      timeoutMs: ADAPTER_TIMEOUT_MS,
      retry: ADAPTER_RETRY,
    }),
    slack: createWebApiSlack({
      token: new Secret(stack.secrets.slackBotToken),
      apiUrl: stack.slack.apiUrl,
      defaultChannel: stack.slackChannel,
      timeoutMs: ADAPTER_TIMEOUT_MS,
      retry: ADAPTER_RETRY,
    }),
    claude: createCliClaudeRunner({ command: scriptedClaude().command }),
  };
}

/** A logger that keeps `level message {fields}` lines. */
export function keptLogger(lines: string[]): Logger {
  const line = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push(`${level} ${message}${fields ? ` ${JSON.stringify(fields)}` : ''}`);
  };
  return { info: line('info'), warn: line('warn'), error: line('error') };
}

export interface Ports extends Adapters {
  tables: MemoryTables;
  store: Store;
  /** The function app's ports, as functions/services.ts builds them. */
  deps: AgentDeps;
  /** The release tasks' ports. */
  release: ReleaseFlowDeps;
  logs: string[];
  warnings: string[];
  /** Moves the clock of `deps.now` (e.g. past the poller's grace for missing cards). */
  advance(ms: number): void;
}

/** Adapters, an in-memory store and the flows' ports; `env` adds function-app settings. */
export function portsFor(stack: Stack, env: Record<string, string> = {}): Ports {
  const adapters = adaptersFor(stack);
  const tables = new MemoryTables();
  const store = createMemoryStore({ tables });
  const logs: string[] = [];
  const warnings: string[] = [];
  let offset = 0;
  const now = () => new Date(Date.now() + offset);
  const config = loadConfig(stack.functionEnv(env));
  return {
    ...adapters,
    tables,
    store,
    logs,
    warnings,
    advance: (ms) => {
      offset += ms;
    },
    deps: {
      store,
      azdo: adapters.azdo,
      slack: adapters.slack,
      channel: stack.slackChannel,
      jira: adapters.jira,
      now,
      log: keptLogger(logs),
      settings: settingsFromConfig(config),
      hooks: {},
    },
    release: {
      store,
      slack: { slack: adapters.slack, channel: stack.slackChannel },
      jiraBaseUrl: stack.jira.url,
      now,
      log: {
        info: (line) => logs.push(line),
        warn: (line) => warnings.push(line),
        error: (line) => warnings.push(line),
      },
    },
  };
}

/** Deliveries the in-process queue makes (the host's maxDequeueCount is 5; fewer keeps the suite quick). */
export const DELIVERIES = 3;

export interface Delivered {
  deliveries: number;
  /** What each failed delivery threw (the host logs it: "work message failed: it will be redelivered"). */
  errors: string[];
  /** Set when the last delivery failed too: the message goes to the poison queue. */
  poisoned?: string;
}

/**
 * The queue trigger's contract in process: a throw means "deliver again", up to `maxAttempts`
 * deliveries; a message that fails on its last one is poisoned (and shown in GET /api/status).
 */
export async function deliver(
  handle: (attempt: EffectAttempt) => Promise<void>,
  maxAttempts = DELIVERIES,
): Promise<Delivered> {
  const errors: string[] = [];
  for (let dequeueCount = 1; ; dequeueCount++) {
    try {
      await handle({ dequeueCount, maxAttempts });
      return { deliveries: dequeueCount, errors };
    } catch (error) {
      errors.push(errorMessage(error));
      if (dequeueCount >= maxAttempts)
        return { deliveries: dequeueCount, errors, poisoned: errorMessage(error) };
    }
  }
}

export type Snapshot = Record<string, Record<string, EntityProps>>;

/** Every row of every table of an in-memory store, by table and `partition|row`. */
export async function snapshotStore(tables: MemoryTables, prefix = 'ReleaseAgent'): Promise<Snapshot> {
  const snapshot: Snapshot = {};
  for (const collection of COLLECTIONS) {
    const rows: Record<string, EntityProps> = {};
    for (const row of await tables.table(prefix + collection).query({}))
      rows[`${row.partitionKey}|${row.rowKey}`] = row.props;
    snapshot[collection] = rows;
  }
  return snapshot;
}

/** Runs `work` over `items`, at most `concurrency` at a time, each worker with its own resource. */
export async function pool<T, R, W>(
  items: readonly T[],
  workers: readonly W[],
  work: (item: T, worker: W, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    workers.map(async (worker) => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index] as T, worker, index);
      }
    }),
  );
  return results;
}

/** A repository name no other case uses. */
export function uniqueRepo(prefix: string): string {
  return `${prefix}.${randomBytes(3).toString('hex')}`;
}
