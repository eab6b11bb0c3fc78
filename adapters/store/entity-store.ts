// The Store over any EntityTable: row layout per collection, the shared concurrency rules (records.ts),
// and the release archive's atomic hand-over from staging.
//
// Layout (user-controlled parts encoded by encodeKeyPart, `|` separates parts):
//   Threads    PK id                      RK 'thread'
//   Decisions  PK id                      RK 'decision'
//   Releases   PK repo                    RK 'staging' (or a tombstone once archived)
//                                         RK 'v|<version>' archived release, unique per version
//                                         RK 't|<reverse releasedAt>|<version>' same record, newest first
//   Reviews    PK 'reviews'               RK 'k|<repo>|<prId>|<commit>' and 't|<reverse createdAt>|…' (one
//                                         partition so one transaction writes both and lists span repos)
//   Inbox      PK key                     RK 'claim'
//   Audit      PK 'audit'                 RK '<reverse at>|<uuid>'
import { randomUUID } from 'node:crypto';
import { isReleaseAgentError, ReleaseAgentError } from '../../core/errors.ts';
import type {
  ArchivedRelease,
  AuditEntry,
  Decision,
  ReviewRecord,
  StagingRelease,
  Thread,
  ThreadKind,
  ThreadOf,
} from '../../core/model.ts';
import { assertArchiveCovers, assertArchivedUnchanged } from '../../core/releases.ts';
import { changesProps } from './codec.ts';
import type { EntityProps, EntityTable } from './entity-table.ts';
import { decodeKeyPart, encodeKeyPart, joinKey, KEY_SEPARATOR, reverseTime } from './keys.ts';
import { DEFAULT_RETRY, RecordTable, type RetryPolicy, type RowAddress } from './records.ts';
import type {
  AuditLog,
  CreateResult,
  DecisionStore,
  DeliveryInbox,
  ReleaseArchive,
  ReviewStore,
  StagingStore,
  Store,
  ThreadStore,
  Transition,
  UpdateOptions,
} from './store.ts';

/** The tables of a store; the real table name is `<prefix><collection>`. */
export const COLLECTIONS = ['Threads', 'Decisions', 'Releases', 'Reviews', 'Inbox', 'Audit'] as const;
export type Collection = (typeof COLLECTIONS)[number];

export interface EntityStoreOptions {
  retry?: Partial<RetryPolicy>;
}

const DEFAULT_LIST_LIMIT = 100;

export function createEntityStore(
  open: (collection: Collection) => EntityTable,
  options: EntityStoreOptions = {},
): Store {
  const retry: RetryPolicy = { ...DEFAULT_RETRY, ...options.retry };
  const records = (collection: Collection) => new RecordTable(open(collection), retry);
  const releases = records('Releases');
  return {
    threads: threadStore(records('Threads')),
    decisions: decisionStore(records('Decisions')),
    staging: stagingStore(releases),
    releases: releaseArchive(releases),
    reviews: reviewStore(records('Reviews')),
    inbox: deliveryInbox(records('Inbox')),
    audit: auditLog(records('Audit')),
  };
}

/**
 * Records addressed by their own `id`, one row each, listed by equality on index properties. `decode`
 * brings a record read in an older shape to the current one (in place, so a write based on that read
 * still skips reading again); the next write stores the current shape.
 */
