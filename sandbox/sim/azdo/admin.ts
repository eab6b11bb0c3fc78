// Scenario controls over HTTP under /_sim/azdo/ (the same as the simulator's TypeScript methods), for the
// sandbox and for a simulator started from the command line. They act as a person in the UI would.
import { SimHttpError, type SimResponse } from '../server.ts';
import type { FileChange } from './git.ts';
import type { HookEventType } from './hooks.ts';
import type { AzureDevOpsSimulator, PolicyStatus, RunResult } from './simulator.ts';

type Body = Record<string, unknown>;

function parse(rawBody: Buffer): Body {
  try {
    const body = JSON.parse(rawBody.toString('utf8') || '{}') as unknown;
    if (body && typeof body === 'object' && !Array.isArray(body)) return body as Body;
  } catch {
    // answered below
  }
  throw new SimHttpError(400, 'the body must be a JSON object');
}

function text(body: Body, name: string): string {
  const value = body[name];
  if (typeof value !== 'string' || value.length === 0) throw new SimHttpError(400, `${name} is required`);
  return value;
}

function optionalText(body: Body, name: string): string | undefined {
  const value = body[name];
  return typeof value === 'string' ? value : undefined;
}

export function registerAzureDevOpsAdminRoutes(sim: AzureDevOpsSimulator): void {
  const route = (method: string, path: string, handle: (body: Body) => unknown | Promise<unknown>) =>
    sim.server.adminRoute(method, `/_sim/azdo/${path}`, async ({ rawBody }): Promise<SimResponse> => {
      const result = await handle(parse(rawBody));
      return result === undefined ? { status: 204 } : { status: 200, body: result };
    });

  route('POST', 'repositories', (body) => {
    const repo = sim.seedRepository({
      name: text(body, 'name'),
      ...(optionalText(body, 'defaultBranch') ? { defaultBranch: optionalText(body, 'defaultBranch') } : {}),
      ...(Array.isArray(body.branches) ? { branches: body.branches as string[] } : {}),
      ...(Array.isArray(body.files) ? { files: body.files as string[] } : {}),
    });
    return { ...sim.wire.repositoryJson(repo), headCommitId: repo.refs.get(repo.defaultBranch) };
  });
  route('POST', 'pushes', (body) => {
    const commit = sim.pushCommit(text(body, 'repository'), text(body, 'branch'), {
      ...(optionalText(body, 'message') ? { message: optionalText(body, 'message') } : {}),
      ...(Array.isArray(body.changes) ? { changes: body.changes as (string | FileChange)[] } : {}),
    });
    return { commitId: commit.commitId };
  });
  route('POST', 'pullrequests', (body) => {
    const pr = sim.createPullRequestAsUser({
      repository: text(body, 'repository'),
      sourceRefName: text(body, 'sourceRefName'),
      targetRefName: text(body, 'targetRefName'),
      title: text(body, 'title'),
      description: optionalText(body, 'description') ?? '',
    });
    return sim.wire.pullRequestJson(pr);
  });
  route('POST', 'policies', (body) => {
    const repository = text(body, 'repository');
    if (typeof body.blocking === 'boolean') sim.setBlockingPolicy(repository, body.blocking);
    if (typeof body.pullRequestId === 'number') {
      sim.setPolicyStatus(repository, body.pullRequestId, text(body, 'status') as PolicyStatus);
    }
    return undefined;
  });
  route('POST', 'approvals', (body) => {
    const approval = sim.createPendingApproval({
      ...(optionalText(body, 'environment') ? { environment: optionalText(body, 'environment') } : {}),
      ...(optionalText(body, 'stageName') ? { stageName: optionalText(body, 'stageName') } : {}),
      ...(optionalText(body, 'instructions') ? { instructions: optionalText(body, 'instructions') } : {}),
      ...(typeof body.pipelineId === 'number' ? { pipelineId: body.pipelineId } : {}),
      ...(typeof body.runId === 'number' ? { runId: body.runId } : {}),
    });
    return sim.wire.approvalJson(approval, { steps: true });
  });
  route('POST', 'approvals/decisions', (body) => {
    const status = text(body, 'status');
    if (status !== 'approved' && status !== 'rejected')
      throw new SimHttpError(400, 'status is approved or rejected');
    const approval = sim.decideApprovalAsUser(text(body, 'approvalId'), status, {
      comment: optionalText(body, 'comment') ?? '',
    });
    return sim.wire.approvalJson(approval, { steps: true });
  });
  route('POST', 'pipelines', (body) => {
    return sim.addPipeline({
      name: text(body, 'name'),
      ...(typeof body.id === 'number' ? { id: body.id } : {}),
      ...(Array.isArray(body.parameters) ? { parameters: body.parameters as string[] } : {}),
    });
  });
  route('POST', 'pipelines/scripts', (body) => {
    if (typeof body.pipelineId !== 'number') throw new SimHttpError(400, 'pipelineId is required');
    sim.scriptNextRun(body.pipelineId, {
      result: text(body, 'result') as RunResult,
      ...(typeof body.durationMs === 'number' ? { durationMs: body.durationMs } : {}),
    });
    return undefined;
  });
  route('POST', 'webhooks', (body) => {
    const subscriptions = sim.addWebhook({
      url: text(body, 'url'),
      ...(Array.isArray(body.eventTypes) ? { eventTypes: body.eventTypes as HookEventType[] } : {}),
      ...(body.headers && typeof body.headers === 'object'
        ? { headers: body.headers as Record<string, string> }
        : {}),
    });
    return subscriptions.map((subscription) => sim.wire.subscriptionJson(subscription));
  });
  route('GET', 'deliveries', () => sim.deliveries);
  route('POST', 'flush', async () => {
    await sim.flushDeliveries();
    return undefined;
  });
}
