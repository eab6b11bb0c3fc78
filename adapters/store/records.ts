// Records on rows of one EntityTable: reads, optimistic read-modify-write, and create-if-absent, with
// the rules every collection shares. Each logical write carries a random change id; when a write's
// outcome is uncertain (lost response, or a 409/412 that may answer our own retried request), the row is
// re-read and a change id of ours in its history means the write landed.
import { randomUUID } from 'node:crypto';
import { ReleaseAgentError } from '../../core/errors.ts';
import { backoffDelay, type RetryPolicy } from '../http/retry.ts';
import { asciiIndexValue, changesOf, changesProps, decodeValue, encodeValue } from './codec.ts';
import {
  classifyTableError,
  type EntityProps,
  type EntityQuery,
  type EntityTable,
  type StoredEntity,
  type TableErrorKind,
  type TransactionStep,
} from './entity-table.ts';

// The one retry-policy shape (adapters/http/retry.ts): attempts, a total time, full-jitter backoff.
export type { RetryPolicy };

/** Writes tried per logical change before STORE_CONFLICT; full jitter keeps racing writers apart. */
export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 40,
  maxTotalMs: 60_000,
  baseDelayMs: 10,
  maxDelayMs: 500,
};

/** Where a record lives, and how errors name it. */
export interface RowAddress {
  partitionKey: string;
  rowKey: string;
  /** The caller's identifier (repo, id, …) for messages and error fields. */
  key: string;
}

export interface StoredRecord<T> {
  /** Undefined for a row that holds no record (a tombstone). */
  value: T | undefined;
  etag: string;
  changes: string[];
  props: EntityProps;
}

export class RecordTable {
  /** The row each value read was decoded from, so a write based on that read can skip reading again. */
  private readonly readFrom = new WeakMap<object, StoredRecord<unknown>>();

  constructor(
    readonly table: EntityTable,
    readonly retry: RetryPolicy,
  ) {}

  async read<T>(at: RowAddress): Promise<StoredRecord<T> | undefined> {
    const entity = await this.table.get(at.partitionKey, at.rowKey);
    const record = entity && toRecord<T>(entity);
    if (record?.value !== undefined && typeof record.value === 'object' && record.value !== null)
      this.readFrom.set(record.value, record);
    return record;
  }

  /** The stored record `value` was read from (by `read` on this table), if it still is known. */
  recordOf<T>(value: T | undefined): StoredRecord<T> | undefined {
    return typeof value === 'object' && value !== null
      ? (this.readFrom.get(value) as StoredRecord<T> | undefined)
      : undefined;
  }

  async list<T>(query: EntityQuery): Promise<T[]> {
    const entities = await this.table.query({ ...query, where: query.where && asciiIndex(query.where) });
    return entities.flatMap((entity) => {
      const value = decodeValue<T>(entity.props);
      return value === undefined ? [] : [value];
    });
  }

  /** The properties of a write: index properties, the record's JSON, and the change history. */
  rowProps(
    at: RowAddress,
    value: unknown,
    index: EntityProps,
    changeId: string,
    previous: readonly string[] = [],
  ) {
    return {
      ...asciiIndex(index),
      ...encodeValue(value, { table: this.table.name, key: at.key }),
      ...changesProps(changeId, previous),
    };
  }

  /**
   * Optimistic read-modify-write: read with its ETag, apply the pure transition, write conditionally;
   * on 409/412/404 or an uncertain outcome re-read (recognising our own landed write) and re-apply.
   * `known` (a record the caller just read) stands in for the first read: if it is out of date, the
   * conditional write fails with 412 and the loop reads afresh.
   */
  async mutate<T>(
    at: RowAddress,
    transition: (current: T | undefined) => T | undefined,
    index: (value: T) => EntityProps,
    known?: StoredRecord<T>,
  ): Promise<T | undefined> {
    const changeId = randomUUID();
    let lastError: unknown;
    const started = Date.now();
    let attempts = 0;
    for (let attempt = 1; attempt <= this.retry.maxAttempts; attempt++) {
      attempts = attempt;
      const stored = attempt === 1 && known ? known : await this.read<T>(at);
      if (stored?.changes.includes(changeId)) return stored.value;
      const next = transition(stored?.value);
      if (next === undefined) return stored?.value;
      const props = this.rowProps(at, next, index(next), changeId, stored?.changes);
      try {
        if (stored) await this.table.replace(at.partitionKey, at.rowKey, props, stored.etag);
        else await this.table.create(at.partitionKey, at.rowKey, props);
        return next;
      } catch (error) {
        this.recoverable(error, at);
        lastError = error;
        if (!(await this.pause(attempt, started))) break;
      }
    }
    // The last attempt may have landed even though its answer was lost.
    const stored = await this.read<T>(at);
    if (stored?.changes.includes(changeId)) return stored.value;
    throw this.exhausted(at, lastError, attempts);
  }

