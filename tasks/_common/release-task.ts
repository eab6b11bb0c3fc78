// What the release pipeline's task entries share: the inputs every one of them reads, the ports its
// flow gets, and writing the report of a flow's outcome (reports.ts) onto the agent (outputs, build
// number, summary, result).
import { ReleaseAgentError } from '../../core/errors.ts';
import type { FunctionApp } from '../../adapters/function-app/function-app.ts';
import type { PipelineRef } from '../../flows/release-common.ts';
import type { ReleaseRuns } from '../../flows/run-pipelines.ts';
import type { TaskReport } from './reports.ts';
import { askFunctionApp } from './services.ts';
import type { TaskContext, TaskOutcome } from './task-runtime.ts';

/** The `repository` input, else the pipeline's own repository. */
export function repositoryInput(context: TaskContext): string {
  const repo = context.inputs.optional('repository') || context.variable('Build.Repository.Name')?.trim();
  if (!repo) {
    throw new ReleaseAgentError(
      'INPUT_INVALID',
      'input "repository" is required (Build.Repository.Name is not set)',
      {
        input: 'repository',
      },
    );
  }
  if (/[\\/#?\u0000-\u001f]/.test(repo) || repo.length > 256) {
    throw new ReleaseAgentError(
      'INPUT_INVALID',
      `input "repository" is not a repository name: "${repo.slice(0, 80)}"`,
      {
        input: 'repository',
      },
    );
  }
  return repo;
}

/** The optional `version` input (the version the release pipeline planned). */
export function optionalVersionInput(context: TaskContext): string | undefined {
  return context.inputs.version('version');
}

export function pipelinesInput(context: TaskContext): PipelineRef[] {
  return context.inputs.pipelines('pipelines');
}

/** The release's run records, kept by the function app (the job reaches them with its own token). */
export function releaseRunsThroughApp(context: TaskContext, app: FunctionApp): ReleaseRuns {
  return {
    resolve: async (repository, version) =>
      await askFunctionApp(context, app, 'release.runs', { repository, ...(version ? { version } : {}) }),
    record: async (repository, version, run) => {
      await askFunctionApp(context, app, 'release.record-run', { repository, version, run });
    },
  };
}

/** Sets the report's outputs, build number and summary, and gives the task's outcome. */
export function applyReport(context: TaskContext, report: TaskReport): TaskOutcome {
  for (const [name, value] of Object.entries(report.outputs)) context.setOutput(name, value);
  if (report.buildNumber) context.updateBuildNumber(report.buildNumber);
  if (report.summary) context.summary(report.summary.title, report.summary.markdown);
  return { result: report.result, message: report.message };
}
