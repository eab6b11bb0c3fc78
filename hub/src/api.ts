// The hub's client of the function app's API. The request and response bodies are the API's own
// types (core/views.ts), which the function app's handlers are checked against: the hub reads exactly
// what the server sends, with no guessing. Requests carry the app token as a Bearer token. What stays
// defensive is the transport: nothing answering, a refused token, or a body that is not JSON.
import {
  type DecideRefusal,
  type DecideRequest,
  type DecideResponse,
  type DecisionView,
  isCallerStatus,
  type PendingResponse,
  type ReleaseView,
  type ReleasesResponse,
  type ReviewView,
  type ReviewsResponse,
  type StagingListResponse,
  type StagingView,
  type StatusResponse,
} from '../../core/views.ts';

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

export type {
  CallerStatus,
  DecideRequest,
  DecisionView,
  GateRecordView,
  ReleaseView,
  ReviewView,
  StagingView,
  StatusResponse,
  TicketView,
} from '../../core/views.ts';

export interface HubApi {
  readonly baseUrl: string | undefined;
  status(): Promise<StatusResponse>;
  /**
   * The repos the function app knows: those its status names (WATCHED_REPOS), else (WATCHED_REPOS
   * empty = every repo) those of the reviews and pending decisions. Repos with a staging release come
   * with stagingReleases.
   */
  knownRepos(): Promise<string[]>;
  /** Every repo's open staging release. */
  stagingReleases(): Promise<StagingView[]>;
  /** Archived releases of a repo, newest first. */
  releases(repo: string): Promise<ReleaseView[]>;
  pendingDecisions(): Promise<DecisionView[]>;
  /** Answers a gate; 409 (already decided) is an ApiError of kind `conflict`. */
  decide(threadId: string, request: DecideRequest): Promise<DecisionView>;
  /** Newest first. */
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
    // Every answer of the API is a JSON body (core/views.ts): an empty one is not the API's either.
    if (json === undefined) {
      throw new ApiError(
        'malformed',
        `the function app answered ${path} with something that is not JSON`,
        response.status,
      );
    }
    return json;
  }

  const get = <T>(path: string) => call('GET', path) as Promise<T>;

  async function pendingDecisions(): Promise<DecisionView[]> {
    return (await get<PendingResponse>('/approvals/pending')).pending;
  }

  async function reviews(repo?: string): Promise<ReviewView[]> {
    const query = repo ? `?repo=${encodeURIComponent(repo)}` : '';
    return (await get<ReviewsResponse>(`/reviews${query}`)).reviews;
  }

  return {
    baseUrl,
    status: () => get<StatusResponse>('/status'),
    async knownRepos() {
      const status = await get<StatusResponse>('/status');
      if (isCallerStatus(status) && status.repos.length > 0) return status.repos;
      const [reviewed, pending] = await Promise.all([reviews(), pendingDecisions()]);
      return [...new Set([...reviewed, ...pending].map((item) => item.repo))];
    },
    async stagingReleases() {
      return (await get<StagingListResponse>('/staging')).staging;
    },
    async releases(repo) {
      return (await get<ReleasesResponse>(`/releases/${encodeURIComponent(repo)}`)).releases;
    },
    pendingDecisions,
    async decide(threadId, request) {
      const answer = (await call(
        'POST',
        `/approvals/${encodeURIComponent(threadId)}`,
        request,
      )) as DecideResponse;
      return answer.decision;
    },
    reviews,
  };
}

// ---------------------------------------------------------------------------------------------
// Errors.

function httpError(status: number, body: unknown): ApiError {
  // The API's refusals are DecideRefusal / ErrorBody; anything else (a proxy's page) has no code.
  const refusal = isRecord(body) && isRecord(body.error) ? (body as unknown as DecideRefusal) : undefined;
  const code = refusal?.error.code;
  const message = refusal?.error.message;
  // A decision that is no longer pending comes with the refusal: who decided it, and how.
  const decision = refusal?.decision;
  const fields: Record<string, unknown> = decision
    ? { status: decision.status, decidedBy: decision.decidedBy, decidedVia: decision.decidedVia }
    : {};
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
