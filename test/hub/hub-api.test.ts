// The hub's API client (hub/src/api.ts) in Node: against the test API, and against odd answers.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort } from '../../sandbox/ports.ts';
import {
  ApiError,
  alreadyDecidedText,
  createHubApi,
  NOT_CONFIGURED_MESSAGE,
  normalizeBaseUrl,
  UNREACHABLE_MESSAGE,
} from '../../hub/src/api.ts';
import { type HubTestApi, startHubTestApi } from './hub-test-api.ts';

/** A function app that answers odd bodies over real HTTP: each `path?query` with its status and body. */
async function oddFunctionApp(
  routes: Record<string, { status?: number; body: unknown }>,
): Promise<{ url: string; stop(): Promise<void> }> {
  const server = createServer((request, response) => {
    const answer = routes[request.url ?? ''];
    const body = answer
      ? typeof answer.body === 'string'
        ? answer.body
        : JSON.stringify(answer.body)
      : JSON.stringify({ error: { code: 'NOT_FOUND', message: 'no route' } });
    response
      .writeHead(answer ? (answer.status ?? 200) : 404, { 'content-type': 'application/json' })
      .end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('hub API client', () => {
  let api: HubTestApi;
  before(async () => {
    api = await startHubTestApi();
  });
  after(async () => {
    await api.stop();
  });

  const client = (token = api.token) =>
    createHubApi({ baseUrl: `${api.url}/api/`, getToken: async () => token });

  it('finds every staging release without a list route: one call per repo seen in reviews and decisions', async () => {
    const hub = client();
    const repos = await hub.knownRepos();
    assert.deepEqual([...repos].sort(), ['billing-worker', 'document-analyser', 'payments-api']);
    const staging = await hub.stagingReleases(repos);
    assert.deepEqual(staging.map((release) => [release.repo, release.version]).sort(), [
      ['billing-worker', '0.9.3'],
      ['payments-api', '1.4.0'],
    ]);
    const payments = staging.find((release) => release.repo === 'payments-api');
    assert.deepEqual(
      payments?.tickets.map((ticket) => [ticket.key, ticket.prIds]),
      [
        ['ALLPOST-4028', [101, 102]],
        ['ALLPOST-4031', [105]],
      ],
    );
    assert.ok(
      api.requests.some((request) => request.path === '/api/staging?repo=document-analyser'),
      'asked for each repo',
    );
    assert.ok(
      api.requests.every(
        (request) => request.path === '/api/status' || request.authorization === `Bearer ${api.token}`,
      ),
    );
  });

  it('reads archived releases newest first with their gate answers', async () => {
    const releases = await client().releases('payments-api');
    assert.deepEqual(
      releases.map((release) => release.version),
      ['1.3.0', '1.2.0'],
    );
    assert.deepEqual(
      releases[0]?.gates.map((gate) => gate.by),
      ['Dana Reyes', 'Dana Reyes', 'Omar Haddad', 'Omar Haddad'],
    );
  });

  it('lists the five kinds of pending decision and answers one exactly once', async () => {
    const hub = client();
    const pending = await hub.pendingDecisions();
    assert.deepEqual(
      pending.map((decision) => decision.gate),
      ['merge_pr', 'create_release_pr', 'merge_release_pr', 'run_pipelines', 'approve_stage'],
    );
    const decision = pending.find((item) => item.gate === 'run_pipelines')!;
    assert.equal(decision.nonce, undefined, 'the API never shows nonces');
    const decided = await hub.decide(decision.threadId, { action: 'trigger', decisionId: decision.id });
    assert.equal(decided?.status, 'approved');
    const again = await hub.decide(decision.threadId, { action: 'skip', decisionId: decision.id }).then(
      () => assert.fail('a second answer must be refused'),
      (error: unknown) => error,
    );
    assert.ok(again instanceof ApiError);
    assert.equal(again.kind, 'conflict');
    assert.equal(again.status, 409);
    assert.equal(alreadyDecidedText(again), 'already decided by hub-user (approved via hub)');
  });

  it('reads reviews with verdict, findings and cost', async () => {
    const reviews = await client().reviews();
    assert.deepEqual(
      reviews.map((review) => [review.prId, review.verdict, review.findingsCount, review.costUsd]),
      [
        [107, 'approve', 2, 0.42],
        [107, 'request_changes', 1, 0.13],
        [91, 'request_changes', 5, 0.61],
        [52, 'needs_human_review', 0, 1.05],
      ],
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
        error instanceof ApiError && error.kind === 'unauthorized' && /\(401\)/.test(error.message),
    );
  });

  it('reads answers defensively: list forms, unknown fields ignored, missing fields left out', async () => {
    const odd = await oddFunctionApp({
      '/api/staging': {
        body: [
          { repo: 'a', tickets: [{ key: 'X-1', extra: true }, 'X-2', { summary: 'no key' }], future: 1 },
          { version: '1' },
        ],
      },
      '/api/status': {
        body: {
          status: 'ok',
          problems: 'one,two',
          watchedRepos: 'a, b',
          jiraBaseUrl: 'https://j.example.net',
        },
      },
      '/api/releases/a': {
        body: [{ version: '1.0.0' }, { version: '1.1.0', releasedAt: '2026-01-02T00:00:00Z' }],
      },
      '/api/approvals/pending': {
        body: { decisions: [{ id: 'd', threadId: 't', target: { gate: 'nope' } }, { id: 'no-thread' }] },
      },
      '/api/reviews': { body: '<html>oops</html>' },
    });
    try {
      const hub = createHubApi({ baseUrl: odd.url, getToken: async () => '' });
      assert.deepEqual(await hub.stagingReleases(), [
        {
          repo: 'a',
          tickets: [
            { key: 'X-1', prIds: [] },
            { key: 'X-2', prIds: [] },
          ],
        },
      ]);
      assert.deepEqual(await hub.status(), {
        status: 'ok',
        problems: ['one', 'two'],
        repos: ['a', 'b'],
        jiraBaseUrl: 'https://j.example.net',
      });
      assert.deepEqual(
        (await hub.releases('a')).map((release) => release.version),
        ['1.1.0', '1.0.0'],
      );
      const pending = await hub.pendingDecisions();
      assert.equal(pending.length, 1);
      assert.equal(pending[0]?.gate, undefined, 'an unknown gate is kept without a gate');
      await assert.rejects(
        hub.reviews(),
        (error: unknown) => error instanceof ApiError && error.kind === 'malformed',
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
