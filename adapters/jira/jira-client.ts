// The Jira port on jira.js 6, composed from its flat functions (`jira.js/core` + `jira.js/cloud`) so a
// bundle keeps only the endpoints used here. Every call goes through one wrapper: our retry policy
// (backoff + jitter, Retry-After, bounded in attempts and time), a timeout per attempt, and jira.js
// errors mapped to our coded SERVICE_* errors with the credentials redacted.
//
// jira.js itself makes one attempt per call (`retry.maxAttempts: 1`) and never re-authenticates on a
// 401 (no `getAuthOn401`), so the only retry loop, and its bounds, are ours.
import {
  addComment,
  createIssue,
  createVersion,
  doTransition,
  editIssue,
  getIssue,
  getProject,
  getProjectVersions,
  getTransitions,
  searchAndReconsileIssuesUsingJqlPost,
  updateVersion,
} from 'jira.js/cloud';
import {
  type Client,
  createClient,
  isApiError,
  isNetworkError,
  isRateLimitError,
  isSchemaMismatchError,
  type SchemaMismatchBehavior,
} from 'jira.js/core';
import * as z from 'zod';
import { parseWith } from '../../core/input.ts';
import { textToAdf } from '../../core/adf.ts';
import type { Clock } from '../../core/clock.ts';
import { ReleaseAgentError } from '../../core/errors.ts';
import { redact, type Secret } from '../../core/secret.ts';
import { classifyHttpError } from '../http/http-client.ts';
import { type RetryPolicy, withRetries } from '../http/retry.ts';
import { systemClock } from '../system-clock.ts';
import type { Jira, JiraIssue, JiraVersion, RichText, SearchOptions, TransitionResult } from './jira.ts';

export interface JiraClientOptions {
  /** The site, e.g. https://billolife.atlassian.net (JIRA_BASE_URL). */
  baseUrl: string;
  email: string;
  apiToken: Secret;
  /** Per attempt; default 30 s. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  clock?: Clock;
  onRetry?(info: { operation: string; attempt: number; delayMs: number; error: unknown }): void;
  /**
   * What jira.js does when a response does not match its schema. Default 'silent': we check the fields
   * we read ourselves (SERVICE_MALFORMED), and a drifted field we never read must not fail a release.
   */
  onSchemaMismatch?: SchemaMismatchBehavior;
}

const SERVICE = 'jira';
/** Atlassian's operationId (sic) for POST /rest/api/3/search/jql. */
const SEARCH = 'searchAndReconsileIssuesUsingJqlPost';
const ISSUE_FIELDS = ['summary', 'status', 'issuetype', 'fixVersions'];
const ISSUE_KEY = /^[A-Za-z][A-Za-z0-9_]*-\d+$/;
const PROJECT_KEY = /^[A-Za-z][A-Za-z0-9_]*$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** Jira refuses longer summaries. */
const SUMMARY_MAX = 255;

const issueSchema = z.object({
  key: z.string().min(1),
  fields: z.object({
    summary: z.string(),
    status: z.object({ name: z.string() }),
    issuetype: z.object({ name: z.string() }),
    fixVersions: z.array(z.object({ name: z.string() })).nullish(),
  }),
});

const versionSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  projectId: z.number(),
  released: z.boolean().optional(),
  releaseDate: z.string().optional(),
});

const transitionSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  to: z.object({ name: z.string() }),
});

