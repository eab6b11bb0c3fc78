// StageRelease (develop CI after a merge): stages the tickets of the PR this commit completed on the
// repo's staging release (flows/stage-release.ts), and hands the version to later steps.
import { ReleaseAgentError } from '../../core/errors.ts';
import { normalizeVersion } from '../../core/versions.ts';
import { DEFAULT_WORKFLOW } from '../../flows/jira-ticket.ts';
import { buildNumberFor } from '../../core/build-number.ts';
import { stageRelease, stageRunSummary } from '../../flows/stage-release.ts';
import {
  jiraProjectsInput,
  repositoryOfRun,
  ticketPatternInput,
  workflowInput,
} from '../_common/pull-request.ts';
import {
  azureDevOpsFromAgent,
  jiraContextFromConnection,
  slackFromConnection,
  storeFromConnection,
} from '../_common/services.ts';
import { runTask } from '../_common/task-runtime.ts';

const DEFAULT_JIRA_BASE_URL = 'https://billolife.atlassian.net';
const COMMIT = /^[0-9a-f]{40}$/i;

void runTask('StageRelease', async (context) => {
  const { inputs } = context;
  const repo = repositoryOfRun(context);
  const commit = inputs.optional('commit') || context.variable('Build.SourceVersion')?.trim() || '';
  if (!commit)
    throw new ReleaseAgentError(
      'INPUT_INVALID',
      'input "commit" is required: Build.SourceVersion is not set',
      { input: 'commit' },
    );
  if (!COMMIT.test(commit)) {
    throw new ReleaseAgentError(
      'INPUT_INVALID',
      `input "commit" must be a 40-character commit id, got "${commit}"`,
      { input: 'commit' },
    );
  }
  const firstReleaseText = inputs.optional('firstRelease', '1.0.0');
  let firstRelease: string;
  try {
    firstRelease = normalizeVersion(firstReleaseText);
  } catch {
    throw new ReleaseAgentError(
      'INPUT_INVALID',
      `input "firstRelease" must be a version x.y.z, got "${firstReleaseText}"`,
      { input: 'firstRelease' },
    );
  }
  const conventionalBumps = inputs.boolean('conventionalBumps', false);
  const fixVersion = inputs.boolean('fixVersion', false);
  const updateBuildNumber = inputs.boolean('updateBuildNumber', true);
  const stagingStatus = inputs.optional('stagingStatus', 'Staging');
  const workflow = workflowInput(context, DEFAULT_WORKFLOW);
  const ticketPattern = ticketPatternInput(context);
  // Only tickets of these projects are staged: a PR title cannot put any ticket into a release.
  const projects = jiraProjectsInput(context, ['ALLPOST']);
  const { store } = storeFromConnection(context);
  const jira = jiraContextFromConnection(context, false);
  const slack = slackFromConnection(context, false);
  const azdo = azureDevOpsFromAgent(context);
  // Only the merge commit's own message counts, and only when it is the commit this run built.
  const commitMessage = inputs.optional('commit')
    ? undefined
    : context.variable('Build.SourceVersionMessage');

  const outcome = await stageRelease(
    {
      azdo: azdo.azdo,
      store,
      ...(jira ? { jira: jira.jira } : {}),
      ...(slack ? { slack: slack.slack, ...(slack.channel ? { channel: slack.channel } : {}) } : {}),
      now: () => new Date(),
    },
    {
      repo,
      commit,
      ...(commitMessage ? { commitMessage } : {}),
      firstRelease,
      conventionalBumps,
      ...(ticketPattern ? { ticketPattern } : {}),
      projects,
      stagingStatus,
      workflow,
      fixVersion,
      jiraBaseUrl: jira?.baseUrl ?? DEFAULT_JIRA_BASE_URL,
    },
  );
  context.summary(`Staging of ${repo}`, stageRunSummary(outcome, repo));
  if (outcome.kind === 'no-pr') {
    return {
      result: 'SucceededWithIssues',
      message: `no PR completed by this commit (${commit.slice(0, 7)}): nothing staged`,
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
    ? `${keys.join(', ')} staged on ${repo} ${staging.version} (${staging.tickets.length} tickets on staging)`
    : `${keys.join(', ')} already on ${repo} ${staging.version}: nothing changed`;
  context.log(message);
  return { result: outcome.warnings.length > 0 ? 'SucceededWithIssues' : 'Succeeded', message };
});
