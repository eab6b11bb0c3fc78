// Importing the Python release agent's state: source port → pure mapping → store port. Archived
// releases first (staging is checked against them), then staging releases, then threads with their
// pending decisions. Every record is compared with what is stored before anything is written, so a
// second run writes nothing; a difference is a conflict, reported and left alone unless `overwrite`
// (archived releases are immutable even then). Rows that cannot be mapped are reported with their key.
import { isDeepStrictEqual } from 'node:util';
import { systemClock } from '../adapters/system-clock.ts';
import type { ImportSource, SourceItem } from './sources/source.ts';
import type { Store } from '../adapters/store/store.ts';
import { type ErrorCode, isReleaseAgentError, ReleaseAgentError } from '../core/errors.ts';
import { createDecision, supersede } from '../core/gates.ts';
import {
  type ImportedThread,
  type MappingOptions,
  mapArchivedRow,
  mapStagingRow,
  mapThreadRow,
  type ReleaseRow,
  type RowResult,
  type SourceTable,
  shownValue,
  type ThreadRow,
} from './mapping.ts';
import type { ArchivedRelease, Decision, StagingRelease, Thread } from '../core/model.ts';
import { decisionIdFor, randomNonce } from '../flows/gate-requests.ts';

export type ImportCollection = 'archived' | 'staging' | 'threads' | 'decisions';

/** Report order and labels. */
export const COLLECTION_LABELS: Readonly<Record<ImportCollection, string>> = {
  archived: 'archived releases',
  staging: 'staging releases',
  threads: 'threads',
  decisions: 'pending decisions',
};

export interface CollectionCounts {
  read: number;
  /** Written new (dry run: would be). */
  created: number;
  /** Replaced a different stored record, with `overwrite` (dry run: would be). */
  overwritten: number;
  unchanged: number;
  /** Different from what is stored and left alone (kept or immutable). */
  conflicts: number;
  /** Rows that could not be imported (bad values, duplicates, refused by the store). */
  invalid: number;
}

export interface ImportConflict {
  collection: ImportCollection;
  key: string;
  reason: string;
  /**
   * kept: left alone, `overwrite` would replace it; immutable: left alone even with `overwrite` (archived
   * releases, staging for an archived version, a decision of another thread); overwritten: replaced.
   */
  outcome: 'kept' | 'immutable' | 'overwritten';
}

export interface ImportProblem {
  table: string;
  key: string;
  code: ErrorCode;
  message: string;
}

export interface ImportReport {
  source: string;
  dryRun: boolean;
  overwrite: boolean;
  counts: Record<ImportCollection, CollectionCounts>;
  conflicts: ImportConflict[];
  problems: ImportProblem[];
}

export interface ImportProgress {
  table: SourceTable;
  done: number;
  total: number | undefined;
  counts: CollectionCounts;
}

export interface ImportStateOptions extends MappingOptions {
  dryRun?: boolean;
  overwrite?: boolean;
  /** Rows in flight at once (default 8): Table Storage round trips dominate. */
  concurrency?: number;
}

export interface ImportStateDeps {
  store: Pick<Store, 'threads' | 'decisions' | 'staging' | 'releases'>;
  /** Decision nonces (tests inject a fixed one). */
  nonce?: () => string;
  /** When an overwrite supersedes a stale decision. */
  now?: () => Date;
  onProgress?: (progress: ImportProgress) => void;
}

/** Store errors that belong to one record (a key or value the service refuses): reported, the run goes on. */
const ROW_LEVEL_CODES: ReadonlySet<ErrorCode> = new Set([
  'STORE_KEY_INVALID',
  'STORE_VALUE_TOO_LARGE',
  'INPUT_INVALID',
  'RELEASE_ARCHIVED',
  'STORE_CONFLICT',
]);

export async function importState(
  source: ImportSource,
  deps: ImportStateDeps,
  options: ImportStateOptions,
): Promise<ImportReport> {
  const run = new ImportRun(source, deps, options);
  await run.archived();
  await run.staging();
  await run.threads();
  return run.report();
}