export function createJiraClient(options: JiraClientOptions): Jira {
  const site = options.baseUrl.replace(/\/+$/, '');
  const clock = options.clock ?? systemClock;
  const timeoutMs = options.timeoutMs ?? 30_000;
  // The Basic header is base64("email:token"): redact that pair too, not only the token.
  const secrets = [options.apiToken, `${options.email}:${options.apiToken.reveal()}`];
  const clean = (text: string) => redact(text, secrets);
  let notBefore = 0;

  let client: Client;
  try {
    client = createClient({
      host: site,
      auth: { type: 'basic', email: options.email, apiToken: options.apiToken.reveal() },
      // jira.js's own retry is off by default; pinned so the only retry loop stays ours.
      retry: { maxAttempts: 1 },
      onSchemaMismatch: options.onSchemaMismatch ?? 'silent',
    });
  } catch {
    // jira.js validates the config with zod; its message is not ours to show (it could quote values).
    throw new ReleaseAgentError(
      'CONFIG_INVALID',
      'invalid Jira settings: JIRA_BASE_URL must be an http(s) URL, JIRA_EMAIL an email address, JIRA_API_TOKEN set',
      { variables: ['JIRA_BASE_URL', 'JIRA_EMAIL', 'JIRA_API_TOKEN'] },
    );
  }

  /**
   * One Jira call: retried per the shared policy, each attempt under the timeout, errors coded. `read`
   * checks the answer inside the attempt, so a malformed answer to a read is retried like a 503.
   */
  const call = async <T, R = T>(
    operation: string,
    idempotent: boolean,
    run: (jira: Client) => Promise<T>,
    read: (answer: T) => R = (answer) => answer as unknown as R,
  ): Promise<R> =>
    await withRetries(
      async () => {
        const wait = notBefore - clock.now().getTime();
        if (wait > 0) await clock.sleep(wait);
        try {
          const answer = await withTimeout(run(client), timeoutMs, operation);
          // jira.js hands back the raw text of a body it could not parse. Every endpoint used here
          // answers JSON or nothing: text is a malformed answer (a read is retried), never an empty
          // list of transitions or a transition that was made.
          if (typeof answer === 'string' && answer.trim() !== '')
            throw malformed(operation, 'a body that is not JSON');
          return read(answer);
        } catch (error) {
          const coded = toServiceError(error, operation, clean);
          const retryAfterMs = coded.fields.retryAfterMs;
          if (typeof retryAfterMs === 'number')
            notBefore = Math.max(notBefore, clock.now().getTime() + retryAfterMs);
          throw coded;
        }
      },
      {
        service: SERVICE,
        operation,
        ...(options.retry ? { policy: options.retry } : {}),
        clock,
        classify: (error) => classifyHttpError(error, idempotent),
        onRetry: (info) => options.onRetry?.({ operation, ...info }),
      },
    );

  const toIssue = (raw: unknown, operation: string): JiraIssue => {
    const parsed = issueSchema.safeParse(raw);
    if (!parsed.success) throw malformed(operation, 'an issue without key, summary, status or issue type');
    const { key, fields } = parsed.data;
    return {
      key,
      summary: fields.summary,
      status: fields.status.name,
      issueType: fields.issuetype.name,
      fixVersions: (fields.fixVersions ?? []).map((version) => version.name),
      url: `${site}/browse/${key}`,
    };
  };

  const toVersion = (raw: unknown, operation: string): JiraVersion => {
    const parsed = versionSchema.safeParse(raw);
    if (!parsed.success) throw malformed(operation, 'a version without id, name or projectId');
    const { id, name, projectId, released, releaseDate } = parsed.data;
    return { id, name, projectId, released: released ?? false, ...(releaseDate ? { releaseDate } : {}) };
  };

  const listVersions = async (project: string): Promise<JiraVersion[]> =>
    await call(
      'getProjectVersions',
      true,
      (jira) => getProjectVersions(jira, { projectIdOrKey: project }),
      (raw) => {
        const list = answer(z.array(z.unknown()), raw, 'getProjectVersions', 'not a list of versions');
        return list.map((version) => toVersion(version, 'getProjectVersions'));
      },
    );

  const jira: Jira = {
    async getIssue(key) {
      checkIssueKey(key);
      return await call(
        'getIssue',
        true,
        (c) => getIssue(c, { issueIdOrKey: key, fields: ISSUE_FIELDS }),
        (raw) => toIssue(raw, 'getIssue'),
      );
    },

    async createStory({ project, summary, description }) {
      checkProjectKey(project);
      const oneLine = summary.replace(/\s+/g, ' ').trim();
      if (!oneLine) throw new ReleaseAgentError('INPUT_INVALID', 'a Jira story needs a summary', { project });
      const key = await call(
        'createIssue',
        false,
        (c) =>
          createIssue(c, {
            fields: {
              project: { key: project },
              issuetype: { name: 'Story' },
              // Jira refuses newlines and more than 255 characters in a summary.
              summary: oneLine.length > SUMMARY_MAX ? `${oneLine.slice(0, SUMMARY_MAX - 1)}…` : oneLine,
              description: toAdf(description),
            },
          }),
        (created) =>
          answer(z.object({ key: z.string().regex(ISSUE_KEY) }), created, 'createIssue', 'no issue key').key,
      );
      return { key, url: `${site}/browse/${key}` };
    },

    async transition(key, transitionOrStatus): Promise<TransitionResult> {
      checkIssueKey(key);
      const target = transitionOrStatus.trim();
      if (!target) throw new ReleaseAgentError('INPUT_INVALID', 'no transition or status given', { key });
      const { status: from } = await jira.getIssue(key);
      if (sameName(from, target)) return { key, from, to: from, changed: false };

      const available = await call(
        'getTransitions',
        true,
        (c) => getTransitions(c, { issueIdOrKey: key }),
        (raw) => {
          const parsed = z
            .array(transitionSchema)
            .safeParse((raw as { transitions?: unknown } | undefined)?.transitions ?? []);
          if (!parsed.success)
            throw malformed('getTransitions', 'transitions without id, name or target status');
          return parsed.data;
        },
      );
      const chosen =
        available.find((transition) => sameName(transition.name, target)) ??
        available.find((transition) => sameName(transition.to.name, target));
      if (!chosen) {
        const listed = available
          .map((transition) => `"${transition.name}" (→ ${transition.to.name})`)
          .join(', ');
        throw new ReleaseAgentError(
          'JIRA_TRANSITION_UNAVAILABLE',
          `cannot move ${key} from "${from}" to "${target}": available transitions are ${listed || 'none'}`,
          {
            key,
            from,
            target,
            available: available.map((transition) => transition.name),
            availableStatuses: available.map((transition) => transition.to.name),
          },
        );
      }
      await call('doTransition', false, (c) =>
        doTransition(c, { issueIdOrKey: key, transition: { id: chosen.id } }),
      );
      return { key, from, to: chosen.to.name, changed: true, transition: chosen.name };
    },

    async comment(key, body) {
      checkIssueKey(key);
      const id = await call(
        'addComment',
        false,
        (c) => addComment(c, { issueIdOrKey: key, body: toAdf(body) }),
        (created) => answer(z.object({ id: z.string() }), created, 'addComment', 'no comment id').id,
      );
      return { id };
    },

    async ensureVersion(project, name) {
      checkProjectKey(project);
      const wanted = name.trim();
      if (!wanted || wanted.length > 255) {
        throw new ReleaseAgentError('INPUT_INVALID', 'a Jira version name has 1 to 255 characters', {
          project,
        });
      }
      const find = (versions: JiraVersion[]) => versions.find((version) => sameName(version.name, wanted));
      const existing = find(await listVersions(project));
      if (existing) return existing;

      const projectId = await call(
        'getProject',
        true,
        (c) => getProject(c, { projectIdOrKey: project }),
        (raw) => {
          const id = Number((raw as { id?: unknown } | undefined)?.id);
          if (!Number.isInteger(id)) throw malformed('getProject', 'a project without a numeric id');
          return id;
        },
      );
      try {
        return await call(
          'createVersion',
          false,
          (c) => createVersion(c, { projectId, name: wanted }),
          (created) => toVersion(created, 'createVersion'),
        );
      } catch (error) {
        // Someone else (or our own earlier attempt) created it first: Jira answers 400 "already exists".
        if (error instanceof ReleaseAgentError && error.fields.status === 400) {
          const raced = find(await listVersions(project));
          if (raced) return raced;
        }
        throw error;
      }
    },

    async addFixVersion(key, versionName) {
      const issue = await jira.getIssue(key);
      if (issue.fixVersions.some((version) => sameName(version, versionName))) return { changed: false };
      // `update.add` (not `fields`, which replaces the list): atomic and idempotent on Jira's side.
      await call('editIssue', true, (c) =>
        editIssue(c, { issueIdOrKey: key, update: { fixVersions: [{ add: { name: versionName } }] } }),
      );
      return { changed: true };
    },

    async releaseVersion(versionId, releaseDate) {
      if (!/^\d+$/.test(versionId))
        throw new ReleaseAgentError('INPUT_INVALID', 'a Jira version id is numeric', { versionId });
      const date = releaseDate ?? clock.now().toISOString().slice(0, 10);
      if (!DATE.test(date))
        throw new ReleaseAgentError('INPUT_INVALID', 'a release date is yyyy-mm-dd', { versionId, date });
      return await call(
        'updateVersion',
        true,
        (c) => updateVersion(c, { id: versionId, body: { released: true, releaseDate: date } }),
        (updated) => toVersion(updated, 'updateVersion'),
      );
    },

    async search(jql, searchOptions: SearchOptions = {}) {
      const pageSize = Math.max(1, Math.min(searchOptions.pageSize ?? 50, 5_000));
      const maxIssues = Math.max(1, searchOptions.maxIssues ?? 1_000);
      const issues: JiraIssue[] = [];
      const seenTokens = new Set<string>();
      let nextPageToken: string | undefined;
      while (issues.length < maxIssues) {
        const maxResults = Math.min(pageSize, maxIssues - issues.length);
        // A POST that only reads: safe to send again after a timeout.
        const page = await call(
          SEARCH,
          true,
          (c) =>
            searchAndReconsileIssuesUsingJqlPost(c, {
              jql,
              maxResults,
              fields: ISSUE_FIELDS,
              ...(nextPageToken ? { nextPageToken } : {}),
            }),
          (raw) => {
            const page = answer(searchPageSchema, raw, SEARCH, 'a page without an issues list');
            return {
              issues: page.issues.map((issue) => toIssue(issue, SEARCH)),
              next: page.nextPageToken && page.isLast !== true ? page.nextPageToken : undefined,
            };
          },
        );
        issues.push(...page.issues.slice(0, maxIssues - issues.length));
        const next = page.next;
        if (next === undefined) break;
        // A token seen before would loop forever.
        if (seenTokens.has(next)) throw malformed(SEARCH, 'a nextPageToken it had already given');
        seenTokens.add(next);
        nextPageToken = next;
      }
      return issues;
    },
  };
  return jira;
}

