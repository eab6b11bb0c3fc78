// The scripted release cycle `npm start` plays on a started sandbox. The script only does what people
// do (push, open a PR, press a Slack button, answer in the Azure DevOps UI, call the API as an operator)
// and fires the poller's timer where the script is about the poller; everything else is the product:
// service hooks to the function app, the PR pipeline it queues, the real task bundles run from the YAML
// templates by the agent pool, the queue worker completing PRs and answering approvals, Slack cards
// updated in place. Each step waits for its effect with a bounded wait and names what it waited for.
import { buttonsOf } from './sim/slack/blocks.ts';
import type { SimMessage } from './sim/slack/slack-simulator.ts';
import { GATE_ACTIONS } from '../core/gates.ts';
import type { Decision, GateKind } from '../core/model.ts';
import { prThreadId, releaseThreadId } from '../flows/threads.ts';
import type { AgentRunRecord, PoolEvent } from './agent/pool.ts';
import { SandboxError, waitUntil } from './errors.ts';
import type { PipelineRunOutcome, StepRecord } from './pipeline-runner.ts';
import { DOCUMENT, type DemoRepo, PAYMENT, PIPELINE_IDS, type Sandbox } from './sandbox.ts';

/**
 * How long one step may wait (a run to finish, a card to appear) before the cycle fails. Steps take a
 * few seconds; the margin is for a loaded machine (a CI host running other suites), not for speed.
 */
const STEP_TIMEOUT_MS = 60_000;

export type Actor =
  | 'sandbox'
  | 'person'
  | 'azure-devops'
  | 'function-app'
  | 'agent'
  | 'slack'
  | 'jira'
  | 'operator';

export interface CycleLine {
  actor: Actor;
  text: string;
  /** Milliseconds since the cycle started. */
  atMs: number;
}

export interface CycleSummary {
  versions: {
    repo: string;
    version: string;
    state: 'released' | 'staging';
    tag?: string;
    tickets: string[];
  }[];
  tickets: { key: string; summary: string; type: string; status: string }[];
  decisions: { gate: number; subject: string; status: string; by?: string; via?: string }[];
  slack: { messages: number; firstLines: string[] };
  runs: { id: number; pipeline: string; result: string }[];
  /** The cycle itself (after the sandbox was up). */
  cycleMs: number;
}

export interface CycleFacts {
  prs: { chore: number; login: number; pdf: number; release?: number };
  storyKey?: string;
  releaseVersion?: string;
  documentVersion?: string;
  releaseRunId?: number;
  releaseThreadId?: string;
}

export interface CycleResult {
  ok: boolean;
  /** The step that failed and why. */
  failedStep?: string;
  error?: { code: string; message: string };
  lines: CycleLine[];
  facts: CycleFacts;
  summary?: CycleSummary;
}

export interface CycleOptions {
  print?: (line: string) => void;
  /** Bound of every wait (default 20 s). */
  stepTimeoutMs?: number;
  signal?: AbortSignal;
}

const short = (commit: string | undefined) => (commit ?? '').slice(0, 7);
const firstLine = (text: string) => text.split('\n')[0] ?? '';

export function formatLine(line: Pick<CycleLine, 'actor' | 'text'>): string {
  return `[${line.actor}] ${line.text}`;
}

/** One progress line for an agent-pool event, or undefined for the ones not worth a line. */
export function describeAgentEvent(event: PoolEvent): Pick<CycleLine, 'actor' | 'text'> | undefined {
  switch (event.type) {
    case 'ci-queued':
      return {
        actor: 'azure-devops',
        text: `CI trigger: push to ${event.branch.replace('refs/heads/', '')} of ${event.pipeline.repo} (${short(event.commit)}) queued run ${event.runId} of ${event.pipeline.name}`,
      };
    case 'run-started':
      // The step lines say which run they belong to; who queued it has its own line.
      return undefined;
    case 'stage-skipped':
      return event.stage === '__default'
        ? undefined
        : { actor: 'agent', text: `run ${event.runId} stage ${event.stage} skipped: ${event.reason}` };
    case 'approval-pending':
      return {
        actor: 'azure-devops',
        text: `run ${event.runId} stage ${event.stage} waits for the approval check of environment ${event.environment}`,
      };
    case 'approval-decided':
      return {
        actor: 'azure-devops',
        text: `approval on ${event.environment} ${event.status}${event.by ? ` by ${event.by}` : ''}: run ${event.runId} goes on`,
      };
    case 'run-finished':
      return {
        actor: 'azure-devops',
        text: `run ${event.runId} ${event.pipeline.name} ${event.result} (build ${event.buildNumber})`,
      };
    case 'run-error':
      return { actor: 'agent', text: `run ${event.runId} stopped: ${event.error.message}` };
    case 'step-finished':
      return describeStep(event.runId, event.step);
  }
}

