// The hub's API client (hub/src/api.ts) in Node, against the function app's real routes over the
// memory store (test/hub/hub-app.ts): what the client reads is what the handlers send (core/views.ts).
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decisionView, releaseView, reviewView, stagingView } from '../../core/views.ts';
import {
  ApiError,
  alreadyDecidedText,
  createHubApi,
  NOT_CONFIGURED_MESSAGE,
  normalizeBaseUrl,
  UNREACHABLE_MESSAGE,
} from '../../hub/src/api.ts';
import { freePort } from '../../sandbox/ports.ts';
import { ARCHIVED, PENDING, REVIEWS, STAGING } from './fixtures.ts';
import { type HubApp, HUB_USER, startHubApp } from './hub-app.ts';

/** A server in front of nothing: each `path` answers its status and raw text. */
async function oddServer(
  routes: Record<string, { status: number; text: string }>,
): Promise<{ url: string; stop(): Promise<void> }> {
  const server = createServer((request, response) => {
    const answer = routes[request.url ?? ''] ?? { status: 404, text: 'not found' };
    response.writeHead(answer.status, { 'content-type': 'text/html' }).end(answer.text);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('hub API client on the function app', function () {
  this.timeout(20_000);
  let app: HubApp;
  beforeEach(async () => {
    app = await startHubApp();
  });
  afterEach(async () => {
    await app?.stop();
  });

  const client = (token = app.token) =>
    createHubApi({ baseUrl: `${app.url}/api/`, getToken: async () => token });

  it('reads every staging release with one call, and knows the repos of reviews and decisions', async () => {
    const hub = client();
    const repos = await hub.knownRepos();
    assert.deepEqual([...repos].sort(), ['billing-worker', 'document-analyser', 'payments-api']);
    const staging = await hub.stagingReleases();
    // Exactly the views of the stored records, as the handler built them.
    assert.deepEqual(
      [...staging].sort((a, b) => a.repo.localeCompare(b.repo)),
      [...STAGING].sort((a, b) => a.repo.localeCompare(b.repo)).map(stagingView),
    );
    const paths = app.requests.map((request) => request.path);
    assert.equal(paths.filter((path) => path.startsWith('/api/staging')).length, 1);
    assert.ok(paths.includes('/api/staging'), 'the list route, not one call per repo');
    assert.ok(app.requests.every((request) => request.authorization === `Bearer ${app.token}`));
  });

  it('knows the watched repos from the status when WATCHED_REPOS names them', async () => {
    await app.stop();
    app = await startHubApp({ env: { WATCHED_REPOS: 'billing-worker,ledger' } });
    const status = await client().status();
    assert.ok('repos' in status, 'the hub gets the caller status');
    assert.deepEqual(await client().knownRepos(), ['billing-worker', 'ledger']);
    assert.equal(
      app.requests.filter((request) => request.path.startsWith('/api/reviews')).length,
      0,
      'no guess from reviews when the app names its repos',
    );
  });

  it('reads archived releases newest first with their gate answers', async () => {
    const releases = await client().releases('payments-api');
    assert.deepEqual(
      releases,
      ARCHIVED.filter((release) => release.repo === 'payments-api').map(releaseView),
    );
    assert.deepEqual(
      releases.map((release) => release.version),
      ['1.3.0', '1.2.0'],
    );
    assert.deepEqual(
      releases[0]?.gates.map((gate) => gate.by),
      ['Dana Reyes', 'Dana Reyes', 'Omar Haddad', 'Omar Haddad'],
    );
    assert.deepEqual(await client().releases('ledger'), [], 'a repo without releases: an empty list');
  });

  it('lists the five kinds of pending decision and answers one exactly once', async () => {
    const hub = client();
    const pending = await hub.pendingDecisions();
    assert.deepEqual(pending, PENDING.map(decisionView));
    assert.ok(!JSON.stringify(pending).includes('nonce'), 'the API never shows nonces');
    const decision = pending.find((item) => item.gate === 'run_pipelines')!;
    const decided = await hub.decide(decision.threadId, { action: 'trigger', decisionId: decision.id });
    assert.equal(decided.status, 'approved');
    assert.equal(decided.decidedBy, HUB_USER);
    assert.equal(decided.decidedVia, 'hub');
    const stored = await app.store.decisions.get(decision.id);
    assert.equal(stored?.status, 'approved');
    assert.ok(stored?.proof, 'the stored decision carries its proof');
    assert.equal((decided as unknown as Record<string, unknown>).proof, undefined, 'the view does not');
    assert.deepEqual(app.requests.at(-1)?.body, { action: 'trigger', decisionId: decision.id });
    const again = await hub.decide(decision.threadId, { action: 'skip', decisionId: decision.id }).then(
      () => assert.fail('a second answer must be refused'),
      (error: unknown) => error,
    );
    assert.ok(again instanceof ApiError);
    assert.equal(again.kind, 'conflict');
    assert.equal(again.status, 409);
    assert.equal(again.code, 'DECISION_NOT_PENDING');
    assert.equal(alreadyDecidedText(again), `already decided by ${HUB_USER} (approved via hub)`);
  });

  it('the API refuses a field it does not read (a nonce) rather than ignore it', async () => {
    const decision = PENDING[0]!;
    const response = await fetch(`${app.url}/api/approvals/${encodeURIComponent(decision.threadId)}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${app.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'merge', decisionId: decision.id, nonce: decision.nonce }),
    });
    assert.equal(response.status, 400);
    const body = (await response.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'INPUT_INVALID');
    assert.match(body.error.message, /^nonce is not accepted/);
    assert.equal((await app.store.decisions.get(decision.id))?.status, 'pending', 'nothing decided');
  });

  it('reads reviews newest first with verdict, findings and cost', async () => {
    const reviews = await client().reviews();
    assert.deepEqual(
      reviews,
      [...REVIEWS].sort((a, b) => b.createdAt.localeCompare(a.createdAt)).map(reviewView),
    );
    assert.deepEqual(
      reviews.map((review) => [review.prId, review.verdict, review.findingsCount, review.costUsd]),
      [
        [107, 'approve', 2, 0.42],
        [107, 'request_changes', 1, 0.13],
        [91, 'request_changes', 5, 0.61],
        [52, 'needs_human_review', 0, 1.05],
      ],
    );
    assert.deepEqual(
      (await client().reviews('billing-worker')).map((review) => review.prId),
      [91],
    );
  });

  it('says "function app not reachable" when nothing answers, and names the refused token', async () => {
    const port = await freePort();
    const down = createHubApi({ baseUrl: `http://127.0.0.1:${port}`, getToken: async () => 't' });
    await assert.rejects(
      down.status(),
      (error: unknown) =>
        error instanceof ApiError && error.kind === 'unreachable' && error.message === UNREACHABLE_MESSAGE,
    );
    await assert.rejects(
      createHubApi({ baseUrl: undefined, getToken: async () => 't' }).status(),
      (error: unknown) =>
        error instanceof ApiError &&
        error.kind === 'not_configured' &&
        error.message === NOT_CONFIGURED_MESSAGE,
    );
    await assert.rejects(
      client('not-the-token').pendingDecisions(),
      (error: unknown) =>
        error instanceof ApiError &&
        error.kind === 'unauthorized' &&
        error.code === 'AUTH_INVALID' &&
        /\(401\)/.test(error.message),
    );
    // A refused token still gets the public health (nothing more).
    assert.deepEqual(Object.keys(await client('not-the-token').status()), ['status']);
  });

  it('names an answer that is not the API’s: not JSON, or an error page without a code', async () => {
    const odd = await oddServer({
      '/api/reviews': { status: 200, text: '<html>oops</html>' },
      '/api/staging': { status: 200, text: '' },
      '/api/approvals/pending': { status: 502, text: '<html>Bad Gateway</html>' },
    });
    try {
      const hub = createHubApi({ baseUrl: odd.url, getToken: async () => '' });
      await assert.rejects(
        hub.reviews(),
        (error: unknown) => error instanceof ApiError && error.kind === 'malformed',
      );
      await assert.rejects(
        hub.stagingReleases(),
        (error: unknown) => error instanceof ApiError && error.kind === 'malformed',
      );
      await assert.rejects(
        hub.pendingDecisions(),
        (error: unknown) =>
          error instanceof ApiError &&
          error.kind === 'http' &&
          error.code === undefined &&
          error.message === 'the function app answered HTTP 502',
      );
    } finally {
      await odd.stop();
    }
  });

  it('normalises the function app URL', () => {
    assert.equal(normalizeBaseUrl(' https://fa.example.net/api/ '), 'https://fa.example.net');
    assert.equal(normalizeBaseUrl('http://127.0.0.1:7071'), 'http://127.0.0.1:7071');
    assert.equal(normalizeBaseUrl('https://host/prefix/api'), 'https://host/prefix');
    assert.equal(normalizeBaseUrl('javascript:alert(1)'), undefined);
    assert.equal(normalizeBaseUrl('not a url'), undefined);
    assert.equal(normalizeBaseUrl(''), undefined);
  });
});