function toAdf(text: RichText) {
  return typeof text === 'string' ? textToAdf(text) : text;
}

function sameName(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

/** Keys go into URL paths unencoded (jira.js does not encode them): only real keys pass. */
function checkIssueKey(key: string): void {
  if (!ISSUE_KEY.test(key))
    throw new ReleaseAgentError('TICKET_KEY_INVALID', `not a Jira issue key: "${key.slice(0, 40)}"`, {
      key: key.slice(0, 40),
    });
}

function checkProjectKey(project: string): void {
  if (!PROJECT_KEY.test(project)) {
    throw new ReleaseAgentError('INPUT_INVALID', `not a Jira project key: "${project.slice(0, 40)}"`, {
      project: project.slice(0, 40),
    });
  }
}

/** A page of the JQL search: its issues (each read by toIssue), and where the next page starts. */
const searchPageSchema = z.object({
  issues: z.array(z.unknown()),
  nextPageToken: z.string().optional().catch(undefined),
  isLast: z.unknown().optional(),
});

/** Jira's answer read by `schema`, or SERVICE_MALFORMED saying what it lacked. */
function answer<S extends z.ZodType>(schema: S, raw: unknown, operation: string, what: string): z.output<S> {
  const parsed = parseWith(schema, raw);
  if (!parsed.ok) throw malformed(operation, what);
  return parsed.value;
}

function malformed(operation: string, what: string): ReleaseAgentError {
  return new ReleaseAgentError('SERVICE_MALFORMED', `${SERVICE} ${operation} answered with ${what}`, {
    service: SERVICE,
    operation,
  });
}

/**
 * jira.js 6 takes no AbortSignal and sets no timeout, so a slow answer is raced against a timer: the
 * caller gets SERVICE_TIMEOUT on time; the abandoned request finishes (or fails) unobserved and its
 * socket is freed then (undici's own header/body timeouts bound that).
 */
async function withTimeout<T>(work: Promise<T>, timeoutMs: number, operation: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new ReleaseAgentError(
            'SERVICE_TIMEOUT',
            `${SERVICE} ${operation} timed out after ${timeoutMs} ms`,
            {
              service: SERVICE,
              operation,
              timeoutMs,
            },
          ),
        ),
      timeoutMs,
    );
  });
  work.catch(() => {}); // a late failure of an abandoned request is not unhandled
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A jira.js (or fetch) failure as our coded error; the message never carries the credentials. */
function toServiceError(
  error: unknown,
  operation: string,
  clean: (text: string) => string,
): ReleaseAgentError {
  if (error instanceof ReleaseAgentError) return error;
  const fields = { service: SERVICE, operation };
  if (isApiError(error)) {
    const retryAfterMs = isRateLimitError(error) ? error.retryAfterMs : undefined;
    return new ReleaseAgentError(
      'SERVICE_HTTP',
      `${SERVICE} ${operation} answered ${error.status}: ${clean(jiraErrorSummary(error.body))}`,
      { ...fields, status: error.status, retryAfterMs },
    );
  }
  if (isSchemaMismatchError(error)) {
    return new ReleaseAgentError(
      'SERVICE_MALFORMED',
      `${SERVICE} ${operation} answered with a body that does not match its schema`,
      fields,
    );
  }
  const code = (isNetworkError(error) ? error.code : undefined) ?? networkCode(error) ?? 'UNKNOWN';
  const reason = error instanceof Error ? error.message : String(error);
  return new ReleaseAgentError(
    'SERVICE_NETWORK',
    `${SERVICE} ${operation} failed on the network (${code}): ${clean(reason)}`,
    {
      ...fields,
      networkCode: code,
    },
  );
}

function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Jira's error body: `errorMessages` plus `errors` (field → message), kept short. */
export function jiraErrorSummary(body: unknown): string {
  if (body && typeof body === 'object') {
    const { errorMessages, errors, message } = body as {
      errorMessages?: unknown;
      errors?: unknown;
      message?: unknown;
    };
    const parts = [
      ...(Array.isArray(errorMessages) ? errorMessages.filter((part) => typeof part === 'string') : []),
      ...(errors && typeof errors === 'object'
        ? Object.entries(errors).map(([field, text]) => `${field}: ${String(text)}`)
        : []),
      ...(typeof message === 'string' ? [message] : []),
    ];
    if (parts.length > 0) return parts.join('; ').slice(0, 500);
  }
  const text = typeof body === 'string' ? body.replace(/\s+/g, ' ').trim() : '';
  return text.slice(0, 300) || '(empty body)';
}
