import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createJiraClient } from '../../../adapters/jira/jira-client.ts';
import { textToAdf } from '../../../core/adf.ts';
import { isReleaseAgentError, type ReleaseAgentError } from '../../../core/errors.ts';
import { Secret } from '../../../core/secret.ts';
import { basicAuth, callsTo, FAST_RETRY, jiraOn, useJiraSimulator } from './jira-test-kit.ts';
import { testSecret } from '../../support/test-secrets.ts';

const coded = (code: string, check?: (error: ReleaseAgentError) => void) => (error: unknown) => {
  assert.ok(isReleaseAgentError(error), `expected a ReleaseAgentError, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  check?.(error);
  return true;
};

describe('Jira adapter on jira.js against the simulator', () => {
  const context = useJiraSimulator();

  describe('issues', () => {
    it('creates a Story with the description stored as ADF and returns its key and page', async () => {
      const { sim } = context;
      const description = 'Why:\n\n- faster login\n- **fewer** calls\n\nSee `auth.ts`.';
      const created = await jiraOn(sim).createStory({
        project: 'ALLPOST',
        summary: 'Speed up\nlogin',
        description,
      });

      assert.equal(created.key, 'ALLPOST-1');
      assert.equal(created.url, `${sim.url}/browse/ALLPOST-1`);
      const stored = sim.state.issue('ALLPOST-1');
      assert.equal(stored?.issueType, 'Story');
      assert.equal(stored?.status, 'To Do');
      assert.equal(stored?.summary, 'Speed up login', 'newlines are not allowed in a summary');
      assert.deepEqual(stored?.description, textToAdf(description));
      assert.equal(callsTo(sim, 'createIssue')[0]?.path, '/rest/api/3/issue');
    });

    it('passes a ready ADF document through unchanged and cuts a summary to 255 characters', async () => {
      const { sim } = context;
      const doc = { type: 'doc' as const, version: 1 as const, content: [{ type: 'rule' as const }] };
      await jiraOn(sim).createStory({ project: 'ALLPOST', summary: 'x'.repeat(300), description: doc });
      assert.deepEqual(sim.state.issue('ALLPOST-1')?.description, doc);
      assert.equal(sim.state.issue('ALLPOST-1')?.summary.length, 255);
    });

    it('reads key, summary, status, type, fix versions and page of an issue', async () => {
      const { sim } = context;
      sim.state.createIssue({
        project: 'ALLPOST',
        summary: 'Login',
        status: 'Staging',
        issueType: 'Bug',
        fixVersions: ['web 1.2.0'],
      });
      const issue = await jiraOn(sim).getIssue('ALLPOST-1');
      assert.deepEqual(issue, {
        key: 'ALLPOST-1',
        summary: 'Login',
        status: 'Staging',
        issueType: 'Bug',
        fixVersions: ['web 1.2.0'],
        url: `${sim.url}/browse/ALLPOST-1`,
      });
    });

    it("answers an unknown issue with SERVICE_HTTP 404 and Jira's message, without retrying", async () => {
      const { sim } = context;
      await assert.rejects(
        jiraOn(sim).getIssue('ALLPOST-404'),
        coded('SERVICE_HTTP', (error) => {
          assert.equal(error.fields.status, 404);
          assert.equal(error.fields.operation, 'getIssue');
          assert.match(error.message, /Issue does not exist or you do not have permission to see it/);
        }),
      );
      assert.equal(callsTo(sim, 'getIssue').length, 1);
    });

    it('refuses something that is not an issue key before any request (keys go into URL paths)', async () => {
      const { sim } = context;
      await assert.rejects(jiraOn(sim).getIssue('ALLPOST-1/../../project'), coded('TICKET_KEY_INVALID'));
      assert.equal(sim.requestLog.length, 0);
    });
  });

  describe('transitions', () => {
    it('moves an issue by transition name', async () => {
      const { sim } = context;
      sim.state.createIssue({ project: 'ALLPOST', summary: 'A' });
      const result = await jiraOn(sim).transition('ALLPOST-1', 'start progress');
      assert.deepEqual(result, {
        key: 'ALLPOST-1',
        from: 'To Do',
        to: 'In Progress',
        changed: true,
        transition: 'Start Progress',
      });
      assert.equal(sim.state.issue('ALLPOST-1')?.status, 'In Progress');
    });

    it('moves an issue by target status name', async () => {
      const { sim } = context;
      sim.state.createIssue({ project: 'ALLPOST', summary: 'A', status: 'In Progress' });
      const result = await jiraOn(sim).transition('ALLPOST-1', 'Code Review');
      assert.equal(result.transition, 'Request Review');
      assert.equal(sim.state.issue('ALLPOST-1')?.status, 'Code Review');
    });

    it('does nothing when the issue already is in the target status', async () => {
      const { sim } = context;
      sim.state.createIssue({ project: 'ALLPOST', summary: 'A', status: 'Code Review' });
      const result = await jiraOn(sim).transition('ALLPOST-1', 'code review');
      assert.deepEqual(result, { key: 'ALLPOST-1', from: 'Code Review', to: 'Code Review', changed: false });
      assert.equal(callsTo(sim, 'doTransition').length, 0);
      assert.equal(callsTo(sim, 'getTransitions').length, 0);
    });

    it('refuses an impossible move with JIRA_TRANSITION_UNAVAILABLE listing what is available', async () => {
      const { sim } = context;
      sim.state.createIssue({ project: 'ALLPOST', summary: 'A', status: 'In Progress' });
      await assert.rejects(
        jiraOn(sim).transition('ALLPOST-1', 'Done'),
        coded('JIRA_TRANSITION_UNAVAILABLE', (error) => {
          assert.deepEqual(error.fields.available, ['Request Review', 'Stop Progress']);
          assert.deepEqual(error.fields.availableStatuses, ['Code Review', 'To Do']);
          assert.equal(error.fields.from, 'In Progress');
          assert.match(error.message, /"Request Review" \(→ Code Review\), "Stop Progress" \(→ To Do\)/);
        }),
      );
      assert.equal(sim.state.issue('ALLPOST-1')?.status, 'In Progress');
      assert.equal(callsTo(sim, 'doTransition').length, 0);
    });
  });

  it('comments in ADF', async () => {
    const { sim } = context;
    sim.state.createIssue({ project: 'ALLPOST', summary: 'A' });
    const { id } = await jiraOn(sim).comment(
      'ALLPOST-1',
      'Review: **approve**\n\n1. tests pass\n2. no secrets',
    );
    const comments = sim.state.issue('ALLPOST-1')?.comments ?? [];
    assert.equal(comments.length, 1);
    assert.equal(comments[0]?.id, id);
    assert.deepEqual(comments[0]?.body, textToAdf('Review: **approve**\n\n1. tests pass\n2. no secrets'));
  });

  describe('versions', () => {
    it('creates a version once and finds it afterwards (any case)', async () => {
      const { sim } = context;
      const jira = jiraOn(sim);
      const first = await jira.ensureVersion('ALLPOST', 'web 1.4.0');
      const again = await jira.ensureVersion('ALLPOST', 'WEB 1.4.0');
      assert.equal(again.id, first.id);
      assert.deepEqual(first, {
        id: first.id,
        name: 'web 1.4.0',
        projectId: Number(sim.state.project('ALLPOST')?.id),
        released: false,
      });
      assert.equal(sim.state.versions('ALLPOST').length, 1);
      assert.equal(callsTo(sim, 'createVersion').length, 1);
    });

    it('returns the version another writer created between our look-up and our create', async () => {
      const { sim } = context;
      // Hold our create at the door long enough for "someone else" to create the same name.
      sim.addFault({ route: 'createVersion', kind: 'delay', delayMs: 150 });
      const pending = jiraOn(sim, { timeoutMs: 2_000 }).ensureVersion('ALLPOST', 'web 2.0.0');
      while (callsTo(sim, 'getProject').length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      const theirs = sim.state.ensureVersion('ALLPOST', 'web 2.0.0');
      const ours = await pending;
      assert.equal(ours.id, theirs.id);
      assert.equal(callsTo(sim, 'createVersion')[0]?.status, 400);
      assert.equal(sim.state.versions('ALLPOST').length, 1);
    });

    it('adds a fix version once', async () => {
      const { sim } = context;
      sim.state.createIssue({ project: 'ALLPOST', summary: 'A' });
      sim.state.ensureVersion('ALLPOST', 'web 1.4.0');
      const jira = jiraOn(sim);
      assert.deepEqual(await jira.addFixVersion('ALLPOST-1', 'web 1.4.0'), { changed: true });
      assert.deepEqual(await jira.addFixVersion('ALLPOST-1', 'web 1.4.0'), { changed: false });
      assert.deepEqual((await jira.getIssue('ALLPOST-1')).fixVersions, ['web 1.4.0']);
      assert.equal(callsTo(sim, 'editIssue').length, 1);
    });

    it('keeps existing fix versions when adding one', async () => {
      const { sim } = context;
      sim.state.createIssue({ project: 'ALLPOST', summary: 'A', fixVersions: ['api 3.0.0'] });
      sim.state.ensureVersion('ALLPOST', 'web 1.4.0');
      await jiraOn(sim).addFixVersion('ALLPOST-1', 'web 1.4.0');
      assert.deepEqual((await jiraOn(sim).getIssue('ALLPOST-1')).fixVersions, ['api 3.0.0', 'web 1.4.0']);
    });

    it("reports an unknown fix version as Jira's 400", async () => {
      const { sim } = context;
      sim.state.createIssue({ project: 'ALLPOST', summary: 'A' });
      await assert.rejects(
        jiraOn(sim).addFixVersion('ALLPOST-1', 'nope 0.0.1'),
        coded('SERVICE_HTTP', (error) => {
          assert.equal(error.fields.status, 400);
          assert.match(error.message, /fixVersions: Version name 'nope 0.0.1' is not valid/);
        }),
      );
    });

    it('releases a version on the given date, or today by the clock', async () => {
      const { sim } = context;
      const a = sim.state.ensureVersion('ALLPOST', 'web 1.4.0');
      const b = sim.state.ensureVersion('ALLPOST', 'web 1.5.0');
      const released = await jiraOn(sim).releaseVersion(a.id, '2026-03-01');
      assert.deepEqual(released, {
        id: a.id,
        name: 'web 1.4.0',
        projectId: a.projectId,
        released: true,
        releaseDate: '2026-03-01',
      });
      const clock = { now: () => new Date(Date.UTC(2026, 0, 15, 23, 30)), sleep: async () => {} };
      await jiraOn(sim, { clock }).releaseVersion(b.id);
      assert.equal(sim.state.version(b.id)?.releaseDate, '2026-01-15');
      assert.equal(sim.state.version(b.id)?.released, true);
    });
  });

  describe('search', () => {
    it('follows nextPageToken through POST /rest/api/3/search/jql until the last page', async () => {
      const { sim } = context;
      for (let n = 1; n <= 7; n++)
        sim.state.createIssue({ project: 'ALLPOST', summary: `S${n}`, status: n === 4 ? 'Done' : 'To Do' });
      const issues = await jiraOn(sim).search('project = ALLPOST AND status = "To Do" ORDER BY key ASC', {
        pageSize: 2,
      });
      assert.deepEqual(
        issues.map((issue) => issue.key),
        ['ALLPOST-1', 'ALLPOST-2', 'ALLPOST-3', 'ALLPOST-5', 'ALLPOST-6', 'ALLPOST-7'],
      );
      assert.equal(issues[0]?.summary, 'S1');
      assert.equal(issues[0]?.status, 'To Do');
      const searches = sim.requestLog.filter((entry) => entry.path.startsWith('/rest/api/3/search'));
      assert.equal(searches.length, 3);
      assert.ok(
        searches.every(
          (entry) =>
            entry.method === 'POST' && entry.path === '/rest/api/3/search/jql' && entry.status === 200,
        ),
      );
    });

    it('understands key in (...) and fixVersion = "..."', async () => {
      const { sim } = context;
      sim.state.createIssue({ project: 'ALLPOST', summary: 'A', fixVersions: ['web 1.4.0'] });
      sim.state.createIssue({ project: 'ALLPOST', summary: 'B' });
      sim.state.createIssue({ project: 'ALLPOST', summary: 'C', fixVersions: ['web 1.4.0'] });
      const jira = jiraOn(sim);
      const byKey = await jira.search('key in (ALLPOST-1, "ALLPOST-2")');
      assert.deepEqual(
        byKey.map((issue) => issue.key),
        ['ALLPOST-1', 'ALLPOST-2'],
      );
      const byVersion = await jira.search('project = ALLPOST AND fixVersion = "web 1.4.0"');
      assert.deepEqual(
        byVersion.map((issue) => issue.key),
        ['ALLPOST-1', 'ALLPOST-3'],
      );
    });

    it('stops at maxIssues', async () => {
      const { sim } = context;
      for (let n = 1; n <= 6; n++) sim.state.createIssue({ project: 'ALLPOST', summary: `S${n}` });
      const issues = await jiraOn(sim).search('project = ALLPOST', { pageSize: 2, maxIssues: 3 });
      assert.equal(issues.length, 3);
      assert.equal(callsTo(sim, 'searchAndReconsileIssuesUsingJqlPost').length, 2);
    });

    it("reports a JQL error as Jira's 400", async () => {
      const { sim } = context;
      await assert.rejects(
        jiraOn(sim).search('project = NOPE'),
        coded('SERVICE_HTTP', (error) => {
          assert.equal(error.fields.status, 400);
          assert.match(error.message, /The value 'NOPE' does not exist for the field 'project'/);
        }),
      );
    });

    it("the old /rest/api/3/search answers 410 Gone with Atlassian's message", async () => {
      const { sim } = context;
      for (const method of ['GET', 'POST']) {
        const response = await fetch(`${sim.url}/rest/api/3/search?jql=project%3DALLPOST`, {
          method,
          headers: { authorization: basicAuth(sim.email, sim.apiToken) },
        });
        assert.equal(response.status, 410);
        const body = (await response.json()) as { errorMessages: string[] };
        assert.match(body.errorMessages[0] ?? '', /migrate to the \/rest\/api\/3\/search\/jql API/);
      }
    });
  });

  describe('authentication and secrets', () => {
    it('answers bad credentials with SERVICE_HTTP 401, once, with no token anywhere in the error', async () => {
      const { sim } = context;
      const token = 'wrong-token-AAAA-1234';
      const jira = jiraOn(sim, { apiToken: new Secret(token) });
      let caught: unknown;
      await assert.rejects(
        jira.getIssue('ALLPOST-1').catch((error) => {
          caught = error;
          throw error;
        }),
        coded('SERVICE_HTTP', (error) => assert.equal(error.fields.status, 401)),
      );
      const text = `${(caught as Error).message} ${JSON.stringify(caught)}`;
      for (const form of [
        token,
        Buffer.from(token).toString('base64'),
        Buffer.from(`${sim.email}:${token}`).toString('base64'),
      ]) {
        assert.ok(!text.includes(form), `the error shows ${form}`);
      }
      assert.equal(callsTo(sim, 'getIssue').length, 1);
    });

    it('redacts the token and the Basic credentials when a server echoes them back', async () => {
      const token = 'echoed-token-ZZZZ-9876';
      const echo = createServer((request, response) => {
        const header = request.headers.authorization ?? '';
        response.writeHead(400, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ errorMessages: [`bad: ${header}`, `token ${token}`], errors: {} }));
      });
      await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
      try {
        const { port } = echo.address() as AddressInfo;
        const jira = createJiraClient({
          baseUrl: `http://127.0.0.1:${port}`,
          email: 'someone@example.com',
          apiToken: new Secret(token),
          timeoutMs: 500,
          retry: FAST_RETRY,
        });
        await assert.rejects(
          jira.getIssue('ALLPOST-1'),
          coded('SERVICE_HTTP', (error) => {
            assert.ok(!error.message.includes(token), error.message);
            assert.ok(
              !error.message.includes(Buffer.from(`someone@example.com:${token}`).toString('base64')),
              error.message,
            );
            assert.match(error.message, /bad: Basic \[redacted\]; token \[redacted\]/);
          }),
        );
      } finally {
        await new Promise<void>((resolve) => echo.close(() => resolve()));
      }
    });

    it('refuses settings jira.js cannot use with CONFIG_INVALID, not a library error', () => {
      assert.throws(
        () =>
          createJiraClient({
            baseUrl: 'https://x.atlassian.net',
            email: 'not-an-email',
            apiToken: new Secret(testSecret('t0ken-value')),
          }),
        coded('CONFIG_INVALID', (error) => assert.ok(!error.message.includes('t0ken-value'))),
      );
    });
  });
});
