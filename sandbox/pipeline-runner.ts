// Plays one run of a pipeline the way an Azure Pipelines agent would, against the Azure DevOps
// simulator: the pipeline's template (pipelines/*.yml) is compiled with its parameters
// (pipeline/template.ts), then its stages run in order. Each `task:` step is the real bundle
// (runTaskBundle: `node index.mjs` with the agent's environment), with its inputs' `$(macros)` expanded
// from the run's variables, job variables the tasks set and outputs of earlier steps and stages; a
// `deployment` job first waits for its environment's Approval check (a pending approval on the
// simulator, fired as approval-pending) and stops the pipeline when it is rejected. Team steps that
// are not ours (checkout, `script:`) are simulated as log lines. The run is the simulator's own run,
// so Build.BuildId is its id and the result lands on it (finishRun).
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { APPROVAL_CHECK_TYPE_ID } from '../adapters/azdo/azdo.ts';
import { fullTaskName } from '../scripts/task-manifest.ts';
import { type EndpointSpec, runTaskBundle, type TaskRunResult } from './agent/task-runner.ts';
import { SandboxError } from './errors.ts';
import {
  COMPARISON_FUNCTIONS,
  type ExpressionContext,
  evaluate,
  evaluateCondition,
  Lookup,
  parseExpression,
  statusFunctions,
  toText,
} from './pipeline/expressions.ts';
import {
  type CompiledPipeline,
  compileTemplate,
  type Job,
  type Stage,
  type Step,
  type TaskManifest,
} from './pipeline/template.ts';
import { reachable } from './sim/azdo/git.ts';
import type {
  AzureDevOpsSimulator,
  BuildReason,
  RunResult,
  RunState,
  SimIdentity,
} from './sim/azdo/simulator.ts';

export const REPO_ROOT = join(import.meta.dirname, '..');

/** A pipeline of the sandbox's project: which template it includes, with what, for which repository. */
export interface PipelineDefinition {
  id: number;
  name: string;
  repo: string;
  /** The template the pipeline's YAML includes: relative to the repository root (pipelines/pr.yml) or absolute. */
  template: string;
  parameters: Record<string, unknown>;
  /** The including pipeline's job name, for a steps template. */
  jobName?: string;
  /** Pipeline variables and variable groups (e.g. CLAUDE_CREDENTIAL, secret). */
  variables?: Record<string, { value: string; secret?: boolean }>;
  /** CI trigger: a push to one of these branches (full refs) queues a run. */
  trigger?: string[];
}

export interface AgentServices {
  azdo: AzureDevOpsSimulator;
  /** Folder of the built task bundles (<Name>/index.mjs and task.json). */
  tasksDir: string;
  /** Service connections by the name the pipelines use. */
  serviceConnections: Record<string, EndpointSpec>;
  /** System.AccessToken of runs the simulator did not start (each run gets its own job token otherwise). */
  accessToken: string;
  /** System.* variables of the project (collection URI, project name and id). */
  baseVariables: Record<string, string>;
  /** Extra process environment of every task (PATH holding the `claude` stand-in). */
  env: Record<string, string>;
  /** Agent work folder: one sub-folder per run. */
  workRoot: string;
  /** The text of a file of a repository, for checkouts; the sandbox's demo content. */
  fileText?: (repo: string, path: string) => string | undefined;
  /** The longest a deployment job waits for its approval (the check's own timeout may be shorter). */
  approvalTimeoutMs: number;
  taskTimeoutMs?: number;
}

export type StageResult =
  | 'succeeded'
  | 'succeededWithIssues'
  | 'failed'
  | 'rejected'
  | 'skipped'
  | 'canceled';
export type StepResult = 'Succeeded' | 'SucceededWithIssues' | 'Failed' | 'Skipped' | 'Canceled';

export interface StepRecord {
  stage: string;
  job: string;
  displayName: string;
  kind: Step['kind'];
  task?: string;
  /** The task's `action` input, when it has one (JiraTicket ensure, ReleasePullRequest plan…). */
  action?: string;
  result: StepResult;
  message?: string;
  outputs: Record<string, string>;
  durationMs: number;
  /** The step's log as the agent shows it (secrets masked); the last lines only. */
  log: string[];
  /** Markdown the step uploaded as the run's summary (##vso[task.uploadsummary]). */
  summaries?: string[];
}

