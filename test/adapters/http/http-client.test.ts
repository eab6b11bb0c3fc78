import assert from 'node:assert/strict';
import { ReleaseAgentError } from '../../../core/errors.ts';
import { Secret } from '../../../core/secret.ts';
import { classifyHttpError, createHttpClient } from '../../../adapters/http/http-client.ts';
import {
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  parseRetryAfter,
  rateLimitWaitMs,
  withRetries,
} from '../../../adapters/http/retry.ts';
import { SimServer } from '../../../sandbox/sim/server.ts';
import { testSecret } from '../../support/test-secrets.ts';

const fastRetry = { maxAttempts: 4, maxTotalMs: 5_000, baseDelayMs: 5, maxDelayMs: 20 };
const token = new Secret(testSecret('s3cr3t-token-value'));

describe('shared HTTP client', () => {
  const sim = new SimServer('echo');
  before(async () => {
    sim
      .route('GET', '/items/{id}', 'getItem', (request) => {
        return {
          status: 200,
          body: { id: request.params.id, auth: request.headers.authorization === `Bearer ${token.reveal()}` },
        };
      })
      .route('POST', '/items', 'createItem', () => ({ status: 201, body: { created: true } }))
      .route('GET', '/fail/{status}', 'fail', (request) => ({
        status: Number(request.params.status),
        body: { message: `failed with token ${token.reveal()}` },
      }));
    await sim.start();
  });
  after(() => sim.stop());
  beforeEach(() => {
    sim.clearFaults();
  });

  const client = (overrides: Partial<Parameters<typeof createHttpClient>[0]> = {}) =>
    createHttpClient({
      service: 'echo',
      baseUrl: sim.url,
      headers: { authorization: `Bearer ${token.reveal()}` },
      secrets: [token],
      retry: fastRetry,
      timeoutMs: 500,
      ...overrides,
    });

  it('sends auth and parses JSON', async () => {
    const response = await client().request<{ id: string; auth: boolean }>('getItem', 'GET', '/items/7');
    assert.deepEqual(response.body, { id: '7', auth: true });
  });

  const recovered: { name: string; fault: Parameters<SimServer['addFault']>[0] }[] = [
    { name: '429 with Retry-After', fault: { kind: 'status', status: 429, retryAfterSeconds: 0, times: 2 } },
    { name: '502', fault: { kind: 'status', status: 502 } },
    { name: '503', fault: { kind: 'status', status: 503, times: 2 } },
    { name: '504', fault: { kind: 'status', status: 504 } },
    { name: 'connection reset', fault: { kind: 'reset', times: 2 } },
    { name: 'malformed body', fault: { kind: 'malformed' } },
    { name: 'delay past the timeout', fault: { kind: 'delay', delayMs: 800 } },
  ];
  for (const { name, fault } of recovered) {
    it(`recovers a read from ${name}`, async () => {
      sim.addFault({ route: 'getItem', ...fault });
      const response = await client().request<{ id: string }>('getItem', 'GET', '/items/9');
      assert.equal(response.body.id, '9');
      const faulted = sim.requestLog.filter((entry) => entry.operation === 'getItem' && entry.fault);
      assert.ok(faulted.length >= 1, 'the fault was really served');
    });
  }

  it('gives up after its bounds with a coded error naming service, operation and status', async () => {
    sim.addFault({ route: 'getItem', kind: 'status', status: 503, times: 100 });
    await assert.rejects(client().request('getItem', 'GET', '/items/1'), (error: unknown) => {
      assert.ok(error instanceof ReleaseAgentError);
      assert.equal(error.code, 'SERVICE_RETRIES_EXHAUSTED');
      assert.equal(error.fields.service, 'echo');
      assert.equal(error.fields.operation, 'getItem');
      assert.equal(error.fields.status, 503);
      assert.equal(error.fields.attempts, fastRetry.maxAttempts);
      return true;
    });
  });

  it('does not retry a 500 or a 4xx, and redacts secrets from the message', async () => {
    for (const status of [400, 404, 500]) {
      await assert.rejects(client().request('fail', 'GET', `/fail/${status}`), (error: unknown) => {
        assert.ok(error instanceof ReleaseAgentError);
        assert.equal(error.code, 'SERVICE_HTTP');
        assert.equal(error.fields.status, status);
        assert.ok(!error.message.includes(token.reveal()), 'the token is redacted');
        assert.match(error.message, /\[redacted\]/);
        return true;
      });
    }
    assert.equal(sim.requestLog.filter((entry) => entry.operation === 'fail').length >= 3, true);
  });

  it('does not resend a POST after a reset (it may have been processed), but does after a 429', async () => {
    sim.addFault({ route: 'createItem', kind: 'reset' });
    await assert.rejects(client().request('createItem', 'POST', '/items', { body: {} }), {
      code: 'SERVICE_NETWORK',
    });
    sim.addFault({ route: 'createItem', kind: 'status', status: 429, retryAfterSeconds: 0 });
    const response = await client().request('createItem', 'POST', '/items', { body: {} });
    assert.equal(response.status, 201);
  });

  it('times out a hanging call when retries are off, without hanging', async () => {
    sim.addFault({ route: 'getItem', kind: 'delay', delayMs: 2_000 });
    const started = Date.now();
    await assert.rejects(
      client({ retry: { maxAttempts: 1 }, timeoutMs: 200 }).request('getItem', 'GET', '/items/2'),
      {
        code: 'SERVICE_RETRIES_EXHAUSTED',
      },
    );
    assert.ok(Date.now() - started < 1_500);
  });

  it('waits for a Retry-After sent with a success before the next call', async () => {
    const waited: number[] = [];
    let now = 1_000_000;
    const clock = {
      now: () => new Date(now),
      sleep: async (ms: number) => {
        waited.push(ms);
        now += ms;
      },
    };
    const throttled = new SimServer('throttled');
    throttled.route('GET', '/x', 'x', () => ({
      status: 200,
      headers: { 'retry-after': '3' },
      body: { ok: true },
    }));
    await throttled.start();
    try {
      const c = createHttpClient({ service: 'throttled', baseUrl: throttled.url, clock });
      await c.request('x', 'GET', '/x');
      await c.request('x', 'GET', '/x');
      assert.deepEqual(waited, [3000]);
    } finally {
      await throttled.stop();
    }
  });
});

