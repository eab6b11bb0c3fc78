// Azure DevOps Pipelines runs and builds through azure-devops-node-api (PipelinesApi, BuildApi), with
// the library's PipelinesInterfaces and BuildInterfaces as the wire types.
import { BuildApi } from 'azure-devops-node-api/BuildApi.js';
import { BuildReason, BuildStatus } from 'azure-devops-node-api/interfaces/BuildInterfaces.js';
import {
  type Run,
  RunResult,
  type RunPipelineParameters,
  RunState,
} from 'azure-devops-node-api/interfaces/PipelinesInterfaces.js';
import { PipelinesApi } from 'azure-devops-node-api/PipelinesApi.js';
import * as z from 'zod/mini';
import type { Build, PipelineRun, RunPipelineInput } from './azdo.ts';
import {
  type AzureDevOpsConnection,
  expectObject,
  identity,
  isoDate,
  nameOf,
  wireAnswer,
} from './connection.ts';

export class AzureDevOpsPipelines {
  readonly #connection: AzureDevOpsConnection;
  readonly #pipelines: PipelinesApi;
  readonly #builds: BuildApi;

  constructor(connection: AzureDevOpsConnection) {
    this.#connection = connection;
    this.#pipelines = connection.client(PipelinesApi);
    this.#builds = connection.client(BuildApi);
  }

  async runPipeline(pipelineId: number, input: RunPipelineInput = {}): Promise<PipelineRun> {
    const self = {
      ...(input.refName ? { refName: input.refName } : {}),
      ...(input.version ? { version: input.version } : {}),
    };
    const parameters: RunPipelineParameters = {
      // Template parameter values are strings on the wire; the pipeline's parameter types parse them.
      ...(input.templateParameters
        ? {
            templateParameters: Object.fromEntries(
              Object.entries(input.templateParameters).map(([name, value]) => [name, String(value)]),
            ),
          }
        : {}),
      ...(Object.keys(self).length > 0 ? { resources: { repositories: { self } } } : {}),
    };
    const run = await this.#connection.library(
      'runPipeline',
      () => this.#pipelines.runPipeline(parameters, this.#connection.project, pipelineId),
      { fields: { pipelineId } },
    );
    return pipelineRun(expectObject(run, 'runPipeline'), pipelineId);
  }

  async getPipelineRun(pipelineId: number, runId: number): Promise<PipelineRun> {
    const run = await this.#connection.library(
      'getPipelineRun',
      () => this.#pipelines.getRun(this.#connection.project, pipelineId, runId),
      { fields: { pipelineId, runId } },
    );
    return pipelineRun(expectObject(run, 'getPipelineRun'), pipelineId);
  }

  async getBuild(buildId: number): Promise<Build> {
    const wire = await this.#connection.library(
      'getBuild',
      () => this.#builds.getBuild(this.#connection.project, buildId),
      { fields: { buildId } },
    );
    return build(wireAnswer(wireBuild, wire, 'getBuild', { buildId }));
  }
}

/** The library deserialises enums to numbers; the service sends names where it has no enum map. */
const wireEnum = z.optional(z.union([z.number(), z.string()]));

/**
 * The fields of a build we read: the job API derives a job's role from its definition, branch and
 * status, so those must be there and be what they say. Others pass through unread.
 */
const wireBuild = z.looseObject({
  id: z.number(),
  status: wireEnum,
  reason: wireEnum,
  definition: z.object({ id: z.number(), name: z.optional(z.string()) }),
  repository: z.optional(z.object({ id: z.optional(z.string()), name: z.optional(z.string()) })),
  sourceBranch: z.string(),
  sourceVersion: z.optional(z.string()),
  triggerInfo: z.optional(z.nullable(z.record(z.string(), z.string()))),
  requestedFor: z.optional(
    z.object({
      id: z.optional(z.string()),
      displayName: z.optional(z.string()),
      uniqueName: z.optional(z.string()),
    }),
  ),
  _links: z.optional(z.unknown()),
});

const BUILD_STATUSES = new Set<Build['status']>([
  'inProgress',
  'completed',
  'cancelling',
  'postponed',
  'notStarted',
  'none',
]);

function build(wire: z.output<typeof wireBuild>): Build {
  const prNumber = Number(wire.triggerInfo?.['pr.number']);
  const status = nameOf(BuildStatus, wire.status) as Build['status'] | undefined;
  return {
    id: wire.id,
    status: status && BUILD_STATUSES.has(status) ? status : 'none',
    reason: nameOf(BuildReason, wire.reason) ?? 'none',
    definition: { id: wire.definition.id, name: wire.definition.name ?? '' },
    repository: { id: wire.repository?.id ?? '', name: wire.repository?.name ?? '' },
    sourceBranch: wire.sourceBranch,
    sourceVersion: wire.sourceVersion ?? '',
    pullRequest:
      Number.isSafeInteger(prNumber) && prNumber > 0
        ? { id: prNumber, sourceCommit: wire.triggerInfo?.['pr.sourceSha'] }
        : undefined,
    requestedFor: wire.requestedFor ? identity(wire.requestedFor) : undefined,
    webUrl: (wire._links as { web?: { href?: string } } | undefined)?.web?.href,
  };
}

function pipelineRun(wire: Run, pipelineId: number): PipelineRun {
  const state = nameOf(RunState, wire.state);
  const result = nameOf(RunResult, wire.result);
  return {
    id: wire.id ?? 0,
    name: wire.name ?? String(wire.id),
    pipelineId: wire.pipeline?.id ?? pipelineId,
    state: state === 'inProgress' || state === 'canceling' || state === 'completed' ? state : 'unknown',
    result:
      result === 'succeeded' || result === 'failed' || result === 'canceled' || result === 'unknown'
        ? result
        : undefined,
    createdDate: isoDate(wire.createdDate) ?? '',
    finishedDate: isoDate(wire.finishedDate),
    webUrl: (wire._links as { web?: { href?: string } } | undefined)?.web?.href,
  };
}
