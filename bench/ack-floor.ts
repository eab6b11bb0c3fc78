// Starts bench/ack-floor-child.ts (the least a durable acknowledgement can do) in its own process on
// the benchmark's Azurite, and gives its URL.
import { type ChildProcess, spawn } from 'node:child_process';
import { bundleBenchChild } from './host-rig.ts';

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
