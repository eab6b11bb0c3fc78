// `npm run functions`: the function app on the local host against Azurite and the simulators of the
// sandbox stack (fresh credentials), wired as in production: the Slack simulator sends button presses
// to the app, Azure DevOps sends its service hooks with the shared secret. Prints the URLs and runs
// until Ctrl-C or SIGTERM, then stops everything it started.
import { parseArgs } from 'node:util';
import { answerHelp, runCommand } from '../scripts/cli.ts';
import { startAgentHost } from './functions-host.ts';
import { writeSecretFile } from './secret-file.ts';
import { SANDBOX_ALLOWED_USERS, startStack } from './stack.ts';

const USAGE = `usage: npm run functions [-- --port <port>] [--poll-seconds <seconds>]
  --port           the function app's HTTP port (default: PORT from the environment, else 7071)
  --poll-seconds   the PR poller's interval (default 30)
Starts Azurite, the simulators and the function app; prints the URLs; Ctrl-C stops everything.`;

const argv = process.argv.slice(2);
answerHelp(argv, USAGE);
await runCommand(main);

async function main(): Promise<number> {
  let values: { port?: string; 'poll-seconds'?: string };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { port: { type: 'string' }, 'poll-seconds': { type: 'string' } },
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const portText = values.port ?? process.env.PORT ?? '7071';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    process.stderr.write(
      `${values.port ? '--port' : 'PORT'}=${portText} is not a port number (0 to 65535)\n`,
    );
    return 2;
  }
  const pollSeconds = values['poll-seconds'] ?? '30';
  const REPO = 'Billo.Platform.Payment';
  const stack = await startStack({
    pipelines: [
      { id: 11, name: 'pr-validation' },
      { id: 21, name: 'payment-release' },
    ],
  });
  let host: Awaited<ReturnType<typeof startAgentHost>> | undefined;
  try {
    stack.azdo.seedRepository({ name: REPO, defaultBranch: 'main', branches: ['develop'] });
    const env = stack.functionEnv({
      WATCHED_REPOS: REPO,
      PR_POLL_ENABLED: 'true',
      PR_POLL_INTERVAL_SECONDS: pollSeconds,
      PR_PIPELINE_ID: '11',
      RELEASE_PIPELINE_BY_REPO: `${REPO}=21`,
    });
    host = await startAgentHost({
      env,
      port,
      queue: { pollIntervalMs: 250, retryDelaySeconds: 10 },
      timers: 'interval',
    });
    stack.slack.setInteractionsUrl(`${host.apiUrl}/slack/interactions`);
    stack.azdo.addWebhook({
      url: `${host.apiUrl}/azdo/events`,
      headers: { 'X-Webhook-Secret': stack.secrets.webhookSecret },
    });
  } catch (error) {
    await host?.stop();
    await stack.stop();
    throw error;
  }

  const running = host;
  // Closed as in production: the operator token goes to a file only this user can read.
  const tokenFile = writeSecretFile('operator-token', stack.secrets.operatorToken);
  console.log(`Release Agent function app (local host)
  API            ${running.apiUrl}   (try ${running.apiUrl}/status)
  Slack channel  ${stack.slack.url}/   (the cards; its buttons call ${running.apiUrl}/slack/interactions)
  Azure DevOps   ${stack.azdo.organizationUrl}/${stack.azdo.project.name}   (repo ${REPO}, service hooks → ${running.apiUrl}/azdo/events)
  Jira           ${stack.jira.url}
  Storage        Azurite (tables ${stack.tablePrefix}*, queue release-agent-work)
  Operator API   X-Operator-Token from ${tokenFile} (mode 0600), e.g.
                 curl -H "X-Operator-Token: $(cat ${tokenFile})" ${running.apiUrl}/approvals/pending
  Who decides    GATE_ALLOWED_USERS=${SANDBOX_ALLOWED_USERS}
                 (the Slack page's people, the hub user, the operator token)
Ctrl-C stops everything.`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping…`);
    await running.stop();
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  return 0;
}
