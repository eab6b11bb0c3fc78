// The narrow slice of Table Storage the store is written against. Azure (table-store.ts) and memory
// (memory-store.ts) implement it with the same rules: conditional writes by ETag, 409/412/404 as the
// service answers them, key and size limits. Tests wrap it to inject faults.

/** Every property the store writes is a string: no Edm typing surprises in filters or round-trips. */
export type EntityProps = Record<string, string>;

export interface StoredEntity {
  partitionKey: string;
  rowKey: string;
  etag: string;
  props: EntityProps;
}

/** One step of an atomic batch within one partition (Azure can only make updates conditional in a batch). */
export type TransactionStep =
  | { action: 'create'; rowKey: string; props: EntityProps }
  | { action: 'replace'; rowKey: string; props: EntityProps; etag: string };

export interface EntityQuery {
  partitionKey?: string;
  rowKeyPrefix?: string;
  /** Equality on string properties; a row without the property does not match. */
  where?: EntityProps;
  limit?: number;
}

export interface EntityTable {
  /** The table's full name (prefix included). */
  readonly name: string;
  get(partitionKey: string, rowKey: string): Promise<StoredEntity | undefined>;
  /** Insert; 409 when the row exists. Resolves to the new ETag. */
  create(partitionKey: string, rowKey: string, props: EntityProps): Promise<string>;
  /** Replace if the ETag still matches; 412 when it does not, 404 when the row is gone. */
  replace(partitionKey: string, rowKey: string, props: EntityProps, etag: string): Promise<string>;
  /** Delete if the ETag still matches; 412 / 404 as for replace. */
  delete(partitionKey: string, rowKey: string, etag: string): Promise<void>;
  /** All steps or none; fails with the status of the first failing step. */
  transact(partitionKey: string, steps: TransactionStep[]): Promise<void>;
  /** Rows in PartitionKey, RowKey order. */
  query(query: EntityQuery): Promise<StoredEntity[]>;
}

/** Decorates a table (tests use it to inject concurrent writes and lost responses). */
export type TableWrapper = (table: EntityTable) => EntityTable;

/**
 * What a failed table call means for the caller:
 * exists (409), changed (412), missing (404): the row moved under us, re-read and re-apply;
 * uncertain: the request may or may not have been applied (no response, timeout, 408, 5xx);
 * too_large: a size limit; other: a bug or a misconfiguration, not retried.
 */
export type TableErrorKind = 'exists' | 'changed' | 'missing' | 'uncertain' | 'too_large' | 'other';

const TOO_LARGE_CODES = new Set([
  'PropertyValueTooLarge',
  'EntityTooLarge',
  'RequestBodyTooLarge',
  'TooManyProperties',
]);

interface RestErrorShape {
  name?: string;
  statusCode?: number;
  code?: string;
  details?: { odataError?: { code?: string } };
}

/** The service's error code: in `details.odataError.code` for single calls, in `code` for batch sub-responses. */
export function tableErrorCode(error: unknown): string | undefined {
  const shape = error as RestErrorShape | undefined;
  return shape?.details?.odataError?.code ?? shape?.code;
}

export function classifyTableError(error: unknown): TableErrorKind {
  if (!(error instanceof Error)) return 'other';
  const { statusCode, name } = error as RestErrorShape;
  const code = tableErrorCode(error);
  if (statusCode === undefined) {
    // No HTTP answer: connection reset, DNS, socket timeout, abort. The request may have landed.
    return name === 'RestError' || name === 'AbortError' || name === 'TimeoutError' ? 'uncertain' : 'other';
  }
  if (statusCode === 409)
    return code === 'TableAlreadyExists' || code === 'TableBeingDeleted' ? 'other' : 'exists';
  if (statusCode === 412) return 'changed';
  if (statusCode === 404) return code === 'TableNotFound' ? 'other' : 'missing';
  if (statusCode === 413 || (statusCode === 400 && code !== undefined && TOO_LARGE_CODES.has(code))) {
    return 'too_large';
  }
  if (statusCode === 408 || statusCode >= 500) return 'uncertain';
  return 'other';
}
