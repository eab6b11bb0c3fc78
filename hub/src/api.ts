// The hub's client of the function app's API: every request and every response shape lives here, so
// following the API as it changes is a change to this one file. Requests carry the app token as a
// Bearer token. Responses are read defensively: unknown fields are ignored, missing ones stay
// undefined (the page shows "—"), lists may come bare or wrapped ({ releases: [...] }, { items: [...] }).
import { isGateKind } from '../../core/gates.ts';
import type { GateKind } from '../../core/model.ts';

/** What the page shows when the function app cannot be reached at all. */
export const UNREACHABLE_MESSAGE = 'function app not reachable: check Settings';
export const NOT_CONFIGURED_MESSAGE = 'no function app URL yet: set it in Settings';

export type ApiErrorKind =
  | 'not_configured'
  | 'unreachable'
  | 'unauthorized'
  | 'not_found'
  | 'conflict'
  | 'http'
  | 'malformed';

/** A failed call, worded for people (no stacks); `code` and `fields` come from the API's error body. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly kind: ApiErrorKind,
    message: string,
    readonly status?: number,
    readonly code?: string,
    readonly fields: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------
// What the page reads. Mirrors core/model.ts, with every field the API might leave out optional.

export interface TicketView {
  key: string;
  summary?: string;
  /** The Jira status, when the API includes it. */
  status?: string;
  prIds: number[];
  bump?: string;
}

export interface StagingView {
  repo: string;
  version?: string;
  startedAt?: string;
  updatedAt?: string;
  releaseAs?: string;
  tickets: TicketView[];
}

export interface GateRecordView {
  gate?: string;
  outcome?: string;
  by?: string;
  via?: string;
  at?: string;
}

export interface ReleaseView {
  repo: string;
  version?: string;
  startedAt?: string;
  releasedAt?: string;
  notes?: string;
  tag?: string;
  releasePrId?: number;
  tickets: TicketView[];
  gates: GateRecordView[];
}

export interface DecisionView {
  id: string;
  threadId: string;
  /** Undefined for a gate this hub does not know: it is listed without buttons. */
  gate?: GateKind;
  status?: string;
  repo?: string;
  createdAt?: string;
  expiresAt?: string;
  decidedBy?: string;
  decidedVia?: string;
  nonce?: string;
  /** The decision's target (PR + commit, approval id, stage…). */
  target: Readonly<Record<string, unknown>>;
  /** What the Slack card shows (core/slack-cards.ts GateDetails), as sent. */
  details: Readonly<Record<string, unknown>>;
}

export interface ReviewView {
  repo: string;
  prId?: number;
  prTitle?: string;
  prUrl?: string;
  sourceCommit?: string;
  verdict?: string;
  summary?: string;
  findingsCount?: number;
  costUsd?: number;
  injectionSuspected?: boolean;
  createdAt?: string;
}

export interface StatusView {
  status?: string;
  problems: string[];
  /** Repos the function app knows (WATCHED_REPOS), when it says. */
  repos: string[];
  jiraBaseUrl?: string;
  version?: string;
}

/** POST /api/approvals/{threadId}: a verb of core/gates.ts, the decision, and its nonce when known. */
export interface DecideRequest {
  action: string;
  decisionId?: string;
  nonce?: string;
}

export interface HubApi {
  readonly baseUrl: string | undefined;
  status(): Promise<StatusView>;
  /**
   * The repos the function app knows: those its status names (WATCHED_REPOS), else those seen in the
   * reviews and pending decisions. Repos with a staging release come with stagingReleases.
   */
  knownRepos(): Promise<string[]>;
  /** Every repo's open staging release: the list form when the API has one, else one call per known repo. */
  stagingReleases(knownRepos?: readonly string[]): Promise<StagingView[]>;
  staging(repo: string): Promise<StagingView | undefined>;
  /** Archived releases of a repo, newest first. */
  releases(repo: string): Promise<ReleaseView[]>;
  pendingDecisions(): Promise<DecisionView[]>;
  /** Answers a gate; 409 (already decided) is an ApiError of kind `conflict`. */
  decide(threadId: string, request: DecideRequest): Promise<DecisionView | undefined>;
  reviews(repo?: string): Promise<ReviewView[]>;
}

