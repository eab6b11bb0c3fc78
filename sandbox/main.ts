// `npm start`: the whole release cycle on this machine, against Azurite and the simulators.
//   node --import tsx sandbox/main.ts                      the scripted cycle; exits 0 when it completed
//   node --import tsx sandbox/main.ts --interactive        the stack and seed data, no script: press the
//                                                          buttons yourself; runs until Ctrl-C
//   node --import tsx sandbox/main.ts --stack-only --write-env sandbox.env.json
//                                                          the same stack for outside tools: every URL and the
//                                                          secrets in use written to the file (mode 0600)
// Options: --result-json <file> (the scripted cycle's result and summary as JSON), --no-hub,
// --latency none|real (real: the simulators answer as slowly as the real services; docs/sandbox.md).
// Secrets may come from the environment instead of being generated: SANDBOX_AZDO_PAT,
// SANDBOX_ACCESS_TOKEN, SANDBOX_JIRA_API_TOKEN, SANDBOX_SLACK_BOT_TOKEN, SANDBOX_SLACK_SIGNING_SECRET,
// SANDBOX_WEBHOOK_SECRET, SANDBOX_OPERATOR_TOKEN, SANDBOX_EXTENSION_CERTIFICATE, SANDBOX_DECISION_SIGNING_KEY.
// Everything started is stopped on success, failure, Ctrl-C and SIGTERM.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { isSandboxError } from './errors.ts';
import { type Sandbox, type SandboxOptions, startSandbox } from './sandbox.ts';
import { type CycleResult, formatSummary, runCycle } from './scenario.ts';
import { writeSecretFile } from './secret-file.ts';
import { type LatencyProfileName, parseLatencyProfile } from './sim/latency.ts';
import { SANDBOX_ALLOWED_USERS, type StackSecrets } from './stack.ts';

/** Environment variables that can supply each secret of the stack. */
export const SECRET_VARIABLES: Readonly<Record<keyof StackSecrets, string>> = {
  azdoPat: 'SANDBOX_AZDO_PAT',
  accessToken: 'SANDBOX_ACCESS_TOKEN',
  jiraApiToken: 'SANDBOX_JIRA_API_TOKEN',
  slackBotToken: 'SANDBOX_SLACK_BOT_TOKEN',
  slackSigningSecret: 'SANDBOX_SLACK_SIGNING_SECRET',
  webhookSecret: 'SANDBOX_WEBHOOK_SECRET',
  operatorToken: 'SANDBOX_OPERATOR_TOKEN',
  extensionCertificate: 'SANDBOX_EXTENSION_CERTIFICATE',
  decisionSigningKey: 'SANDBOX_DECISION_SIGNING_KEY',
};

/** The secrets given in the environment (the rest are generated fresh). */
export function secretsFromEnvironment(env: Record<string, string | undefined>): Partial<StackSecrets> {
  const given: Partial<StackSecrets> = {};
  for (const [key, variable] of Object.entries(SECRET_VARIABLES) as [keyof StackSecrets, string][]) {
    const value = env[variable]?.trim();
    if (value) given[key] = value;
  }
  return given;
}

export interface InteractiveOptions extends Omit<SandboxOptions, 'mode'> {
  mode?: 'interactive';
}

/** The interactive stack: seeded, pipelines run as they are queued, timers on their interval. */
export async function startInteractive(options: InteractiveOptions = {}): Promise<Sandbox> {
  return await startSandbox({ hub: true, ...options, mode: 'interactive' });
}

