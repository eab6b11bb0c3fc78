// StageRelease (develop CI after a merge): the function app stages the tickets of the PR this build's
// commit completed on the repo's staging release (flows/stage-release.ts), and this step hands the
// version to later steps. The app takes the repo and the commit from the build itself (verified with
// Azure DevOps); the step's inputs only tune how versions grow and where tickets go.
import { buildNumberFor } from '../../core/build-number.ts';
import { stageRunSummary } from '../../flows/stage-release.ts';
import { jiraProjectsInput, repositoryOfRun, ticketPatternInput } from '../_common/pull-request.ts';
import { askFunctionApp, functionAppFromConnection } from '../_common/services.ts';
import { runTask } from '../_common/task-runtime.ts';

void runTask('StageRelease', async (context) => {
  const { inputs } = context;
  const repo = repositoryOfRun(context);
  const firstRelease = inputs.version('firstRelease');
  const conventionalBumps = inputs.boolean('conventionalBumps', false);
  const fixVersion = inputs.boolean('fixVersion', false);
  const updateBuildNumber = inputs.boolean('updateBuildNumber', true);
  const stagingStatus = inputs.optional('stagingStatus');
  const workflow = inputs.list('workflow');
  const ticketPattern = ticketPatternInput(context);
  // Only tickets of these projects are staged (empty: the app's JIRA_PROJECTS): a PR title cannot put
  // any ticket into a release.
  const jiraProjects = jiraProjectsInput(context, []);
  const commitMessage = context.variable('Build.SourceVersionMessage');
  const app = functionAppFromConnection(context);

  // Unset inputs leave the function app's settings (FIRST_RELEASE_VERSION, CONVENTIONAL_BUMP_ENABLED…).
  const outcome = await askFunctionApp(context, app, 'stage', {
    ...(commitMessage ? { commitMessage } : {}),
    ...(firstRelease ? { firstRelease } : {}),
    ...(conventionalBumps ? { conventionalBumps } : {}),
    ...(ticketPattern ? { ticketPattern } : {}),
    ...(stagingStatus ? { stagingStatus } : {}),
    ...(workflow.length > 0 ? { workflow } : {}),
    ...(jiraProjects.length > 0 ? { jiraProjects } : {}),
    fixVersion,
  });
  context.summary(`Staging of ${repo}`, stageRunSummary(outcome, repo));
  if (outcome.kind === 'no-pr') {
    return {
      result: 'SucceededWithIssues',
      message: `no PR completed by this commit (${outcome.commit.slice(0, 7)}): nothing staged`,
    };
  }
  context.setOutput('pullRequestId', String(outcome.pr.id));
  for (const warning of outcome.warnings) context.warn(warning);
  if (outcome.kind === 'no-ticket') {
    return {
      result: 'SucceededWithIssues',
      message: `PR !${outcome.pr.id} carries no Jira ticket: nothing staged`,
    };
  }
  const { staging } = outcome;
  const keys = outcome.tickets.map((ticket) => ticket.key);
  context.setOutput('version', staging.version);
  context.setOutput('ticketKeys', keys.join(','));
  // Later steps of this job read $(ReleaseAgent.Version); other jobs read the output.
  context.setVariable('ReleaseAgent.Version', staging.version);
  if (updateBuildNumber)
    context.updateBuildNumber(buildNumberFor(repo, staging.version, context.variable('Build.BuildId')));
  const message = outcome.changed
    ? `${keys.join(', ')} staged on ${repo} ${staging.version} (${staging.tickets.length} ticket${staging.tickets.length === 1 ? '' : 's'} on staging)`
    : `${keys.join(', ')} already on ${repo} ${staging.version}: nothing changed`;
  context.log(message);
  return { result: outcome.warnings.length > 0 ? 'SucceededWithIssues' : 'Succeeded', message };
});
