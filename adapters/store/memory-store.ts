// The Store in memory, for tests and the sandbox. It runs the same store logic as the Azure adapter over
// an in-memory table that answers like the service: ETags bumped on every write, 409/412/404 as
// RestErrors with the service's codes, and the key, property and entity limits enforced.
import { RestError } from '@azure/data-tables';
import { createEntityStore } from './entity-store.ts';
import type {
  EntityProps,
  EntityQuery,
  EntityTable,
  StoredEntity,
  TableWrapper,
  TransactionStep,
} from './entity-table.ts';
import { MAX_KEY_LENGTH } from './keys.ts';
import type { RetryPolicy } from './records.ts';
import type { Store } from './store.ts';

export interface MemoryStoreOptions {
  /** Share one between stores to simulate several processes on one account. */
  tables?: MemoryTables;
  tablePrefix?: string;
  retry?: Partial<RetryPolicy>;
  wrapTable?: TableWrapper;
}

export function createMemoryStore(options: MemoryStoreOptions = {}): Store {
  const tables = options.tables ?? new MemoryTables();
  const prefix = options.tablePrefix ?? 'ReleaseAgent';
  return createEntityStore(
    (collection) => {
      const table = tables.table(prefix + collection);
      return options.wrapTable ? options.wrapTable(table) : table;
    },
    { retry: options.retry },
  );
}

/** Service limits (Azure Table Storage). */
export const MAX_PROPERTIES = 252;
export const MAX_STRING_CHARS = 32_768;
export const MAX_ENTITY_BYTES = 1024 * 1024;
const MAX_BATCH_STEPS = 100;

interface MemoryRow {
  props: EntityProps;
  etag: string;
}

/** An in-memory storage account: named tables of partitions of rows. */
export class MemoryTables {
  private readonly tables = new Map<string, MemoryEntityTable>();
  private writes = 0;

  table(name: string): MemoryEntityTable {
    let table = this.tables.get(name);
    if (!table) {
      table = new MemoryEntityTable(name, () => `W/"${++this.writes}"`);
      this.tables.set(name, table);
    }
    return table;
  }
}

export class MemoryEntityTable implements EntityTable {
  private readonly partitions = new Map<string, Map<string, MemoryRow>>();

  constructor(
    readonly name: string,
    private readonly nextEtag: () => string,
  ) {}

  async get(partitionKey: string, rowKey: string): Promise<StoredEntity | undefined> {
    checkKeys(partitionKey, rowKey);
    const row = this.row(partitionKey, rowKey);
    return row && { partitionKey, rowKey, etag: row.etag, props: { ...row.props } };
  }

  async create(partitionKey: string, rowKey: string, props: EntityProps): Promise<string> {
    this.checkCreate(partitionKey, rowKey, props);
    return this.put(partitionKey, rowKey, props);
  }

  async replace(partitionKey: string, rowKey: string, props: EntityProps, etag: string): Promise<string> {
    this.checkReplace(partitionKey, rowKey, props, etag);
    return this.put(partitionKey, rowKey, props);
  }

  async delete(partitionKey: string, rowKey: string, etag: string): Promise<void> {
    checkKeys(partitionKey, rowKey);
    this.checkEtag(partitionKey, rowKey, etag);
    this.partitions.get(partitionKey)?.delete(rowKey);
  }

  async transact(partitionKey: string, steps: TransactionStep[]): Promise<void> {
    if (steps.length === 0 || steps.length > MAX_BATCH_STEPS) {
      throw serviceError(400, 'InvalidInput', `a batch holds 1 to ${MAX_BATCH_STEPS} operations`);
    }
    if (new Set(steps.map((step) => step.rowKey)).size !== steps.length) {
      throw serviceError(400, 'InvalidDuplicateRow', 'a batch touches each row at most once');
    }
    // Check every step before applying any: all or nothing, failing with the first bad step.
    steps.forEach((step, index) => {
      try {
        if (step.action === 'create') this.checkCreate(partitionKey, step.rowKey, step.props);
        else this.checkReplace(partitionKey, step.rowKey, step.props, step.etag);
      } catch (error) {
        if (error instanceof RestError) error.message = `${index}:${error.message}`;
        throw error;
      }
    });
    for (const step of steps) this.put(partitionKey, step.rowKey, step.props);
  }

