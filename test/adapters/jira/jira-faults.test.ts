import assert from 'node:assert/strict';
import { isReleaseAgentError, type ReleaseAgentError } from '../../../core/errors.ts';
import { waitUntil } from '../../../sandbox/errors.ts';
import { startJiraSimulator } from '../../../sandbox/sim/jira/jira-simulator.ts';
import { callsTo, jiraOn, useJiraSimulator } from './jira-test-kit.ts';

const coded = (code: string, check?: (error: ReleaseAgentError) => void) => (error: unknown) => {
  assert.ok(isReleaseAgentError(error), `expected a ReleaseAgentError, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  check?.(error);
  return true;
};

/** Runs `work` and returns how long it took, in ms. */
async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

describe('Jira adapter under faults', function () {
  // Every case is bounded well below this; a hang fails here rather than at mocha's 20 s.
  this.timeout(5_000);
  const context = useJiraSimulator();
  const seed = () => context.sim.state.createIssue({ project: 'ALLPOST', summary: 'A' });

  it('waits out a 429 Retry-After, then succeeds', async () => {
    const { sim } = context;
    seed();
    sim.addFault({ route: 'getIssue', kind: 'status', status: 429, retryAfterSeconds: 0.3 });
    const elapsed = await timed(() => jiraOn(sim).getIssue('ALLPOST-1'));
    assert.ok(elapsed >= 290, `retried after ${elapsed} ms, before the 300 ms Retry-After`);
    assert.deepEqual(
      callsTo(sim, 'getIssue').map((entry) => entry.status),
      [429, 200],
    );
  });

  it('gives up at once when Retry-After is longer than the retry budget', async () => {
    const { sim } = context;
    seed();
    sim.addFault({ route: 'getIssue', kind: 'status', status: 429, retryAfterSeconds: 30 });
    const elapsed = await timed(() =>
      assert.rejects(
        jiraOn(sim).getIssue('ALLPOST-1'),
        coded('SERVICE_RETRIES_EXHAUSTED', (error) => {
          assert.equal(error.fields.status, 429);
          assert.equal(error.fields.service, 'jira');
        }),
      ),
    );
    assert.ok(elapsed < 1_000, `took ${elapsed} ms`);
  });

  it('retries a create on 503 (nothing was processed) and creates exactly one Story', async () => {
    const { sim } = context;
    sim.addFault({ route: 'createIssue', kind: 'status', status: 503, times: 2 });
    const created = await jiraOn(sim).createStory({ project: 'ALLPOST', summary: 'A', description: 'B' });
    assert.equal(created.key, 'ALLPOST-1');
    assert.deepEqual(
      callsTo(sim, 'createIssue').map((entry) => entry.status),
      [503, 503, 201],
    );
    assert.equal(sim.state.issues.length, 1);
  });

  it('does not retry a create on 502, where Jira may have processed it', async () => {
    const { sim } = context;
    sim.addFault({ route: 'createIssue', kind: 'status', status: 502 });
    await assert.rejects(
      jiraOn(sim).createStory({ project: 'ALLPOST', summary: 'A', description: 'B' }),
      coded('SERVICE_HTTP', (error) => assert.equal(error.fields.status, 502)),
    );
    assert.equal(callsTo(sim, 'createIssue').length, 1);
  });

  it('does not retry a 500', async () => {
    const { sim } = context;
    seed();
    sim.addFault({ route: 'getIssue', kind: 'status', status: 500 });
    await assert.rejects(
      jiraOn(sim).getIssue('ALLPOST-1'),
      coded('SERVICE_HTTP', (error) => assert.equal(error.fields.status, 500)),
    );
    assert.equal(callsTo(sim, 'getIssue').length, 1);
  });

  it('stops after maxAttempts on a lasting 504 with SERVICE_RETRIES_EXHAUSTED', async () => {
    const { sim } = context;
    seed();
    sim.addFault({ route: 'getIssue', kind: 'status', status: 504, times: 10 });
    await assert.rejects(
      jiraOn(sim).getIssue('ALLPOST-1'),
      coded('SERVICE_RETRIES_EXHAUSTED', (error) => {
        assert.equal(error.fields.attempts, 3);
        assert.equal(error.fields.status, 504);
        assert.equal(error.fields.lastCode, 'SERVICE_HTTP');
      }),
    );
    assert.equal(callsTo(sim, 'getIssue').length, 3);
  });

  it('times out a slow read and recovers on the next attempt', async () => {
    const { sim } = context;
    seed();
    sim.addFault({ route: 'getIssue', kind: 'delay', delayMs: 1_000 });
    const elapsed = await timed(async () =>
      assert.equal((await jiraOn(sim, { timeoutMs: 150 }).getIssue('ALLPOST-1')).key, 'ALLPOST-1'),
    );
    assert.ok(elapsed >= 150 && elapsed < 900, `took ${elapsed} ms`);
  });

  it('gives up on a read that stays slow, within attempts × timeout', async () => {
    const { sim } = context;
    seed();
    sim.addFault({ route: 'getIssue', kind: 'delay', delayMs: 2_000, times: 5 });
    const elapsed = await timed(() =>
      assert.rejects(
        jiraOn(sim, { timeoutMs: 100 }).getIssue('ALLPOST-1'),
        coded('SERVICE_RETRIES_EXHAUSTED', (error) => assert.equal(error.fields.lastCode, 'SERVICE_TIMEOUT')),
      ),
    );
    assert.ok(elapsed < 700, `took ${elapsed} ms`);
  });

  it('does not resend a comment after a timeout (it may have been posted)', async () => {
    const { sim } = context;
    seed();
    sim.addFault({ route: 'addComment', kind: 'delay', delayMs: 400 });
    await assert.rejects(
      jiraOn(sim, { timeoutMs: 100 }).comment('ALLPOST-1', 'hello'),
      coded('SERVICE_TIMEOUT', (error) => assert.equal(error.fields.timeoutMs, 100)),
    );
    // Wait for the slow first request to land (what the test is about), not for a fixed time.
    await waitUntil(() => sim.state.issue('ALLPOST-1')?.comments.length === 1, 'the slow first comment', {
      timeoutMs: 5_000,
    });
    assert.equal(callsTo(sim, 'addComment').length, 1);
    assert.equal(sim.state.issue('ALLPOST-1')?.comments.length, 1, 'the slow first request did land');
  });

  it('retries a read after a connection reset', async () => {
    const { sim } = context;
    seed();
    sim.addFault({ route: 'getIssue', kind: 'reset' });
    assert.equal((await jiraOn(sim).getIssue('ALLPOST-1')).key, 'ALLPOST-1');
    assert.equal(callsTo(sim, 'getIssue').length, 2);
  });

  it('reports a reset during a write as SERVICE_NETWORK without resending', async () => {
    const { sim } = context;
    seed();
    sim.addFault({ route: 'addComment', kind: 'reset' });
    await assert.rejects(
      jiraOn(sim).comment('ALLPOST-1', 'hello'),
      coded('SERVICE_NETWORK', (error) => assert.equal(typeof error.fields.networkCode, 'string')),
    );
    assert.equal(callsTo(sim, 'addComment').length, 1);
    assert.equal(sim.state.issue('ALLPOST-1')?.comments.length, 0);
  });

  it('retries a read after a malformed body', async () => {
    const { sim } = context;
    seed();
    sim.addFault({ route: 'getIssue', kind: 'malformed' });
    assert.equal((await jiraOn(sim).getIssue('ALLPOST-1')).key, 'ALLPOST-1');
    assert.deepEqual(
      callsTo(sim, 'getIssue').map((entry) => entry.status),
      [200, 200],
    );
  });

  it('catches a lasting malformed body with its own checks when jira.js stays silent', async () => {
    const { sim } = context;
    seed();
    sim.addFault({ route: 'getIssue', kind: 'malformed', times: 10 });
    await assert.rejects(
      jiraOn(sim, { onSchemaMismatch: 'silent' }).getIssue('ALLPOST-1'),
      coded('SERVICE_RETRIES_EXHAUSTED', (error) => assert.equal(error.fields.lastCode, 'SERVICE_MALFORMED')),
    );
  });

  it('a body jira.js cannot parse is malformed: never "no transitions", never a transition made', async () => {
    const { sim } = context;
    // The product's setting: jira.js stays silent about schemas and hands back the text it got.
    const jira = jiraOn(sim, { onSchemaMismatch: 'silent' });
    const issue = sim.state.createIssue({ project: 'ALLPOST', summary: 'A', status: 'In Progress' });
    sim.addFault({ route: 'getTransitions', kind: 'malformed' });
    assert.equal((await jira.transition(issue.key, 'Code Review')).to, 'Code Review', 'the read is retried');
    assert.equal(issue.status, 'Code Review');
    sim.addFault({ route: 'getTransitions', kind: 'malformed', times: 10 });
    await assert.rejects(
      jira.transition(issue.key, 'Staging'),
      coded('SERVICE_RETRIES_EXHAUSTED', (error) => assert.equal(error.fields.lastCode, 'SERVICE_MALFORMED')),
    );
    sim.clearFaults();
    sim.addFault({ route: 'doTransition', kind: 'malformed' });
    await assert.rejects(jira.transition(issue.key, 'Staging'), coded('SERVICE_MALFORMED'));
    assert.equal(issue.status, 'Code Review', 'the garbled answer did not move it: nobody is told it moved');
  });

  it('resumes a search on the page that failed', async () => {
    const { sim } = context;
    for (let n = 1; n <= 5; n++) seed();
    sim.addFault({ route: 'searchAndReconsileIssuesUsingJqlPost', kind: 'status', status: 503, after: 1 });
    const issues = await jiraOn(sim).search('project = ALLPOST', { pageSize: 2 });
    assert.equal(issues.length, 5);
    assert.deepEqual(
      callsTo(sim, 'searchAndReconsileIssuesUsingJqlPost').map((entry) => entry.status),
      [200, 503, 200, 200],
    );
  });

  it('fails fast and coded when nothing listens', async () => {
    const gone = await startJiraSimulator();
    await gone.stop();
    const elapsed = await timed(() =>
      assert.rejects(
        jiraOn(gone).getIssue('ALLPOST-1'),
        coded('SERVICE_RETRIES_EXHAUSTED', (error) => assert.equal(error.fields.lastCode, 'SERVICE_NETWORK')),
      ),
    );
    assert.ok(elapsed < 1_000, `took ${elapsed} ms`);
  });
});
