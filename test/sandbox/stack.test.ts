import assert from 'node:assert/strict';
import { RestAzureDevOps } from '../../adapters/azdo/rest-azdo.ts';
import { createJiraClient } from '../../adapters/jira/jira-client.ts';
import { createSlack } from '../../adapters/slack/create-slack.ts';
import { loadConfig } from '../../core/config.ts';
import { Secret } from '../../core/secret.ts';
import { type Stack, startStack } from '../../sandbox/stack.ts';

describe('sandbox stack', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ storageConnectionString: process.env.AZURE_STORAGE_CONNECTION_STRING_TEST! });
  });
  after(() => stack?.stop());

  it('gives the function app a configuration that validates and reaches every simulator with its credentials', async () => {
    const config = loadConfig(stack.functionEnv());
    const azdo = new RestAzureDevOps({
      organizationUrl: config.AZDO_BASE_URL,
      project: config.AZDO_PROJECT,
      auth: { kind: 'pat', token: config.AZDO_PAT },
    });
    stack.azdo.seedRepository({ name: 'Billo.Platform.Payment' });
    assert.deepEqual(await azdo.listActivePullRequests(), []);
    const jira = createJiraClient({
      baseUrl: config.JIRA_BASE_URL,
      email: config.JIRA_EMAIL,
      apiToken: config.JIRA_API_TOKEN,
    });
    const story = await jira.createStory({
      project: 'ALLPOST',
      summary: 'stack check',
      description: 'made by the stack test',
    });
    assert.match(story.key, /^ALLPOST-\d+$/);
    const slack = createSlack(config);
    const posted = await slack.postMessage({ text: 'stack check' });
    assert.equal(stack.slack.message(posted.channel!, posted.ts!)?.text, 'stack check');
  });

  it('refuses a wrong credential on each simulator', async () => {
    const azdo = new RestAzureDevOps({
      organizationUrl: stack.azdo.organizationUrl,
      project: stack.azdo.project.name,
      auth: { kind: 'pat', token: new Secret('wrong') },
      retry: { maxAttempts: 1 },
    });
    await assert.rejects(azdo.listActivePullRequests(), { code: 'AUTH_INVALID' });
    const jira = createJiraClient({
      baseUrl: stack.jira.url,
      email: stack.jira.email,
      apiToken: new Secret('wrong'),
      retry: { maxAttempts: 1 },
    });
    await assert.rejects(
      jira.getIssue('ALLPOST-1'),
      (error: { fields?: { status?: number } }) => error.fields?.status === 401,
    );
  });

  it('uses credentials it is given instead of fresh ones, and counts them as issued', async () => {
    const { issuedSecrets } = await import('../../sandbox/stack.ts');
    const given = await startStack({
      storageConnectionString: process.env.AZURE_STORAGE_CONNECTION_STRING_TEST!,
      secrets: { slackSigningSecret: 'sign-given-by-an-outside-tool', operatorToken: 'op-given' },
    });
    try {
      assert.equal(given.secrets.slackSigningSecret, 'sign-given-by-an-outside-tool');
      assert.equal(given.functionEnv().OPERATOR_TOKEN, 'op-given');
      assert.notEqual(given.secrets.webhookSecret, stack.secrets.webhookSecret);
      assert.ok(issuedSecrets().includes('sign-given-by-an-outside-tool'));
    } finally {
      await given.stop();
    }
  });
});
