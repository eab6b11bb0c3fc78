// The whole product on one machine, as `npm start` and its tests use it: the task bundles built, Azurite
// and the simulators of Azure DevOps, Jira and Slack (fresh credentials), the function app on its local
// host, the organisation wired up by the product's own setup flow (gate environments with Approval checks,
// service hooks to the app), the Slack app's interactions URL pointed at the app, two demo repositories
// with their PR, develop-CI and release pipelines, and an agent pool that runs those pipelines from the
// YAML templates as they are queued. The scripted cycle (scenario.ts) and the interactive mode drive it.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { RestAzureDevOps } from '../adapters/azdo/rest-azdo.ts';
import { systemClock } from '../adapters/system-clock.ts';
import { loadConfig } from '../core/config.ts';
import { releaseTemplateParameters } from '../core/release-environments.ts';
import { Secret } from '../core/secret.ts';
import { setupOrganisation } from '../flows/setup-organisation.ts';
import { silentLogger } from '../flows/context.ts';
import { buildTasks, stopBuildService } from '../scripts/build.ts';
import { type AgentPool, type PoolEvent, startAgentPool } from './agent/pool.ts';
import { type RunningAzurite, startAzurite } from './azurite.ts';
import { type FunctionsHost, type HostLogEntry, startAgentHost } from './functions-host.ts';
import { type HubServer, startHubServer } from './hub-server.ts';
import type { AgentServices, PipelineDefinition } from './pipeline-runner.ts';
import { processWideList } from './process-registry.ts';
import type { SimIdentity } from './sim/azdo/simulator.ts';
import type { LatencyProfileName } from './sim/latency.ts';
import { DIST_TASKS, type Stack, type StackSecrets, startStack } from './stack.ts';

export const PAYMENT = 'Billo.Platform.Payment';
export const DOCUMENT = 'Billo.Platform.Document';
export const DEMO_REPOS = [PAYMENT, DOCUMENT] as const;
export type DemoRepo = (typeof DEMO_REPOS)[number];

/** Pipeline ids in the simulated project, per repository. */
export const PIPELINE_IDS: Readonly<
  Record<DemoRepo, { pr: number; ci: number; release: number; build: number; deploy: number }>
> = {
  [PAYMENT]: { pr: 11, ci: 21, release: 31, build: 41, deploy: 42 },
  [DOCUMENT]: { pr: 12, ci: 22, release: 32, build: 43, deploy: 44 },
};

/** The service connections the pipelines name (Project settings → Service connections). */
export const CONNECTIONS = {
  state: 'release-agent-state',
  jira: 'release-agent-jira',
  slack: 'release-agent-slack',
} as const;

export interface SandboxOptions {
  /** scripted: timers fire when the script says (deterministic attribution); interactive: on their interval. */
  mode: 'scripted' | 'interactive';
  /** An Azurite to use (tests share the global fixture's); otherwise one is started and stopped. */
  storageConnectionString?: string;
  /** Built task bundles; otherwise they are built into dist/tasks first. */
  tasksDir?: string;
  /** Credentials to use instead of fresh ones. */
  secrets?: Partial<StackSecrets>;
  /** Serve the hub page (standalone build). */
  hub?: boolean;
  /** Progress lines while starting ("[sandbox] …"). */
  log?: (line: string) => void;
  /** The function host's log (default: dropped; SANDBOX_LOG=1 prints it to stderr). */
  hostLog?: (entry: HostLogEntry) => void;
  /** Interactive mode: how often the poller timer fires. */
  timerIntervalMs?: number;
  /** How long a deployment stage waits for its approval. */
  approvalTimeoutMs?: number;
  /** The simulators' latency profile (default `none`). */
  latency?: LatencyProfileName;
  /** Seeds the profile's samples (default 1): the same seed, the same delays in the same order. */
  latencySeed?: number;
}

export interface SandboxUrls {
  functionApi: string;
  slackChannelPage: string;
  slackApi: string;
  hub: string | undefined;
  azureDevOpsProject: string;
  azureDevOpsOrganization: string;
  /** The simulator's controls as a person (POST pushes, pullrequests, approvals/decisions). */
  azureDevOpsControls: string;
  jira: string;
}

export interface Sandbox {
  stack: Stack;
  host: FunctionsHost;
  pool: AgentPool;
  hub: HubServer | undefined;
  definitions: PipelineDefinition[];
  /** Setup figures: building the bundles and starting Azurite are reported apart from the cycle. */
  timings: { buildMs: number; azuriteMs: number | undefined; startMs: number };
  /** The agent's work folder (checkouts); removed on stop. */
  workRoot: string;
  urls: SandboxUrls;
  /** Slack channel id of the cards. */
  channel: string;
  /** Registers a listener for the agent pool's events (runs, steps, approvals). */
  onAgentEvent(listener: (event: PoolEvent) => void): () => void;
  /** A push by a developer: files written (their text kept for checkouts) and the commit pushed. */
  push(
    repo: DemoRepo,
    branch: string,
    message: string,
    files: Record<string, string>,
    options?: { deleted?: string[]; author?: SimIdentity },
  ): string;
  stop(): Promise<void>;
}

