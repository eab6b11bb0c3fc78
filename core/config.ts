// Configuration: the Python agent's settings keep their names (those the function app has no use for
// are RETIRED_SETTINGS); validated once at start-up with a message naming each bad variable. Secrets
// are wrapped in `Secret`.
import * as z from 'zod';
import { formatIssue } from './input.ts';
import { ReleaseAgentError } from './errors.ts';
import { parseGateAllowList } from './gate-access.ts';
import { GATE_KINDS } from './gate-registry.ts';
import { parseReleaseEnvironments } from './release-environments.ts';
import { redact, Secret } from './secret.ts';

export type Env = Record<string, string | undefined>;

const bool = (fallback: boolean) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === '') return fallback;
      const normal = value.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(normal)) return true;
      if (['false', '0', 'no', 'off'].includes(normal)) return false;
      ctx.addIssue({ code: 'custom', message: `expected true or false, got "${value}"` });
      return z.NEVER;
    });

const int = (fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === '') return fallback;
      // Digits only: Number() would also take "0x1f", "1e3" and "2.0".
      const parsed = /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
      if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
        ctx.addIssue({
          code: 'custom',
          message: `expected a whole number from ${min} to ${max}, got "${value}"`,
        });
        return z.NEVER;
      }
      return parsed;
    });

const text = (fallback = '') =>
  z
    .string()
    .optional()
    .transform((value) => (value === undefined ? fallback : value.trim()) || fallback);

// The secret settings' schemas, so a failed load can redact their values from its message.
const secretSchemas = new WeakSet<object>();

const secret = () => {
  const schema = z
    .string()
    .optional()
    .transform((value) => new Secret((value ?? '').trim()));
  secretSchemas.add(schema);
  return schema;
};

const url = (fallback: string) =>
  text(fallback).refine((value) => value === '' || /^https?:\/\/[^\s/]+\S*$/.test(value), {
    message: 'expected an http(s) URL',
  });

const list = () =>
  text('').transform((value) =>
    value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0),
  );

const repoList = () =>
  list().refine((repos) => repos.every((repo) => /^[^/\\#?\u0000-\u001f]{1,256}$/.test(repo)), {
    message: 'repository names cannot contain / \\ # ? or control characters',
  });

const versionText = () =>
  text('1.0.0').refine((value) => /^\d+\.\d+\.\d+$/.test(value), { message: 'expected a version x.y.z' });

const patternText = () =>
  text('[A-Z][A-Z0-9]+-\\d+').refine(
    (value) => {
      try {
        new RegExp(value);
        return true;
      } catch {
        return false;
      }
    },
    { message: 'expected a regular expression' },
  );

const optionalId = () =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === '') return undefined;
      if (!/^\d{1,9}$/.test(value.trim()) || Number(value) === 0) {
        ctx.addIssue({
          code: 'custom',
          message: `expected a pipeline id (a positive whole number), got "${value}"`,
        });
        return z.NEVER;
      }
      return Number(value.trim());
    });

