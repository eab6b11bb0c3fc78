// Imports the Python release agent's state into Table Storage (docs/import.md):
//   node --import tsx import/cli.ts --from postgres [--dsn <dsn>] [--dry-run] [--overwrite]
//   node --import tsx import/cli.ts --from json --source <dir> [--dry-run] [--overwrite]
// Exit codes: 0 all imported (or already there), 1 rows skipped, 2 usage/source/target error, 3 bug.
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { openJsonSource } from './sources/json-source.ts';
import { openPostgresSource, parseDsn } from './sources/postgres-source.ts';
import type { ImportSource } from './sources/source.ts';
import type { EntityTable } from '../adapters/store/entity-table.ts';
import { createTableStore, DEFAULT_TABLE_PREFIX } from '../adapters/store/table-store.ts';
import { configSchema } from '../core/config.ts';
import { isReleaseAgentError, ReleaseAgentError } from '../core/errors.ts';
import { redact } from '../core/secret.ts';
import { formatReport, importExitCode, importState, progressPrinter } from './import-state.ts';

export const USAGE = `Import the state of the Python release agent into Table Storage.

Usage:
  npm run import -- --from postgres [--dsn <postgresql://user:password@host:port/db>] [options]
  npm run import -- --from json --source <folder of release JSON files> [options]

Options:
  --from postgres|json    where the state comes from
  --dsn <dsn>             the Python agent's database (default: env POSTGRES_DSN; prefer the
                          variable: a password on the command line is visible to other users)
  --source <dir>          release files, one JSON file per release
  --storage <conn>        Table Storage connection string (default: env STORAGE_CONNECTION_STRING,
                          then AzureWebJobsStorage)
  --table-prefix <name>   table name prefix (default ${DEFAULT_TABLE_PREFIX})
  --jira-base-url <url>   ticket links in rendered release notes (default: env JIRA_BASE_URL;
                          none: keys without links)
  --dry-run               report what would be written; write nothing
  --overwrite             replace threads and staging releases that differ (never archived releases)
  -h, --help              this text

Exit codes: 0 every row imported or already there; 1 some rows skipped (invalid or conflicting);
2 usage error, or the source or Table Storage cannot be used; 3 unexpected failure.
`;

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Record<string, string | undefined>;
}

const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
};

class UsageError extends Error {}

const OPTIONS = {
  from: { type: 'string' },
  dsn: { type: 'string' },
  source: { type: 'string' },
  storage: { type: 'string' },
  'table-prefix': { type: 'string' },
  'jira-base-url': { type: 'string' },
  'dry-run': { type: 'boolean' },
  overwrite: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  // Every secret seen so far: whatever is printed passes through redact first.
  const secrets: string[] = [];
  const out = (text: string) => io.stdout(redact(text, secrets));
  const err = (text: string) => io.stderr(redact(text, secrets));
  let source: ImportSource | undefined;
  try {
    const options = readOptions(argv, io.env, secrets);
    if (options === 'help') {
      out(USAGE);
      return 0;
    }
    source =
      options.from === 'postgres'
        ? await openPostgresSource({ dsn: options.dsn })
        : await openJsonSource({ directory: options.source });
    const store = createTableStore({
      connectionString: options.storage,
      tablePrefix: options.tablePrefix,
      // Belt and braces: a dry run's store cannot write even if the flow tried.
      ...(options.dryRun ? { wrapTable: readOnly } : {}),
    });
    const target = `${storageName(options.storage)} (tables ${options.tablePrefix}*)`;
    await store.threads.get('release-agent-import-preflight').catch((error: unknown) => {
      throw new ReleaseAgentError('SERVICE_NETWORK', `cannot use ${target}: ${shortMessage(error)}`);
    });
    const report = await importState(
      source,
      { store, onProgress: progressPrinter((line) => err(line)) },
      { dryRun: options.dryRun, overwrite: options.overwrite, jiraBaseUrl: options.jiraBaseUrl },
    );
    out(formatReport(report, target));
    return importExitCode(report);
  } catch (error) {
    if (error instanceof UsageError) {
      err(`error: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    // Expected failures: one line, no stack.
    if (isReleaseAgentError(error)) {
      err(`error: ${error.message} (${error.code})\n`);
      return 2;
    }
    // The Table Storage SDK's errors (after its own retries): the target is unusable, not a bug here.
    if (error instanceof Error && error.name === 'RestError') {
      err(`error: Table Storage failed: ${shortMessage(error)}\n`);
      return 2;
    }
    err(
      `error: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return 3;
  } finally {
    await source?.close();
  }
}

interface CliOptions {
  from: 'postgres' | 'json';
  dsn: string;
  source: string;
  storage: string;
  tablePrefix: string;
  jiraBaseUrl: string;
  dryRun: boolean;
  overwrite: boolean;
}

function parseOptions(argv: string[]) {
  return parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false });
}

