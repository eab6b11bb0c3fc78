import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from './ports.ts';

/** Azurite's fixed development account (public, documented by Microsoft). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface RunningAzurite {
  tablePort: number;
  queuePort: number;
  /** A connection string for @azure/data-tables and @azure/storage-queue (custom ports: allowInsecureConnection). */
  connectionString: string;
  stop(): Promise<void>;
}

export function azuriteConnectionString(tablePort: number, queuePort: number, host = '127.0.0.1'): string {
  return (
    `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};` +
    `TableEndpoint=http://${host}:${tablePort}/${AZURITE_ACCOUNT};` +
    `QueueEndpoint=http://${host}:${queuePort}/${AZURITE_ACCOUNT};`
  );
}

/**
 * Starts Azurite's Table and Queue services in memory on free loopback ports, telemetry off.
 * One child process per service, so a crash in one is visible on its own.
 */
export async function startAzurite(): Promise<RunningAzurite> {
  const require = createRequire(import.meta.url);
  const azuriteDir = join(require.resolve('azurite/package.json'), '..');
  const workDir = mkdtempSync(join(tmpdir(), 'azurite-'));
  const [tablePort, queuePort] = [await freePort(), await freePort()];
  const children: ChildProcess[] = [];
  const exited: Promise<never>[] = [];
  const common = ['--inMemoryPersistence', '--disableTelemetry', '--skipApiVersionCheck', '--silent'];
  const launch = (script: string, args: string[]) => {
    const child = spawn(process.execPath, [join(azuriteDir, 'dist/src', script), ...common, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      cwd: workDir,
    });
    exited.push(
      new Promise<never>((_, reject) =>
        child.once('exit', (code) =>
          reject(new Error(`azurite ${script} exited with ${code} before listening: ${stderr}`)),
        ),
      ),
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    children.push(child);
  };
  launch('table/main.js', ['--tableHost', '127.0.0.1', '--tablePort', String(tablePort)]);
  launch('queue/main.js', ['--queueHost', '127.0.0.1', '--queuePort', String(queuePort)]);
  const stop = async () => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 3000).unref();
          }),
      ),
    );
    rmSync(workDir, { recursive: true, force: true });
  };
  try {
    await Promise.race([Promise.all([waitForPort(tablePort), waitForPort(queuePort)]), ...exited]);
  } catch (error) {
    await stop();
    throw error;
  }
  return { tablePort, queuePort, connectionString: azuriteConnectionString(tablePort, queuePort), stop };
}
