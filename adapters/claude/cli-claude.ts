// The real ClaudeRunner: `claude -p` as a child process, read-only tools confined to the checkout,
// the prompt on stdin, an environment built from scratch around a fresh empty HOME (removed after the
// run), a wall-clock limit that kills the whole process group, and the CLI's JSON result read
// whatever the exit code.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import type { Env } from '../../core/config.ts';
import * as z from 'zod/mini';
import { ReleaseAgentError } from '../../core/errors.ts';
import { parseWith } from '../../core/input.ts';
import { redact, redactDeep, Secret } from '../../core/secret.ts';
import type {
  ClaudeFailureReason,
  ClaudeRunFailure,
  ClaudeRunner,
  ClaudeRunRequest,
  ClaudeRunResult,
} from './claude.ts';

/** Built-in tools the reviewer gets: it reads the repo, it never writes, runs commands or fetches. */
export const READ_ONLY_TOOLS = 'Read,Glob,Grep';

/** Variables copied from the parent (when set): what the CLI needs to start. HOME and TMPDIR are ours. */
export const BASE_ENV_NAMES: readonly string[] = ['PATH', 'LANG', 'LC_ALL'];

/**
 * The only other variables the CLI may get from the agent: how to reach the Anthropic API through a
 * corporate proxy. A fixed list, not configurable by a pipeline: a pipeline that could name
 * variables could hand the CLI a credential or NODE_OPTIONS.
 */
export const PROXY_ENV_NAMES: readonly string[] = [
  'HTTPS_PROXY',
  'https_proxy',
  'HTTP_PROXY',
  'http_proxy',
  'NO_PROXY',
  'no_proxy',
  'NODE_EXTRA_CA_CERTS',
];

/**
 * Names that never reach the CLI: the pipeline's and the app's credentials, and anything named like
 * a credential (a check on the lists above, and on what tests and scans look for).
 */
const FORBIDDEN_ENV_PATTERNS: readonly RegExp[] = [
  /^SYSTEM_ACCESSTOKEN$/i,
  /^AZDO_/i,
  /^JIRA_/i,
  /^SLACK_/i,
  /^WEBHOOK_SECRET/i,
  /^OPERATOR_TOKEN$/i,
  /^INPUT_/i,
  /^ENDPOINT_/i,
  /^SECRET_/i,
  /^AzureWebJobs/i,
  /^STORAGE_/i,
  /^EXTENSION_CERTIFICATE$/i,
  /CONNECTION_?STRING/i,
  /TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|API_?KEY|PRIVATE_?KEY|_PAT$/i,
];

/**
 * Absolute places the reviewer's Read/Glob/Grep are explicitly denied (deny beats allow), unless the
 * checkout itself lies inside one. `dontAsk` already refuses anything outside the checkout; these
 * name the places where credentials live (process environments, the agent's home and temp folders).
 */
export const DENIED_ROOTS: readonly string[] = [
  '/proc',
  '/sys',
  '/dev',
  '/etc',
  '/root',
  '/home',
  '/Users',
  '/var',
  '/run',
  '/tmp',
  '/private',
  '/opt',
  '/usr',
  '/srv',
  '/mnt',
  '/media',
  '/boot',
];

/** How much of stderr or an error list goes into a failure (the rest is noise in a run summary). */
const MAX_ERROR_CHARS = 500;
/** The CLI prints one JSON object; anything near this size is a runaway, not a review. */
const MAX_STDOUT_BYTES = 16 * 1024 * 1024;

export interface ClaudeCredentials {
  /** Passed as ANTHROPIC_API_KEY. */
  anthropicApiKey?: Secret;
  /** Passed as CLAUDE_CODE_OAUTH_TOKEN (a subscription's long-lived token from `claude setup-token`). */
  oauthToken?: Secret;
}

