// The simulator on its own, over raw HTTP: the behaviours of Jira Cloud it must reproduce.
import assert from 'node:assert/strict';
import { parseJql } from '../../../sandbox/sim/jira/jql.ts';
import { basicAuth, useJiraSimulator } from './jira-test-kit.ts';

describe('Jira simulator', () => {
  const context = useJiraSimulator();

  const call = async (method: string, path: string, body?: unknown, auth?: string) => {
    const { sim } = context;
    const response = await fetch(`${sim.url}${path}`, {
      method,
      headers: {
        authorization: auth ?? basicAuth(sim.email, sim.apiToken),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: (text ? JSON.parse(text) : {}) as Record<string, unknown>,
    };
  };

  it("checks Basic auth on every route: 401 with Jira's error shape", async () => {
    const { sim } = context;
    for (const auth of ['', basicAuth(sim.email, 'wrong'), basicAuth('other@example.com', sim.apiToken)]) {
      const answer = await call('GET', '/rest/api/3/project/ALLPOST', undefined, auth);
      assert.equal(answer.status, 401);
      assert.deepEqual(answer.body, {
        errorMessages: ['Client must be authenticated to access this resource.'],
        errors: {},
      });
    }
  });

  it('seeds an issue with a given number; later issues are numbered after the highest', () => {
    const { state } = context.sim;
    const seeded = state.createIssue({ project: 'ALLPOST', summary: 'Login page', number: 9028 });
    const next = state.createIssue({ project: 'ALLPOST', summary: 'next' });
    assert.deepEqual([seeded.key, next.key], ['ALLPOST-9028', 'ALLPOST-9029']);
    assert.throws(() => state.createIssue({ project: 'ALLPOST', summary: 'again', number: 9028 }), /exists/);
    assert.throws(() => state.createIssue({ project: 'ALLPOST', summary: 'bad', number: 0 }), /positive/);
  });

  it("answers 404 for an unknown issue with Jira's message", async () => {
    const answer = await call('GET', '/rest/api/3/issue/ALLPOST-99');
    assert.equal(answer.status, 404);
    assert.deepEqual(answer.body, {
      errorMessages: ['Issue does not exist or you do not have permission to see it.'],
      errors: {},
    });
  });

  it('answers 400 with field errors for an invalid create, and creates nothing', async () => {
    const { sim } = context;
    const answer = await call('POST', '/rest/api/3/issue', {
      fields: { project: { key: 'NOPE' }, issuetype: { name: 'Story' }, summary: 'x' },
    });
    assert.equal(answer.status, 400);
    assert.deepEqual(answer.body, { errorMessages: [], errors: { project: 'valid project is required' } });
    const plainText = await call('POST', '/rest/api/3/issue', {
      fields: {
        project: { key: 'ALLPOST' },
        issuetype: { name: 'Story' },
        summary: 'x',
        description: 'plain text',
      },
    });
    assert.equal(plainText.status, 400);
    assert.match(
      String((plainText.body.errors as Record<string, string>).description),
      /must be an Atlassian Document/,
    );
    assert.equal(sim.state.issues.length, 0);
  });

  it('refuses an empty text node in ADF, as Jira does', async () => {
    const { sim } = context;
    sim.state.createIssue({ project: 'ALLPOST', summary: 'A' });
    const answer = await call('POST', '/rest/api/3/issue/ALLPOST-1/comment', {
      body: {
        type: 'doc',
        version: 1,
        content: [{ type: 'paragraph', content: [{ type: 'text', text: '' }] }],
      },
    });
    assert.equal(answer.status, 400);
    assert.equal(sim.state.issue('ALLPOST-1')?.comments.length, 0);
  });

  it('offers only the transitions out of the current status and refuses others', async () => {
    const { sim } = context;
    sim.state.createIssue({ project: 'ALLPOST', summary: 'A' });
    const listed = await call('GET', '/rest/api/3/issue/ALLPOST-1/transitions');
    const transitions = listed.body.transitions as { id: string; name: string; to: { name: string } }[];
    assert.deepEqual(
      transitions.map((transition) => [transition.id, transition.name, transition.to.name]),
      [['11', 'Start Progress', 'In Progress']],
    );
    const refused = await call('POST', '/rest/api/3/issue/ALLPOST-1/transitions', {
      transition: { id: '41' },
    });
    assert.equal(refused.status, 400);
    assert.deepEqual(refused.body.errorMessages, ["Transition id '41' is not valid for this issue."]);
    assert.equal(sim.state.issue('ALLPOST-1')?.status, 'To Do');
  });

  it('refuses a second version with the same name', async () => {
    const { sim } = context;
    const projectId = Number(sim.state.project('ALLPOST')?.id);
    assert.equal((await call('POST', '/rest/api/3/version', { projectId, name: '1.0.0' })).status, 201);
    const again = await call('POST', '/rest/api/3/version', { projectId, name: '1.0.0' });
    assert.equal(again.status, 400);
    assert.deepEqual(again.body.errors, {
      name: 'A version with this name already exists in this project.',
    });
  });

  describe('search/jql', () => {
    it('returns only ids unless fields are asked for, like the enhanced search', async () => {
      const { sim } = context;
      const issue = sim.state.createIssue({ project: 'ALLPOST', summary: 'A' });
      const answer = await call('POST', '/rest/api/3/search/jql', { jql: 'project = ALLPOST' });
      assert.deepEqual(answer.body, { issues: [{ id: issue.id }], isLast: true });
    });

    it('refuses an unbounded query', async () => {
      const answer = await call('POST', '/rest/api/3/search/jql', { jql: 'ORDER BY key' });
      assert.equal(answer.status, 400);
      assert.match(
        String((answer.body.errorMessages as string[])[0]),
        /Unbounded JQL queries are not allowed/,
      );
    });

    it('refuses a page token issued for another query', async () => {
      const { sim } = context;
      for (let n = 0; n < 3; n++) sim.state.createIssue({ project: 'ALLPOST', summary: 'A' });
      const first = await call('POST', '/rest/api/3/search/jql', { jql: 'project = ALLPOST', maxResults: 1 });
      assert.equal(typeof first.body.nextPageToken, 'string');
      const misused = await call('POST', '/rest/api/3/search/jql', {
        jql: 'project = ALLPOST AND status = "To Do"',
        maxResults: 1,
        nextPageToken: first.body.nextPageToken,
      });
      assert.equal(misused.status, 400);
    });

    it('applies =, !=, IN and NOT IN, and orders by key descending', async () => {
      const { sim } = context;
      sim.state.createIssue({ project: 'ALLPOST', summary: 'A', status: 'Done' });
      sim.state.createIssue({ project: 'ALLPOST', summary: 'B' });
      sim.state.createIssue({ project: 'ALLPOST', summary: 'C', issueType: 'Bug' });
      const keys = async (jql: string) => {
        const answer = await call('POST', '/rest/api/3/search/jql', { jql, fields: ['summary'] });
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        return (answer.body.issues as { key: string }[]).map((issue) => issue.key);
      };
      assert.deepEqual(await keys('project = allpost AND status != Done ORDER BY key DESC'), [
        'ALLPOST-3',
        'ALLPOST-2',
      ]);
      assert.deepEqual(await keys('issuekey IN (ALLPOST-1, ALLPOST-3) AND type not in (Bug)'), ['ALLPOST-1']);
    });
  });

  it('parses the JQL subset and rejects the rest with Jira-like messages', () => {
    assert.deepEqual(
      parseJql('project = "ALL POST" and fixVersion in ("1.0", 2.0) order by created desc, key'),
      {
        clauses: [
          { field: 'project', operator: '=', values: ['ALL POST'] },
          { field: 'fixVersion', operator: 'in', values: ['1.0', '2.0'] },
        ],
        orderBy: [
          { field: 'created', direction: 'desc' },
          { field: 'key', direction: 'asc' },
        ],
      },
    );
    assert.throws(() => parseJql('assignee = me'), /Field 'assignee' does not exist/);
    assert.throws(() => parseJql('project = A OR project = B'), /AND only/);
    assert.throws(() => parseJql('project = "A'), /not closed/);
    assert.throws(() => parseJql('project ='), /Expecting a value but reached the end/);
  });
});
