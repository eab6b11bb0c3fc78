// ReleasePullRequest: the release pipeline's plan / create / complete steps (flows/release-pull-request.ts).
import { branchRef } from '../../flows/release-common.ts';
import {
  completeReleasePullRequest,
  createReleasePullRequest,
  planRelease,
} from '../../flows/release-pull-request.ts';
import {
  applyReport,
  optionalVersionInput,
  pipelinesInput,
  releaseFlowDeps,
  repositoryInput,
} from '../_common/release-task.ts';
import { azureDevOpsFromAgent } from '../_common/services.ts';
import { runTask } from '../_common/task-runtime.ts';

const MERGE_STRATEGIES = ['noFastForward', 'squash', 'rebase', 'rebaseMerge'] as const;

void runTask('ReleasePullRequest', async (context) => {
  const { inputs } = context;
  const action = inputs.choice('action', ['plan', 'create', 'complete'] as const, 'plan');
  const repo = repositoryInput(context);

  if (action === 'plan') {
    const pipelines = pipelinesInput(context);
    const deps = releaseFlowDeps(context);
    const number = (name: string) => {
      const value = Number(context.variable(name));
      return Number.isSafeInteger(value) && value > 0 ? value : undefined;
    };
    const { runUrl } = azureDevOpsFromAgent(context);
    const run = {
      ...(number('Build.BuildId') ? { runId: number('Build.BuildId') } : {}),
      ...(number('System.DefinitionId') ? { pipelineId: number('System.DefinitionId') } : {}),
      ...(runUrl ? { runUrl } : {}),
    };
    return applyReport(context, await planRelease(deps, { repo, pipelines, run }));
  }

  const branches = {
    repo,
    version: optionalVersionInput(context),
    sourceRef: branchRef(inputs.optional('sourceBranch', 'develop'), 'sourceBranch'),
    targetRef: branchRef(inputs.optional('targetBranch', 'main'), 'targetBranch'),
  };
  if (action === 'create') {
    const deps = { ...releaseFlowDeps(context), azdo: azureDevOpsFromAgent(context).azdo };
    return applyReport(context, await createReleasePullRequest(deps, branches));
  }
  const pullRequestId = inputs.integer('pullRequestId', 0, 1, 2_147_483_647);
  const complete = {
    ...branches,
    ...(pullRequestId > 0 ? { pullRequestId } : {}),
    mergeStrategy: inputs.choice('mergeStrategy', MERGE_STRATEGIES, 'noFastForward'),
    pollIntervalMs: inputs.number('pollIntervalSeconds', 30, 0.1, 3_600) * 1000,
    maxWaitMs: inputs.number('maxWaitSeconds', 1_800, 0.1, 86_400) * 1000,
  };
  const deps = { ...releaseFlowDeps(context), azdo: azureDevOpsFromAgent(context).azdo };
  return applyReport(context, await completeReleasePullRequest(deps, complete));
});
