// A release step that is a gate's effect runs only after that gate's approval in its own run, on the
// environment RELEASE_ENVIRONMENTS names for the gate (not on a default name the template may no longer use).
import assert from 'node:assert/strict';
import { RestAzureDevOps } from '../../adapters/azdo/rest-azdo.ts';
import { isReleaseAgentError } from '../../core/errors.ts';
import type { JobRole } from '../../core/job-roles.ts';
import { DEFAULT_RELEASE_ENVIRONMENTS, parseReleaseEnvironments } from '../../core/release-environments.ts';
import { Secret } from '../../core/secret.ts';
import type { AgentDeps } from '../../flows/agent-deps.ts';
import { approvalInstructions } from '../../flows/approval-gates.ts';
import { requireApprovalOfStep } from '../../flows/job-steps.ts';
import { type Stack, startStack } from '../../sandbox/stack.ts';

describe('release steps follow the configured gate environments', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ storageConnectionString: process.env.AZURE_STORAGE_CONNECTION_STRING_TEST! });
  });
  after(() => stack?.stop());

  const team = parseReleaseEnvironments('create=pay-create;merge=pay-merge;production=pay-prod');
  const depsWith = (releaseEnvironments = team) =>
    ({
      azdo: new RestAzureDevOps({
        organizationUrl: stack.azdo.organizationUrl,
        project: stack.azdo.project.name,
        auth: { kind: 'pat', token: new Secret(stack.secrets.azdoPat) },
      }),
      settings: { releaseEnvironments },
    }) as unknown as AgentDeps;

  /** A release run with the given environments' approvals approved, each marked as setup marks it. */
  const runApproved = (environments: string[]): JobRole => {
    const pipeline = stack.azdo.addPipeline({ name: `release ${Math.random()}` });
    const { run } = stack.azdo.startAgentBuild({
      pipelineId: pipeline.id,
      pipelineName: pipeline.name,
      reason: 'manual',
      repository: 'payments',
      sourceBranch: 'refs/heads/develop',
      sourceVersion: '0'.repeat(40),
    });
    for (const environment of environments) {
      const approval = stack.azdo.createPendingApproval({
        environment,
        pipelineId: pipeline.id,
        runId: run.id,
        instructions: approvalInstructions(environment),
      });
      stack.azdo.decideApprovalAsUser(approval.id, 'approved');
    }
    return {
      kind: 'release',
      buildId: run.id,
      repo: 'payments',
      pipelineId: pipeline.id,
      branch: 'refs/heads/develop',
    };
  };

  const refused = async (promise: Promise<void>, environment: string) =>
    await assert.rejects(
      promise,
      (error) =>
        isReleaseAgentError(error, 'FORBIDDEN') && error.message.includes(`environment ${environment}`),
    );

  it('release.create, .complete and .finish need the approval of the configured create, merge and production environments', async () => {
    const role = runApproved(['pay-create', 'pay-merge', 'pay-prod']);
    await requireApprovalOfStep(depsWith(), role, 'release.create');
    await requireApprovalOfStep(depsWith(), role, 'release.complete');
    await requireApprovalOfStep(depsWith(), role, 'release.finish');
  });

  it('an approval on the default names does not count once RELEASE_ENVIRONMENTS names others', async () => {
    const role = runApproved(Object.values(DEFAULT_RELEASE_ENVIRONMENTS));
    await refused(requireApprovalOfStep(depsWith(), role, 'release.create'), 'pay-create');
    await refused(requireApprovalOfStep(depsWith(), role, 'release.complete'), 'pay-merge');
    await refused(requireApprovalOfStep(depsWith(), role, 'release.finish'), 'pay-prod');
    // The same run, with the defaults configured: each step goes on.
    await requireApprovalOfStep(depsWith(DEFAULT_RELEASE_ENVIRONMENTS), role, 'release.finish');
  });
});