  /** Create-if-absent: ours when created, else whatever is stored under the key. */
  async createOnce<T>(
    at: RowAddress,
    value: T,
    index: EntityProps,
  ): Promise<{ created: boolean; stored: T }> {
    const changeId = randomUUID();
    const props = this.rowProps(at, value, index, changeId);
    return this.insertOnce(at, value, changeId, () => this.table.create(at.partitionKey, at.rowKey, props));
  }

  /**
   * Create-if-absent of a record under its key row plus a copy under an index row (e.g. newest-first),
   * both in one partition and one transaction, so neither exists without the other.
   */
  async createIndexedOnce<T>(
    at: RowAddress,
    indexRowKey: string,
    value: T,
    index: EntityProps,
  ): Promise<{ created: boolean; stored: T }> {
    const changeId = randomUUID();
    const props = this.rowProps(at, value, index, changeId);
    const steps: TransactionStep[] = [
      { action: 'create', rowKey: at.rowKey, props },
      { action: 'create', rowKey: indexRowKey, props },
    ];
    return this.insertOnce(at, value, changeId, () => this.table.transact(at.partitionKey, steps));
  }

  private async insertOnce<T>(
    at: RowAddress,
    value: T,
    changeId: string,
    insert: () => Promise<unknown>,
  ): Promise<{ created: boolean; stored: T }> {
    let lastError: unknown;
    const started = Date.now();
    let attempts = 0;
    for (let attempt = 1; attempt <= this.retry.maxAttempts; attempt++) {
      attempts = attempt;
      try {
        await insert();
        return { created: true, stored: value };
      } catch (error) {
        this.recoverable(error, at);
        lastError = error;
      }
      // 409, or no answer: what is there now decides. Our change id there = our insert landed.
      const stored = await this.read<T>(at);
      if (stored?.value !== undefined)
        return { created: stored.changes.includes(changeId), stored: stored.value };
      if (!(await this.pause(attempt, started))) break;
    }
    throw this.exhausted(at, lastError, attempts);
  }

  /** Throws what must not be retried (mapping size limits to STORE_VALUE_TOO_LARGE); returns the kind otherwise. */
  recoverable(error: unknown, at: RowAddress): TableErrorKind {
    const kind = classifyTableError(error);
    if (kind === 'too_large') {
      throw new ReleaseAgentError(
        'STORE_VALUE_TOO_LARGE',
        `${this.table.name} ${at.key}: the service refused the record as too large`,
        { table: this.table.name, key: at.key },
        { cause: error },
      );
    }
    if (kind === 'other') throw error;
    return kind;
  }

  /**
   * Waits before attempt `attempt + 1`; false (without waiting) once that wait would end past the
   * policy's total time since `started`: the caller stops and reports what it has.
   */
  async pause(attempt: number, started: number): Promise<boolean> {
    const ms = backoffDelay(attempt, this.retry, Math.random());
    if (Date.now() - started + ms > this.retry.maxTotalMs) return false;
    if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
    return true;
  }

  /** Conflicts that never settled → STORE_CONFLICT; a transport that kept failing → its own error. */
  exhausted(at: RowAddress, lastError: unknown, attempts = this.retry.maxAttempts): unknown {
    if (classifyTableError(lastError) === 'uncertain') return lastError;
    return new ReleaseAgentError(
      'STORE_CONFLICT',
      `${this.table.name} ${at.key}: still changing after ${attempts} attempts`,
      { table: this.table.name, key: at.key, attempts },
      { cause: lastError },
    );
  }
}

/** Index properties are stored (and filtered) in ASCII form, like the data (see codec.ts). */
function asciiIndex(props: EntityProps): EntityProps {
  return Object.fromEntries(Object.entries(props).map(([name, value]) => [name, asciiIndexValue(value)]));
}

function toRecord<T>(entity: StoredEntity): StoredRecord<T> {
  return {
    value: decodeValue<T>(entity.props),
    etag: entity.etag,
    changes: changesOf(entity.props),
    props: entity.props,
  };
}
