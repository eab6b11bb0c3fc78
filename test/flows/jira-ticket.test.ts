import assert from 'node:assert/strict';
import { createJiraClient } from '../../adapters/jira/jira-client.ts';
import type { Jira } from '../../adapters/jira/jira.ts';
import { Secret } from '../../core/secret.ts';
import { DEFAULT_WORKFLOW, moveTicket } from '../../flows/jira-workflow.ts';
import { type JiraSimulator, startJiraSimulator } from '../../sandbox/sim/jira/jira-simulator.ts';

describe('moving a Jira ticket through the workflow', () => {
  let sim: JiraSimulator;
  let jira: Jira;
  before(async () => {
    sim = await startJiraSimulator();
    jira = createJiraClient({
      baseUrl: sim.url,
      email: sim.email,
      apiToken: new Secret(sim.apiToken),
      retry: { maxAttempts: 1 },
    });
  });
  after(() => sim?.stop());

  const ticket = (status = 'To Do') =>
    sim.state.createIssue({ project: 'ALLPOST', summary: 'T', status }).key;
  const options = { workflow: DEFAULT_WORKFLOW, keepIfPast: false };

  it('takes a direct transition when Jira offers one', async () => {
    const key = ticket('In Progress');
    const moved = await moveTicket(jira, key, 'Code Review', options);
    assert.deepEqual(moved, {
      key,
      from: 'In Progress',
      to: 'Code Review',
      changed: true,
      path: ['Code Review'],
    });
  });

  it('walks forward one transition at a time when there is no direct one', async () => {
    const key = ticket();
    const moved = await moveTicket(jira, key, 'Staging', options);
    assert.deepEqual(moved.path, ['In Progress', 'Code Review', 'Staging']);
    assert.equal(sim.state.issue(key)?.status, 'Staging');
  });

  it('changes nothing when the ticket is already there', async () => {
    const key = ticket('Code Review');
    assert.equal((await moveTicket(jira, key, 'code review', options)).changed, false);
  });

  it('leaves a ticket that is past the status when asked to, and refuses to walk backwards otherwise', async () => {
    const key = ticket('Done');
    const kept = await moveTicket(jira, key, 'Code Review', { ...options, keepIfPast: true });
    assert.equal(kept.changed, false);
    assert.match(kept.skipped ?? '', /"Done" is past "Code Review"/);
    await assert.rejects(moveTicket(jira, key, 'Code Review', options), {
      code: 'JIRA_TRANSITION_UNAVAILABLE',
      message: /available transitions are "Reopen" \(→ To Do\); "Code Review" comes before "Done"/,
    });
    assert.equal(sim.state.issue(key)?.status, 'Done');
  });

  it('without options walks the default workflow and does not keep a ticket past the status', async () => {
    const key = ticket();
    assert.deepEqual((await moveTicket(jira, key, 'Staging')).path, [
      'In Progress',
      'Code Review',
      'Staging',
    ]);
    const done = ticket('Done');
    await assert.rejects(moveTicket(jira, done, 'Staging'), {
      code: 'JIRA_TRANSITION_UNAVAILABLE',
      message:
        /"Staging" comes before "Done" in the workflow \(To Do → In Progress → Code Review → Staging → Done\)/,
    });
    assert.equal(sim.state.issue(done)?.status, 'Done');
  });

  it('says when the workflow order cannot help', async () => {
    const key = ticket();
    await assert.rejects(
      moveTicket(jira, key, 'Code Review', { workflow: ['To Do', 'Done'], keepIfPast: false }),
      {
        code: 'JIRA_TRANSITION_UNAVAILABLE',
        message: /available transitions are "Start Progress".*does not hold both "To Do" and "Code Review"/,
      },
    );
    await assert.rejects(
      moveTicket(jira, key, 'Code Review', { workflow: ['To Do', 'Code Review'], keepIfPast: false }),
      {
        message: /no step of the workflow \(To Do → Code Review\) leads on from "To Do"/,
      },
    );
    assert.equal(sim.state.issue(key)?.status, 'To Do');
  });
});