/** Demo content of the two repositories. */
const SEED_FILES: Record<DemoRepo, Record<string, string>> = {
  [PAYMENT]: {
    '/README.md': '# Billo.Platform.Payment\n\nCard payments, refunds and the payment portal.\n',
    '/package.json': `${JSON.stringify({ name: 'billo-platform-payment', version: '0.0.0', dependencies: { express: '4.19.2', zod: '3.23.8' } }, null, 2)}\n`,
    '/src/payments.ts':
      'export function capture(amountCents: number): number {\n  if (amountCents <= 0) throw new Error("amount must be positive");\n  return amountCents;\n}\n',
    '/src/refunds.ts':
      'export function refund(amountCents: number, capturedCents: number): number {\n  return Math.min(amountCents, capturedCents);\n}\n',
  },
  [DOCUMENT]: {
    '/README.md': '# Billo.Platform.Document\n\nInvoices and documents.\n',
    '/package.json': `${JSON.stringify({ name: 'billo-platform-document', version: '0.0.0', dependencies: { pdfkit: '0.15.0' } }, null, 2)}\n`,
    '/src/invoice.ts': 'export interface Invoice {\n  number: string;\n  totalCents: number;\n}\n',
  },
};

const issuedSecrets = processWideList<string>('issued-secrets');

