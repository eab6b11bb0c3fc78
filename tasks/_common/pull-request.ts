// The pull request and checkout a task works on: explicit inputs win, else the run's own variables
// (a PR-validation run sets System.PullRequest.PullRequestId, a run queued for refs/pull/<id>/merge names it
// in Build.SourceBranch; every run sets Build.Repository.Name and
// Build.SourcesDirectory).
import { existsSync, statSync } from 'node:fs';
import { ReleaseAgentError } from '../../core/errors.ts';
import { compileTicketKeyMatcher } from '../../core/tickets.ts';
import type { TaskContext } from './task-runtime.ts';

export interface RunPullRequest {
  repo: string;
  prId: number;
}

const MAX_ID = 2_147_483_647;

/** The PR of this run; undefined when there is none and `required` is false. */
export function pullRequestOfRun(context: TaskContext, required: boolean): RunPullRequest | undefined {
  const fromInput = context.inputs.optional('pullRequestId');
  // A run queued for `refs/pull/<id>/merge` (by the function app) has no System.PullRequest.* variables.
  const fromRun =
    context.variable('System.PullRequest.PullRequestId')?.trim() ||
    /^refs\/pull\/(\d+)\/merge$/.exec(context.variable('Build.SourceBranch')?.trim() ?? '')?.[1];
  if (!fromInput && !fromRun) {
    if (!required) return undefined;
    throw new ReleaseAgentError(
      'INPUT_INVALID',
      'input "pullRequestId" is required: this run is not for a pull request (System.PullRequest.PullRequestId is not set)',
      { input: 'pullRequestId' },
    );
  }
  const prId = fromInput ? context.inputs.integer('pullRequestId', 0, 1, MAX_ID) : Number(fromRun);
  if (!Number.isInteger(prId) || prId < 1) {
    throw new ReleaseAgentError(
      'INPUT_INVALID',
      `System.PullRequest.PullRequestId is not a pull request id: "${fromRun}"`,
      {
        input: 'pullRequestId',
      },
    );
  }
  return { repo: repositoryOfRun(context), prId };
}

/** Input `repository`, else Build.Repository.Name. */
export function repositoryOfRun(context: TaskContext): string {
  const repo = context.inputs.optional('repository') || context.variable('Build.Repository.Name')?.trim();
  if (!repo) {
    throw new ReleaseAgentError(
      'INPUT_INVALID',
      'input "repository" is required: Build.Repository.Name is not set',
      { input: 'repository' },
    );
  }
  return repo;
}

/** Input `workingDirectory`, else Build.SourcesDirectory; `mustExist` fails naming the input. */
export function workingDirectoryOfRun(context: TaskContext, mustExist: boolean): string | undefined {
  const dir =
    context.inputs.optional('workingDirectory') || context.variable('Build.SourcesDirectory')?.trim();
  const usable = dir !== undefined && dir !== '' && existsSync(dir) && statSync(dir).isDirectory();
  if (mustExist && !usable) {
    throw new ReleaseAgentError(
      'INPUT_INVALID',
      dir
        ? `input "workingDirectory": ${dir} is not a directory (check out the repository before this step)`
        : 'input "workingDirectory" is required: Build.SourcesDirectory is not set',
      { input: 'workingDirectory' },
    );
  }
  return usable ? dir : undefined;
}

/** Input `ticketPattern`, checked now so a bad one fails naming the input. */
export function ticketPatternInput(context: TaskContext): string | undefined {
  const pattern = context.inputs.optional('ticketPattern');
  if (!pattern) return undefined;
  try {
    compileTicketKeyMatcher({ pattern });
  } catch (error) {
    throw new ReleaseAgentError('INPUT_INVALID', `input "ticketPattern": ${(error as Error).message}`, {
      input: 'ticketPattern',
    });
  }
  return pattern;
}

/**
 * Input `jiraProjects`: the Jira project keys whose tickets a PR may name (a PR must not pick any
 * ticket it likes); `fallback` when empty. INPUT_INVALID names the entries that are not project keys.
 */
export function jiraProjectsInput(context: TaskContext, fallback: readonly string[]): string[] {
  const listed = context.inputs.list('jiraProjects').map((key) => key.toUpperCase());
  const projects = listed.length > 0 ? listed : [...fallback];
  const bad = projects.filter((key) => !/^[A-Z][A-Z0-9]+$/.test(key));
  if (bad.length > 0) {
    throw new ReleaseAgentError(
      'INPUT_INVALID',
      `input "jiraProjects" must list Jira project keys (e.g. ALLPOST,PAY), got "${bad.join('", "')}"`,
      { input: 'jiraProjects' },
    );
  }
  return projects;
}

/** Input `workflow`: the status order a move walks through. */
export function workflowInput(context: TaskContext, fallback: readonly string[]): string[] {
  const list = context.inputs.list('workflow');
  if (list.length === 0) return [...fallback];
  if (list.length < 2) {
    throw new ReleaseAgentError(
      'INPUT_INVALID',
      'input "workflow" must name at least two statuses in order, comma-separated',
      {
        input: 'workflow',
      },
    );
  }
  return list;
}
