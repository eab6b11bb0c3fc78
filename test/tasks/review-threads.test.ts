// A review that keeps up with the pull request: the ReviewPullRequest bundle run for each push of one PR,
// as the agent runs it, with a reviewer whose findings are the problems written into the code. Threads
// follow the code: fixed findings are resolved with the fixing commit, present ones are not posted
// again, new ones get a thread, the summary is one thread updated in place, and a thread a person
// settled is never raised again.
import assert from 'node:assert/strict';
import { FINDING_PROPERTY, SUMMARY_PROPERTY } from '../../core/review-threads.ts';
import type { PullRequestState } from '../../sandbox/sim/azdo/simulator.ts';
import { type Stack, startStack } from '../../sandbox/stack.ts';
import { functionAppOf } from './job-kit.ts';
import { runAgentTask, seedPullRequest, writeCheckout } from './pr-tasks-kit.ts';

describe('ReviewPullRequest: threads that follow the code across pushes', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ storageConnectionString: process.env.AZURE_STORAGE_CONNECTION_STRING_TEST! });
  });
  after(() => stack?.stop());

  const code = (...problems: string[]) =>
    `export function pay(amount: number) {\n${problems.map((problem) => `  // sim:finding ${problem}\n`).join('')}  return amount;\n}\n`;
  const findingThreads = (pr: PullRequestState) =>
    pr.threads.filter((thread) => thread.properties?.[FINDING_PROPERTY]);
  const byText = (pr: PullRequestState, text: string) =>
    findingThreads(pr).filter((thread) => thread.comments[0]!.content.includes(text));

  it('three pushes and a person: two fixed threads resolved, one kept, one new, a settled one not raised again', async () => {
    const seeded = seedPullRequest(stack, {
      branch: 'feature/ALLPOST-77_pay',
      title: 'Payments',
      files: {
        '/src/pay.ts': code('Amount is not validated', 'Currency is ignored', 'Rounding loses cents'),
      },
    });
    const { pr, repo, checkout } = seeded;
    const review = () =>
      runAgentTask(stack, 'ReviewPullRequest', {
        variables: seeded.variables,
        connections: ['state'],
        claudeScenario: 'markers',
        inputs: { failOnRequestChanges: 'false' },
      });
    const push = (message: string, content: string) => {
      writeCheckout(checkout, { '/src/pay.ts': content });
      return stack.azdo.pushCommit(repo, 'feature/ALLPOST-77_pay', {
        message,
        changes: [{ path: '/src/pay.ts', changeType: 'edit' }],
      });
    };

    // Push 1: three findings, three threads and one summary.
    const first = await review();
    assert.equal(first.result, 'SucceededWithIssues', first.resultMessage);
    assert.equal(findingThreads(pr).length, 3);
    assert.ok(findingThreads(pr).every((thread) => thread.status === 'active'));

    // Push 2 fixes two: their threads are resolved naming the commit; the third stays, not posted again.
    const fix = push('Validate the amount and keep the currency', code('Rounding loses cents'));
    await review();
    assert.equal(findingThreads(pr).length, 3, 'no duplicates');
    for (const fixed of [...byText(pr, 'Amount is not validated'), ...byText(pr, 'Currency is ignored')]) {
      assert.equal(fixed.status, 'fixed');
      assert.match(fixed.comments.at(-1)!.content, new RegExp(`Fixed in ${fix.commitId.slice(0, 7)}`));
    }
    const [rounding] = byText(pr, 'Rounding loses cents');
    assert.equal(rounding?.status, 'active');
    assert.equal(rounding?.comments.length, 1, 'the open finding was left as it was');

    // Push 3 adds a problem: one new thread.
    push('Refunds', code('Rounding loses cents', 'Refund may exceed the capture'));
    await review();
    assert.equal(findingThreads(pr).length, 4);
    assert.equal(byText(pr, 'Refund may exceed the capture')[0]?.status, 'active');

    // A person settles the rounding thread; the next push still has it: it is not raised again.
    stack.azdo.setThreadStatusAsUser(rounding!, 'wontFix');
    push('Tidy up', `${code('Rounding loses cents', 'Refund may exceed the capture')}// tidy\n`);
    await review();
    assert.equal(byText(pr, 'Rounding loses cents').length, 1);
    assert.equal(rounding!.status, 'wontFix', 'a person’s decision stands');
    assert.equal(findingThreads(pr).length, 4);

    // One summary thread, updated in place with each review.
    const summaries = pr.threads.filter((thread) => thread.properties?.[SUMMARY_PROPERTY]);
    assert.equal(summaries.length, 1);
    assert.match(summaries[0]!.comments[0]!.content, /already raised \(not posted again\)/);
  });
});

describe('ReviewPullRequest: the per-PR review budget', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ storageConnectionString: process.env.AZURE_STORAGE_CONNECTION_STRING_TEST! });
    // The stand-in's review costs $0.0421: two fit in this budget, the third push finds it spent.
    await functionAppOf(stack, { REVIEW_PR_BUDGET_USD: '0.05' });
  });
  after(() => stack?.stop());

  it('stops reviewing once the PR’s reviews cost the budget, says so on the PR, and leaves the decision to a person', async () => {
    const seeded = seedPullRequest(stack, { branch: 'feature/ALLPOST-78_costly', title: 'Costly' });
    const review = () =>
      runAgentTask(stack, 'ReviewPullRequest', { variables: seeded.variables, connections: ['state'] });
    const push = (n: number) =>
      stack.azdo.pushCommit(seeded.repo, 'feature/ALLPOST-78_costly', {
        message: `push ${n}`,
        changes: [{ path: '/src/payment.ts', changeType: 'edit' }],
      });
    assert.equal((await review()).result, 'Succeeded');
    push(2);
    assert.equal((await review()).result, 'Succeeded');
    push(3);
    const spent = await review();
    assert.equal(spent.result, 'Failed');
    assert.match(spent.resultMessage ?? '', /needs a human review/);
    const summary = seeded.pr.threads.filter((thread) => thread.properties?.[SUMMARY_PROPERTY]);
    assert.equal(summary.length, 1);
    assert.match(
      summary[0]!.comments[0]!.content,
      /AI review budget of this pull request is spent \(\$0\.08 of \$0\.05\)/,
    );
    assert.equal(seeded.pr.statuses.at(-1)?.state, 'error');
    const reviews = (await stack.store.reviews.list({ repo: seeded.repo })).filter(
      (record) => record.prId === seeded.pr.id,
    );
    assert.equal(reviews.length, 3);
    assert.equal(reviews.reduce((sum, record) => sum + record.costUsd, 0).toFixed(4), '0.0842');
  });
});
