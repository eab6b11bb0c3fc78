// The Store on Azure Table Storage (@azure/data-tables 13); Azurite in development and tests. Each
// table's client (azure-entity-table.ts, with the Azure SDK) is loaded on its first call: the tasks'
// bundles are split (scripts/build.ts), so a task run compiles the SDK only once it reads its state.
import type { TableServiceClientOptions } from '@azure/data-tables';
import { ReleaseAgentError } from '../../core/errors.ts';
import { COLLECTIONS, createEntityStore } from './entity-store.ts';
import type { EntityTable, TableWrapper } from './entity-table.ts';
import type { RetryPolicy } from './records.ts';
import type { Store } from './store.ts';

export interface TableStoreOptions {
  connectionString: string;
  /** Letters and digits put before every table name, so environments and test runs can share an account. */
  tablePrefix?: string;
  /** Passed to every TableClient (allowInsecureConnection is set for http endpoints such as Azurite). */
  clientOptions?: TableServiceClientOptions;
  retry?: Partial<RetryPolicy>;
  /** Decorates each table; tests use it to inject faults. */
  wrapTable?: TableWrapper;
}

export const DEFAULT_TABLE_PREFIX = 'ReleaseAgent';

export function createTableStore(options: TableStoreOptions): Store {
  const prefix = validTablePrefix(options.tablePrefix ?? DEFAULT_TABLE_PREFIX);
  checkConnectionString(options.connectionString);
  const clientOptions: TableServiceClientOptions = {
    ...(usesHttp(options.connectionString) ? { allowInsecureConnection: true } : {}),
    ...options.clientOptions,
  };
  return createEntityStore(
    (collection) => {
      const table = tableOnFirstCall(prefix + collection, () =>
        import('./azure-entity-table.ts').then(({ openAzureEntityTable }) =>
          openAzureEntityTable(options.connectionString, prefix + collection, clientOptions),
        ),
      );
      return options.wrapTable ? options.wrapTable(table) : table;
    },
    { retry: options.retry },
  );
}

/** Table names are 3–63 letters and digits starting with a letter; the longest collection name is 9. */
function validTablePrefix(prefix: string): string {
  const longest = Math.max(...COLLECTIONS.map((collection) => collection.length));
  if (!/^[A-Za-z][A-Za-z0-9]*$/.test(prefix) || prefix.length + longest > 63) {
    throw new ReleaseAgentError(
      'CONFIG_INVALID',
      `table prefix ${JSON.stringify(prefix)} must be letters and digits`,
      {
        tablePrefix: prefix,
      },
    );
  }
  return prefix;
}

/** Azurite (and any custom-port emulator) speaks http, which the SDK refuses unless told otherwise. */
function usesHttp(connectionString: string): boolean {
  return /(^|;)\s*(DefaultEndpointsProtocol=http\s*(;|$)|TableEndpoint=http:|UseDevelopmentStorage=true)/i.test(
    connectionString,
  );
}

/** A table whose client is opened on its first call (and once). */
function tableOnFirstCall(name: string, open: () => Promise<EntityTable>): EntityTable {
  let opened: Promise<EntityTable> | undefined;
  const table = () => (opened ??= open());
  return {
    name,
    get: async (partitionKey, rowKey) => (await table()).get(partitionKey, rowKey),
    create: async (partitionKey, rowKey, props) => (await table()).create(partitionKey, rowKey, props),
    replace: async (partitionKey, rowKey, props, etag) =>
      (await table()).replace(partitionKey, rowKey, props, etag),
    delete: async (partitionKey, rowKey, etag) => (await table()).delete(partitionKey, rowKey, etag),
    transact: async (partitionKey, steps) => (await table()).transact(partitionKey, steps),
    query: async (query) => (await table()).query(query),
  };
}

/**
 * The Azure SDK's rules for a connection string (TableClient.fromConnectionString), checked at once
 * because the SDK itself loads later: the development shortcut; an account key form (it names
 * DefaultEndpointsProtocol and AccountKey) with AccountName, AccountKey and either TableEndpoint or an
 * http(s) protocol plus EndpointSuffix; otherwise a shared access signature with a TableEndpoint that
 * names the account. The message names the part that is wrong, never a value: it holds the key.
 */
export function connectionStringProblem(connectionString: string): string | undefined {
  const lower = connectionString.toLowerCase();
  if (lower.includes('usedevelopmentstorage=true')) return undefined;
  const parts = new Map<string, string>();
  for (const element of connectionString.split(';')) {
    const trimmed = element.trim();
    if (!trimmed) continue;
    const at = trimmed.indexOf('=');
    // The SDK fails on such a part with a TypeError; refuse it by name instead.
    if (at < 0) return 'every part must be Name=value';
    // The first occurrence of a name counts, as in the SDK.
    const name = trimmed.slice(0, at).toLowerCase();
    if (!parts.has(name)) parts.set(name, trimmed.slice(at + 1));
  }
  const part = (name: string) => parts.get(name.toLowerCase()) ?? '';
  const tableEndpoint = part('TableEndpoint');
  if (lower.includes('defaultendpointsprotocol=') && lower.includes('accountkey=')) {
    const protocol = part('DefaultEndpointsProtocol');
    if (!tableEndpoint) {
      if (!['http', 'https'].includes(protocol.toLowerCase()))
        return 'DefaultEndpointsProtocol must be https or http';
      if (!part('EndpointSuffix')) return 'it needs a TableEndpoint or an EndpointSuffix';
    }
    if (!part('AccountName')) return 'AccountName is missing';
    if (!part('AccountKey')) return 'AccountKey is empty';
    const url = tableEndpoint || `${protocol}://${part('AccountName')}.table.${part('EndpointSuffix')}`;
    return URL.canParse(url) ? undefined : 'the table endpoint it gives is not a URL';
  }
  if (!tableEndpoint)
    return 'it needs DefaultEndpointsProtocol, AccountName and AccountKey, or TableEndpoint and SharedAccessSignature';
  if (!part('SharedAccessSignature')) return 'SharedAccessSignature is missing';
  if (!URL.canParse(tableEndpoint)) return 'TableEndpoint is not a URL';
  const endpoint = new URL(tableEndpoint);
  const account =
    endpoint.host.split('.')[1] === 'table' ? endpoint.host.split('.')[0] : endpoint.pathname.split('/')[1];
  return account ? undefined : 'TableEndpoint names no account';
}

function checkConnectionString(connectionString: string): void {
  const problem = connectionStringProblem(connectionString);
  if (problem) {
    throw new ReleaseAgentError('CONFIG_INVALID', `the storage connection string is not usable: ${problem}`, {
      setting: 'STORAGE_CONNECTION_STRING',
    });
  }
}
