// Notify: a Slack failure notice linking the run (for `condition: failed()` steps). It never fails the
// pipeline further: a missing or broken Slack connection is a warning (flows/notify.ts).
import { systemClock } from '../../adapters/system-clock.ts';
import { errorMessage } from '../../core/errors.ts';
import { notifyFailure } from '../../flows/notify.ts';
import { slackFromConnection } from '../_common/services.ts';
import { runTask } from '../_common/task-runtime.ts';

void runTask('Notify', async (context) => {
  const { inputs } = context;
  const organizationUrl = (context.variable('System.TeamFoundationCollectionUri') ?? '').replace(/\/+$/, '');
  const project = context.variable('System.TeamProject') ?? '';
  const buildId = context.variable('Build.BuildId');
  const runUrl =
    organizationUrl && project && buildId
      ? `${organizationUrl}/${encodeURIComponent(project)}/_build/results?buildId=${buildId}`
      : undefined;
  const step =
    inputs.optional('step') ||
    context.variable('System.JobDisplayName') ||
    context.variable('Build.DefinitionName') ||
    'Pipeline run';
  const message = inputs.optional('message', 'The run failed: open it for the log.');
  const repo = context.variable('Build.Repository.Name');
  const version = context.variable('ReleaseAgent.Version');

  let slack: ReturnType<typeof slackFromConnection>;
  try {
    slack = slackFromConnection(context, false);
  } catch (error) {
    context.warn(`no notification: ${errorMessage(error)}`);
    return { result: 'SucceededWithIssues', message: `Slack is not reachable: ${errorMessage(error)}` };
  }
  const outcome = await notifyFailure(
    {
      slack: slack?.slack,
      ...(slack?.channel ? { channel: slack.channel } : {}),
      now: systemClock.now,
      log: context.logger,
    },
    {
      step,
      message,
      ...(repo ? { repo } : {}),
      ...(version ? { version } : {}),
      ...(runUrl ? { runUrl } : {}),
    },
  );
  if (outcome.kind === 'posted')
    return { result: 'Succeeded', message: `failure notice posted to Slack (${step})` };
  // No connection configured is a choice, not a problem; a failed post is worth a yellow mark.
  if (outcome.kind === 'no-slack') {
    const warning = 'no Slack connection (input slackConnection): nothing was sent';
    context.warn(warning);
    return { result: 'Succeeded', message: warning };
  }
  context.warn(outcome.warning);
  return { result: 'SucceededWithIssues', message: outcome.warning };
});