/** Rows that did not make it into the store: invalid ones and conflicts left alone. */
export function skippedRows(report: ImportReport): number {
  return (
    report.problems.length + report.conflicts.filter((conflict) => conflict.outcome !== 'overwritten').length
  );
}

/** 0 when every row is imported or already there, 1 when any row was skipped. */
export function importExitCode(report: ImportReport): 0 | 1 {
  return skippedRows(report) > 0 ? 1 : 0;
}

function emptyCounts(): CollectionCounts {
  return { read: 0, created: 0, overwritten: 0, unchanged: 0, conflicts: 0, invalid: 0 };
}

class ImportRun {
  private readonly counts: Record<ImportCollection, CollectionCounts> = {
    archived: emptyCounts(),
    staging: emptyCounts(),
    threads: emptyCounts(),
    decisions: emptyCounts(),
  };
  private readonly conflicts: ImportConflict[] = [];
  private readonly problems: ImportProblem[] = [];
  /** repo → its archived releases by version, as stored before this run wrote anything. */
  private readonly storedArchives = new Map<string, Promise<Map<string, ArchivedRelease>>>();
  /** `repo\0version` of every archived release in the source → its row key. */
  private readonly sourceArchives = new Map<string, string>();
  private readonly dryRun: boolean;
  private readonly overwrite: boolean;

  constructor(
    private readonly source: ImportSource,
    private readonly deps: ImportStateDeps,
    private readonly options: ImportStateOptions,
  ) {
    this.dryRun = options.dryRun ?? false;
    this.overwrite = options.overwrite ?? false;
  }

  report(): ImportReport {
    const order = Object.keys(COLLECTION_LABELS);
    const byKey =
      <T extends { key: string }>(rank: (item: T) => number) =>
      (a: T, b: T) =>
        rank(a) - rank(b) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
    const tableOrder = ['release_files', 'archived_releases', 'staging_releases', 'agent_threads'];
    return {
      source: this.source.description,
      dryRun: this.dryRun,
      overwrite: this.overwrite,
      counts: this.counts,
      conflicts: [...this.conflicts].sort(byKey((conflict) => order.indexOf(conflict.collection))),
      problems: [...this.problems].sort(byKey((problem) => tableOrder.indexOf(problem.table))),
    };
  }

  async archived(): Promise<void> {
    await this.pass(
      'archived_releases',
      'archived',
      this.source.archivedReleases(),
      async (row: ReleaseRow) => {
        const mapped = mapArchivedRow(row, this.options);
        const release = this.mapped('archived_releases', 'archived', mapped);
        if (!release) return;
        const identity = `${release.repo}\u0000${release.version}`;
        if (this.duplicate('archived_releases', 'archived', this.sourceArchives, identity, mapped.key))
          return;
        await this.importArchived(release, mapped.key);
      },
    );
  }

  async staging(): Promise<void> {
    const seen = new Map<string, string>();
    await this.pass('staging_releases', 'staging', this.source.stagingReleases(), async (row: ReleaseRow) => {
      const mapped = mapStagingRow(row);
      const staging = this.mapped('staging_releases', 'staging', mapped);
      if (!staging) return;
      if (this.duplicate('staging_releases', 'staging', seen, staging.repo, mapped.key)) return;
      await this.importStaging(staging, mapped.key);
    });
  }

  async threads(): Promise<void> {
    const seen = new Map<string, string>();
    await this.pass('agent_threads', 'threads', this.source.threads(), async (row: ThreadRow) => {
      const mapped = mapThreadRow(row, this.options);
      const imported = this.mapped('agent_threads', 'threads', mapped);
      if (!imported) return;
      if (this.duplicate('agent_threads', 'threads', seen, imported.thread.id, mapped.key)) return;
      await this.importThread(imported, mapped.key);
    });
  }