export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const log = options.log ?? (() => {});
  const started = Date.now();
  const cleanup: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
  };
  try {
    let tasksDir = options.tasksDir;
    let buildMs = 0;
    if (!tasksDir) {
      const buildStarted = Date.now();
      const bundles = await buildTasks(DIST_TASKS);
      await stopBuildService();
      buildMs = Date.now() - buildStarted;
      tasksDir = DIST_TASKS;
      log(
        `[sandbox] built ${bundles.length} task bundles into dist/tasks in ${(buildMs / 1000).toFixed(1)} s`,
      );
    }

    let storage = options.storageConnectionString;
    let azuriteMs: number | undefined;
    if (!storage) {
      const azuriteStarted = Date.now();
      const azurite: RunningAzurite = await startAzurite();
      cleanup.push(() => azurite.stop());
      azuriteMs = Date.now() - azuriteStarted;
      storage = azurite.connectionString;
      log(
        `[sandbox] Azurite started (tables :${azurite.tablePort}, queues :${azurite.queuePort}) in ${(azuriteMs / 1000).toFixed(1)} s`,
      );
    }

    const pipelines = DEMO_REPOS.flatMap((repo) => {
      const ids = PIPELINE_IDS[repo];
      const short = repo.split('.').at(-1) as string;
      return [
        { id: ids.pr, name: `${repo} PR`, agent: true },
        { id: ids.ci, name: `${repo} CI`, agent: true },
        { id: ids.release, name: `${repo} release`, agent: true },
        { id: ids.build, name: `${short} build (main)` },
        { id: ids.deploy, name: `${short} deploy` },
      ];
    });
    const stack = await startStack({
      storageConnectionString: storage,
      organization: 'billo',
      project: 'Platform',
      pipelines,
      pipelineRunDurationMs: 400,
      ...(options.secrets ? { secrets: options.secrets } : {}),
      ...(options.latency ? { latency: options.latency } : {}),
      ...(options.latencySeed !== undefined ? { latencySeed: options.latencySeed } : {}),
    });
    cleanup.push(() => stack.stop());
    const { azdo, jira, slack } = stack;
    log(
      `[sandbox] simulators up: Azure DevOps ${azdo.organizationUrl}, Jira ${jira.url}, Slack ${slack.url}`,
    );

    const env = stack.functionEnv({
      // Several sandboxes may share one Azurite (tests): each has its own queue and tables.
      WORK_QUEUE_NAME: `work-${randomBytes(4).toString('hex')}`,
      WATCHED_REPOS: DEMO_REPOS.join(','),
      PR_POLL_ENABLED: 'true',
      PR_POLL_INTERVAL_SECONDS: '10',
      PR_PIPELINE_BY_REPO: DEMO_REPOS.map((repo) => `${repo}=${PIPELINE_IDS[repo].pr}`).join(';'),
      RELEASE_PIPELINE_BY_REPO: DEMO_REPOS.map((repo) => `${repo}=${PIPELINE_IDS[repo].release}`).join(';'),
    });
    const hostLog =
      options.hostLog ??
      (process.env.SANDBOX_LOG
        ? (entry: HostLogEntry) =>
            process.stderr.write(`  [host ${entry.level}] [${entry.functionName}] ${entry.message}\n`)
        : () => {});
    const host = await startAgentHost({
      env,
      queue: { pollIntervalMs: 50, retryDelaySeconds: 2, leaseSeconds: 30 },
      timers: options.mode === 'scripted' ? 'manual' : 'interval',
      ...(options.mode === 'interactive' ? { timerIntervalMs: options.timerIntervalMs ?? 5_000 } : {}),
      log: hostLog,
    });
    cleanup.push(() => host.stop());
    stack.setFunctionAppUrl(host.url);
    slack.setInteractionsUrl(`${host.apiUrl}/slack/interactions`);
    log(
      `[function-app] local host on ${host.apiUrl} (timer pr-poller ${options.mode === 'scripted' ? 'fired by the script' : `every ${(options.timerIntervalMs ?? 5_000) / 1000} s`}, queue worker on Azurite)`,
    );

    // Repositories: develop is the default branch (gitflow), main receives the releases.
    const texts = new Map<string, string>();
    const textKey = (repo: string, path: string) => `${repo.toLowerCase()}|${path}`;
    for (const repo of DEMO_REPOS) {
      azdo.seedRepository({
        name: repo,
        defaultBranch: 'develop',
        branches: ['main'],
        files: Object.keys(SEED_FILES[repo]),
      });
      for (const [path, text] of Object.entries(SEED_FILES[repo])) texts.set(textKey(repo, path), text);
    }
    jira.state.createIssue({
      project: 'ALLPOST',
      summary: 'Login page of the payment portal',
      issueType: 'Story',
      status: 'In Progress',
      number: 4028,
    });
    jira.state.createIssue({
      project: 'ALLPOST',
      summary: 'PDF export of invoices',
      issueType: 'Story',
      status: 'In Progress',
      number: 4030,
    });
    log(
      `[azure-devops] seeded ${DEMO_REPOS.join(' and ')} (develop, main) with PR, CI and release pipelines`,
    );
    log(
      '[jira] seeded ALLPOST-4028 "Login page of the payment portal" and ALLPOST-4030 "PDF export of invoices" (In Progress)',
    );

    // The organisation wired the way `npm run setup` wires a real one.
    const rest = new RestAzureDevOps({
      organizationUrl: azdo.organizationUrl,
      project: azdo.project.name,
      auth: { kind: 'pat', token: new Secret(stack.secrets.azdoPat) },
    });
    const config = loadConfig(env);
    const setup = await setupOrganisation(
      { azdo: rest, now: systemClock.now, log: silentLogger },
      {
        functionAppUrl: host.url,
        webhookSecret: new Secret(stack.secrets.webhookSecret),
        approverIds: [azdo.users.approver.id],
        environments: config.RELEASE_ENVIRONMENTS,
        releasePipelines: config.RELEASE_PIPELINE_BY_REPO,
      },
    );
    // A team that subscribed pull-request events for one repository only: the other relies on the poller.
    const payment = azdo.repository(PAYMENT);
    for (const subscription of azdo.hooks.subscriptions.values())
      if (subscription.eventType.startsWith('git.')) subscription.publisherInputs.repository = payment.id;
    log(
      `[azure-devops] npm run setup: ${setup.filter((step) => step.kind === 'environment').length} gate environments with Approval checks (approvers ${azdo.users.approver.displayName} and the app's own identity, ${azdo.users.agent.displayName}), ${setup.filter((step) => step.kind === 'service-hook').length} service hooks → ${host.apiUrl}/azdo/events (pull-request events for ${PAYMENT} only)`,
    );

    const claudeCredential = `sk-ant-sandbox-${randomBytes(12).toString('base64url')}`;
    issuedSecrets.push(claudeCredential);
    // The PR pipeline gets the function app's connection only: it runs the PR author's YAML.
    const connections = { stateConnection: CONNECTIONS.state, slackConnection: CONNECTIONS.slack };
    const definitions: PipelineDefinition[] = DEMO_REPOS.flatMap((repo) => {
      const ids = PIPELINE_IDS[repo];
      const short = repo.split('.').at(-1) as string;
      return [
        {
          id: ids.pr,
          name: `${repo} PR`,
          repo,
          template: 'pipelines/pr.yml',
          jobName: 'Review',
          parameters: { stateConnection: CONNECTIONS.state, claudeCredential: '$(CLAUDE_CREDENTIAL)' },
          // The variable group "release-agent" holding the Claude credential as a secret.
          variables: { CLAUDE_CREDENTIAL: { value: claudeCredential, secret: true } },
        },
        {
          id: ids.ci,
          name: `${repo} CI`,
          repo,
          template: 'pipelines/develop-ci.yml',
          jobName: 'Build',
          trigger: ['refs/heads/develop'],
          parameters: {
            ...connections,
            buildSteps: [{ script: 'npm ci && npm test', displayName: 'Build and test' }],
          },
        },
        {
          id: ids.release,
          name: `${repo} release`,
          repo,
          template: 'pipelines/release.yml',
          parameters: {
            ...connections,
            // The environments the function app's RELEASE_ENVIRONMENTS names, as a team passes them.
            ...releaseTemplateParameters(config.RELEASE_ENVIRONMENTS),
            pipelines: `${ids.build}:${short} build (main), ${ids.deploy}:${short} deploy`,
            pollIntervalSeconds: 1,
            maxWaitSeconds: 60,
            deploySteps: [
              { script: './deploy.sh "$(deployEnvironment)" "$(releaseVersion)"', displayName: 'Deploy' },
            ],
          },
        },
      ];
    });

    const workRoot = mkdtempSync(join(tmpdir(), 'release-agent-sandbox-'));
    cleanup.push(async () => rmSync(workRoot, { recursive: true, force: true }));
    log(
      `[agent] agent pool ready: ${definitions.length} pipelines from pipelines/*.yml, work folder ${workRoot}`,
    );
    const services: AgentServices = {
      azdo,
      tasksDir,
      serviceConnections: {
        [CONNECTIONS.state]: stack.endpoints.state,
        [CONNECTIONS.jira]: stack.endpoints.jira,
        [CONNECTIONS.slack]: stack.endpoints.slack,
      },
      accessToken: stack.secrets.accessToken,
      baseVariables: stack.agentVariables(),
      // The agent's tools: this node first, then the `claude` CLI (the stand-in) on PATH.
      env: { PATH: [dirname(process.execPath), dirname(stack.claudePath), process.env.PATH ?? ''].join(':') },
      workRoot,
      fileText: (repo, path) => texts.get(textKey(repo, path)),
      approvalTimeoutMs: options.approvalTimeoutMs ?? (options.mode === 'scripted' ? 30_000 : 24 * 3_600_000),
      taskTimeoutMs: 60_000,
    };
    const listeners = new Set<(event: PoolEvent) => void>();
    const pool = startAgentPool({
      services,
      definitions,
      pollMs: 40,
      onEvent: (event) => {
        for (const listener of listeners) listener(event);
      },
    });
    cleanup.push(() => pool.stop());
    // Deliveries still in flight must not hit a host that is gone.
    cleanup.push(() =>
      Promise.race([azdo.flushDeliveries(), new Promise<void>((resolve) => setTimeout(resolve, 2_000))]),
    );

    let hub: HubServer | undefined;
    if (options.hub) {
      hub = await startHubServer({
        apiUrl: host.apiUrl,
        appToken: () => stack.hubToken(),
        projectName: azdo.project.name,
        projectUrl: `${azdo.organizationUrl}/${azdo.project.name}`,
        userName: 'Sandbox User',
      });
      const running = hub;
      cleanup.push(() => running.stop());
    }

    const urls: SandboxUrls = {
      functionApi: host.apiUrl,
      slackChannelPage: `${slack.url}/channels/${stack.slackChannel}`,
      slackApi: slack.apiUrl,
      hub: hub?.url,
      azureDevOpsProject: `${azdo.organizationUrl}/${azdo.project.name}`,
      azureDevOpsOrganization: azdo.organizationUrl,
      azureDevOpsControls: `${azdo.url}/_sim/azdo`,
      jira: jira.url,
    };
    let stopped: Promise<void> | undefined;
    return {
      stack,
      host,
      pool,
      hub,
      definitions,
      timings: { buildMs, azuriteMs, startMs: Date.now() - started },
      workRoot,
      urls,
      channel: stack.slackChannel,
      onAgentEvent(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      push(repo, branch, message, files, pushOptions = {}) {
        const ref = branch.startsWith('refs/') ? branch : `refs/heads/${branch}`;
        const changes = [
          ...Object.keys(files).map((path) => ({
            path,
            changeType: (texts.has(textKey(repo, path)) ? 'edit' : 'add') as 'edit' | 'add',
          })),
          ...(pushOptions.deleted ?? []).map((path) => ({ path, changeType: 'delete' as const })),
        ];
        for (const [path, text] of Object.entries(files)) texts.set(textKey(repo, path), text);
        return azdo.pushCommit(repo, ref, {
          message,
          changes,
          ...(pushOptions.author ? { author: pushOptions.author } : {}),
        }).commitId;
      },
      stop() {
        stopped ??= stopAll();
        return stopped;
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
