// JiraTicket: `ensure` finds or creates the PR's ticket, links it and moves it to Code Review: the
// function app does it with its own Jira account and settings (a PR build runs the PR author's YAML, so
// it holds no Jira credential and chooses no project or status); this step only writes the Story with
// Claude when the app asks for one. `transition` and `comment` act with a Jira connection, for pipelines
// of reviewed branches (flows/jira-ticket.ts).
import { systemClock } from '../../adapters/system-clock.ts';
import { commentTicket, draftStory, transitionTicket } from '../../flows/jira-ticket.ts';
import { DEFAULT_WORKFLOW } from '../../flows/jira-workflow.ts';
import {
  jiraProjectsInput,
  pullRequestOfRun,
  ticketPatternInput,
  workflowInput,
  workingDirectoryOfRun,
} from '../_common/pull-request.ts';
import {
  askFunctionApp,
  azureDevOpsFromAgent,
  claudeFromInputs,
  functionAppFromConnection,
  jiraContextFromConnection,
} from '../_common/services.ts';
import { applyReport } from '../_common/release-task.ts';
import { commentTicketReport, ensureTicketReport, transitionTicketReport } from '../_common/reports.ts';
import { runTask } from '../_common/task-runtime.ts';
import { ReleaseAgentError } from '../../core/errors.ts';

const ACTIONS = ['ensure', 'transition', 'comment'] as const;

void runTask('JiraTicket', async (context) => {
  const { inputs } = context;
  const action = inputs.choice('action', ACTIONS, 'ensure');
  const ticketPattern = ticketPatternInput(context);
  const workflow = workflowInput(context, DEFAULT_WORKFLOW);

  if (action === 'ensure') {
    const pr = pullRequestOfRun(context, true)!;
    const autoCreate = inputs.boolean('autoCreate', true);
    const requireTicket = inputs.boolean('requireTicket', false);
    const maxBudgetUsd = inputs.number('maxBudgetUsd', 0.5, 0.01, 100);
    const timeoutSeconds = inputs.integer('timeoutSeconds', 300, 1, 7_200);
    const cwd = workingDirectoryOfRun(context, false);
    const app = functionAppFromConnection(context);
    let result = await askFunctionApp(context, app, 'ticket.ensure', { autoCreate, requireTicket });
    const draftWarnings: string[] = [];
    if (result.kind === 'needs-draft') {
      // No ticket anywhere: Claude writes the Story from the checkout; the app creates it in its project.
      context.log(`PR !${pr.prId} names no ticket: Claude writes the Story`);
      const draft = await draftStory(
        { azdo: azureDevOpsFromAgent(context).azdo, claude: claudeFromInputs(context) },
        // Every credential the task read: never in a ticket Claude writes.
        {
          repo: pr.repo,
          cwd,
          maxBudgetUsd,
          timeoutMs: timeoutSeconds * 1000,
          defaultProject: '',
          secrets: context.secrets,
        },
        result.pr,
        draftWarnings,
      );
      result = await askFunctionApp(context, app, 'ticket.ensure', { autoCreate, requireTicket, draft });
    }
    if (result.kind === 'needs-draft') {
      throw new ReleaseAgentError('SERVICE_MALFORMED', 'the function app asked for a Story draft twice', {});
    }
    result = { ...result, warnings: [...draftWarnings, ...result.warnings] };
    for (const warning of result.warnings) context.warn(warning);
    return applyReport(context, ensureTicketReport(result, pr.prId));
  }

  const jira = jiraContextFromConnection(context, true)!;
  // Only keys of these projects count in a PR's branch or title (empty: any key).
  const projects = jiraProjectsInput(context, []);
  const ticketKey = inputs.optional('ticketKey');
  const pr = ticketKey ? undefined : pullRequestOfRun(context, false);
  // Without the app's records only the branch and the title name the PR's ticket.
  const azdo = ticketKey ? undefined : azureDevOpsFromAgent(context);
  const deps = {
    jira: jira.jira,
    ...(azdo ? { azdo: azdo.azdo } : {}),
    now: systemClock.now,
    log: context.logger,
  };
  const target = {
    ...(ticketKey ? { ticketKey } : {}),
    ...(pr ? { pullRequest: pr } : {}),
    ...(ticketPattern ? { ticketPattern } : {}),
    ...(projects.length > 0 ? { projects } : {}),
  };

  if (action === 'transition') {
    const status = inputs.required('status');
    const report = transitionTicketReport(await transitionTicket(deps, { ...target, status, workflow }));
    if (report.result === 'Succeeded') context.log(report.message);
    return applyReport(context, report);
  }

  const comment = inputs.required('comment');
  return applyReport(context, commentTicketReport(await commentTicket(deps, { ...target, comment })));
});
