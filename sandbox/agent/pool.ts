// The sandbox's agent pool: picks up every run queued on the Azure DevOps simulator for a pipeline it
// has a definition for (the function app queues PR pipelines and release pipelines through REST), and
// plays it with the pipeline runner; and acts as the CI trigger: a push to a branch a definition
// triggers on (a merge into develop) queues a run of that pipeline for the new commit. Runs execute
// concurrently, like jobs on several agents (an approval wait holds no agent).
import { SandboxError } from '../errors.ts';
import {
  type AgentServices,
  executePipelineRun,
  type PipelineDefinition,
  type PipelineRunOutcome,
  type RunEvent,
} from '../pipeline-runner.ts';

export interface AgentRunRecord {
  runId: number;
  definition: PipelineDefinition;
  reason: string;
  refName: string | undefined;
  version: string | undefined;
  outcome?: PipelineRunOutcome;
  error?: Error;
  /** Settles when the run has ended (never rejects). */
  done: Promise<void>;
}

export type PoolEvent =
  | RunEvent
  | { type: 'ci-queued'; runId: number; pipeline: PipelineDefinition; branch: string; commit: string }
  | { type: 'run-error'; runId: number; pipeline: PipelineDefinition; error: Error };

export interface AgentPoolOptions {
  services: AgentServices;
  definitions: readonly PipelineDefinition[];
  pollMs?: number;
  onEvent?: (event: PoolEvent) => void;
}

export interface AgentPool {
  readonly runs: readonly AgentRunRecord[];
  /** The first run (picked up or already finished) matching `predicate`. */
  waitForRun(
    predicate: (record: AgentRunRecord) => boolean,
    what: string,
    timeoutMs: number,
  ): Promise<AgentRunRecord>;
  /** Resolves when the run has ended; its outcome, or the error that stopped it. */
  finished(record: AgentRunRecord, timeoutMs: number): Promise<PipelineRunOutcome>;
  /** Cancels running runs (their tasks are killed) and stops watching. */
  stop(): Promise<void>;
}

export function startAgentPool(options: AgentPoolOptions): AgentPool {
  const { services } = options;
  const azdo = services.azdo;
  const byPipeline = new Map(options.definitions.map((definition) => [definition.id, definition]));
  const runs: AgentRunRecord[] = [];
  const seen = new Set<number>();
  const reasons = new Map<number, string>();
  const abort = new AbortController();
  const emit = (event: PoolEvent) => {
    try {
      options.onEvent?.(event);
    } catch {
      // A printer that fails must not stop the agent.
    }
  };
  // Branch tips at start: the seed pushes are not CI builds.
  const tips = new Map<string, string | undefined>();
  const tipKey = (definition: PipelineDefinition, branch: string) => `${definition.id}|${branch}`;
  for (const definition of options.definitions)
    for (const branch of definition.trigger ?? [])
      tips.set(tipKey(definition, branch), azdo.repository(definition.repo).refs.get(branch));

  const ciTriggers = () => {
    for (const definition of options.definitions) {
      for (const branch of definition.trigger ?? []) {
        const tip = azdo.repository(definition.repo).refs.get(branch);
        const key = tipKey(definition, branch);
        if (!tip || tips.get(key) === tip) continue;
        tips.set(key, tip);
        const pipeline = azdo.pipelines.get(definition.id);
        if (!pipeline) continue;
        const run = azdo.startRun(pipeline, { templateParameters: {}, refName: branch, version: tip });
        reasons.set(run.id, 'IndividualCI');
        emit({ type: 'ci-queued', runId: run.id, pipeline: definition, branch, commit: tip });
      }
    }
  };

  const pickUp = () => {
    for (const run of azdo.runs.values()) {
      if (seen.has(run.id)) continue;
      seen.add(run.id);
      const definition = byPipeline.get(run.pipelineId);
      if (!definition) continue;
      const reason = reasons.get(run.id) ?? 'Manual';
      const record: AgentRunRecord = {
        runId: run.id,
        definition,
        reason,
        refName: run.refName,
        version: run.version,
        done: Promise.resolve(),
      };
      record.done = executePipelineRun(services, definition, run, {
        reason,
        signal: abort.signal,
        onEvent: emit,
      }).then(
        (outcome) => {
          record.outcome = outcome;
        },
        (error: unknown) => {
          record.error = error instanceof Error ? error : new Error(String(error));
          emit({ type: 'run-error', runId: run.id, pipeline: definition, error: record.error });
        },
      );
      runs.push(record);
    }
  };

  const tick = () => {
    if (abort.signal.aborted) return;
    try {
      ciTriggers();
      pickUp();
    } catch (error) {
      emit({
        type: 'run-error',
        runId: 0,
        pipeline: options.definitions[0] as PipelineDefinition,
        error: error as Error,
      });
    }
  };
  const timer = setInterval(tick, options.pollMs ?? 50);
  tick();

  const waitFor = async <T>(check: () => T | undefined, what: string, timeoutMs: number): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = check();
      if (value !== undefined) return value;
      if (abort.signal.aborted)
        throw new SandboxError('CANCELLED', `the agent pool stopped while waiting for ${what}`);
      if (Date.now() > deadline)
        throw new SandboxError('WAIT_TIMEOUT', `timed out after ${timeoutMs} ms waiting for ${what}`, {
          what,
          timeoutMs,
        });
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };

  return {
    runs,
    waitForRun: (predicate, what, timeoutMs) => waitFor(() => runs.find(predicate), what, timeoutMs),
    async finished(record, timeoutMs) {
      await waitFor(
        () => (record.outcome || record.error ? true : undefined),
        `run ${record.runId} (${record.definition.name}) to finish`,
        timeoutMs,
      );
      if (record.error) throw record.error;
      return record.outcome as PipelineRunOutcome;
    },
    async stop() {
      clearInterval(timer);
      abort.abort();
      await Promise.all(runs.map((record) => record.done));
    },
  };
}
