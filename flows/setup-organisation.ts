// Wires a real Azure DevOps project to the Release Agent: the service-hook subscriptions that feed the
// function app, and the environments of gates 2–5 (RELEASE_ENVIRONMENTS) with an Approval check each (its
// instructions carry the marker the poller and the job steps read; an existing check gets the marker and
// the missing approvers added) whose approvers are the people given and the app's own identity: Azure
// DevOps lets only an approver answer an approval, and the app answers with its PAT. That identity is the
// one that created or replaced the subscriptions (their `modifiedBy`): `connectionData`, which names the
// caller, is not a 7.1 operation. Every step finds before it creates, so re-running is safe and a rotated
// webhook secret reaches the existing subscriptions. What it cannot do is reported, not skipped silently:
// a check it may not change, and the release pipelines' permission on each environment (the pipeline
// permissions API is not in the REST 7.1 specs this product is checked against).
import { type AzureDevOps, REVIEW_STATUS_CONTEXT, type ServiceHookEvent } from '../adapters/azdo/azdo.ts';
import type { Secret } from '../core/secret.ts';
import { approvalInstructions } from './approval-gates.ts';
import { RELEASE_ENVIRONMENT_ROLES, type ReleaseEnvironments } from '../core/release-environments.ts';
import { errorMessage, isReleaseAgentError, ReleaseAgentError } from '../core/errors.ts';
import type { FlowContext } from './context.ts';

export const SERVICE_HOOK_EVENTS: readonly ServiceHookEvent[] = [
  'git.pullrequest.created',
  'git.pullrequest.updated',
  'ms.vss-pipelinechecks-events.approval-pending',
  'ms.vss-pipelinechecks-events.approval-completed',
];

export interface SetupInput {
  /** The function app's base URL, e.g. https://release-agent-fn.azurewebsites.net */
  functionAppUrl: string;
  webhookSecret: Secret;
  /** Identity ids (users or groups) allowed to approve in Azure DevOps itself. */
  approverIds: readonly string[];
  /** The app's own identity (its PAT's user); learned from the service hooks when absent. */
  appIdentityId?: string;
  /** Days a stage waits for its approval (Azure DevOps' own default is 30). */
  timeoutDays?: number;
  /** Also require the `release-agent/ai-review` status on PRs into this branch (a blocking Status policy). */
  requireReviewStatusOn?: string;
  /** RELEASE_ENVIRONMENTS: the environments to wire. */
  environments: Readonly<ReleaseEnvironments>;
  /** RELEASE_PIPELINE_BY_REPO: the pipelines that must be permitted to use those environments. */
  releasePipelines: Readonly<Record<string, number>>;
}

export interface SetupStep {
  kind:
    | 'environment'
    | 'approval-check'
    | 'service-hook'
    | 'pipeline-permission'
    | 'app-identity'
    | 'status-policy';
  name: string;
  created: boolean;
  /** What setup could not do and a person must (the step is then not done). */
  problem?: string;
}

/** The flow context without the store (setup touches only Azure DevOps) plus the admin's Azure DevOps. */
export type SetupDeps = Omit<FlowContext, 'store'> & { azdo: AzureDevOps };

