// Every fault kind on a read (GET a PR), an idempotent write (PATCH a thread) and a write that must not
// be sent twice (POST a status): recovered within the retry bounds, or a clear coded error after them.
import assert from 'node:assert/strict';
import type { ErrorCode } from '../../../core/errors.ts';
import type { AzureDevOpsSimulator, PullRequestState } from '../../../sandbox/sim/azdo/simulator.ts';
import type { Fault } from '../../../sandbox/sim/server.ts';
import { coded } from '../../core/expect-error.ts';
import { adapterFor, fastRetry, seedFeaturePullRequest, startSim, virtualClock } from './support.ts';

const READ = 'Pull Requests_Get Pull Request';
const IDEMPOTENT_WRITE = 'Pull Request Threads_Update';
const ONCE_WRITE = 'Pull Request Statuses_Create';
/** Only the delay cases use a short timeout, so a busy machine cannot turn the other cases into timeouts. */
const SHORT_TIMEOUT_MS = 200;

type FaultCase = {
  name: string;
  fault: Omit<Fault, 'route' | 'times'>;
  exhausted: ErrorCode;
  lastCode?: ErrorCode;
};

const FAULTS: FaultCase[] = [
  {
    name: '429 with Retry-After',
    fault: { kind: 'status', status: 429, retryAfterSeconds: 0.01 },
    exhausted: 'SERVICE_RETRIES_EXHAUSTED',
    lastCode: 'SERVICE_HTTP',
  },
  {
    name: '502',
    fault: { kind: 'status', status: 502 },
    exhausted: 'SERVICE_RETRIES_EXHAUSTED',
    lastCode: 'SERVICE_HTTP',
  },
  {
    name: '503',
    fault: { kind: 'status', status: 503 },
    exhausted: 'SERVICE_RETRIES_EXHAUSTED',
    lastCode: 'SERVICE_HTTP',
  },
  {
    name: '504',
    fault: { kind: 'status', status: 504 },
    exhausted: 'SERVICE_RETRIES_EXHAUSTED',
    lastCode: 'SERVICE_HTTP',
  },
  {
    name: 'connection reset',
    fault: { kind: 'reset' },
    exhausted: 'SERVICE_RETRIES_EXHAUSTED',
    lastCode: 'SERVICE_NETWORK',
  },
  {
    name: 'delay past the timeout',
    fault: { kind: 'delay', delayMs: SHORT_TIMEOUT_MS * 2 },
    exhausted: 'SERVICE_RETRIES_EXHAUSTED',
    lastCode: 'SERVICE_TIMEOUT',
  },
  {
    name: 'malformed body',
    fault: { kind: 'malformed' },
    exhausted: 'SERVICE_RETRIES_EXHAUSTED',
    lastCode: 'SERVICE_MALFORMED',
  },
];

/** What a POST that may have been processed gives after one attempt (429/503 are safe to resend). */
const ONCE_WRITE_ERRORS: Record<string, { code: ErrorCode; status?: number }> = {
  '502': { code: 'SERVICE_HTTP', status: 502 },
  '504': { code: 'SERVICE_HTTP', status: 504 },
  'connection reset': { code: 'SERVICE_NETWORK' },
  'delay past the timeout': { code: 'SERVICE_TIMEOUT' },
  'malformed body': { code: 'SERVICE_MALFORMED', status: 200 },
};