  /** One table: rows in flight `concurrency` at a time, progress after each, row-level store errors reported. */
  private async pass<Row>(
    table: SourceTable,
    collection: ImportCollection,
    items: AsyncIterable<SourceItem<Row>>,
    work: (row: Row) => Promise<void>,
  ): Promise<void> {
    const counts = this.counts[collection];
    const total = await this.source.count(table);
    let done = 0;
    const tick = () => {
      done += 1;
      this.deps.onProgress?.({ table, done, total, counts });
    };
    const guarded = async (item: SourceItem<Row>) => {
      counts.read += 1;
      if ('unreadable' in item) {
        counts.invalid += 1;
        const { table: itemTable, key, reason } = item.unreadable;
        this.problems.push({
          table: itemTable,
          key,
          code: 'IMPORT_ROW_INVALID',
          message: `${itemTable} [${key}]: ${reason}`,
        });
        return;
      }
      try {
        await work(item.row);
      } catch (error) {
        if (!isReleaseAgentError(error) || !ROW_LEVEL_CODES.has(error.code)) throw error;
        counts.invalid += 1;
        const key = (error.fields.rowKey as string | undefined) ?? 'unknown';
        this.problems.push({ table, key, code: error.code, message: `${table} [${key}]: ${error.message}` });
      }
    };
    await forEachConcurrently(items, this.options.concurrency ?? 8, async (item) => {
      await guarded(item);
      tick();
    });
  }

  private mapped<T>(table: SourceTable, collection: ImportCollection, result: RowResult<T>): T | undefined {
    if (result.ok) return result.value;
    this.counts[collection].invalid += 1;
    this.problems.push({
      table,
      key: result.key,
      code: result.problem.code,
      message: result.problem.message,
    });
    return undefined;
  }

  /** The same record twice in one source (`v1.2.3` and `1.2.3` are one version): the second is refused. */
  private duplicate(
    table: SourceTable,
    collection: ImportCollection,
    seen: Map<string, string>,
    identity: string,
    key: string,
  ): boolean {
    const first = seen.get(identity);
    if (first === undefined) {
      seen.set(identity, key);
      return false;
    }
    this.counts[collection].invalid += 1;
    this.problems.push({
      table,
      key,
      code: 'IMPORT_ROW_INVALID',
      message: `${table} [${key}]: the same record as [${first}]; only the first is imported`,
    });
    return true;
  }

  private conflict(
    collection: ImportCollection,
    key: string,
    reason: string,
    outcome: ImportConflict['outcome'],
  ): void {
    if (outcome === 'overwritten') this.counts[collection].overwritten += 1;
    else this.counts[collection].conflicts += 1;
    this.conflicts.push({ collection, key, reason, outcome });
  }

  private storedArchive(repo: string): Promise<Map<string, ArchivedRelease>> {
    let archive = this.storedArchives.get(repo);
    if (!archive) {
      archive = this.deps.store.releases
        .list(repo)
        .then((releases) => new Map(releases.map((release) => [release.version, release])));
      this.storedArchives.set(repo, archive);
    }
    return archive;
  }

  private async importArchived(release: ArchivedRelease, key: string): Promise<void> {
    const counts = this.counts.archived;
    const existing = (await withRowKey(key, () => this.storedArchive(release.repo))).get(release.version);
    if (existing) {
      if (sameRecord(existing, release)) counts.unchanged += 1;
      else
        this.conflict(
          'archived',
          key,
          'archived with other content; archived releases are immutable',
          'immutable',
        );
      return;
    }
    if (this.dryRun) {
      counts.created += 1;
      return;
    }
    const result = await withRowKey(key, () => this.deps.store.releases.archive(release)).catch(
      (error: unknown) => {
        // Archived by someone else between our read and our write, with other content.
        if (isReleaseAgentError(error, 'RELEASE_ARCHIVED')) return undefined;
        throw error;
      },
    );
    if (!result)
      this.conflict(
        'archived',
        key,
        'archived with other content; archived releases are immutable',
        'immutable',
      );
    else if (result.created) counts.created += 1;
    else counts.unchanged += 1;
  }