export async function setupOrganisation(deps: SetupDeps, input: SetupInput): Promise<SetupStep[]> {
  const { azdo } = deps;
  const log = (line: string) => deps.log.info(line);
  const steps: SetupStep[] = [];
  const url = `${input.functionAppUrl.replace(/\/+$/, '')}/api/azdo/events`;
  let appIdentity = input.appIdentityId;
  for (const eventType of SERVICE_HOOK_EVENTS) {
    const hook = await azdo.ensureServiceHook({
      eventType,
      url,
      headers: { 'X-Webhook-Secret': input.webhookSecret },
    });
    appIdentity ??= hook.modifiedBy?.id;
    steps.push({ kind: 'service-hook', name: eventType, created: hook.created });
    log(`service hook ${eventType} → ${url}: ${hook.created ? 'created' : 'updated'}`);
  }
  if (!appIdentity) {
    throw new ReleaseAgentError(
      'CONFIG_INVALID',
      "cannot tell the app's own Azure DevOps identity (the service hooks do not say who changed them): pass --app-identity <id of the PAT's user>",
      { variable: 'app-identity' },
    );
  }
  steps.push({ kind: 'app-identity', name: appIdentity, created: false });
  log(`the app answers approvals as identity ${appIdentity}: it is made an approver of every gate`);
  const approverIds = [...new Set([...input.approverIds, appIdentity])];
  const environments = RELEASE_ENVIRONMENT_ROLES.map((role) => input.environments[role]);
  for (const name of environments) {
    const environment = await azdo.ensureEnvironment(name, 'Release Agent gate (created by npm run setup)');
    steps.push({ kind: 'environment', name, created: environment.created });
    log(`environment ${name}: ${environment.created ? 'created' : 'exists'}`);
    const marker = approvalInstructions(name, '').trim();
    try {
      const check = await azdo.ensureApprovalCheck(
        { id: environment.id, name: environment.name },
        {
          approverIds,
          instructions: approvalInstructions(name),
          marker,
          minRequiredApprovers: 1,
          timeoutMinutes: (input.timeoutDays ?? 30) * 24 * 60,
        },
      );
      steps.push({ kind: 'approval-check', name, created: check.created });
      const changes = [
        ...(check.markerAdded ? [`marker "${marker}" added to its instructions`] : []),
        ...(!check.created && check.approversAdded.length > 0
          ? [`approvers added: ${check.approversAdded.join(', ')}`]
          : []),
      ];
      log(
        `approval check on ${name}: ${check.created ? 'created' : `exists${changes.length > 0 ? `, ${changes.join('; ')}` : ''}`}`,
      );
    } catch (error) {
      if (!isReleaseAgentError(error, 'FORBIDDEN')) throw error;
      // Without the marker the gate's card still comes (the run is a known release pipeline), but its
      // step refuses to run: the marker is how an approval proves which gate it answered.
      const problem = `the Approval check on ${name} lacks the marker and setup may not change it (${errorMessage(error)}): add "${marker}" to its instructions (Environments → ${name} → Approvals and checks), or run setup as an Administrator of the environment`;
      steps.push({ kind: 'approval-check', name, created: false, problem });
      log(`approval check on ${name}: NOT DONE: ${problem}`);
    }
  }
  // The pipeline permissions API (pipelinePermissions) is not in the REST 7.1 specs this product's
  // simulator and contract test are held to, so it is not called: the first run of each release
  // pipeline shows "This pipeline needs permission to access a resource", which an administrator
  // permits once. That prompt is not an approval and has no card.
  const pipelines = Object.entries(input.releasePipelines);
  for (const name of environments) {
    const which =
      pipelines.length > 0
        ? pipelines.map(([repo, id]) => `${id} (${repo})`).join(', ')
        : 'each release pipeline (RELEASE_PIPELINE_BY_REPO is empty)';
    const problem = `permit ${which} on environment ${name}: Environments → ${name} → ⋮ → Security → Pipeline permissions → +, or Permit on the first run's "needs permission" prompt (not an approval: no card is posted for it)`;
    steps.push({ kind: 'pipeline-permission', name, created: false, problem });
    log(`pipeline permission on ${name}: to do by hand: ${problem}`);
  }
  if (input.requireReviewStatusOn) {
    const policy = await azdo.ensureStatusPolicy({
      refName: input.requireReviewStatusOn,
      ...REVIEW_STATUS_CONTEXT,
    });
    steps.push({ kind: 'status-policy', name: input.requireReviewStatusOn, created: policy.created });
    log(
      `branch policy on ${input.requireReviewStatusOn}: the ${REVIEW_STATUS_CONTEXT.genre}/${REVIEW_STATUS_CONTEXT.name} status must have succeeded for the PR's latest push: ${policy.created ? 'created' : 'already there'}`,
    );
  }
  return steps;
}
