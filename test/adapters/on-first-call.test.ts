// The adapters the tasks use with their client libraries loaded on the first call (Jira, Slack Web
// API, Table Storage): the settings are still refused at once, nothing is sent before the first call,
// and from then on they answer as the adapters they load.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import fc from 'fast-check';
import { createJiraClientOnFirstCall } from '../../adapters/jira/jira-on-first-call.ts';
import { createWebApiSlackOnFirstCall } from '../../adapters/slack/web-api-slack-on-first-call.ts';
import { connectionStringProblem, createTableStore } from '../../adapters/store/table-store.ts';
import { isReleaseAgentError } from '../../core/errors.ts';
import { Secret } from '../../core/secret.ts';
import type { RunningSlackSimulator } from '../../sandbox/sim/slack/slack-simulator.ts';
import { testSecret } from '../support/test-secrets.ts';
import { callsTo, FAST_RETRY, jiraOn, useJiraSimulator } from './jira/jira-test-kit.ts';
import { BOT_TOKEN, CHANNEL, calls, FAST, startSim } from './slack/slack-test-kit.ts';

const configInvalid = (secret?: string) => (error: unknown) => {
  assert.ok(isReleaseAgentError(error), String(error));
  assert.equal(error.code, 'CONFIG_INVALID', error.message);
  if (secret) assert.ok(!error.message.includes(secret), error.message);
  return true;
};