  private async importStaging(staging: StagingRelease, key: string): Promise<void> {
    const counts = this.counts.staging;
    const archivedVersion =
      this.sourceArchives.has(`${staging.repo}\u0000${staging.version}`) ||
      (await withRowKey(key, () => this.storedArchive(staging.repo))).has(staging.version);
    if (archivedVersion) {
      // Staging for a released version could never be released again: the Python agent left it behind.
      this.conflict(
        'staging',
        key,
        `version ${staging.version} is already archived; the staging release is not imported`,
        'immutable',
      );
      return;
    }
    const existing = await withRowKey(key, () => this.deps.store.staging.get(staging.repo));
    if (existing && sameRecord(existing, staging)) {
      counts.unchanged += 1;
      return;
    }
    if (existing && !this.overwrite) {
      this.conflict(
        'staging',
        key,
        `stored staging release differs (${stagingSummary(existing)}; import: ${stagingSummary(staging)})`,
        'kept',
      );
      return;
    }
    if (this.dryRun) {
      if (existing)
        this.conflict(
          'staging',
          key,
          `stored staging release replaced (was ${stagingSummary(existing)})`,
          'overwritten',
        );
      else counts.created += 1;
      return;
    }
    // The decision is taken again on what is stored at write time (another writer may have moved first).
    let outcome: 'created' | 'unchanged' | 'overwritten' | 'kept' = 'created';
    let replaced: StagingRelease | undefined;
    await withRowKey(key, () =>
      this.deps.store.staging.update(staging.repo, (current) => {
        replaced = current;
        if (!current) outcome = 'created';
        else if (sameRecord(current, staging)) outcome = 'unchanged';
        else outcome = this.overwrite ? 'overwritten' : 'kept';
        return outcome === 'created' || outcome === 'overwritten' ? staging : undefined;
      }),
    );
    if (outcome === 'created') counts.created += 1;
    else if (outcome === 'unchanged') counts.unchanged += 1;
    else {
      const was = replaced ? stagingSummary(replaced) : 'absent';
      this.conflict(
        'staging',
        key,
        outcome === 'overwritten'
          ? `stored staging release replaced (was ${was})`
          : `stored staging release differs (${was})`,
        outcome,
      );
    }
  }

  private async importThread(imported: ImportedThread, key: string): Promise<void> {
    const { thread } = imported;
    const counts = this.counts.threads;
    const store = this.deps.store;
    const existing = await withRowKey(key, () => store.threads.get(thread.id));
    let replaced = false;
    if (existing && sameRecord(existing, thread)) {
      counts.unchanged += 1;
    } else if (existing && !this.overwrite) {
      // The stored thread has moved on (or is another one): its decisions are not ours to add to.
      this.conflict('threads', key, `stored thread differs (${threadDifferences(existing, thread)})`, 'kept');
      return;
    } else if (existing) {
      if (!this.dryRun) await withRowKey(key, () => store.threads.update(thread.id, () => thread));
      this.conflict(
        'threads',
        key,
        `stored thread replaced (it differed in ${threadDifferences(existing, thread)})`,
        'overwritten',
      );
      replaced = true;
    } else if (this.dryRun) {
      counts.created += 1;
    } else {
      const result = await withRowKey(key, () => store.threads.createIfAbsent(thread));
      if (result.created) counts.created += 1;
      else if (sameRecord(result.stored, thread)) counts.unchanged += 1;
      else
        return this.conflict(
          'threads',
          key,
          `stored thread differs (${threadDifferences(result.stored, thread)})`,
          'kept',
        );
    }
    await this.importDecision(imported, key, replaced);
  }

