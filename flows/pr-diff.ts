// The "diff" a reviewer (or the ticket writer) reads. Azure DevOps 7.1 has no diff endpoint for a PR
// iteration, so the text comes from the checkout:
//   1. `git diff <target>...<source>` when git and both commits are in the checkout (a full fetch);
//   2. otherwise the iteration's changed files as they are in the checkout: added files as whole-file
//      hunks, edited files as their current text (their changed lines are unknown), deleted ones named;
//   3. with no checkout at all, the changed file list alone.
// The model can read any file itself (Read/Glob/Grep), so a partial diff costs context, not correctness.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { IterationChange } from '../adapters/azdo/azdo.ts';

export type DiffMethod = 'git' | 'files' | 'list';

export interface PullRequestDiff {
  method: DiffMethod;
  diff: string;
  /** Commit messages of the PR (git only), oldest first. */
  commits: string[];
  /** Line counts of changed files in the checkout, keyed `/path`: anchors past the end are folded. */
  lineCounts: Record<string, number>;
  /** One line for logs and the run summary: how the diff was made and why. */
  note: string;
}

/** Runs git with arguments (never a shell) in `cwd`; resolves stdout, rejects on any failure. */
export type GitRunner = (args: readonly string[], cwd: string) => Promise<string>;

export interface PullRequestDiffInput {
  /** The checked-out repository; undefined or missing → the file list only. */
  cwd: string | undefined;
  changes: readonly IterationChange[];
  targetCommit?: string;
  sourceCommit?: string;
  /** Whole-text cap (the prompt builder cuts again; this keeps memory bounded). Default 150,000. */
  maxChars?: number;
  /** Per-file cap of the files fallback, in lines. Default 400. */
  maxLinesPerFile?: number;
  git?: GitRunner;
}

const COMMIT = /^[0-9a-f]{7,40}$/i;
const MAX_FILE_BYTES = 2_000_000;
const GIT_TIMEOUT_MS = 30_000;

export const runGit: GitRunner = (args, cwd) =>
  new Promise((resolvePromise, reject) => {
    execFile(
      'git',
      [...args],
      {
        cwd,
        timeout: GIT_TIMEOUT_MS,
        maxBuffer: 32 * 1024 * 1024,
        // No prompts, no pager, no user or system config that could run a diff driver.
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? cwd,
          LANG: 'C.UTF-8',
          GIT_TERMINAL_PROMPT: '0',
          GIT_CONFIG_NOSYSTEM: '1',
          GIT_PAGER: 'cat',
        },
      },
      (error, stdout) => (error ? reject(error) : resolvePromise(stdout)),
    );
  });

/** The checkout path of a repository path (`/src/a.ts`), or undefined when it would leave the checkout. */
function checkoutPath(cwd: string, path: string): string | undefined {
  const full = resolve(cwd, `.${path.startsWith('/') ? path : `/${path}`}`);
  const inside = relative(cwd, full);
  if (inside.startsWith('..') || isAbsolute(inside)) return undefined;
  try {
    // A symlink in the PR must not make us read outside the checkout either.
    const real = realpathSync(full);
    const realInside = relative(realpathSync(cwd), real);
    if (realInside.startsWith('..') || isAbsolute(realInside)) return undefined;
  } catch {
    return undefined;
  }
  return full;
}

function readText(cwd: string, path: string): string | undefined {
  const full = checkoutPath(cwd, path);
  if (!full) return undefined;
  try {
    const stat = statSync(full);
    if (!stat.isFile() || stat.size > MAX_FILE_BYTES) return undefined;
    return readFileSync(full, 'utf8');
  } catch {
    return undefined;
  }
}

function isBinary(text: string): boolean {
  return text.slice(0, 8000).includes('\u0000');
}