export interface CliClaudeRunnerOptions {
  /** The executable: a name looked up on PATH (default `claude`) or a path. Never a task input. */
  command?: string;
  /** Where PATH, LANG and the proxy variables come from; defaults to `process.env`. */
  parentEnv?: Env;
  credentials?: ClaudeCredentials;
  model?: string;
  /** After our timeout sends SIGTERM to the group, SIGKILL follows after this delay. */
  forceKillAfterMs?: number;
}

/** True for a variable name that must never be passed to the CLI. */
export function isForbiddenEnvName(name: string): boolean {
  return FORBIDDEN_ENV_PATTERNS.some((pattern) => pattern.test(name));
}

/**
 * The child's whole environment: a fixed allow-list from the parent, never a copy of ours, and a
 * HOME (with the XDG folders, the CLI's config folder and TMPDIR inside it) that is empty and ours:
 * user-level settings, hooks, MCP servers and logins of the agent's account can run code or hold
 * credentials, so none of them is seen.
 */
export function buildClaudeEnv(home: string, options: CliClaudeRunnerOptions = {}): Record<string, string> {
  const parent = options.parentEnv ?? process.env;
  const env: Record<string, string> = {};
  for (const name of [...BASE_ENV_NAMES, ...PROXY_ENV_NAMES]) {
    const value = parent[name];
    if (value !== undefined && value !== '') env[name] = value;
  }
  env.LANG ??= 'C.UTF-8';
  env.HOME = home;
  env.XDG_CONFIG_HOME = join(home, '.config');
  env.XDG_CACHE_HOME = join(home, '.cache');
  env.XDG_DATA_HOME = join(home, '.local', 'share');
  env.XDG_STATE_HOME = join(home, '.local', 'state');
  env.CLAUDE_CONFIG_DIR = join(home, '.claude');
  env.TMPDIR = join(home, 'tmp');
  const { anthropicApiKey, oauthToken } = options.credentials ?? {};
  if (anthropicApiKey && !anthropicApiKey.isEmpty) env.ANTHROPIC_API_KEY = anthropicApiKey.reveal();
  if (oauthToken && !oauthToken.isEmpty) env.CLAUDE_CODE_OAUTH_TOKEN = oauthToken.reveal();
  return env;
}

/** A fresh, empty HOME for one run, with the folders the environment points at. */
export function createClaudeHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'release-agent-claude-home-'));
  for (const dir of ['.config', '.cache', join('.local', 'share'), join('.local', 'state'), '.claude', 'tmp'])
    mkdirSync(join(home, dir), { recursive: true });
  return home;
}

/** Deny rules for the absolute places outside the checkout (permission-rule syntax: `//` = absolute). */
export function deniedReadRules(cwd: string): string[] {
  const checkout = resolve(cwd);
  const inside = (root: string) => checkout === root || checkout.startsWith(`${root}${sep}`);
  return ['Read(~/**)', ...DENIED_ROOTS.filter((root) => !inside(root)).map((root) => `Read(/${root}/**)`)];
}

/**
 * The whole command line, in one place: flags only, the prompt goes on stdin. Why each flag
 * (Claude Code CLI reference, permissions and settings docs; see docs/pr-tasks.md):
 * - `-p --output-format json --json-schema`: headless, one JSON result, `structured_output` fits the schema.
 * - `--tools Read,Glob,Grep`: the only built-in tools that exist in the session (no Bash, Edit, Write,
 *   WebFetch, WebSearch, Task).
 * - `--permission-mode dontAsk`: a tool use that no allow rule pre-approves is denied, never asked.
 * - `--allowedTools Read(./**)`: reads (Read rules also govern Glob and Grep) pre-approved under the
 *   working directory, the checkout, only. A bare `Read` would approve `/proc/<pid>/environ`.
 * - `--disallowedTools Read(~/**) Read(//proc/**) …`: explicit deny rules, which beat any allow rule,
 *   for the home and the system places that hold credentials (not the one holding the checkout).
 * - `--setting-sources ""`: no user, project or local settings: the PR's `.claude/settings.json`
 *   (hooks run commands, allow rules widen access) is never loaded.
 * - `--strict-mcp-config --mcp-config {"mcpServers":{}}`: no MCP server, the repo's `.mcp.json` ignored.
 * - `--max-budget-usd`: the spend limit; our own timeout bounds the time.
 */