function describeStep(runId: number, step: StepRecord): Pick<CycleLine, 'actor' | 'text'> | undefined {
  if (step.result === 'Skipped' || step.kind === 'checkout' || step.kind === 'download') return undefined;
  if (step.kind === 'script')
    return { actor: 'agent', text: `run ${runId} ${step.displayName}: ${step.message}` };
  const label = `${step.task}${step.action ? ` ${step.action}` : ''}`;
  const flag = step.result === 'Succeeded' ? '' : ` [${step.result}]`;
  if (step.task === 'ReviewPullRequest' && step.outputs.verdict) {
    const findings = Number(step.outputs.findingsCount ?? 0);
    return {
      actor: 'agent',
      text: `run ${runId} ${label} → ${step.outputs.verdict} (${findings} finding${findings === 1 ? '' : 's'}, $${step.outputs.costUsd})${flag}`,
    };
  }
  return { actor: 'agent', text: `run ${runId} ${label} → ${step.message ?? step.result}${flag}` };
}

class Cycle {
  readonly lines: CycleLine[] = [];
  readonly facts: CycleFacts = { prs: { chore: 0, login: 0, pdf: 0 } };
  current = 'start';
  readonly started = Date.now();

  constructor(
    readonly sandbox: Sandbox,
    readonly options: CycleOptions,
  ) {}

  say(actor: Actor, text: string): void {
    const line = { actor, text, atMs: Date.now() - this.started };
    this.lines.push(line);
    this.options.print?.(formatLine(line));
  }

  async step<T>(name: string, body: () => Promise<T>): Promise<T> {
    this.current = name;
    return await body();
  }

  wait<T>(
    what: string,
    check: () => T | undefined | false | Promise<T | undefined | false>,
    timeoutMs?: number,
  ): Promise<T> {
    return waitUntil(check, what, {
      timeoutMs: timeoutMs ?? this.options.stepTimeoutMs ?? STEP_TIMEOUT_MS,
      intervalMs: 25,
      ...(this.options.signal ? { signal: this.options.signal } : {}),
    });
  }

  fail(message: string, fields: Record<string, string | number> = {}): never {
    throw new SandboxError('STEP_FAILED', message, fields);
  }

  get store() {
    return this.sandbox.stack.store;
  }

  get azdo() {
    return this.sandbox.stack.azdo;
  }

  get slack() {
    return this.sandbox.stack.slack;
  }

  userName(id: string | undefined): string {
    return this.slack.users.find((user) => user.id === id)?.name ?? id ?? 'someone';
  }

  /** The function app queued the PR pipeline for this commit; checks who discovered it (webhook or poller). */
  async discovered(
    repo: DemoRepo,
    prId: number,
    commit: string,
    via: 'webhook' | 'poller',
  ): Promise<AgentRunRecord> {
    const threadId = prThreadId(repo, prId);
    const queued = await this.wait(
      `the function app to queue the PR pipeline for PR #${prId} at ${short(commit)}`,
      async () => {
        const thread = await this.store.threads.getOf('pr', threadId);
        return thread?.state.queuedRuns?.find((run) => run.sourceCommit === commit);
      },
    );
    // The flow writes the thread's state first and its audit entry right after: wait for both.
    const audit = await this.wait(`the audit entry of run ${queued.runId}`, async () =>
      (await this.store.audit.list({ subject: threadId, action: 'pr.run-queued' })).find(
        (entry) => entry.detail?.runId === queued.runId,
      ),
    );
    if (audit.actor !== `release-agent:${via}`)
      this.fail(`PR #${prId} was expected to be discovered by the ${via}, the audit says ${audit.actor}`, {
        prId,
      });
    this.say(
      'function-app',
      `PR #${prId} discovered by the ${via}, PR pipeline queued (run ${queued.runId})`,
    );
    return await this.sandbox.pool.waitForRun(
      (record) => record.runId === queued.runId,
      `the agent to pick up run ${queued.runId}`,
      this.options.stepTimeoutMs ?? STEP_TIMEOUT_MS,
    );
  }

