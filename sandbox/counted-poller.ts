// The poller's dependencies as the function app builds them from its settings (no Slack card step),
// over a store whose Table calls are counted: for the benchmark and the test that hold a poll cycle to
// a number of Azure DevOps requests and Table operations.
import { RestAzureDevOps } from '../adapters/azdo/rest-azdo.ts';
import { createTableStore } from '../adapters/store/table-store.ts';
import { systemClock } from '../adapters/system-clock.ts';
import { loadConfig } from '../core/config.ts';
import { Secret } from '../core/secret.ts';
import { settingsFromConfig, silentLogger } from '../flows/agent-deps.ts';
import { pollOnce } from '../flows/poller.ts';
import type { Stack } from './stack.ts';
import { TableCounter } from './table-counter.ts';

/** `cycle` runs one poll cycle; `counter` then holds that cycle's Table calls. `azdo` is its client. */
export function countedPoller(
  stack: Stack,
  options: { connectionString: string; tablePrefix: string; env: Record<string, string> },
): { counter: TableCounter; azdo: RestAzureDevOps; cycle: (id: string) => ReturnType<typeof pollOnce> } {
  const counter = new TableCounter();
  const azdo = new RestAzureDevOps({
    organizationUrl: stack.azdo.organizationUrl,
    project: stack.azdo.project.name,
    auth: { kind: 'pat', token: new Secret(stack.secrets.azdoPat) },
  });
  const deps = {
    store: createTableStore({
      connectionString: options.connectionString,
      tablePrefix: options.tablePrefix,
      wrapTable: counter.wrap,
    }),
    azdo,
    slack: undefined,
    channel: undefined,
    now: systemClock.now,
    log: silentLogger,
    settings: settingsFromConfig(loadConfig(stack.functionEnv(options.env))),
  };
  return {
    counter,
    azdo,
    cycle: async (id) => {
      counter.reset();
      return await pollOnce(deps, id);
    },
  };
}