describe('retry policy', () => {
  it('backs off exponentially with full jitter, capped, never below Retry-After', () => {
    const policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100, maxDelayMs: 1_000 };
    const cases = [
      { attempt: 1, random: 1, retryAfter: undefined, expected: 100 },
      { attempt: 3, random: 1, retryAfter: undefined, expected: 400 },
      { attempt: 3, random: 0.5, retryAfter: undefined, expected: 200 },
      { attempt: 10, random: 1, retryAfter: undefined, expected: 1_000 },
      { attempt: 1, random: 0, retryAfter: 2_500, expected: 2_500 },
    ];
    for (const c of cases)
      assert.equal(backoffDelay(c.attempt, policy, c.random, c.retryAfter), c.expected, JSON.stringify(c));
  });

  it('parses Retry-After as seconds or an HTTP date, and X-RateLimit-Reset', () => {
    const now = Date.parse('2026-11-23T12:00:00Z');
    assert.equal(parseRetryAfter('5', now), 5_000);
    assert.equal(parseRetryAfter('Mon, 23 Nov 2026 12:00:10 GMT', now), 10_000);
    assert.equal(parseRetryAfter('soon', now), undefined);
    const headers = new Headers({
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': String(now / 1000 + 7),
    });
    assert.equal(rateLimitWaitMs(headers, now), 7_000);
    assert.equal(rateLimitWaitMs(new Headers({ 'x-ratelimit-remaining': '10' }), now), undefined);
  });

  it('stops when the total time budget would be exceeded', async () => {
    let now = 0;
    let calls = 0;
    const clock = {
      now: () => new Date(now),
      sleep: async (ms: number) => {
        now += ms;
      },
    };
    await assert.rejects(
      withRetries(
        async () => {
          calls++;
          throw new Error('boom');
        },
        {
          service: 's',
          operation: 'o',
          clock,
          random: () => 1,
          policy: { maxAttempts: 100, maxTotalMs: 1_000, baseDelayMs: 200, maxDelayMs: 400 },
          classify: () => ({ retry: true }),
        },
      ),
      { code: 'SERVICE_RETRIES_EXHAUSTED' },
    );
    assert.ok(calls >= 3 && calls <= 5, `bounded by time, made ${calls} calls`);
  });

  it('classifies: POST is retried only where nothing was processed', () => {
    const http = (status: number) => new ReleaseAgentError('SERVICE_HTTP', 'x', { status });
    const network = (networkCode: string) => new ReleaseAgentError('SERVICE_NETWORK', 'x', { networkCode });
    const cases: [ReleaseAgentError | Error, boolean, boolean][] = [
      [http(429), false, true],
      [http(503), false, true],
      [http(502), false, false],
      [http(502), true, true],
      [http(500), true, false],
      [http(404), true, false],
      [network('ECONNRESET'), false, false],
      [network('ECONNRESET'), true, true],
      [network('ECONNREFUSED'), false, true],
      [new Error('plain'), true, false],
    ];
    for (const [error, idempotent, expected] of cases) {
      assert.equal(
        classifyHttpError(error, idempotent).retry,
        expected,
        `${error.message} ${JSON.stringify((error as ReleaseAgentError).fields)} idempotent=${idempotent}`,
      );
    }
  });
});
