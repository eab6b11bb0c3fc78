// The fault matrix: every flow step that calls an outside service, driven through the real flow code
// and the real adapters against the simulators, with each fault kind injected on that step's routes,
// once (transient) or for the whole step (persistent). Each case must recover within the retry bounds
// or fail cleanly: a coded error naming the service, the notice the product promises (the Notify
// task's Slack card, the decision's card, the log), and a store whose records for the step are either
// untouched or fully written. A few cases run as the agent runs the task bundles.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { decodeValue } from '../../adapters/store/codec.ts';
import { decodeKeyPart } from '../../adapters/store/keys.ts';
import { isReleaseAgentError } from '../../core/errors.ts';
import type { Decision } from '../../core/model.ts';
import { compareVersions } from '../../core/versions.ts';
import { approvalInstructions, observeApproval } from '../../flows/approval-gates.ts';
import { completeRelease } from '../../flows/complete-release.ts';
import {
  completeReleaseReport,
  mergedReport,
  releasePrReport,
  runPipelinesReport,
  type TaskReport,
} from '../../tasks/_common/reports.ts';
import { answerGate, decideGate } from '../../flows/decide.ts';
import { requestDecision } from '../../flows/gate-requests.ts';
import { commentTicket, ensureTicket, transitionTicket } from '../../flows/jira-ticket.ts';
import { DEFAULT_WORKFLOW } from '../../flows/jira-workflow.ts';
import { notifyFailure } from '../../flows/notify.ts';
import { pollOnce } from '../../flows/poller.ts';
import {
  completeReleasePullRequest,
  createReleasePullRequest,
  planRelease,
} from '../../flows/release-pull-request.ts';
import { upsertPrThread } from '../../flows/pr-thread.ts';
import { localReviewReporting } from '../../flows/review-record.ts';
import { reviewPullRequestFlow } from '../../flows/review-pull-request.ts';
import { runPipelines, storeReleaseRuns } from '../../flows/run-pipelines.ts';
import { stageRelease } from '../../flows/stage-release.ts';
import {
  type PrThreadState,
  prThreadId,
  type ReleaseThreadState,
  releaseThreadId,
} from '../../flows/threads.ts';
import { handleWorkMessage } from '../../flows/work.ts';
import { type WorkMessage, workMessage } from '../../flows/work-messages.ts';
import type { Fault } from '../../sandbox/sim/server.ts';
import type { Stack } from '../../sandbox/stack.ts';
import { assertResult, runAgentTask } from '../tasks/pr-tasks-kit.ts';
import { runReleaseTask } from '../tasks/release-support.ts';
import {
  ADAPTER_TIMEOUT_MS,
  deliver,
  PIPELINES,
  type Ports,
  pool,
  portsFor,
  type Snapshot,
  snapshotStore,
  startReliabilityStack,
  uniqueRepo,
} from './kit.ts';

type Service = 'azure-devops' | 'jira' | 'slack';
type KindName = '429' | '5xx' | 'timeout' | 'reset' | 'malformed';
type Duration = 'transient' | 'persistent';

const KINDS: Record<KindName, Omit<Fault, 'route' | 'times'>> = {
  '429': { kind: 'status', status: 429, retryAfterSeconds: 1 },
  '5xx': { kind: 'status', status: 500 },
  timeout: { kind: 'delay', delayMs: ADAPTER_TIMEOUT_MS + 250 },
  reset: { kind: 'reset' },
  malformed: { kind: 'malformed' },
};
const DURATIONS: Record<Duration, number> = { transient: 1, persistent: 1_000 };
/** Simulator stacks, one per worker: cases on one stack run one at a time (faults are per server). */
const WORKERS = 10;

/** recovered: the step did its work; degraded: it did, and reported what it could not; failed: it stopped. */
interface Outcome {
  result: 'recovered' | 'degraded' | 'failed';
  message: string;
}

/** How the product tells people about a failure of this step. */
type Notice =
  /** A pipeline task: its Failed result, and the Notify task's Slack card (`condition: failed()`). */
  | 'notify'
  /** The queue worker: the decision records it and its Slack card shows it; poisoned messages show in /api/status. */
  | 'card'
  /** The timer and the webhook worker: the log (the next cycle or the poller is the backstop). */
  | 'log';

interface Cell {
  stack: Stack;
  ports: Ports;
  repo: string;
  service: Service;
  kind: KindName;
  duration: Duration;
  /** Temporary folders to remove after the case. */
  folders: string[];
  /** Decisions whose effect the step leaves queued together with its queue message. */
  queued: Set<string>;
}

interface Step<S> {
  service: Service;
  name: string;
  routes: string[];
  notice: Notice;
  arrange(cell: Cell): Promise<S>;
  act(cell: Cell, state: S): Promise<Outcome>;
  /** Runs with the faults gone: what the store and the simulators hold must be whole. */
  verify(cell: Cell, state: S, outcome: Outcome): Promise<void>;
  cleanup?(cell: Cell, state: S): void;
}

// ---- arrangements ----

const FILES = { '/src/payment.ts': 'export function pay(amount: number) {\n  return amount * 2;\n}\n' };

