// JiraTicket: `ensure` finds or creates the PR's ticket, links it and moves it (default Code Review);
// `transition` moves a ticket to a status; `comment` comments on it (flows/jira-ticket.ts).
import { commentTicket, DEFAULT_WORKFLOW, ensureTicket, transitionTicket } from '../../flows/jira-ticket.ts';
import {
  jiraProjectsInput,
  pullRequestOfRun,
  ticketPatternInput,
  workflowInput,
  workingDirectoryOfRun,
} from '../_common/pull-request.ts';
import {
  azureDevOpsFromAgent,
  claudeFromInputs,
  jiraContextFromConnection,
  storeFromConnection,
} from '../_common/services.ts';
import { runTask } from '../_common/task-runtime.ts';
import { ReleaseAgentError } from '../../core/errors.ts';

const ACTIONS = ['ensure', 'transition', 'comment'] as const;
const PROJECT_KEY = /^[A-Z][A-Z0-9]+$/;

void runTask('JiraTicket', async (context) => {
  const { inputs } = context;
  const action = inputs.choice('action', ACTIONS, 'ensure');
  const ticketPattern = ticketPatternInput(context);
  const workflow = workflowInput(context, DEFAULT_WORKFLOW);
  const jira = jiraContextFromConnection(context, true)!;
  const defaultProject = inputs.optional('defaultProject', 'ALLPOST');
  if (!PROJECT_KEY.test(defaultProject)) {
    throw new ReleaseAgentError(
      'INPUT_INVALID',
      `input "defaultProject" must be a Jira project key (e.g. ALLPOST), got "${defaultProject}"`,
      {
        input: 'defaultProject',
      },
    );
  }
  // Only keys of these projects count in a PR's branch or title: a PR cannot name any ticket it likes.
  const projects = jiraProjectsInput(context, [defaultProject]);

  if (action === 'ensure') {
    const pr = pullRequestOfRun(context, true)!;
    const autoCreate = inputs.boolean('autoCreate', true);
    const requireTicket = inputs.boolean('requireTicket', false);
    const status = inputs.optional('status', 'Code Review');
    const maxBudgetUsd = inputs.number('maxBudgetUsd', 0.5, 0.01, 100);
    const timeoutSeconds = inputs.integer('timeoutSeconds', 300, 1, 7_200);
    const cwd = workingDirectoryOfRun(context, false);
    const { store } = storeFromConnection(context);
    const azdo = azureDevOpsFromAgent(context);
    const result = await ensureTicket(
      {
        azdo: azdo.azdo,
        jira: jira.jira,
        store,
        ...(autoCreate ? { claude: claudeFromInputs(context) } : {}),
        now: () => new Date(),
      },
      {
        repo: pr.repo,
        prId: pr.prId,
        ...(ticketPattern ? { ticketPattern } : {}),
        projects,
        // Every credential the task read: never in a ticket Claude writes.
        secrets: context.secrets,
        autoCreate,
        requireTicket,
        defaultProject,
        status,
        workflow,
        cwd,
        maxBudgetUsd,
        timeoutMs: timeoutSeconds * 1000,
      },
    );
    for (const warning of result.warnings) context.warn(warning);
    if (result.kind === 'none') {
      context.setOutput('ticketKey', '');
      context.setOutput('ticketCreated', 'false');
      context.summary(`Jira ticket of PR !${pr.prId}`, `No ticket: ${result.reason}.`);
      return { result: 'SucceededWithIssues', message: result.reason };
    }
    if (result.kind === 'conflict') {
      context.setOutput('ticketKey', '');
      context.setOutput('ticketCreated', 'false');
      context.summary(`Jira ticket of PR !${pr.prId}`, `⚠ ${result.reason}.`);
      return { result: 'SucceededWithIssues', message: result.reason };
    }
    context.setOutput('ticketKey', result.ticketKey);
    context.setOutput('ticketCreated', String(result.created));
    const moved = result.move
      ? result.move.changed
        ? `moved ${result.move.from} → ${result.move.to}${result.move.path.length > 1 ? ` (via ${result.move.path.slice(0, -1).join(', ')})` : ''}`
        : `stays in ${result.move.to}`
      : 'not moved';
    const how = result.createdNow
      ? 'created'
      : result.created
        ? 'created earlier for this PR'
        : `found in the ${result.source}`;
    context.summary(
      `Jira ticket of PR !${pr.prId}`,
      [
        `[${result.ticketKey}](${result.ticketUrl}) ${result.summary}`,
        '',
        `- ${how}`,
        `- ${moved}`,
        `- ${result.linkThreadId ? `linked on the PR (thread ${result.linkThreadId})` : 'not linked on the PR (no iteration)'}`,
        ...result.warnings.map((warning) => `- ⚠ ${warning}`),
      ].join('\n'),
    );
    const message = `${result.ticketKey} ${how}, ${moved}`;
    return { result: result.warnings.length > 0 ? 'SucceededWithIssues' : 'Succeeded', message };
  }

  const ticketKey = inputs.optional('ticketKey');
  const pr = ticketKey ? undefined : pullRequestOfRun(context, false);
  // The PR thread knows tickets the agent created; without a state connection only branch and title count.
  const store = inputs.optional('stateConnection') ? storeFromConnection(context).store : undefined;
  const azdo = ticketKey ? undefined : azureDevOpsFromAgent(context);
  const deps = { jira: jira.jira, ...(azdo ? { azdo: azdo.azdo } : {}), ...(store ? { store } : {}) };
  const target = {
    ...(ticketKey ? { ticketKey } : {}),
    ...(pr ? { pullRequest: pr } : {}),
    ...(ticketPattern ? { ticketPattern } : {}),
    projects,
  };

  if (action === 'transition') {
    const status = inputs.required('status');
    const moved = await transitionTicket(deps, { ...target, status, workflow });
    context.setOutput('ticketKey', moved.key);
    context.setOutput('ticketCreated', 'false');
    const message = moved.changed
      ? `${moved.key} moved ${moved.from} → ${moved.to}${moved.path.length > 1 ? ` (via ${moved.path.slice(0, -1).join(', ')})` : ''}`
      : `${moved.key} already in ${moved.to}`;
    context.log(message);
    return { result: 'Succeeded', message };
  }

  const comment = inputs.required('comment');
  const commented = await commentTicket(deps, { ...target, comment });
  context.setOutput('ticketKey', commented.key);
  context.setOutput('ticketCreated', 'false');
  return { result: 'Succeeded', message: `commented on ${commented.key}` };
});