  async finished(record: AgentRunRecord, expected: 'succeeded' | 'failed'): Promise<PipelineRunOutcome> {
    const outcome = await this.sandbox.pool.finished(record, this.options.stepTimeoutMs ?? STEP_TIMEOUT_MS);
    if (outcome.result !== expected) {
      const failed = outcome.steps.find((step) => step.result === 'Failed');
      this.fail(
        `run ${record.runId} (${record.definition.name}) ended ${outcome.result}, expected ${expected}${failed ? `: ${failed.displayName}: ${failed.message}` : ''}`,
        { runId: record.runId },
      );
    }
    return outcome;
  }

  output(outcome: PipelineRunOutcome, task: string, name: string): string | undefined {
    return outcome.steps.filter((step) => step.task === task).at(-1)?.outputs[name];
  }

  /** The pending decision of `gate` on `threadId` once its Slack card is posted. */
  async card(
    threadId: string,
    gate: GateKind,
    what: string,
  ): Promise<Decision & { slack: { channel: string; ts: string } }> {
    const decision = await this.wait(`the gate ${GATE_ACTIONS[gate].number} card for ${what}`, async () =>
      (await this.store.decisions.findByThread(threadId)).find(
        (candidate): candidate is Decision & { slack: { channel: string; ts: string } } =>
          candidate.gate === gate && candidate.status === 'pending' && candidate.slack !== undefined,
      ),
    );
    const message = this.slack.message(decision.slack.channel, decision.slack.ts);
    if (!message || buttonsOf(message.blocks).length !== 2)
      this.fail(`the gate ${GATE_ACTIONS[gate].number} card of ${what} has no buttons`);
    this.say('slack', `gate ${GATE_ACTIONS[gate].number} card posted: "${firstLine(message.text)}"`);
    return decision;
  }

  /** A person presses the card's approve button in Slack: the simulator sends the signed block_actions request. */
  async press(
    decision: Decision & { slack: { channel: string; ts: string } },
    userId: string,
  ): Promise<void> {
    const spec = GATE_ACTIONS[decision.gate];
    const delivery = await this.slack.click({
      channel: decision.slack.channel,
      ts: decision.slack.ts,
      actionId: spec.approve.actionId,
      userId,
    });
    if (delivery.status !== 200)
      this.fail(
        `the function app answered ${delivery.status ?? 'nothing'} to the ${spec.approve.label} press: ${delivery.error ?? ''}`,
      );
    this.say(
      'person',
      `pressed ${spec.approve.label} in Slack as ${userId} (${this.userName(userId)}): signed request answered 200 in ${delivery.durationMs} ms`,
    );
  }

  /** The decision's effect is done and its card redrawn without buttons. */
  async settled(decisionId: string, what: string): Promise<{ decision: Decision; message: SimMessage }> {
    return await this.wait(`${what} to be carried out and its card updated`, async () => {
      const decision = await this.store.decisions.get(decisionId);
      if (!decision?.slack || decision.status === 'pending' || decision.effect?.status !== 'done')
        return undefined;
      const message = this.slack.message(decision.slack.channel, decision.slack.ts);
      return message?.edited && buttonsOf(message.blocks).length === 0 ? { decision, message } : undefined;
    });
  }

  async prCompleted(repo: DemoRepo, prId: number, reviewedCommit: string): Promise<string> {
    const pr = await this.wait(`PR #${prId} to be completed`, () => {
      const found = this.azdo.pullRequests.get(prId);
      return found?.status === 'completed' ? found : undefined;
    });
    const merge = this.azdo.repository(repo).commits.get(pr.mergeCommit);
    if (!merge?.parents.includes(reviewedCommit))
      this.fail(`PR #${prId} was not merged at the reviewed commit ${short(reviewedCommit)}`, { prId });
    return pr.mergeCommit;
  }

  async ciRun(repo: DemoRepo, mergeCommit: string): Promise<PipelineRunOutcome> {
    const record = await this.sandbox.pool.waitForRun(
      (candidate) => candidate.definition.id === PIPELINE_IDS[repo].ci && candidate.version === mergeCommit,
      `the develop CI run of ${repo} for ${short(mergeCommit)}`,
      this.options.stepTimeoutMs ?? STEP_TIMEOUT_MS,
    );
    return await this.finished(record, 'succeeded');
  }

