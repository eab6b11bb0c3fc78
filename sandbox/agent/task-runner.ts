// Runs a task bundle the way the Azure Pipelines agent does: `node index.mjs` with the agent's
// environment contract (INPUT_*, SYSTEM_*, BUILD_*, ENDPOINT_* for service connections and
// SystemVssConnection), and reads back the `##vso[...]` logging commands it printed.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processWideList } from '../process-registry.ts';

export interface EndpointSpec {
  url: string;
  scheme: string;
  parameters: Record<string, string>;
  data?: Record<string, string>;
}

export interface TaskRunRequest {
  /** Folder holding the bundle (index.mjs and its chunks) and task.json (dist/tasks/<Name>). */
  taskDir: string;
  inputs: Record<string, string | number | boolean | undefined>;
  /** Pipeline variables: System.*, Build.*, … (dots or underscores). */
  variables?: Record<string, string>;
  /** Service connections by id. */
  endpoints?: Record<string, EndpointSpec>;
  /** The job's OAuth token (System.AccessToken), offered as SystemVssConnection like the agent does. */
  accessToken?: string;
  collectionUri?: string;
  /** Extra process environment (e.g. PATH for the claude stand-in). */
  env?: Record<string, string>;
  cwd?: string;
  timeoutMs?: number;
  /** Aborting kills the task (the agent cancelling a job); the result then has exitCode null. */
  signal?: AbortSignal;
}

export interface VsoCommand {
  command: string;
  properties: Record<string, string>;
  message: string;
}

export interface TaskRunResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  commands: VsoCommand[];
  /** The task.complete result: Succeeded, SucceededWithIssues, Failed, Skipped. */
  result: string | undefined;
  resultMessage: string | undefined;
  outputs: Record<string, string>;
  secretsRegistered: string[];
  summaries: string[];
  buildNumber: string | undefined;
  /** Lines the agent would show (logging commands removed). */
  logLines: string[];
  durationMs: number;
}

const capturedOutputs = processWideList<string>('task-outputs');

/** Everything every task bundle printed in this process (stdout and stderr), for log scans. */
export function taskRunOutputs(): readonly string[] {
  return capturedOutputs;
}

const variableKey = (name: string) => name.replace(/[. ]/g, '_').toUpperCase();

export function agentEnvironment(request: TaskRunRequest, tempDir: string): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? tempDir,
    AGENT_TEMPDIRECTORY: tempDir,
    AGENT_VERSION: '4.266.2',
    SYSTEM_CULTURE: 'en-US',
    ...request.env,
  };
  for (const [name, value] of Object.entries(request.inputs)) {
    if (value !== undefined) env[`INPUT_${variableKey(name)}`] = String(value);
  }
  for (const [name, value] of Object.entries(request.variables ?? {})) env[variableKey(name)] = value;
  const endpoints = { ...request.endpoints };
  if (request.accessToken !== undefined) {
    endpoints.SYSTEMVSSCONNECTION = {
      url: request.collectionUri ?? request.variables?.['System.TeamFoundationCollectionUri'] ?? '',
      scheme: 'OAuth',
      parameters: { AccessToken: request.accessToken },
    };
  }
  for (const [id, endpoint] of Object.entries(endpoints)) {
    env[`ENDPOINT_URL_${id}`] = endpoint.url;
    env[`ENDPOINT_AUTH_${id}`] = JSON.stringify({ parameters: endpoint.parameters, scheme: endpoint.scheme });
    env[`ENDPOINT_AUTH_SCHEME_${id}`] = endpoint.scheme;
    for (const [key, value] of Object.entries(endpoint.parameters))
      env[`ENDPOINT_AUTH_PARAMETER_${id}_${key.toUpperCase()}`] = value;
    for (const [key, value] of Object.entries(endpoint.data ?? {}))
      env[`ENDPOINT_DATA_${id}_${key.toUpperCase()}`] = value;
  }
  return env;
}

