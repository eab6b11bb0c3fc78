// Validates task.json files against the official schema (draft-04) plus the rules tfx only warns
// about, and derives the vsix contributions for the tasks. The build fails on any problem.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv-draft-04';
import { TASK_ENTRY } from './build.ts';

// ajv-draft-04 is CommonJS with a `default` export: take the class from require.
const Ajv = (
  createRequire(import.meta.url)('ajv-draft-04') as {
    default: new (options: Record<string, unknown>) => { compile(schema: object): ValidateFunction };
  }
).default;

export interface TaskJson {
  id: string;
  name: string;
  friendlyName: string;
  description: string;
  category: string;
  version: { Major: number; Minor: number; Patch: number };
  minimumAgentVersion?: string;
  instanceNameFormat: string;
  inputs?: {
    name: string;
    type: string;
    label?: string;
    helpMarkDown?: string;
    required?: boolean;
    defaultValue?: string;
    options?: Record<string, string>;
    visibleRule?: string;
  }[];
  outputVariables?: { name: string; description?: string }[];
  execution?: Record<string, { target: string }>;
  restrictions?: unknown;
}

// The official task.json schema, kept beside this script (nothing outside the repository is read).
const schemaPath = join(import.meta.dirname, 'task.schema.json');

let validator: ValidateFunction | undefined;

function schemaValidator() {
  if (validator) return validator;
  const text = readFileSync(schemaPath, 'utf8');
  const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
  validator = ajv.compile(JSON.parse(text.replace(/^\uFEFF/, '')));
  return validator;
}

/** The service endpoint types the extension contributes (the `name` of each endpoint-type contribution). */
export function endpointTypes(manifest: { contributions?: unknown[] }): string[] {
  return (manifest.contributions ?? [])
    .map((contribution) => contribution as { type?: string; properties?: { name?: string } })
    .filter((contribution) => contribution.type === 'ms.vss-endpoint.service-endpoint-type')
    .map((contribution) => contribution.properties?.name ?? '')
    .filter((name) => name.length > 0);
}

// Endpoint types Azure DevOps has itself, which a task input may name too.
const BUILT_IN_ENDPOINT_TYPES = [
  'AzureRM',
  'Generic',
  'GitHub',
  'ExternalTfs',
  'dockerregistry',
  'kubernetes',
];

export interface TaskJsonRuleOptions {
  /** The extension's own endpoint types: a `connectedService:<type>` input must name one of them (or a built-in). */
  endpointTypes?: readonly string[];
}

