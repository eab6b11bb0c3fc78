// The Jira simulator from the command line:
//   node --import tsx sandbox/sim/jira/main.ts --port 8081 [--host 127.0.0.1] [--email a@b.c] [--project ALLPOST]...
// The API token comes from JIRA_SIM_API_TOKEN (never from the command line), else the simulator's default.
import { parseArgs } from 'node:util';
import { startJiraSimulator } from './jira-simulator.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    email: { type: 'string' },
    project: { type: 'string', multiple: true },
  },
});

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`--port must be a TCP port number, got "${values.port}"`);
  process.exit(2);
}

const simulator = await startJiraSimulator({
  port,
  host: values.host,
  ...(values.email ? { email: values.email } : {}),
  ...(process.env.JIRA_SIM_API_TOKEN ? { apiToken: process.env.JIRA_SIM_API_TOKEN } : {}),
  ...(values.project?.length ? { projects: values.project } : {}),
});
console.log(`jira simulator listening on ${simulator.url} (account ${simulator.email})`);

const stop = async () => {
  await simulator.stop();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