function idRecords<T extends { id: string; createdAt: string }>(
  records: RecordTable,
  rowKey: string,
  index: (value: T) => EntityProps,
  decode: (value: T) => T = (value) => value,
) {
  const at = (id: string): RowAddress => ({ partitionKey: encodeKeyPart(id), rowKey, key: id });
  return {
    async get(id: string): Promise<T | undefined> {
      const value = (await records.read<T>(at(id)))?.value;
      return value === undefined ? undefined : decode(value);
    },
    async createIfAbsent(value: T): Promise<CreateResult<T>> {
      const result = await records.createOnce(at(value.id), value, index(value));
      return result.created ? result : { created: false, stored: decode(result.stored) };
    },
    async update(id: string, transition: Transition<T>, options: UpdateOptions<T> = {}): Promise<T> {
      const known = records.recordOf(options.from);
      const updated = await records.mutate<T>(
        at(id),
        (current) => {
          if (current === undefined) {
            throw new ReleaseAgentError('STORE_NOT_FOUND', `${records.table.name} ${id} does not exist`, {
              table: records.table.name,
              key: id,
            });
          }
          const next = transition(decode(current));
          if (next !== undefined) assertSameKey('id', next.id, id);
          return next;
        },
        index,
        // Only a read of this very row stands in for the first read.
        known && options.from?.id === id ? known : undefined,
      );
      return decode(updated as T);
    },
    async list(where: EntityProps): Promise<T[]> {
      const found = (await records.list<T>({ where })).map(decode);
      return found.sort((a, b) => compare(a.createdAt, b.createdAt) || compare(a.id, b.id));
    },
  };
}

/**
 * Threads written before the discriminant was named `kind` carry `graph` (named after the Python
 * agent's framework) instead: read as `kind`, and written back without it.
 */
export function migrateThread(thread: Thread): Thread {
  const stored = thread as unknown as { kind?: unknown; graph?: unknown };
  if (!('graph' in stored)) return thread;
  if (stored.kind === undefined && (stored.graph === 'pr' || stored.graph === 'release'))
    stored.kind = stored.graph;
  delete stored.graph;
  return thread;
}

function kindMismatch(id: string, expected: ThreadKind, actual: ThreadKind): ReleaseAgentError {
  return new ReleaseAgentError(
    'THREAD_KIND_MISMATCH',
    `thread ${id} is a ${actual} thread, not a ${expected} thread`,
    { threadId: id, expected, actual },
  );
}

function isKind<K extends ThreadKind>(kind: K, thread: Thread): thread is ThreadOf<K> {
  return thread.kind === kind;
}

function threadStore(records: RecordTable): ThreadStore {
  const threads = idRecords<Thread>(
    records,
    'thread',
    (thread) =>
      definedProps({
        repo: thread.repo,
        status: thread.status,
        kind: thread.kind,
        prId: thread.prId === undefined ? undefined : String(thread.prId),
        // Indexed so a PR's ticket can be checked against the other PRs linked to it.
        ticketKey: thread.kind === 'pr' ? thread.state.ticketKey : undefined,
      }),
    migrateThread,
  );
  const ofKind = <K extends ThreadKind>(kind: K, id: string, thread: Thread): ThreadOf<K> => {
    if (!isKind(kind, thread)) throw kindMismatch(id, kind, thread.kind);
    return thread;
  };
  const updateOf = async <K extends ThreadKind>(
    kind: K,
    id: string,
    transition: Transition<ThreadOf<K>>,
    options?: UpdateOptions<Thread>,
  ): Promise<ThreadOf<K>> => {
    const updated = await threads.update(id, (current) => transition(ofKind(kind, id, current)), options);
    return ofKind(kind, id, updated);
  };
  return {
    get: threads.get,
    async getOf(kind, id) {
      const thread = await threads.get(id);
      return thread === undefined ? undefined : ofKind(kind, id, thread);
    },
    async createIfAbsent<T extends Thread>(thread: T) {
      const { created, stored } = await threads.createIfAbsent(thread);
      return { created, stored: ofKind<T['kind']>(thread.kind, thread.id, stored) };
    },
    update: threads.update,
    updateOf,
    setState: (kind, id, transition, now) =>
      updateOf(kind, id, (current) => {
        const state = transition(current.state, current);
        return state === undefined ? undefined : { ...current, state, updatedAt: now.toISOString() };
      }),
    listByStatus: (status) => threads.list({ status }),
    listByPullRequest: (repo, prId) => threads.list({ repo, prId: String(prId) }),
    listByTicket: (ticketKey) => threads.list({ ticketKey }),
  };
}