function readOptions(argv: string[], env: CliIo['env'], secrets: string[]): CliOptions | 'help' {
  let values: ReturnType<typeof parseOptions>['values'];
  try {
    ({ values } = parseOptions(argv));
  } catch (error) {
    // parseArgs quotes a stray argument, which may be a DSN with its password: never echo it.
    if ((error as { code?: string }).code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      throw new UsageError(
        'unexpected argument: every value follows its option (--dsn <dsn>, --source <dir>)',
      );
    }
    throw new UsageError(shortMessage(error).replace(/=\S*/g, '=…'));
  }
  if (values.help) return 'help';

  const dsn = values.dsn ?? env.POSTGRES_DSN ?? '';
  const storage = values.storage ?? (env.STORAGE_CONNECTION_STRING?.trim() || env.AzureWebJobsStorage || '');
  if (dsn) secrets.push(dsn, ...parseDsnSecrets(dsn));
  if (storage) secrets.push(storage, ...storageSecrets(storage));

  if (values.from !== 'postgres' && values.from !== 'json') {
    throw new UsageError(
      values.from === undefined
        ? '--from is required'
        : `--from must be postgres or json, not ${JSON.stringify(values.from)}`,
    );
  }
  if (values.from === 'postgres') {
    if (values.source !== undefined) throw new UsageError('--source goes with --from json');
    if (!dsn) throw new UsageError('--from postgres needs --dsn (or POSTGRES_DSN)');
  } else {
    if (values.dsn !== undefined) throw new UsageError('--dsn goes with --from postgres');
    if (!values.source) throw new UsageError('--from json needs --source <folder>');
  }
  if (!storage) {
    throw new UsageError(
      'no Table Storage: give --storage or set STORAGE_CONNECTION_STRING (or AzureWebJobsStorage)',
    );
  }
  if (!/(^|;)\s*(AccountName|TableEndpoint|UseDevelopmentStorage)\s*=/i.test(storage)) {
    throw new UsageError(
      'the Table Storage connection string has no AccountName, TableEndpoint or UseDevelopmentStorage',
    );
  }
  const tablePrefix = values['table-prefix'] ?? DEFAULT_TABLE_PREFIX;
  if (!/^[A-Za-z][A-Za-z0-9]{0,50}$/.test(tablePrefix)) {
    throw new UsageError(
      `--table-prefix must be letters and digits starting with a letter, not ${JSON.stringify(tablePrefix)}`,
    );
  }
  const jira = configSchema.shape.JIRA_BASE_URL.safeParse(values['jira-base-url'] ?? env.JIRA_BASE_URL);
  if (!jira.success) throw new UsageError('--jira-base-url (or JIRA_BASE_URL) must be an http(s) URL');
  return {
    from: values.from,
    dsn,
    source: values.source ?? '',
    storage,
    tablePrefix,
    jiraBaseUrl: jira.data,
    dryRun: values['dry-run'] ?? false,
    overwrite: values.overwrite ?? false,
  };
}

function parseDsnSecrets(dsn: string): string[] {
  try {
    return parseDsn(dsn).secrets;
  } catch {
    return [];
  }
}

/** The account key and SAS of a connection string. */
function storageSecrets(connectionString: string): string[] {
  const found: string[] = [];
  for (const part of connectionString.split(';')) {
    const match = /^\s*(AccountKey|SharedAccessSignature)\s*=(.+)$/i.exec(part);
    if (match?.[2]) found.push(match[2].trim());
    const sig = /[?&]sig=([^&;]+)/.exec(part);
    if (sig?.[1]) found.push(sig[1]);
  }
  return found;
}

/** The account or endpoint, never the key. */
function storageName(connectionString: string): string {
  const field = (name: string) =>
    new RegExp(`(?:^|;)\\s*${name}\\s*=([^;]+)`, 'i').exec(connectionString)?.[1]?.trim();
  const endpoint = field('TableEndpoint');
  if (endpoint) return `Table Storage at ${endpoint.replace(/\?.*$/, '')}`;
  if (/UseDevelopmentStorage\s*=\s*true/i.test(connectionString))
    return 'Table Storage (development storage)';
  return `Table Storage account ${field('AccountName') ?? '(unnamed)'}`;
}

function shortMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}

const WRITE_REFUSED = 'dry run: the store is read-only';

function readOnly(table: EntityTable): EntityTable {
  const refuse = async (): Promise<never> => {
    throw new Error(WRITE_REFUSED);
  };
  return {
    name: table.name,
    get: (partitionKey, rowKey) => table.get(partitionKey, rowKey),
    query: (query) => table.query(query),
    create: refuse,
    replace: refuse,
    delete: refuse,
    transact: refuse,
  };
}

function invokedDirectly(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return pathToFileURL(realpathSync(entry)).href === import.meta.url;
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  process.exitCode = await main(process.argv.slice(2));
}