export function buildClaudeArgs(request: ClaudeRunRequest, options: CliClaudeRunnerOptions = {}): string[] {
  const args = [
    '-p',
    '--output-format',
    'json',
    '--json-schema',
    JSON.stringify(request.jsonSchema),
    '--tools',
    READ_ONLY_TOOLS,
    '--permission-mode',
    'dontAsk',
    '--allowedTools',
    'Read(./**)',
    '--disallowedTools',
    ...deniedReadRules(request.cwd),
    '--setting-sources',
    '',
    '--strict-mcp-config',
    '--mcp-config',
    JSON.stringify({ mcpServers: {} }),
    '--max-budget-usd',
    String(request.maxBudgetUsd),
  ];
  if (options.model) args.push('--model', options.model);
  if (request.systemPrompt) args.push('--append-system-prompt', request.systemPrompt);
  return args;
}

/** What the process did, as plain data, so the interpretation is a pure function. */
export interface ClaudeProcessOutcome {
  stdout: string;
  stderr: string;
  exitCode?: number;
  signal?: string;
  timedOut: boolean;
  /** The spawn error code (ENOENT, EACCES…) when the process never started. */
  spawnErrorCode?: string;
  /** Our own measure, used when the CLI reports none. */
  durationMs: number;
  timeoutMs: number;
}

export function createCliClaudeRunner(options: CliClaudeRunnerOptions = {}): ClaudeRunner {
  const command = options.command?.trim() || 'claude';
  const credentialValues = [options.credentials?.anthropicApiKey, options.credentials?.oauthToken];

  return {
    async run(request) {
      validateRequest(request);
      // Loaded on the first run: a task that never reviews or writes a ticket does not compile execa.
      const { execa } = await import('execa');
      const started = Date.now();
      const home = createClaudeHome();
      try {
        const subprocess = execa(command, buildClaudeArgs(request, options), {
          input: request.prompt,
          cwd: request.cwd,
          env: buildClaudeEnv(home, options),
          extendEnv: false,
          reject: false,
          timeout: request.timeoutMs,
          // The CLI starts helpers (ripgrep, node workers): the timeout must take them down too.
          killDescendants: true,
          forceKillAfterDelay: options.forceKillAfterMs ?? 5_000,
          maxBuffer: { stdout: MAX_STDOUT_BYTES, stderr: 1024 * 1024 },
          stripFinalNewline: false,
        });
        const result = await subprocess;
        // Helpers that outlived a finished CLI hold nothing we want; the group id is still reserved
        // while any of them runs, so this cannot hit an unrelated process.
        subprocess.kill('SIGKILL');
        const outcome = interpretClaudeOutput({
          stdout: typeof result.stdout === 'string' ? result.stdout : '',
          stderr: typeof result.stderr === 'string' ? result.stderr : '',
          exitCode: result.exitCode,
          signal: result.signal,
          timedOut: result.timedOut,
          spawnErrorCode:
            result.exitCode === undefined && !result.isTerminated ? spawnCode(result) : undefined,
          durationMs: Date.now() - started,
          timeoutMs: request.timeoutMs,
        });
        return withoutCredentials(outcome, credentialValues);
      } finally {
        // Whatever the CLI wrote (sessions, caches) goes with the run.
        rmSync(home, { recursive: true, force: true });
      }
    },
  };
}