function decisionStore(records: RecordTable): DecisionStore {
  const decisions = idRecords<Decision>(records, 'decision', (decision) =>
    definedProps({
      status: decision.status,
      repo: decision.target.repo,
      gate: decision.gate,
      threadId: decision.threadId,
      // Indexed so the poller finds decided decisions whose effect has not finished (a lost message).
      effectOpen: decision.effect && OPEN_EFFECTS.has(decision.effect.status) ? 'true' : undefined,
    }),
  );
  return {
    get: decisions.get,
    createIfAbsent: decisions.createIfAbsent,
    update: decisions.update,
    listPending: (filter = {}) =>
      decisions.list(definedProps({ status: 'pending', repo: filter.repo, gate: filter.gate })),
    findByThread: (threadId) => decisions.list({ threadId }),
    listOpenEffects: () => decisions.list({ effectOpen: 'true' }),
  };
}

const OPEN_EFFECTS = new Set(['queued', 'running', 'waiting']);

const STAGING_ROW = 'staging';
/** First key parts of row kinds sharing a partition: a record by its key, and its newest-first copy. */
const BY_KEY = 'k';
const BY_VERSION = 'v';
const NEWEST_FIRST = 't';
const NEWEST_PREFIX = NEWEST_FIRST + KEY_SEPARATOR;

function stagingAddress(repo: string): RowAddress {
  return { partitionKey: encodeKeyPart(repo), rowKey: STAGING_ROW, key: repo };
}

function stagingStore(records: RecordTable): StagingStore {
  return {
    async get(repo) {
      return (await records.read<StagingRelease>(stagingAddress(repo)))?.value;
    },
    async list() {
      // One row per repo partition; archived ones are tombstones, which decode to nothing.
      const all = await records.list<StagingRelease>({ rowKeyPrefix: STAGING_ROW });
      return all.filter((release) => release.repo !== undefined).sort((a, b) => a.repo.localeCompare(b.repo));
    },
    async update(repo, transition) {
      return records.mutate<StagingRelease>(
        stagingAddress(repo),
        (current) => {
          const next = transition(current);
          if (next !== undefined) assertSameKey('repo', next.repo, repo);
          return next;
        },
        () => ({}),
      );
    },
    async delete(repo, onlyIf) {
      const at = stagingAddress(repo);
      let lastError: unknown;
      let mayHaveLanded = false;
      const started = Date.now();
      let attempts = 0;
      for (let attempt = 1; attempt <= records.retry.maxAttempts; attempt++) {
        attempts = attempt;
        const stored = await records.read<StagingRelease>(at);
        // Gone right after a delete of ours whose answer was lost: ours removed it.
        if (stored?.value === undefined) return mayHaveLanded && stored === undefined;
        if (onlyIf && !onlyIf(stored.value)) return false;
        try {
          await records.table.delete(at.partitionKey, at.rowKey, stored.etag);
          return true;
        } catch (error) {
          mayHaveLanded = records.recoverable(error, at) === 'uncertain';
          lastError = error;
          if (!(await records.pause(attempt, started))) break;
        }
      }
      throw records.exhausted(at, lastError, attempts);
    },
  };
}

function archiveAddress(repo: string, version: string): RowAddress {
  return {
    partitionKey: encodeKeyPart(repo),
    rowKey: joinKey(BY_VERSION, encodeKeyPart(version)),
    key: `${repo}@${version}`,
  };
}

function newestFirstKey(release: ArchivedRelease): string {
  return joinKey(NEWEST_FIRST, reverseTime(release.releasedAt, 'releasedAt'), encodeKeyPart(release.version));
}