export interface StageRecord {
  name: string;
  displayName: string;
  result: StageResult;
  reason?: string;
  environment?: string;
  approval?: { id: string; status: string; by?: string };
}

export type RunEvent =
  | { type: 'run-started'; runId: number; pipeline: PipelineDefinition; reason: string; sourceBranch: string }
  | { type: 'stage-skipped'; runId: number; stage: string; reason: string }
  | { type: 'approval-pending'; runId: number; stage: string; environment: string; approvalId: string }
  | {
      type: 'approval-decided';
      runId: number;
      stage: string;
      environment: string;
      approvalId: string;
      status: string;
      by?: string;
    }
  | { type: 'step-finished'; runId: number; pipeline: PipelineDefinition; step: StepRecord }
  | {
      type: 'run-finished';
      runId: number;
      pipeline: PipelineDefinition;
      result: RunResult;
      buildNumber: string;
    };

export interface PipelineRunOutcome {
  runId: number;
  pipeline: PipelineDefinition;
  result: RunResult;
  buildNumber: string;
  stages: StageRecord[];
  steps: StepRecord[];
}

export interface RunOptions {
  /** Build.Reason: Manual, IndividualCI, PullRequest. */
  reason: string;
  signal?: AbortSignal;
  onEvent?: (event: RunEvent) => void;
}

const manifestCache = new Map<string, TaskManifest & { inputTypes: Record<string, string> }>();

/** The task.json of `name` in the built bundles, checked against the major version a step asks for. */
export function loadTaskManifest(
  tasksDir: string,
  name: string,
  major: number,
): TaskManifest & { inputTypes: Record<string, string> } {
  const file = join(tasksDir, name, 'task.json');
  const key = `${file}@${major}`;
  const cached = manifestCache.get(key);
  if (cached) return cached;
  if (!existsSync(file))
    throw new SandboxError('TEMPLATE_INVALID', `no task ${name} in ${tasksDir} (is it built?)`, {
      task: name,
    });
  const json = JSON.parse(readFileSync(file, 'utf8')) as {
    name: string;
    version: { Major: number };
    inputs?: { name: string; type: string; aliases?: string[]; defaultValue?: string }[];
    outputVariables?: { name: string }[];
  };
  if (json.version.Major !== major)
    throw new SandboxError(
      'TEMPLATE_INVALID',
      `${name}@${major}: the built task is version ${json.version.Major}`,
      { task: name },
    );
  const manifest = {
    name: json.name,
    major,
    inputs: (json.inputs ?? []).map((input) => ({
      name: input.name,
      ...(input.aliases ? { aliases: input.aliases } : {}),
      ...(input.defaultValue !== undefined ? { defaultValue: input.defaultValue } : {}),
    })),
    outputVariables: json.outputVariables ?? [],
    inputTypes: Object.fromEntries((json.inputs ?? []).map((input) => [input.name, input.type])),
  };
  manifestCache.set(key, manifest);
  return manifest;
}

/** Our extension as vss-extension.json declares it: its tasks are the built bundles. */
function ourExtension(): { publisher: string; id: string } {
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'vss-extension.json'), 'utf8')) as {
    publisher: string;
    id: string;
  };
  return { publisher: manifest.publisher, id: manifest.id };
}

/**
 * The task folder a step's reference names, as Azure DevOps resolves it: a full name
 * (`publisher.extension.contribution.Name`) must be an installed task; a short name must be the name of
 * exactly one task of the installed extensions, else the pipeline does not compile. Only our tasks
 * have bundles here: another extension's task is refused by name.
 */
