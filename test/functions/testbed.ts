// One sandbox stack (the suite's Azurite, fresh simulators and credentials) plus the function app on
// the local host, wired as in production: the Slack simulator posts button presses to the app's route,
// Azure DevOps sends its service hooks with the shared secret. Each test file starts one.
import { randomBytes } from 'node:crypto';
import { createSlack } from '../../adapters/slack/create-slack.ts';
import { type Config, loadConfig } from '../../core/config.ts';
import { signDecision } from '../../core/decision-proof.ts';
import type { Decision, DecisionTarget, GateDetails } from '../../core/model.ts';
import { signSlackRequest } from '../../core/slack-signature.ts';
import type { AgentHooks } from '../../flows/agent-deps.ts';
import { requestDecision } from '../../flows/gate-requests.ts';
import { upsertPrThread } from '../../flows/pr-thread.ts';
import { prThreadId, type ReleaseThreadState, releaseThreadId } from '../../flows/threads.ts';
import { type FunctionsHost, type HostLogEntry, startAgentHost } from '../../sandbox/functions-host.ts';
import type { HookEventType } from '../../sandbox/sim/azdo/hooks.ts';
import { type Stack, startStack } from '../../sandbox/stack.ts';
import { silentLogger } from '../../flows/context.ts';

export const REPO = 'Billo.Platform.Payment';
export const PR_PIPELINE = { id: 11, name: 'pr-validation' };
export const RELEASE_PIPELINE = { id: 21, name: 'payment-release' };

export interface Testbed {
  stack: Stack;
  host: FunctionsHost;
  env: Record<string, string>;
  config: Config;
  logs: HostLogEntry[];
  hooks: AgentHooks;
  api(path: string, init?: RequestInit): Promise<Response>;
  operator: Record<string, string>;
  stop(): Promise<void>;
}

export interface TestbedOptions {
  env?: Record<string, string>;
  /** Add an Azure DevOps service-hook subscription to the app for these events (default all; [] none). */
  webhookEvents?: HookEventType[];
  now?: () => Date;
}

export async function startTestbed(options: TestbedOptions = {}): Promise<Testbed> {
  const stack = await startStack({
    storageConnectionString: process.env.AZURE_STORAGE_CONNECTION_STRING_TEST!,
    pipelines: [PR_PIPELINE, RELEASE_PIPELINE],
    pipelineRunDurationMs: 60_000,
  });
  const env = stack.functionEnv({
    WORK_QUEUE_NAME: `work-${randomBytes(4).toString('hex')}`,
    WATCHED_REPOS: REPO,
    PR_PIPELINE_ID: String(PR_PIPELINE.id),
    RELEASE_PIPELINE_BY_REPO: `${REPO}=${RELEASE_PIPELINE.id}`,
    ...options.env,
  });
  const logs: HostLogEntry[] = [];
  const hooks: AgentHooks = {};
  let host: FunctionsHost;
  try {
    host = await startAgentHost({
      env,
      hooks,
      ...(options.now ? { now: options.now } : {}),
      queue: { pollIntervalMs: 40, retryDelaySeconds: 0, leaseSeconds: 30 },
      timers: 'manual',
      log: (entry) => {
        logs.push(entry);
        // FUNCTIONS_TEST_LOG=1 prints the host's log while debugging a test.
        if (process.env.FUNCTIONS_TEST_LOG)
          console.error(`[${entry.level}] [${entry.functionName}] ${entry.message}`);
      },
    });
  } catch (error) {
    await stack.stop();
    throw error;
  }
  stack.slack.setInteractionsUrl(`${host.apiUrl}/slack/interactions`);
  stack.setFunctionAppUrl(host.url);
  if (options.webhookEvents?.length !== 0) {
    stack.azdo.addWebhook({
      url: `${host.apiUrl}/azdo/events`,
      headers: { 'X-Webhook-Secret': stack.secrets.webhookSecret },
      ...(options.webhookEvents ? { eventTypes: options.webhookEvents } : {}),
    });
  }
  return {
    stack,
    host,
    env,
    config: loadConfig(env),
    logs,
    hooks,
    api: (path, init) => fetch(`${host.apiUrl}${path}`, init),
    operator: { 'x-operator-token': stack.secrets.operatorToken },
    async stop() {
      await stack.azdo.flushDeliveries();
      await host.stop();
      await stack.stop();
    },
  };
}

/** Polls until `check` returns a value that is not undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 8_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A repo with develop and a feature branch carrying a ticket key, and an open PR into develop. */
export function openPullRequest(bed: Testbed, branch = 'feature/ALLPOST-1_login', title = 'Login page') {
  const { azdo } = bed.stack;
  if (!azdo.repositories.size || ![...azdo.repositories.values()].some((repo) => repo.name === REPO)) {
    azdo.seedRepository({ name: REPO, defaultBranch: 'main', branches: ['develop'] });
  }
  azdo.pushCommit(REPO, branch, { message: `work on ${branch}` });
  return azdo.createPullRequestAsUser({
    repository: REPO,
    sourceRefName: `refs/heads/${branch}`,
    targetRefName: 'refs/heads/develop',
    title,
  });
}