  private async importDecision(
    imported: ImportedThread,
    threadKey: string,
    threadReplaced: boolean,
  ): Promise<void> {
    const { thread, pendingGate } = imported;
    const counts = this.counts.decisions;
    const store = this.deps.store;
    const id = pendingGate ? decisionIdFor(pendingGate.target) : undefined;
    if (threadReplaced) await this.supersedeOthers(thread, id, threadKey);
    if (!pendingGate || id === undefined) return;
    counts.read += 1;
    const key = `${threadKey}, decision=${JSON.stringify(id)}`;
    // The id is derived from what the decision decides: an existing one is the same question, whatever
    // has become of it since (a decided one is never reopened).
    const existing = await withRowKey(key, () => store.decisions.get(id));
    if (existing) {
      if (existing.threadId === thread.id) counts.unchanged += 1;
      else
        this.conflict(
          'decisions',
          key,
          `the same question was already asked for thread ${shownValue(existing.threadId)}`,
          'immutable',
        );
      return;
    }
    if (this.dryRun) {
      counts.created += 1;
      return;
    }
    const decision: Decision = createDecision({
      id,
      threadId: thread.id,
      target: pendingGate.target,
      nonce: (this.deps.nonce ?? randomNonce)(),
      now: new Date(pendingGate.askedAt),
    });
    if (pendingGate.details) decision.details = pendingGate.details;
    const result = await withRowKey(key, () => store.decisions.createIfAbsent(decision));
    if (result.created) counts.created += 1;
    else if (result.stored.threadId === thread.id) counts.unchanged += 1;
    else
      this.conflict(
        'decisions',
        key,
        `the same question was already asked for thread ${shownValue(result.stored.threadId)}`,
        'immutable',
      );
  }

  /** A replaced thread's pending decisions for another question are stale: superseded, not left open. */
  private async supersedeOthers(
    thread: Thread,
    keepId: string | undefined,
    threadKey: string,
  ): Promise<void> {
    const store = this.deps.store;
    const decisions = await withRowKey(threadKey, () => store.decisions.findByThread(thread.id));
    const now = (this.deps.now ?? systemClock.now)();
    for (const decision of decisions) {
      if (decision.status !== 'pending' || decision.id === keepId) continue;
      const key = `${threadKey}, decision=${JSON.stringify(decision.id)}`;
      if (!this.dryRun) {
        await withRowKey(key, () =>
          store.decisions.update(decision.id, (current) =>
            current.status === 'pending'
              ? supersede(current, 'superseded by a re-import of the Python agent thread', now)
              : undefined,
          ),
        );
      }
      this.conflict('decisions', key, 'pending decision of the replaced thread superseded', 'overwritten');
    }
  }
}

/** Runs `work` with row-level store errors tagged with the row's key (for the report). */
async function withRowKey<T>(key: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isReleaseAgentError(error) && ROW_LEVEL_CODES.has(error.code)) {
      throw new ReleaseAgentError(
        error.code,
        error.message,
        { ...error.fields, rowKey: key },
        { cause: error },
      );
    }
    throw error;
  }
}

/** Items processed `limit` at a time; the first failure stops reading and is thrown once the rest settle. */
async function forEachConcurrently<T>(
  items: AsyncIterable<T>,
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  const running = new Set<Promise<void>>();
  let failed = false;
  let failure: unknown;
  for await (const item of items) {
    const task: Promise<void> = work(item)
      .catch((error: unknown) => {
        if (!failed) [failed, failure] = [true, error];
      })
      .finally(() => running.delete(task));
    running.add(task);
    if (running.size >= Math.max(1, limit)) await Promise.race(running);
    if (failed) break;
  }
  await Promise.all(running);
  if (failed) throw failure;
}

/** Equal as stored: JSON round trip (undefined fields vanish), key order ignored. */
function sameRecord(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(JSON.parse(JSON.stringify(a)), JSON.parse(JSON.stringify(b)));
}

function stagingSummary(staging: StagingRelease): string {
  const keys = staging.tickets.map((ticket) => ticket.key);
  const shown = keys.length > 5 ? [...keys.slice(0, 5), `… ${keys.length - 5} more`] : keys;
  return `version ${staging.version}, tickets [${shown.join(', ')}]`;
}

