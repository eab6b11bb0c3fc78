// RunPipelines: gate 4's effect, queue the release's pipelines for the merge commit and wait
// (flows/run-pipelines.ts). The runs are queued and awaited with the job's own token; the release's
// records of them are kept by the function app, reached with that token too.
import { systemClock } from '../../adapters/system-clock.ts';
import { runPipelines } from '../../flows/run-pipelines.ts';
import {
  applyReport,
  optionalVersionInput,
  pipelinesInput,
  releaseRunsThroughApp,
  repositoryInput,
} from '../_common/release-task.ts';
import { runPipelinesReport } from '../_common/reports.ts';
import { azureDevOpsFromAgent, functionAppFromConnection, slackFromConnection } from '../_common/services.ts';
import { runTask } from '../_common/task-runtime.ts';

void runTask('RunPipelines', async (context) => {
  const { inputs } = context;
  const input = {
    repo: repositoryInput(context),
    version: optionalVersionInput(context),
    pipelines: pipelinesInput(context),
    commit: inputs.commit('commit'),
    branch: inputs.branch('branch', 'refs/heads/main'),
    templateParameters: inputs.templateParameters('templateParameters'),
    pollIntervalMs: inputs.number('pollIntervalSeconds', 30, 0.1, 3_600) * 1000,
    maxWaitMs: inputs.number('maxWaitSeconds', 1_800, 0.1, 86_400) * 1000,
  };
  const slack = slackFromConnection(context, false);
  const deps = {
    ...(slack ? { slack } : {}),
    // Its cards link runs, not tickets.
    jiraBaseUrl: '',
    now: systemClock.now,
    log: context.logger,
    azdo: azureDevOpsFromAgent(context).azdo,
    runs: releaseRunsThroughApp(context, functionAppFromConnection(context)),
  };
  return applyReport(context, runPipelinesReport(await runPipelines(deps, input)));
});