export interface HubApiOptions {
  /** The function app's URL (with or without a trailing `/api`); undefined until set in Settings. */
  baseUrl: string | undefined;
  getToken: () => Promise<string>;
  timeoutMs?: number;
}

/** `https://x.azurewebsites.net/api/` → `https://x.azurewebsites.net`; undefined when not an http(s) URL. */
export function normalizeBaseUrl(value: string | undefined): string | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  const path = url.pathname.replace(/\/+$/, '').replace(/\/api$/, '');
  return `${url.origin}${path}`;
}

export function createHubApi(options: HubApiOptions): HubApi {
  const baseUrl = normalizeBaseUrl(options.baseUrl);
  const timeoutMs = options.timeoutMs ?? 15_000;

  async function call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    if (!baseUrl) throw new ApiError('not_configured', NOT_CONFIGURED_MESSAGE);
    let token: string;
    try {
      token = await options.getToken();
    } catch {
      throw new ApiError('unauthorized', 'Azure DevOps gave the hub no app token: reload the page');
    }
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    let response: Response;
    try {
      response = await fetch(`${baseUrl}/api${path}`, {
        method,
        headers,
        signal: controller.signal,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch {
      // Network down, DNS, refused, CORS refused, or no answer in time: the browser does not say which.
      throw new ApiError('unreachable', UNREACHABLE_MESSAGE);
    } finally {
      clearTimeout(timer);
    }
    const text = await response.text().catch(() => '');
    const json = parseJson(text);
    if (!response.ok) throw httpError(response.status, json);
    if (text.trim() && json === undefined) {
      throw new ApiError(
        'malformed',
        `the function app answered ${path} with something that is not JSON`,
        response.status,
      );
    }
    return json;
  }

  async function status(): Promise<StatusView> {
    return toStatus(await call('GET', '/status'));
  }

  async function staging(repo: string): Promise<StagingView | undefined> {
    try {
      const body = await call('GET', `/staging?repo=${encodeURIComponent(repo)}`);
      const record = isRecord(body) && isRecord(body.staging) ? body.staging : body;
      return toStaging(record);
    } catch (error) {
      if (error instanceof ApiError && error.kind === 'not_found') return undefined;
      throw error;
    }
  }

  async function pendingDecisions(): Promise<DecisionView[]> {
    const body = await call('GET', '/approvals/pending');
    return listOf(body, ['pending', 'decisions', 'approvals', 'items', 'value']).flatMap(
      (item) => toDecision(item) ?? [],
    );
  }

  async function reviews(repo?: string): Promise<ReviewView[]> {
    const body = await call('GET', repo ? `/reviews?repo=${encodeURIComponent(repo)}` : '/reviews');
    return listOf(body, ['reviews', 'items', 'value']).flatMap((item) => toReview(item) ?? []);
  }

  async function knownRepos(): Promise<string[]> {
    const fromStatus = (await status()).repos;
    if (fromStatus.length > 0) return fromStatus;
    const [reviewed, pending] = await Promise.allSettled([reviews(), pendingDecisions()]);
    // Both refused (a bad token, say): say so rather than show an empty page.
    if (reviewed.status === 'rejected' && pending.status === 'rejected') throw reviewed.reason;
    const repos = [
      ...(reviewed.status === 'fulfilled' ? reviewed.value.map((review) => review.repo) : []),
      ...(pending.status === 'fulfilled' ? pending.value.flatMap((decision) => decision.repo ?? []) : []),
    ];
    return [...new Set(repos)];
  }

  return {
    baseUrl,
    status,
    knownRepos,
    staging,
    async stagingReleases(repos) {
      let body: unknown;
      try {
        body = await call('GET', '/staging');
      } catch (error) {
        // No list form (`repo` is required): one call per known repo.
        if (!(error instanceof ApiError) || (error.status !== 400 && error.status !== 404)) throw error;
        const names = repos ?? (await knownRepos());
        const found = await Promise.all(names.map((repo) => staging(repo)));
        return found.filter((item): item is StagingView => item !== undefined);
      }
      if (isRecord(body) && typeof body.repo === 'string') {
        const one = toStaging(isRecord(body.staging) ? body.staging : body);
        return one ? [one] : [];
      }
      return listOf(body, ['staging', 'releases', 'items', 'value']).flatMap((item) => toStaging(item) ?? []);
    },
    async releases(repo) {
      try {
        const body = await call('GET', `/releases/${encodeURIComponent(repo)}`);
        return listOf(body, ['releases', 'versions', 'items', 'value'])
          .flatMap((item) => toRelease(item, repo) ?? [])
          .sort(newestFirst);
      } catch (error) {
        if (error instanceof ApiError && error.kind === 'not_found') return [];
        throw error;
      }
    },
    pendingDecisions,
    async decide(threadId, request) {
      const payload: Record<string, string> = { action: request.action };
      if (request.decisionId) payload.decisionId = request.decisionId;
      if (request.nonce) payload.nonce = request.nonce;
      const body = await call('POST', `/approvals/${encodeURIComponent(threadId)}`, payload);
      return toDecision(isRecord(body) && isRecord(body.decision) ? body.decision : body);
    },
    reviews,
  };
}

// ---------------------------------------------------------------------------------------------
// Errors.

function httpError(status: number, body: unknown): ApiError {
  const error = isRecord(body) && isRecord(body.error) ? body.error : isRecord(body) ? body : {};
  const code = str(error.code);
  const message = str(error.message);
  const fields: Record<string, unknown> = isRecord(error.fields) ? { ...error.fields } : {};
  // Who decided may come in the error's fields or as the decision itself.
  const decision =
    isRecord(body) && isRecord(body.decision)
      ? body.decision
      : isRecord(error.decision)
        ? error.decision
        : undefined;
  if (decision) {
    for (const name of ['decidedBy', 'decidedVia', 'decidedAt', 'status'] as const) {
      if (fields[name] === undefined && decision[name] !== undefined) fields[name] = decision[name];
    }
  }
  if (status === 401 || status === 403) {
    return new ApiError(
      'unauthorized',
      message
        ? `the function app refused the request (${status}): ${message}`
        : `the function app refused the app token (${status})`,
      status,
      code,
      fields,
    );
  }
  const kind: ApiErrorKind = status === 404 ? 'not_found' : status === 409 ? 'conflict' : 'http';
  return new ApiError(kind, message ?? `the function app answered HTTP ${status}`, status, code, fields);
}

/** "already decided by alice (approved via slack)", from a 409's fields or message. */
export function alreadyDecidedText(error: ApiError): string {
  const by = str(error.fields.decidedBy);
  const status = str(error.fields.status);
  const via = str(error.fields.decidedVia);
  if (by) {
    const how = [status, via ? `via ${via}` : undefined].filter(Boolean).join(' ');
    return `already decided by ${by}${how ? ` (${how})` : ''}`;
  }
  return `already decided${error.message ? `: ${error.message}` : ''}`;
}

// ---------------------------------------------------------------------------------------------
// Readers.

function parseJson(text: string): unknown {
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function num(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
    return Number(value);
  return undefined;
}

function bool(value: unknown): boolean | undefined {
  return typeof value === 'boolean' ? value : undefined;
}

function strings(value: unknown): string[] {
  if (typeof value === 'string')
    return value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
  return Array.isArray(value) ? value.flatMap((item) => str(item) ?? []) : [];
}

function listOf(body: unknown, keys: readonly string[]): unknown[] {
  if (Array.isArray(body)) return body;
  if (isRecord(body)) {
    for (const key of keys) if (Array.isArray(body[key])) return body[key] as unknown[];
  }
  return [];
}

/** Drops undefined values so optional properties are absent rather than present-and-undefined. */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as T;
}

function toTicket(raw: unknown): TicketView | undefined {
  if (typeof raw === 'string') return str(raw) ? { key: raw, prIds: [] } : undefined;
  if (!isRecord(raw)) return undefined;
  const key = str(raw.key) ?? str(raw.ticket) ?? str(raw.id);
  if (!key) return undefined;
  const prIds = Array.isArray(raw.prIds)
    ? raw.prIds.flatMap((id) => num(id) ?? [])
    : num(raw.prId) !== undefined
      ? [num(raw.prId) as number]
      : [];
  return compact({
    key,
    summary: str(raw.summary),
    status: str(raw.status) ?? str(raw.jiraStatus),
    prIds,
    bump: str(raw.bump),
  });
}

function tickets(value: unknown): TicketView[] {
  return Array.isArray(value) ? value.flatMap((item) => toTicket(item) ?? []) : [];
}

function toStaging(raw: unknown): StagingView | undefined {
  if (!isRecord(raw)) return undefined;
  const repo = str(raw.repo);
  if (!repo) return undefined;
  return compact({
    repo,
    version: str(raw.version),
    startedAt: str(raw.startedAt) ?? str(raw.started_at),
    updatedAt: str(raw.updatedAt) ?? str(raw.updated_at),
    releaseAs: str(raw.releaseAs),
    tickets: tickets(raw.tickets),
  });
}

function toGateRecord(raw: unknown): GateRecordView | undefined {
  if (!isRecord(raw)) return undefined;
  return compact({
    gate: str(raw.gate),
    outcome: str(raw.outcome),
    by: str(raw.by),
    via: str(raw.via),
    at: str(raw.at),
  });
}

function toRelease(raw: unknown, repo: string): ReleaseView | undefined {
  if (!isRecord(raw)) return undefined;
  return compact({
    repo: str(raw.repo) ?? repo,
    version: str(raw.version),
    startedAt: str(raw.startedAt) ?? str(raw.started_at),
    releasedAt: str(raw.releasedAt) ?? str(raw.released_at),
    notes: str(raw.notes),
    tag: str(raw.tag),
    releasePrId: num(raw.releasePrId),
    tickets: tickets(raw.tickets),
    gates: Array.isArray(raw.gates) ? raw.gates.flatMap((item) => toGateRecord(item) ?? []) : [],
  });
}

function newestFirst(a: ReleaseView, b: ReleaseView): number {
  return (Date.parse(b.releasedAt ?? '') || 0) - (Date.parse(a.releasedAt ?? '') || 0);
}

function toDecision(raw: unknown): DecisionView | undefined {
  if (!isRecord(raw)) return undefined;
  const id = str(raw.id) ?? str(raw.decisionId);
  const threadId = str(raw.threadId) ?? str(raw.thread_id);
  if (!id || !threadId) return undefined;
  const target = isRecord(raw.target) ? raw.target : {};
  const details = isRecord(raw.details) ? raw.details : {};
  const gate = [raw.gate, target.gate, details.gate].find(isGateKind);
  return compact({
    id,
    threadId,
    gate,
    status: str(raw.status),
    repo: str(details.repo) ?? str(target.repo) ?? str(raw.repo),
    createdAt: str(raw.createdAt),
    expiresAt: str(raw.expiresAt),
    decidedBy: str(raw.decidedBy),
    decidedVia: str(raw.decidedVia),
    nonce: str(raw.nonce),
    target,
    details,
  });
}

function toReview(raw: unknown): ReviewView | undefined {
  if (!isRecord(raw)) return undefined;
  const repo = str(raw.repo);
  if (!repo) return undefined;
  return compact({
    repo,
    prId: num(raw.prId),
    prTitle: str(raw.prTitle),
    prUrl: str(raw.prUrl),
    sourceCommit: str(raw.sourceCommit),
    verdict: str(raw.verdict),
    summary: str(raw.summary),
    findingsCount: num(raw.findingsCount) ?? (Array.isArray(raw.findings) ? raw.findings.length : undefined),
    costUsd: num(raw.costUsd),
    injectionSuspected: bool(raw.injectionSuspected),
    createdAt: str(raw.createdAt),
  });
}

function toStatus(raw: unknown): StatusView {
  const body = isRecord(raw) ? raw : {};
  return compact({
    status: str(body.status),
    problems: strings(body.problems),
    repos: strings(body.repos ?? body.watchedRepos ?? body.watched_repos),
    jiraBaseUrl: str(body.jiraBaseUrl),
    version: str(body.version),
  });
}
