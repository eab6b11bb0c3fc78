// An EntityTable on one Azure table through @azure/data-tables 13 (Azurite in development and tests).
// Loaded by table-store.ts on a table's first call, so a task compiles the Azure SDK only once it
// touches its state.
import {
  TableClient,
  type TableEntityResult,
  type TableServiceClientOptions,
  type TransactionAction,
} from '@azure/data-tables';
import {
  classifyTableError,
  type EntityProps,
  type EntityQuery,
  type EntityTable,
  type StoredEntity,
  type TransactionStep,
  tableErrorCode,
} from './entity-table.ts';
import { prefixUpperBound } from './keys.ts';

/** Create-table calls by table URL: once per process per table (a failed one is tried again). */
const ensuredTables = new Map<string, Promise<void>>();

const SYSTEM_PROPERTIES = new Set(['partitionKey', 'rowKey', 'etag', 'timestamp', 'odata.metadata']);

/** The table `tableName` of the account a connection string names. */
export function openAzureEntityTable(
  connectionString: string,
  tableName: string,
  options: TableServiceClientOptions,
): AzureEntityTable {
  return new AzureEntityTable(TableClient.fromConnectionString(connectionString, tableName, options));
}

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