function releaseArchive(records: RecordTable): ReleaseArchive {
  const get = async (repo: string, version: string) =>
    (await records.read<ArchivedRelease>(archiveAddress(repo, version)))?.value;
  const list = async (repo: string, limit?: number) =>
    records.list<ArchivedRelease>({ partitionKey: encodeKeyPart(repo), rowKeyPrefix: NEWEST_PREFIX, limit });

  return {
    get,
    list,
    async latest(repo) {
      return (await list(repo, 1))[0];
    },
    async archive(release) {
      const result = await records.createIndexedOnce(
        archiveAddress(release.repo, release.version),
        newestFirstKey(release),
        release,
        {},
      );
      if (!result.created) assertArchivedUnchanged(result.stored, release);
      return result;
    },
    async archiveFromStaging(repo, build) {
      const stagingAt = stagingAddress(repo);
      const changeId = randomUUID();
      // Our own transaction may have landed with its answer lost: the tombstone carries our change id.
      const landed = async (staging: { changes: string[]; props: EntityProps } | undefined) => {
        const version = staging?.changes.includes(changeId) ? staging.props.archivedVersion : undefined;
        return version === undefined ? undefined : get(repo, decodeKeyPart(version));
      };
      let lastError: unknown;
      const started = Date.now();
      let attempts = 0;
      for (let attempt = 1; attempt <= records.retry.maxAttempts; attempt++) {
        attempts = attempt;
        const staging = await records.read<StagingRelease>(stagingAt);
        const done = await landed(staging);
        if (done) return done;
        if (staging?.value === undefined) {
          throw new ReleaseAgentError('RELEASE_NOT_FOUND', `${repo} has no staging release to archive`, {
            repo,
          });
        }
        const release = build(staging.value);
        assertSameKey('repo', release.repo, repo);
        const versionAt = archiveAddress(repo, release.version);
        // Staging is retired by replacing it with a tombstone: a batch can make a replace conditional on
        // the ETag but not a delete, and the next update simply overwrites the tombstone.
        const tombstone = {
          archivedVersion: encodeKeyPart(release.version),
          ...changesProps(changeId, staging.changes),
        };
        try {
          const existing = (await records.read<ArchivedRelease>(versionAt))?.value;
          if (existing) {
            // An earlier run archived this version and stopped before retiring staging: finish it,
            // unless staging has gained tickets the archive lacks (retiring it would lose them).
            assertArchiveCovers(existing, staging.value);
            await records.table.replace(stagingAt.partitionKey, STAGING_ROW, tombstone, staging.etag);
            return existing;
          }
          const props = records.rowProps(versionAt, release, {}, changeId);
          await records.table.transact(stagingAt.partitionKey, [
            { action: 'create', rowKey: versionAt.rowKey, props },
            { action: 'create', rowKey: newestFirstKey(release), props },
            { action: 'replace', rowKey: STAGING_ROW, props: tombstone, etag: staging.etag },
          ]);
          return release;
        } catch (error) {
          if (isReleaseAgentError(error)) throw error;
          records.recoverable(error, stagingAt);
          lastError = error;
          if (!(await records.pause(attempt, started))) break;
        }
      }
      const done = await landed(await records.read(stagingAt));
      if (done) return done;
      throw records.exhausted(stagingAt, lastError, attempts);
    },
  };
}

const REVIEWS_PARTITION = 'reviews';

function reviewStore(records: RecordTable): ReviewStore {
  const parts = (repo: string, prId: number, sourceCommit: string) =>
    [encodeKeyPart(repo), String(prId), encodeKeyPart(sourceCommit)] as const;
  const at = (repo: string, prId: number, sourceCommit: string): RowAddress => ({
    partitionKey: REVIEWS_PARTITION,
    rowKey: joinKey(BY_KEY, ...parts(repo, prId, sourceCommit)),
    key: `${repo}#${prId}@${sourceCommit}`,
  });
  return {
    async put(review) {
      const created = reverseTime(review.createdAt, 'createdAt');
      const newestFirst = joinKey(
        NEWEST_FIRST,
        created,
        ...parts(review.repo, review.prId, review.sourceCommit),
      );
      return records.createIndexedOnce(
        at(review.repo, review.prId, review.sourceCommit),
        newestFirst,
        review,
        {
          repo: review.repo,
        },
      );
    },
    async get(repo, prId, sourceCommit) {
      return (await records.read<ReviewRecord>(at(repo, prId, sourceCommit)))?.value;
    },
    async list(filter = {}) {
      return records.list<ReviewRecord>({
        partitionKey: REVIEWS_PARTITION,
        rowKeyPrefix: NEWEST_PREFIX,
        where: definedProps({ repo: filter.repo }),
        limit: filter.limit ?? DEFAULT_LIST_LIMIT,
      });
    },
  };
}