  /** One PR from push to staging, gate 1 answered in Slack by `userId`. */
  async mergeThroughGateOne(
    repo: DemoRepo,
    prId: number,
    reviewedCommit: string,
    userId: string,
  ): Promise<PipelineRunOutcome> {
    const decision = await this.step(`gate 1 card of PR #${prId}`, () =>
      this.card(prThreadId(repo, prId), 'merge_pr', `PR #${prId}`),
    );
    if (decision.target.gate !== 'merge_pr' || decision.target.sourceCommit !== reviewedCommit)
      this.fail(
        `the gate 1 card of PR #${prId} is not bound to the reviewed commit ${short(reviewedCommit)}`,
      );
    await this.step(`press Merge on PR #${prId}`, () => this.press(decision, userId));
    const mergeCommit = await this.step(`PR #${prId} completes`, async () => {
      const merge = await this.prCompleted(repo, prId, reviewedCommit);
      const { message } = await this.settled(decision.id, `the merge of PR #${prId}`);
      this.say(
        'function-app',
        `worker completed PR #${prId} at the reviewed commit ${short(reviewedCommit)} (merge ${short(merge)}); card updated: "${firstLine(message.text)}"`,
      );
      return merge;
    });
    return await this.step(`develop CI of PR #${prId}`, () => this.ciRun(repo, mergeCommit));
  }

  /** A release gate (2–5): its card, then the answer by `answer`. */
  async releaseGate(
    threadId: string,
    gate: GateKind,
    label: string,
    answer: (decision: Decision & { slack: { channel: string; ts: string } }) => Promise<void>,
  ): Promise<void> {
    const decision = await this.step(`gate ${GATE_ACTIONS[gate].number} card (${label})`, () =>
      this.card(threadId, gate, label),
    );
    await this.step(`answer gate ${GATE_ACTIONS[gate].number} (${label})`, () => answer(decision));
    await this.step(`gate ${GATE_ACTIONS[gate].number} carried out (${label})`, async () => {
      const approvalId = 'approvalId' in decision.target ? decision.target.approvalId : '';
      await this.wait(
        `the approval of ${label} to be approved in Azure DevOps`,
        () => this.azdo.approvals.get(approvalId)?.status === 'approved',
      );
      const { decision: done, message } = await this.settled(
        decision.id,
        `gate ${GATE_ACTIONS[gate].number} (${label})`,
      );
      this.say(
        'slack',
        `gate ${GATE_ACTIONS[gate].number} card updated in place (${done.decidedVia}, by ${done.decidedBy}): "${firstLine(message.text)}"`,
      );
    });
  }
}

export async function runCycle(sandbox: Sandbox, options: CycleOptions = {}): Promise<CycleResult> {
  const cycle = new Cycle(sandbox, options);
  const unsubscribe = sandbox.onAgentEvent((event) => {
    const line = describeAgentEvent(event);
    if (line) cycle.say(line.actor, line.text);
  });
  try {
    await playCycle(cycle);
    const summary = await summarize(cycle);
    return { ok: true, lines: cycle.lines, facts: cycle.facts, summary };
  } catch (error) {
    const code = error instanceof SandboxError ? error.code : ((error as { code?: string }).code ?? 'ERROR');
    const message = error instanceof Error ? error.message : String(error);
    const summary = await summarize(cycle).catch(() => undefined);
    return {
      ok: false,
      failedStep: cycle.current,
      error: { code, message },
      lines: cycle.lines,
      facts: cycle.facts,
      ...(summary ? { summary } : {}),
    };
  } finally {
    unsubscribe();
  }
}

