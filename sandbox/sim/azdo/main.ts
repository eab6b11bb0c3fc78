// Starts the Azure DevOps simulator from the command line:
//   node --import tsx sandbox/sim/azdo/main.ts --port 8081 [--organization acme] [--project Payments]
// Credentials come from the environment, never the command line: AZDO_SIM_PAT (default sim-pat),
// AZDO_SIM_ACCESS_TOKEN (default sim-access-token); AZDO_SIM_WEBHOOK_URL with AZDO_SIM_WEBHOOK_SECRET
// (sent as X-Webhook-Secret) subscribes a web hook to every event at start. Prints one JSON line with
// the URLs, then serves until SIGINT or SIGTERM.
import { parseArgs } from 'node:util';
import { startAzureDevOpsSimulator } from './simulator.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    organization: { type: 'string', default: 'acme' },
    project: { type: 'string', default: 'Payments' },
  },
});

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  process.stderr.write(`--port must be a TCP port number, got ${values.port}\n`);
  process.exit(2);
}

const env = process.env;
const webhookUrl = env.AZDO_SIM_WEBHOOK_URL;
const sim = await startAzureDevOpsSimulator({
  port,
  host: values.host,
  organization: values.organization,
  project: values.project,
  pats: [{ token: env.AZDO_SIM_PAT || 'sim-pat' }],
  bearerTokens: [{ token: env.AZDO_SIM_ACCESS_TOKEN || 'sim-access-token' }],
  ...(webhookUrl
    ? {
        webhooks: [
          {
            url: webhookUrl,
            ...(env.AZDO_SIM_WEBHOOK_SECRET
              ? { headers: { 'X-Webhook-Secret': env.AZDO_SIM_WEBHOOK_SECRET } }
              : {}),
          },
        ],
      }
    : {}),
});
process.stdout.write(
  `${JSON.stringify({ url: sim.url, organizationUrl: sim.organizationUrl, project: sim.project.name })}\n`,
);

const shutdown = () => {
  void sim.stop().then(() => process.exit(0));
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
