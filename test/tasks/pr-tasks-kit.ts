// Shared arrangements of the PR-side task suites (ReviewPullRequest, JiraTicket, StageRelease, Notify):
// run a task bundle as the agent does against the sandbox stack, seed a repository with a PR and a
// checkout, and read back what the simulators saw.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { scriptedClaude } from '../../sandbox/claude/index.ts';
import { type EndpointSpec, runTaskBundle, type TaskRunResult } from '../../sandbox/agent/task-runner.ts';
import type { PullRequestState } from '../../sandbox/sim/azdo/simulator.ts';
import type { Stack } from '../../sandbox/stack.ts';
import { taskDir } from '../support/task-bundles.ts';
import { type Job, jobFor, jobKindOf, lastJobToken } from './job-kit.ts';

export type Connection = 'jira' | 'slack' | 'state';

export interface AgentRun {
  inputs?: Record<string, string | number | boolean | undefined>;
  variables?: Record<string, string>;
  /** Service connections offered to the job and named by the inputs (default all three). */
  connections?: readonly Connection[];
  /** Scenario of the claude stand-in (CLAUDE_SIM_SCENARIO), and where it logs its invocations. */
  claudeScenario?: string;
  claudeLog?: string;
  /** Extra process environment of the task. */
  env?: Record<string, string>;
  timeoutMs?: number;
  /** More service connections the job may use, by id. */
  extraEndpoints?: Record<string, EndpointSpec>;
  /** The build the task runs in, when the test needs its token first (default: a new one). */
  job?: Job;
}

/** Runs a task bundle with the agent's contract: inputs, variables, connections, the job token. */
export async function runAgentTask(stack: Stack, task: string, run: AgentRun = {}): Promise<TaskRunResult> {
  const connections = run.connections ?? ['jira', 'slack', 'state'];
  const kind = jobKindOf(task);
  const job = run.job ?? (kind ? await jobFor(stack, kind, stack.agentVariables(run.variables)) : undefined);
  const endpoints = {
    ...Object.fromEntries(connections.map((id) => [id, stack.endpoints[id]])),
    ...run.extraEndpoints,
  };
  const inputs = {
    ...Object.fromEntries(connections.map((id) => [`${id}Connection`, id])),
    ...run.inputs,
  };
  // The task runs `claude` from the agent's PATH: the stand-in, scripted for this run, comes first.
  const claude = scriptedClaude({
    ...(run.claudeScenario ? { scenario: run.claudeScenario } : {}),
    ...(run.claudeLog ? { log: run.claudeLog } : {}),
  });
  const env: Record<string, string> = {
    PATH: [claude.dir, process.env.PATH ?? ''].join(':'),
    ...run.env,
  };
  return await runTaskBundle({
    taskDir: await taskDir(task),
    inputs,
    variables: stack.agentVariables({ ...run.variables, ...job?.variables }),
    endpoints,
    accessToken: job?.token ?? stack.secrets.accessToken,
    env,
    timeoutMs: run.timeoutMs ?? 30_000,
  });
}

export function uniqueName(prefix: string): string {
  return `${prefix}.${randomBytes(3).toString('hex')}`;
}

export interface SeededPr {
  repo: string;
  pr: PullRequestState;
  checkout: string;
  /** Agent variables of a PR-validation run of this PR. */
  variables: Record<string, string>;
}

export interface SeedPrInput {
  repo?: string;
  branch: string;
  title: string;
  description?: string;
  /** Files the PR adds, with their content (also written to the checkout). */
  files?: Record<string, string>;
  target?: string;
}

