// The shared runtime of every task: reads each named input once, by one rule (TaskInputs: required or
// optional, its type and default, an INPUT_INVALID naming the input), registers every
// secret it derives with the agent, writes the Markdown run summary, and guarantees that every path
// ends in exactly one setResult with a redacted message.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tl from 'azure-pipelines-task-lib/task.js';
import * as z from 'zod/mini';
import { ReleaseAgentError, errorMessage, isReleaseAgentError } from '../../core/errors.ts';
import { parseOrFail } from '../../core/input.ts';
import { redact, Secret } from '../../core/secret.ts';
import { normalizeVersion } from '../../core/versions.ts';
import type { LogFields, Logger } from '../../flows/context.ts';
import type { PipelineRef } from '../../flows/release-common.ts';

export type TaskResultKind = 'Succeeded' | 'SucceededWithIssues' | 'Failed' | 'Skipped';

export interface TaskOutcome {
  result: TaskResultKind;
  message: string;
}

/** Number() as the inputs were always read (`1e3`, ` 2 `); NaN and Infinity are refused after. */
const toNumber = z.transform((text: string) => Number(text));

/** An input's text read by `schema`: INPUT_INVALID naming the input, the problem and the value. */
function readInput<S extends z.core.$ZodType>(
  name: string,
  value: string,
  schema: S,
  problem: string,
): z.output<S> {
  return parseOrFail(schema, value, () => {
    throw new ReleaseAgentError('INPUT_INVALID', `input "${name}" ${problem}, got "${value}"`, {
      input: name,
    });
  });
}

export class TaskInputs {
  readonly #secrets: Secret[];

  constructor(secrets: Secret[]) {
    this.#secrets = secrets;
  }

  /** A required string input: missing or blank fails the task naming the input. */
  required(name: string): string {
    const value = tl.getInput(name, false)?.trim();
    if (!value) throw new ReleaseAgentError('INPUT_INVALID', `input "${name}" is required`, { input: name });
    return value;
  }

  optional(name: string, fallback = ''): string {
    return tl.getInput(name, false)?.trim() || fallback;
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = tl.getInput(name, false)?.trim().toLowerCase();
    if (!value) return fallback;
    return readInput(name, value, z.enum(['true', 'false']), 'must be true or false') === 'true';
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const value = tl.getInput(name, false)?.trim();
    if (!value) return fallback;
    const whole = z.pipe(toNumber, z.int().check(z.minimum(min), z.maximum(max)));
    return readInput(name, value, whole, `must be a whole number from ${min} to ${max}`);
  }

  number(name: string, fallback: number, min: number, max: number): number {
    const value = tl.getInput(name, false)?.trim();
    if (!value) return fallback;
    const number = z.pipe(toNumber, z.number().check(z.minimum(min), z.maximum(max)));
    return readInput(name, value, number, `must be a number from ${min} to ${max}`);
  }

  /** One of a fixed set of values. */
  choice<T extends string>(name: string, allowed: readonly T[], fallback?: T): T {
    const value = tl.getInput(name, false)?.trim();
    if (!value && fallback !== undefined) return fallback;
    if (!value)
      throw new ReleaseAgentError(
        'INPUT_INVALID',
        `input "${name}" is required (one of ${allowed.join(', ')})`,
        { input: name },
      );
    const byCase = new Map(allowed.map((candidate) => [candidate.toLowerCase(), candidate]));
    const key = readInput(
      name,
      value.toLowerCase(),
      z.enum([...byCase.keys()]),
      `must be one of ${allowed.join(', ')}`,
    );
    return byCase.get(key) as T;
  }

  /** A comma- or newline-separated list. */
  list(name: string): string[] {
    return (tl.getInput(name, false) ?? '')
      .split(/[,\n]/)
      .map((item) => item.trim())
      .filter((item) => item.length > 0);
  }

  /** An optional version x.y.z (`1.2` reads as 1.2.0). */
  version(name: string): string | undefined {
    const value = this.optional(name);
    return value ? versionInput(value, name) : undefined;
  }

  /** A branch name or full ref, as a full ref (`develop` → refs/heads/develop). */
  branch(name: string, fallback: string): string {
    return branchRef(this.optional(name, fallback), name);
  }

