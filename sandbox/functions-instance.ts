// One instance of the function app in a process of its own, for tests that run several instances on
// one storage account as Azure does when it scales the app out. Its app settings come as JSON on stdin
// (they hold secrets: never on the command line); it prints `ready <url>` once it serves, runs its
// timers every RA_TIMER_INTERVAL_MS (default 1000) and its queue trigger, and stops on SIGTERM.
import { startAgentHost } from './functions-host.ts';

const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const env = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, string>;
const timerIntervalMs = Number(process.env.RA_TIMER_INTERVAL_MS ?? '1000');

const host = await startAgentHost({
  env,
  queue: { pollIntervalMs: 40, retryDelaySeconds: 0, leaseSeconds: 30 },
  timers: 'interval',
  timerIntervalMs,
  // Each instance's timer is meant to run here, also while the other's runs: the flows must hold up.
  timerLock: process.env.RA_TIMER_LOCK === 'off' ? 'off' : 'storage',
  log: (entry) => {
    if (process.env.FUNCTIONS_TEST_LOG)
      process.stderr.write(`[${entry.level}] [${entry.functionName}] ${entry.message}\n`);
  },
});
process.stdout.write(`ready ${host.url}\n`);
const stop = async () => {
  await host.stop();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
