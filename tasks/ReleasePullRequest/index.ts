// ReleasePullRequest: the release pipeline's plan / create / complete steps. The function app performs
// them (flows/release-pull-request.ts) for this run of the repo's release pipeline: the run is verified
// with Azure DevOps, the job holds no credential of the app's state.
import { ReleaseAgentError } from '../../core/errors.ts';
import { seconds } from '../../flows/release-common.ts';
import {
  applyReport,
  optionalVersionInput,
  pipelinesInput,
  repositoryInput,
} from '../_common/release-task.ts';
import { mergedReport, planReport, releasePrReport } from '../_common/reports.ts';
import { askFunctionApp, functionAppFromConnection } from '../_common/services.ts';
import { runTask } from '../_common/task-runtime.ts';

const MERGE_STRATEGIES = ['noFastForward', 'squash', 'rebase', 'rebaseMerge'] as const;

void runTask('ReleasePullRequest', async (context) => {
  const { inputs } = context;
  const action = inputs.choice('action', ['plan', 'create', 'complete'] as const, 'plan');
  const repository = repositoryInput(context);
  const app = functionAppFromConnection(context);

  if (action === 'plan') {
    const pipelines = pipelinesInput(context);
    return applyReport(
      context,
      planReport(await askFunctionApp(context, app, 'release.plan', { repository, pipelines })),
    );
  }

  const version = optionalVersionInput(context);
  const branches = {
    repository,
    ...(version ? { version } : {}),
    sourceRef: inputs.branch('sourceBranch', 'develop'),
    targetRef: inputs.branch('targetBranch', 'main'),
  };
  if (action === 'create')
    return applyReport(
      context,
      releasePrReport(await askFunctionApp(context, app, 'release.create', branches)),
    );

  const pullRequestId = inputs.integer('pullRequestId', 0, 1, 2_147_483_647);
  const request = {
    ...branches,
    ...(pullRequestId > 0 ? { pullRequestId } : {}),
    mergeStrategy: inputs.choice('mergeStrategy', MERGE_STRATEGIES, 'noFastForward'),
  };
  const pollIntervalMs = inputs.number('pollIntervalSeconds', 30, 0.1, 3_600) * 1000;
  const maxWaitMs = inputs.number('maxWaitSeconds', 1_800, 0.1, 86_400) * 1000;
  const started = Date.now();
  // The app waits a while for required policies on each call; this step asks again up to its own limit.
  for (;;) {
    const answer = await askFunctionApp(context, app, 'release.complete', {
      ...request,
      waitSeconds: Math.max(0, (maxWaitMs - (Date.now() - started)) / 1000),
      pollIntervalSeconds: pollIntervalMs / 1000,
    });
    if (answer.kind !== 'pending') return applyReport(context, mergedReport(answer));
    const waited = Date.now() - started;
    if (waited >= maxWaitMs) {
      throw new ReleaseAgentError(
        'PR_COMPLETION_TIMEOUT',
        `${answer.message} (waited ${seconds(waited)})`,
        {},
      );
    }
    context.log(`${answer.message}: asking again in ${seconds(pollIntervalMs)}`);
    await new Promise((resolve) => setTimeout(resolve, Math.min(pollIntervalMs, maxWaitMs - waited)));
  }
});