function threadDifferences(stored: Thread, imported: Thread): string {
  const names = [...new Set([...Object.keys(stored), ...Object.keys(imported)])].sort();
  const differing = names.filter(
    (name) =>
      !sameRecord(
        (stored as unknown as Record<string, unknown>)[name] ?? null,
        (imported as unknown as Record<string, unknown>)[name] ?? null,
      ),
  );
  return differing.join(', ');
}

// ---------------------------------------------------------------------------------------------
// Output.

/** The report as people read it: counts per collection, then every invalid row and every conflict. */
export function formatReport(report: ImportReport, target: string): string {
  const lines: string[] = [];
  const mode = report.dryRun ? ' (dry run: counts say what would be written; nothing was written)' : '';
  lines.push(`Import from ${report.source} into ${target}${mode}`, '');
  const header = ['', 'read', 'create', 'overwrite', 'unchanged', 'conflict', 'invalid'];
  const rows = (Object.keys(COLLECTION_LABELS) as ImportCollection[]).map((collection) => {
    const counts = report.counts[collection];
    return [
      COLLECTION_LABELS[collection],
      ...[
        counts.read,
        counts.created,
        counts.overwritten,
        counts.unchanged,
        counts.conflicts,
        counts.invalid,
      ].map(String),
    ];
  });
  const widths = header.map((_, column) =>
    Math.max(...[header, ...rows].map((row) => (row[column] ?? '').length)),
  );
  for (const row of [header, ...rows]) {
    lines.push(
      row
        .map((cell, column) =>
          column === 0 ? cell.padEnd(widths[0] ?? 0) : cell.padStart(widths[column] ?? 0),
        )
        .join('  ')
        .trimEnd(),
    );
  }
  if (report.problems.length > 0) {
    lines.push('', `Invalid rows, skipped (${report.problems.length}):`);
    for (const problem of report.problems) lines.push(`  ${problem.message} (${problem.code})`);
  }
  if (report.conflicts.length > 0) {
    lines.push('', `Conflicts (${report.conflicts.length}):`);
    for (const conflict of report.conflicts) {
      const advice = {
        kept: 'kept (--overwrite replaces it)',
        immutable: 'kept',
        overwritten: report.dryRun ? 'would be overwritten' : 'overwritten',
      }[conflict.outcome];
      lines.push(
        `  ${COLLECTION_LABELS[conflict.collection]} [${conflict.key}]: ${conflict.reason}: ${advice}`,
      );
    }
  }
  const skipped = skippedRows(report);
  lines.push(
    '',
    skipped > 0
      ? `${skipped} row${skipped === 1 ? '' : 's'} ${report.dryRun ? 'would be' : 'were'} skipped.`
      : report.dryRun
        ? 'Every row would be imported.'
        : 'Every row is imported.',
  );
  return `${lines.join('\n')}\n`;
}

export interface ProgressPrinterOptions {
  /** A line at least every this many rows (default 1000)… */
  everyRows?: number;
  /** …or when this much time has passed since the last line (default 1000 ms). */
  everyMs?: number;
  now?: () => number;
}

/** Progress lines for large imports: every N rows or every second, and at the end of each table. */
export function progressPrinter(write: (line: string) => void, options: ProgressPrinterOptions = {}) {
  const everyRows = options.everyRows ?? 1000;
  const everyMs = options.everyMs ?? 1000;
  const now = options.now ?? Date.now;
  let last = now();
  return (progress: ImportProgress): void => {
    const end = progress.total !== undefined && progress.done >= progress.total;
    if (!end && progress.done % everyRows !== 0 && now() - last < everyMs) return;
    last = now();
    const { created, overwritten, unchanged, conflicts, invalid } = progress.counts;
    const of = progress.total === undefined ? '' : `/${progress.total}`;
    write(
      `${progress.table}: ${progress.done}${of} rows (created ${created}, overwritten ${overwritten}, ` +
        `unchanged ${unchanged}, conflicts ${conflicts}, invalid ${invalid})\n`,
    );
  };
}
