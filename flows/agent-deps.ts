// What the function app's flows are given: the ports (each optional where the app still works without
// it, e.g. no Jira), a clock, a logger and the few settings they read. Built once per process by
// functions/services.ts; tests build it around simulators.
import type { AzureDevOps } from '../adapters/azdo/azdo.ts';
import type { Jira } from '../adapters/jira/jira.ts';
import type { Slack } from '../adapters/slack/slack.ts';
import type { Store } from '../adapters/store/store.ts';
import { azdoOrganizationUrl, type Config } from '../core/config.ts';
import { type GateAllowList, parseGateAllowList } from '../core/gate-access.ts';
import type { Decision } from '../core/model.ts';
import type { Secret } from '../core/secret.ts';

export type LogFields = Record<string, string | number | boolean | undefined | null>;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export const silentLogger: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

export interface AgentSettings {
  /** Empty: every repository. Compared case-insensitively. */
  watchedRepos: readonly string[];
  /** PR_POLL_TARGET_BRANCH: the PRs that are reviewed. */
  targetBranch: string;
  pollEnabled: boolean;
  prPipelineId: number | undefined;
  prPipelineByRepo: Readonly<Record<string, number>>;
  releasePipelineByRepo: Readonly<Record<string, number>>;
  jiraBaseUrl: string;
  jiraStagingStatus: string;
  ticketKeyPattern: string;
  allowList: GateAllowList;
  /** DECISION_SIGNING_KEY: signs recorded answers; the worker performs only proven decisions. */
  decisionSigningKey: Secret;
  /** SEPARATION_OF_DUTIES: a PR's author cannot answer its gate 1, a release's creator its production stage. */
  separationOfDuties: boolean;
  /** For links to runs: `{organizationUrl}/{project}/_build/results?buildId=N`. */
  organizationUrl: string;
  project: string;
}

export interface AgentHooks {
  /** Called after an effect's outside call and before it is recorded (tests simulate a crash there). */
  afterExternalEffect?(decision: Decision): void | Promise<void>;
}

export interface AgentDeps {
  store: Store;
  azdo: AzureDevOps | undefined;
  /** A client with a short timeout and no retries, for the checks made while Slack waits. */
  azdoQuick: Pick<AzureDevOps, 'getPullRequest'> | undefined;
  slack: Slack | undefined;
  channel: string | undefined;
  jira: Jira | undefined;
  now: () => Date;
  log: Logger;
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
    jiraBaseUrl: config.JIRA_BASE_URL,
    jiraStagingStatus: config.JIRA_STAGING_STATUS,
    ticketKeyPattern: config.TICKET_KEY_PATTERN,
    allowList: parseGateAllowList(config.GATE_ALLOWED_USERS),
    decisionSigningKey: config.DECISION_SIGNING_KEY,
    separationOfDuties: config.SEPARATION_OF_DUTIES,
    organizationUrl: config.AZDO_ORGANIZATION || config.AZDO_BASE_URL ? azdoOrganizationUrl(config) : '',
    project: config.AZDO_PROJECT,
  };
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