describe('adapters loaded on the first call', () => {
  describe('Jira', () => {
    const context = useJiraSimulator();
    const onFirstCall = () =>
      createJiraClientOnFirstCall({
        baseUrl: context.sim.url,
        email: context.sim.email,
        apiToken: new Secret(context.sim.apiToken),
        timeoutMs: 300,
        retry: FAST_RETRY,
        onSchemaMismatch: 'throw',
      });

    it('refuses settings the client cannot use at once, naming them and not the token', () => {
      const token = testSecret('first-call-t0ken');
      for (const [baseUrl, email, apiToken] of [
        ['not a url', 'someone@example.com', token],
        ['ftp://x.atlassian.net', 'someone@example.com', token],
        ['https://x.atlassian.net', 'not-an-email', token],
        ['https://x.atlassian.net', 'someone@example.com', ''],
      ] as const) {
        assert.throws(
          () => createJiraClientOnFirstCall({ baseUrl, email, apiToken: new Secret(apiToken) }),
          configInvalid(token),
          `${baseUrl} ${email}`,
        );
      }
    });

    it('sends nothing before the first call, then answers as the adapter it loads', async () => {
      const { sim } = context;
      const jira = onFirstCall();
      assert.equal(sim.requestLog.length, 0);
      const created = await jira.createStory({ project: 'ALLPOST', summary: 'Login', description: 'Why' });
      assert.equal(created.key, 'ALLPOST-1');
      assert.equal(callsTo(sim, 'createIssue').length, 1);
      // Concurrent first calls of a second adapter load its client once and both answer.
      const again = onFirstCall();
      const [issue, moved] = await Promise.all([
        again.getIssue('ALLPOST-1'),
        again.transition('ALLPOST-1', 'In Progress'),
      ]);
      assert.equal(issue.summary, 'Login');
      assert.deepEqual(await jiraOn(sim).getIssue('ALLPOST-1'), { ...issue, status: moved.to });
      const missing = (error: unknown) => isReleaseAgentError(error) && error.code;
      const direct = await jiraOn(sim).getIssue('ALLPOST-99').catch(missing);
      const loaded = await jira.getIssue('ALLPOST-99').catch(missing);
      assert.ok(direct, 'a missing issue is a coded error');
      assert.equal(loaded, direct);
    });
  });

  describe('Slack Web API', () => {
    let sim: RunningSlackSimulator;
    beforeEach(async () => {
      sim = await startSim();
    });
    afterEach(async () => {
      await sim.stop();
    });

    it('refuses an empty token at once', () => {
      assert.throws(
        () => createWebApiSlackOnFirstCall({ token: new Secret(''), apiUrl: sim.apiUrl }),
        configInvalid(),
      );
    });

    it('is a bot-mode adapter before loading anything, and posts and updates once called', async () => {
      const slack = createWebApiSlackOnFirstCall({
        ...FAST,
        token: new Secret(BOT_TOKEN),
        apiUrl: sim.apiUrl,
        defaultChannel: CHANNEL,
      });
      assert.equal(slack.mode, 'bot');
      assert.equal(slack.interactive, true);
      assert.equal(calls(sim, 'chat.postMessage').length, 0);
      const posted = await slack.postMessage({ text: 'hello' });
      assert.ok(posted.channel && posted.ts, 'a bot post has a channel and ts');
      await slack.updateMessage({ channel: posted.channel, ts: posted.ts, text: 'hello again' });
      assert.equal(calls(sim, 'chat.postMessage').length, 1);
      assert.equal(calls(sim, 'chat.update').length, 1);
      assert.equal(sim.message(CHANNEL, posted.ts)?.text, 'hello again');
    });
  });

  describe('Table Storage', () => {
    it('refuses a connection string of no form the SDK takes at once, without quoting it', () => {
      const key = testSecret(randomBytes(32).toString('base64'));
      for (const connectionString of [
        '',
        'not a connection string',
        `AccountName=devstoreaccount1;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1`,
        `AccountKey=${key};TableEndpoint=http://127.0.0.1:10002/devstoreaccount1`,
        'SharedAccessSignature=sv=2024&sig=abc',
      ]) {
        assert.throws(() => createTableStore({ connectionString }), configInvalid(key), connectionString);
      }
    });

    it('accepts exactly what the SDK accepts (property-based, against TableClient.fromConnectionString)', () => {
      const key = randomBytes(16).toString('base64');
      const names = [
        'DefaultEndpointsProtocol',
        'AccountName',
        'AccountKey',
        'EndpointSuffix',
        'TableEndpoint',
        'SharedAccessSignature',
        'UseDevelopmentStorage',
        'BlobEndpoint',
      ];
      const values = [
        '',
        'https',
        'http',
        'ftp',
        'acct',
        key,
        'core.windows.net',
        'https://acct.table.core.windows.net/',
        'http://127.0.0.1:10002/devstoreaccount1',
        'http://127.0.0.1:10002/',
        'not a url',
        'sv=2024&sig=abc',
        'true',
      ];
      const part = fc
        .tuple(fc.constantFrom(...names), fc.boolean(), fc.constantFrom(...values), fc.constantFrom('', ' '))
        .map(([name, lower, value, pad]) => `${pad}${lower ? name.toLowerCase() : name}=${value}`);
      const sdkAccepts = (connectionString: string) => {
        try {
          TableClient.fromConnectionString(connectionString, 'x', { allowInsecureConnection: true });
          return true;
        } catch {
          return false;
        }
      };
      fc.assert(
        fc.property(fc.array(part, { maxLength: 6 }), fc.boolean(), (parts, stray) => {
          const connectionString = [...parts, ...(stray ? ['stray'] : [])].join(';');
          const ours = connectionStringProblem(connectionString) === undefined;
          // Never accept what the SDK would then refuse; a stray part is refused even where the SDK
          // happens not to read that far.
          if (ours) assert.ok(sdkAccepts(connectionString), connectionString);
          if (!stray) assert.equal(ours, sdkAccepts(connectionString), connectionString);
        }),
        { numRuns: 2_000 },
      );
    });

    it('takes every form the SDK takes', () => {
      const key = randomBytes(32).toString('base64');
      for (const connectionString of [
        'UseDevelopmentStorage=true',
        `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${key};EndpointSuffix=core.windows.net`,
        'TableEndpoint=https://acct.table.core.windows.net/;SharedAccessSignature=sv=2024&sig=abc',
      ]) {
        assert.doesNotThrow(() => createTableStore({ connectionString }), connectionString);
      }
    });
  });
});