export function resolveTaskReference(
  services: Pick<AgentServices, 'tasksDir'> & { azdo?: Pick<AzureDevOpsSimulator, 'extensions'> },
  reference: string,
): string {
  const ours = ourExtension();
  const name = reference.split('.').at(-1) as string;
  const ourTask = existsSync(join(services.tasksDir, name, 'task.json'))
    ? [{ full: fullTaskName(ours, name), folder: name as string | undefined }]
    : [];
  const installed = [
    ...ourTask,
    ...(services.azdo?.extensions ?? []).flatMap((extension) =>
      extension.tasks
        .filter((task) => task.name.toLowerCase() === name.toLowerCase())
        .map((task) => ({
          full: `${extension.publisher}.${extension.id}.${task.contributionId}.${task.name}`,
          folder: undefined,
        })),
    ),
  ];
  const matches = reference.includes('.')
    ? installed.filter((task) => task.full.toLowerCase() === reference.toLowerCase())
    : installed;
  if (matches.length > 1)
    throw new SandboxError(
      'TEMPLATE_INVALID',
      `The task name ${reference} is ambiguous. Specify one of the following identifiers to resolve the ambiguity: ${matches.map((task) => task.full).join(', ')}`,
      { task: reference },
    );
  const [match] = matches;
  if (!match)
    throw new SandboxError(
      'TEMPLATE_INVALID',
      `A task is missing. The pipeline references a task called '${reference}'. This usually indicates the task isn't installed (in ${services.tasksDir}: is it built?)`,
      { task: reference },
    );
  if (!match.folder)
    throw new SandboxError(
      'TEMPLATE_INVALID',
      `${match.full} is another extension's task: the sandbox runs only ours`,
      {
        task: reference,
      },
    );
  return match.folder;
}

/** Compiles a pipeline definition's template with its parameters (throws on any drift). */
export function compilePipeline(
  services: Pick<AgentServices, 'tasksDir'> & { azdo?: Pick<AzureDevOpsSimulator, 'extensions'> },
  definition: PipelineDefinition,
): CompiledPipeline {
  return compileTemplate(resolve(REPO_ROOT, definition.template), definition.parameters, {
    ...(definition.jobName ? { jobName: definition.jobName } : {}),
    taskManifest: (reference, major) =>
      loadTaskManifest(services.tasksDir, resolveTaskReference(services, reference), major),
  });
}

/** Paths and texts of a repository at `commit` in the simulator (its changes folded oldest first). */
export function filesAt(azdo: AzureDevOpsSimulator, repoName: string, commit: string): string[] {
  const repo = azdo.repository(repoName);
  const commits = [...reachable(repo, commit)]
    .map((id) => repo.commits.get(id))
    .filter((found) => found !== undefined)
    .sort((a, b) => a.seq - b.seq);
  const present = new Set<string>();
  for (const found of commits) {
    for (const change of found.changes) {
      if (change.changeType === 'delete') present.delete(change.path);
      else {
        if (change.changeType === 'rename' && change.originalPath) present.delete(change.originalPath);
        present.add(change.path);
      }
    }
  }
  return [...present].sort();
}

interface JobState {
  variables: Map<string, { name: string; value: string; secret: boolean }>;
  outputs: Record<string, string>;
  /** `step.variable` names the job's steps declare as outputs (task.json outputVariables). */
  declared: Set<string>;
  failed: boolean;
  issues: boolean;
}

interface StageState {
  record: StageRecord;
  jobs: Map<string, JobState>;
}

function variableUndefined(where: string, name: string): SandboxError {
  return new SandboxError('VARIABLE_UNDEFINED', `${where}: $(${name}) is not defined in this run`, {
    variable: name,
  });
}

class RunExecution {
  readonly #steps: StepRecord[] = [];
  readonly #stages = new Map<string, StageState>();
  readonly #connectionIds = new Map<string, string>();
  readonly #workDir: string;
  #buildNumber: string;
  #jobToken: string | undefined;

  constructor(
    private readonly services: AgentServices,
    private readonly definition: PipelineDefinition,
    private readonly run: RunState,
    private readonly options: RunOptions,
  ) {
    this.#workDir = join(services.workRoot, `run-${run.id}`);
    this.#buildNumber = run.name;
  }

  private emit(event: RunEvent): void {
    this.options.onEvent?.(event);
  }

  private get azdo(): AzureDevOpsSimulator {
    return this.services.azdo;
  }

  private cancelled(): boolean {
    return this.options.signal?.aborted === true;
  }

  /** Build.SourceBranch, Build.SourceVersion and the commit whose tree a checkout shows. */
  private source(): { branch: string; version: string; tree: string; message: string } {
    const repo = this.azdo.repository(this.definition.repo);
    const branch = this.run.refName ?? repo.defaultBranch;
    const pull = /^refs\/pull\/(\d+)\/merge$/.exec(branch);
    if (pull) {
      const pr = this.azdo.pullRequest(repo, Number(pull[1]));
      // The PR's merge ref: its test merge commit; the tree is the source branch merged into the target.
      return {
        branch,
        version: this.run.version ?? pr.mergeCommit,
        tree: pr.sourceCommit,
        message: `Merge pull request ${pr.id}`,
      };
    }
    const version = this.run.version ?? repo.refs.get(branch);
    if (!version)
      throw new SandboxError('RUN_FAILED', `run ${this.run.id}: ${branch} does not exist in ${repo.name}`, {
        runId: this.run.id,
      });
    return { branch, version, tree: version, message: repo.commits.get(version)?.message ?? '' };
  }

