// The Store on Azure Table Storage (@azure/data-tables 13); Azurite in development and tests.
import {
  TableClient,
  type TableEntityResult,
  type TableServiceClientOptions,
  type TransactionAction,
} from '@azure/data-tables';
import { ReleaseAgentError } from '../../core/errors.ts';
import { COLLECTIONS, createEntityStore } from './entity-store.ts';
import {
  classifyTableError,
  type EntityProps,
  type EntityQuery,
  type EntityTable,
  type StoredEntity,
  type TableWrapper,
  type TransactionStep,
  tableErrorCode,
} from './entity-table.ts';
import { prefixUpperBound } from './keys.ts';
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
  const clientOptions: TableServiceClientOptions = {
    ...(usesHttp(options.connectionString) ? { allowInsecureConnection: true } : {}),
    ...options.clientOptions,
  };
  return createEntityStore(
    (collection) => {
      const client = TableClient.fromConnectionString(
        options.connectionString,
        prefix + collection,
        clientOptions,
      );
      const table = new AzureEntityTable(client);
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

/** Create-table calls by table URL: once per process per table (a failed one is tried again). */
const ensuredTables = new Map<string, Promise<void>>();

const SYSTEM_PROPERTIES = new Set(['partitionKey', 'rowKey', 'etag', 'timestamp', 'odata.metadata']);

export class AzureEntityTable implements EntityTable {
  constructor(private readonly client: TableClient) {}

  get name(): string {
    return this.client.tableName;
  }

  async get(partitionKey: string, rowKey: string): Promise<StoredEntity | undefined> {
    await this.ready();
    try {
      return toStoredEntity(await this.client.getEntity<EntityProps>(partitionKey, rowKey));
    } catch (error) {
      if (classifyTableError(error) === 'missing') return undefined;
      throw error;
    }
  }

  async create(partitionKey: string, rowKey: string, props: EntityProps): Promise<string> {
    await this.ready();
    const response = await this.client.createEntity({ ...props, partitionKey, rowKey });
    return response.etag ?? '';
  }

  async replace(partitionKey: string, rowKey: string, props: EntityProps, etag: string): Promise<string> {
    await this.ready();
    const response = await this.client.updateEntity({ ...props, partitionKey, rowKey }, 'Replace', { etag });
    return response.etag ?? '';
  }

  async delete(partitionKey: string, rowKey: string, etag: string): Promise<void> {
    await this.ready();
    await this.client.deleteEntity(partitionKey, rowKey, { etag });
  }

  async transact(partitionKey: string, steps: TransactionStep[]): Promise<void> {
    await this.ready();
    const actions = steps.map((step): TransactionAction => {
      const entity = { ...step.props, partitionKey, rowKey: step.rowKey };
      return step.action === 'create'
        ? ['create', entity]
        : ['update', entity, 'Replace', { etag: step.etag }];
    });
    await this.client.submitTransaction(actions);
  }

  async query(query: EntityQuery): Promise<StoredEntity[]> {
    await this.ready();
    const filter = toFilter(query);
    const entities = this.client.listEntities<EntityProps>(filter ? { queryOptions: { filter } } : {});
    const found: StoredEntity[] = [];
    const limit = query.limit ?? Number.POSITIVE_INFINITY;
    if (limit <= 0) return found;
    for await (const page of entities.byPage({ maxPageSize: Math.min(limit, 1000) })) {
      for (const entity of page) {
        if (found.length >= limit) return found;
        found.push(toStoredEntity(entity));
      }
      if (found.length >= limit) return found;
    }
    return found;
  }

  private ready(): Promise<void> {
    const url = `${this.client.url}/${this.client.tableName}`;
    let ready = ensuredTables.get(url);
    if (!ready) {
      ready = this.client.createTable().catch((error: unknown) => {
        if (tableErrorCode(error) === 'TableAlreadyExists') return;
        ensuredTables.delete(url);
        throw error;
      });
      ensuredTables.set(url, ready);
    }
    return ready;
  }
}

function toStoredEntity(entity: TableEntityResult<EntityProps>): StoredEntity {
  const props: EntityProps = {};
  for (const [name, value] of Object.entries(entity)) {
    if (!SYSTEM_PROPERTIES.has(name) && typeof value === 'string') props[name] = value;
  }
  return { partitionKey: entity.partitionKey ?? '', rowKey: entity.rowKey ?? '', etag: entity.etag, props };
}

/** An OData filter from the structured query; every comparison is on strings. */
function toFilter(query: EntityQuery): string | undefined {
  const clauses: string[] = [];
  if (query.partitionKey !== undefined) clauses.push(`PartitionKey eq ${quote(query.partitionKey)}`);
  if (query.rowKeyPrefix) {
    clauses.push(
      `RowKey ge ${quote(query.rowKeyPrefix)}`,
      `RowKey lt ${quote(prefixUpperBound(query.rowKeyPrefix))}`,
    );
  }
  for (const [name, value] of Object.entries(query.where ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`not a property name: ${name}`);
    clauses.push(`${name} eq ${quote(value)}`);
  }
  return clauses.length > 0 ? clauses.join(' and ') : undefined;
}

function quote(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
