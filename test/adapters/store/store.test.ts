import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { TableServiceClientOptions } from '@azure/data-tables';
import { createMemoryStore, MemoryTables } from '../../../adapters/store/memory-store.ts';
import { createTableStore } from '../../../adapters/store/table-store.ts';
import { runStoreContract } from './store.contract.ts';

type PipelinePolicy = NonNullable<TableServiceClientOptions['additionalPolicies']>[number]['policy'];

const connectionString = () => {
  const value = process.env.AZURE_STORAGE_CONNECTION_STRING_TEST;
  assert.ok(value, 'the global fixture sets AZURE_STORAGE_CONNECTION_STRING_TEST');
  return value;
};

// Tables are per store: a run id plus a counter keeps runs and tests apart on the shared Azurite.
const runId = randomBytes(4).toString('hex');
let stores = 0;
const nextPrefix = () => `st${runId}n${++stores}`;

runStoreContract('Azure Table Storage (Azurite)', (options = {}) =>
  createTableStore({ connectionString: connectionString(), tablePrefix: nextPrefix(), ...options }),
);

runStoreContract('memory', (options = {}) => createMemoryStore(options));

describe('Table store wiring', () => {
  it('creates each table once per process, on first use', async () => {
    const tableCreations: string[] = [];
    const countCreateTable: PipelinePolicy = {
      name: 'countCreateTable',
      sendRequest: (request, next) => {
        if (request.method === 'POST' && /\/Tables(\?|$)/.test(request.url)) tableCreations.push(request.url);
        return next(request);
      },
    };
    const tablePrefix = nextPrefix();
    const open = () =>
      createTableStore({
        connectionString: connectionString(),
        tablePrefix,
        clientOptions: { additionalPolicies: [{ policy: countCreateTable, position: 'perCall' }] },
      });
    const store = open();
    assert.equal(tableCreations.length, 0, 'nothing is created before first use');
    await Promise.all([
      store.inbox.claim('a', 60, new Date()),
      store.inbox.claim('b', 60, new Date()),
      store.threads.get('t-1'),
      store.threads.get('t-2'),
    ]);
    await open().inbox.claim('c', 60, new Date());
    assert.equal(tableCreations.length, 2, 'Inbox and Threads, once each');
  });

  it('refuses a table prefix that is not letters and digits', () => {
    assert.throws(
      () => createTableStore({ connectionString: connectionString(), tablePrefix: 'bad-prefix' }),
      (error: unknown) => (error as { code?: string }).code === 'CONFIG_INVALID',
    );
  });

  it('memory stores sharing one account see each other, like two processes on one storage account', async () => {
    const tables = new MemoryTables();
    const [one, two] = [createMemoryStore({ tables }), createMemoryStore({ tables })];
    assert.equal(await one.inbox.claim('evt', 60, new Date()), true);
    assert.equal(await two.inbox.claim('evt', 60, new Date()), false);
  });
});