/** Writes the env file readable by its owner only (also when it existed with wider permissions). */
export function writeEnvFile(file: string, sandbox: Sandbox, given: Partial<StackSecrets>): void {
  writeFileSync(file, `${JSON.stringify(envFile(sandbox, given), null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** What `--write-env` writes: every URL, and the secrets the stack generated (not those given in the environment). */
export function envFile(sandbox: Sandbox, given: Partial<StackSecrets>): Record<string, unknown> {
  const { stack } = sandbox;
  const secrets: Record<string, string> = {};
  for (const key of Object.keys(SECRET_VARIABLES) as (keyof StackSecrets)[])
    if (!given[key]) secrets[key] = stack.secrets[key];
  return {
    urls: { ...sandbox.urls, slackWebhook: stack.slack.webhookUrl },
    azureDevOps: {
      organization: stack.azdo.organization,
      project: stack.azdo.project.name,
      repositories: [...stack.azdo.repositories.values()].map((repo) => repo.name),
      pipelines: [...stack.azdo.pipelines.values()].map((pipeline) => ({
        id: pipeline.id,
        name: pipeline.name,
      })),
    },
    slack: { channel: stack.slackChannel, users: stack.slack.users.map((user) => user.id) },
    storage: { connectionString: stack.storageConnectionString, tablePrefix: stack.tablePrefix },
    secrets,
    secretsFromEnvironment: Object.entries(SECRET_VARIABLES)
      .filter(([key]) => given[key as keyof StackSecrets])
      .map(([, variable]) => variable),
  };
}

interface Args {
  interactive: boolean;
  stackOnly: boolean;
  writeEnv: string | undefined;
  resultJson: string | undefined;
  hub: boolean;
  latency: LatencyProfileName;
}

function parse(argv: string[]): Args {
  const { values } = parseArgs({
    args: argv,
    options: {
      interactive: { type: 'boolean', default: false },
      'stack-only': { type: 'boolean', default: false },
      'write-env': { type: 'string' },
      'result-json': { type: 'string' },
      'no-hub': { type: 'boolean', default: false },
      latency: { type: 'string', default: 'none' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(
      "usage: npm start [-- --interactive | --stack-only --write-env <file>] [--result-json <file>] [--no-hub] [--latency none|real]\n  --latency real   the simulators answer with the real services' response times (default none)\nSee docs/sandbox.md.\n",
    );
    process.exit(0);
  }
  if (values.interactive && values['stack-only'])
    throw new Error('--interactive and --stack-only exclude each other');
  if (values['write-env'] && !values['stack-only'] && !values.interactive)
    throw new Error('--write-env needs --stack-only or --interactive');
  return {
    interactive: values.interactive ?? false,
    stackOnly: values['stack-only'] ?? false,
    writeEnv: values['write-env'],
    resultJson: values['result-json'],
    hub: !values['no-hub'],
    latency: parseLatencyProfile(values.latency),
  };
}

const JSON_BODY = `-H 'Content-Type: application/json'`;

/** What `npm start -- --interactive` prints: URLs, and commands that work as printed (a test runs them). */
export function interactiveBanner(
  urls: Sandbox['urls'],
  options: { operatorTokenFile: string; writeEnv?: string },
): string {
  const { operatorTokenFile, writeEnv } = options;
  const operator = `-H "X-Operator-Token: $(cat ${operatorTokenFile})"`;
  return `
Release Agent sandbox (interactive): nothing is scripted, you drive it.
  Slack channel     ${urls.slackChannelPage}
                    the cards appear here; press their buttons (the page sends Slack's signed request)
  Hub page          ${urls.hub ?? '(--no-hub)'}
  Function API      ${urls.functionApi}/status
                    operator token in ${operatorTokenFile} (mode 0600); who may decide: ${SANDBOX_ALLOWED_USERS}
  Azure DevOps      ${urls.azureDevOpsProject}   (REST 7.1)
  Jira              ${urls.jira}
Open a PR as a developer would (the service hook reaches the app, the agent runs pipelines/pr.yml):
  curl -X POST ${urls.azureDevOpsControls}/pushes ${JSON_BODY} -d '{"repository":"Billo.Platform.Payment","branch":"feature/ALLPOST-4028_login","changes":[{"path":"/src/login.ts","changeType":"add"}]}'
  curl -X POST ${urls.azureDevOpsControls}/pullrequests ${JSON_BODY} -d '{"repository":"Billo.Platform.Payment","sourceRefName":"refs/heads/feature/ALLPOST-4028_login","targetRefName":"refs/heads/develop","title":"Login page"}'
Release what is on staging:  curl -X POST ${operator} ${urls.functionApi}/manual/release ${JSON_BODY} -d '{"repo":"Billo.Platform.Payment"}'
${writeEnv ? `URLs and secrets: ${writeEnv} (mode 0600)\n` : ''}Ctrl-C stops everything.`;
}

/** Stops `stop` once on SIGINT/SIGTERM; resolves when a signal came. */
function onSignal(stop: (signal: string) => Promise<void>): { signalled: Promise<string>; dispose(): void } {
  let resolveSignal: (signal: string) => void = () => {};
  const signalled = new Promise<string>((resolve) => {
    resolveSignal = resolve;
  });
  let handled = false;
  const handler = (signal: NodeJS.Signals) => {
    if (handled) return;
    handled = true;
    process.stdout.write(`\n${signal}: stopping everything…\n`);
    void stop(signal).finally(() => resolveSignal(signal));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signalled,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

async function scripted(args: Args, startedAt: number): Promise<number> {
  const print = (line: string) => process.stdout.write(`${line}\n`);
  print('Release Agent sandbox: one release cycle, end to end, on this machine');
  const abort = new AbortController();
  let sandbox: Sandbox | undefined;
  const signals = onSignal(async () => {
    abort.abort();
    await sandbox?.stop();
  });
  try {
    sandbox = await startSandbox({
      mode: 'scripted',
      log: print,
      secrets: secretsFromEnvironment(process.env),
      latency: args.latency,
    });
    if (abort.signal.aborted) return 130;
    print('');
    const result: CycleResult = await runCycle(sandbox, { print, signal: abort.signal });
    const timings = { ...sandbox.timings, totalMs: Date.now() - startedAt };
    if (result.summary) for (const line of formatSummary(result.summary, timings)) print(line);
    if (args.resultJson)
      writeFileSync(
        args.resultJson,
        `${JSON.stringify({ ...result, timings, workRoot: sandbox.workRoot }, null, 2)}\n`,
      );
    if (abort.signal.aborted) return 130;
    if (!result.ok) {
      process.stderr.write(
        `\nFAILED at step "${result.failedStep}": [${result.error?.code}] ${result.error?.message}\n`,
      );
      return 1;
    }
    print(`\nThe release cycle completed in ${((Date.now() - startedAt) / 1000).toFixed(1)} s.`);
    return 0;
  } catch (error) {
    if (abort.signal.aborted) return 130;
    process.stderr.write(
      `\nFAILED while starting the sandbox: ${isSandboxError(error) ? `[${error.code}] ` : ''}${error instanceof Error ? error.message : String(error)}\n`,
    );
    return 1;
  } finally {
    signals.dispose();
    await sandbox?.stop();
  }
}

async function longRunning(args: Args): Promise<number> {
  const print = (line: string) => process.stdout.write(`${line}\n`);
  const given = secretsFromEnvironment(process.env);
  let sandbox: Sandbox | undefined;
  let stopping = false;
  const signals = onSignal(async () => {
    stopping = true;
    await sandbox?.stop();
  });
  try {
    sandbox = await startInteractive({
      log: args.interactive ? print : () => {},
      secrets: given,
      hub: args.hub,
      latency: args.latency,
    });
    if (stopping) return 130;
    if (args.writeEnv) writeEnvFile(args.writeEnv, sandbox, given);
    const { urls } = sandbox;
    if (args.interactive) {
      // Closed as in production: the operator token goes to a file only this user can read, never printed.
      const operatorTokenFile = writeSecretFile('operator-token', sandbox.stack.secrets.operatorToken);
      print(
        interactiveBanner(urls, { operatorTokenFile, ...(args.writeEnv ? { writeEnv: args.writeEnv } : {}) }),
      );
      sandbox.onAgentEvent((event) => {
        if (event.type === 'step-finished' && event.step.kind === 'task' && event.step.result !== 'Skipped')
          print(`[agent] run ${event.runId} ${event.step.task} → ${event.step.message ?? event.step.result}`);
        if (event.type === 'run-started')
          print(`[agent] run ${event.runId} ${event.pipeline.name} picked up (${event.sourceBranch})`);
        if (event.type === 'approval-pending')
          print(`[azure-devops] run ${event.runId} waits for approval on ${event.environment}`);
        if (event.type === 'run-finished')
          print(`[azure-devops] run ${event.runId} ${event.pipeline.name} ${event.result}`);
      });
    } else {
      print(
        `sandbox ready: ${args.writeEnv ? `${args.writeEnv} written` : JSON.stringify(urls)}; Ctrl-C stops it`,
      );
    }
    await signals.signalled;
    return 0;
  } catch (error) {
    if (stopping) return 130;
    process.stderr.write(
      `FAILED while starting the sandbox: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return 1;
  } finally {
    signals.dispose();
    await sandbox?.stop();
  }
}

async function main(argv: string[]): Promise<number> {
  const startedAt = Date.now();
  let args: Args;
  try {
    args = parse(argv);
  } catch (error) {
    process.stderr.write(
      `${(error as Error).message}\nusage: npm start [-- --interactive | --stack-only --write-env <file>] [--result-json <file>] [--no-hub] [--latency none|real]\n`,
    );
    return 2;
  }
  if (args.stackOnly && !args.writeEnv)
    process.stderr.write('note: --stack-only without --write-env prints the URLs only\n');
  return args.interactive || args.stackOnly ? await longRunning(args) : await scripted(args, startedAt);
}

/**
 * The tasks run as the agent runs them, on Node 24 (their task.json handler), and the function app on
 * Node 22+. Started by an older Node (`node sandbox/main.ts` on a system Node 20, not `npm start`), the
 * sandbox runs itself again on the node@24 that `npm ci` installed.
 */
function reexecOnNode24(): boolean {
  if (Number(process.versions.node.split('.')[0]) >= 22) return false;
  const node24 = join(import.meta.dirname, '..', 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(node24)) {
    process.stderr.write(
      `the sandbox needs Node 22 or newer (this is ${process.version}); npm ci installs Node 24 for it\n`,
    );
    process.exit(1);
  }
  const child = spawn(node24, [...process.execArgv, process.argv[1] as string, ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  // Ctrl-C in a terminal reaches both; a signal sent to this process alone is passed on.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 130 : 1)));
  return true;
}

if (process.argv[1] && import.meta.filename === process.argv[1] && !reexecOnNode24()) {
  const code = await main(process.argv.slice(2));
  // Whatever a library left open (keep-alive sockets), nothing of ours is running any more.
  process.exit(code);
}