/** The runner the entries use: `claude` on PATH, the CLI's credentials from the environment. */
export function claudeRunnerFromEnv(
  env: Env,
  options: Omit<CliClaudeRunnerOptions, 'parentEnv' | 'credentials'> = {},
): ClaudeRunner {
  return createCliClaudeRunner({
    ...options,
    parentEnv: env,
    credentials: {
      anthropicApiKey: new Secret(env.ANTHROPIC_API_KEY?.trim() ?? ''),
      oauthToken: new Secret(env.CLAUDE_CODE_OAUTH_TOKEN?.trim() ?? ''),
    },
  });
}

/** Reads the CLI's JSON result (whatever the exit code) into a success or a reasoned failure. */
export function interpretClaudeOutput(outcome: ClaudeProcessOutcome): ClaudeRunResult {
  if (outcome.spawnErrorCode) {
    return failure(
      'spawn_failed',
      [`the Claude CLI could not be started (${outcome.spawnErrorCode})`],
      outcome,
    );
  }
  if (outcome.timedOut) {
    return failure(
      'timeout',
      [`no result within ${outcome.timeoutMs} ms; the process group was killed`],
      outcome,
    );
  }
  const message = readResultMessage(outcome.stdout);
  if (!message) {
    const exited = outcome.signal
      ? `was killed by ${outcome.signal}`
      : `exited with code ${outcome.exitCode}`;
    if (outcome.exitCode === 0 && !outcome.signal) {
      return failure(
        'invalid_output',
        ['stdout held no JSON result', ...stderrTail(outcome.stderr)],
        outcome,
      );
    }
    return failure(
      'exit_nonzero',
      [`the Claude CLI ${exited} without a JSON result`, ...stderrTail(outcome.stderr)],
      outcome,
    );
  }

  const costUsd = message.total_cost_usd;
  const durationMs = message.duration_ms ?? outcome.durationMs;
  const subtype = message.subtype ?? '';
  const errors = message.errors ?? [];

  if (subtype === 'success' && message.is_error === false) {
    const structuredOutput = message.structured_output ?? parseJsonText(message.result);
    if (structuredOutput === undefined) {
      return failure(
        'invalid_output',
        ['the result held no structured output and no JSON text'],
        outcome,
        costUsd,
      );
    }
    return {
      ok: true,
      structuredOutput,
      costUsd: costUsd ?? 0,
      durationMs,
      numTurns: message.num_turns ?? 0,
      sessionId: message.session_id ?? '',
    };
  }
  if (subtype === 'success') {
    // is_error with subtype success: the API refused (credit, auth, overload); `result` says why.
    const why = typeof message.result === 'string' ? clip(message.result) : 'the CLI reported an error';
    return failure('error_during_execution', [why, ...errors], outcome, costUsd, durationMs);
  }
  const reason = FAILURE_BY_SUBTYPE[subtype] ?? 'error_during_execution';
  const detail = errors.length > 0 ? errors : [`the CLI ended with ${subtype || 'no subtype'}`];
  if (!(subtype in FAILURE_BY_SUBTYPE))
    detail.unshift(`unexpected result subtype ${JSON.stringify(subtype)}`);
  return failure(reason, detail, outcome, costUsd, durationMs);
}

const FAILURE_BY_SUBTYPE: Record<string, ClaudeFailureReason> = {
  error_max_budget_usd: 'error_max_budget_usd',
  error_max_turns: 'error_max_turns',
  error_during_execution: 'error_during_execution',
  // The model could not produce output matching the schema: same as an invalid answer.
  error_max_structured_output_retries: 'invalid_output',
};

/** A field read when it is what it should be, absent otherwise (the CLI's output is not ours). */
const lenient = <T extends z.core.$ZodType>(schema: T) => z.catch(z.optional(schema), undefined);
const nonNegative = lenient(z.number().check(z.minimum(0)));

