// The wire between a pipeline job and the function app (POST /api/jobs/{step}): the steps, what each
// sends and what it gets back. Types only, so a task bundle carries none of the app's validation code.
// The job authenticates with its own System.AccessToken and names its build; the app reads the build
// from Azure DevOps and decides from that alone what the job may ask (core/job-roles.ts).
import type { ReviewRecorded, ReviewReport, ReviewStart } from './review-record.ts';
import type { CompleteReleaseOutcome } from './complete-release.ts';
import type { EnsureTicketResult } from './jira-ticket.ts';
import type { PipelineRef } from './release-common.ts';
import type { MergedOutcome, PlanOutcome, ReleasePrOutcome } from './release-pull-request.ts';
import type { StageReleaseOutcome } from './stage-release.ts';
import type { ReleaseThreadState } from './threads.ts';

/** The header naming the job's build (Build.BuildId). */
export const BUILD_HEADER = 'x-release-agent-build';

/**
 * A step that ran and failed answers with its coded error (classifyError in core/errors.ts): 424 when an
 * outside service it depends on failed, 422 for any other coded failure of the step itself.
 */
export const JOB_STEP_FAILED = 422;
export const JOB_STEP_OUTSIDE_FAILED = 424;

export type RecordedRun = NonNullable<ReleaseThreadState['pipelineRuns']>[number];

export interface StageOptions {
  /** Build.SourceVersionMessage: the merge commit's message, for the bump. */
  commitMessage?: string;
  firstRelease?: string;
  conventionalBumps?: boolean;
  ticketPattern?: string;
  stagingStatus?: string;
  workflow?: string[];
  fixVersion?: boolean;
  /** Jira projects whose tickets may be staged (default the app's JIRA_PROJECTS). */
  jiraProjects?: string[];
}

/** Every release step names the repository it means: the app refuses one its pipeline does not release. */
export interface ReleaseRequest {
  repository: string;
}

export interface BranchesOptions extends ReleaseRequest {
  version?: string;
  sourceRef: string;
  targetRef: string;
}

/** Each step: what the job sends, what the app answers. */
export interface JobSteps {
  'review.start': { request: Record<string, never>; response: ReviewStart };
  'review.report': { request: ReviewReport; response: ReviewRecorded };
  /** `draft`: the Story Claude wrote, sent when the app answered `needs-draft`. */
  'ticket.ensure': {
    request: {
      draft?: { summary: string; description: string };
      autoCreate?: boolean;
      requireTicket?: boolean;
    };
    response: EnsureTicketResult;
  };
  stage: { request: StageOptions; response: StageReleaseOutcome };
  'release.plan': { request: ReleaseRequest & { pipelines: PipelineRef[] }; response: PlanOutcome };
  'release.create': { request: BranchesOptions; response: ReleasePrOutcome };
  /** `pending`: policies still pending after the app's wait; ask again. */
  'release.complete': {
    request: BranchesOptions & {
      pullRequestId?: number;
      mergeStrategy: 'noFastForward' | 'squash' | 'rebase' | 'rebaseMerge';
      /** How long this call may wait for pending policies (the app caps it), and how often it looks. */
      waitSeconds: number;
      pollIntervalSeconds: number;
    };
    response: MergedOutcome | { kind: 'pending'; message: string };
  };
  'release.finish': {
    request: ReleaseRequest & {
      version?: string;
      doneStatus: string;
      workflow: string[];
      jiraVersion: boolean;
    };
    response: CompleteReleaseOutcome;
  };
  'release.runs': {
    request: ReleaseRequest & { version?: string };
    response: {
      version: string | undefined;
      mergeCommit: string | undefined;
      pipelines: PipelineRef[];
      runs: RecordedRun[];
    };
  };
  'release.record-run': {
    request: ReleaseRequest & { version: string; run: Omit<RecordedRun, 'queuedAt'> };
    response: { recorded: true };
  };
}

export type JobStep = keyof JobSteps;

export const JOB_STEPS: readonly JobStep[] = [
  'review.start',
  'review.report',
  'ticket.ensure',
  'stage',
  'release.plan',
  'release.create',
  'release.complete',
  'release.finish',
  'release.runs',
  'release.record-run',
];

/** Every answer carries the lines the app's flow logged, for the step's own log. */
export interface JobAnswer<S extends JobStep> {
  result: JobSteps[S]['response'];
  log: { level: 'info' | 'warning'; text: string }[];
}
