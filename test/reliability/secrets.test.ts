// Secrets: the run-wide scan (test/support/global-fixture.ts) reads everything the run logged, the
// function host's log and the simulators' request logs (query strings) included, for every secret the
// sandbox issued, raw, base64 and URL-encoded. Here: the scan sees those sources, and what was
// captured so far holds none of the issued secrets (the fixture repeats the scan over the whole run).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { type FunctionsHost, startFunctionsHost } from '../../sandbox/functions-host.ts';
import { SimServer } from '../../sandbox/sim/server.ts';
import { issuedSecrets } from '../../sandbox/stack.ts';
import { capturedLogs, describeScan, secretLeaks } from '../support/global-fixture.ts';

describe('reliability: secrets in the logs', () => {
  let figure = '';
  after(() => {
    if (figure) console.log(`  secrets so far: ${figure} (the run-wide scan at the end covers every suite)`);
  });

  it('the scan reads the function host log and the simulators’ request logs, in every encoded form', async () => {
    // Not issued by a stack, so the run-wide scan does not count it: only this test looks for it.
    const planted = `probe-${randomBytes(12).toString('base64')}/x+y`;
    const sim = new SimServer('probe');
    sim.route('GET', '/items', 'listItems', () => ({ status: 200, body: [] }));
    await sim.start();
    let host: FunctionsHost | undefined;
    try {
      await fetch(`${sim.url}/items?token=${encodeURIComponent(planted)}`);
      host = await startFunctionsHost({
        env: {},
        log: () => undefined,
        registrations: [
          {
            kind: 'http',
            name: 'probe',
            // As the app's routes do: host.json's routePrefix is empty, the routes carry api/.
            route: 'api/probe',
            methods: ['GET'],
            extraOutputs: [],
            handler: async (_request, context) => {
              context.log(`a careless line: ${Buffer.from(planted).toString('base64')}`);
              return { status: 204 };
            },
          },
        ],
      });
      assert.equal((await fetch(`${host.apiUrl}/probe`)).status, 204);
    } finally {
      await host?.stop();
      await sim.stop();
    }
    const captured = capturedLogs();
    // URL-encoded in the query string, base64 in the host's line: never raw, both found.
    const inQuery = captured.texts.findIndex((text) => text.includes(encodeURIComponent(planted)));
    const inHostLog = captured.texts.findIndex((text) =>
      text.includes(Buffer.from(planted).toString('base64')),
    );
    const leaks = secretLeaks(captured.texts, [planted]);
    for (const index of [inQuery, inHostLog])
      assert.ok(index >= 0 && leaks.some((leak) => leak.endsWith(`#${index}`)), leaks.join('\n'));
    assert.ok(leaks.every((leak) => leak.includes('encoded')));
    assert.ok(captured.texts.some((text) => text.startsWith('GET /items?token=')));
    assert.ok(captured.texts.some((text) => text.includes('[probe] a careless line')));
    assert.ok((captured.counts['function host log'] ?? 0) > 0);
    assert.ok((captured.counts['simulator request'] ?? 0) > 0);
  });

  it('nothing captured so far holds a secret the sandbox issued', () => {
    const secrets = issuedSecrets();
    const captured = capturedLogs();
    assert.deepEqual(secretLeaks(captured.texts, secrets), []);
    figure = describeScan(secrets, captured, 0);
  });
});