  /** A list of pipeline ids or id:name pairs. */
  pipelines(name: string): PipelineRef[] {
    return parsePipelineList(this.list(name), name);
  }

  /** Template parameters: a JSON object of plain values, or key=value lines. */
  templateParameters(name: string): Record<string, string> {
    return parseTemplateParameters(this.optional(name), name);
  }

  /** An optional full 40-character commit id, lower case. */
  commit(name: string): string | undefined {
    const value = this.optional(name);
    if (!value) return undefined;
    if (!/^[0-9a-f]{40}$/i.test(value)) {
      throw new ReleaseAgentError(
        'INPUT_INVALID',
        `input "${name}" must be a full 40-character commit id, got "${value.slice(0, 80)}"`,
        { input: name },
      );
    }
    return value.toLowerCase();
  }

  /** A secret: registered with the agent so it is masked in every log line. */
  secret(value: string | undefined): Secret {
    const secret = new Secret(value ?? '');
    if (!secret.isEmpty) {
      tl.setSecret(secret.reveal());
      this.#secrets.push(secret);
    }
    return secret;
  }
}

/** A service connection of the extension's types, read through task-lib. */
export interface ServiceConnection {
  id: string;
  url: string;
  scheme: string;
  parameter(key: string): string | undefined;
  data(key: string): string | undefined;
}

export function serviceConnection(
  inputs: TaskInputs,
  inputName: string,
  required: boolean,
): ServiceConnection | undefined {
  const id = required ? inputs.required(inputName) : inputs.optional(inputName);
  if (!id) return undefined;
  const url = tl.getEndpointUrl(id, true);
  const scheme = tl.getEndpointAuthorizationScheme(id, true);
  if (!url || !scheme) {
    throw new ReleaseAgentError(
      'INPUT_INVALID',
      `service connection "${id}" of input "${inputName}" is not available to this job (check the connection name and its pipeline permissions)`,
      { input: inputName },
    );
  }
  return {
    id,
    url,
    scheme,
    parameter: (key) => tl.getEndpointAuthorizationParameter(id, key, true),
    data: (key) => tl.getEndpointDataParameter(id, key, true),
  };
}

export interface TaskContext {
  inputs: TaskInputs;
  /** A pipeline variable (System.*, Build.*). */
  variable(name: string): string | undefined;
  /** A progress line in the log. */
  log(line: string): void;
  warn(line: string): void;
  setOutput(name: string, value: string): void;
  /** A plain job variable (not an output): later steps of the same job read it as $(name). */
  setVariable(name: string, value: string): void;
  /** The Markdown run summary shown on the run's Extensions tab. */
  summary(title: string, markdown: string): void;
  updateBuildNumber(value: string): void;
  /** Every secret registered so far (for redaction). */
  secrets: Secret[];
  /** The flows' logger, writing to this step's log (errors as warnings: the result says what failed). */
  logger: Logger;
}

function logLine(message: string, fields?: LogFields): string {
  return fields && Object.keys(fields).length > 0 ? `${message} ${JSON.stringify(fields)}` : message;
}

/**
 * Runs a task body and maps its outcome to exactly one setResult. An error fails the task with its
 * message, redacted; a ReleaseAgentError keeps its code so the log says what kind of failure it was.
 */