async function playCycle(cycle: Cycle): Promise<void> {
  const { sandbox } = cycle;
  const { azdo, jira } = sandbox.stack;
  const author = azdo.users.author;

  // ---- 1. A chore without a ticket: the AI writes the Story, gate 1 in Slack, staged. ----
  const pr1 = await cycle.step('open PR #1 (chore/update-dependencies)', async () => {
    const commit = sandbox.push(PAYMENT, 'chore/update-dependencies', 'chore: update express and zod', {
      '/package.json': `${JSON.stringify({ name: 'billo-platform-payment', version: '0.0.0', dependencies: { express: '4.21.2', zod: '3.25.76' } }, null, 2)}\n`,
      '/src/http-client.ts':
        'export const TIMEOUT_MS = 10_000;\nexport function withTimeout(signal?: AbortSignal): AbortSignal {\n  return signal ?? AbortSignal.timeout(TIMEOUT_MS);\n}\n',
    });
    cycle.say(
      'person',
      `${author.displayName} pushed chore/update-dependencies to ${PAYMENT} (${short(commit)})`,
    );
    const pr = azdo.createPullRequestAsUser({
      repository: PAYMENT,
      sourceRefName: 'refs/heads/chore/update-dependencies',
      targetRefName: 'refs/heads/develop',
      title: 'Update dependencies',
      description: 'Routine dependency update: express 4.21, zod 3.25, and a shared request timeout.',
    });
    cycle.facts.prs.chore = pr.id;
    cycle.say(
      'azure-devops',
      `PR #${pr.id} opened in ${PAYMENT} from chore/update-dependencies into develop (no ticket key)`,
    );
    return { id: pr.id, commit };
  });
  const run1 = await cycle.step(`PR pipeline of PR #${pr1.id}`, async () => {
    const record = await cycle.discovered(PAYMENT, pr1.id, pr1.commit, 'webhook');
    return await cycle.finished(record, 'succeeded');
  });
  await cycle.step(`the AI-written Story of PR #${pr1.id}`, async () => {
    const key = cycle.output(run1, 'JiraTicket', 'ticketKey');
    const issue = key ? jira.state.issue(key) : undefined;
    if (!issue || cycle.output(run1, 'JiraTicket', 'ticketCreated') !== 'true' || issue.issueType !== 'Story')
      cycle.fail(`PR #${pr1.id} should have got a new Story, got ${key ?? 'no ticket'}`);
    cycle.facts.storyKey = issue.key;
    cycle.say(
      'jira',
      `${issue.key} (${issue.issueType}) "${issue.summary}" written by Claude from the diff, status ${issue.status}`,
    );
    if (cycle.output(run1, 'ReviewPullRequest', 'verdict') !== 'approve')
      cycle.fail(`the review of PR #${pr1.id} did not approve`);
  });
  const ci1 = await cycle.mergeThroughGateOne(PAYMENT, pr1.id, pr1.commit, 'U0SANDBOX');
  cycle.say(
    'sandbox',
    `staging of ${PAYMENT}: ${cycle.output(ci1, 'StageRelease', 'ticketKeys')} on ${cycle.output(ci1, 'StageRelease', 'version')}`,
  );

  // ---- 2. A feature with its ticket: changes requested, a fix pushed, approved, merged. ----
  const loginBranch = 'feature/ALLPOST-4028_login-page';
  const pr2 = await cycle.step('open PR #2 (feature/ALLPOST-4028_login-page)', async () => {
    const commit = sandbox.push(PAYMENT, loginBranch, 'Login page with session handling', {
      '/src/login/login-page.ts':
        'export function renderLogin(error?: string): string {\n  return \'<form method="post">\' + (error ?? "") + "</form>";\n}\n',
      '/src/login/session.ts':
        'export function parseSession(cookie: string): string {\n  return cookie.split("=")[1];\n}\n',
    });
    cycle.say('person', `${author.displayName} pushed ${loginBranch} (${short(commit)})`);
    const pr = azdo.createPullRequestAsUser({
      repository: PAYMENT,
      sourceRefName: `refs/heads/${loginBranch}`,
      targetRefName: 'refs/heads/develop',
      title: 'Login page of the payment portal',
      // The claude stand-in answers request_changes for a PR whose text carries this marker.
      description: 'Adds the login page and the session cookie parser.\n\n[sim:request_changes]',
    });
    cycle.facts.prs.login = pr.id;
    cycle.say('azure-devops', `PR #${pr.id} opened from ${loginBranch} (ticket ALLPOST-4028 in the branch)`);
    return { id: pr.id, commit };
  });
  await cycle.step(`first review of PR #${pr2.id}`, async () => {
    const record = await cycle.discovered(PAYMENT, pr2.id, pr2.commit, 'webhook');
    const outcome = await cycle.finished(record, 'failed');
    if (cycle.output(outcome, 'ReviewPullRequest', 'verdict') !== 'request_changes')
      cycle.fail(`the first review of PR #${pr2.id} did not request changes`);
    const notice = await cycle.wait('the changes-requested notice in Slack', () =>
      cycle.slack
        .messages(sandbox.channel)
        .find((message) => /changes requested/i.test(message.text) && message.text.includes(`#${pr2.id}`)),
    );
    cycle.say('slack', `notice posted (no buttons): "${firstLine(notice.text)}"`);
    const comment = jira.state.issue('ALLPOST-4028')?.comments.at(-1);
    if (!comment) cycle.fail('ALLPOST-4028 got no comment with the findings');
    cycle.say(
      'jira',
      `ALLPOST-4028 got a comment with the review findings (status ${jira.state.issue('ALLPOST-4028')?.status})`,
    );
  });
  const fix = await cycle.step(`fix pushed to PR #${pr2.id}`, async () => {
    azdo.updatePullRequestAsUser(PAYMENT, pr2.id, {
      description:
        'Adds the login page and the session cookie parser.\n\nEmpty cookies are rejected with a clear error; covered by tests.',
    });
    const commit = sandbox.push(PAYMENT, loginBranch, 'Reject empty session cookies; tests', {
      '/src/login/session.ts':
        'export function parseSession(cookie: string): string {\n  const value = cookie.split("=")[1];\n  if (!value) throw new Error("empty session cookie: " + JSON.stringify(cookie));\n  return value;\n}\n',
      '/src/login/session.test.ts': 'import { parseSession } from "./session";\nparseSession("sid=1");\n',
    });
    cycle.say(
      'person',
      `${author.displayName} addressed the findings: edited the description and pushed ${short(commit)}`,
    );
    return commit;
  });
  await cycle.step(`second review of PR #${pr2.id}`, async () => {
    const record = await cycle.discovered(PAYMENT, pr2.id, fix, 'webhook');
    const outcome = await cycle.finished(record, 'succeeded');
    if (cycle.output(outcome, 'ReviewPullRequest', 'verdict') !== 'approve')
      cycle.fail(`the second review of PR #${pr2.id} did not approve`);
  });
  const ci2 = await cycle.mergeThroughGateOne(PAYMENT, pr2.id, fix, 'U0RELMGR');
  cycle.say(
    'sandbox',
    `staging of ${PAYMENT}: ${cycle.output(ci2, 'StageRelease', 'ticketKeys')} on ${cycle.output(ci2, 'StageRelease', 'version')}`,
  );

  // ---- 2b. The second repository has no service hook: the poller finds its PR. ----
  const pdfBranch = 'feature/ALLPOST-4030_pdf-export';
  const pr3 = await cycle.step('open PR #3 in the second repository', async () => {
    const commit = sandbox.push(DOCUMENT, pdfBranch, 'PDF export of invoices', {
      '/src/export/pdf-export.ts':
        'import type { Invoice } from "../invoice";\nexport function exportPdf(invoice: Invoice): string {\n  return "invoice " + invoice.number + ": " + invoice.totalCents;\n}\n',
    });
    cycle.say('person', `${author.displayName} pushed ${pdfBranch} to ${DOCUMENT} (${short(commit)})`);
    // Earlier events still on their way must not count as this PR's.
    await azdo.flushDeliveries();
    const deliveriesBefore = azdo.deliveries.length;
    const pr = azdo.createPullRequestAsUser({
      repository: DOCUMENT,
      sourceRefName: `refs/heads/${pdfBranch}`,
      targetRefName: 'refs/heads/develop',
      title: 'PDF export of invoices',
      description: 'Exports an invoice as PDF.',
    });
    cycle.facts.prs.pdf = pr.id;
    await azdo.flushDeliveries();
    if (azdo.deliveries.length !== deliveriesBefore)
      cycle.fail(`a service hook fired for PR #${pr.id}; ${DOCUMENT} should have none`);
    cycle.say(
      'azure-devops',
      `PR #${pr.id} opened in ${DOCUMENT} from ${pdfBranch}: no service hook covers this repository`,
    );
    return { id: pr.id, commit };
  });
  await cycle.step(`the poller discovers PR #${pr3.id}`, async () => {
    await sandbox.host.runTimer('pr-poller');
    cycle.say('function-app', 'timer pr-poller fired (PR discovery and the approvals reconcile)');
    const record = await cycle.discovered(DOCUMENT, pr3.id, pr3.commit, 'poller');
    await cycle.finished(record, 'succeeded');
  });
  const ci3 = await cycle.mergeThroughGateOne(DOCUMENT, pr3.id, pr3.commit, 'U0QA');
  cycle.facts.documentVersion = cycle.output(ci3, 'StageRelease', 'version');
  cycle.say(
    'sandbox',
    `staging of ${DOCUMENT}: ${cycle.output(ci3, 'StageRelease', 'ticketKeys')} on ${cycle.facts.documentVersion}`,
  );

  // ---- 3. The release of the first repository: gates 2–5, pipelines, deploys, done. ----
  const release = await cycle.step(`start the release of ${PAYMENT}`, async () => {
    const staging = await cycle.store.staging.get(PAYMENT);
    if (!staging) cycle.fail(`${PAYMENT} has nothing on staging`);
    const response = await fetch(`${sandbox.host.apiUrl}/manual/release`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-operator-token': sandbox.stack.secrets.operatorToken,
      },
      body: JSON.stringify({ repo: PAYMENT }),
    });
    if (response.status !== 202)
      cycle.fail(`POST /api/manual/release answered ${response.status}: ${await response.text()}`);
    cycle.say(
      'operator',
      `POST /api/manual/release {"repo":"${PAYMENT}"} → 202 (staging holds ${staging.tickets.map((ticket) => ticket.key).join(', ')} as ${staging.version})`,
    );
    const record = await sandbox.pool.waitForRun(
      (candidate) => candidate.definition.id === PIPELINE_IDS[PAYMENT].release,
      'the release pipeline run the function app queues',
      cycle.options.stepTimeoutMs ?? STEP_TIMEOUT_MS,
    );
    cycle.say('function-app', `worker queued the release pipeline (run ${record.runId})`);
    cycle.facts.releaseRunId = record.runId;
    cycle.facts.releaseVersion = staging.version;
    cycle.facts.releaseThreadId = releaseThreadId(PAYMENT, staging.version);
    return { record, version: staging.version, threadId: releaseThreadId(PAYMENT, staging.version) };
  });
  const { threadId, version } = release;
  const pressed = (userId: string) => (decision: Decision & { slack: { channel: string; ts: string } }) =>
    cycle.press(decision, userId);
  await cycle.releaseGate(
    threadId,
    'create_release_pr',
    `create the release PR of ${version}`,
    pressed('U0RELMGR'),
  );
  await cycle.releaseGate(
    threadId,
    'merge_release_pr',
    `merge the release PR of ${version}`,
    pressed('U0RELMGR'),
  );
  await cycle.releaseGate(threadId, 'run_pipelines', `run the pipelines of ${version}`, async (decision) => {
    const response = await fetch(`${sandbox.host.apiUrl}/approvals/${encodeURIComponent(threadId)}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-operator-token': sandbox.stack.secrets.operatorToken,
      },
      body: JSON.stringify({ action: 'trigger', decisionId: decision.id }),
    });
    if (response.status !== 200)
      cycle.fail(`POST /api/approvals/${threadId} answered ${response.status}: ${await response.text()}`);
    cycle.say(
      'operator',
      `POST /api/approvals/${threadId} {"action":"trigger"} with X-Operator-Token → 200 (decided as "operator")`,
    );
  });
  await cycle.releaseGate(threadId, 'approve_stage', 'deploy to sandbox', pressed('U0QA'));
  await cycle.step('production approved in the Azure DevOps UI', async () => {
    const decision = await cycle.card(threadId, 'approve_stage', 'deploy to production');
    const approvalId = 'approvalId' in decision.target ? decision.target.approvalId : '';
    azdo.decideApprovalAsUser(approvalId, 'approved', { comment: 'Checked the sandbox deploy.' });
    cycle.say(
      'person',
      `${azdo.users.approver.displayName} approved environment ${'stage' in decision.target ? decision.target.stage : ''} in the Azure DevOps UI (not in Slack)`,
    );
    const { decision: done, message } = await cycle.wait(
      'the production card to show the answer from Azure DevOps',
      async () => {
        const current = await cycle.store.decisions.get(decision.id);
        const card = current?.slack
          ? cycle.slack.message(current.slack.channel, current.slack.ts)
          : undefined;
        return current?.status === 'approved' &&
          current.decidedVia === 'azdo' &&
          card?.edited &&
          buttonsOf(card.blocks).length === 0
          ? { decision: current, message: card }
          : undefined;
      },
    );
    cycle.say(
      'function-app',
      `approval-completed event: decision settled as ${done.status} by ${done.decidedBy} via Azure DevOps`,
    );
    cycle.say('slack', `production card updated in place: "${firstLine(message.text)}"`);
  });
  const outcome = await cycle.step('the release pipeline completes', () =>
    cycle.finished(release.record, 'succeeded'),
  );
  cycle.facts.prs.release =
    Number(outcome.steps.find((step) => step.action === 'create')?.outputs.pullRequestId ?? 0) || undefined;
  await cycle.step(`${PAYMENT} ${version} released`, async () => {
    const archived = await cycle.store.releases.get(PAYMENT, version);
    if (!archived) cycle.fail(`${PAYMENT} ${version} is not archived`);
    cycle.say(
      'sandbox',
      `archived ${PAYMENT} ${archived.version} (${archived.tag ?? 'no tag'}): ${archived.tickets.map((ticket) => `${ticket.key} ${jira.state.issue(ticket.key)?.status}`).join(', ')}; staging now ${(await cycle.store.staging.get(PAYMENT)) ? 'not empty' : 'empty'}`,
    );
    const notification = cycle.slack
      .messages(sandbox.channel)
      .find((message) => message.text.includes(`${version}`) && /released/i.test(message.text));
    if (!notification) cycle.fail('no release notification in Slack');
    cycle.say('slack', `release notification: "${firstLine(notification.text)}"`);
  });
}

async function summarize(cycle: Cycle): Promise<CycleSummary> {
  const { sandbox } = cycle;
  const { store, jira, azdo, slack } = sandbox.stack;
  const versions: CycleSummary['versions'] = [];
  for (const repo of [PAYMENT, DOCUMENT]) {
    for (const archived of await store.releases.list(repo))
      versions.push({
        repo,
        version: archived.version,
        state: 'released',
        ...(archived.tag ? { tag: archived.tag } : {}),
        tickets: archived.tickets.map((ticket) => ticket.key),
      });
    const staging = await store.staging.get(repo);
    if (staging)
      versions.push({
        repo,
        version: staging.version,
        state: 'staging',
        tickets: staging.tickets.map((ticket) => ticket.key),
      });
  }
  const threads = [
    ...Object.entries(cycle.facts.prs)
      .filter(([name, id]) => name !== 'release' && id)
      .map(([, id]) => {
        const pr = azdo.pullRequests.get(id as number);
        const repo = pr ? (azdo.repositories.get(pr.repositoryId)?.name ?? PAYMENT) : PAYMENT;
        return { id: prThreadId(repo, id as number), subject: `PR #${id}` };
      }),
    ...(cycle.facts.releaseThreadId
      ? [{ id: cycle.facts.releaseThreadId, subject: `release ${cycle.facts.releaseVersion}` }]
      : []),
  ];
  const decisions: CycleSummary['decisions'] = [];
  for (const thread of threads) {
    for (const decision of await store.decisions.findByThread(thread.id)) {
      const stage = decision.target.gate === 'approve_stage' ? ` ${decision.target.stage}` : '';
      const by =
        decision.decidedVia === 'slack'
          ? `${decision.decidedBy} (${cycle.userName(decision.decidedBy)})`
          : decision.decidedBy;
      decisions.push({
        gate: GATE_ACTIONS[decision.gate].number,
        subject: `${thread.subject}${stage}`,
        status: decision.status,
        ...(by ? { by } : {}),
        ...(decision.decidedVia ? { via: decision.decidedVia } : {}),
      });
    }
  }
  const messages = slack.messages(sandbox.channel);
  return {
    versions,
    tickets: jira.state.issues.map((issue) => ({
      key: issue.key,
      summary: issue.summary,
      type: issue.issueType,
      status: issue.status,
    })),
    decisions,
    slack: { messages: messages.length, firstLines: messages.map((message) => firstLine(message.text)) },
    runs: [...azdo.runs.values()].map((run) => ({
      id: run.id,
      pipeline: azdo.pipelines.get(run.pipelineId)?.name ?? String(run.pipelineId),
      result: Number.isFinite(run.durationMs) ? run.result : 'inProgress',
    })),
    cycleMs: Date.now() - cycle.started,
  };
}