/** Every problem of one task.json, empty when it is valid. */
export function taskJsonProblems(
  task: unknown,
  folderName: string,
  options: TaskJsonRuleOptions = {},
): string[] {
  const validate = schemaValidator();
  const problems: string[] = [];
  if (!validate(task)) {
    for (const error of validate.errors ?? [])
      problems.push(`schema: ${error.instancePath || '/'} ${error.message}`);
  }
  const t = task as TaskJson;
  if (t.name !== folderName) problems.push(`name "${t.name}" differs from its folder "${folderName}"`);
  // tfx's own checks (it only warns about them).
  if (!t.friendlyName || t.friendlyName.length > 40) problems.push('friendlyName must be 1 to 40 characters');
  if (!t.instanceNameFormat) problems.push('instanceNameFormat is required');
  if (!t.version) problems.push('version is required');
  const handlers = Object.keys(t.execution ?? {});
  if (!handlers.includes('Node24')) problems.push('execution has no Node24 handler');
  for (const [handler, value] of Object.entries(t.execution ?? {})) {
    if (!/^Node(10|16|20_1|24)$/.test(handler))
      problems.push(`execution handler "${handler}" is not one the agent knows`);
    // execa 10 and jira.js 6 use APIs Node 20 lacks (Set.prototype.union…): an older handler would
    // start the task and fail it at its first Claude or Jira call.
    else if (handler !== 'Node24') problems.push(`execution handler "${handler}" runs a Node older than 22`);
    if (value.target !== TASK_ENTRY)
      problems.push(`execution.${handler}.target must be ${TASK_ENTRY} (the bundle's entry)`);
  }
  if (!t.minimumAgentVersion || compareAgentVersions(t.minimumAgentVersion, '4.265.1') < 0)
    problems.push('minimumAgentVersion must be at least 4.265.1 (the first agent with Node24)');
  const restrictions = t.restrictions as
    | { commands?: { mode?: string }; settableVariables?: { allowed?: string[] } }
    | undefined;
  if (!restrictions) problems.push('restrictions are not set');
  else {
    if (!restrictions.commands?.mode) problems.push('restrictions.commands.mode is not set');
    if (!restrictions.settableVariables?.allowed)
      problems.push('restrictions.settableVariables.allowed is not set');
  }
  const names = new Set<string>();
  for (const input of t.inputs ?? []) {
    if (names.has(input.name)) problems.push(`input "${input.name}" is declared twice`);
    names.add(input.name);
    if (!input.label) problems.push(`input "${input.name}" has no label`);
    if (!input.helpMarkDown) problems.push(`input "${input.name}" has no helpMarkDown`);
    const endpoint = /^connectedService:(.+)$/.exec(input.type)?.[1];
    if (
      endpoint &&
      options.endpointTypes &&
      ![...options.endpointTypes, ...BUILT_IN_ENDPOINT_TYPES].includes(endpoint)
    ) {
      problems.push(
        `input "${input.name}" names the endpoint type "${endpoint}", which the extension does not contribute`,
      );
    }
    if (
      input.type === 'pickList' &&
      input.defaultValue &&
      input.options &&
      !Object.hasOwn(input.options, input.defaultValue)
    ) {
      problems.push(
        `input "${input.name}" defaults to "${input.defaultValue}", which is not one of its options`,
      );
    }
  }
  for (const input of t.inputs ?? []) {
    // visibleRule terms are `<input> <operator> <value>` joined by && or ||.
    for (const term of (input.visibleRule ?? '').split(/&&|\|\|/)) {
      const subject =
        /^\s*([A-Za-z][A-Za-z0-9]*)\s*(=|!=|<|>|NotEndsWith|EndsWith|NotContains|Contains)/.exec(term)?.[1];
      if (term.trim() && (!subject || !names.has(subject)))
        problems.push(`input "${input.name}" has a visibleRule on an unknown input: "${term.trim()}"`);
    }
  }
  const allowed = restrictions?.settableVariables?.allowed;
  for (const output of t.outputVariables ?? []) {
    if (!output.description) problems.push(`output variable "${output.name}" has no description`);
    // The agent refuses to set a variable the restrictions do not allow, output variables included.
    if (allowed && !allowed.includes(output.name))
      problems.push(`output variable "${output.name}" is not in restrictions.settableVariables.allowed`);
  }
  return problems;
}

function compareAgentVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/** The id of a task's contribution in the vsix manifest: ReleasePullRequest → release-pull-request-task. */
export function taskContributionId(taskName: string): string {
  return `${taskName.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase()}-task`;
}

/**
 * The full reference of one of our tasks, `publisher.extension.contribution.Name`: what the templates
 * use, since a short name Azure DevOps refuses as soon as another installed extension has a task of it.
 */
export function fullTaskName(extension: { publisher: string; id: string }, taskName: string): string {
  return `${extension.publisher}.${extension.id}.${taskContributionId(taskName)}.${taskName}`;
}

/** The vsix manifest fragment that contributes each built task. */
export function taskContributions(tasks: { folder: string; task: TaskJson }[]): object {
  return {
    files: tasks.map(({ folder }) => ({ path: folder })),
    contributions: tasks.map(({ folder, task }) => ({
      id: taskContributionId(task.name),
      type: 'ms.vss-distributed-task.task',
      targets: ['ms.vss-distributed-task.tasks'],
      properties: { name: folder },
    })),
  };
}
