// The state store port: what the tasks, the function app and the hub persist, behind small interfaces.
// Two implementations share one rule set: Azure Table Storage (table-store.ts) and in memory (memory-store.ts).
//
// Transitions are pure: a write that meets a concurrent change re-reads and re-applies the transition, so
// it may run more than once and must not have side effects. Returning `undefined` means "no change".
import type {
  ArchivedRelease,
  AuditEntry,
  Decision,
  GateKind,
  ReviewRecord,
  StagingRelease,
  Thread,
  ThreadKind,
  ThreadOf,
} from '../../core/model.ts';

/** The outcome of a create-if-absent: ours when `created`, otherwise the record that was already there. */
export interface CreateResult<T> {
  created: boolean;
  stored: T;
}

/** A pure step from the stored record to the next one; `undefined` = leave it as it is. */
export type Transition<T> = (current: T) => T | undefined;

export interface UpdateOptions<T> {
  /**
   * A value this store just returned for the same id: the first conditional write is based on the
   * version it was read at, which saves a read. Out of date, the write fails (412) and is retried on a
   * fresh read as usual.
   */
  from?: T;
}

/** The Python agent's agent_threads: one PR flow or one release flow. */
export interface ThreadStore {
  get(id: string): Promise<Thread | undefined>;
  /** The thread if it is of this kind; undefined when there is none; THREAD_KIND_MISMATCH when it is of the other kind. */
  getOf<K extends ThreadKind>(kind: K, id: string): Promise<ThreadOf<K> | undefined>;
  /** THREAD_KIND_MISMATCH when the id already holds a thread of the other kind. */
  createIfAbsent<T extends Thread>(thread: T): Promise<CreateResult<ThreadOf<T['kind']>>>;
  /** The stored thread after the transition; STORE_NOT_FOUND when there is none. */
  update(id: string, transition: Transition<Thread>, options?: UpdateOptions<Thread>): Promise<Thread>;
  /** `update` of a thread of this kind; THREAD_KIND_MISMATCH when it is of the other kind. */
  updateOf<K extends ThreadKind>(
    kind: K,
    id: string,
    transition: Transition<ThreadOf<K>>,
    options?: UpdateOptions<Thread>,
  ): Promise<ThreadOf<K>>;
  /**
   * The state of a thread of this kind through a pure transition (`undefined` = no change; a change
   * also sets `updatedAt` to `at`). STORE_NOT_FOUND when there is none; THREAD_KIND_MISMATCH when the
   * thread is of the other kind.
   */
  setState<K extends ThreadKind>(
    kind: K,
    id: string,
    transition: (state: ThreadOf<K>['state'], thread: ThreadOf<K>) => ThreadOf<K>['state'] | undefined,
    at: Date,
  ): Promise<ThreadOf<K>>;
  /** Oldest first (by createdAt). */
  listByStatus(status: Thread['status']): Promise<Thread[]>;
  /** Oldest first (by createdAt). */
  listByPullRequest(repo: string, prId: number): Promise<Thread[]>;
  /** Threads whose state holds this `ticketKey` (the PR ↔ ticket links), oldest first. */
  listByTicket(ticketKey: string): Promise<Thread[]>;
}

export interface PendingDecisionFilter {
  repo?: string;
  gate?: GateKind;
}

/** Human decisions at the gates; single-shot because every change is a conditional write. */
export interface DecisionStore {
  get(id: string): Promise<Decision | undefined>;
  createIfAbsent(decision: Decision): Promise<CreateResult<Decision>>;
  /** The stored decision after the transition; STORE_NOT_FOUND when there is none. */
  update(id: string, transition: Transition<Decision>, options?: UpdateOptions<Decision>): Promise<Decision>;
  /** Oldest first (the order they were asked). */
  listPending(filter?: PendingDecisionFilter): Promise<Decision[]>;
  /** Oldest first. */
  findByThread(threadId: string): Promise<Decision[]>;
  /** Decisions whose effect is queued, running or waiting (not done or failed), oldest first. */
  listOpenEffects(): Promise<Decision[]>;
}

/** The one open release per repo. */
export interface StagingStore {
  get(repo: string): Promise<StagingRelease | undefined>;
  /** Every repo's open staging release, by repo name. */
  list(): Promise<StagingRelease[]>;
  /** Creates, changes or leaves (`undefined`) the repo's staging release; resolves to what is stored after. */
  update(
    repo: string,
    transition: (current: StagingRelease | undefined) => StagingRelease | undefined,
  ): Promise<StagingRelease | undefined>;
  /** Removes it (only if `onlyIf` holds for the stored one); false when there was nothing to remove. */
  delete(repo: string, onlyIf?: (current: StagingRelease) => boolean): Promise<boolean>;
}

/** Finished releases: create-only, keyed by repo + version. */
export interface ReleaseArchive {
  /** A second identical write is a no-op (`created: false`); a different one throws RELEASE_ARCHIVED. */
  archive(release: ArchivedRelease): Promise<CreateResult<ArchivedRelease>>;
  get(repo: string, version: string): Promise<ArchivedRelease | undefined>;
  /** Newest first (by releasedAt); all of them unless `limit`. */
  list(repo: string, limit?: number): Promise<ArchivedRelease[]>;
  latest(repo: string): Promise<ArchivedRelease | undefined>;
  /**
   * Archives what `build` makes of the repo's staging release and retires the staging release, as one
   * atomic write. When an archive of that version already exists (an earlier run stopped half-way), it
   * keeps that one and only retires staging. RELEASE_NOT_FOUND when there is no staging release;
   * RELEASE_ARCHIVED when the version is archived but staging holds tickets the archive lacks.
   */
  archiveFromStaging(
    repo: string,
    build: (staging: StagingRelease) => ArchivedRelease,
  ): Promise<ArchivedRelease>;
}

export interface ReviewListFilter {
  repo?: string;
  /** Default 100. */
  limit?: number;
}

/** AI reviews, one per repo + PR + source commit. */
export interface ReviewStore {
  /** Create-if-absent; `created` says whether this review was new. */
  put(review: ReviewRecord): Promise<CreateResult<ReviewRecord>>;
  get(repo: string, prId: number, sourceCommit: string): Promise<ReviewRecord | undefined>;
  /** Newest first (by createdAt). */
  list(filter?: ReviewListFilter): Promise<ReviewRecord[]>;
}

/** Dedupe of deliveries (webhooks, poller, Slack clicks) with expiry. */
export interface DeliveryInbox {
  /** True for the first claim of `key` within `ttlSeconds`; false for duplicates; an expired claim can be taken again. */
  claim(key: string, ttlSeconds: number, now: Date): Promise<boolean>;
  /** Gives a claim up (the work it guarded failed): the next claim of `key` wins at once. */
  release(key: string): Promise<void>;
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  subject?: string;
  /** Default 100. */
  limit?: number;
}

/** Append-only audit log. */
export interface AuditLog {
  append(entry: AuditEntry): Promise<void>;
  /** Newest first (by `at`). */
  list(filter?: AuditFilter): Promise<AuditEntry[]>;
}

export interface Store {
  threads: ThreadStore;
  decisions: DecisionStore;
  staging: StagingStore;
  releases: ReleaseArchive;
  reviews: ReviewStore;
  inbox: DeliveryInbox;
  audit: AuditLog;
}
