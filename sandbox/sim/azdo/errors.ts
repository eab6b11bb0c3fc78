// Azure DevOps' error envelope and the refusals the simulator answers with. The shape, statuses, TF codes
// and type keys are the service's (seen in its answers and its exception-to-status map); where the exact
// wording is not known the text is ours and says so in a comment, since callers must key on status and
// typeKey, never on the message.
import { SimHttpError } from '../server.ts';

export interface AzureDevOpsErrorBody {
  $id: '1';
  innerException: null;
  message: string;
  typeName: string;
  typeKey: string;
  errorCode: 0;
  eventId: 3000;
}

const ASSEMBLIES: Record<string, string> = {
  git: 'Microsoft.TeamFoundation.Git.Server',
  build: 'Microsoft.TeamFoundation.Build2.Server',
  core: 'Microsoft.TeamFoundation.Core.WebApi',
  framework: 'Microsoft.TeamFoundation.Framework.Server',
  webapi: 'Microsoft.VisualStudio.Services.WebApi',
  pipelines: 'Microsoft.Azure.Pipelines.WebApi',
  distributedtask: 'Microsoft.TeamFoundation.DistributedTask.WebApi',
  hooks: 'Microsoft.VisualStudio.Services.ServiceHooks.WebApi',
};

export type ErrorArea = keyof typeof ASSEMBLIES;

export function errorBody(
  message: string,
  typeKey: string,
  area: ErrorArea = 'webapi',
): AzureDevOpsErrorBody {
  const assembly = ASSEMBLIES[area] ?? ASSEMBLIES.webapi!;
  return {
    $id: '1',
    innerException: null,
    message,
    typeName: `${assembly}.${typeKey}, ${assembly}`,
    typeKey,
    errorCode: 0,
    eventId: 3000,
  };
}

export function azdoError(
  status: number,
  message: string,
  typeKey: string,
  area: ErrorArea = 'webapi',
): SimHttpError {
  return new SimHttpError(status, message, errorBody(message, typeKey, area));
}

/** The default body for statuses the base server answers on its own (faults, unknown routes). */
export function genericErrorBody(status: number, message: string): AzureDevOpsErrorBody {
  const typeKey =
    status === 404 ? 'NotFoundException' : status === 429 ? 'RequestBlockedException' : 'VssServiceException';
  return errorBody(message, typeKey);
}