function deliveryInbox(records: RecordTable): DeliveryInbox {
  return {
    async claim(key, ttlSeconds, now) {
      if (!(ttlSeconds > 0) || Number.isNaN(now.getTime())) {
        throw new ReleaseAgentError(
          'INPUT_INVALID',
          `claim of ${key} needs a positive ttl and a valid time`,
          { key },
        );
      }
      const at: RowAddress = { partitionKey: encodeKeyPart(key), rowKey: 'claim', key };
      const changeId = randomUUID();
      const claim = {
        claimedAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + ttlSeconds * 1000).toISOString(),
      };
      // Insert first: a new key (the usual case) costs one write. Only a refused or uncertain write
      // reads what is there, which decides: our own write landed, a live claim holds, or it expired.
      let lastError: unknown;
      let stored: Awaited<ReturnType<typeof records.read>> | undefined;
      for (let attempt = 1; attempt <= records.retry.maxAttempts; attempt++) {
        if (stored) {
          if (stored.changes.includes(changeId)) return true;
          // A live claim (or one we cannot read the expiry of, read as expired) decides it.
          if (Date.parse(stored.props.expiresAt ?? '') > now.getTime()) return false;
        }
        try {
          const props = { ...claim, ...changesProps(changeId, stored?.changes ?? []) };
          if (stored) await records.table.replace(at.partitionKey, at.rowKey, props, stored.etag);
          else await records.table.create(at.partitionKey, at.rowKey, props);
          return true;
        } catch (error) {
          // Another claimant moved first (or the answer was lost): the re-read decides, no pause needed.
          records.recoverable(error, at);
          lastError = error;
        }
        stored = await records.read(at);
      }
      if (stored?.changes.includes(changeId)) return true;
      throw records.exhausted(at, lastError);
    },
    async release(key) {
      const at: RowAddress = { partitionKey: encodeKeyPart(key), rowKey: 'claim', key };
      const stored = await records.read(at);
      if (!stored) return;
      try {
        await records.table.delete(at.partitionKey, at.rowKey, stored.etag);
      } catch (error) {
        // Gone already, or claimed anew meanwhile: either way it no longer holds anyone off.
        if (!['missing', 'changed'].includes(records.recoverable(error, at))) throw error;
      }
    },
  };
}

const AUDIT_PARTITION = 'audit';

function auditLog(records: RecordTable): AuditLog {
  return {
    async append(entry) {
      const rowKey = joinKey(reverseTime(entry.at, 'audit entry time'), randomUUID());
      await records.createOnce<AuditEntry>({ partitionKey: AUDIT_PARTITION, rowKey, key: rowKey }, entry, {
        actor: entry.actor,
        action: entry.action,
        subject: entry.subject,
      });
    },
    async list(filter = {}) {
      return records.list<AuditEntry>({
        partitionKey: AUDIT_PARTITION,
        where: definedProps({ actor: filter.actor, action: filter.action, subject: filter.subject }),
        limit: filter.limit ?? DEFAULT_LIST_LIMIT,
      });
    },
  };
}

function assertSameKey(field: string, actual: string, expected: string): void {
  if (actual !== expected) {
    throw new ReleaseAgentError(
      'INPUT_INVALID',
      `a store update cannot change the ${field} (${expected} → ${actual})`,
      {
        field,
        expected,
        actual,
      },
    );
  }
}

function definedProps(props: Record<string, string | undefined>): EntityProps {
  return Object.fromEntries(
    Object.entries(props).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
