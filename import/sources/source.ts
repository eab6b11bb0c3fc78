// The import source port: the Python release agent's state, table by table. Two adapters: its
// PostgreSQL database (postgres-source.ts) and release files exported as JSON (json-source.ts).
import type { ReleaseRow, SourceTable, ThreadRow } from '../mapping.ts';

/** A row to map, or something the source could not even read as a row (a file that is not JSON). */
export type SourceItem<Row> = { row: Row } | { unreadable: { table: string; key: string; reason: string } };

export interface ImportSource {
  /** Where the rows come from, safe to print (never a password). */
  readonly description: string;
  /** Rows in the table, for progress; undefined when unknown. */
  count(table: SourceTable): Promise<number | undefined>;
  threads(): AsyncIterable<SourceItem<ThreadRow>>;
  stagingReleases(): AsyncIterable<SourceItem<ReleaseRow>>;
  archivedReleases(): AsyncIterable<SourceItem<ReleaseRow>>;
  close(): Promise<void>;
}
