// Poller cost: one cycle of flows/poller.ts over 1 project × N repos × M active PRs, counting Azure DevOps
// requests (the simulator's request log) and Table operations (every table call, through the store's
// wrapTable), and its wall time. The first cycle discovers every PR; the steady cycles after it are the
// cost of every interval. The reference is the Python agent's way on the same seeded simulator: one
// active-PR list per repository, then one read per PR (its fetch_pr_details). Run at 5 repos × 20 PRs,
// 50 × 20 and 50 × 2: the same 100 PRs over 5 or 50 repos show whether the cost follows the repos.
import type { RunningAzurite } from '../sandbox/azurite.ts';
import type { LatencyProfileName } from '../sandbox/sim/latency.ts';
import { startStack } from '../sandbox/stack.ts';
import { countedPoller } from '../sandbox/counted-poller.ts';
import type { BenchContext } from './context.ts';
import { seedPullRequests } from './seed.ts';
import { elapsedMs, summarize } from './stats.ts';
import type { Figure } from './types.ts';

const STEADY_CYCLES = 3;
const REFERENCE_RUNS = 3;
const TARGET_BRANCH = 'refs/heads/develop';
/** A plausible round trip to dev.azure.com, for the estimate next to the simulator's wall times. */
const SERVICE_LATENCY_MS = 100;

/** Seconds a cycle would take if each of its `requests` sequential calls took SERVICE_LATENCY_MS. */
const atServiceLatency = (wallMs: number, requests: number) =>
  Math.round((wallMs + requests * SERVICE_LATENCY_MS) / 100) / 10;

interface Cycle {
  requests: number;
  tableOps: number;
  tableCalls: string;
  ms: number;
  prsSeen: number;
  errors: number;
}

interface SizeResult {
  repos: number;
  prsPerRepo: number;
  first: Cycle;
  steady: Cycle[];
  reference: { requests: number; ms: number }[];
}

async function measureSize(
  azurite: RunningAzurite,
  repos: number,
  prsPerRepo: number,
  latency: LatencyProfileName,
): Promise<SizeResult> {
  const stack = await startStack({ storageConnectionString: azurite.connectionString, latency });
  try {
    const names = Array.from(
      { length: repos },
      (_, index) => `Billo.Service${String(index + 1).padStart(2, '0')}`,
    );
    for (const name of names) seedPullRequests(stack.azdo, name, prsPerRepo, 'poll');
    // As the function app is configured: every repo watched, polling on, no PR pipeline (a Build
    // Validation policy runs it), no Slack (the cycle's card step is skipped).
    const poller = countedPoller(stack, {
      connectionString: azurite.connectionString,
      tablePrefix: stack.tablePrefix,
      env: { PR_POLL_ENABLED: 'true', PR_POLL_TARGET_BRANCH: TARGET_BRANCH },
    });
    const { counter, azdo } = poller;

    const cycle = async (id: string): Promise<Cycle> => {
      const before = stack.azdo.requestLog.length;
      const start = performance.now();
      const report = await poller.cycle(id);
      const ms = elapsedMs(start);
      return {
        requests: stack.azdo.requestLog.length - before,
        tableOps: counter.total,
        tableCalls: counter.describe(),
        ms,
        prsSeen: report.prsSeen,
        errors: report.errors.length,
      };
    };
    const first = await cycle('bench-first');
    const steady: Cycle[] = [];
    for (let run = 0; run < STEADY_CYCLES; run++) steady.push(await cycle(`bench-steady-${run}`));

    // The Python agent's way, on the same simulator: repo by repo, then each PR's details.
    const reference: { requests: number; ms: number }[] = [];
    for (let run = 0; run < REFERENCE_RUNS; run++) {
      const before = stack.azdo.requestLog.length;
      const start = performance.now();
      for (const repository of names) {
        for (const pr of await azdo.listActivePullRequests({ repository, targetRefName: TARGET_BRANCH })) {
          await azdo.getPullRequest(repository, pr.id);
        }
      }
      reference.push({ requests: stack.azdo.requestLog.length - before, ms: elapsedMs(start) });
    }
    return { repos, prsPerRepo, first, steady, reference };
  } finally {
    await stack.stop();
  }
}

const label = (size: SizeResult) => `${size.repos} repos × ${size.prsPerRepo} PRs`;

export async function pollerBench(context: BenchContext): Promise<Figure[]> {
  const azurite = await context.azurite();
  const sizes: SizeResult[] = [];
  for (const [repos, prsPerRepo] of [
    [5, 20],
    [50, 2],
    [50, 20],
  ] as const) {
    context.progress(`poller: ${repos} repos × ${prsPerRepo} active PRs`);
    sizes.push(await measureSize(azurite, repos, prsPerRepo, context.latency));
  }
  const [small, wide, large] = sizes as [SizeResult, SizeResult, SizeResult];
  const steadyRequests = (size: SizeResult) => summarize(size.steady.map((cycle) => cycle.requests));
  const referenceRequests = (size: SizeResult) => summarize(size.reference.map((run) => run.requests));
  const errors = (size: SizeResult) =>
    [size.first, ...size.steady].reduce((sum, cycle) => sum + cycle.errors, 0);
  // Same 100 PRs over 5 or over 50 repos: independent of the repos means the same count.
  const independent = steadyRequests(small).median === steadyRequests(wide).median;
  const byRepos = sizes
    .map(
      (size) =>
        `${label(size)}: ${steadyRequests(size).median} (Python way ${referenceRequests(size).median})`,
    )
    .join('; ');

  const figures: Figure[] = [];
  for (const size of [large, small]) {
    figures.push({
      group: 'poller',
      name: `Azure DevOps requests per cycle, ${label(size)}`,
      unit: 'count',
      summary: steadyRequests(size),
      reference: { name: 'repo by repo + PR details', summary: referenceRequests(size) },
      target: 'requests independent of the number of repos',
      met: independent,
      note:
        size === large
          ? `${byRepos}; the PR list pages by 100, plus 1 call for the pending approvals`
          : `first cycle ${size.first.requests}`,
    });
  }
  for (const size of [large, small]) {
    figures.push({
      group: 'poller',
      name: `Table operations per cycle, ${label(size)}`,
      unit: 'count',
      summary: summarize(size.steady.map((cycle) => cycle.tableOps)),
      note: `steady: ${size.steady[0]?.tableCalls}; first cycle (discovers every PR): ${size.first.tableOps} (${size.first.tableCalls})${errors(size) ? `; ${errors(size)} cycle errors` : ''}`,
    });
  }
  for (const size of [large, small]) {
    figures.push({
      group: 'poller',
      name: `cycle wall time, ${label(size)}`,
      unit: 'ms',
      summary: summarize(size.steady.map((cycle) => cycle.ms)),
      reference: {
        name: 'repo by repo + PR details',
        summary: summarize(size.reference.map((run) => run.ms)),
      },
      note: `steady cycles; first cycle ${Math.round(size.first.ms)} ms for ${size.first.prsSeen} new PRs; the simulator answers in well under 1 ms: at ${SERVICE_LATENCY_MS} ms per Azure DevOps call, ≈ ${atServiceLatency(summarize(size.steady.map((cycle) => cycle.ms)).median, steadyRequests(size).median)} s vs ≈ ${atServiceLatency(summarize(size.reference.map((run) => run.ms)).median, referenceRequests(size).median)} s repo by repo`,
    });
  }
  return figures;
}
