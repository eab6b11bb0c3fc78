// The HTTP API over real HTTP on the local host: the Python agent's endpoints, operator-token and
// hub app-token auth, CORS for the hub, and every error status a client can cause (never a 5xx).
import assert from 'node:assert/strict';
import { APP_TOKEN_ISSUER, signAppToken } from '../../core/app-token.ts';
import { createDecision, GATE_ACTIONS } from '../../core/gates.ts';
import { releaseThreadId } from '../../flows/threads.ts';
import {
  askMerge,
  openPullRequest,
  PR_PIPELINE,
  REPO,
  RELEASE_PIPELINE,
  startTestbed,
  type Testbed,
  waitFor,
} from './testbed.ts';

const HUB_USER = 'a1b2c3d4-0000-4000-8000-00000000hub1';
const OTHER_HUB_USER = 'a1b2c3d4-0000-4000-8000-00000000hub2';

describe('functions: HTTP API', () => {
  let bed: Testbed;
  const clock = { offsetMs: 0 };
  before(async () => {
    bed = await startTestbed({
      // The operator token decides gate 1 only (named); no one is named for the other gates.
      env: { GATE_ALLOWED_USERS: `merge_pr=U0RELMGR|${HUB_USER}|operator` },
      webhookEvents: [],
      // The app's clock: a test moves it past an expiry instead of sleeping.
      now: () => new Date(Date.now() + clock.offsetMs),
    });
  });
  after(() => bed?.stop());
  afterEach(() => {
    clock.offsetMs = 0;
  });

  const now = () => Math.floor(Date.now() / 1000);
  const hubToken = (
    claims: Record<string, unknown> = {},
    key = bed.stack.secrets.extensionCertificate,
    alg = 'HS256',
  ) =>
    signAppToken(
      {
        nameid: HUB_USER,
        tid: bed.stack.organizationId,
        iss: APP_TOKEN_ISSUER,
        aud: 'release-agent.release-agent',
        nbf: now() - 5,
        exp: now() + 300,
        ...claims,
      },
      key,
      alg,
    );
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  // biome-ignore lint/suspicious/noExplicitAny: answers are read field by field
  const json = async (response: Response) => (await response.json()) as Record<string, any>;
  const expectError = async (response: Response, status: number, code: string) => {
    const body = await json(response);
    assert.equal(response.status, status, JSON.stringify(body));
    assert.equal(body.error?.code, code);
    assert.doesNotMatch(JSON.stringify(body), /\.ts:\d+|node_modules|at async/, 'no stack in an error');
    return body;
  };
  const postJson = (path: string, body: unknown, headers: Record<string, string> = bed.operator) =>
    bed.api(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  describe('POST /api/jobs/{step}: the headers (schemas)', () => {
    const job = (headers: Record<string, string>) =>
      bed.api('/jobs/review.report', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: '{}',
      });

    it('a missing or malformed Authorization → 401 AUTH_INVALID', async () => {
      for (const authorization of [
        undefined,
        `Basic job-token-0123456789`,
        'Bearer short',
        'Bearer a b c d e f g h i',
      ]) {
        await expectError(
          await job({ 'x-release-agent-build': '7', ...(authorization ? { authorization } : {}) }),
          401,
          'AUTH_INVALID',
        );
      }
    });

    it('a build id that is not a positive whole number → 400 INPUT_INVALID naming the header', async () => {
      for (const build of [undefined, 'seven', '-7', '0', '000', '1.5', '12345678901']) {
        const body = await expectError(
          await job({
            authorization: 'Bearer job-token-0123456789',
            ...(build === undefined ? {} : { 'x-release-agent-build': build }),
          }),
          400,
          'INPUT_INVALID',
        );
        assert.match(body.error.message, /^x-release-agent-build must be the job's Build\.BuildId: /, build);
      }
    });

    it("well-formed headers reach Azure DevOps: a live job token and its build's id are accepted", async () => {
      const build = bed.stack.azdo.startAgentBuild({
        pipelineId: PR_PIPELINE.id,
        reason: 'manual',
        repository: REPO,
        sourceBranch: 'refs/heads/feature/headers',
        sourceVersion: 'a'.repeat(40),
      });
      // Not a PR build: the role is none, so the step is refused as the job's, not as a malformed request.
      const answer = await job({
        authorization: `bearer   ${build.token}`,
        'x-release-agent-build': ` ${build.run.id} `,
      });
      assert.equal(answer.status, 403, await answer.text());
      const forged = await job({
        authorization: 'Bearer job-token-0123456789',
        'x-release-agent-build': String(build.run.id),
      });
      assert.equal(forged.status, 401, 'a well-formed token Azure DevOps does not know');
    });
  });

  describe('GET /api/status', () => {
    it('tells anyone the health only', async () => {
      const response = await bed.api('/status');
      assert.equal(response.status, 200);
      // Degraded (gates 2-5 name no one here), but what is missing is not for anonymous callers.
      assert.deepEqual(await json(response), { status: 'degraded' });
      const forged = await json(await bed.api('/status', { headers: bearer(hubToken({}, 'cert-forged')) }));
      assert.deepEqual(forged, { status: 'degraded' });
    });

    it('reports configuration problems and the queue to the operator and the hub', async () => {
      const hub = await json(await bed.api('/status', { headers: bearer(hubToken()) }));
      assert.deepEqual(hub.repos, [REPO]);
      const response = await bed.api('/status', { headers: bed.operator });
      assert.equal(response.status, 200);
      const body = await json(response);
      assert.equal(body.status, 'degraded');
      assert.deepEqual(body.problems, [
        'GATE_ALLOWED_USERS names no one for create_release_pr, merge_release_pr, run_pipelines, approve_stage: no one may decide it',
      ]);
      assert.deepEqual(body.repos, [REPO]);
      assert.equal(body.jiraBaseUrl, bed.stack.jira.url);
      assert.equal(body.queue.name, bed.env.WORK_QUEUE_NAME);
      assert.equal(typeof body.queue.depth, 'number');
      assert.equal(body.queue.poisonDepth, 0);
      const text = JSON.stringify(body);
      for (const secret of Object.values(bed.stack.secrets)) assert.ok(!text.includes(secret));
    });
  });

  describe('operator endpoints: auth', () => {
    it('no token → 401', async () => expectError(await bed.api('/approvals/pending'), 401, 'AUTH_INVALID'));
    it('a wrong operator token → 401', async () =>
      expectError(
        await bed.api('/approvals/pending', { headers: { 'x-operator-token': 'op-wrong' } }),
        401,
        'AUTH_INVALID',
      ));
    it('the operator token → 200', async () =>
      assert.equal((await bed.api('/approvals/pending', { headers: bed.operator })).status, 200));
    it('a valid hub app token → 200', async () =>
      assert.equal((await bed.api('/approvals/pending', { headers: bearer(hubToken()) })).status, 200));
    it('an expired app token → 401', async () => {
      const body = await expectError(
        await bed.api('/approvals/pending', { headers: bearer(hubToken({ exp: now() - 120 })) }),
        401,
        'AUTH_INVALID',
      );
      assert.match(body.error.message, /expired/);
    });
    it('an app token without exp → 401', async () =>
      expectError(
        await bed.api('/approvals/pending', { headers: bearer(hubToken({ exp: undefined })) }),
        401,
        'AUTH_INVALID',
      ));
    it('a forged app token (another key) → 401', async () =>
      expectError(
        await bed.api('/approvals/pending', { headers: bearer(hubToken({}, 'cert-forged')) }),
        401,
        'AUTH_INVALID',
      ));
    it('alg none and RS256 app tokens → 401', async () => {
      const payload = hubToken().split('.')[1];
      const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
      await expectError(await bed.api('/approvals/pending', { headers: bearer(none) }), 401, 'AUTH_INVALID');
      await expectError(
        await bed.api('/approvals/pending', {
          headers: bearer(hubToken({}, bed.stack.secrets.extensionCertificate, 'RS256')),
        }),
        401,
        'AUTH_INVALID',
      );
    });
    for (const [label, claims, reason] of [
      ['another organisation', { tid: '00000000-0000-4000-8000-000000000000' }, 'wrong_organization'],
      ['another audience (another extension)', { aud: 'someone.else' }, 'wrong_audience'],
      ['another issuer', { iss: 'login.example.com' }, 'wrong_issuer'],
      ['no user', { nameid: undefined }, 'no_user'],
      ['a lifetime of a day', { exp: now() + 86_400 }, 'lifetime_too_long'],
    ] as const) {
      it(`an app token for ${label} → 401 (${reason})`, async () => {
        const body = await expectError(
          await bed.api('/approvals/pending', { headers: bearer(hubToken(claims)) }),
          401,
          'AUTH_INVALID',
        );
        assert.match(body.error.message, new RegExp(reason));
      });
    }
    it('a hub app token on the manual routes → 403 (operators only)', async () => {
      await expectError(
        await postJson('/manual/release', { repo: REPO }, bearer(hubToken())),
        403,
        'FORBIDDEN',
      );
      await expectError(
        await bed.api('/manual/pr/1', { method: 'POST', headers: bearer(hubToken()) }),
        403,
        'FORBIDDEN',
      );
    });
    it('the reads need a credential: releases, staging, reviews, pending approvals → 401 without', async () => {
      for (const path of [
        `/releases/${REPO}`,
        `/staging?repo=${REPO}`,
        '/staging',
        '/reviews',
        '/approvals/pending',
      ])
        await expectError(await bed.api(path), 401, 'AUTH_INVALID');
    });
    it('a token that is not a JWT → 401', async () =>
      expectError(
        await bed.api('/approvals/pending', { headers: { authorization: 'Basic abc' } }),
        401,
        'AUTH_INVALID',
      ));
  });

  describe('CORS for the hub', () => {
    const hubOrigin = 'https://release-agent.gallerycdn.vsassets.io';
    it('answers the preflight from the hub origin', async () => {
      const response = await bed.api('/approvals/pending', {
        method: 'OPTIONS',
        headers: {
          origin: hubOrigin,
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'authorization',
        },
      });
      assert.equal(response.status, 204);
      assert.equal(response.headers.get('access-control-allow-origin'), hubOrigin);
      assert.match(response.headers.get('access-control-allow-headers') ?? '', /authorization/);
    });
    it('adds the header to answers for the hub, errors included', async () => {
      const response = await bed.api('/approvals/pending', { headers: { origin: hubOrigin } });
      assert.equal(response.status, 401);
      assert.equal(response.headers.get('access-control-allow-origin'), hubOrigin);
    });
    it('says nothing to another origin', async () => {
      const response = await bed.api('/approvals/pending', {
        method: 'OPTIONS',
        headers: { origin: 'https://evil.example' },
      });
      assert.equal(response.headers.get('access-control-allow-origin'), null);
    });
  });

  describe('read endpoints', () => {
    before(async () => {
      const at = new Date().toISOString();
      await bed.stack.store.releases.archive({
        repo: REPO,
        version: '1.0.0',
        startedAt: at,
        releasedAt: at,
        tickets: [],
        notes: 'first',
        gates: [],
      });
      await bed.stack.store.staging.update(REPO, () => ({
        repo: REPO,
        version: '1.0.1',
        startedAt: at,
        updatedAt: at,
        tickets: [{ key: 'ALLPOST-1', summary: 'Login', prIds: [1], bump: 'patch', addedAt: at }],
      }));
      await bed.stack.store.reviews.put({
        repo: REPO,
        prId: 1,
        sourceCommit: 'a'.repeat(40),
        verdict: 'approve',
        summary: 'fine',
        findingsCount: 0,
        injectionSuspected: false,
        costUsd: 0.1,
        createdAt: at,
      });
    });
    it('GET /api/releases/{repo} → the archived releases', async () => {
      const body = await json(
        await bed.api(`/releases/${encodeURIComponent(REPO)}`, { headers: bearer(hubToken()) }),
      );
      assert.deepEqual(
        body.releases.map((release: { version: string }) => release.version),
        ['1.0.0'],
      );
    });
    it('GET /api/releases/{repo}?limit=0 → 400', async () =>
      expectError(
        await bed.api(`/releases/${REPO}?limit=0`, { headers: bed.operator }),
        400,
        'INPUT_INVALID',
      ));
    it('GET /api/staging?repo= → the staging release; unknown repo → 404; a bad name → 400; no repo → all', async () => {
      const read = (path: string) => bed.api(path, { headers: bed.operator });
      const body = await json(await read(`/staging?repo=${encodeURIComponent(REPO)}`));
      assert.equal(body.staging.version, '1.0.1');
      await expectError(await read('/staging?repo=Nope'), 404, 'RELEASE_NOT_FOUND');
      await expectError(await read('/staging?repo=a%2Fb'), 400, 'INPUT_INVALID');
      const all = await json(await bed.api('/staging', { headers: bearer(hubToken()) }));
      assert.deepEqual(
        all.staging.map((release: { repo: string }) => release.repo),
        [REPO],
      );
    });
    it('GET /api/reviews?repo= → the review log for the hub (auth required)', async () => {
      await expectError(await bed.api(`/reviews?repo=${REPO}`), 401, 'AUTH_INVALID');
      const body = await json(
        await bed.api(`/reviews?repo=${encodeURIComponent(REPO)}`, { headers: bearer(hubToken()) }),
      );
      assert.equal(body.reviews.length, 1);
      assert.equal(body.reviews[0].verdict, 'approve');
    });
    it('an unknown route → 404, a wrong method → 405', async () => {
      await expectError(await bed.api('/nothing/here'), 404, 'NOT_FOUND');
      assert.equal((await bed.api('/status', { method: 'DELETE' })).status, 405);
    });
  });

  describe('approvals', () => {
    it('GET /api/approvals/pending lists pending decisions without their nonces', async () => {
      const pr = openPullRequest(bed, 'feature/ALLPOST-500_list');
      const decision = await askMerge(bed, pr);
      const body = await json(await bed.api('/approvals/pending', { headers: bed.operator }));
      const listed = body.pending.find((item: { id: string }) => item.id === decision.id);
      assert.equal(listed.gateNumber, 1);
      assert.equal(listed.threadId, decision.threadId);
      assert.deepEqual(listed.actions, { approve: 'merge', reject: 'cancel' });
      assert.ok(!JSON.stringify(body).includes(decision.nonce), 'no nonce');
      // The view (core/views.ts), not the record: its card's message stays private too.
      assert.ok(decision.slack, 'the stored decision has its card');
      assert.equal(listed.slack, undefined);
    });

    it('POST /api/approvals/{threadId} merge → 200 and the PR completes; again → 409; unknown thread → 404', async () => {
      const pr = openPullRequest(bed, 'feature/ALLPOST-501_api');
      const decision = await askMerge(bed, pr);
      const path = `/approvals/${encodeURIComponent(decision.threadId)}`;
      // The decider is who authenticated, never a name in the body.
      const named = await expectError(
        await postJson(path, { action: 'merge', by: 'alice' }),
        400,
        'INPUT_INVALID',
      );
      assert.match(named.error.message, /by is not accepted/);
      assert.equal((await bed.stack.store.decisions.get(decision.id))?.status, 'pending');
      const answer = await postJson(path, { action: 'merge' });
      assert.equal(answer.status, 200);
      const body = await json(answer);
      assert.equal(body.decision.status, 'approved');
      assert.equal(body.decision.decidedVia, 'api');
      assert.equal(body.decision.decidedBy, 'operator');
      assert.equal(body.decision.nonce, undefined);
      await waitFor(() => pr.status === 'completed', 'the PR to complete');
      const again = await expectError(await postJson(path, { action: 'merge' }), 409, 'DECISION_NOT_PENDING');
      assert.match(again.error.message, /already approved by operator/);
      await expectError(await postJson('/approvals/pr.Nope.999', { action: 'merge' }), 404, 'NOT_FOUND');
    });

    it('a hub user in GATE_ALLOWED_USERS decides; another → 403', async () => {
      const pr = openPullRequest(bed, 'feature/ALLPOST-502_hub');
      const decision = await askMerge(bed, pr);
      const path = `/approvals/${encodeURIComponent(decision.threadId)}`;
      const refused = await expectError(
        await postJson(path, { action: 'merge' }, bearer(hubToken({ nameid: OTHER_HUB_USER }))),
        403,
        'FORBIDDEN',
      );
      assert.match(refused.error.message, /may not answer gate 1/);
      assert.equal((await bed.stack.store.decisions.get(decision.id))?.status, 'pending');
      const answer = await postJson(path, { action: 'cancel' }, bearer(hubToken()));
      assert.equal(answer.status, 200);
      const body = await json(answer);
      assert.equal(body.decision.status, 'rejected');
      assert.equal(body.decision.decidedVia, 'hub');
      assert.equal(body.decision.decidedBy, HUB_USER);
    });

    it('the operator token decides only where GATE_ALLOWED_USERS names `operator`', async () => {
      const threadId = releaseThreadId('Other.Repo', '7.0.0');
      const at = new Date();
      const decision = await bed.stack.store.decisions.createIfAbsent(
        createDecision({
          id: 'api-operator-gate2',
          threadId,
          target: { gate: 'create_release_pr', repo: REPO, version: '7.0.0', approvalId: 'approval-op-1' },
          nonce: 'nonce-api-operator-gate2',
          now: at,
        }),
      );
      const refused = await expectError(
        await postJson(`/approvals/${encodeURIComponent(threadId)}`, { action: 'create' }),
        403,
        'FORBIDDEN',
      );
      assert.match(refused.error.message, /may not answer gate 2/);
      assert.equal((await bed.stack.store.decisions.get(decision.stored.id))?.status, 'pending');
    });

    it('separation of duties: the hub user who opened the PR cannot merge it', async () => {
      const { azdo } = bed.stack;
      azdo.pushCommit(REPO, 'feature/ALLPOST-508_own', { message: 'mine' });
      const pr = azdo.createPullRequestAsUser({
        repository: REPO,
        sourceRefName: 'refs/heads/feature/ALLPOST-508_own',
        targetRefName: 'refs/heads/develop',
        title: 'My own change',
        createdBy: { id: HUB_USER, displayName: 'Hub User', uniqueName: 'hub.user@acme.example' },
      });
      const decision = await askMerge(bed, pr);
      const path = `/approvals/${encodeURIComponent(decision.threadId)}`;
      const refused = await expectError(
        await postJson(path, { action: 'merge' }, bearer(hubToken())),
        403,
        'FORBIDDEN',
      );
      assert.match(refused.error.message, /you opened this PR: someone else must merge it/);
      assert.equal((await bed.stack.store.decisions.get(decision.id))?.status, 'pending');
      assert.equal(pr.status, 'active');
      // Someone else may.
      assert.equal((await postJson(path, { action: 'merge' })).status, 200);
      await waitFor(() => pr.status === 'completed', 'the PR to complete');
    });

    it('a merge after a new push → 409 saying a new commit was pushed', async () => {
      const pr = openPullRequest(bed, 'feature/ALLPOST-503_stale');
      const decision = await askMerge(bed, pr);
      const pushed = bed.stack.azdo.pushCommit(REPO, 'feature/ALLPOST-503_stale');
      const body = await expectError(
        await postJson(`/approvals/${encodeURIComponent(decision.threadId)}`, { action: 'merge' }),
        409,
        'PR_STALE_COMMIT',
      );
      assert.match(body.error.message, new RegExp(`a new commit ${pushed.commitId.slice(0, 7)} was pushed`));
      assert.equal(body.decision.status, 'superseded');
    });

    it('an expired decision → 409 DECISION_EXPIRED (never 410)', async () => {
      const pr = openPullRequest(bed, 'feature/ALLPOST-504_expired');
      const decision = await askMerge(bed, pr, 1);
      clock.offsetMs = 2_000; // the app's clock passes the 1 s expiry
      await expectError(
        await postJson(`/approvals/${encodeURIComponent(decision.threadId)}`, { action: 'merge' }),
        409,
        'DECISION_EXPIRED',
      );
    });

    it('client mistakes: 400 bad action, 400 malformed JSON, 415 wrong content type, 413 too large', async () => {
      const pr = openPullRequest(bed, 'feature/ALLPOST-505_bad');
      const decision = await askMerge(bed, pr);
      const path = `/approvals/${encodeURIComponent(decision.threadId)}`;
      const bad = await expectError(await postJson(path, { action: 'trigger' }), 400, 'INPUT_INVALID');
      assert.match(bad.error.message, /not valid at gate merge_pr/);
      const missing = await expectError(await postJson(path, {}), 400, 'INPUT_INVALID');
      assert.match(missing.error.message, /^action: required/);
      // Each field of the body is read by its schema; the answer names the one that is wrong.
      for (const [body, field] of [
        [{ action: 42 }, 'action'],
        [{ action: 'merge', decisionId: ['d'] }, 'decisionId'],
        [{ action: 'merge', decisionId: 'x'.repeat(201) }, 'decisionId'],
        [[{ action: 'merge' }], 'body'],
      ] as const) {
        const named = await expectError(await postJson(path, body), 400, 'INPUT_INVALID');
        assert.match(named.error.message, new RegExp(`^${field}: `), JSON.stringify(named));
      }
      const limit = await expectError(
        await bed.api(`/releases/${REPO}?limit=1.5`, { headers: bed.operator }),
        400,
        'INPUT_INVALID',
      );
      assert.match(limit.error.message, /^limit: must be a whole number from 1 to/);
      const repo = await expectError(await postJson('/manual/release', { repo: 7 }), 400, 'INPUT_INVALID');
      assert.match(repo.error.message, /^repo: expected a string, got number 7/);
      // A field the API does not read is refused, not ignored (a nonce is for Slack buttons).
      const nonce = await expectError(
        await postJson(path, { action: 'merge', nonce: decision.nonce }),
        400,
        'INPUT_INVALID',
      );
      assert.match(nonce.error.message, /^nonce is not accepted/);
      await expectError(
        await bed.api(path, {
          method: 'POST',
          headers: { ...bed.operator, 'content-type': 'application/json' },
          body: '{"action":',
        }),
        400,
        'INPUT_INVALID',
      );
      await expectError(
        await bed.api(path, {
          method: 'POST',
          headers: { ...bed.operator, 'content-type': 'text/plain' },
          body: 'merge',
        }),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      );
      await expectError(
        await postJson(path, { action: 'merge', pad: 'x'.repeat(300 * 1024) }),
        413,
        'BODY_TOO_LARGE',
      );
      assert.equal((await bed.stack.store.decisions.get(decision.id))?.status, 'pending');
    });

    it('no client input makes a 5xx', async () => {
      const inputs: [string, RequestInit][] = [
        [
          '/approvals/%E0%A4%A',
          {
            method: 'POST',
            headers: { ...bed.operator, 'content-type': 'application/json' },
            body: '{"action":"merge"}',
          },
        ],
        [
          '/approvals/x',
          { method: 'POST', headers: { ...bed.operator, 'content-type': 'application/json' }, body: '[1,2]' },
        ],
        ['/manual/pr/abc', { method: 'POST', headers: bed.operator }],
        [
          '/manual/release',
          {
            method: 'POST',
            headers: { ...bed.operator, 'content-type': 'application/json' },
            body: '{"repo":"a/b"}',
          },
        ],
        ['/releases/%00', { headers: bed.operator }],
        // Short enough for a repo name, too long for a table key once encoded.
        [`/releases/${encodeURIComponent('\u{1F600}'.repeat(120))}`, { headers: bed.operator }],
        [`/staging?repo=${encodeURIComponent('\u20ac'.repeat(200))}`, { headers: bed.operator }],
        ['/reviews?limit=99999', { headers: bed.operator }],
        [
          '/slack/interactions',
          {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: 'payload=%ZZ',
          },
        ],
        [
          '/azdo/events',
          {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'x-webhook-secret': bed.stack.secrets.webhookSecret,
            },
            body: '{"id":"x","eventType":"git.pullrequest.updated","resource":{"repository":{}}}',
          },
        ],
      ];
      for (const [path, init] of inputs) {
        const response = await bed.api(path, init);
        assert.ok(response.status >= 400 && response.status < 500, `${path} answered ${response.status}`);
      }
    });
  });

  describe('manual triggers', () => {
    it('POST /api/manual/pr/{prId} → 202 and the PR pipeline is queued (again, on request)', async () => {
      const pr = openPullRequest(bed, 'feature/ALLPOST-506_manual');
      const runs = () =>
        [...bed.stack.azdo.runs.values()].filter(
          (run) => run.refName === `refs/pull/${pr.id}/merge` && run.pipelineId === PR_PIPELINE.id,
        );
      const answer = await bed.api(`/manual/pr/${pr.id}`, { method: 'POST', headers: bed.operator });
      assert.equal(answer.status, 202);
      assert.equal((await json(answer)).repo, REPO);
      await waitFor(() => runs().length === 1, 'the run');
      assert.equal(
        (await bed.api(`/manual/pr/${pr.id}`, { method: 'POST', headers: bed.operator })).status,
        202,
      );
      await waitFor(() => runs().length === 2, 'the second, requested run');
      await expectError(
        await bed.api('/manual/pr/99999', { method: 'POST', headers: bed.operator }),
        404,
        'NOT_FOUND',
      );
      await expectError(await bed.api(`/manual/pr/${pr.id}`, { method: 'POST' }), 401, 'AUTH_INVALID');
    });

    it('POST /api/manual/release → 202 and the release pipeline is queued; nothing staged → 404; running → 409', async () => {
      const before = [...bed.stack.azdo.runs.values()].filter(
        (run) => run.pipelineId === RELEASE_PIPELINE.id,
      ).length;
      const answer = await postJson('/manual/release', { repo: REPO });
      assert.equal(answer.status, 202);
      assert.equal((await json(answer)).version, '1.0.1');
      await waitFor(
        () =>
          [...bed.stack.azdo.runs.values()].filter((run) => run.pipelineId === RELEASE_PIPELINE.id).length ===
          before + 1,
        'the release run',
      );
      // The pipeline comes from RELEASE_PIPELINE_BY_REPO only: a body naming one is refused.
      const chosen = await expectError(
        await postJson('/manual/release', { repo: REPO, pipelineId: PR_PIPELINE.id }),
        400,
        'INPUT_INVALID',
      );
      assert.match(chosen.error.message, /pipelineId is not accepted/);
      await expectError(await postJson('/manual/release', { repo: 'Other.Repo' }), 404, 'NOT_FOUND');
      const at = new Date().toISOString();
      await bed.stack.store.threads.createIfAbsent({
        id: releaseThreadId(REPO, '1.0.1'),
        kind: 'release',
        repo: REPO,
        status: 'running',
        state: { version: '1.0.1' },
        createdAt: at,
        updatedAt: at,
      });
      await expectError(await postJson('/manual/release', { repo: REPO }), 409, 'CONFLICT');
    });
  });

  it("the Python agent's paths answer as the /api routes do (a team's Slack app and service hooks keep working)", async () => {
    const root = (path: string, init?: RequestInit) => fetch(`${bed.host.url}${path}`, init);
    const hook = { 'content-type': 'application/json', 'x-webhook-secret': bed.stack.secrets.webhookSecret };
    const ignorable = JSON.stringify({ id: 'legacy-path-1', eventType: 'build.complete', resource: {} });
    const pairs: Array<[string, string, RequestInit]> = [
      ['/status', '/status', { headers: bed.operator }],
      ['/approvals/pending', '/approvals/pending', { headers: bed.operator }],
      ['/staging?repo=Nothing.Here', '/staging?repo=Nothing.Here', { headers: bed.operator }],
      ['/releases/Nothing.Here', '/releases/Nothing.Here', { headers: bed.operator }],
      ['/webhooks/azdo', '/azdo/events', { method: 'POST', headers: hook, body: ignorable }],
    ];
    for (const [old, current, init] of pairs) {
      const [before, after] = await Promise.all([root(old, init), bed.api(current, init)]);
      const [oldBody, newBody] = [await json(before), await json(after)];
      // The host's own 404 would mean no route: the handler must have answered.
      assert.notEqual(oldBody.error?.code, 'NOT_FOUND', `${old}: ${JSON.stringify(oldBody)}`);
      assert.equal(before.status, after.status, old);
      assert.deepEqual(oldBody, newBody, old);
    }
    // The same checks guard them: a wrong secret, no signature, no operator token.
    await expectError(
      await root('/webhooks/azdo', {
        method: 'POST',
        headers: { ...hook, 'x-webhook-secret': 'guess' },
        body: ignorable,
      }),
      401,
      'AUTH_INVALID',
    );
    const unsigned = await root('/slack/interactions', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'payload=%7B%7D',
    });
    const unsignedNew = await bed.api('/slack/interactions', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'payload=%7B%7D',
    });
    assert.equal(unsigned.status, unsignedNew.status);
    assert.ok(unsigned.status === 401 || unsigned.status === 403, String(unsigned.status));
    const manual = await root('/manual/release', { method: 'POST', body: '{}' });
    assert.equal(manual.status, (await bed.api('/manual/release', { method: 'POST', body: '{}' })).status);
    assert.ok(manual.status >= 400 && manual.status < 500);
    // Only the documented paths: anything else at the root is not found.
    assert.equal((await root('/jobs/ticket.ensure', { method: 'POST', body: '{}' })).status, 404);
  });

  it('a Slack click and an API answer are the same flow: the API answer shows on the Slack card', async () => {
    const pr = openPullRequest(bed, 'feature/ALLPOST-507_card');
    const decision = await askMerge(bed, pr);
    assert.equal(
      (await postJson(`/approvals/${encodeURIComponent(decision.threadId)}`, { action: 'cancel' })).status,
      200,
    );
    await waitFor(
      () =>
        JSON.stringify(bed.stack.slack.message(decision.slack.channel, decision.slack.ts)?.blocks).includes(
          'Cancelled by operator',
        ),
      'the card',
    );
    const delivery = await bed.stack.slack
      .click({ ...decision.slack, actionId: GATE_ACTIONS.merge_pr.approve.actionId, userId: 'U0RELMGR' })
      .catch((error: Error) => error);
    // The decided card has no buttons left to press.
    assert.ok(delivery instanceof Error && /no button/.test(delivery.message));
  });
});