export const refusals = {
  unauthorized: () =>
    errorBody(
      "TF400813: The user '' is not authorized to access this resource.",
      'UnauthorizedRequestException',
      'framework',
    ),
  projectNotFound: (project: string) =>
    azdoError(
      404,
      `TF200016: The following project does not exist: ${project}. Verify that the name of the project is correct and that the project exists on the specified Azure DevOps Server.`,
      'ProjectDoesNotExistWithNameException',
      'core',
    ),
  repositoryNotFound: (repo: string) =>
    azdoError(
      404,
      `TF401019: The Git repository with name or identifier ${repo} does not exist or you do not have permissions for the operation you are attempting.`,
      'GitRepositoryNotFoundException',
      'git',
    ),
  pullRequestNotFound: () =>
    azdoError(
      404,
      'TF401180: The requested pull request was not found.',
      'GitPullRequestNotFoundException',
      'git',
    ),
  pullRequestExists: () =>
    azdoError(
      409,
      'TF401179: An active pull request for the source and target branch already exists.',
      'GitPullRequestExistsException',
      'git',
    ),
  branchMissing: () =>
    azdoError(
      400,
      'TF401398: The pull request cannot be activated because the source and/or the target branch no longer exists, or the requested refs are not branches',
      'GitPullRequestCannotBeActivated',
      'git',
    ),
  notEditable: () =>
    azdoError(
      400,
      'TF401181: The pull request cannot be edited due to its state.',
      'GitPullRequestNotEditableException',
      'git',
    ),
  stale: () =>
    azdoError(
      409,
      'TF401192: The source branch has been modified since the last merge attempt.',
      'GitPullRequestStaleException',
      'git',
    ),
  // Status and typeKey are the service's; the sentence is what the service answered `az repos pr
  // complete` on a PR whose required policies were not passing (Azure/azure-devops-cli-extension#548).
  policyRejected: () =>
    azdoError(
      403,
      "This pull request requires an explicit override to bypass policies that aren't currently passing.",
      'GitPullRequestUpdateRejectedByPolicyException',
      'git',
    ),
  bypassDenied: () =>
    azdoError(
      403,
      "TF401027: You need the Git 'PullRequestBypassPolicy' permission to perform this action.",
      'GitNeedsPermissionException',
      'git',
    ),
  invalidArgument: (message: string) => azdoError(400, message, 'InvalidArgumentValueException', 'git'),
  iterationNotFound: (id: number) =>
    azdoError(
      404,
      `The iteration ${id} of the pull request was not found.`,
      'GitPullRequestIterationNotFoundException',
      'git',
    ),
  threadNotFound: (id: number) =>
    azdoError(
      404,
      `The comment thread ${id} was not found.`,
      'GitPullRequestCommentThreadNotFoundException',
      'git',
    ),
  commitNotFound: (commit: string) =>
    azdoError(
      404,
      `The commit ${commit} does not exist in the repository.`,
      'GitCommitDoesNotExistException',
      'git',
    ),
  tagExists: (name: string) =>
    azdoError(409, `The ref refs/tags/${name} already exists.`, 'GitRefNameAlreadyExistsException', 'git'),
  invalidRefName: (name: string) =>
    azdoError(400, `The ref name refs/tags/${name} is not valid.`, 'InvalidGitRefNameException', 'git'),
  apiVersionMissing: (method: string) =>
    azdoError(
      400,
      `No api-version was supplied for the ${method} request. Please specify an api-version.`,
      'VssVersionNotSpecifiedException',
    ),
  previewFlagMissing: (version: string) =>
    azdoError(
      400,
      `The requested version "${version}" of the resource is under preview. The -preview flag must be supplied in the api-version for such requests. For example: "${version}-preview"`,
      'VssInvalidPreviewVersionException',
    ),
  versionOutOfRange: (version: string) =>
    azdoError(
      400,
      `The requested REST API version of ${version} is out of range for this server. The latest REST API version this server supports is 7.1.`,
      'VssVersionOutOfRangeException',
    ),
  pipelineNotFound: (id: string) =>
    azdoError(404, `Pipeline with id ${id} not found.`, 'PipelineNotFoundException', 'pipelines'),
  buildNotFound: (id: string) =>
    azdoError(404, `The requested build ${id} could not be found.`, 'BuildNotFoundException', 'build'),
  runNotFound: (id: string) =>
    azdoError(404, `Pipeline run with id ${id} not found.`, 'PipelineRunNotFoundException', 'pipelines'),
  unexpectedParameter: (name: string) =>
    azdoError(400, `Unexpected parameter '${name}'`, 'PipelineValidationException', 'pipelines'),
  approvalNotFound: (id: string) =>
    azdoError(404, `Approval ${id} was not found.`, 'ApprovalNotFoundException', 'pipelines'),
  // The service refuses a second decision; the type key and sentence are ours (the adapter keys on the
  // approval's own status, read back after the refusal).
  approvalNotPending: (id: string, status: string) =>
    azdoError(
      400,
      `Approval ${id} is already ${status} and cannot be updated.`,
      'ApprovalNotPendingException',
      'pipelines',
    ),
  // A caller who is not an approver of the approval (nor in an approver group), is blocked, has answered
  // already, or whose turn it is not (in sequence). The service answers with an error, not a 200: its
  // exact status, type key and sentence are not documented nor found in public threads, so these are
  // ours (a 403 and a type key of our own); callers key on the approval's permissions, read with
  // `$expand=permissions`, and on the status class, never on the words.
  approvalNotPermitted: (id: string, who: string) =>
    azdoError(
      403,
      `${who} is not permitted to update approval ${id}.`,
      'ApprovalUpdateNotPermittedException',
      'pipelines',
    ),
  environmentExists: (name: string) =>
    azdoError(
      409,
      `Environment '${name}' already exists in the current project.`,
      'EnvironmentExistsException',
      'distributedtask',
    ),
  environmentNotFound: (id: string) =>
    azdoError(
      404,
      `Environment with id ${id} does not exist.`,
      'EnvironmentNotFoundException',
      'distributedtask',
    ),
  checkNotFound: (id: number | string) =>
    azdoError(
      404,
      `Check configuration with id ${id} does not exist.`,
      'CheckConfigurationNotFoundException',
      'pipelines',
    ),
  // The identity is not an Administrator of the environment: it may read its checks, not change them.
  checkNotEditable: (id: number, caller: { displayName: string }) =>
    azdoError(
      403,
      `${caller.displayName} does not have permission to update check configuration ${id}: it needs the Administrator role on the resource.`,
      'AccessDeniedException',
      'pipelines',
    ),
  subscriptionNotFound: (id: string) =>
    azdoError(404, `Subscription ${id} was not found.`, 'SubscriptionNotFoundException', 'hooks'),
  badRequest: (message: string, area: ErrorArea = 'webapi') =>
    azdoError(400, message, 'InvalidArgumentValueException', area),
};