export async function runTask(
  taskName: string,
  body: (context: TaskContext) => Promise<TaskOutcome>,
): Promise<void> {
  // The first line of the step's log, printed once the entry is loaded (npm run bench times it).
  console.log(`${taskName} (Release Agent) on Node ${process.version}`);
  const secrets: Secret[] = [];
  const inputs = new TaskInputs(secrets);
  const context: TaskContext = {
    inputs,
    secrets,
    variable: (name) => tl.getVariable(name),
    log: (line) => console.log(redact(line, secrets)),
    warn: (line) => tl.warning(redact(line, secrets)),
    setOutput: (name, value) => tl.setVariable(name, value, false, true),
    setVariable: (name, value) => tl.setVariable(name, value, false, false),
    summary: (title, markdown) => {
      const dir = tl.getVariable('Agent.TempDirectory') || mkdtempSync(join(tmpdir(), 'release-agent-'));
      const file = join(dir, `${taskName}-${Date.now()}.md`);
      writeFileSync(file, `# ${title}\n\n${redact(markdown, secrets)}\n`);
      tl.uploadSummary(file);
    },
    updateBuildNumber: (value) => tl.updateBuildNumber(value),
    logger: {
      info: (message, fields) => context.log(logLine(message, fields)),
      warn: (message, fields) => context.warn(logLine(message, fields)),
      error: (message, fields) => context.warn(logLine(message, fields)),
    },
  };
  try {
    const outcome = await body(context);
    const message = redact(outcome.message, secrets);
    if (outcome.result === 'Failed') tl.setResult(tl.TaskResult.Failed, message);
    else tl.setResult(tl.TaskResult[outcome.result], message);
  } catch (error) {
    const code = isReleaseAgentError(error) ? `[${error.code}] ` : '';
    const message = redact(`${code}${errorMessage(error)}`, secrets);
    if (!isReleaseAgentError(error)) tl.debug(redact(String((error as Error)?.stack ?? error), secrets));
    tl.setResult(tl.TaskResult.Failed, message);
  }
}

// ---- the parsers of inputs beyond plain text (pure: tests check the rules directly) ----

/** `12`, `12:Payments CI` items (already split on commas and new lines); INPUT_INVALID naming the input. */
export function parsePipelineList(items: readonly string[], input: string): PipelineRef[] {
  const pipelines: PipelineRef[] = [];
  for (const item of items) {
    const match = /^(\d{1,9})(?:\s*:\s*(.*))?$/.exec(item.trim());
    const id = match ? Number(match[1]) : 0;
    if (!match || id < 1) {
      throw new ReleaseAgentError(
        'INPUT_INVALID',
        `input "${input}" must list pipeline ids or id:name pairs, got "${item.slice(0, 80)}"`,
        { input },
      );
    }
    if (pipelines.some((pipeline) => pipeline.id === id)) continue;
    pipelines.push({ id, name: match[2]?.trim() || `pipeline ${id}` });
  }
  return pipelines;
}

/** `develop` → `refs/heads/develop`; a full ref is kept. */
export function branchRef(value: string, input: string): string {
  const ref = value.startsWith('refs/') ? value : `refs/heads/${value}`;
  if (!/^refs\/[^\s\\~^:?*[]+$/.test(ref) || ref.endsWith('/') || ref.includes('..')) {
    throw new ReleaseAgentError(
      'INPUT_INVALID',
      `input "${input}" is not a branch name: "${value.slice(0, 80)}"`,
      { input },
    );
  }
  return ref;
}

/** `x.y.z` from an input, INPUT_INVALID naming it otherwise. */
export function versionInput(value: string, input = 'version'): string {
  try {
    return normalizeVersion(value);
  } catch {
    throw new ReleaseAgentError(
      'INPUT_INVALID',
      `input "${input}" must be a version x.y.z, got "${value.slice(0, 80)}"`,
      {
        input,
      },
    );
  }
}

/** Parses `templateParameters`: a JSON object of plain values, or key=value lines. */
export function parseTemplateParameters(text: string, input = 'templateParameters'): Record<string, string> {
  const trimmed = text.trim();
  if (!trimmed) return {};
  const invalid = (why: string) =>
    new ReleaseAgentError(
      'INPUT_INVALID',
      `input "${input}" must be a JSON object or key=value lines: ${why}`,
      { input },
    );
  if (trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (error) {
      throw invalid(errorMessage(error));
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalid('not an object');
    const values: Record<string, string> = {};
    for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
        throw invalid(`the value of "${key}" is not a string, number or boolean`);
      }
      // Azure DevOps takes template parameters as strings and converts them by the parameter's type.
      values[key] = String(value);
    }
    return values;
  }
  const values: Record<string, string> = {};
  for (const line of trimmed.split(/\r?\n/)) {
    if (!line.trim()) continue;
    const at = line.indexOf('=');
    const key = at > 0 ? line.slice(0, at).trim() : '';
    if (!key) throw invalid(`"${line.trim().slice(0, 80)}" has no key=`);
    values[key] = line.slice(at + 1).trim();
  }
  return values;
}
