// Azure DevOps simulator routes of pipeline approvals, environments and their checks: who may answer an
// approval is the state's rule (actionableStep); these handlers read the request and render the answer.
import type { SimRequest, SimResponse } from '../server.ts';
import { refusals } from './errors.ts';
import type { AzureDevOpsSimulator, SimIdentity } from './simulator.ts';
import { intParam, jsonBody, list, ok, optionalInt, P, type RouteEntry } from './route-kit.ts';

export const APPROVAL_ROUTES: readonly RouteEntry[] = [
  {
    method: 'GET',
    template: `${P}/pipelines/approvals`,
    operation: 'Approvals_Query',
    apiVersion: '7.1',
    handle: queryApprovals,
  },
  {
    method: 'PATCH',
    template: `${P}/pipelines/approvals`,
    operation: 'Approvals_Update',
    apiVersion: '7.1',
    handle: updateApprovals,
  },
  {
    method: 'GET',
    template: `${P}/pipelines/approvals/{approvalId}`,
    operation: 'Approvals_Get',
    apiVersion: '7.1',
    handle: getApproval,
  },
  {
    method: 'POST',
    template: `${P}/distributedtask/environments`,
    operation: 'Environments_Add',
    apiVersion: '7.1',
    handle: addEnvironment,
  },
  {
    method: 'GET',
    template: `${P}/distributedtask/environments`,
    operation: 'Environments_List',
    apiVersion: '7.1',
    handle: listEnvironments,
  },
  {
    method: 'POST',
    template: `${P}/pipelines/checks/configurations`,
    operation: 'Check Configurations_Add',
    apiVersion: '7.1-preview.1',
    handle: addCheckConfiguration,
  },
  {
    method: 'GET',
    template: `${P}/pipelines/checks/configurations`,
    operation: 'Check Configurations_List',
    apiVersion: '7.1-preview.1',
    handle: listCheckConfigurations,
  },
  {
    method: 'PATCH',
    template: `${P}/pipelines/checks/configurations/{id}`,
    operation: 'Check Configurations_Update',
    apiVersion: '7.1-preview.1',
    handle: updateCheckConfiguration,
  },
];

// ---- approvals ----

/** `$expand` of the approvals: a flags enum (`steps`, `permissions`), sent comma-separated. */
function approvalExpand(request: SimRequest): { steps: boolean; permissions: boolean } {
  const flags = (request.query.get('$expand') ?? '').split(',').map((flag) => flag.trim().toLowerCase());
  return { steps: flags.includes('steps'), permissions: flags.includes('permissions') };
}

function queryApprovals(sim: AzureDevOpsSimulator, request: SimRequest, caller: SimIdentity): SimResponse {
  const state = request.query.get('state');
  const ids = request.query.get('approvalIds')?.toLowerCase().split(',').filter(Boolean);
  const expand = approvalExpand(request);
  const top = optionalInt(request, 'top');
  const found = [...sim.approvals.values()]
    .filter((approval) => !ids || ids.includes(approval.id.toLowerCase()))
    .filter(
      (approval) =>
        !state ||
        state === 'all' ||
        (state === 'completed' ? approval.status !== 'pending' : approval.status === state),
    )
    .slice(0, top ?? Number.MAX_SAFE_INTEGER);
  return list(
    found.map((approval) =>
      sim.wire.approvalJson(approval, {
        steps: expand.steps,
        ...(expand.permissions ? { permissionsFor: caller } : {}),
      }),
    ),
  );
}

function updateApprovals(sim: AzureDevOpsSimulator, request: SimRequest, caller: SimIdentity): SimResponse {
  const body = request.json<{ approvalId?: string; status?: string; comment?: string }[]>();
  if (!Array.isArray(body) || body.length === 0)
    throw refusals.badRequest('A list of approval updates is required.', 'pipelines');
  // All or nothing: every update is checked before any is applied, the caller's right to answer included.
  const updates = body.map((update) => {
    const status = update.status;
    if (status !== 'approved' && status !== 'rejected') {
      throw refusals.badRequest(`The approval status ${String(status)} cannot be set.`, 'pipelines');
    }
    const approval = sim.approval(update.approvalId ?? '');
    if (approval.status !== 'pending') throw refusals.approvalNotPending(approval.id, approval.status);
    if (!sim.actionableStep(approval, caller))
      throw refusals.approvalNotPermitted(approval.id, caller.displayName);
    return { approval, status: status as 'approved' | 'rejected', comment: update.comment ?? '' };
  });
  const decided = updates.map(({ approval, status, comment }) =>
    sim.decideApproval(approval.id, status, caller, comment),
  );
  return list(decided.map((approval) => sim.wire.approvalJson(approval, { steps: true })));
}

