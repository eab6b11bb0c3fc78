// The in-memory table must answer like Table Storage: the same checks run against Azurite and the fake.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import {
  classifyTableError,
  type EntityTable,
  type TableErrorKind,
} from '../../../adapters/store/entity-table.ts';
import { MemoryTables } from '../../../adapters/store/memory-store.ts';
import { AzureEntityTable } from '../../../adapters/store/azure-entity-table.ts';

const runId = randomBytes(4).toString('hex');
let tables = 0;

function azurite(): EntityTable {
  const connectionString = process.env.AZURE_STORAGE_CONNECTION_STRING_TEST;
  assert.ok(connectionString, 'the global fixture sets AZURE_STORAGE_CONNECTION_STRING_TEST');
  const client = TableClient.fromConnectionString(connectionString, `et${runId}n${++tables}`, {
    allowInsecureConnection: true,
  });
  return new AzureEntityTable(client);
}

const memory = (): EntityTable => new MemoryTables().table(`et${++tables}`);

const failsAs = (kind: TableErrorKind) => (error: unknown) => {
  assert.equal(classifyTableError(error), kind, String(error));
  return true;
};

for (const [name, open] of [
  ['Azurite', azurite],
  ['memory', memory],
] as const) {
  describe(`Entity table rules: ${name}`, () => {
    it('creates once (409), replaces and deletes only with the current ETag (412), 404 when gone', async () => {
      const table = open();
      const etag = await table.create('p', 'r', { a: '1' });
      await assert.rejects(table.create('p', 'r', { a: '2' }), failsAs('exists'));
      const etag2 = await table.replace('p', 'r', { a: '2' }, etag);
      assert.notEqual(etag2, etag);
      await assert.rejects(table.replace('p', 'r', { a: '3' }, etag), failsAs('changed'));
      await assert.rejects(table.delete('p', 'r', etag), failsAs('changed'));
      assert.deepEqual(await table.get('p', 'r'), {
        partitionKey: 'p',
        rowKey: 'r',
        etag: etag2,
        props: { a: '2' },
      });
      await table.delete('p', 'r', etag2);
      assert.equal(await table.get('p', 'r'), undefined);
      await assert.rejects(table.replace('p', 'r', { a: '4' }, etag2), failsAs('missing'));
    });

    it('applies a transaction entirely or not at all', async () => {
      const table = open();
      const etag = await table.create('p', 'staging', { a: '1' });
      await assert.rejects(
        table.transact('p', [
          { action: 'create', rowKey: 'v1', props: { a: 'x' } },
          { action: 'replace', rowKey: 'staging', props: { a: 'y' }, etag: 'W/"stale"' },
        ]),
        failsAs('changed'),
      );
      await assert.rejects(
        table.transact('p', [
          { action: 'create', rowKey: 'v1', props: { a: 'x' } },
          { action: 'create', rowKey: 'staging', props: { a: 'y' } },
        ]),
        failsAs('exists'),
      );
      assert.equal(await table.get('p', 'v1'), undefined);
      await table.transact('p', [
        { action: 'create', rowKey: 'v1', props: { a: 'x' } },
        { action: 'replace', rowKey: 'staging', props: { a: 'y' }, etag },
      ]);
      assert.equal((await table.get('p', 'v1'))?.props.a, 'x');
      assert.equal((await table.get('p', 'staging'))?.props.a, 'y');
    });

    it('refuses forbidden key characters, over-long keys and over-long strings', async () => {
      const table = open();
      for (const key of ['a/b', 'a\\b', 'a#b', 'a?b', 'a\u0001b', 'x'.repeat(513)]) {
        await assert.rejects(table.create(key, 'r', { a: '1' }), failsAs('other'), JSON.stringify(key));
      }
      await assert.rejects(table.create('p', 'long', { a: 'a'.repeat(32_769) }), failsAs('too_large'));
      await table.create('p', 'limit', { a: 'a'.repeat(32_768) });
    });

    it('queries in key order by partition, row-key prefix and property equality, with a limit', async () => {
      const table = open();
      await table.create('b', 't|2', { repo: "it's" });
      await table.create('a', 't|1', { repo: 'x' });
      await table.create('a', 'k|1', { repo: 'x' });
      await table.create('a', 't|0', { repo: "it's" });
      const keys = async (query: Parameters<EntityTable['query']>[0]) =>
        (await table.query(query)).map((entity) => `${entity.partitionKey}/${entity.rowKey}`);
      assert.deepEqual(await keys({}), ['a/k|1', 'a/t|0', 'a/t|1', 'b/t|2']);
      assert.deepEqual(await keys({ partitionKey: 'a', rowKeyPrefix: 't|' }), ['a/t|0', 'a/t|1']);
      assert.deepEqual(await keys({ rowKeyPrefix: 't|', where: { repo: "it's" } }), ['a/t|0', 'b/t|2']);
      assert.deepEqual(await keys({ rowKeyPrefix: 't|', limit: 2 }), ['a/t|0', 'a/t|1']);
    });
  });
}