/** The closing summary, as printed. */
export function formatSummary(
  summary: CycleSummary,
  timings: { azuriteMs?: number | undefined; buildMs: number; startMs: number; totalMs?: number },
): string[] {
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const lines = ['', 'Summary'];
  lines.push('  versions');
  for (const version of summary.versions)
    lines.push(
      `    ${version.repo} ${version.version} ${version.state}${version.tag ? ` (tag ${version.tag})` : ''}: ${version.tickets.join(', ')}`,
    );
  lines.push('  tickets');
  for (const ticket of summary.tickets)
    lines.push(`    ${ticket.key} ${ticket.type} "${ticket.summary}": ${ticket.status}`);
  lines.push('  decisions');
  for (const decision of summary.decisions)
    lines.push(
      `    gate ${decision.gate} ${decision.subject}: ${decision.status}${decision.by ? ` by ${decision.by}` : ''}${decision.via ? ` via ${decision.via}` : ''}`,
    );
  lines.push(
    `  pipeline runs: ${summary.runs.length} (${summary.runs.filter((run) => run.result === 'succeeded').length} succeeded, ${summary.runs.filter((run) => run.result === 'failed').length} failed)`,
  );
  lines.push(`  Slack messages: ${summary.slack.messages}`);
  for (const line of summary.slack.firstLines) lines.push(`    ${line}`);
  const total =
    timings.totalMs === undefined
      ? ''
      : `${seconds(timings.totalMs - (timings.azuriteMs ?? 0))} in all without Azurite; `;
  lines.push(
    `  elapsed: ${total}cycle ${seconds(summary.cycleMs)}, start-up ${seconds(timings.startMs - (timings.azuriteMs ?? 0) - timings.buildMs)}, build ${seconds(timings.buildMs)}${timings.azuriteMs === undefined ? '' : `; Azurite start ${seconds(timings.azuriteMs)} (not counted)`}`,
  );
  return lines;
}
