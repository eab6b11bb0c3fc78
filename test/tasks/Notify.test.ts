import assert from 'node:assert/strict';
import { runTaskBundle } from '../../sandbox/agent/task-runner.ts';
import { type Stack, startStack } from '../../sandbox/stack.ts';
import { taskDir } from '../support/task-bundles.ts';
import {
  assertCredentialsRegistered,
  assertResult,
  runAgentTask,
  slackMessagesSince,
} from './pr-tasks-kit.ts';

describe('Notify task (run as the agent runs it)', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ storageConnectionString: process.env.AZURE_STORAGE_CONNECTION_STRING_TEST! });
  });
  after(() => stack?.stop());

  const variables = {
    'Build.BuildId': '4242',
    'Build.Repository.Name': 'Billo.Platform.Payment',
    'ReleaseAgent.Version': '1.4.0',
  };

  it('posts a failure card naming the step and linking the run', async () => {
    const before = stack.slack.messages(stack.slackChannel).length;
    const run = await runAgentTask(stack, 'Notify', {
      inputs: { step: 'RunPipelines', message: 'CI pipeline failed on main' },
      variables,
      connections: ['slack'],
    });
    assertResult(run, 'Succeeded', /posted/);
    assertCredentialsRegistered(run, stack, ['slack']);
    const [card] = slackMessagesSince(stack, before);
    assert.ok(card, 'nothing posted');
    assert.match(
      card.text,
      /Failed: RunPipelines for Billo\.Platform\.Payment 1\.4\.0: CI pipeline failed on main/,
    );
    const runUrl = `${stack.azdo.organizationUrl}/${stack.azdo.project.name}/_build/results?buildId=4242`;
    assert.ok(JSON.stringify(card.blocks).includes(runUrl), 'the card links the run');
  });

  it('posts through an incoming webhook connection too (no buttons, no channel needed)', async () => {
    const before = stack.slack.messages().length;
    const run = await runTaskWithWebhook();
    assertResult(run, 'Succeeded');
    const posted = stack.slack.messages().slice(before);
    assert.equal(posted.length, 1);
    assert.equal(posted[0]!.source, 'webhook');
    assert.match(posted[0]!.text, /The run failed/);
  });

  async function runTaskWithWebhook() {
    return await runTaskBundle({
      taskDir: await taskDir('Notify'),
      inputs: { slackConnection: 'hook' },
      variables: stack.agentVariables(variables),
      endpoints: {
        hook: {
          url: 'https://slack.com/api/',
          scheme: 'Token',
          parameters: { apitoken: stack.slack.webhookUrl },
        },
      },
    });
  }

  it('without a Slack connection: a warning, and the step still succeeds', async () => {
    const before = stack.slack.messages().length;
    const run = await runAgentTask(stack, 'Notify', { variables, connections: [] });
    assertResult(run, 'Succeeded', /no Slack connection/);
    assert.ok(
      run.commands.some(
        (command) => command.command === 'task.issue' && command.properties.type === 'warning',
      ),
    );
    assert.equal(stack.slack.messages().length, before);
  });

  it('a connection the job cannot use or a Slack outage: succeeds with issues, never fails', async () => {
    const missing = await runAgentTask(stack, 'Notify', {
      inputs: { slackConnection: 'gone' },
      variables,
      connections: [],
    });
    assertResult(missing, 'SucceededWithIssues', /"slackConnection"/);

    stack.slack.server.addFault({ route: 'chat.postMessage', kind: 'status', status: 500, times: 10 });
    try {
      const down = await runAgentTask(stack, 'Notify', { variables, connections: ['slack'] });
      assertResult(down, 'SucceededWithIssues', /Slack notification failed/);
    } finally {
      stack.slack.server.clearFaults();
    }
  });
});
