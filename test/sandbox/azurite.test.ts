import assert from 'node:assert/strict';
import { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';

describe('Azurite global fixture', () => {
  const connectionString = () => {
    const value = process.env.AZURE_STORAGE_CONNECTION_STRING_TEST;
    assert.ok(value, 'the global fixture sets AZURE_STORAGE_CONNECTION_STRING_TEST');
    return value;
  };

  it('serves Table Storage: an entity written is read back', async () => {
    const table = TableClient.fromConnectionString(connectionString(), 'fixturecheck', {
      allowInsecureConnection: true,
    });
    await table.createTable();
    await table.upsertEntity({ partitionKey: 'p', rowKey: 'r', value: 42 });
    const entity = await table.getEntity<{ value: number }>('p', 'r');
    assert.equal(entity.value, 42);
  });

  it('serves Queue Storage: a message sent is received', async () => {
    const queue = new QueueClient(connectionString().replace(/TableEndpoint=[^;]+;/, ''), 'fixturecheck');
    await queue.createIfNotExists();
    await queue.sendMessage('hello');
    const received = await queue.receiveMessages();
    assert.equal(received.receivedMessageItems[0]?.messageText, 'hello');
  });
});
