// What the function app's flows are given: the ports (each optional where the app still works without
// it, e.g. no Jira), a clock, a logger and the few settings they read. Built once per process by
// functions/services.ts; tests build it around simulators.
import type { AzureDevOps } from '../adapters/azdo/azdo.ts';
import type { Jira } from '../adapters/jira/jira.ts';
import type { Slack } from '../adapters/slack/slack.ts';
import { azdoOrganizationUrl, type Config } from '../core/config.ts';
import { type GateAllowList, parseGateAllowList } from '../core/gate-access.ts';
import type { Decision } from '../core/model.ts';
import type { ReleaseEnvironments } from '../core/release-environments.ts';
import type { Secret } from '../core/secret.ts';
import type { FlowContext } from './context.ts';
import type { WorkMessage } from './work-messages.ts';

// The flow context's logger, re-exported for the entries that import it from here.
export { type LogFields, type Logger, silentLogger } from './context.ts';

export interface AgentSettings {
  /** Empty: every repository. Compared case-insensitively. */
  watchedRepos: readonly string[];
  /** PR_POLL_TARGET_BRANCH: the PRs that are reviewed. */
  targetBranch: string;
  pollEnabled: boolean;
  prPipelineId: number | undefined;
  prPipelineByRepo: Readonly<Record<string, number>>;
  releasePipelineByRepo: Readonly<Record<string, number>>;
  /** RELEASE_ENVIRONMENTS: the environments gates 2–5 wait on. */
  releaseEnvironments: Readonly<ReleaseEnvironments>;
  jiraBaseUrl: string;
  jiraStagingStatus: string;
  /** JIRA_WORKFLOW: statuses in order. */
  jiraWorkflow: readonly string[];
  /** DEFAULT_JIRA_PROJECT: where a PR without a ticket gets its Story. */
  defaultJiraProject: string;
  /** AUTO_CREATE_TICKET_ENABLED. */
  autoCreateTicket: boolean;
  /** JIRA_PROJECTS (default DEFAULT_JIRA_PROJECT): the projects whose tickets a PR may name; undefined: any. */
  jiraProjects: readonly string[] | undefined;
  /** FIRST_RELEASE_VERSION and CONVENTIONAL_BUMP_ENABLED: how a repo's versions start and grow. */
  firstReleaseVersion: string;
  conventionalBumps: boolean;
  /** REVIEW_PR_BUDGET_USD: what all AI reviews of one PR may cost together. */
  reviewPrBudgetUsd: number;
  ticketKeyPattern: string;
  allowList: GateAllowList;
  /** DECISION_SIGNING_KEY: signs recorded answers; the worker performs only proven decisions. */
  decisionSigningKey: Secret;
  /** SEPARATION_OF_DUTIES: a PR's author cannot answer its gate 1, a release's creator its production stage. */
  separationOfDuties: boolean;
  /** For links to runs: `{organizationUrl}/{project}/_build/results?buildId=N`. */
  organizationUrl: string;
  project: string;
  /** An approved merge whose required policies are pending: first re-check, and the longest wait. */
  mergePolicyRecheckSeconds: number;
  mergePolicyMaxWaitSeconds: number;
}

export interface AgentHooks {
  /** Called after an effect's outside call and before it is recorded (tests simulate a crash there). */
  afterExternalEffect?(decision: Decision): void | Promise<void>;
}

/** The work queue, for a message that must run again later (a merge waiting for its policies). */
export interface WorkQueue {
  send(message: WorkMessage, options: { delaySeconds: number }): Promise<void>;
}

/** The flow context (store, clock, logger) plus the app's ports, settings and hooks. */
export interface AgentDeps extends FlowContext {
  /** Absent where there is no queue (then an effect cannot wait and says so). */
  workQueue?: WorkQueue;
  azdo: AzureDevOps | undefined;
  slack: Slack | undefined;
  channel: string | undefined;
  jira: Jira | undefined;
  settings: AgentSettings;
  hooks: AgentHooks;
}

export function settingsFromConfig(config: Config): AgentSettings {
  return {
    watchedRepos: config.WATCHED_REPOS,
    targetBranch: config.PR_POLL_TARGET_BRANCH,
    pollEnabled: config.PR_POLL_ENABLED,
    prPipelineId: config.PR_PIPELINE_ID,
    prPipelineByRepo: config.PR_PIPELINE_BY_REPO,
    releasePipelineByRepo: config.RELEASE_PIPELINE_BY_REPO,
    releaseEnvironments: config.RELEASE_ENVIRONMENTS,
    jiraBaseUrl: config.JIRA_BASE_URL,
    jiraStagingStatus: config.JIRA_STAGING_STATUS,
    jiraWorkflow: config.JIRA_WORKFLOW.split(',')
      .map((status) => status.trim())
      .filter(Boolean),
    defaultJiraProject: config.DEFAULT_JIRA_PROJECT,
    autoCreateTicket: config.AUTO_CREATE_TICKET_ENABLED,
    jiraProjects: jiraProjectList(config),
    firstReleaseVersion: config.FIRST_RELEASE_VERSION,
    conventionalBumps: config.CONVENTIONAL_BUMP_ENABLED,
    reviewPrBudgetUsd: Number(config.REVIEW_PR_BUDGET_USD),
    ticketKeyPattern: config.TICKET_KEY_PATTERN,
    allowList: parseGateAllowList(config.GATE_ALLOWED_USERS),
    decisionSigningKey: config.DECISION_SIGNING_KEY,
    separationOfDuties: config.SEPARATION_OF_DUTIES,
    organizationUrl: config.AZDO_ORGANIZATION || config.AZDO_BASE_URL ? azdoOrganizationUrl(config) : '',
    project: config.AZDO_PROJECT,
    mergePolicyRecheckSeconds: config.MERGE_POLICY_RECHECK_SECONDS,
    mergePolicyMaxWaitSeconds: config.MERGE_POLICY_MAX_WAIT_SECONDS,
  };
}

function jiraProjectList(config: Config): string[] | undefined {
  const listed = config.JIRA_PROJECTS.split(',')
    .map((key) => key.trim())
    .filter(Boolean);
  if (listed.length > 0) return listed;
  // Neither set: every key in the ticket-key pattern counts (no project is assumed).
  return config.DEFAULT_JIRA_PROJECT ? [config.DEFAULT_JIRA_PROJECT] : undefined;
}

/** WATCHED_REPOS empty watches everything. */
export function isWatched(settings: Pick<AgentSettings, 'watchedRepos'>, repo: string): boolean {
  if (settings.watchedRepos.length === 0) return true;
  const name = repo.toLowerCase();
  return settings.watchedRepos.some((watched) => watched.toLowerCase() === name);
}

/** A per-repo pipeline id from a `repo=id` map (case-insensitive), else the fallback. */
export function pipelineFor(
  map: Readonly<Record<string, number>>,
  repo: string,
  fallback?: number,
): number | undefined {
  const name = repo.toLowerCase();
  const found = Object.entries(map).find(([key]) => key.toLowerCase() === name);
  return found ? found[1] : fallback;
}

export function runUrl(
  settings: Pick<AgentSettings, 'organizationUrl' | 'project'>,
  runId: number,
): string | undefined {
  if (!settings.organizationUrl || !settings.project) return undefined;
  return `${settings.organizationUrl}/${encodeURIComponent(settings.project)}/_build/results?buildId=${runId}`;
}
