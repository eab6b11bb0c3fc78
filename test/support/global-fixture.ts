// Mocha global fixture: one real Azurite (Table + Queue, in memory) for the whole run.
// Suites read its connection string from AZURE_STORAGE_CONNECTION_STRING_TEST.
import { type RunningAzurite, startAzurite } from '../../sandbox/azurite.ts';

let azurite: RunningAzurite | undefined;

export async function mochaGlobalSetup(): Promise<void> {
  azurite = await startAzurite();
  process.env.AZURE_STORAGE_CONNECTION_STRING_TEST = azurite.connectionString;
}

export async function mochaGlobalTeardown(): Promise<void> {
  await azurite?.stop();
}