function checkout(cell: Cell, files: Record<string, string>): string {
  const folder = mkdtempSync(join(tmpdir(), 'faults-checkout-'));
  cell.folders.push(folder);
  for (const [path, content] of Object.entries(files)) {
    const full = join(folder, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
  }
  return folder;
}

function seedRepo(cell: Cell): void {
  try {
    cell.stack.azdo.repository(cell.repo);
  } catch {
    cell.stack.azdo.seedRepository({ name: cell.repo, defaultBranch: 'main', branches: ['develop'] });
  }
}

function openPr(cell: Cell, branch: string, title: string) {
  seedRepo(cell);
  cell.stack.azdo.pushCommit(cell.repo, branch, {
    message: title,
    changes: Object.keys(FILES).map((path) => ({ path, changeType: 'add' as const })),
  });
  const pr = cell.stack.azdo.createPullRequestAsUser({
    repository: cell.repo,
    sourceRefName: `refs/heads/${branch}`,
    targetRefName: 'refs/heads/develop',
    title,
  });
  return { pr, cwd: checkout(cell, FILES) };
}

function issue(cell: Cell, status = 'Code Review') {
  return cell.stack.jira.state.createIssue({ project: 'ALLPOST', summary: `Work on ${cell.repo}`, status });
}

/** The clock and logger of a cell, for the flows a pipeline job runs (no store). */
const notifyContext = (cell: Cell) => ({ now: cell.ports.deps.now, log: cell.ports.deps.log });

const gateDeps = (cell: Cell) => ({
  store: cell.ports.store,
  slack: cell.ports.slack,
  channel: cell.stack.slackChannel,
  now: cell.ports.deps.now,
  log: cell.ports.deps.log,
});

async function decided(cell: Cell, threadId: string, action: string) {
  const result = await decideGate(cell.ports.deps, {
    threadId,
    action,
    by: 'operator',
    via: 'api',
  });
  assert.equal(result.kind, 'decided', result.kind === 'refused' ? result.error.message : '');
  const message = result.messages.find((candidate) => candidate.kind === 'effect');
  assert.ok(message, 'an effect message');
  return { decision: result.decision, message };
}

/** An open PR with its ticket, its gate-1 card, and the [Merge] answer: the worker's effect message. */
async function approvedMerge(cell: Cell) {
  const ticket = issue(cell);
  const { pr } = openPr(cell, `feature/${ticket.key}_merge`, `Merge ${ticket.key}`);
  const threadId = prThreadId(cell.repo, pr.id);
  await upsertPrThread(cell.ports.store, {
    repo: cell.repo,
    prId: pr.id,
    now: new Date(),
    status: 'waiting',
    state: { title: pr.title, sourceRefName: pr.sourceRefName, ticketKey: ticket.key },
  });
  await requestDecision(gateDeps(cell), {
    threadId,
    target: { gate: 'merge_pr', repo: cell.repo, prId: pr.id, sourceCommit: pr.sourceCommit },
    details: {
      gate: 'merge_pr',
      repo: cell.repo,
      prId: pr.id,
      prTitle: pr.title,
      author: 'Jamal Hartnett',
      sourceCommit: pr.sourceCommit,
      jiraBaseUrl: cell.stack.jira.url,
      review: { summary: 'Looks good', findingsCount: 0, costUsd: 0.1 },
    },
  });
  return { pr, ticket, threadId };
}

/** Gate 1 asked and answered (`merge` or `cancel`): the queue message its effect runs from. */
async function decidedMerge(cell: Cell, action: 'merge' | 'cancel') {
  const merge = await approvedMerge(cell);
  return { ...merge, ...(await decided(cell, merge.threadId, action)) };
}

/** A release in flight whose `environment` stage waits on an approval, asked as a gate card. */
async function pendingApproval(cell: Cell, environment = 'release-agent-sandbox') {
  const { stack, ports } = cell;
  const run = stack.azdo.startRun(stack.azdo.pipelines.get(PIPELINES.release.id)!, {
    templateParameters: {},
  });
  const version = '1.0.0';
  const at = new Date().toISOString();
  await ports.store.staging.update(cell.repo, () => ({
    repo: cell.repo,
    version,
    startedAt: at,
    updatedAt: at,
    tickets: [{ key: 'ALLPOST-1', summary: 'Payments', prIds: [1], bump: 'patch', addedAt: at }],
  }));
  const threadId = releaseThreadId(cell.repo, version);
  const state: ReleaseThreadState = { version, runId: run.id, pipelineId: PIPELINES.release.id };
  await ports.store.threads.createIfAbsent({
    id: threadId,
    kind: 'release',
    repo: cell.repo,
    status: 'running',
    state,
    createdAt: at,
    updatedAt: at,
  });
  const approval = stack.azdo.createPendingApproval({
    environment,
    runId: run.id,
    pipelineId: PIPELINES.release.id,
    instructions: approvalInstructions(environment),
  });
  return { approval, threadId };
}

/** A PR with a ticket, completed (squash) into develop: what StageRelease finds after a merge. */
function mergedPr(cell: Cell) {
  const ticket = issue(cell, 'Code Review');
  const { pr } = openPr(cell, `feature/${ticket.key}_staged`, `Staged ${ticket.key}`);
  cell.stack.azdo.completePullRequest(pr, cell.stack.azdo.users.approver, { mergeStrategy: 'squash' });
  return { pr, ticket };
}

/** The PR reviewed as the ReviewPullRequest task reviews it; a review that was not posted throws. */
async function reviewOnce(cell: Cell, prId: number, cwd: string) {
  const reporting = localReviewReporting(
    {
      azdo: cell.ports.azdo,
      store: cell.ports.store,
      slack: cell.ports.slack,
      channel: cell.stack.slackChannel,
      jira: cell.ports.jira,
      now: cell.ports.deps.now,
      log: cell.ports.deps.log,
      jiraBaseUrl: cell.stack.jira.url,
    },
    { repo: cell.repo, prId, sourceCommit: undefined },
  );
  const outcome = await reviewPullRequestFlow(
    {
      azdo: cell.ports.azdo,
      claude: cell.ports.claude,
      reporting,
      now: cell.ports.deps.now,
      log: cell.ports.deps.log,
    },
    { repo: cell.repo, prId, cwd, maxBudgetUsd: 1, timeoutMs: 30_000 },
  );
  assert.ok(outcome.kind === 'reviewed', `reviewed, not ${outcome.kind}`);
  return outcome;
}

/** JiraTicket ensure for the PR as the task runs it (auto-create on), moving the ticket to `status`. */
async function ensureOnce(cell: Cell, prId: number, cwd: string, status: string) {
  const result = await ensureTicket(
    { ...cell.ports, now: cell.ports.deps.now, log: cell.ports.deps.log },
    {
      repo: cell.repo,
      prId,
      autoCreate: true,
      requireTicket: false,
      defaultProject: 'ALLPOST',
      status,
      workflow: DEFAULT_WORKFLOW,
      cwd,
      maxBudgetUsd: 1,
      timeoutMs: 30_000,
    },
  );
  return {
    result: result.warnings.length > 0 ? ('degraded' as const) : ('recovered' as const),
    message: result.kind,
  };
}

const stageInput = (cell: Cell, commit: string) => ({
  repo: cell.repo,
  commit,
  firstRelease: '1.0.0',
  conventionalBumps: false,
  stagingStatus: 'Staging',
  workflow: DEFAULT_WORKFLOW,
  fixVersion: false,
  jiraBaseUrl: cell.stack.jira.url,
});

const stageDeps = (cell: Cell) => ({
  azdo: cell.ports.azdo,
  store: cell.ports.store,
  jira: cell.ports.jira,
  slack: { ...notifyContext(cell), slack: cell.ports.slack, channel: cell.stack.slackChannel },
  now: cell.ports.deps.now,
  log: cell.ports.deps.log,
});

/** develop ahead of main, a staged ticket and the planned release thread (the release pipeline's plan). */
async function plannedRelease(cell: Cell) {
  seedRepo(cell);
  cell.stack.azdo.pushCommit(cell.repo, 'develop', { message: 'Merged PR 1: payments' });
  const ticket = issue(cell, 'Staging');
  const at = new Date().toISOString();
  await cell.ports.store.staging.update(cell.repo, () => ({
    repo: cell.repo,
    version: '1.0.0',
    startedAt: at,
    updatedAt: at,
    tickets: [{ key: ticket.key, summary: ticket.summary, prIds: [1], bump: 'patch', addedAt: at }],
  }));
  const plan = await planRelease(cell.ports.release, {
    repo: cell.repo,
    pipelines: [PIPELINES.ci, PIPELINES.cd],
    run: {},
  });
  assert.equal(plan.kind, 'planned');
  return { version: '1.0.0', ticket };
}

const branches = (cell: Cell, version: string) => ({
  repo: cell.repo,
  version,
  sourceRef: 'refs/heads/develop',
  targetRef: 'refs/heads/main',
});

/** The release pipeline's ports with Azure DevOps. */
const releaseDeps = (cell: Cell) => ({ ...cell.ports.release, azdo: cell.ports.azdo });

/** A planned release whose release PR is open (gate 2 passed): where the merge and tag steps start. */
async function releasePrOpen(cell: Cell) {
  const planned = await plannedRelease(cell);
  const created = await createReleasePullRequest(releaseDeps(cell), branches(cell, planned.version));
  assert.equal(releasePrReport(created).result, 'Succeeded');
  return planned;
}

/** ReleasePullRequest complete for a version, as the task runs it. */
const mergeReleasePr = (cell: Cell, version: string) =>
  completeReleasePullRequest(releaseDeps(cell), completeInput(cell, version));

/** A planned release whose PR is created and merged: where RunPipelines starts. */
async function releasePrMerged(cell: Cell) {
  const planned = await releasePrOpen(cell);
  const merged = await mergeReleasePr(cell, planned.version);
  assert.equal(merged.kind, 'merged');
  return planned;
}

/** RunPipelines for a version, as the task runs it. */
const runReleasePipelines = (cell: Cell, version: string) =>
  runPipelines(
    { ...releaseDeps(cell), runs: storeReleaseRuns(cell.ports.store, cell.ports.deps.now) },
    pipelinesInput(cell, version),
  );

const completeInput = (cell: Cell, version: string) => ({
  ...branches(cell, version),
  mergeStrategy: 'noFastForward' as const,
  pollIntervalMs: 50,
  maxWaitMs: 2_000,
});

const pipelinesInput = (cell: Cell, version: string) => ({
  repo: cell.repo,
  version,
  pipelines: [],
  commit: undefined,
  branch: 'refs/heads/main',
  templateParameters: {},
  pollIntervalMs: 40,
  maxWaitMs: 4_000,
});

async function releaseThread(cell: Cell, version: string): Promise<Partial<ReleaseThreadState>> {
  return (await cell.ports.store.threads.getOf('release', releaseThreadId(cell.repo, version)))?.state ?? {};
}

async function prThread(cell: Cell, prId: number): Promise<PrThreadState | undefined> {
  return (await cell.ports.store.threads.get(prThreadId(cell.repo, prId)))?.state as
    | PrThreadState
    | undefined;
}

// ---- outcomes ----

/** A thrown error: clean only when it is one of ours (coded, with a message). */
function thrown(error: unknown): Outcome {
  if (!isReleaseAgentError(error)) throw error;
  return { result: 'failed', message: `[${error.code}] ${error.message}` };
}

function fromReport(report: Pick<TaskReport, 'result' | 'message'>): Outcome {
  const result =
    report.result === 'Succeeded'
      ? 'recovered'
      : report.result === 'SucceededWithIssues'
        ? 'degraded'
        : 'failed';
  return { result, message: report.message };
}

async function attempt(work: () => Promise<Outcome>): Promise<Outcome> {
  try {
    return await work();
  } catch (error) {
    return thrown(error);
  }
}

/** The outcome of a worker's effect, read from the decision after the deliveries. */
async function effectOutcome(cell: Cell, decisionId: string, poisoned: string | undefined): Promise<Outcome> {
  const decision = (await cell.ports.store.decisions.get(decisionId)) as Decision;
  const effect = decision.effect;
  assert.ok(effect && effect.status !== 'queued', `the effect of ${decisionId} was left ${effect?.status}`);
  if (poisoned) return { result: effect.status === 'done' ? 'degraded' : 'failed', message: poisoned };
  if (effect.status === 'failed') return { result: 'failed', message: effect.detail ?? '' };
  // Done, with a follow-up (the ticket) reported as not made.
  const partly = /not moved|no comment/.test(effect.detail ?? '');
  return { result: partly ? 'degraded' : 'recovered', message: effect.detail ?? '' };
}

async function runEffect(cell: Cell, message: WorkMessage): Promise<Outcome> {
  const delivered = await deliver((attempt) => handleWorkMessage(cell.ports.deps, message, attempt));
  if (message.kind !== 'effect') throw new Error('not an effect');
  return await effectOutcome(cell, message.decisionId, delivered.poisoned);
}

const successfulPatches = (cell: Cell, prId: number) =>
  cell.stack.azdo.requestLog.filter(
    (entry) =>
      entry.operation === 'Pull Requests_Update' &&
      entry.status === 200 &&
      !entry.fault &&
      entry.path.toLowerCase().endsWith(`/pullrequests/${prId}`),
  ).length;

// ---- the steps ----

function step<S>(definition: Step<S>): Step<unknown> {
  return definition as Step<unknown>;
}

const STEPS: Step<unknown>[] = [
  // Azure DevOps
  step({
    service: 'azure-devops',
    name: 'review: threads and PR status posted',
    routes: ['Pull Request Threads_Create', 'Pull Request Statuses_Create'],
    notice: 'notify',
    arrange: async (cell) => openPr(cell, `feature/ALLPOST-1_${cell.repo}`, 'Refunds'),
    act: (cell, { pr, cwd }) =>
      attempt(async () => {
        const outcome = await reviewOnce(cell, pr.id, cwd);
        return {
          result: outcome.warnings.length > 0 ? 'degraded' : 'recovered',
          message: outcome.kind,
        };
      }),
    verify: async (cell, { pr }, outcome) => {
      const record = await cell.ports.store.reviews.get(cell.repo, pr.id, pr.sourceCommit);
      const decisions = await cell.ports.store.decisions.findByThread(prThreadId(cell.repo, pr.id));
      if (outcome.result === 'failed') {
        assert.equal(record, undefined, 'no review is recorded before its threads and status are posted');
        assert.deepEqual(decisions, [], 'no gate is asked for a review that was not posted');
      } else {
        assert.equal(record?.verdict, 'approve');
        assert.ok(
          pr.statuses.some((status) => status.context.name === 'ai-review'),
          'the PR status',
        );
        assert.equal(decisions.length, 1);
        assert.equal(decisions[0]?.status, 'pending', 'the AI never merges: gate 1 waits');
      }
    },
  }),
  step({
    service: 'azure-devops',
    name: 'worker: complete the PR (gate 1)',
    routes: ['Pull Requests_Update'],
    notice: 'card',
    arrange: (cell) => decidedMerge(cell, 'merge'),
    act: (cell, { message }) => runEffect(cell, message),
    verify: async (cell, { pr }, outcome) => {
      assert.ok(successfulPatches(cell, pr.id) <= 1, 'the PR is merged at most once');
      if (outcome.result !== 'failed') assert.equal(pr.status, 'completed');
      // A timed-out PATCH may still land: before calling its last attempt failed, the worker looks.
      if (outcome.result === 'failed') assert.equal(pr.status, 'active', 'a completed PR recorded as failed');
    },
  }),
  step({
    service: 'azure-devops',
    name: 'worker: answer the environment approval (gates 2-5)',
    routes: ['Approvals_Update'],
    notice: 'card',
    arrange: async (cell) => {
      const pending = await pendingApproval(cell);
      assert.equal(await observeApproval(cell.ports.deps, pending.approval.id), 'card-posted');
      return { ...pending, ...(await decided(cell, pending.threadId, 'approve')) };
    },
    act: (cell, { message }) => runEffect(cell, message),
    verify: async (cell, { approval, threadId }, outcome) => {
      const gates = (await releaseThread(cell, '1.0.0')).gates ?? [];
      if (outcome.result !== 'failed') {
        assert.equal(approval.status, 'approved');
        assert.equal(gates.length, 1, 'who answered is recorded once');
      } else {
        assert.equal(gates.length, 0, 'no gate record for an answer that was not given');
        if (cell.kind !== 'timeout') assert.equal(approval.status, 'pending');
      }
      assert.ok(threadId);
    },
    cleanup: (_cell, { approval }) => {
      if (approval.status === 'pending') approval.status = 'rejected';
    },
  }),
  step({
    service: 'azure-devops',
    name: 'gate 1 click: re-check the PR before recording',
    routes: ['Pull Requests_Get Pull Request'],
    notice: 'log',
    arrange: async (cell) => approvedMerge(cell),
    act: async (cell, { threadId }) => {
      const result = await decideGate(cell.ports.deps, {
        threadId,
        action: 'merge',
        by: 'operator',
        via: 'api',
      });
      if (result.kind === 'refused') return thrown(result.error);
      const effect = result.messages.find((message) => message.kind === 'effect');
      if (effect?.kind === 'effect') cell.queued.add(effect.decisionId);
      return { result: 'recovered', message: `decided, effect message ${effect?.id}` };
    },
    verify: async (cell, { threadId }) => {
      const [decision] = await cell.ports.store.decisions.findByThread(threadId);
      // The commit-pinned completion guards a check that could not be made: the click is recorded.
      assert.equal(decision?.status, 'approved');
      assert.equal(decision?.effect?.status, 'queued');
      assert.ok(cell.queued.has(decision.id), 'its queue message was handed to the binding');
    },
  }),
  step({
    service: 'azure-devops',
    name: 'worker: checks of a Slack answer to gate 1 (its author, its commit), then the merge',
    routes: ['Pull Requests_Get Pull Request'],
    notice: 'log',
    arrange: async (cell) => {
      const merge = await approvedMerge(cell);
      const [asked] = await cell.ports.store.decisions.findByThread(merge.threadId);
      const taken = await answerGate(cell.ports.deps, {
        decisionId: asked!.id,
        outcome: 'approved',
        nonce: asked!.nonce,
        by: 'U0RELMGR',
        via: 'slack',
      });
      assert.equal(taken.kind, 'answered');
      return { ...merge, decisionId: asked!.id };
    },
    act: async (cell, { decisionId }) => {
      const message = workMessage('confirm', { decisionId });
      const delivered = await deliver((attempt) => handleWorkMessage(cell.ports.deps, message, attempt));
      const decision = await cell.ports.store.decisions.get(decisionId);
      if (decision?.status === 'pending')
        return { result: 'failed', message: delivered.poisoned ?? 'not decided' };
      return await effectOutcome(cell, decisionId, delivered.poisoned);
    },
    verify: async (cell, { decisionId, pr }, outcome) => {
      const decision = await cell.ports.store.decisions.get(decisionId);
      if (decision?.status === 'pending') {
        // A service that did not answer refuses nobody: the answer waits for the poller to re-queue its checks.
        assert.equal(outcome.result, 'failed');
        assert.equal(decision.answer?.by, 'U0RELMGR');
        assert.equal(pr.status, 'active');
        return;
      }
      assert.equal(decision?.status, 'approved');
      assert.equal(decision?.decidedBy, 'U0RELMGR');
      if (outcome.result === 'recovered') assert.equal(pr.status, 'completed');
    },
    cleanup: (_cell, { pr }) => {
      if (pr.status === 'active') pr.status = 'abandoned';
    },
  }),
  step({
    service: 'azure-devops',
    name: 'worker: PR discovery queues the PR pipeline',
    routes: ['Pull Requests_Get Pull Request', 'Runs_Run Pipeline'],
    notice: 'log',
    arrange: async (cell) => openPr(cell, `feature/ALLPOST-2_${cell.repo}`, 'Discovery'),
    act: async (cell, { pr }) => {
      const message = workMessage('pr', { source: 'webhook', repo: cell.repo, prId: pr.id });
      const delivered = await deliver((attempt) => handleWorkMessage(cell.ports.deps, message, attempt));
      if (delivered.poisoned) return { result: 'failed', message: delivered.poisoned };
      const queued = (await prThread(cell, pr.id))?.queuedRuns ?? [];
      return queued.length === 1
        ? { result: 'recovered', message: `run ${queued[0]?.runId} queued` }
        : { result: 'failed', message: `no run queued; the log says: ${cell.ports.logs.join(' | ')}` };
    },
    verify: async (cell, { pr }, outcome) => {
      const runsOf = () =>
        [...cell.stack.azdo.runs.values()].filter((run) => run.refName === `refs/pull/${pr.id}/merge`);
      for (const run of (await prThread(cell, pr.id))?.queuedRuns ?? [])
        assert.ok(cell.stack.azdo.runs.has(run.runId), 'a recorded run exists');
      if (outcome.result === 'recovered' && cell.kind !== 'timeout') assert.equal(runsOf().length, 1);
      // Whatever this delivery left, the next one (the poller's) must be able to queue the run: no
      // claim may hold it off for a run that was never queued.
      const retry = await deliver((attempt) =>
        handleWorkMessage(
          cell.ports.deps,
          workMessage('pr', { source: 'poller', repo: cell.repo, prId: pr.id }),
          attempt,
        ),
      );
      assert.equal(retry.poisoned, undefined, retry.poisoned);
      assert.equal(
        ((await prThread(cell, pr.id))?.queuedRuns ?? []).length,
        1,
        'the run is queued and recorded',
      );
      // A POST that timed out may have queued a run unseen: at most one extra per delivery.
      assert.ok(runsOf().length <= (cell.kind === 'timeout' ? 1 + 3 : 1), `${runsOf().length} runs`);
    },
  }),
  step({
    service: 'azure-devops',
    name: 'worker: queue the release pipeline (POST /api/manual/release)',
    routes: ['Runs_Run Pipeline'],
    notice: 'log',
    arrange: async (cell) => ({
      message: workMessage('release', {
        repo: cell.repo,
        pipelineId: PIPELINES.release.id,
        requestedBy: 'operator:op',
      }),
      runs: () =>
        [...cell.stack.azdo.runs.values()].filter((run) => run.pipelineId === PIPELINES.release.id).length,
      before: [...cell.stack.azdo.runs.values()].filter((run) => run.pipelineId === PIPELINES.release.id)
        .length,
    }),
    act: async (cell, { message, runs, before }) => {
      const delivered = await deliver((attempt) => handleWorkMessage(cell.ports.deps, message, attempt));
      if (delivered.poisoned) return { result: 'failed', message: delivered.poisoned };
      return runs() > before
        ? { result: 'recovered', message: 'release run queued' }
        : {
            result: 'failed',
            message: `nothing queued; the deliveries said: ${delivered.errors.join('; ')}`,
          };
    },
    verify: async (cell, { message, runs, before }) => {
      // The poisoned message is sent again by an operator (or the same message redelivered): it queues
      // the run that was asked for, and a delivered one is never queued twice.
      const again = await deliver((attempt) => handleWorkMessage(cell.ports.deps, message, attempt));
      assert.equal(again.poisoned, undefined, again.poisoned);
      assert.ok(runs() > before, 'the release run is queued');
      assert.ok(runs() - before <= (cell.kind === 'timeout' ? 1 + 3 : 1), `${runs() - before} runs`);
      const audited = await cell.ports.store.audit.list({ action: 'release.run-queued', subject: cell.repo });
      assert.equal(audited.length, 1, 'queued once, audited once');
    },
  }),
  step({
    service: 'azure-devops',
    name: 'poller: list active PRs and pending approvals',
    routes: ['Pull Requests_Get Pull Requests By Project', 'Approvals_Query'],
    notice: 'log',
    arrange: async (cell) => openPr(cell, `feature/ALLPOST-3_${cell.repo}`, 'Polled'),
    act: async (cell, { pr }) => {
      const report = await pollOnce(cell.ports.deps, `cycle-${cell.repo}`);
      if (report.errors.length > 0) return { result: 'failed', message: report.errors.join('; ') };
      return report.runsQueued === 1
        ? { result: 'recovered', message: `run queued for PR ${pr.id}` }
        : { result: 'failed', message: `nothing queued (${report.prsSeen} PRs seen)` };
    },
    verify: async (cell, { pr }) => {
      // The next cycle is the backstop: it queues what this one could not, and nothing twice.
      const report = await pollOnce(cell.ports.deps, `next-${cell.repo}`);
      assert.deepEqual(report.errors, []);
      const runs = [...cell.stack.azdo.runs.values()].filter(
        (run) => run.refName === `refs/pull/${pr.id}/merge`,
      );
      const queued = (await prThread(cell, pr.id))?.queuedRuns ?? [];
      assert.equal(queued.length, 1, 'one run recorded');
      assert.ok(runs.length >= 1 && runs.length <= (cell.kind === 'timeout' ? 2 : 1), `${runs.length} runs`);
    },
  }),
  step({
    service: 'azure-devops',
    name: 'StageRelease: find the merged PR',
    routes: ['Pull Request Query_Get', 'Pull Requests_Get Pull Request'],
    notice: 'notify',
    arrange: async (cell) => mergedPr(cell),
    act: (cell, { pr }) =>
      attempt(async () => {
        const outcome = await stageRelease(stageDeps(cell), stageInput(cell, pr.mergeCommit));
        assert.equal(outcome.kind, 'staged');
        return {
          result: outcome.kind === 'staged' && outcome.warnings.length > 0 ? 'degraded' : 'recovered',
          message: outcome.kind,
        };
      }),
    verify: async (cell, { ticket }, outcome) => {
      const staging = await cell.ports.store.staging.get(cell.repo);
      if (outcome.result === 'failed') assert.equal(staging, undefined, 'staging untouched');
      else
        assert.deepEqual(
          staging?.tickets.map((staged) => staged.key),
          [ticket.key],
        );
    },
  }),
  step({
    service: 'azure-devops',
    name: 'ReleasePullRequest create: open develop → main',
    routes: ['Pull Requests_Create'],
    notice: 'notify',
    arrange: async (cell) => plannedRelease(cell),
    act: (cell, { version }) =>
      attempt(async () =>
        fromReport(
          releasePrReport(await createReleasePullRequest(releaseDeps(cell), branches(cell, version))),
        ),
      ),
    verify: async (cell, { version }, outcome) => {
      const before = await releaseThread(cell, version);
      if (outcome.result === 'failed') assert.equal(before.releasePrId, undefined, 'the thread names no PR');
      // A re-run of the stage: one release PR, whatever the first attempt left behind.
      const rerun = await createReleasePullRequest(releaseDeps(cell), branches(cell, version));
      assert.equal(rerun.kind, 'release-pr');
      const open = [...cell.stack.azdo.pullRequests.values()].filter(
        (pr) =>
          pr.status === 'active' &&
          pr.targetRefName === 'refs/heads/main' &&
          cell.stack.azdo.repositories.get(pr.repositoryId)?.name === cell.repo,
      );
      assert.equal(open.length, 1, 'one release PR');
      assert.equal((await releaseThread(cell, version)).releasePrId, open[0]?.id);
    },
  }),
  step({
    service: 'azure-devops',
    name: 'ReleasePullRequest complete: merge the release PR',
    routes: ['Pull Requests_Update', 'Pull Requests_Get Pull Request'],
    notice: 'notify',
    arrange: releasePrOpen,
    act: (cell, { version }) =>
      attempt(async () => fromReport(mergedReport(await mergeReleasePr(cell, version)))),
    verify: async (cell, { version }, outcome) => {
      const state = await releaseThread(cell, version);
      if (outcome.result === 'failed') {
        assert.equal(state.mergeCommit, undefined, 'no merge recorded');
        assert.equal(state.tag, undefined, 'no tag recorded');
      }
      const rerun = await mergeReleasePr(cell, version);
      assert.equal(rerun.tag, 'v1.0.0');
      const after = await releaseThread(cell, version);
      assert.equal(after.tag, 'v1.0.0');
      assert.ok(cell.stack.azdo.repository(cell.repo).refs.has('refs/tags/v1.0.0'));
    },
  }),
  step({
    service: 'azure-devops',
    name: 'ReleasePullRequest complete: tag the merge commit',
    routes: ['Annotated Tags_Create', 'Refs_List'],
    notice: 'notify',
    arrange: releasePrOpen,
    act: (cell, { version }) =>
      attempt(async () => fromReport(mergedReport(await mergeReleasePr(cell, version)))),
    verify: async (cell, { version }, outcome) => {
      if (outcome.result === 'failed') assert.equal((await releaseThread(cell, version)).tag, undefined);
      const rerun = await mergeReleasePr(cell, version);
      assert.equal(rerun.tag, 'v1.0.0');
      assert.equal((await releaseThread(cell, version)).tag, 'v1.0.0');
    },
  }),
  step({
    service: 'azure-devops',
    name: 'RunPipelines: queue the CI/CD runs',
    routes: ['Runs_Run Pipeline'],
    notice: 'notify',
    arrange: releasePrMerged,
    act: (cell, { version }) =>
      attempt(async () => fromReport(runPipelinesReport(await runReleasePipelines(cell, version)))),
    verify: async (cell, { version }) => {
      const recorded = (await releaseThread(cell, version)).pipelineRuns ?? [];
      for (const run of recorded) assert.ok(cell.stack.azdo.runs.has(run.runId), 'a recorded run exists');
      const rerun = runPipelinesReport(await runReleasePipelines(cell, version));
      assert.equal(rerun.result, 'Succeeded', rerun.message);
    },
  }),
  step({
    service: 'azure-devops',
    name: 'RunPipelines: poll the runs until they finish',
    routes: ['Runs_Get'],
    notice: 'notify',
    arrange: releasePrMerged,
    act: (cell, { version }) =>
      attempt(async () => fromReport(runPipelinesReport(await runReleasePipelines(cell, version)))),
    verify: async (cell, { version }) => {
      const recorded = (await releaseThread(cell, version)).pipelineRuns ?? [];
      assert.equal(recorded.length, 2, 'both queued runs are recorded before the wait');
      const commit = (await releaseThread(cell, version)).mergeCommit;
      const runsOfRelease = () =>
        [...cell.stack.azdo.runs.values()].filter((run) => run.version === commit).length;
      const runsBefore = runsOfRelease();
      const rerun = runPipelinesReport(await runReleasePipelines(cell, version));
      assert.equal(rerun.result, 'Succeeded', rerun.message);
      assert.equal(runsOfRelease(), runsBefore, 'a re-run awaits the recorded runs: nothing queued twice');
    },
  }),

  // Jira
  step({
    service: 'jira',
    name: 'JiraTicket ensure: read the branch ticket',
    routes: ['getIssue'],
    notice: 'notify',
    arrange: async (cell) => {
      const ticket = issue(cell, 'In Progress');
      return { ticket, ...openPr(cell, `feature/${ticket.key}_ensure`, 'Ensure') };
    },
    act: (cell, { pr, cwd }) => attempt(() => ensureOnce(cell, pr.id, cwd, 'Code Review')),
    verify: async (cell, { pr, ticket }, outcome) => {
      const state = await prThread(cell, pr.id);
      if (outcome.result === 'failed') {
        // The link is posted after the key is recorded; a failure before that leaves no half a link.
        assert.ok(!state?.ticketLinkedKey || state.ticketKey === state.ticketLinkedKey);
      } else {
        assert.equal(state?.ticketKey, ticket.key);
        assert.equal(state?.ticketLinkedKey, ticket.key);
      }
      const links = pr.threads.filter((thread) =>
        thread.comments.some((comment) => comment.content.includes('Jira ticket')),
      );
      assert.ok(links.length <= 1, 'the ticket link is posted once');
    },
  }),
  step({
    service: 'jira',
    name: 'JiraTicket ensure: create the AI-written Story',
    routes: ['createIssue'],
    notice: 'notify',
    arrange: async (cell) => openPr(cell, `feature/no-ticket-${cell.repo}`, 'Refund button'),
    act: (cell, { pr, cwd }) => attempt(() => ensureOnce(cell, pr.id, cwd, '')),
    verify: async (cell, { pr }, outcome) => {
      const state = await prThread(cell, pr.id);
      if (outcome.result === 'failed') assert.equal(state?.ticketKey, undefined, 'no ticket recorded');
      else {
        assert.ok(state?.ticketKey && state.ticketCreated);
        assert.ok(cell.stack.jira.state.issue(state.ticketKey), 'the recorded Story exists');
      }
    },
  }),
  step({
    service: 'jira',
    name: 'JiraTicket transition',
    routes: ['getTransitions', 'doTransition'],
    notice: 'notify',
    arrange: async (cell) => issue(cell, 'In Progress'),
    act: (cell, ticket) =>
      attempt(async () => {
        const moved = await transitionTicket(
          { ...notifyContext(cell), jira: cell.ports.jira },
          { ticketKey: ticket.key, status: 'Code Review', workflow: DEFAULT_WORKFLOW },
        );
        // The key is given and valid: anything but a move is the step failing.
        if (moved.kind !== 'moved') return { result: 'failed', message: moved.kind };
        return { result: 'recovered', message: `${moved.from} → ${moved.to}` };
      }),
    verify: async (_cell, ticket, outcome) => {
      if (outcome.result !== 'failed') assert.equal(ticket.status, 'Code Review');
      assert.ok(['In Progress', 'Code Review'].includes(ticket.status));
    },
  }),
  step({
    service: 'jira',
    name: 'JiraTicket comment',
    routes: ['addComment'],
    notice: 'notify',
    arrange: async (cell) => issue(cell),
    act: (cell, ticket) =>
      attempt(async () => {
        const posted = await commentTicket(
          { ...notifyContext(cell), jira: cell.ports.jira },
          { ticketKey: ticket.key, comment: 'Reviewed.' },
        );
        if (posted.kind !== 'commented') return { result: 'failed', message: posted.kind };
        return { result: 'recovered', message: posted.commentId };
      }),
    verify: async (_cell, ticket, outcome) => {
      if (outcome.result !== 'failed') assert.equal(ticket.comments.length, 1);
      assert.ok(ticket.comments.length <= 1, 'commented at most once');
    },
  }),
  step({
    service: 'jira',
    name: 'StageRelease: ticket summary and move to Staging',
    routes: ['getIssue', 'getTransitions', 'doTransition'],
    notice: 'notify',
    arrange: async (cell) => mergedPr(cell),
    act: (cell, { pr }) =>
      attempt(async () => {
        const outcome = await stageRelease(stageDeps(cell), stageInput(cell, pr.mergeCommit));
        assert.equal(outcome.kind, 'staged');
        return {
          result: outcome.kind === 'staged' && outcome.warnings.length > 0 ? 'degraded' : 'recovered',
          message: outcome.kind === 'staged' ? outcome.warnings.join('; ') || 'staged' : 'not staged',
        };
      }),
    verify: async (cell, { ticket }, outcome) => {
      const staging = await cell.ports.store.staging.get(cell.repo);
      if (outcome.result === 'failed') assert.equal(staging, undefined, 'staging untouched');
      else
        assert.deepEqual(
          staging?.tickets.map((staged) => staged.key),
          [ticket.key],
        );
      if (outcome.result === 'recovered') assert.equal(ticket.status, 'Staging');
    },
  }),
  step({
    service: 'jira',
    name: 'worker: ticket → Staging after the merge',
    routes: ['getIssue', 'getTransitions', 'doTransition'],
    notice: 'card',
    arrange: (cell) => decidedMerge(cell, 'merge'),
    act: (cell, { message }) => runEffect(cell, message),
    verify: async (cell, { pr, ticket, decision }, outcome) => {
      assert.equal(successfulPatches(cell, pr.id), 1, 'merged once, whatever Jira did');
      assert.equal(pr.status, 'completed');
      // The merge happened: the decision (and its card) must say so, and say what Jira did not do.
      const stored = (await cell.ports.store.decisions.get(decision.id)) as Decision;
      assert.equal(stored.effect?.status, 'done', stored.effect?.detail);
      assert.match(stored.effect?.detail ?? '', /PR completed/);
      if (ticket.status !== 'Staging') assert.match(stored.effect?.detail ?? '', /not moved/);
      assert.notEqual(outcome.result, 'failed');
    },
  }),
  step({
    service: 'jira',
    name: 'worker: comment on the ticket after [Cancel]',
    routes: ['addComment'],
    notice: 'card',
    arrange: (cell) => decidedMerge(cell, 'cancel'),
    act: (cell, { message }) => runEffect(cell, message),
    verify: async (cell, { pr, ticket, decision }) => {
      assert.equal(pr.status, 'active', 'a cancel never merges');
      // The cancel stands whatever Jira did; the card says whether the ticket got its comment.
      const stored = (await cell.ports.store.decisions.get(decision.id)) as Decision;
      assert.equal(stored.effect?.status, 'done', stored.effect?.detail);
      assert.match(stored.effect?.detail ?? '', /PR left open/);
      if (ticket.comments.length === 0) assert.match(stored.effect?.detail ?? '', /no comment/);
      // A comment whose answer timed out may still land, once per delivery at most.
      assert.ok(
        ticket.comments.length <= (cell.kind === 'timeout' ? 3 : 1),
        `${ticket.comments.length} comments`,
      );
    },
  }),
  step({
    service: 'jira',
    name: 'CompleteRelease: tickets → Done',
    routes: ['getIssue', 'getTransitions', 'doTransition'],
    notice: 'notify',
    arrange: async (cell) => plannedRelease(cell),
    act: (cell, { version }) =>
      attempt(async () =>
        fromReport(
          completeReleaseReport(
            await completeRelease(
              { ...cell.ports.release, jira: cell.ports.jira },
              {
                repo: cell.repo,
                version,
                doneStatus: 'Done',
                workflow: DEFAULT_WORKFLOW,
                jiraVersion: false,
              },
            ),
          ),
        ),
      ),
    verify: async (cell, { version, ticket }, outcome) => {
      const archived = await cell.ports.store.releases.get(cell.repo, version);
      const staging = await cell.ports.store.staging.get(cell.repo);
      if (outcome.result === 'failed') assert.equal(archived, undefined);
      else {
        assert.deepEqual(
          archived?.tickets.map((staged) => staged.key),
          [ticket.key],
        );
        assert.equal(staging, undefined, 'staging retired with the archive');
        assert.equal(
          (await cell.ports.store.threads.get(releaseThreadId(cell.repo, version)))?.status,
          'done',
        );
      }
    },
  }),

  // Slack
  step({
    service: 'slack',
    name: 'worker: post the gate card of a pending approval',
    routes: ['chat.postMessage'],
    notice: 'log',
    arrange: async (cell) => pendingApproval(cell, 'release-agent-production'),
    act: async (cell, { approval, threadId }) => {
      const message = workMessage('approval', { source: 'webhook', approvalId: approval.id });
      const delivered = await deliver((attempt) => handleWorkMessage(cell.ports.deps, message, attempt));
      const [decision] = await cell.ports.store.decisions.findByThread(threadId);
      if (delivered.poisoned) return { result: 'failed', message: delivered.poisoned };
      if (!decision) return { result: 'failed', message: 'no decision' };
      return decision.slack
        ? { result: 'recovered', message: 'card posted' }
        : {
            result: 'degraded',
            message: `the decision waits without its card, answerable in the hub (${delivered.errors.join('; ')})`,
          };
    },
    verify: async (cell, { threadId }) => {
      const [decision] = await cell.ports.store.decisions.findByThread(threadId);
      assert.equal(decision?.status, 'pending', 'the question is stored, answerable in the hub');
      if (!decision.slack) {
        // The poller's reconcile posts the cards their creator could not.
        cell.ports.advance(120_000);
        await pollOnce(cell.ports.deps, `cards-${cell.repo}`);
      }
      const after = (await cell.ports.store.decisions.get(decision.id)) as Decision;
      assert.ok(after.slack, 'the card is posted in the end');
      assert.ok(cell.stack.slack.message(after.slack.channel, after.slack.ts));
    },
    cleanup: (_cell, { approval }) => {
      if (approval.status === 'pending') approval.status = 'rejected';
    },
  }),
  step({
    service: 'slack',
    name: 'worker: update the card after the merge',
    routes: ['chat.update'],
    notice: 'card',
    arrange: (cell) => decidedMerge(cell, 'merge'),
    act: (cell, { message }) => runEffect(cell, message),
    verify: async (cell, { pr, decision }) => {
      const stored = (await cell.ports.store.decisions.get(decision.id)) as Decision;
      assert.equal(stored.effect?.status, 'done', 'the merge is recorded whatever the card update did');
      assert.equal(successfulPatches(cell, pr.id), 1, 'merged once');
    },
  }),
  step({
    service: 'slack',
    name: 'StageRelease: the staged notification',
    routes: ['chat.postMessage'],
    notice: 'notify',
    arrange: async (cell) => mergedPr(cell),
    act: (cell, { pr }) =>
      attempt(async () => {
        const outcome = await stageRelease(stageDeps(cell), stageInput(cell, pr.mergeCommit));
        assert.equal(outcome.kind, 'staged');
        return {
          result: outcome.kind === 'staged' && outcome.warnings.length > 0 ? 'degraded' : 'recovered',
          message: outcome.kind === 'staged' ? outcome.warnings.join('; ') : '',
        };
      }),
    verify: async (cell, { ticket }) => {
      const staging = await cell.ports.store.staging.get(cell.repo);
      assert.deepEqual(
        staging?.tickets.map((staged) => staged.key),
        [ticket.key],
        'staged whatever Slack did',
      );
    },
  }),
  step({
    service: 'slack',
    name: 'ReleasePullRequest create: the release PR card',
    routes: ['chat.postMessage'],
    notice: 'notify',
    arrange: async (cell) => plannedRelease(cell),
    act: (cell, { version }) =>
      attempt(async () =>
        fromReport(
          releasePrReport(await createReleasePullRequest(releaseDeps(cell), branches(cell, version))),
        ),
      ),
    verify: async (cell, { version }) => {
      const state = await releaseThread(cell, version);
      assert.ok(state.releasePrId, 'the release PR is recorded whatever Slack did');
    },
  }),
  step({
    service: 'slack',
    name: 'RunPipelines: the pipelines finished card',
    routes: ['chat.postMessage'],
    notice: 'notify',
    arrange: releasePrMerged,
    act: (cell, { version }) =>
      attempt(async () => fromReport(runPipelinesReport(await runReleasePipelines(cell, version)))),
    verify: async (cell, { version }) => {
      assert.equal(((await releaseThread(cell, version)).pipelineRuns ?? []).length, 2);
    },
  }),
  step({
    service: 'slack',
    name: 'CompleteRelease: the release notification',
    routes: ['chat.postMessage'],
    notice: 'notify',
    arrange: async (cell) => plannedRelease(cell),
    act: (cell, { version }) =>
      attempt(async () =>
        fromReport(
          completeReleaseReport(
            await completeRelease(
              { ...cell.ports.release, jira: cell.ports.jira },
              {
                repo: cell.repo,
                version,
                doneStatus: 'Done',
                workflow: DEFAULT_WORKFLOW,
                jiraVersion: false,
              },
            ),
          ),
        ),
      ),
    verify: async (cell, { version }, outcome) => {
      const archived = await cell.ports.store.releases.get(cell.repo, version);
      assert.ok(archived, 'archived whatever Slack did');
      assert.equal(await cell.ports.store.staging.get(cell.repo), undefined);
      const state = await releaseThread(cell, version);
      if (outcome.result === 'degraded') assert.equal(state.notifiedAt, undefined, 'not marked as announced');
    },
  }),
  step({
    service: 'slack',
    name: 'Notify: the failure notice',
    routes: ['chat.postMessage'],
    notice: 'log',
    arrange: async () => undefined,
    act: async (cell) => {
      // The notice of a failed run must never fail the run further: it throws nothing.
      const outcome = await notifyFailure(
        { ...notifyContext(cell), slack: cell.ports.slack, channel: cell.stack.slackChannel },
        { step: 'StageRelease', message: 'azure-devops answered 503', repo: cell.repo },
      );
      return outcome.kind === 'posted'
        ? { result: 'recovered', message: 'posted' }
        : { result: 'degraded', message: outcome.kind === 'not-posted' ? outcome.warning : 'no Slack' };
    },
    verify: async () => undefined,
  }),
  step({
    service: 'slack',
    name: 'review: the changes-requested notice',
    routes: ['chat.postMessage'],
    notice: 'notify',
    arrange: async (cell) => {
      const ticket = issue(cell);
      return { ticket, ...openPr(cell, `feature/${ticket.key}_changes`, 'Changes [sim:request_changes]') };
    },
    act: (cell, { pr, cwd }) =>
      attempt(async () => {
        const outcome = await reviewOnce(cell, pr.id, cwd);
        return {
          result: outcome.warnings.length > 0 ? 'degraded' : 'recovered',
          message: outcome.warnings.join('; '),
        };
      }),
    verify: async (cell, { pr, ticket }) => {
      const record = await cell.ports.store.reviews.get(cell.repo, pr.id, pr.sourceCommit);
      assert.equal(record?.verdict, 'request_changes', 'the review is recorded whatever Slack did');
      assert.equal(ticket.comments.length, 1, 'the Jira comment is made');
    },
  }),
];

// ---- the checks every case gets ----

const SERVICE_NAME: Record<Service, RegExp> = {
  'azure-devops': /azure-devops/,
  jira: /jira/i,
  slack: /slack/i,
};
const UNCLEAN_TEXT = /TypeError|ReferenceError|Cannot read|is not a function|undefined is not|\n\s+at /;

async function checkNotice(cell: Cell, step: Step<unknown>, outcome: Outcome): Promise<void> {
  if (outcome.result === 'failed' || outcome.result === 'degraded')
    assert.match(outcome.message, SERVICE_NAME[cell.service], 'the message names the service');
  assert.doesNotMatch(outcome.message, UNCLEAN_TEXT);
  if (outcome.result !== 'failed') return;
  if (step.notice === 'notify') {
    // What the pipelines' `condition: failed()` Notify step does with the task's message, while the
    // fault still holds: a Slack card, or (Slack being the one down) a warning, never a throw.
    const notice = await notifyFailure(
      { ...notifyContext(cell), slack: cell.ports.slack, channel: cell.stack.slackChannel },
      { step: step.name, message: outcome.message, repo: cell.repo },
    );
    if (notice.kind === 'posted') {
      const posted = cell.stack.slack.message(notice.channel ?? '', notice.ts ?? '');
      assert.match(posted?.text ?? '', /Failed/);
    } else {
      assert.equal(notice.kind, 'not-posted', 'the cell has a Slack connection');
      const warning = notice.kind === 'not-posted' ? notice.warning : '';
      assert.equal(cell.service, 'slack', `the failure notice was not posted: ${warning}`);
      assert.match(warning, /slack/i);
    }
  }
  if (step.notice === 'card' && cell.service !== 'slack') {
    // The decision holds the failure, and its card shows it (Slack is up: the worker redrew it).
    let shown = 0;
    for (const row of Object.values((await snapshotStore(cell.ports.tables)).Decisions ?? {})) {
      const decision = decodeValue<Decision>(row);
      if (decision?.effect?.status !== 'failed' || !decision.slack) continue;
      const card = cell.stack.slack.message(decision.slack.channel, decision.slack.ts);
      assert.match(`${card?.text}\n${JSON.stringify(card?.blocks)}`, /fail/i, 'the card shows the failure');
      shown++;
    }
    assert.ok(shown > 0, 'the failed effect is on its card');
  }
}

/** Product invariants over the whole store, checked after every case with the faults gone. */
async function checkInvariants(cell: Cell, snapshot: Snapshot): Promise<void> {
  const { store } = cell.ports;
  const now = cell.ports.deps.now().getTime();
  for (const row of Object.values(snapshot.Decisions ?? {})) {
    const decision = decodeValue<Decision>(row);
    if (decision?.effect?.status === 'queued')
      assert.ok(
        cell.queued.has(decision.id),
        `decision ${decision.id} left 'queued' without a queue message`,
      );
  }
  const staging = await store.staging.get(cell.repo);
  const latest = await store.releases.latest(cell.repo);
  if (staging && latest)
    assert.equal(compareVersions(staging.version, latest.version), 1, 'staging is ahead of the last release');
  for (const review of await store.reviews.list({ repo: cell.repo })) {
    const pr = cell.stack.azdo.pullRequests.get(review.prId);
    assert.ok(pr?.statuses.length, `review of PR ${review.prId} recorded without its PR status`);
  }
  for (const [key, row] of Object.entries(snapshot.Inbox ?? {})) {
    const claim = decodeKeyPart(key.split('|')[0] ?? '');
    if (!claim.startsWith('pr-run|') || Date.parse(row.expiresAt ?? '') <= now) continue;
    const [, repo, prId, commit] = claim.split('|');
    const thread = await store.threads.getOf('pr', prThreadId(cell.repo, Number(prId)));
    const runs = (thread?.state.queuedRuns ?? []).map((run) => run.sourceCommit);
    assert.ok(
      runs.includes(commit ?? ''),
      `a live claim to queue the run of ${repo} PR ${prId} holds off every other delivery, and no run was queued`,
    );
  }
}

interface CaseResult {
  name: string;
  outcome: Outcome | undefined;
  problem: string | undefined;
}

async function runCase(
  stack: Stack,
  definition: Step<unknown>,
  kind: KindName,
  duration: Duration,
): Promise<CaseResult> {
  const name = `${definition.service} / ${definition.name} / ${kind} / ${duration}`;
  const repo = uniqueRepo('Billo.Faults');
  const ports = portsFor(stack, {
    WATCHED_REPOS: repo,
    PR_POLL_ENABLED: 'true',
    PR_PIPELINE_ID: String(PIPELINES.pr.id),
  });
  const cell: Cell = {
    stack,
    ports,
    repo,
    service: definition.service,
    kind,
    duration,
    folders: [],
    queued: new Set(),
  };
  const simulator = { 'azure-devops': stack.azdo.server, jira: stack.jira.server, slack: stack.slack.server }[
    definition.service
  ];
  let outcome: Outcome | undefined;
  let state: unknown;
  try {
    state = await definition.arrange(cell);
    for (const route of definition.routes)
      simulator.addFault({ ...KINDS[kind], route, times: DURATIONS[duration] });
    try {
      outcome = await definition.act(cell, state);
      await checkNotice(cell, definition, outcome);
    } finally {
      simulator.clearFaults();
    }
    // Requests the client gave up on still land: let them, so the checks see the final state (and
    // the next case on this stack does not).
    if (kind === 'timeout') {
      const deadline = Date.now() + (KINDS.timeout.delayMs ?? 0) * 4 + 5_000;
      while ([...simulator.delayed.values()].some((held) => held > 0)) {
        if (Date.now() > deadline) throw new Error('a delayed request never landed');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
    await definition.verify(cell, state, outcome);
    await checkInvariants(cell, await snapshotStore(ports.tables));
    return { name, outcome, problem: undefined };
  } catch (error) {
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    return { name, outcome, problem: `${detail}\n  outcome: ${JSON.stringify(outcome)}` };
  } finally {
    simulator.clearFaults();
    if (state !== undefined) definition.cleanup?.(cell, state);
    for (const folder of cell.folders) rmSync(folder, { recursive: true, force: true });
  }
}

describe('reliability: faults of the outside services during every flow step', () => {
  const stacks: Stack[] = [];
  const results: CaseResult[] = [];
  let started = 0;
  let elapsed = 0;

  before(async () => {
    for (let index = 0; index < WORKERS; index++) stacks.push(await startReliabilityStack());
  });
  after(async () => {
    for (const stack of stacks) await stack.stop();
    if (results.length === 0) return;
    const count = (result: Outcome['result']) =>
      results.filter((item) => item.outcome?.result === result && !item.problem).length;
    const perService = (['azure-devops', 'jira', 'slack'] as const)
      .map((service) => `${service} ${STEPS.filter((item) => item.service === service).length}`)
      .join(', ');
    const clean = results.filter((item) => !item.problem).length;
    // RELIABILITY_DETAIL=1 lists every case with its outcome.
    if (process.env.RELIABILITY_DETAIL)
      for (const item of results)
        console.log(
          `    ${item.name}: ${item.outcome?.result ?? 'no outcome'}: ${item.outcome?.message.slice(0, 300)}`,
        );
    console.log(
      `  fault matrix: ${STEPS.length} steps (${perService}) × ${Object.keys(KINDS).length} kinds (${Object.keys(KINDS).join(', ')}) × ${Object.keys(DURATIONS).length} durations (once, throughout) = ${results.length} cases: ` +
        `${clean} recovered or failed cleanly (${count('recovered')} recovered, ${count('degraded')} recovered with a warning, ${count('failed')} failed cleanly), ${results.length - clean} not, in ${Math.round(elapsed / 100) / 10} s`,
    );
  });

  it('every case recovers within the retry bounds or fails cleanly, and leaves the store whole', async function () {
    this.timeout(240_000);
    started = Date.now();
    const cases = STEPS.flatMap((definition) =>
      (Object.keys(KINDS) as KindName[]).flatMap((kind) =>
        (Object.keys(DURATIONS) as Duration[]).map((duration) => ({ definition, kind, duration })),
      ),
    );
    results.push(
      ...(await pool(cases, stacks, (item, stack) =>
        runCase(stack, item.definition, item.kind, item.duration),
      )),
    );
    elapsed = Date.now() - started;
    const problems = results.filter((item) => item.problem);
    assert.equal(
      problems.length,
      0,
      `${problems.length} of ${results.length} cases did not recover or fail cleanly:\n\n${problems
        .slice(0, 12)
        .map((item) => `${item.name}\n  ${item.problem}`)
        .join('\n\n')}`,
    );
    // Transient 429s carry Retry-After: every step rides them out.
    for (const item of results.filter((result) => result.name.endsWith('/ 429 / transient')))
      assert.notEqual(item.outcome?.result, 'failed', `${item.name}: ${item.outcome?.message}`);
  });
});

describe('reliability: faults during task runs, as the agent runs the bundles', () => {
  let stack: Stack;
  before(async () => {
    stack = await startReliabilityStack();
  });
  after(() => stack?.stop());

  it('StageRelease with Azure DevOps failing 500 throughout: Failed naming the service, staging untouched', async function () {
    this.timeout(60_000);
    const repo = uniqueRepo('Billo.TaskFaults');
    stack.azdo.seedRepository({ name: repo, defaultBranch: 'main', branches: ['develop'] });
    stack.azdo.pushCommit(repo, 'feature/ALLPOST-9_task', { message: 'x' });
    const pr = stack.azdo.createPullRequestAsUser({
      repository: repo,
      sourceRefName: 'refs/heads/feature/ALLPOST-9_task',
      targetRefName: 'refs/heads/develop',
      title: 'Task fault',
    });
    stack.azdo.completePullRequest(pr, stack.azdo.users.approver, { mergeStrategy: 'squash' });
    stack.azdo.addFault({ route: 'Pull Request Query_Get', kind: 'status', status: 500, times: 1_000 });
    try {
      const run = await runAgentTask(stack, 'StageRelease', {
        variables: { 'Build.Repository.Name': repo, 'Build.SourceVersion': pr.mergeCommit },
      });
      assertResult(run, 'Failed', /^\[SERVICE_HTTP\] azure-devops queryPullRequestsByCommit answered 500/);
      assert.doesNotMatch(run.stderr, /\n\s+at /);
    } finally {
      stack.azdo.clearFaults();
    }
    assert.equal(await stack.store.staging.get(repo), undefined);
  });

  it('JiraTicket transition with one 429 (Retry-After: 1): Succeeded', async function () {
    this.timeout(60_000);
    const ticket = stack.jira.state.createIssue({
      project: 'ALLPOST',
      summary: 'Throttled',
      status: 'In Progress',
    });
    stack.jira.addFault({
      route: 'doTransition',
      kind: 'status',
      status: 429,
      retryAfterSeconds: 1,
      times: 1,
    });
    try {
      const run = await runAgentTask(stack, 'JiraTicket', {
        inputs: { action: 'transition', ticketKey: ticket.key, status: 'Code Review' },
      });
      assertResult(run, 'Succeeded');
    } finally {
      stack.jira.clearFaults();
    }
    assert.equal(ticket.status, 'Code Review');
    assert.ok(
      stack.jira.requestLog.some((entry) => entry.operation === 'doTransition' && entry.status === 429),
    );
  });

  it('ReleasePullRequest create with Slack resetting every connection: SucceededWithIssues, the PR recorded', async function () {
    this.timeout(60_000);
    const repo = uniqueRepo('Billo.TaskFaults');
    stack.azdo.seedRepository({ name: repo, defaultBranch: 'main', branches: ['develop'] });
    stack.azdo.pushCommit(repo, 'develop', { message: 'Merged PR 1' });
    const at = new Date().toISOString();
    await stack.store.staging.update(repo, () => ({
      repo,
      version: '1.0.0',
      startedAt: at,
      updatedAt: at,
      tickets: [{ key: 'ALLPOST-1', summary: 'One', prIds: [1], bump: 'patch', addedAt: at }],
    }));
    stack.slack.server.addFault({ route: 'chat.postMessage', kind: 'reset', times: 1_000 });
    let result: Awaited<ReturnType<typeof runReleaseTask>>;
    try {
      result = await runReleaseTask(stack, 'ReleasePullRequest', repo, {
        action: 'create',
        version: '1.0.0',
      });
    } finally {
      stack.slack.server.clearFaults();
    }
    assert.equal(result.result, 'SucceededWithIssues', `${result.resultMessage}\n${result.stderr}`);
    assert.match(result.resultMessage ?? '', /the Slack notification failed/);
    const thread = await stack.store.threads.getOf('release', releaseThreadId(repo, '1.0.0'));
    assert.ok(thread?.state.releasePrId);
  });
});