/** `name=id;name=id` → { name: id }; names compared case-insensitively by the callers. */
const pipelineMap = () =>
  text('').transform((value, ctx) => {
    const map: Record<string, number> = {};
    for (const entry of value
      .split(';')
      .map((part) => part.trim())
      .filter(Boolean)) {
      const match = /^([^=/\\#?]+)=(\d{1,9})$/.exec(entry);
      if (!match || Number(match[2]) === 0) {
        ctx.addIssue({ code: 'custom', message: `expected repo=pipelineId;…, got "${entry}"` });
        return z.NEVER;
      }
      map[(match[1] as string).trim()] = Number(match[2]);
    }
    return map;
  });

export const configSchema = z.object({
  AZDO_ORGANIZATION: text(),
  AZDO_PROJECT: text(),
  AZDO_PAT: secret(),
  /** Base URL of the organisation; defaults to https://dev.azure.com/{AZDO_ORGANIZATION}. */
  AZDO_BASE_URL: url(''),
  JIRA_EMAIL: text(),
  JIRA_API_TOKEN: secret(),
  /** The team's Jira site; empty: no Jira calls, and ticket keys are shown without links. */
  JIRA_BASE_URL: url(''),
  /** Where an auto-created Story goes; empty: no Story is created (a configuration problem when auto-create is on). */
  DEFAULT_JIRA_PROJECT: text('').refine((value) => value === '' || /^[A-Z][A-Z0-9]+$/.test(value), {
    message: 'expected a Jira project key such as PROJ',
  }),
  AUTO_CREATE_TICKET_ENABLED: bool(true),
  /** Jira projects whose tickets a PR may name (comma-separated keys); empty: DEFAULT_JIRA_PROJECT alone. */
  JIRA_PROJECTS: text().refine(
    (value) => value.split(',').every((key) => !key.trim() || /^[A-Z][A-Z0-9]+$/.test(key.trim())),
    { message: 'expected Jira project keys separated by commas (e.g. ALLPOST,PAY)' },
  ),
  TICKET_KEY_PATTERN: patternText(),
  SLACK_WEBHOOK_URL: secret(),
  SLACK_BOT_TOKEN: secret(),
  SLACK_SIGNING_SECRET: secret(),
  SLACK_CHANNEL_ID: text(),
  /** The Slack workspace (team id, T…) whose clicks count; empty = Slack clicks refused. */
  SLACK_TEAM_ID: text().refine((value) => value === '' || /^[TE][A-Z0-9]{2,30}$/.test(value), {
    message: 'expected a Slack team id such as T0123ABCD',
  }),
  /** The Slack app (api_app_id, A…) whose buttons count; empty = Slack clicks refused. */
  SLACK_APP_ID: text().refine((value) => value === '' || /^A[A-Z0-9]{2,30}$/.test(value), {
    message: 'expected a Slack app id such as A0123ABCD',
  }),
  /** Slack Web API base URL (the sandbox points it at its simulator). */
  SLACK_API_URL: url('https://slack.com/api/'),
  WEBHOOK_SECRET: secret(),
  /** A second accepted service-hook secret, for rotation. */
  WEBHOOK_SECRET_PREVIOUS: secret(),
  OPERATOR_TOKEN: secret(),
  /** Signs every recorded answer (core/decision-proof.ts); the worker acts only on a valid proof. */
  DECISION_SIGNING_KEY: secret().refine((value) => value.isEmpty || value.reveal().length >= 32, {
    message: 'expected at least 32 characters (e.g. openssl rand -base64 48)',
  }),
  /** The author of a PR cannot answer its gate 1; whoever created a release cannot approve its production stage. */
  SEPARATION_OF_DUTIES: bool(true),
  WATCHED_REPOS: repoList(),
  PR_POLL_ENABLED: bool(false),
  PR_POLL_INTERVAL_SECONDS: int(300, 10, 86_400),
  PR_POLL_TARGET_BRANCH: text('refs/heads/develop').refine((value) => value.startsWith('refs/heads/'), {
    message: 'expected a full ref such as refs/heads/develop',
  }),
  /** Gate 1 while required policies are pending: the first re-check (doubling up to 10 min)… */
  MERGE_POLICY_RECHECK_SECONDS: int(30, 1, 3_600),
  /** …and how long an approved merge waits for them before it gives up (a queue message lives 7 days). */
  MERGE_POLICY_MAX_WAIT_SECONDS: int(14_400, 60, 518_400),
  /** Replaces the Python agent's POSTGRES_DSN: the Table Storage (and queue) account. */
  STORAGE_CONNECTION_STRING: secret(),
  /** Letters and digits before every table name, so several installations can share one account. */
  STORAGE_TABLE_PREFIX: text('ReleaseAgent').refine((value) => /^[A-Za-z][A-Za-z0-9]{0,30}$/.test(value), {
    message: 'expected letters and digits, starting with a letter (at most 31)',
  }),
  /** First version of a repo that was never released. */
  FIRST_RELEASE_VERSION: versionText(),
  /** feat → minor, `!`/BREAKING CHANGE → major; off = patch always (the Python agent's behaviour). */
  CONVENTIONAL_BUMP_ENABLED: bool(false),
  /** What all AI reviews of one PR may cost together; once spent, pushes are left to a person. */
  REVIEW_PR_BUDGET_USD: text('20').refine((value) => Number.isFinite(Number(value)) && Number(value) > 0, {
    message: 'expected a positive number of US dollars',
  }),
  /** The extension's Marketplace certificate string: verifies the hub's app token (HS256). */
  EXTENSION_CERTIFICATE: secret(),
  EXTENSION_PUBLISHER: text('release-agent'),
  /**
   * Accepted `aud` of the hub's app token, comma-separated; empty = `<EXTENSION_PUBLISHER>.<extension id>`
   * (appTokenAudiences). Azure DevOps may put the extension's registration GUID there: set it then.
   */
  EXTENSION_AUDIENCE: list(),
  /** The organisation's id as the hub's app token carries it (`tid`); empty = the hub cannot sign in. */
  AZDO_ORGANIZATION_ID: text().refine((value) => value === '' || /^[0-9a-fA-F-]{36}$/.test(value), {
    message: 'expected a GUID such as 3f2504e0-4f89-11d3-9a0c-0305e82c3301',
  }),
  /** User ids allowed to decide each gate: `merge_pr=U1|U2;approve_stage=U3;*=U4` (core/gate-access.ts); empty = nobody. */
  GATE_ALLOWED_USERS: text().superRefine((value, ctx) => {
    try {
      parseGateAllowList(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
    }
  }),
  /** The PR pipeline the function app queues for a discovered PR (repos without a Build Validation policy). */
  PR_PIPELINE_ID: optionalId(),
  /** Per-repo PR pipelines, `repoA=12;repoB=13`; wins over PR_PIPELINE_ID. */
  PR_PIPELINE_BY_REPO: pipelineMap(),
  /** Each repo's release pipeline, `repoA=21;repoB=22`, for POST /api/manual/release. */
  RELEASE_PIPELINE_BY_REPO: pipelineMap(),
  /**
   * The environments gates 2–5 wait on, `create=…;merge=…;run=…;sandbox=…;production=…` (roles left out
   * keep their default, core/release-environments.ts); the release template's parameters must match.
   */
  RELEASE_ENVIRONMENTS: text().transform((value, ctx) => {
    try {
      return parseReleaseEnvironments(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
      return z.NEVER;
    }
  }),
  /** Branches a release pipeline run may act from (its YAML is reviewed there); empty: the target branch and main. */
  RELEASE_BRANCHES: text().refine(
    (value) => value.split(',').every((branch) => !branch.trim() || branch.trim().startsWith('refs/heads/')),
    { message: 'expected full branch refs (refs/heads/…) separated by commas' },
  ),
  /** The Storage queue of the function app's worker (its poison queue is `<name>-poison`). */
  WORK_QUEUE_NAME: text('release-agent-work').refine(
    (value) => /^[a-z0-9](?!.*--)[a-z0-9-]{1,55}[a-z0-9]$/.test(value),
    {
      message: 'expected 3-57 lowercase letters, digits and single hyphens',
    },
  ),
  /** The Jira status a ticket moves to once its PR is merged at gate 1 (a no-op when already there). */
  JIRA_STAGING_STATUS: text('Staging'),
  /** The workflow's statuses in order, for walking a ticket forward one transition at a time. */
  JIRA_WORKFLOW: text('To Do,In Progress,Code Review,Staging,Done').refine(
    (value) => value.split(',').filter((status) => status.trim()).length > 0,
    { message: 'expected status names separated by commas' },
  ),
});

export type Config = z.output<typeof configSchema>;

/** Parses and validates the environment; throws CONFIG_INVALID naming every bad variable. */
export function loadConfig(env: Env): Config {
  // A blank STORAGE_CONNECTION_STRING (an app setting left empty) also falls back to the Functions one.
  const fallbackStorage = env.STORAGE_CONNECTION_STRING?.trim()
    ? env.STORAGE_CONNECTION_STRING
    : env.AzureWebJobsStorage;
  const input: Env = { ...env, STORAGE_CONNECTION_STRING: fallbackStorage };
  const result = configSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => formatIssue(issue));
    const variables = result.error.issues.map((issue) => String(issue.path[0]));
    // Messages quote bad values; a secret pasted into the wrong variable must not be quoted back.
    const secrets = Object.entries(configSchema.shape)
      .filter(([, schema]) => secretSchemas.has(schema))
      .map(([name]) => input[name]?.trim());
    const message = redact(`invalid configuration: ${problems.join('; ')}`, secrets);
    throw new ReleaseAgentError('CONFIG_INVALID', message, {
      variables: [...new Set(variables)],
    });
  }
  return result.data;
}

/** The extension's id in vss-extension.json (a test keeps them equal). */
export const EXTENSION_ID = 'release-agent';

/** The `aud` values a hub app token may carry. */
export function appTokenAudiences(
  config: Pick<Config, 'EXTENSION_AUDIENCE' | 'EXTENSION_PUBLISHER'>,
): string[] {
  return config.EXTENSION_AUDIENCE.length > 0
    ? config.EXTENSION_AUDIENCE
    : [`${config.EXTENSION_PUBLISHER}.${EXTENSION_ID}`];
}

/** The base URL of the Azure DevOps organisation. */
export function azdoOrganizationUrl(config: Pick<Config, 'AZDO_BASE_URL' | 'AZDO_ORGANIZATION'>): string {
  if (config.AZDO_BASE_URL) return config.AZDO_BASE_URL.replace(/\/+$/, '');
  return `https://dev.azure.com/${encodeURIComponent(config.AZDO_ORGANIZATION)}`;
}

/**
 * What is missing for each part to work; an empty list means ready. Used by /api/status and at
 * start-up, so a half-configured app says what it lacks instead of failing at the first event.
 */
export function configProblems(config: Config): string[] {
  const problems: string[] = [];
  if (!config.AZDO_ORGANIZATION && !config.AZDO_BASE_URL) problems.push('AZDO_ORGANIZATION is not set');
  if (!config.AZDO_PROJECT) problems.push('AZDO_PROJECT is not set');
  if (config.AZDO_PAT.isEmpty) problems.push('AZDO_PAT is not set');
  if (!config.JIRA_BASE_URL)
    problems.push('JIRA_BASE_URL is not set: no Jira calls, ticket keys are not linked');
  if (!config.JIRA_EMAIL) problems.push('JIRA_EMAIL is not set');
  if (config.JIRA_API_TOKEN.isEmpty) problems.push('JIRA_API_TOKEN is not set');
  if (config.AUTO_CREATE_TICKET_ENABLED && !config.DEFAULT_JIRA_PROJECT)
    problems.push(
      'AUTO_CREATE_TICKET_ENABLED is true but DEFAULT_JIRA_PROJECT is not set: no Story can be created for a PR without a ticket',
    );
  if (config.SLACK_BOT_TOKEN.isEmpty && config.SLACK_WEBHOOK_URL.isEmpty)
    problems.push('neither SLACK_BOT_TOKEN nor SLACK_WEBHOOK_URL is set');
  if (!config.SLACK_BOT_TOKEN.isEmpty && !config.SLACK_CHANNEL_ID)
    problems.push('SLACK_CHANNEL_ID is not set');
  if (config.SLACK_SIGNING_SECRET.isEmpty)
    problems.push('SLACK_SIGNING_SECRET is not set: Slack buttons are refused');
  if (
    !config.SLACK_SIGNING_SECRET.isEmpty &&
    (!config.SLACK_TEAM_ID || !config.SLACK_APP_ID || !config.SLACK_CHANNEL_ID)
  )
    problems.push(
      'SLACK_TEAM_ID, SLACK_APP_ID and SLACK_CHANNEL_ID must all be set: Slack buttons are refused',
    );
  if (config.WEBHOOK_SECRET.isEmpty) problems.push('WEBHOOK_SECRET is not set: service hooks are refused');
  if (config.OPERATOR_TOKEN.isEmpty)
    problems.push('OPERATOR_TOKEN is not set: the operator API (decide, manual, reads) is refused');
  if (config.DECISION_SIGNING_KEY.isEmpty)
    problems.push('DECISION_SIGNING_KEY is not set: no gate can be decided and no decision is performed');
  if (!config.GATE_ALLOWED_USERS.trim())
    problems.push('GATE_ALLOWED_USERS is empty: no one may decide any gate');
  else {
    const list = parseGateAllowList(config.GATE_ALLOWED_USERS);
    const closed = GATE_KINDS.filter((gate) => (list[gate] ?? list['*']) === undefined);
    if (closed.length > 0)
      problems.push(`GATE_ALLOWED_USERS names no one for ${closed.join(', ')}: no one may decide it`);
  }
  if (!config.EXTENSION_CERTIFICATE.isEmpty && !config.AZDO_ORGANIZATION_ID)
    problems.push('AZDO_ORGANIZATION_ID is not set: the hub cannot sign in');
  if (config.STORAGE_CONNECTION_STRING.isEmpty) problems.push('STORAGE_CONNECTION_STRING is not set');
  if (config.PR_POLL_ENABLED && config.WATCHED_REPOS.length === 0)
    problems.push('PR_POLL_ENABLED is true but WATCHED_REPOS is empty');
  return problems;
}

/**
 * The Python agent's settings the function app has no use for: it never polls a pipeline, runs
 * Claude or checks a repository out (the pipeline tasks do, with their own inputs), and Azure
 * Functions chooses its port. Set, they would do nothing silently: /api/status says where each went.
 */
export const RETIRED_SETTINGS: Readonly<Record<string, string>> = {
  CI_POLL_INTERVAL_SECONDS: "the RunPipelines and ReleasePullRequest tasks' input pollIntervalSeconds",
  CI_POLL_MAX_WAIT_SECONDS: "the RunPipelines and ReleasePullRequest tasks' input maxWaitSeconds",
  REPOS_BASE_DIR: "the PR pipeline's own checkout (the ReviewPullRequest task reviews it)",
  CLAUDE_COMMAND: "the Claude Code CLI on the agent's PATH (the ReviewPullRequest and JiraTicket tasks)",
  REVIEW_MAX_BUDGET_USD: "the ReviewPullRequest and JiraTicket tasks' input maxBudgetUsd",
  REVIEW_TIMEOUT_SECONDS: "the ReviewPullRequest and JiraTicket tasks' input timeoutSeconds",
  PORT: 'nothing: Azure Functions chooses the port (npm run functions takes --port or PORT)',
};

/** A line for each retired setting still set in `env`, naming what replaced it. */
export function retiredSettingProblems(env: Env): string[] {
  return Object.entries(RETIRED_SETTINGS)
    .filter(([name]) => env[name]?.trim())
    .map(([name, instead]) => `${name} is no longer read by the function app: use ${instead}`);
}

/** Every secret in the configuration, for redaction and for the secret-scan tests. */
export function configSecrets(config: Config): Secret[] {
  return Object.values(config).filter((value): value is Secret => value instanceof Secret && !value.isEmpty);
}
