// A review that keeps up with the pull request, measured: one PR of five pushes (each adds a file of
// about 3 KB), reviewed after every push incrementally (what changed since the last reviewed commit,
// with the open findings as context) and, on a twin PR, in full each time. The review flow runs as the
// PR build runs it, against the Azure DevOps simulator, the app's half in-process over Azurite, and the
// `claude` stand-in; git answers from the pushes themselves (a checkout with the PR's history). Figures:
// reviewer calls, prompt characters per push, and the prompt's cost at list input pricing.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RestAzureDevOps } from '../adapters/azdo/rest-azdo.ts';
import { createCliClaudeRunner } from '../adapters/claude/cli-claude.ts';
import type { ClaudeRunner } from '../adapters/claude/claude.ts';
import { systemClock } from '../adapters/system-clock.ts';
import { Secret } from '../core/secret.ts';
import type { GitRunner } from '../flows/pr-diff.ts';
import { localReviewReporting } from '../flows/review-record.ts';
import { reviewPullRequestFlow } from '../flows/review-pull-request.ts';
import { scriptedClaude } from '../sandbox/claude/index.ts';
import { type Stack, startStack } from '../sandbox/stack.ts';
import type { BenchContext } from './context.ts';
import { round, summarize } from './stats.ts';
import type { Figure } from './types.ts';
import { silentLogger } from '../flows/context.ts';

const PUSHES = 5;
/** Claude Sonnet's list price for input tokens, and ~4 characters a token: the prompt's share of cost. */
const INPUT_USD_PER_MTOK = 3;
const CHARS_PER_TOKEN = 4;

interface Push {
  commit: string;
  path: string;
  text: string;
  message: string;
}

/** The source of push `n`: a module of ~3 KB, different each time. */
function moduleText(n: number): string {
  const lines = [`// module ${n}`];
  for (let i = 0; i < 60; i++)
    lines.push(`export const value${n}_${i} = ${n * 1000 + i}; // part ${i} of module ${n}`);
  return `${lines.join('\n')}\n`;
}

/** git as a checkout with the PR's history answers it: diffs and logs between the pushes' commits. */
function historyGit(base: string, pushes: readonly Push[]): GitRunner {
  const index = (commit: string) =>
    commit === base ? -1 : pushes.findIndex((push) => push.commit === commit);
  const between = (range: string) => {
    const [from, to] = range.split(/\.\.\.?/) as [string, string];
    return pushes.slice(index(from) + 1, index(to) + 1);
  };
  return async (args) => {
    if (args[0] === 'cat-file') {
      const commit = (args[2] ?? '').replace('^{commit}', '');
      if (index(commit) === -1 && commit !== base) throw new Error('not a commit of the checkout');
      return '';
    }
    const range = args.at(-1) ?? '';
    if (args[0] === 'diff')
      return between(range)
        .map((push) => {
          const lines = push.text.trimEnd().split('\n');
          return [
            `diff --git a/${push.path} b/${push.path}`,
            'new file mode 100644',
            '--- /dev/null',
            `+++ b/${push.path}`,
            `@@ -0,0 +1,${lines.length} @@`,
            ...lines.map((line) => `+${line}`),
          ].join('\n');
        })
        .join('\n');
    if (args[0] === 'log')
      return between(range)
        .map((push) => `${push.message}\n\u0000`)
        .join('');
    throw new Error(`unexpected git ${args.join(' ')}`);
  };
}

/** A ClaudeRunner that records the size of each prompt it passes on. */
function measured(runner: ClaudeRunner, prompts: number[]): ClaudeRunner {
  return {
    run: async (request) => {
      prompts.push(request.prompt.length);
      return await runner.run(request);
    },
  };
}