/** The CLI's `type: "result"` message: the fields the outcome is read from. */
const resultMessageSchema = z.object({
  type: z.literal('result'),
  subtype: lenient(z.string()),
  is_error: z.optional(z.unknown()),
  result: z.optional(z.unknown()),
  structured_output: z.optional(z.unknown()),
  total_cost_usd: nonNegative,
  duration_ms: nonNegative,
  num_turns: nonNegative,
  session_id: lenient(z.string()),
  errors: lenient(
    z.pipe(
      z.array(z.unknown()),
      z.transform((items: unknown[]) =>
        items.map((item) => clip(typeof item === 'string' ? item : JSON.stringify(item))),
      ),
    ),
  ),
});

type ResultMessage = z.output<typeof resultMessageSchema>;

/** The `type: "result"` object: all of stdout, or the last such line (warnings may precede it). */
function readResultMessage(stdout: string): ResultMessage | undefined {
  const whole = asResultMessage(parseJsonText(stdout));
  if (whole) return whole;
  const lines = stdout.split('\n');
  for (let index = lines.length - 1; index >= 0; index--) {
    const line = lines[index]?.trim() ?? '';
    if (!line.startsWith('{')) continue;
    const parsed = asResultMessage(parseJsonText(line));
    if (parsed) return parsed;
  }
  return undefined;
}

function asResultMessage(value: unknown): ResultMessage | undefined {
  const parsed = parseWith(resultMessageSchema, value);
  return parsed.ok ? parsed.value : undefined;
}

/** JSON in a string, tolerating a Markdown code fence around it; undefined when it is not JSON. */
function parseJsonText(text: unknown): unknown {
  if (typeof text !== 'string') return undefined;
  const trimmed = text.trim();
  const fenced = /^```(?:json)?\s*\n([\s\S]*?)\n?```$/.exec(trimmed);
  try {
    return JSON.parse(fenced?.[1] ?? trimmed);
  } catch {
    return undefined;
  }
}

function failure(
  reason: ClaudeFailureReason,
  errors: string[],
  outcome: ClaudeProcessOutcome,
  costUsd?: number,
  durationMs?: number,
): ClaudeRunFailure {
  const result: ClaudeRunFailure = {
    ok: false,
    reason,
    errors,
    durationMs: durationMs ?? outcome.durationMs,
  };
  if (costUsd !== undefined) result.costUsd = costUsd;
  return result;
}

/**
 * The CLI's own credential must not travel onwards: a hijacked model could read it (from
 * /proc/self/environ) into a finding that we would post on the PR. It is removed, in every encoding,
 * and the run says so (`secretRemoved`): the caller never approves such a review.
 */
function withoutCredentials(result: ClaudeRunResult, credentials: (Secret | undefined)[]): ClaudeRunResult {
  const values = credentials.filter((secret): secret is Secret => secret !== undefined && !secret.isEmpty);
  if (values.length === 0) return result;
  if (result.ok) {
    const scrubbed = redactDeep(result.structuredOutput, values);
    return scrubbed.found ? { ...result, structuredOutput: scrubbed.value, secretRemoved: true } : result;
  }
  return { ...result, errors: result.errors.map((error) => redact(error, values)) };
}

function validateRequest(request: ClaudeRunRequest): void {
  const problems: string[] = [];
  if (!(Number.isFinite(request.maxBudgetUsd) && request.maxBudgetUsd > 0))
    problems.push('maxBudgetUsd must be > 0');
  if (!(Number.isInteger(request.timeoutMs) && request.timeoutMs > 0))
    problems.push('timeoutMs must be a whole number > 0');
  if (!request.cwd) problems.push('cwd is required');
  if (problems.length > 0)
    throw new ReleaseAgentError('INPUT_INVALID', `invalid Claude run: ${problems.join('; ')}`);
}

function spawnCode(result: { code?: unknown }): string {
  return typeof result.code === 'string' && result.code ? result.code : 'unknown error';
}

function stderrTail(stderr: string): string[] {
  const trimmed = stderr.trim();
  return trimmed ? [`stderr: ${clip(trimmed.slice(-MAX_ERROR_CHARS))}`] : [];
}

function clip(text: string): string {
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS)}…` : text;
}
