// CompleteRelease: tickets → Done, Jira version, Slack notification, staging → archive. The function app
// performs it (flows/complete-release.ts) for this run of the repo's release pipeline, with its own Jira
// and Slack: the job holds no credential of them or of the app's state.
import { DEFAULT_WORKFLOW } from '../../flows/jira-workflow.ts';
import { applyReport, optionalVersionInput, repositoryInput } from '../_common/release-task.ts';
import { completeReleaseReport } from '../_common/reports.ts';
import { askFunctionApp, functionAppFromConnection } from '../_common/services.ts';
import { runTask } from '../_common/task-runtime.ts';

void runTask('CompleteRelease', async (context) => {
  const { inputs } = context;
  const workflow = inputs.list('workflow');
  const repository = repositoryInput(context);
  const version = optionalVersionInput(context);
  const app = functionAppFromConnection(context);
  const outcome = await askFunctionApp(context, app, 'release.finish', {
    repository,
    ...(version ? { version } : {}),
    doneStatus: inputs.optional('doneStatus', 'Done'),
    workflow: workflow.length > 0 ? workflow : [...DEFAULT_WORKFLOW],
    jiraVersion: inputs.boolean('jiraVersion', false),
  });
  return applyReport(context, completeReleaseReport(outcome));
});
