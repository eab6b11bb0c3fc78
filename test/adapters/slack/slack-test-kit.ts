// Shared by the Slack suites: a simulator per test, small retry bounds and timeouts so every failure
// path ends in well under a second, and a tiny stand-in for the app's interactions URL.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import type { SlackTransportOptions } from '../../../adapters/slack/slack.ts';
import { isReleaseAgentError, type ErrorCode, type ReleaseAgentError } from '../../../core/errors.ts';
import {
  type RunningSlackSimulator,
  type SlackSimulatorOptions,
  startSlackSimulator,
} from '../../../sandbox/sim/slack/slack-simulator.ts';
import { testSecret } from '../../support/test-secrets.ts';

export const BOT_TOKEN = testSecret('xoxb-test-0123456789-abcdefSECRET');
export const SIGNING_SECRET = testSecret('test-signing-secret-4f1c2b');
export const CHANNEL = 'C0SANDBOX';

/**
 * Quick retries (3 attempts, a few ms of backoff) and a generous per-attempt timeout, so a busy
 * machine does not fail tests that are not about timeouts; those use SHORT_TIMEOUT_MS.
 */
export const FAST: SlackTransportOptions = {
  timeoutMs: 5_000,
  retry: { maxAttempts: 3, maxTotalMs: 3_000, baseDelayMs: 5, maxDelayMs: 20 },
};

/** Against a simulator delay of 600 ms. */
export const SHORT_TIMEOUT_MS = 300;

export async function startSim(options: SlackSimulatorOptions = {}): Promise<RunningSlackSimulator> {
  return await startSlackSimulator({
    botToken: BOT_TOKEN,
    signingSecret: SIGNING_SECRET,
    pagePollMs: 200,
    ...options,
  });
}

/** The card a gate posts, as plain Block Kit JSON. */
export function gateCard(text = 'PR 42 *feature/ALLPOST-4028_login* is approved by review') {
  return {
    text: 'Merge PR 42?',
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: 'Merge PR 42?' } },
      { type: 'section', text: { type: 'mrkdwn', text } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'repo *payments* · commit `abc1234`' }] },
      { type: 'divider' },
      {
        type: 'actions',
        block_id: 'gate',
        elements: [
          {
            type: 'button',
            action_id: 'gate.merge.approve',
            text: { type: 'plain_text', text: 'Merge' },
            value: 'decision-1:nonce-a',
            style: 'primary',
          },
          {
            type: 'button',
            action_id: 'gate.merge.cancel',
            text: { type: 'plain_text', text: 'Cancel' },
            value: 'decision-1:nonce-a',
            style: 'danger',
          },
        ],
      },
    ],
  };
}

/** assert.rejects matcher: the coded error, with a check of its fields. */
export function coded(code: ErrorCode, check: (error: ReleaseAgentError) => void = () => undefined) {
  return (error: unknown): boolean => {
    assert.ok(isReleaseAgentError(error), `expected a ReleaseAgentError, got ${inspect(error)}`);
    assert.equal(error.code, code, `expected ${code}, got ${error.code}: ${error.message}`);
    check(error);
    return true;
  };
}

/** No trace of a secret in anything an error shows: message, JSON, inspect (cause chain included). */
export function assertNoSecret(error: unknown, secret: string): void {
  const shown = [String((error as Error).message), JSON.stringify(error), inspect(error, { depth: 6 })].join(
    '\n',
  );
  assert.ok(!shown.includes(secret), `the secret leaked into the error: ${shown}`);
}

export interface ReceivedRequest {
  method: string;
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
}

/** A stand-in for the app's interactions URL: records each request and answers `status`. */
export async function startInteractionsReceiver(status = 200): Promise<{
  url: string;
  received: ReceivedRequest[];
  next(): Promise<ReceivedRequest>;
  stop(): Promise<void>;
}> {
  const received: ReceivedRequest[] = [];
  const waiters: ((request: ReceivedRequest) => void)[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { method: req.method ?? '', headers: req.headers, rawBody: Buffer.concat(chunks) };
      received.push(request);
      waiters.shift()?.(request);
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status === 200 ? '' : 'refused');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/slack/interactions`,
    received,
    next: () =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no interaction request arrived within 5 s')), 5_000);
        waiters.push((request) => {
          clearTimeout(timer);
          resolve(request);
        });
      }),
    stop: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Requests the simulator logged for one operation. */
export function calls(sim: RunningSlackSimulator, operation: string) {
  return sim.server.requestLog.filter((entry) => entry.operation === operation);
}

/** Polls `condition` every 20 ms until it holds; fails after `timeoutMs`. */
export async function eventually(condition: () => boolean, what: string, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`still not true after ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