/** A repository with develop, a feature branch adding `files`, an open PR, and a checkout of the source. */
export function seedPullRequest(stack: Stack, input: SeedPrInput): SeededPr {
  const repo = input.repo ?? uniqueName('Billo.Platform');
  const target = input.target ?? 'develop';
  try {
    stack.azdo.repository(repo);
  } catch {
    stack.azdo.seedRepository({ name: repo, defaultBranch: 'main', branches: [target] });
  }
  const files = input.files ?? {
    '/src/payment.ts': 'export function pay(amount: number) {\n  return amount * 2;\n}\n',
  };
  stack.azdo.pushCommit(repo, input.branch, {
    message: input.title,
    changes: Object.keys(files).map((path) => ({ path, changeType: 'add' as const })),
  });
  const pr = stack.azdo.createPullRequestAsUser({
    repository: repo,
    sourceRefName: `refs/heads/${input.branch}`,
    targetRefName: `refs/heads/${target}`,
    title: input.title,
    description: input.description ?? '',
  });
  const checkout = mkdtempSync(join(tmpdir(), 'checkout-'));
  writeCheckout(checkout, files);
  return {
    repo,
    pr,
    checkout,
    variables: {
      'System.PullRequest.PullRequestId': String(pr.id),
      'Build.Repository.Name': repo,
      'Build.SourcesDirectory': checkout,
    },
  };
}

export function writeCheckout(checkout: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    const full = join(checkout, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
  }
}

export function claudeLogFile(): string {
  return join(mkdtempSync(join(tmpdir(), 'claude-log-')), 'runs.jsonl');
}

export function claudeRuns(file: string): {
  argv: string[];
  envNames: string[];
  cwd: string;
  scenario: string;
  tools: string[];
  allowedTools: string[];
}[] {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.trim())
      .map((line) => JSON.parse(line));
  } catch {
    return [];
  }
}

/** The task ended with `result`; the message is shown when it did not. */
export function assertResult(run: TaskRunResult, result: string, message?: RegExp): void {
  // Log lines only: the raw stdout holds the setsecret commands, which must never be printed.
  assert.equal(
    run.result,
    result,
    `expected ${result}, got ${run.result}: ${run.resultMessage}\n${run.logLines.join('\n').slice(-3000)}\n${run.stderr.slice(-2000)}`,
  );
  if (message) assert.match(run.resultMessage ?? '', message);
}

/** setvariable commands by name, with whether each was an output. */
export function variablesSet(run: TaskRunResult): Record<string, { value: string; isOutput: boolean }> {
  const set: Record<string, { value: string; isOutput: boolean }> = {};
  for (const command of run.commands.filter((c) => c.command === 'task.setvariable')) {
    const name = command.properties.variable;
    if (name) set[name] = { value: command.message, isOutput: command.properties.isOutput === 'true' };
  }
  return set;
}

/** Every credential the stack hands a task, as the task must register it with setSecret. */
export function assertCredentialsRegistered(
  run: TaskRunResult,
  stack: Stack,
  which: readonly ('token' | Connection)[],
): void {
  const expected: Record<string, string[]> = {
    token: [lastJobToken(stack) ?? stack.secrets.accessToken],
    // The token, and the Basic header value jira.js derives from it.
    jira: [
      stack.secrets.jiraApiToken,
      Buffer.from(`${stack.jira.email}:${stack.secrets.jiraApiToken}`).toString('base64'),
    ],
    slack: [stack.secrets.slackBotToken],
    // The function app's connection holds no secret: the job token is the credential.
    state: [],
  };
  for (const name of which) {
    for (const secret of expected[name] ?? []) {
      assert.ok(
        run.secretsRegistered.includes(secret),
        `the ${name} credential was not registered with setSecret`,
      );
    }
  }
}

/** Slack messages of the stack's channel posted after `since` messages. */
export function slackMessagesSince(stack: Stack, since: number) {
  return stack.slack.messages(stack.slackChannel).slice(since);
}

export function actionIds(blocks: readonly Record<string, unknown>[]): string[] {
  return blocks
    .filter((block) => block.type === 'actions')
    .flatMap((block) => (block.elements as { action_id: string }[]).map((element) => element.action_id));
}
