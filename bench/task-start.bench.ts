// Task start and memory. Start: time from spawning `node <bundle>` (the agent's way) to the task's first
// log line (its banner, printed once the entry and its static chunks are loaded; the clients load on
// first use), with a bare agent environment (no inputs: it then fails fast), against bare Node on the
// same machine: `node -e 0` to its exit and `node -e "console.log(1)"` to its line, interleaved run by
// run. Memory: each task's peak RSS (the kernel's maxRSS, read by an --require preload on exit) over
// full happy-path runs: a PR reviewed, ticketed, merged and staged, then released (plan, create,
// complete, pipelines, complete release), against a sandbox stack, as the agent runs them.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTaskBundle, type TaskRunResult } from '../sandbox/agent/task-runner.ts';
import { scriptedClaude } from '../sandbox/claude/index.ts';
import { type Stack, startStack } from '../sandbox/stack.ts';
import { jobFor, jobKindOf } from '../test/tasks/job-kit.ts';
import type { BenchContext } from './context.ts';
import { round, summarize } from './stats.ts';
import type { Figure } from './types.ts';

const START_RUNS = 9;
const RELEASES = 3;
const MB = 1024;

interface Started {
  /** Spawn to the first line that is not a logging command (else the first line at all). */
  firstLineMs: number | undefined;
  exitMs: number;
  line: string | undefined;
}

function timeStart(args: string[], env: Record<string, string>, cwd: string): Promise<Started> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'ignore'] });
    let firstLineMs: number | undefined;
    let firstVsoMs: number | undefined;
    let line: string | undefined;
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const now = performance.now() - start;
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const text of lines) {
        if (firstLineMs !== undefined) break;
        if (text.startsWith('##vso[')) firstVsoMs ??= now;
        else if (text.trim()) {
          firstLineMs = now;
          line = text.trim();
        }
      }
    });
    child.once('error', reject);
    child.once('close', () => {
      const exitMs = performance.now() - start;
      const fallback = buffered.trim() && !buffered.startsWith('##vso[') ? exitMs : firstVsoMs;
      resolve({ firstLineMs: firstLineMs ?? fallback, exitMs, line: line ?? (buffered.trim() || undefined) });
    });
  });
}

const taskNameOf = (bundleName: string) => bundleName.replace(/^task /, '');