function linesOf(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

function lineCountsOf(cwd: string | undefined, changes: readonly IterationChange[]): Record<string, number> {
  const counts: Record<string, number> = {};
  if (!cwd) return counts;
  for (const change of changes) {
    if (change.changeType === 'delete') continue;
    const text = readText(cwd, change.path);
    if (text !== undefined && !isBinary(text)) counts[change.path] = linesOf(text).length;
  }
  return counts;
}

const CHANGE_LETTER: Record<IterationChange['changeType'], string> = {
  add: 'A',
  edit: 'M',
  delete: 'D',
  rename: 'R',
  other: 'M',
};

function fileList(changes: readonly IterationChange[]): string {
  return changes
    .map(
      (change) =>
        `${CHANGE_LETTER[change.changeType]} ${change.path}${change.originalPath ? ` (from ${change.originalPath})` : ''}`,
    )
    .join('\n');
}

function fileSection(cwd: string, change: IterationChange, maxLines: number): string {
  const path = change.path.replace(/^\/+/, '');
  const head = [`diff --git a/${change.originalPath?.replace(/^\/+/, '') ?? path} b/${path}`];
  if (change.changeType === 'delete')
    return [...head, 'deleted file', `--- a/${path}`, '+++ /dev/null'].join('\n');
  const text = readText(cwd, change.path);
  if (text === undefined) return [...head, `# ${change.changeType}: not in the checkout`].join('\n');
  if (isBinary(text)) return [...head, 'Binary file'].join('\n');
  const lines = linesOf(text);
  const shown = lines.slice(0, maxLines);
  const more =
    lines.length > shown.length ? [`# … ${lines.length - shown.length} more lines: read the file`] : [];
  if (change.changeType === 'add') {
    return [
      ...head,
      'new file',
      '--- /dev/null',
      `+++ b/${path}`,
      `@@ -0,0 +1,${shown.length} @@`,
      ...shown.map((line) => `+${line}`),
      ...more,
    ].join('\n');
  }
  return [
    ...head,
    `# ${change.changeType}: the changed lines are unknown (no git history in the checkout); the file as it is now`,
    `--- a/${path}`,
    `+++ b/${path}`,
    `@@ -1,${shown.length} +1,${shown.length} @@`,
    ...shown.map((line) => ` ${line}`),
    ...more,
  ].join('\n');
}

async function gitDiff(
  input: PullRequestDiffInput,
  cwd: string,
  git: GitRunner,
): Promise<{ diff: string; commits: string[] } | { problem: string }> {
  const { targetCommit, sourceCommit } = input;
  if (!targetCommit || !sourceCommit) return { problem: 'the iteration names no target or source commit' };
  // Commit ids only: nothing from the PR can become a git option.
  if (!COMMIT.test(targetCommit) || !COMMIT.test(sourceCommit))
    return { problem: 'the commit ids are not hashes' };
  if (!existsSync(join(cwd, '.git'))) return { problem: 'the checkout is not a git repository' };
  try {
    await git(['cat-file', '-e', `${targetCommit}^{commit}`], cwd);
    await git(['cat-file', '-e', `${sourceCommit}^{commit}`], cwd);
  } catch {
    return { problem: 'the PR commits are not in the checkout (shallow fetch?)' };
  }
  try {
    const diff = await git(
      [
        'diff',
        '--no-color',
        '--no-ext-diff',
        '--no-textconv',
        '-M',
        '-U5',
        `${targetCommit}...${sourceCommit}`,
      ],
      cwd,
    );
    const log = await git(['log', '--no-color', '--format=%B%x00', `${targetCommit}..${sourceCommit}`], cwd);
    const commits = log
      .split('\u0000')
      .map((message) => message.trim())
      .filter((message) => message.length > 0)
      .reverse();
    return { diff, commits };
  } catch (error) {
    return { problem: `git diff failed: ${(error as Error).message.split('\n')[0]}` };
  }
}

export async function buildPullRequestDiff(input: PullRequestDiffInput): Promise<PullRequestDiff> {
  const maxChars = input.maxChars ?? 150_000;
  const cwd = input.cwd && existsSync(input.cwd) ? input.cwd : undefined;
  const lineCounts = lineCountsOf(cwd, input.changes);
  if (!cwd) {
    return {
      method: 'list',
      diff: fileList(input.changes),
      commits: [],
      lineCounts,
      note: input.cwd
        ? `changed file list only: ${input.cwd} does not exist`
        : 'changed file list only: no checkout',
    };
  }
  const fromGit = await gitDiff(input, cwd, input.git ?? runGit);
  if ('diff' in fromGit) {
    return {
      method: 'git',
      diff: fromGit.diff.slice(0, maxChars),
      commits: fromGit.commits,
      lineCounts,
      note: `git diff ${input.targetCommit?.slice(0, 7)}...${input.sourceCommit?.slice(0, 7)}`,
    };
  }
  const sections: string[] = [];
  let used = 0;
  let omitted: IterationChange[] = [];
  for (const [index, change] of input.changes.entries()) {
    const section = fileSection(cwd, change, input.maxLinesPerFile ?? 400);
    if (used + section.length > maxChars) {
      omitted = input.changes.slice(index);
      break;
    }
    sections.push(section);
    used += section.length + 1;
  }
  if (omitted.length > 0)
    sections.push(`# ${omitted.length} more changed files, not shown:\n${fileList(omitted)}`);
  return {
    method: 'files',
    diff: sections.join('\n'),
    commits: [],
    lineCounts,
    note: `changed files from the checkout (${fromGit.problem})`,
  };
}