describe('Azure DevOps adapter: faults', () => {
  let sim: AzureDevOpsSimulator;
  let repo: string;
  let pr: PullRequestState;
  let threadId: number;
  before(async () => {
    sim = await startSim();
    ({ repo, pr } = seedFeaturePullRequest(sim));
    threadId = sim.addThread(pr, { status: 'active', comments: [] }).id;
  });
  after(() => sim.stop());
  afterEach(() => sim.clearFaults());

  const served = (operation: string, since: number) =>
    sim.requestLog.slice(since).filter((entry) => entry.operation === operation);
  /** A delayed request is logged when its late answer goes out, after the client gave up on it. */
  const servedFaults = async (operation: string, since: number, count: number) => {
    const deadline = Date.now() + 2_000;
    while (served(operation, since).filter((entry) => entry.fault).length < count && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return served(operation, since).filter((entry) => entry.fault).length;
  };

  for (const { name, fault, exhausted, lastCode } of FAULTS) {
    const adapter = () => adapterFor(sim, { timeoutMs: fault.kind === 'delay' ? SHORT_TIMEOUT_MS : 2_000 });
    // Two faults in a row for the quick kinds; one for a delay, which costs a whole timeout.
    const times = fault.kind === 'delay' ? 1 : 2;
    describe(name, () => {
      it('a read recovers', async () => {
        const since = sim.requestLog.length;
        sim.addFault({ ...fault, route: READ, times });
        const read = await adapter().getPullRequest(repo, pr.id);
        assert.equal(read.id, pr.id);
        assert.equal(await servedFaults(READ, since, times), times, 'the faults were served');
      });

      it('a read that keeps failing ends in a coded error after the bounds', async () => {
        const since = sim.requestLog.length;
        sim.addFault({ ...fault, route: READ, times: 100 });
        const started = Date.now();
        await assert.rejects(
          adapter().getPullRequest(repo, pr.id),
          coded(exhausted, { attempts: fastRetry.maxAttempts, lastCode, repo, prId: pr.id }),
        );
        assert.ok(Date.now() - started < 2_000, 'bounded in time');
        assert.equal(await servedFaults(READ, since, fastRetry.maxAttempts), fastRetry.maxAttempts);
      });

      it('an idempotent write recovers', async () => {
        const since = sim.requestLog.length;
        sim.addFault({ ...fault, route: IDEMPOTENT_WRITE, times });
        await adapter().setThreadStatus(repo, pr.id, threadId, 'fixed');
        assert.equal(pr.threads.find((thread) => thread.id === threadId)!.status, 'fixed');
        assert.equal(await servedFaults(IDEMPOTENT_WRITE, since, times), times);
        pr.threads.find((thread) => thread.id === threadId)!.status = 'active';
      });

      const once = ONCE_WRITE_ERRORS[name];
      it(
        once
          ? 'a write that must not repeat fails at once with a coded error'
          : 'a write that must not repeat is resent (nothing was processed)',
        async () => {
          const since = sim.requestLog.length;
          const statusesBefore = pr.statuses.length;
          sim.addFault({ ...fault, route: ONCE_WRITE, times: 1 });
          const post = adapter().setPullRequestStatus(repo, pr.id, {
            iterationId: 1,
            state: 'pending',
            description: 'reviewing',
          });
          if (once) {
            await assert.rejects(
              post,
              coded(once.code, once.status === undefined ? {} : { status: once.status }),
            );
            assert.equal(await servedFaults(ONCE_WRITE, since, 1), 1, 'sent once');
            assert.equal(served(ONCE_WRITE, since).length, 1, 'sent once');
          } else {
            await post;
            assert.equal(served(ONCE_WRITE, since).length, 2);
            assert.equal(pr.statuses.length, statusesBefore + 1, 'one status, not two');
          }
        },
      );
    });
  }

  it('waits as long as Retry-After says before the next attempt', async () => {
    const clock = virtualClock();
    sim.addFault({ route: READ, kind: 'status', status: 429, retryAfterSeconds: 7 });
    const read = await adapterFor(sim, { clock, retry: { ...fastRetry, maxTotalMs: 60_000 } }).getPullRequest(
      repo,
      pr.id,
    );
    assert.equal(read.id, pr.id);
    assert.ok(
      clock.sleeps.some((ms) => ms >= 7_000),
      `slept ${clock.sleeps.join(', ')} ms`,
    );
  });

  it('gives up at once when Retry-After is beyond the time bound', async () => {
    const clock = virtualClock();
    sim.addFault({ route: READ, kind: 'status', status: 429, retryAfterSeconds: 120 });
    await assert.rejects(
      adapterFor(sim, { clock, retry: { ...fastRetry, maxTotalMs: 60_000 } }).getPullRequest(repo, pr.id),
      coded('SERVICE_RETRIES_EXHAUSTED', { status: 429, attempts: 1 }),
    );
    assert.deepEqual(clock.sleeps, []);
  });

  it('answers 500 with a coded error and no retry', async () => {
    const since = sim.requestLog.length;
    sim.addFault({ route: READ, kind: 'status', status: 500, times: 5 });
    await assert.rejects(
      adapterFor(sim).getPullRequest(repo, pr.id),
      coded('SERVICE_HTTP', { status: 500, operation: 'getPullRequest' }),
    );
    assert.equal(served(READ, since).length, 1);
  });
});