async function reviewFivePushes(stack: Stack, repo: string, fullReview: boolean) {
  const branch = `feature/ALLPOST-9${fullReview ? '1' : '0'}_${repo}`;
  const checkout = mkdtempSync(join(tmpdir(), 'bench-review-'));
  mkdirSync(join(checkout, '.git'));
  const base = stack.azdo.repository(repo).refs.get('refs/heads/develop')!;
  const pushes: Push[] = [];
  const push = (n: number) => {
    const path = `src/module${n}.ts`;
    const text = moduleText(n);
    mkdirSync(join(checkout, 'src'), { recursive: true });
    writeFileSync(join(checkout, path), text);
    const commit = stack.azdo.pushCommit(repo, branch, {
      message: `module ${n}`,
      changes: [{ path: `/${path}`, changeType: 'add' }],
    });
    pushes.push({ commit: commit.commitId, path, text, message: `module ${n}` });
  };
  push(1);
  const pr = stack.azdo.createPullRequestAsUser({
    repository: repo,
    sourceRefName: `refs/heads/${branch}`,
    targetRefName: 'refs/heads/develop',
    title: `Modules (${fullReview ? 'full' : 'incremental'})`,
  });
  const azdo = new RestAzureDevOps({
    organizationUrl: stack.azdo.organizationUrl,
    project: stack.azdo.project.name,
    auth: { kind: 'pat', token: new Secret(stack.secrets.azdoPat) },
  });
  const claude = scriptedClaude({});
  const prompts: number[] = [];
  const runner = measured(createCliClaudeRunner({ command: claude.command }), prompts);
  const costs: number[] = [];
  try {
    for (let n = 1; n <= PUSHES; n++) {
      if (n > 1) push(n);
      const outcome = await reviewPullRequestFlow(
        {
          azdo,
          claude: runner,
          reporting: localReviewReporting(
            {
              azdo,
              store: stack.store,
              now: systemClock.now,
              log: silentLogger,
              jiraBaseUrl: stack.jira.url,
            },
            { repo, prId: pr.id, sourceCommit: undefined },
          ),
          now: systemClock.now,
          log: silentLogger,
          git: historyGit(base, pushes),
        },
        { repo, prId: pr.id, cwd: checkout, maxBudgetUsd: 2, timeoutMs: 60_000, fullReview },
      );
      if (outcome.kind !== 'reviewed') throw new Error(`push ${n} was not reviewed (${outcome.kind})`);
      costs.push(outcome.record.costUsd);
    }
  } finally {
    rmSync(checkout, { recursive: true, force: true });
    rmSync(claude.dir, { recursive: true, force: true });
  }
  return { prompts, costs, threads: pr.threads.length };
}

export async function reviewBench(context: BenchContext): Promise<Figure[]> {
  const azurite = await context.azurite();
  const stack = await startStack({
    storageConnectionString: azurite.connectionString,
    latency: context.latency,
  });
  try {
    const repo = 'Billo.Platform.Review';
    stack.azdo.seedRepository({ name: repo, defaultBranch: 'main', branches: ['develop'] });
    context.progress(`review: ${PUSHES} pushes reviewed incrementally`);
    const incremental = await reviewFivePushes(stack, repo, false);
    context.progress(`review: ${PUSHES} pushes reviewed in full`);
    const full = await reviewFivePushes(stack, repo, true);
    const promptCost = (chars: number) => (chars / CHARS_PER_TOKEN / 1_000_000) * INPUT_USD_PER_MTOK;
    const total = (values: number[]) => values.reduce((sum, value) => sum + value, 0);
    const price = `input at $${INPUT_USD_PER_MTOK}/Mtok, ${CHARS_PER_TOKEN} characters a token`;
    return [
      {
        group: 'review',
        name: `reviewer calls over a ${PUSHES}-push PR`,
        unit: 'count',
        summary: summarize([incremental.prompts.length]),
        reference: { name: 'full review each push', summary: summarize([full.prompts.length]) },
        note: `one call per push either way; PR threads left: ${incremental.threads} incremental, ${full.threads} full`,
      },
      {
        group: 'review',
        name: 'prompt characters per push, incremental',
        unit: 'count',
        summary: summarize(incremental.prompts),
        reference: { name: 'full review each push', summary: summarize(full.prompts) },
        note: `push by push: ${incremental.prompts.join(', ')} vs ${full.prompts.join(', ')}; over the PR ${total(incremental.prompts)} vs ${total(full.prompts)} (${round((total(incremental.prompts) / total(full.prompts)) * 100)} %)`,
      },
      {
        group: 'review',
        name: `prompt cost over the ${PUSHES}-push PR (USD × 1000)`,
        unit: 'count',
        summary: summarize([round(promptCost(total(incremental.prompts)) * 1000)]),
        reference: {
          name: 'full review each push',
          summary: summarize([round(promptCost(total(full.prompts)) * 1000)]),
        },
        note: `${price}; the stand-in reports $${round(total(incremental.costs))} vs $${round(total(full.costs))} (a fixed $0.0421 a call: its tool reads and output are not modelled)`,
      },
    ];
  } finally {
    await stack.stop();
  }
}
