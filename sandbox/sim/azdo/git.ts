// Just enough git for the simulator: repositories with refs and a commit graph, each commit carrying the
// file changes it made, so a PR's changed files are "what the source has that the target does not".
import { createHash, randomUUID } from 'node:crypto';

export type ChangeKind = 'add' | 'edit' | 'delete' | 'rename';

export interface FileChange {
  /** Starts with `/`. */
  path: string;
  changeType: ChangeKind;
  originalPath?: string;
}

export interface CommitState {
  commitId: string;
  parents: string[];
  message: string;
  author: { name: string; email: string; date: string };
  changes: FileChange[];
  /** Creation order: folds changes oldest first. */
  seq: number;
}

export interface TagState {
  name: string;
  objectId: string;
  commitId: string;
  message: string;
  taggedBy: { name: string; email: string; date: string };
}

export interface RepositoryState {
  id: string;
  name: string;
  defaultBranch: string;
  /** Full ref name (refs/heads/main) → commit id. */
  refs: Map<string, string>;
  commits: Map<string, CommitState>;
  tags: Map<string, TagState>;
  /** A required (blocking) policy such as build validation guards completion when on. */
  blockingPolicy: boolean;
}

let sequence = 0;

export function newRepository(name: string, defaultBranch: string): RepositoryState {
  return {
    id: randomUUID(),
    name,
    defaultBranch,
    refs: new Map(),
    commits: new Map(),
    tags: new Map(),
    blockingPolicy: false,
  };
}

export function objectId(...parts: string[]): string {
  return createHash('sha1')
    .update(`${parts.join('\u0000')}\u0000${++sequence}`)
    .digest('hex');
}

export function addCommit(
  repo: RepositoryState,
  input: {
    parents: string[];
    message: string;
    author: { name: string; email: string };
    changes: FileChange[];
    date: string;
  },
): CommitState {
  const commit: CommitState = {
    commitId: objectId(repo.id, input.message, ...input.parents),
    parents: input.parents,
    message: input.message,
    author: { ...input.author, date: input.date },
    changes: input.changes.map((change) => ({ ...change, path: slashPath(change.path) })),
    seq: ++sequence,
  };
  repo.commits.set(commit.commitId, commit);
  return commit;
}

export function slashPath(path: string): string {
  return path.startsWith('/') ? path : `/${path}`;
}

/** Every commit reachable from `tip`, itself included. */
export function reachable(repo: RepositoryState, tip: string | undefined): Set<string> {
  const seen = new Set<string>();
  const stack = tip ? [tip] : [];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const parent of repo.commits.get(id)?.parents ?? []) stack.push(parent);
  }
  return seen;
}

/** Commits on `source` that `target` does not have, oldest first. */
export function commitsBetween(
  repo: RepositoryState,
  target: string | undefined,
  source: string,
): CommitState[] {
  const base = reachable(repo, target);
  return [...reachable(repo, source)]
    .filter((id) => !base.has(id))
    .map((id) => repo.commits.get(id))
    .filter((commit): commit is CommitState => commit !== undefined)
    .sort((a, b) => a.seq - b.seq);
}

/** The net file changes from the merge base to `source`: what a PR iteration shows. */
export function changedFiles(
  repo: RepositoryState,
  target: string | undefined,
  source: string,
): FileChange[] {
  const net = new Map<string, FileChange>();
  for (const commit of commitsBetween(repo, target, source)) {
    if (commit.parents.length > 1) continue;
    for (const change of commit.changes) {
      const before = net.get(change.path);
      switch (change.changeType) {
        case 'add':
          net.set(change.path, {
            path: change.path,
            changeType: before?.changeType === 'delete' ? 'edit' : 'add',
          });
          break;
        case 'edit':
          net.set(
            change.path,
            before?.changeType === 'add' || before?.changeType === 'rename'
              ? before
              : { path: change.path, changeType: 'edit' },
          );
          break;
        case 'delete':
          if (before?.changeType === 'add') net.delete(change.path);
          else net.set(change.path, { path: change.path, changeType: 'delete' });
          break;
        case 'rename': {
          const from = change.originalPath ? slashPath(change.originalPath) : undefined;
          const origin = from ? net.get(from) : undefined;
          if (from) net.delete(from);
          net.set(
            change.path,
            origin?.changeType === 'add' || !from
              ? { path: change.path, changeType: 'add' }
              : { path: change.path, changeType: 'rename', originalPath: from },
          );
          break;
        }
      }
    }
  }
  return [...net.values()];
}

const INVALID_REF = /(^|\/)\.|\.\.|[\s~^:?*[\\\u0000-\u001f\u007f]|@\{|\/\/|\/$|\.lock$|^$|^@$|\.$/;

export function validRefName(name: string): boolean {
  return !INVALID_REF.test(name);
}