  async query(query: EntityQuery): Promise<StoredEntity[]> {
    const found: StoredEntity[] = [];
    const partitionKeys = [...this.partitions.keys()].sort(compare);
    for (const partitionKey of partitionKeys) {
      if (query.partitionKey !== undefined && partitionKey !== query.partitionKey) continue;
      const rows = this.partitions.get(partitionKey) ?? new Map<string, MemoryRow>();
      for (const rowKey of [...rows.keys()].sort(compare)) {
        const row = rows.get(rowKey)!;
        if (query.rowKeyPrefix && !rowKey.startsWith(query.rowKeyPrefix)) continue;
        if (!Object.entries(query.where ?? {}).every(([name, value]) => row.props[name] === value)) continue;
        if (found.length >= (query.limit ?? Number.POSITIVE_INFINITY)) return found;
        found.push({ partitionKey, rowKey, etag: row.etag, props: { ...row.props } });
      }
    }
    return found;
  }

  private row(partitionKey: string, rowKey: string): MemoryRow | undefined {
    return this.partitions.get(partitionKey)?.get(rowKey);
  }

  private put(partitionKey: string, rowKey: string, props: EntityProps): string {
    let partition = this.partitions.get(partitionKey);
    if (!partition) {
      partition = new Map();
      this.partitions.set(partitionKey, partition);
    }
    const etag = this.nextEtag();
    partition.set(rowKey, { props: { ...props }, etag });
    return etag;
  }

  private checkCreate(partitionKey: string, rowKey: string, props: EntityProps): void {
    checkEntity(partitionKey, rowKey, props);
    if (this.row(partitionKey, rowKey)) {
      throw serviceError(409, 'EntityAlreadyExists', 'The specified entity already exists.');
    }
  }

  private checkReplace(partitionKey: string, rowKey: string, props: EntityProps, etag: string): void {
    checkEntity(partitionKey, rowKey, props);
    this.checkEtag(partitionKey, rowKey, etag);
  }

  private checkEtag(partitionKey: string, rowKey: string, etag: string): void {
    const row = this.row(partitionKey, rowKey);
    if (!row) throw serviceError(404, 'ResourceNotFound', 'The specified resource does not exist.');
    if (etag !== '*' && etag !== row.etag) {
      throw serviceError(
        412,
        'UpdateConditionNotSatisfied',
        'The update condition specified in the request was not satisfied.',
      );
    }
  }
}

// Forbidden in keys: / \ # ? and the control characters U+0000–U+001F, U+007F–U+009F.
const FORBIDDEN_KEY_CHARS = /[/\\#?\u0000-\u001f\u007f-\u009f]/;

function checkKeys(partitionKey: string, rowKey: string): void {
  for (const key of [partitionKey, rowKey]) {
    if (key.length > MAX_KEY_LENGTH || FORBIDDEN_KEY_CHARS.test(key)) {
      throw serviceError(400, 'InvalidInput', 'An error occurred while processing this request.');
    }
  }
}

/** Sizes as the service counts them: UTF-16 strings, 8 bytes per property plus its name. */
function checkEntity(partitionKey: string, rowKey: string, props: EntityProps): void {
  checkKeys(partitionKey, rowKey);
  const entries = Object.entries(props);
  if (entries.length > MAX_PROPERTIES)
    throw serviceError(400, 'TooManyProperties', 'The entity has too many properties.');
  let bytes = 4 + (partitionKey.length + rowKey.length) * 2;
  for (const [name, value] of entries) {
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,254}$/.test(name)) {
      throw serviceError(400, 'PropertyNameInvalid', `The property name ${name} is invalid.`);
    }
    if (value.length > MAX_STRING_CHARS) {
      throw serviceError(
        400,
        'PropertyValueTooLarge',
        'The property value exceeds the maximum allowed size (64KB).',
      );
    }
    bytes += 8 + name.length * 2 + 4 + value.length * 2;
  }
  if (bytes > MAX_ENTITY_BYTES) throw serviceError(400, 'EntityTooLarge', 'The entity is larger than 1 MB.');
}

/** Errors shaped like the SDK's: statusCode, and the service code in details.odataError.code. */
function serviceError(statusCode: number, code: string, message: string): RestError {
  const error = new RestError(message, { statusCode, code });
  error.details = { odataError: { code, message: { lang: 'en-US', value: message } } };
  return error;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