/** The gate-1 question as the ReviewPullRequest task asks it: a pending decision and its card. */
export async function askMerge(
  bed: Testbed,
  pr: { id: number; sourceCommit: string; title: string; sourceRefName: string },
  ttlSeconds?: number,
  ticketKey?: string,
) {
  // The thread as ReviewPullRequest records it before asking.
  await upsertPrThread(bed.stack.store, {
    repo: REPO,
    prId: pr.id,
    now: new Date(),
    state: {
      title: pr.title,
      sourceRefName: pr.sourceRefName,
      targetRefName: 'refs/heads/develop',
      reviewedCommit: pr.sourceCommit,
      ticketKey,
    },
  });
  const target: DecisionTarget = { gate: 'merge_pr', repo: REPO, prId: pr.id, sourceCommit: pr.sourceCommit };
  const details: GateDetails = {
    gate: 'merge_pr',
    repo: REPO,
    prId: pr.id,
    prTitle: pr.title,
    author: 'Jamal Hartnett',
    sourceCommit: pr.sourceCommit,
    jiraBaseUrl: bed.config.JIRA_BASE_URL,
    review: { summary: 'Looks good', findingsCount: 0, costUsd: 0.1 },
  };
  const asked = await requestDecision(
    {
      store: bed.stack.store,
      slack: createSlack(bed.config),
      channel: bed.stack.slackChannel,
      now: () => new Date(),
      log: silentLogger,
    },
    { threadId: prThreadId(REPO, pr.id), target, details, ...(ttlSeconds ? { ttlSeconds } : {}) },
  );
  if (!asked.decision.slack) throw new Error('the merge card was not posted');
  return asked.decision as typeof asked.decision & { slack: { channel: string; ts: string } };
}

/** A block_actions form body and its Slack headers, signed with `secret` at `timestamp`. */
export function signedSlackRequest(
  secret: string,
  payload: unknown,
  timestamp = Math.floor(Date.now() / 1000),
) {
  const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
  return {
    body,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': signSlackRequest(secret, timestamp, body),
    },
  };
}

/** The text of a Slack message's blocks, for assertions on what the card says. */
export function cardText(message: { text: string; blocks: unknown[] } | undefined): string {
  return message ? `${message.text}\n${JSON.stringify(message.blocks)}` : '';
}

/** A release in flight as the release pipeline's tasks leave it: its thread (with the run) and its staging release. */
export async function startRelease(
  bed: Testbed,
  version: string,
  tickets: { key: string; summary: string; status?: string }[] = [],
) {
  const { azdo, store } = bed.stack;
  const pipeline = azdo.pipelines.get(RELEASE_PIPELINE.id)!;
  const run = azdo.startRun(pipeline, { templateParameters: {} });
  const at = new Date().toISOString();
  await store.staging.update(REPO, () => ({
    repo: REPO,
    version,
    startedAt: at,
    updatedAt: at,
    tickets: tickets.map((ticket) => ({ ...ticket, prIds: [1], bump: 'patch' as const, addedAt: at })),
  }));
  const state: ReleaseThreadState = {
    version,
    runId: run.id,
    pipelineId: pipeline.id,
    pipelines: [{ id: PR_PIPELINE.id, name: 'payment-ci' }],
    releasePrId: 42,
  };
  await store.threads.createIfAbsent({
    id: releaseThreadId(REPO, version),
    kind: 'release',
    repo: REPO,
    status: 'running',
    state,
    createdAt: at,
    updatedAt: at,
  });
  return { run, threadId: releaseThreadId(REPO, version) };
}

/**
 * A decision answered as the function app records it (approved by `by` via Slack, with its proof and
 * the effect queued `ageMs` ago), written straight to the store: as if the click's queue message was
 * then lost.
 */
export async function decidedWithLostEffect(
  bed: Testbed,
  decision: Decision,
  options: { by?: string; ageMs?: number; effect?: NonNullable<Decision['effect']> } = {},
): Promise<Decision> {
  const at = new Date(Date.now() - (options.ageMs ?? 20 * 60_000)).toISOString();
  return await bed.stack.store.decisions.update(decision.id, (current) => {
    const decided: Decision = {
      ...current,
      status: 'approved',
      decidedBy: options.by ?? 'U0RELMGR',
      decidedVia: 'slack',
      decidedAt: at,
    };
    return {
      ...decided,
      proof: signDecision(decided, bed.config.DECISION_SIGNING_KEY)!,
      effect: options.effect ?? { status: 'queued', at },
    };
  });
}
