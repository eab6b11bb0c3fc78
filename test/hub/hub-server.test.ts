// sandbox/hub-server.ts: the standalone page with its injected config, static files kept inside the
// build, and /api/* forwarded to the function app (a missing one looks like a failed request).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type HubServer, startHubServer } from '../../sandbox/hub-server.ts';
import { freePort } from '../../sandbox/ports.ts';
import { type HubApp, startHubApp } from './hub-app.ts';

describe('hub page server (sandbox)', function () {
  this.timeout(20_000);
  let root: string;
  let api: HubApp;
  let hub: HubServer;
  let tokens = 0;

  before(async () => {
    // A stand-in build: the server serves whatever is in `root`.
    root = mkdtempSync(join(tmpdir(), 'hub-server-'));
    writeFileSync(
      join(root, 'index.html'),
      '<html><head><title>t</title></head><body><script src="hub.js"></script></body></html>',
    );
    writeFileSync(join(root, 'hub.js'), 'void 0;');
    mkdirSync(join(root, 'assets'));
    writeFileSync(join(root, 'assets', 'font.woff2'), 'font');
    api = await startHubApp();
    hub = await startHubServer({
      apiUrl: `${api.url}/api`,
      appToken: () => {
        tokens += 1;
        return `${api.token}</script><script>alert(1)</script>`;
      },
      root,
      hostName: 'acme',
    });
  });

  after(async () => {
    await hub?.stop();
    await api?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('injects the config, with a fresh token per page load and nothing that could end the script', async () => {
    const first = await (await fetch(hub.url)).text();
    await fetch(hub.url);
    assert.equal(tokens, 2);
    const json = /window\.__RELEASE_AGENT_HUB__ = (.*);<\/script>/.exec(first)?.[1];
    assert.ok(json, first);
    assert.ok(!json.includes('</script>'), 'the token cannot close the script element');
    assert.deepEqual(JSON.parse(json), {
      apiUrl: hub.apiUrl,
      token: `${api.token}</script><script>alert(1)</script>`,
      hostName: 'acme',
    });
    assert.equal(hub.apiUrl, hub.url.replace(/\/$/, ''), 'the page calls its own origin');
  });

  it('serves the build’s files and nothing outside it', async () => {
    const font = await fetch(`${hub.url}assets/font.woff2`);
    assert.equal(font.status, 200);
    assert.equal(font.headers.get('content-type'), 'font/woff2');
    assert.equal((await fetch(`${hub.url}..%2f..%2fetc%2fpasswd`)).status, 404);
    assert.equal((await fetch(`${hub.url}missing.js`)).status, 404);
  });

  it('forwards /api/* with the Bearer token and the body, and passes errors through', async () => {
    const answer = await fetch(`${hub.url}api/approvals/pr-payments-api-107`, {
      method: 'POST',
      headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'cancel', decisionId: 'dec-merge-107' }),
    });
    assert.equal(answer.status, 200);
    assert.equal(((await answer.json()) as { decision: { status: string } }).decision.status, 'rejected');
    assert.deepEqual(api.requests.at(-1), {
      method: 'POST',
      path: '/api/approvals/pr-payments-api-107',
      authorization: `Bearer ${api.token}`,
      body: { action: 'cancel', decisionId: 'dec-merge-107' },
    });
    const refused = await fetch(`${hub.url}api/approvals/pending`, {
      headers: { authorization: 'Bearer not-the-token' },
    });
    assert.equal(refused.status, 401);
    const error = ((await refused.json()) as { error: { code: string; message: string } }).error;
    assert.equal(error.code, 'AUTH_INVALID');
    assert.match(error.message, /^the app token was refused/);
  });

  it('fails the request when the function app is not there, as a browser would see it', async () => {
    const down = await startHubServer({
      apiUrl: `http://127.0.0.1:${await freePort()}`,
      appToken: 't',
      root,
    });
    try {
      await assert.rejects(fetch(`${down.url}api/status`));
    } finally {
      await down.stop();
    }
  });
});
