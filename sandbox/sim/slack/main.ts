// The Slack simulator from the command line:
//   node --import tsx sandbox/sim/slack/main.ts --port 3010 --interactions-url http://127.0.0.1:7071/api/slack/interactions \
//     --signing-secret-env SLACK_SIGNING_SECRET
// Secrets come from environment variables named on the command line, never from the command line itself.
import { parseArgs } from 'node:util';
import { type SlackSimulatorOptions, startSlackSimulator } from './slack-simulator.ts';

const USAGE = `usage: main.ts [--port N] [--host 127.0.0.1] [--interactions-url URL]
  [--signing-secret-env NAME (default SLACK_SIGNING_SECRET)] [--bot-token-env NAME (default SLACK_BOT_TOKEN)]
  [--webhook-path-env NAME] [--channel ID:NAME ...] [--rate-limit N/MS]`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      'interactions-url': { type: 'string' },
      'signing-secret-env': { type: 'string', default: 'SLACK_SIGNING_SECRET' },
      'bot-token-env': { type: 'string', default: 'SLACK_BOT_TOKEN' },
      'webhook-path-env': { type: 'string' },
      channel: { type: 'string', multiple: true },
      'rate-limit': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new Error(`--port must be a port number\n${USAGE}`);

  const options: SlackSimulatorOptions = { port, host: values.host };
  const signingSecret = process.env[values['signing-secret-env']];
  if (signingSecret) options.signingSecret = signingSecret;
  const botToken = process.env[values['bot-token-env']];
  if (botToken) options.botToken = botToken;
  if (values['webhook-path-env']) {
    const webhookPath = process.env[values['webhook-path-env']];
    if (!webhookPath) throw new Error(`${values['webhook-path-env']} is not set`);
    options.webhookPath = webhookPath;
  }
  if (values['interactions-url']) options.interactionsUrl = values['interactions-url'];
  if (values.channel) {
    options.channels = values.channel.map((spec) => {
      const [id, name] = spec.split(':', 2);
      if (!id || !name) throw new Error(`--channel expects ID:NAME, got "${spec}"`);
      return { id, name };
    });
  }
  if (values['rate-limit']) {
    const match = /^(\d+)\/(\d+)$/.exec(values['rate-limit']);
    if (!match)
      throw new Error('--rate-limit expects N/MS, e.g. 1/1000 for one message per second per channel');
    options.rateLimit = { limit: Number(match[1]), windowMs: Number(match[2]) };
  }
  if (options.interactionsUrl && !options.signingSecret) {
    console.warn(
      `warning: ${values['signing-secret-env']} is not set: button presses cannot be signed and will not be sent`,
    );
  }

  const sim = await startSlackSimulator(options);
  console.log(`slack simulator: ${sim.url}/ (page)`);
  console.log(`  web api:     ${sim.apiUrl}`);
  // A webhook path read from the environment is a secret: name where it came from instead.
  const webhook = values['webhook-path-env']
    ? `${sim.url}/services/… (path from ${values['webhook-path-env']})`
    : sim.webhookUrl;
  console.log(`  webhook:     ${webhook}`);
  console.log(`  interactions → ${options.interactionsUrl ?? '(none)'}`);
  const stop = () => {
    sim.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error((error as Error).message);
  process.exit(1);
});
