// Shared setup of the release-pipeline task suites: runs a task bundle against a sandbox stack the way
// the agent does (connections by id, agent variables, the job token) and seeds staging releases.
import assert from 'node:assert/strict';
import type { StagedTicket, ReleaseThread, StagingRelease } from '../../core/model.ts';
import type { ReleaseThreadState } from '../../flows/threads.ts';
import { releaseThreadId } from '../../flows/threads.ts';
import { type EndpointSpec, runTaskBundle, type TaskRunResult } from '../../sandbox/agent/task-runner.ts';
import type { Stack } from '../../sandbox/stack.ts';
import { taskDir } from '../support/task-bundles.ts';
import { jobFor } from './job-kit.ts';

let counter = 0;

/** A repository name no other test of the run uses (the store and simulators are shared per file). */
export function uniqueRepo(prefix = 'Billo.Platform.Payment'): string {
  counter += 1;
  return `${prefix}${counter}x${process.pid}`;
}

export interface RunOptions {
  /** Extra pipeline variables (Build.BuildId, System.DefinitionId…). */
  variables?: Record<string, string>;
  /** Leave out these connection inputs. */
  without?: ('stateConnection' | 'slackConnection' | 'jiraConnection')[];
  /** Connections that differ from the stack's. */
  endpoints?: Partial<Record<'jira' | 'slack' | 'state', EndpointSpec>>;
}

export async function runReleaseTask(
  stack: Stack,
  task: 'ReleasePullRequest' | 'RunPipelines' | 'CompleteRelease',
  repo: string | undefined,
  inputs: Record<string, string | number | boolean | undefined>,
  options: RunOptions = {},
): Promise<TaskRunResult> {
  const connections: Record<string, string> = {
    stateConnection: 'state',
    slackConnection: 'slack',
    jiraConnection: 'jira',
  };
  if (task === 'RunPipelines') delete connections.jiraConnection;
  for (const name of options.without ?? []) delete connections[name];
  const variables = stack.agentVariables({
    ...(repo ? { 'Build.Repository.Name': repo } : {}),
    ...options.variables,
  });
  // A run of the repo's release pipeline (the `repository` input's, when given), as the app knows it.
  const released = typeof inputs.repository === 'string' && inputs.repository ? inputs.repository : repo;
  const job = await jobFor(stack, 'release', { ...variables, 'Build.Repository.Name': released ?? '' });
  return await runTaskBundle({
    taskDir: await taskDir(task),
    inputs: { ...connections, ...inputs },
    variables: { ...variables, ...job.variables },
    endpoints: { ...stack.endpoints, ...options.endpoints },
    accessToken: job.token,
  });
}

export function ticket(key: string, summary: string, prIds: number[] = [1]): StagedTicket {
  return { key, summary, prIds, bump: 'patch', addedAt: '2026-11-20T10:00:00.000Z' };
}

export async function seedStaging(
  stack: Stack,
  repo: string,
  tickets: StagedTicket[],
  version = '1.4.0',
): Promise<StagingRelease> {
  const staging: StagingRelease = {
    repo,
    version,
    startedAt: '2026-11-20T10:00:00.000Z',
    updatedAt: '2026-11-21T10:00:00.000Z',
    tickets,
  };
  const stored = await stack.store.staging.update(repo, () => staging);
  assert.ok(stored);
  return stored;
}

export async function releaseThread(
  stack: Stack,
  repo: string,
  version = '1.4.0',
): Promise<{ thread: ReleaseThread; state: ReleaseThreadState }> {
  const thread = await stack.store.threads.getOf('release', releaseThreadId(repo, version));
  assert.ok(thread, `release thread of ${repo} ${version}`);
  return { thread, state: thread.state };
}

/** The message a failed task ended with, for matching its code and the input it names. */
export function failure(result: TaskRunResult): string {
  assert.equal(
    result.result,
    'Failed',
    `expected the task to fail; it ended ${result.result}: ${result.resultMessage}\n${result.logLines.join('\n')}`,
  );
  return result.resultMessage ?? '';
}

export function succeeded(result: TaskRunResult, expected = 'Succeeded'): TaskRunResult {
  assert.equal(
    result.result,
    expected,
    `${result.resultMessage}\n${result.logLines.join('\n')}\n${result.stderr}`,
  );
  return result;
}

/** Resolves when `condition` holds (checked every 20 ms), for acting on the simulators mid-run. */
export async function when(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
