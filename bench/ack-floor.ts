// Starts bench/ack-floor-child.ts (the least a durable acknowledgement can do) in its own process on
// the benchmark's Azurite, and gives its URL.
import { type ChildProcess, spawn } from 'node:child_process';
import { signSlackRequest } from '../core/slack-signature.ts';
import { bundleBenchChild } from './host-rig.ts';
import type { PreparedRequest } from './load.ts';

/** How far above the floor an ack's p99 under a burst may be: it does only what the gate needs, in storage. */
export const FLOOR_FACTOR = 1.5;

export interface AckFloor {
  url: string;
  stop(): Promise<void>;
}

export async function startAckFloor(
  storageConnectionString: string,
  signingSecret: string,
): Promise<AckFloor> {
  const file = await bundleBenchChild('ack-floor-child');
  const child: ChildProcess = spawn(process.execPath, [file], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    // Through the environment, never the command line.
    env: {
      PATH: process.env.PATH ?? '',
      FLOOR_STORAGE_CONNECTION_STRING: storageConnectionString,
      FLOOR_SLACK_SIGNING_SECRET: signingSecret,
    },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  type Started = { port?: number; failed?: string };
  const started = await Promise.race<Started>([
    new Promise<Started>((resolve) => child.once('message', resolve)),
    exited.then((): Started => ({ failed: `exited (${child.exitCode})` })),
  ]);
  if (!started.port) {
    child.kill('SIGKILL');
    throw new Error(`the minimal ack server did not start: ${started.failed ?? 'no port'}`);
  }
  return {
    url: `http://127.0.0.1:${started.port}/slack/interactions`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

/** A signed minimal click (a small body of each request's own) for the minimal ack server. */
export function floorRequest(signingSecret: string): (url: string, index: number) => PreparedRequest {
  return (url, index) => {
    const body = `payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions', index }))}`;
    const timestamp = Math.floor(Date.now() / 1000);
    return {
      url,
      init: {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-slack-request-timestamp': String(timestamp),
          'x-slack-signature': signSlackRequest(signingSecret, timestamp, body),
        },
        body,
      },
    };
  };
}