  async execute(): Promise<PipelineRunOutcome> {
    try {
      const compiled = compilePipeline(this.services, this.definition);
      const source = this.source();
      mkdirSync(this.#workDir, { recursive: true });
      // The run page reads these live: stages and steps appear as they run.
      const stages = this.#stages;
      this.azdo.runRecords.set(this.run.id, {
        get stages() {
          return [...stages.values()].map((stage) => stage.record);
        },
        steps: this.#steps,
      });
      this.emit({
        type: 'run-started',
        runId: this.run.id,
        pipeline: this.definition,
        reason: this.options.reason,
        sourceBranch: source.branch,
      });
      // What Azure DevOps knows of the run (Build_Get), and the token its jobs get, dead when it ends.
      const pull = /^refs\/pull\/(\d+)\/merge$/.exec(source.branch);
      const pr = pull
        ? this.azdo.pullRequest(this.azdo.repository(this.definition.repo), Number(pull[1]))
        : undefined;
      this.azdo.describeBuild(this.run.id, {
        reason: buildReason(this.options.reason),
        repository: this.definition.repo,
        sourceBranch: source.branch,
        sourceVersion: source.version,
        ...(pr
          ? { pullRequest: { id: pr.id, sourceCommit: pr.sourceCommit, sourceBranch: pr.sourceRefName } }
          : {}),
      });
      this.#jobToken = this.azdo.issueJobToken(this.run.id);
      const predefined: Record<string, string> = {
        ...this.services.baseVariables,
        'System.DefinitionId': String(this.definition.id),
        'Build.DefinitionName': this.definition.name,
        'Build.BuildId': String(this.run.id),
        'Build.Repository.Name': this.definition.repo,
        'Build.Repository.Provider': 'TfsGit',
        'Build.SourceBranch': source.branch,
        'Build.SourceBranchName': source.branch.split('/').at(-1) ?? source.branch,
        'Build.SourceVersion': source.version,
        'Build.SourceVersionMessage': source.message.split('\n')[0] ?? '',
        'Build.Reason': this.options.reason,
        'Build.SourcesDirectory': join(this.#workDir, 's'),
        'System.DefaultWorkingDirectory': join(this.#workDir, 's'),
        'Pipeline.Workspace': this.#workDir,
      };
      for (const stage of compiled.stages) await this.stage(stage, predefined, source.tree);
    } catch (error) {
      // A drift between template and runner, or a broken environment: the run fails, the caller hears why.
      this.finish('failed');
      throw error;
    } finally {
      rmSync(this.#workDir, { recursive: true, force: true });
    }
    const results = [...this.#stages.values()].map((stage) => stage.record.result);
    const result: RunResult = this.cancelled()
      ? 'canceled'
      : results.some((stageResult) => stageResult === 'failed' || stageResult === 'rejected')
        ? 'failed'
        : 'succeeded';
    this.finish(result);
    return {
      runId: this.run.id,
      pipeline: this.definition,
      result,
      buildNumber: this.#buildNumber,
      stages: [...this.#stages.values()].map((stage) => stage.record),
      steps: this.#steps,
    };
  }

  private finish(result: RunResult): void {
    if (!Number.isFinite(this.run.durationMs)) this.azdo.finishRun(this.run.id, result, this.#buildNumber);
    this.emit({
      type: 'run-finished',
      runId: this.run.id,
      pipeline: this.definition,
      result,
      buildNumber: this.#buildNumber,
    });
  }

  private async stage(stage: Stage, predefined: Record<string, string>, tree: string): Promise<void> {
    const state: StageState = {
      record: { name: stage.name, displayName: stage.displayName, result: 'succeeded' },
      jobs: new Map(),
    };
    const skip = (result: StageResult, reason: string) => {
      state.record.result = result;
      state.record.reason = reason;
      this.#stages.set(stage.name, state);
      this.emit({ type: 'stage-skipped', runId: this.run.id, stage: stage.name, reason });
    };
    if (this.cancelled()) return skip('canceled', 'the run was cancelled');
    const dependencies = stage.dependsOn.map((name) => this.#stages.get(name) as StageState);
    const condition = stage.condition ?? 'succeeded()';
    const context: ExpressionContext = {
      roots: { dependencies: this.dependenciesLookup(stage) },
      functions: {
        ...COMPARISON_FUNCTIONS,
        ...statusFunctions({
          succeeded: () =>
            dependencies.every(
              (dependency) =>
                dependency.record.result === 'succeeded' ||
                dependency.record.result === 'succeededWithIssues',
            ),
          failed: () =>
            dependencies.some(
              (dependency) =>
                dependency.record.result === 'failed' || dependency.record.result === 'rejected',
            ),
        }),
      },
      where: `stage ${stage.name} condition`,
    };
    if (!evaluateCondition(condition, context)) return skip('skipped', `condition ${condition} is false`);
    this.#stages.set(stage.name, state);
    const stageVariables: Record<string, string> = {};
    for (const [name, value] of Object.entries(stage.variables)) {
      const runtime = /^\$\[\s*([\s\S]+?)\s*\]$/.exec(value.trim());
      stageVariables[name] = runtime
        ? toText(
            evaluate(parseExpression(runtime[1] as string), {
              roots: { stageDependencies: this.stageDependenciesLookup(stage) },
              functions: COMPARISON_FUNCTIONS,
              where: `stage ${stage.name} variable ${name}`,
            }),
          )
        : value;
    }
    for (const job of stage.jobs) {
      const jobState = await this.job(
        stage,
        job,
        {
          ...predefined,
          'System.StageName': stage.name,
          'System.StageDisplayName': stage.displayName,
          ...stageVariables,
        },
        tree,
        state,
      );
      state.jobs.set(job.name, jobState);
      if (
        state.record.result === 'rejected' ||
        state.record.result === 'failed' ||
        state.record.result === 'canceled'
      )
        return;
      if (jobState.failed) state.record.result = 'failed';
      else if (jobState.issues && state.record.result === 'succeeded')
        state.record.result = 'succeededWithIssues';
    }
    if (this.cancelled()) state.record.result = 'canceled';
  }

  /** `dependencies.<stage>.outputs['<job>.<step>.<variable>']` for a stage condition. */
  private dependenciesLookup(stage: Stage): Lookup {
    return new Lookup('dependencies', (stageName) => {
      if (!stage.dependsOn.some((name) => name.toLowerCase() === stageName.toLowerCase()))
        throw new SandboxError(
          'VARIABLE_UNDEFINED',
          `stage ${stage.name}: dependencies.${stageName} is not one of its dependencies`,
          { stage: stageName },
        );
      const dependency = [...this.#stages.values()].find(
        (candidate) => candidate.record.name.toLowerCase() === stageName.toLowerCase(),
      ) as StageState;
      return {
        result: dependency.record.result,
        outputs: new Lookup(`dependencies.${stageName}.outputs`, (key) => {
          const [jobName, ...rest] = key.split('.');
          return this.jobOutput(
            dependency,
            jobName ?? '',
            rest.join('.'),
            `dependencies.${stageName}.outputs['${key}']`,
          );
        }),
      };
    });
  }

  /** `stageDependencies.<stage>.<job>.outputs['<step>.<variable>']` for a stage variable. */
  private stageDependenciesLookup(stage: Stage): Lookup {
    return new Lookup('stageDependencies', (stageName) => {
      if (!stage.dependsOn.some((name) => name.toLowerCase() === stageName.toLowerCase()))
        throw new SandboxError(
          'VARIABLE_UNDEFINED',
          `stage ${stage.name}: stageDependencies.${stageName} is not one of its dependencies`,
          { stage: stageName },
        );
      const dependency = [...this.#stages.values()].find(
        (candidate) => candidate.record.name.toLowerCase() === stageName.toLowerCase(),
      ) as StageState;
      return new Lookup(`stageDependencies.${stageName}`, (jobName) => ({
        outputs: new Lookup(`stageDependencies.${stageName}.${jobName}.outputs`, (key) =>
          this.jobOutput(
            dependency,
            jobName,
            key,
            `stageDependencies.${stageName}.${jobName}.outputs['${key}']`,
          ),
        ),
      }));
    });
  }

  /** An output of an earlier job: must be declared by one of its named steps; null when it was not set (skipped, failed). */
  private jobOutput(stage: StageState, jobName: string, key: string, reference: string): string | null {
    const job = [...stage.jobs.entries()].find(([name]) => name.toLowerCase() === jobName.toLowerCase())?.[1];
    if (!job) {
      if (
        stage.record.result === 'skipped' ||
        stage.record.result === 'canceled' ||
        stage.record.result === 'rejected'
      )
        return null;
      throw new SandboxError(
        'VARIABLE_UNDEFINED',
        `${reference}: stage ${stage.record.name} has no job ${jobName}`,
        { reference },
      );
    }
    const declared = [...job.declared].find((name) => name.toLowerCase() === key.toLowerCase());
    if (!declared)
      throw new SandboxError(
        'VARIABLE_UNDEFINED',
        `${reference}: no step of job ${jobName} declares the output ${key}`,
        { reference },
      );
    return job.outputs[declared] ?? null;
  }

  private async job(
    stage: Stage,
    job: Job,
    variables: Record<string, string>,
    tree: string,
    stageState: StageState,
  ): Promise<JobState> {
    const state: JobState = {
      variables: new Map(),
      outputs: {},
      declared: new Set(),
      failed: false,
      issues: false,
    };
    const set = (name: string, value: string, secret = false) =>
      state.variables.set(name.toLowerCase(), { name, value, secret });
    for (const [name, variable] of Object.entries(this.definition.variables ?? {}))
      set(name, variable.value, variable.secret ?? false);
    for (const [name, value] of Object.entries(variables)) set(name, value);
    set('System.JobName', job.name);
    set('System.JobDisplayName', job.displayName);
    set('Build.BuildNumber', this.#buildNumber);
    for (const step of job.steps) {
      if (step.kind === 'task' && step.name)
        for (const output of loadTaskManifest(this.services.tasksDir, step.task, step.major).outputVariables)
          state.declared.add(`${step.name}.${output.name}`);
    }
    if (job.environment) {
      set('Environment.Name', job.environment);
      const approved = await this.environmentChecks(stage, job.environment, stageState);
      if (!approved) return state;
    }
    const timeoutMs = Math.min(this.services.taskTimeoutMs ?? 120_000, (job.timeoutInMinutes ?? 60) * 60_000);
    for (const step of job.steps) {
      const started = Date.now();
      const record: StepRecord = {
        stage: stage.name,
        job: job.name,
        displayName: step.displayName,
        kind: step.kind,
        ...(step.kind === 'task' ? { task: step.task } : {}),
        result: 'Succeeded',
        outputs: {},
        durationMs: 0,
        log: [],
      };
      const condition =
        step.kind === 'task' || step.kind === 'script' ? (step.condition ?? 'succeeded()') : 'succeeded()';
      const run =
        !this.cancelled() &&
        evaluateCondition(condition, {
          roots: {
            variables: new Lookup(
              'variables',
              (name) => state.variables.get(name.toLowerCase())?.value ?? null,
            ),
          },
          functions: {
            ...COMPARISON_FUNCTIONS,
            ...statusFunctions({ succeeded: () => !state.failed, failed: () => state.failed }),
          },
          where: `${job.name}: ${step.displayName} condition`,
        });
      if (!run) {
        record.result = this.cancelled() ? 'Canceled' : 'Skipped';
        record.message = this.cancelled() ? 'the run was cancelled' : `condition ${condition} is false`;
      } else if (step.kind === 'checkout') {
        if (step.repository === 'self') {
          const dir = variables['Build.SourcesDirectory'] as string;
          const paths = filesAt(this.azdo, this.definition.repo, tree);
          for (const path of paths) {
            const file = join(dir, path);
            mkdirSync(dirname(file), { recursive: true });
            writeFileSync(
              file,
              this.services.fileText?.(this.definition.repo, path) ??
                `// ${path} of ${this.definition.repo}\n`,
            );
          }
          record.message = `checked out ${this.definition.repo} at ${tree.slice(0, 7)} (${paths.length} files)`;
        } else record.message = 'no checkout';
      } else if (step.kind === 'download') {
        record.message = 'no artifacts downloaded';
      } else if (step.kind === 'script') {
        // Not ours: the team's build or deploy step. Shown, not executed.
        record.message = `(simulated) ${this.expand(step.script, state, `${job.name}: ${step.displayName}`, false)}`;
      } else {
        const inputs: Record<string, string> = {};
        const manifest = loadTaskManifest(this.services.tasksDir, step.task, step.major);
        for (const input of manifest.inputs)
          if (input.defaultValue !== undefined) inputs[input.name] = input.defaultValue;
        for (const [name, value] of Object.entries(step.inputs))
          inputs[name] = this.expand(value, state, `${job.name}: ${step.displayName} input ${name}`, true);
        if (inputs.action) record.action = inputs.action;
        const endpoints: Record<string, EndpointSpec> = {};
        for (const [name, value] of Object.entries(inputs)) {
          if (!manifest.inputTypes[name]?.startsWith('connectedService:') || !value) continue;
          const endpoint = this.services.serviceConnections[value];
          if (!endpoint)
            throw new SandboxError(
              'TEMPLATE_INVALID',
              `${job.name}: ${step.displayName}: input ${name} names service connection "${value}", which does not exist`,
              { connection: value },
            );
          const id = this.connectionId(value);
          endpoints[id] = endpoint;
          inputs[name] = id;
        }
        const taskVariables: Record<string, string> = {};
        for (const variable of state.variables.values())
          if (!variable.secret) taskVariables[variable.name] = variable.value;
        let result: TaskRunResult;
        try {
          result = await runTaskBundle({
            taskDir: join(this.services.tasksDir, step.task),
            inputs,
            variables: taskVariables,
            endpoints,
            accessToken: this.#jobToken ?? this.services.accessToken,
            env: this.services.env,
            cwd: existsSync(variables['Build.SourcesDirectory'] as string)
              ? (variables['Build.SourcesDirectory'] as string)
              : this.#workDir,
            timeoutMs,
            ...(this.options.signal ? { signal: this.options.signal } : {}),
          });
        } catch (error) {
          throw new SandboxError(
            'RUN_FAILED',
            `${step.displayName}: the task could not run: ${(error as Error).message}`,
            { task: step.task },
            { cause: error },
          );
        }
        record.log = result.logLines.slice(-40);
        if (result.summaries.some(Boolean)) record.summaries = result.summaries.filter(Boolean);
        record.result = this.cancelled()
          ? 'Canceled'
          : ((result.result as StepResult | undefined) ?? (result.exitCode === 0 ? 'Succeeded' : 'Failed'));
        if (result.resultMessage) record.message = result.resultMessage;
        else if (record.result === 'Failed')
          record.message = `exit code ${result.exitCode}: ${result.stderr.split('\n').filter(Boolean).at(-1) ?? ''}`;
        for (const command of result.commands) {
          if (command.command === 'task.setvariable' && command.properties.variable) {
            const name = command.properties.variable;
            const isOutput =
              (command.properties.isOutput ?? command.properties.isoutput ?? '').toLowerCase() === 'true';
            const secret =
              (command.properties.issecret ?? command.properties.isSecret ?? '').toLowerCase() === 'true';
            if (isOutput && step.name) {
              state.outputs[`${step.name}.${name}`] = command.message;
              set(`${step.name}.${name}`, command.message, secret);
            } else if (!isOutput) set(name, command.message, secret);
            if (!secret) record.outputs[name] = command.message;
          }
          if (command.command === 'build.updatebuildnumber' && command.message) {
            this.#buildNumber = command.message;
            set('Build.BuildNumber', command.message);
          }
        }
      }
      if (record.result === 'Failed') state.failed = true;
      if (record.result === 'SucceededWithIssues') state.issues = true;
      record.durationMs = Date.now() - started;
      this.#steps.push(record);
      this.emit({ type: 'step-finished', runId: this.run.id, pipeline: this.definition, step: record });
    }
    if (this.cancelled()) stageState.record.result = 'canceled';
    return state;
  }

  private connectionId(name: string): string {
    let id = this.#connectionIds.get(name);
    if (!id) {
      id = randomUUID();
      this.#connectionIds.set(name, id);
    }
    return id;
  }

  /** `$(name)` macros from the job's variables; in task inputs an unknown one fails loudly. */
  private expand(text: string, state: JobState, where: string, strict: boolean): string {
    return text.replace(/\$\(([A-Za-z0-9_.-]+)\)/g, (macro, name: string) => {
      const variable = state.variables.get(name.toLowerCase());
      if (variable) return variable.value;
      if (strict) throw variableUndefined(where, name);
      return macro;
    });
  }

  /** The environment's Approval checks: a pending approval on the simulator, waited for. False when the stage must stop. */
  private async environmentChecks(
    stage: Stage,
    environmentName: string,
    stageState: StageState,
  ): Promise<boolean> {
    const azdo = this.azdo;
    stageState.record.environment = environmentName;
    // Azure DevOps creates an environment on first use; one without checks does not wait.
    const environment =
      [...azdo.environments.values()].find(
        (candidate) => candidate.name.toLowerCase() === environmentName.toLowerCase(),
      ) ?? azdo.addEnvironment(environmentName, '', azdo.users.buildService);
    const checks = [...azdo.checks.values()].filter(
      (check) =>
        check.resource.type === 'environment' &&
        check.resource.id === String(environment.id) &&
        check.type.id === APPROVAL_CHECK_TYPE_ID,
    );
    for (const check of checks) {
      const settings = (check.settings ?? {}) as {
        approvers?: { id?: string }[];
        instructions?: string;
        minRequiredApprovers?: number;
      };
      const known = Object.values(azdo.users) as SimIdentity[];
      const approvers = (settings.approvers ?? [])
        .map((approver) => known.find((user) => user.id === approver.id))
        .filter((user): user is SimIdentity => user !== undefined);
      const approval = azdo.createPendingApproval({
        environment: environment.name,
        stageName: stage.name,
        pipelineId: this.definition.id,
        runId: this.run.id,
        ...(settings.instructions ? { instructions: settings.instructions } : {}),
        ...(approvers.length > 0 ? { approvers } : {}),
        ...(settings.minRequiredApprovers ? { minRequiredApprovers: settings.minRequiredApprovers } : {}),
      });
      this.emit({
        type: 'approval-pending',
        runId: this.run.id,
        stage: stage.name,
        environment: environment.name,
        approvalId: approval.id,
      });
      const timeoutMs = Math.min(this.services.approvalTimeoutMs, check.timeout * 60_000);
      const deadline = Date.now() + timeoutMs;
      while (approval.status === 'pending' && !this.cancelled() && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 25));
      const by = approval.actualApprover?.displayName;
      stageState.record.approval = { id: approval.id, status: approval.status, ...(by ? { by } : {}) };
      if (this.cancelled()) {
        stageState.record.result = 'canceled';
        return false;
      }
      if (approval.status === 'pending') {
        stageState.record.result = 'failed';
        stageState.record.reason = `the approval on ${environment.name} was not given within ${Math.round(timeoutMs / 1000)} s`;
        this.emit({
          type: 'stage-skipped',
          runId: this.run.id,
          stage: stage.name,
          reason: stageState.record.reason,
        });
        return false;
      }
      this.emit({
        type: 'approval-decided',
        runId: this.run.id,
        stage: stage.name,
        environment: environment.name,
        approvalId: approval.id,
        status: approval.status,
        ...(by ? { by } : {}),
      });
      if (approval.status === 'rejected') {
        // Like Azure DevOps: the stage is rejected, later stages are skipped by their conditions.
        stageState.record.result = 'rejected';
        stageState.record.reason = `rejected by ${by ?? 'someone'} on ${environment.name}`;
        return false;
      }
    }
    return true;
  }
}

/** Build.Reason (PullRequest, IndividualCI…) as the Build API spells it. */
function buildReason(reason: string): BuildReason {
  const known: Record<string, BuildReason> = {
    pullrequest: 'pullRequest',
    individualci: 'individualCI',
    batchedci: 'batchedCI',
    schedule: 'schedule',
    resourcetrigger: 'resourceTrigger',
  };
  return known[reason.toLowerCase()] ?? 'manual';
}

/** Runs `definition` for the simulator's `run` to its end and records the result on the run. */
export async function executePipelineRun(
  services: AgentServices,
  definition: PipelineDefinition,
  run: RunState,
  options: RunOptions,
): Promise<PipelineRunOutcome> {
  return await new RunExecution(services, definition, run, options).execute();
}
