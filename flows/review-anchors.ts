// Which review findings can be anchored on the pull request: a thread must point at a file the
// reviewed iteration changed (and did not delete), at lines that file has. The others are not lost:
// they go into the summary thread as notes. A decision of the review, not of the Azure DevOps adapter,
// which posts what it is given.
import type { InlineComment, IterationChange } from '../adapters/azdo/azdo.ts';

export type FoldReason = 'file-not-in-iteration' | 'file-deleted' | 'line-out-of-range';

export type FoldedComment = InlineComment & { reason: FoldReason };

export interface AnchoredReview {
  /** To post as inline threads: path normalised, the file's changeTrackingId added. */
  anchored: InlineComment[];
  /** Could not be anchored: noted in the summary (`summaryWithFolded`). */
  folded: FoldedComment[];
}

/**
 * Splits comments into those Azure DevOps can show on the iteration's diff and those it cannot.
 * `lineCounts` (keys `/path`, from the checkout) catches an anchor past the end of its file.
 */
export function anchorComments(
  comments: readonly InlineComment[],
  changes: readonly IterationChange[],
  lineCounts: Readonly<Record<string, number>> = {},
): AnchoredReview {
  const byPath = new Map(changes.map((change) => [change.path, change]));
  const anchored: InlineComment[] = [];
  const folded: FoldedComment[] = [];
  for (const comment of comments) {
    const path = normalizePath(comment.path);
    const endLine = comment.endLine ?? comment.line;
    const change = byPath.get(path);
    const lineCount = lineCounts[comment.path] ?? lineCounts[path] ?? lineCounts[path.slice(1)];
    let reason: FoldReason | undefined;
    if (!change) reason = 'file-not-in-iteration';
    else if (change.changeType === 'delete') reason = 'file-deleted';
    else if (!validLines(comment.line, endLine) || (lineCount !== undefined && endLine > lineCount))
      reason = 'line-out-of-range';
    if (reason || !change) {
      folded.push({ ...comment, reason: reason ?? 'file-not-in-iteration' });
      continue;
    }
    anchored.push({
      ...comment,
      path,
      ...(change.changeTrackingId !== undefined ? { changeTrackingId: change.changeTrackingId } : {}),
    });
  }
  return { anchored, folded };
}

/** The summary with the findings that could not be anchored listed under it. */
export function summaryWithFolded(summary: string, folded: readonly FoldedComment[]): string {
  if (folded.length === 0) return summary;
  const notes = folded.map(
    (comment) => `- \`${normalizePath(comment.path)}\` line ${comment.line}: ${comment.body}`,
  );
  return `${summary}\n\n---\n**Notes outside the changed files of this iteration**\n\n${notes.join('\n')}`;
}

/** Azure DevOps' form of a repository path: forward slashes, one leading `/`. */
export function normalizePath(path: string): string {
  const forward = path.replace(/\\/g, '/').replace(/^\.\//, '');
  return forward.startsWith('/') ? forward : `/${forward}`;
}

function validLines(line: number, endLine: number): boolean {
  return Number.isInteger(line) && Number.isInteger(endLine) && line >= 1 && endLine >= line;
}
