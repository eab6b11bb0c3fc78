// Review threads that follow the code: a finding is known by its fingerprint (its file and what it says,
// not its line, so a moved line is the same finding), and each new review of a PR is reconciled with the
// threads earlier reviews left. A finding still present is not posted again; a new one gets a thread; an
// open thread whose finding is gone was fixed by the push and is resolved. A thread a person closed,
// marked won't fix or resolved is never raised again: people win.
import type { ReviewFinding } from './model.ts';

/** The thread property that carries a finding's fingerprint, and the one that marks the summary. */
export const FINDING_PROPERTY = 'ReleaseAgent.Finding';
export const SUMMARY_PROPERTY = 'ReleaseAgent.Summary';

/** What the reconciliation needs of a thread on the PR. */
export interface KnownThread {
  id: number;
  status: string;
  /** Our fingerprint when it is one of our finding threads. */
  finding: string | undefined;
  summary: boolean;
}

export type FingerprintedFinding = ReviewFinding & { fingerprint: string };

export interface ThreadPlan {
  /** Findings no thread knows yet: each gets a new thread. */
  post: FingerprintedFinding[];
  /** Findings a thread already carries (open, or settled by a person): nothing is posted. */
  known: FingerprintedFinding[];
  /** Our open threads whose finding this review no longer makes: the push fixed them. */
  resolve: KnownThread[];
  /** The summary thread to update in place, when an earlier review posted one. */
  summaryThreadId: number | undefined;
}

/** 64-bit FNV-1a of the text, as hex: stable, short, and pure. */
function fnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, '0');
}

/** A finding's identity across pushes: its file and its words (case and spacing aside), not its line. */
export function findingFingerprint(finding: Pick<ReviewFinding, 'file' | 'message'>): string {
  const file = finding.file.replace(/^\/+/, '').toLowerCase();
  const words = finding.message.toLowerCase().replace(/\s+/g, ' ').trim();
  return fnv1a64(`${file}\n${words}`);
}

/** Open threads are the author's to-do; any other status was settled (by the author, a reviewer or us). */
export function isOpenThread(status: string): boolean {
  return status === 'active' || status === 'pending';
}

/** Reconciles this review's findings with the threads earlier reviews left on the PR. */
export function planReviewThreads(
  threads: readonly KnownThread[],
  findings: readonly ReviewFinding[],
): ThreadPlan {
  const byFingerprint = new Map<string, KnownThread>();
  for (const thread of threads) if (thread.finding) byFingerprint.set(thread.finding, thread);
  const seen = new Set<string>();
  const post: FingerprintedFinding[] = [];
  const known: FingerprintedFinding[] = [];
  for (const finding of findings) {
    const fingerprint = findingFingerprint(finding);
    // The same finding twice in one answer is one thread.
    if (seen.has(fingerprint)) continue;
    seen.add(fingerprint);
    (byFingerprint.has(fingerprint) ? known : post).push({ ...finding, fingerprint });
  }
  const resolve = threads.filter(
    (thread) => thread.finding && isOpenThread(thread.status) && !seen.has(thread.finding),
  );
  const summaryThreadId = threads.filter((thread) => thread.summary).at(-1)?.id;
  return { post, known, resolve, summaryThreadId };
}
