// Azure DevOps simulator routes of the Pipelines and Build areas: running a pipeline, reading a run and
// reading a build (what a job's token may read of its own run).
import type { SimRequest, SimResponse } from '../server.ts';
import { refusals } from './errors.ts';
import type { AzureDevOpsSimulator } from './simulator.ts';
import { jsonBody, ok, P, type RouteEntry } from './route-kit.ts';

export const PIPELINE_ROUTES: readonly RouteEntry[] = [
  {
    method: 'POST',
    template: `${P}/pipelines/{pipelineId}/runs`,
    operation: 'Runs_Run Pipeline',
    apiVersion: '7.1',
    handle: runPipeline,
  },
  {
    method: 'GET',
    template: `${P}/build/builds/{buildId}`,
    operation: 'Builds_Get',
    apiVersion: '7.1',
    handle: getBuild,
  },
  {
    method: 'GET',
    template: `${P}/pipelines/{pipelineId}/runs/{runId}`,
    operation: 'Runs_Get',
    apiVersion: '7.1',
    handle: getRun,
  },
];

// ---- pipelines ----

function runPipeline(sim: AzureDevOpsSimulator, request: SimRequest): SimResponse {
  const id = request.params.pipelineId ?? '';
  const pipeline = sim.pipelines.get(Number(id));
  if (!pipeline) throw refusals.pipelineNotFound(id);
  const body = jsonBody<{
    templateParameters?: Record<string, unknown>;
    resources?: { repositories?: { self?: { refName?: string; version?: string } } };
  }>(request);
  const parameters = body.templateParameters ?? {};
  if (pipeline.parameters) {
    for (const name of Object.keys(parameters))
      if (!pipeline.parameters.includes(name)) throw refusals.unexpectedParameter(name);
  }
  const self = body.resources?.repositories?.self;
  const run = sim.startRun(pipeline, {
    templateParameters: parameters,
    ...(self?.refName ? { refName: self.refName } : {}),
    ...(self?.version ? { version: self.version } : {}),
  });
  return ok(sim.wire.runJson(run));
}

function getBuild(sim: AzureDevOpsSimulator, request: SimRequest): SimResponse {
  const id = request.params.buildId ?? '';
  const run = /^\d{1,9}$/.test(id) ? sim.runs.get(Number(id)) : undefined;
  if (!run) throw refusals.buildNotFound(id);
  return ok(sim.wire.buildJson(run));
}

function getRun(sim: AzureDevOpsSimulator, request: SimRequest): SimResponse {
  const run = sim.runs.get(Number(request.params.runId));
  if (!run || String(run.pipelineId) !== request.params.pipelineId)
    throw refusals.runNotFound(request.params.runId ?? '');
  return ok(sim.wire.runJson(run));
}
