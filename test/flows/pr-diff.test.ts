import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { IterationChange } from '../../adapters/azdo/azdo.ts';
import { buildPullRequestDiff } from '../../flows/pr-diff.ts';

function write(root: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
}

const change = (path: string, changeType: IterationChange['changeType']): IterationChange => ({
  path,
  changeType,
  changeTrackingId: 1,
});

describe('the PR diff a reviewer reads', () => {
  it('comes from git diff target...source when the checkout has both commits, with the commit messages', async () => {
    const repo = mkdtempSync(join(tmpdir(), 'diff-git-'));
    const git = (...args: string[]) =>
      execFileSync(
        'git',
        ['-c', 'user.email=a@b.c', '-c', 'user.name=A', '-c', 'commit.gpgsign=false', ...args],
        { cwd: repo, encoding: 'utf8' },
      ).trim();
    git('init', '-q', '-b', 'develop');
    write(repo, { 'src/a.ts': 'one\ntwo\nthree\n' });
    git('add', '.');
    git('commit', '-q', '-m', 'base');
    const target = git('rev-parse', 'HEAD');
    git('checkout', '-q', '-b', 'feature');
    write(repo, { 'src/a.ts': 'one\nTWO\nthree\n', 'src/b.ts': 'new\n' });
    git('add', '.');
    git('commit', '-q', '-m', 'feat: change two');
    const source = git('rev-parse', 'HEAD');

    const diff = await buildPullRequestDiff({
      cwd: repo,
      changes: [change('/src/a.ts', 'edit'), change('/src/b.ts', 'add')],
      targetCommit: target,
      sourceCommit: source,
    });
    assert.equal(diff.method, 'git');
    assert.match(diff.diff, /^-two$/m);
    assert.match(diff.diff, /^\+TWO$/m);
    assert.match(diff.diff, /^\+\+\+ b\/src\/b\.ts$/m);
    assert.deepEqual(diff.commits, ['feat: change two']);
    assert.deepEqual(diff.lineCounts, { '/src/a.ts': 3, '/src/b.ts': 1 });
  });

  it('falls back to the changed files of the checkout when the commits are not there (shallow fetch)', async () => {
    const checkout = mkdtempSync(join(tmpdir(), 'diff-files-'));
    write(checkout, { 'src/new.ts': 'a\nb\n', 'src/old.ts': 'x\ny\nz\n' });
    const diff = await buildPullRequestDiff({
      cwd: checkout,
      changes: [
        change('/src/new.ts', 'add'),
        change('/src/old.ts', 'edit'),
        change('/src/gone.ts', 'delete'),
      ],
      targetCommit: 'a'.repeat(40),
      sourceCommit: 'b'.repeat(40),
    });
    assert.equal(diff.method, 'files');
    assert.match(diff.note, /not a git repository/);
    assert.match(diff.diff, /--- \/dev\/null\n\+\+\+ b\/src\/new\.ts\n@@ -0,0 \+1,2 @@\n\+a\n\+b/);
    assert.match(diff.diff, /the changed lines are unknown[\s\S]*\n x\n y\n z/);
    assert.match(diff.diff, /deleted file\n--- a\/src\/gone\.ts\n\+\+\+ \/dev\/null/);
    assert.deepEqual(diff.lineCounts, { '/src/new.ts': 2, '/src/old.ts': 3 });
  });

  it('never reads outside the checkout, and never hands git anything but commit hashes', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'diff-outside-'));
    write(outside, { 'secret.txt': 'do not read\n' });
    const checkout = mkdtempSync(join(tmpdir(), 'diff-inside-'));
    const calls: string[][] = [];
    const diff = await buildPullRequestDiff({
      cwd: checkout,
      changes: [change(`/../${outside.split('/').pop()}/secret.txt`, 'add')],
      targetCommit: '--output=/tmp/x',
      sourceCommit: 'HEAD',
      git: async (args) => {
        calls.push([...args]);
        return '';
      },
    });
    assert.equal(diff.method, 'files');
    assert.doesNotMatch(diff.diff, /do not read/);
    assert.deepEqual(calls, []);
  });

  it('is the file list alone without a checkout, and cuts a long diff listing what it left out', async () => {
    const listed = await buildPullRequestDiff({
      cwd: undefined,
      changes: [change('/a.ts', 'add'), change('/b.ts', 'delete')],
    });
    assert.equal(listed.method, 'list');
    assert.equal(listed.diff, 'A /a.ts\nD /b.ts');

    const checkout = mkdtempSync(join(tmpdir(), 'diff-cut-'));
    write(checkout, { 'one.ts': `${'x'.repeat(300)}\n`, 'two.ts': 'y\n' });
    const cut = await buildPullRequestDiff({
      cwd: checkout,
      changes: [change('/one.ts', 'add'), change('/two.ts', 'add')],
      maxChars: 400,
    });
    assert.match(cut.diff, /\+x{300}/);
    assert.match(cut.diff, /# 1 more changed files, not shown:\nA \/two\.ts/);
  });
});