/** Every task's happy path, as the pipelines run them, with the maxRSS of each run in KiB. */
async function fullRuns(
  stack: Stack,
  tasksDir: string,
  context: BenchContext,
): Promise<Map<string, number[]>> {
  const work = mkdtempSync(join(tmpdir(), 'bench-tasks-'));
  const preload = join(work, 'max-rss.cjs');
  // The task's own process only (not the claude stand-in it starts): the bundle is the main script.
  writeFileSync(
    preload,
    `const file = process.env.BENCH_RSS_FILE;
process.on('exit', () => {
  if (file && /index\\.mjs$/.test(process.argv[1] || '')) require('node:fs').appendFileSync(file, process.resourceUsage().maxRSS + '\\n');
});
`,
  );
  const rss = new Map<string, number[]>();
  let runs = 0;
  const run = async (
    task: string,
    inputs: Record<string, string | number | boolean | undefined>,
    variables: Record<string, string>,
    connections: readonly ('jira' | 'slack' | 'state')[] = ['jira', 'slack', 'state'],
  ): Promise<TaskRunResult> => {
    const rssFile = join(work, `rss-${++runs}.txt`);
    // Each run in its own in-progress build, with that job's token: the function app (which holds the
    // state) reads the build behind the token, as it does for a real agent.
    const kind = jobKindOf(task);
    const job = kind ? await jobFor(stack, kind, stack.agentVariables(variables)) : undefined;
    const result = await runTaskBundle({
      taskDir: join(tasksDir, task),
      inputs: {
        ...Object.fromEntries(connections.map((id) => [`${id}Connection`, id])),
        ...inputs,
      },
      variables: stack.agentVariables({ ...variables, ...job?.variables }),
      endpoints: Object.fromEntries(connections.map((id) => [id, stack.endpoints[id]])),
      accessToken: job?.token ?? stack.secrets.accessToken,
      // `claude` on the agent's PATH: the sandbox's stand-in.
      env: {
        NODE_OPTIONS: `--require ${preload}`,
        BENCH_RSS_FILE: rssFile,
        PATH: [scriptedClaude().dir, process.env.PATH ?? ''].join(':'),
      },
      timeoutMs: 60_000,
    });
    if (result.result !== 'Succeeded' && result.result !== 'SucceededWithIssues') {
      throw new Error(
        `${task} ended ${result.result}: ${result.resultMessage}\n${result.logLines.slice(-10).join('\n')}`,
      );
    }
    const kib = existsSync(rssFile)
      ? Number(readFileSync(rssFile, 'utf8').trim().split('\n')[0])
      : Number.NaN;
    rss.set(task, [...(rss.get(task) ?? []), kib]);
    return result;
  };
  try {
    const ci = stack.azdo.addPipeline({ id: 900, name: 'Payments CI' });
    for (let release = 1; release <= RELEASES; release++) {
      context.progress(`task-start: full run ${release} of ${RELEASES} (every task on its happy path)`);
      const repo = `Billo.Platform.Bench${release}`;
      const issue = stack.jira.state.createIssue({ project: 'ALLPOST', summary: `Card payments ${release}` });
      stack.azdo.seedRepository({ name: repo, defaultBranch: 'main', branches: ['develop'] });
      const branch = `feature/${issue.key}_cards`;
      stack.azdo.pushCommit(repo, branch, {
        message: 'Card payments',
        changes: [{ path: '/src/payment.ts', changeType: 'add' }],
      });
      const pr = stack.azdo.createPullRequestAsUser({
        repository: repo,
        sourceRefName: `refs/heads/${branch}`,
        targetRefName: 'refs/heads/develop',
        title: `Card payments ${release}`,
      });
      const checkout = join(work, `checkout-${release}`);
      mkdirSync(join(checkout, 'src'), { recursive: true });
      writeFileSync(
        join(checkout, 'src', 'payment.ts'),
        'export function pay(amount: number) {\n  return amount * 2;\n}\n',
      );
      const prVariables = {
        'System.PullRequest.PullRequestId': String(pr.id),
        'Build.Repository.Name': repo,
        'Build.SourcesDirectory': checkout,
        'Build.BuildId': String(100 + release),
      };
      await run('JiraTicket', { action: 'ensure' }, prVariables, ['jira', 'state']);
      await run('ReviewPullRequest', {}, prVariables);
      // Gate 1 answered: the PR is merged into develop, and the develop CI stages it.
      stack.azdo.completePullRequest(pr, stack.azdo.users.approver, { mergeStrategy: 'squash' });
      await run(
        'StageRelease',
        {},
        {
          'Build.Repository.Name': repo,
          'Build.SourceVersion': pr.mergeCommit,
          'Build.SourceVersionMessage': `Merged PR ${pr.id}: ${pr.title}`,
          'Build.BuildId': String(200 + release),
        },
      );
      await run(
        'Notify',
        { step: 'StageRelease', message: 'a notice the pipeline sends on failure' },
        { 'Build.Repository.Name': repo },
        ['slack'],
      );
      const releaseVariables = {
        'Build.Repository.Name': repo,
        'Build.BuildId': String(300 + release),
        'System.DefinitionId': '5',
      };
      const plan = await run(
        'ReleasePullRequest',
        { action: 'plan', pipelines: `${ci.id}:${ci.name}` },
        releaseVariables,
      );
      const version = plan.outputs.version;
      if (!version) throw new Error(`the plan set no version: ${plan.resultMessage}`);
      await run('ReleasePullRequest', { action: 'create', version }, releaseVariables);
      await run('ReleasePullRequest', { action: 'complete', version }, releaseVariables);
      stack.azdo.scriptNextRun(ci.id, { result: 'succeeded', durationMs: 300 });
      await run('RunPipelines', { version, pollIntervalSeconds: 0.2, maxWaitSeconds: 30 }, releaseVariables, [
        'slack',
        'state',
      ]);
      await run('CompleteRelease', { version }, releaseVariables);
    }
    return rss;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export async function taskStartBench(context: BenchContext): Promise<Figure[]> {
  const artifacts = await context.artifacts();
  const tasks = artifacts.tasks.map((bundle) => taskNameOf(bundle.name));
  const cwd = mkdtempSync(join(tmpdir(), 'bench-agent-'));
  const figures: Figure[] = [];
  try {
    // What the agent always sets; no inputs, no connections: each task fails fast after its banner.
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: cwd,
      AGENT_TEMPDIRECTORY: cwd,
      AGENT_VERSION: '4.266.2',
    };
    const bare: number[] = [];
    const bareLine: number[] = [];
    const starts = new Map<string, Started[]>(tasks.map((task) => [task, []]));
    const withCache = new Map<string, number[]>(tasks.map((task) => [task, []]));
    context.progress(
      `task-start: ${START_RUNS} starts of ${tasks.length} bundles and of bare node, interleaved`,
    );
    // A first unmeasured round warms the file cache, as an agent that has run the task before.
    for (let run = -1; run < START_RUNS; run++) {
      const zero = await timeStart(['-e', '0'], env, cwd);
      const one = await timeStart(['-e', 'console.log(1)'], env, cwd);
      if (run >= 0) {
        bare.push(zero.exitMs);
        if (one.firstLineMs !== undefined) bareLine.push(one.firstLineMs);
      }
      for (const task of tasks) {
        const bundle = join(artifacts.tasksDir, task, 'index.mjs');
        const started = await timeStart([bundle], env, cwd);
        // The same start with Node's on-disk compile cache (filled by the first round), as a
        // long-lived agent could have it: how much of the start is compiling the bundle.
        const cached = await timeStart(
          [bundle],
          { ...env, NODE_COMPILE_CACHE: join(cwd, 'compile-cache') },
          cwd,
        );
        if (run >= 0) {
          starts.get(task)?.push(started);
          if (cached.firstLineMs !== undefined) withCache.get(task)?.push(cached.firstLineMs);
        }
      }
    }
    const bareSummary = summarize(bare);
    const bareLineMedian = summarize(bareLine).median;
    for (const task of tasks) {
      const runs = starts.get(task) ?? [];
      const summary = summarize(
        runs.flatMap((run) => (run.firstLineMs === undefined ? [] : [run.firstLineMs])),
      );
      const ratio = summary.median / bareSummary.median;
      figures.push({
        group: 'task-start',
        name: `${task}: node <bundle> to first log line`,
        unit: 'ms',
        summary,
        reference: { name: 'node -e 0', summary: bareSummary },
        target: '≤ 3× bare Node',
        met: ratio <= 3,
        note: `${round(ratio, 2)}× node -e 0 (${round(summary.median / bareLineMedian, 2)}× node -e "console.log(1)" to its line, ${round(bareLineMedian)} ms); with NODE_COMPILE_CACHE warm: median ${round(summarize(withCache.get(task) ?? []).median)} ms; first line "${runs[0]?.line ?? '?'}"`,
      });
    }

    const azurite = await context.azurite();
    const stack = await startStack({
      storageConnectionString: azurite.connectionString,
      latency: context.latency,
    });
    let rss: Map<string, number[]>;
    try {
      rss = await fullRuns(stack, artifacts.tasksDir, context);
    } finally {
      await stack.stop();
    }
    for (const task of tasks) {
      const samples = (rss.get(task) ?? []).map((kib) => round(kib / MB, 1));
      const summary = summarize(samples);
      figures.push({
        group: 'task-start',
        name: `${task}: peak RSS over a full run`,
        unit: 'MB',
        summary,
        target: '≤ 150 MB',
        met: summary.max <= 150,
        note: `maxRSS over ${samples.length} happy-path runs${task === 'ReleasePullRequest' ? ' (plan, create and complete)' : ''}`,
      });
    }
    return figures;
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}
