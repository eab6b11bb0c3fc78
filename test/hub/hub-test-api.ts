// A stand-in for the function app's hub API (node:http), shaped like functions/: the same routes and
// bodies ({ repo, staging }, { repo, releases }, { pending }, { reviews }, { decision, effect }), errors as
// { error: { code, message } } (a 409 also carries the decision), a Bearer app token on every route
// but /api/status, and CORS for any origin. Tests only use `startHubTestApi` and `HubTestApi`, so the
// real function app (sandbox/functions-host.ts over a seeded store) can replace it in one place.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { outcomeFromAction } from '../../core/gates.ts';
import type { ArchivedRelease, Decision, ReviewRecord, StagingRelease } from '../../core/model.ts';
import { ARCHIVED, PENDING, REVIEWS, STAGING } from './fixtures.ts';

export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  body: unknown;
}

export interface HubTestApiSeed {
  staging: StagingRelease[];
  archived: ArchivedRelease[];
  decisions: Decision[];
  reviews: ReviewRecord[];
}

export interface HubTestApi {
  /** The function app's base URL (the routes are under /api). */
  url: string;
  /** The app token it accepts. */
  token: string;
  /** Every request but CORS preflights, in order. */
  requests: RecordedRequest[];
  /** Answers a decision as someone else would (a Slack click), so the hub's click finds it decided. */
  decideElsewhere(decisionId: string, by: string, via?: Decision['decidedVia']): void;
  decision(decisionId: string): Decision | undefined;
  stop(): Promise<void>;
}

export async function startHubTestApi(
  options: { token?: string; seed?: Partial<HubTestApiSeed>; now?: () => Date } = {},
): Promise<HubTestApi> {
  const token = options.token ?? 'hub-test-app-token';
  const now = options.now ?? (() => new Date('2026-05-07T10:00:00.000Z'));
  const staging = structuredClone(options.seed?.staging ?? STAGING);
  const archived = structuredClone(options.seed?.archived ?? ARCHIVED);
  const decisions = structuredClone(options.seed?.decisions ?? PENDING);
  const reviews = structuredClone(options.seed?.reviews ?? REVIEWS);
  const requests: RecordedRequest[] = [];

  const view = (decision: Decision) => {
    const { nonce: _nonce, ...rest } = decision;
    return { ...rest, repo: decision.target.repo };
  };
  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };
  const fail = (res: ServerResponse, status: number, code: string, message: string, extra: object = {}) =>
    send(res, status, { error: { code, message }, ...extra });

  const route = (req: IncomingMessage, res: ServerResponse, url: URL, body: unknown) => {
    const path = url.pathname;
    if (req.method === 'GET' && path === '/api/status') return send(res, 200, { status: 'ok', problems: [] });
    if (req.headers.authorization !== `Bearer ${token}`) {
      return fail(res, 401, 'AUTH_INVALID', 'the app token was refused (bad_signature)');
    }
    if (req.method === 'GET' && path === '/api/staging') {
      const repo = url.searchParams.get('repo');
      if (!repo) return fail(res, 400, 'INPUT_INVALID', 'repo is required');
      const found = staging.find((release) => release.repo === repo);
      return found
        ? send(res, 200, { repo, staging: found })
        : fail(res, 404, 'RELEASE_NOT_FOUND', `${repo} has no staging release`);
    }
    const releases = /^\/api\/releases\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && releases) {
      const repo = decodeURIComponent(releases[1]!);
      const list = archived
        .filter((release) => release.repo === repo)
        .sort((a, b) => b.releasedAt.localeCompare(a.releasedAt));
      return send(res, 200, { repo, releases: list });
    }
    if (req.method === 'GET' && path === '/api/approvals/pending') {
      return send(res, 200, {
        pending: decisions.filter((decision) => decision.status === 'pending').map(view),
      });
    }
    const decide = /^\/api\/approvals\/([^/]+)$/.exec(path);
    if (req.method === 'POST' && decide) {
      const threadId = decodeURIComponent(decide[1]!);
      const request = (body ?? {}) as { action?: unknown; decisionId?: unknown };
      const decision = decisions.find(
        (candidate) =>
          candidate.threadId === threadId &&
          (request.decisionId === undefined || candidate.id === request.decisionId),
      );
      if (!decision) return fail(res, 404, 'DECISION_NOT_FOUND', 'no such decision');
      if (typeof request.action !== 'string') return fail(res, 400, 'INPUT_INVALID', 'action is required');
      let outcome: 'approved' | 'rejected';
      try {
        outcome = outcomeFromAction(decision.gate, request.action);
      } catch (error) {
        return fail(res, 400, 'INPUT_INVALID', (error as Error).message);
      }
      if (decision.status !== 'pending') {
        return fail(
          res,
          409,
          'DECISION_NOT_PENDING',
          `decision ${decision.id} is already ${decision.status}`,
          {
            decision: view(decision),
          },
        );
      }
      Object.assign(decision, {
        status: outcome,
        decidedAt: now().toISOString(),
        decidedBy: 'hub-user',
        decidedVia: 'hub',
      });
      return send(res, 200, { decision: view(decision), effect: 'queued' });
    }
    if (req.method === 'GET' && path === '/api/reviews') {
      const repo = url.searchParams.get('repo');
      const list = reviews
        .filter((review) => !repo || review.repo === repo)
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
      return send(res, 200, { reviews: list });
    }
    return fail(res, 404, 'NOT_FOUND', `no route ${req.method} ${path}`);
  };

  const server = createServer((req, res) => {
    const origin = req.headers.origin;
    if (origin) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
      res.setHeader('access-control-allow-headers', 'authorization, content-type');
      res.setHeader('vary', 'Origin');
    }
    if (req.method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        return fail(res, 400, 'INPUT_INVALID', 'the body is not valid JSON');
      }
      requests.push({
        method: req.method ?? 'GET',
        path: `${url.pathname}${url.search}`,
        authorization: req.headers.authorization,
        body,
      });
      route(req, res, url, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    token,
    requests,
    decideElsewhere(decisionId, by, via = 'slack') {
      const decision = decisions.find((candidate) => candidate.id === decisionId);
      if (!decision) throw new Error(`no decision ${decisionId}`);
      Object.assign(decision, {
        status: 'approved',
        decidedAt: now().toISOString(),
        decidedBy: by,
        decidedVia: via,
      });
    },
    decision: (decisionId) => decisions.find((candidate) => candidate.id === decisionId),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
