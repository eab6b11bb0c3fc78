// The least a durable Slack acknowledgement can do, as issue-level reference for the click ack: a bare
// Node HTTP server (no function host) that checks the signature over the raw body, inserts one Table
// entity and sends one queue message through the same Azure SDKs, then answers 200. Started by
// bench/ack-floor.ts, bundled like the function app; tells its parent its port over IPC.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import { verifySlackSignature } from '../core/slack-signature.ts';

const connectionString = process.env.FLOOR_STORAGE_CONNECTION_STRING ?? '';
const signingSecret = process.env.FLOOR_SLACK_SIGNING_SECRET ?? '';
const suffix = randomUUID().replaceAll('-', '').slice(0, 12);
const table = TableClient.fromConnectionString(connectionString, `AckFloor${suffix}`, {
  allowInsecureConnection: true,
});
const queue = new QueueClient(connectionString, `ack-floor-${suffix}`);

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    void (async () => {
      const rawBody = Buffer.concat(chunks);
      const verified = verifySlackSignature({
        signingSecret,
        timestamp: request.headers['x-slack-request-timestamp'],
        signature: request.headers['x-slack-signature'],
        rawBody,
        nowSeconds: Math.floor(Date.now() / 1000),
      });
      if (!verified.ok) return response.writeHead(401).end();
      const id = randomUUID();
      // Insert-if-absent is the single-shot write; the message is the effect for a worker.
      await table.createEntity({ partitionKey: 'click', rowKey: id, status: 'approved' });
      await queue.sendMessage(Buffer.from(JSON.stringify({ id })).toString('base64'));
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    })().catch(() => {
      if (!response.headersSent) response.writeHead(500).end();
    });
  });
});
void (async () => {
  await table.createTable();
  await queue.createIfNotExists();
  server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
})().catch((error: unknown) => {
  process.send?.({ failed: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
process.on('disconnect', () => process.exit(0));
