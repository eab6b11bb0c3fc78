// CompleteRelease: tickets → Done, Jira version, Slack notification, staging → archive (flows/complete-release.ts).
import { DEFAULT_WORKFLOW_ORDER } from '../../flows/jira-workflow.ts';
import { completeRelease } from '../../flows/complete-release.ts';
import {
  applyReport,
  optionalVersionInput,
  releaseFlowDeps,
  repositoryInput,
} from '../_common/release-task.ts';
import { CONNECTION_INPUTS, jiraFromConnection } from '../_common/services.ts';
import { serviceConnection, runTask } from '../_common/task-runtime.ts';

void runTask('CompleteRelease', async (context) => {
  const { inputs } = context;
  const doneStatus = inputs.optional('doneStatus', 'Done');
  const workflow = inputs.list('workflow');
  const input = {
    repo: repositoryInput(context),
    version: optionalVersionInput(context),
    doneStatus,
    workflow: workflow.length > 0 ? workflow : DEFAULT_WORKFLOW_ORDER,
    jiraVersion: inputs.boolean('jiraVersion', false),
  };
  const jira = jiraFromConnection(context, true)!;
  const jiraBaseUrl = serviceConnection(inputs, CONNECTION_INPUTS.jira, true)!.url;
  const deps = { ...releaseFlowDeps(context, { jiraBaseUrl }), jira };
  return applyReport(context, await completeRelease(deps, input));
});