function getApproval(sim: AzureDevOpsSimulator, request: SimRequest, caller: SimIdentity): SimResponse {
  const expand = approvalExpand(request);
  return ok(
    sim.wire.approvalJson(sim.approval(request.params.approvalId ?? ''), {
      steps: expand.steps,
      ...(expand.permissions ? { permissionsFor: caller } : {}),
    }),
  );
}

// ---- environments and checks ----

function addEnvironment(sim: AzureDevOpsSimulator, request: SimRequest, caller: SimIdentity): SimResponse {
  const body = jsonBody<{ name?: string; description?: string }>(request);
  if (!body.name) throw refusals.badRequest('The environment name is required.', 'distributedtask');
  return ok(sim.wire.environmentJson(sim.addEnvironment(body.name, body.description ?? '', caller)));
}

function listEnvironments(sim: AzureDevOpsSimulator, request: SimRequest): SimResponse {
  const name = request.query.get('name')?.toLowerCase();
  const top = optionalInt(request, '$top');
  const found = [...sim.environments.values()]
    .filter((env) => !name || env.name.toLowerCase() === name)
    .slice(0, top ?? Number.MAX_SAFE_INTEGER);
  return list(found.map((env) => sim.wire.environmentJson(env)));
}

function addCheckConfiguration(
  sim: AzureDevOpsSimulator,
  request: SimRequest,
  caller: SimIdentity,
): SimResponse {
  const body = jsonBody<{
    type?: { id?: string; name?: string };
    settings?: unknown;
    resource?: { type?: string; id?: string; name?: string };
    timeout?: number;
  }>(request);
  if (!body.type?.id) throw refusals.badRequest('The check type id is required.', 'pipelines');
  if (!body.resource?.type || !body.resource.id)
    throw refusals.badRequest('The check resource is required.', 'pipelines');
  if (body.resource.type === 'environment' && !sim.environments.has(Number(body.resource.id))) {
    throw refusals.environmentNotFound(body.resource.id);
  }
  const check = sim.addCheck({
    type: { id: body.type.id, ...(body.type.name ? { name: body.type.name } : {}) },
    settings: body.settings ?? {},
    resource: {
      type: body.resource.type,
      id: body.resource.id,
      ...(body.resource.name ? { name: body.resource.name } : {}),
    },
    timeout: body.timeout ?? 43_200,
    createdBy: caller,
  });
  return ok(sim.wire.checkJson(check));
}

function listCheckConfigurations(sim: AzureDevOpsSimulator, request: SimRequest): SimResponse {
  const type = request.query.get('resourceType');
  const id = request.query.get('resourceId');
  const settings = (request.query.get('$expand') ?? '').includes('settings');
  const found = [...sim.checks.values()].filter(
    (check) => (!type || check.resource.type === type) && (!id || check.resource.id === id),
  );
  return list(
    found.map((check) => {
      const json = sim.wire.checkJson(check);
      if (!settings) delete json.settings;
      return json;
    }),
  );
}

/** Replaces a check's settings and timeout (type and resource cannot move); 403 on a locked check. */
function updateCheckConfiguration(
  sim: AzureDevOpsSimulator,
  request: SimRequest,
  caller: SimIdentity,
): SimResponse {
  const id = intParam(request.params.id, 'id');
  const check = sim.editableCheck(id, caller);
  const body = jsonBody<{ settings?: unknown; timeout?: number; type?: { id?: string } }>(request);
  if (body.type?.id && body.type.id !== check.type.id)
    throw refusals.badRequest('The check type cannot be changed.', 'pipelines');
  if (body.settings !== undefined) check.settings = body.settings;
  if (typeof body.timeout === 'number') check.timeout = body.timeout;
  check.modifiedBy = caller;
  return ok(sim.wire.checkJson(check));
}