/**
 * What the agent's log would show: the agent masks every secret it knows (the job token, the service
 * connections' auth parameters, values registered with task.setsecret) before a line is written, so
 * task-lib's own debug lines of endpoint parameters never reach the log. Anything else, an encoded
 * form of a secret included, stays visible to the run-wide secret scan.
 */
function agentLogView(text: string, request: TaskRunRequest, commands: VsoCommand[]): string {
  const known = [
    request.accessToken,
    ...Object.values(request.endpoints ?? {}).flatMap((endpoint) => Object.values(endpoint.parameters)),
    ...commands.filter((command) => command.command === 'task.setsecret').map((command) => command.message),
  ].filter((value): value is string => typeof value === 'string' && value.length > 0);
  let masked = text;
  for (const value of known.sort((a, b) => b.length - a.length)) masked = masked.split(value).join('***');
  return masked;
}

/** Parses `##vso[area.action key=value;key=value]message` lines. */
export function parseVsoCommands(stdout: string): VsoCommand[] {
  const commands: VsoCommand[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    const match = /^##vso\[([\w.]+)([^\]]*)\](.*)$/.exec(line.trim());
    if (!match) continue;
    const properties: Record<string, string> = {};
    for (const part of (match[2] ?? '').split(';')) {
      const [key, ...rest] = part.trim().split('=');
      if (key) properties[key] = unescapeProperty(rest.join('='));
    }
    commands.push({ command: match[1] ?? '', properties, message: unescapeMessage(match[3] ?? '') });
  }
  return commands;
}

function unescapeMessage(text: string): string {
  return text.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
}

function unescapeProperty(text: string): string {
  return unescapeMessage(text).replace(/%3B/g, ';').replace(/%5D/g, ']');
}

export async function runTaskBundle(request: TaskRunRequest): Promise<TaskRunResult> {
  const bundle = join(request.taskDir, 'index.mjs');
  if (!existsSync(bundle)) throw new Error(`no task bundle at ${bundle}: run npm run build first`);
  const tempDir = mkdtempSync(join(tmpdir(), 'agent-temp-'));
  const started = Date.now();
  try {
    const child = spawn(process.execPath, [bundle], {
      cwd: request.cwd ?? tempDir,
      env: agentEnvironment(request, tempDir),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const kill = () => child.kill('SIGKILL');
    const timeout = setTimeout(kill, request.timeoutMs ?? 60_000);
    request.signal?.addEventListener('abort', kill, { once: true });
    if (request.signal?.aborted) kill();
    const exitCode = await new Promise<number | null>((resolve) =>
      child.once('close', (code) => resolve(code)),
    );
    clearTimeout(timeout);
    request.signal?.removeEventListener('abort', kill);
    const commands = parseVsoCommands(stdout);
    // The agent consumes setsecret commands (they never reach the log) and masks what it knows: scan the rest.
    capturedOutputs.push(
      ...[stdout.replace(/^##vso\[task\.setsecret\].*$/gm, '##vso[task.setsecret]***'), stderr].map((text) =>
        agentLogView(text, request, commands),
      ),
    );
    const complete = commands.filter((c) => c.command === 'task.complete').at(-1);
    const outputs: Record<string, string> = {};
    for (const c of commands.filter((c) => c.command === 'task.setvariable')) {
      if (c.properties.variable) outputs[c.properties.variable] = c.message;
    }
    const summaries = commands
      .filter((c) => c.command === 'task.uploadsummary')
      .map((c) => (existsSync(c.message) ? readFileSync(c.message, 'utf8') : ''));
    return {
      exitCode,
      stdout,
      stderr,
      commands,
      result: complete?.properties.result,
      resultMessage: complete?.message,
      outputs,
      secretsRegistered: commands.filter((c) => c.command === 'task.setsecret').map((c) => c.message),
      summaries,
      buildNumber: commands.filter((c) => c.command === 'build.updatebuildnumber').at(-1)?.message,
      logLines: stdout.split(/\r?\n/).filter((line) => line.length > 0 && !line.startsWith('##vso[')),
      durationMs: Date.now() - started,
    };
  } finally {
    rmSync(tempDir, { recursive: true, force: true });
  }
}
