// Shared by the import suites: the Azurite store per test, a raw snapshot of its tables, the CLI.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { TableClient } from '@azure/data-tables';
import { COLLECTIONS } from '../../adapters/store/entity-store.ts';
import type { Store } from '../../adapters/store/store.ts';
import { createTableStore } from '../../adapters/store/table-store.ts';
import type { CliIo } from '../../import/cli.ts';

export const REPO_ROOT = join(import.meta.dirname, '..', '..');
export const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'python-agent');
export const JIRA = 'https://jira.example';

export function azuriteConnectionString(): string {
  const value = process.env.AZURE_STORAGE_CONNECTION_STRING_TEST;
  assert.ok(value, 'the global fixture sets AZURE_STORAGE_CONNECTION_STRING_TEST');
  return value;
}

// A run id keeps this run's tables apart from other suites and runs on the shared Azurite.
const runId = randomBytes(4).toString('hex');
let prefixes = 0;

export function uniquePrefix(): string {
  return `imp${runId}n${++prefixes}`;
}

export function tableStore(tablePrefix: string): Store {
  return createTableStore({ connectionString: azuriteConnectionString(), tablePrefix });
}

export interface RawEntity {
  partitionKey: string;
  rowKey: string;
  etag: string;
  props: Record<string, unknown>;
}

/** Every entity of every table under the prefix, ETags included: equal snapshots mean nothing was written. */
export async function snapshot(tablePrefix: string): Promise<Record<string, RawEntity[]>> {
  const tables: Record<string, RawEntity[]> = {};
  for (const collection of COLLECTIONS) {
    const client = TableClient.fromConnectionString(azuriteConnectionString(), tablePrefix + collection, {
      allowInsecureConnection: true,
    });
    const rows: RawEntity[] = [];
    try {
      for await (const {
        partitionKey = '',
        rowKey = '',
        etag,
        timestamp: _timestamp,
        ...props
      } of client.listEntities()) {
        rows.push({ partitionKey, rowKey, etag, props });
      }
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 404) throw error;
    }
    tables[collection] = rows;
  }
  return tables;
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI as users run it: `node --import tsx import/cli.ts …` in a child process. */
export function runCliProcess(args: string[], env: Record<string, string>): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'import', 'cli.ts'), ...args], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** An in-process CliIo that records what is printed. */
export function capturingIo(env: Record<string, string | undefined>): CliIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    env,
    stdout(text: string) {
      io.out += text;
    },
    stderr(text: string) {
      io.err += text;
    },
  };
  return io;
}
