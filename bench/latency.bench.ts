// Real-world speed: the `npm start` scenario (sandbox/scenario.ts) under both latency profiles (`none`,
// and `real`: every simulator answers with the real service's response times, sandbox/sim/latency.ts),
// the function app on its local host. It reports what a team would wait for (a Slack click to its 200, a
// gate 1 click to the completed PR, a PR opened to its gate 1 card) and how many Azure DevOps calls a PR
// and a release cost each identity against the service's rate limit. The AI review is not in the times:
// the claude stand-in answers at once; a real model adds its own time on top.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GATE_ACTIONS } from '../core/gates.ts';
import { startSandbox } from '../sandbox/sandbox.ts';
import { runCycle } from '../sandbox/scenario.ts';
import type { RequestLogEntry } from '../sandbox/sim/server.ts';
import { buildTasks } from '../scripts/build.ts';
import type { LatencyProfileName } from '../sandbox/sim/latency.ts';
import type { BenchContext } from './context.ts';
import { round, summarize } from './stats.ts';
import type { Figure } from './types.ts';

/** Each run draws its delays from its own seed, so the runs sample different delays. */
/** Each run draws its delays from its own seed, so the runs sample different delays. */
const RUNS = 3;
/** The times are reported under each profile; the call counts do not depend on it. */
const PROFILES: readonly LatencyProfileName[] = ['none', 'real'];
/** Azure DevOps: 200 TSTUs per identity in a sliding five-minute window (docs/sandbox.md cites it). */
const TSTU_BUDGET = 200;
/** PRs in the scenario before its release: #1 (chore), #2 (reviewed twice), #3 (second repository). */
const SCENARIO_PRS = 3;

/** Requests per identity in a time window of the log. */
function perIdentity(log: readonly RequestLogEntry[], fromMs: number, toMs: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (const entry of log) {
    const at = Date.parse(entry.at);
    if (at < fromMs || at >= toMs || !entry.operation) continue;
    const identity = entry.identity ?? 'anonymous';
    counts.set(identity, (counts.get(identity) ?? 0) + 1);
  }
  return counts;
}

const describe = (counts: Map<string, number>, divisor = 1) =>
  [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([identity, count]) => `${identity} ${round(count / divisor, 1)}`)
    .join(', ');

export async function latencyBench(context: BenchContext): Promise<Figure[]> {
  const azurite = await context.azurite();
  const tasksDir = mkdtempSync(join(tmpdir(), 'bench-latency-tasks-'));
  const times = new Map(
    PROFILES.map((profile) => [
      profile,
      { acks: [] as number[], clickToCompleted: [] as number[], openedToCard: [] as number[] },
    ]),
  );
  const perPr: number[] = [];
  const perRelease: number[] = [];
  let perPrNote = '';
  let perReleaseNote = '';
  try {
    await buildTasks(tasksDir);
    for (const latency of PROFILES) {
      const { acks, clickToCompleted, openedToCard } = times.get(latency)!;
      for (let run = 0; run < RUNS; run++) {
        context.progress(
          `latency: the npm start scenario under the ${latency} profile, ${run + 1} of ${RUNS}`,
        );
        const sandbox = await startSandbox({
          mode: 'scripted',
          storageConnectionString: azurite.connectionString,
          tasksDir,
          hub: false,
          latency,
          latencySeed: run + 1,
        });
        try {
          const cycleStart = Date.now();
          const result = await runCycle(sandbox);
          const cycleEnd = Date.now();
          if (!result.ok)
            throw new Error(
              `the cycle failed at "${result.failedStep}": [${result.error?.code}] ${result.error?.message}`,
            );
          const { azdo, slack } = sandbox.stack;
          const deliveries = slack.deliveries();
          for (const delivery of deliveries) if (delivery.status === 200) acks.push(delivery.durationMs);

          // Gate 1 presses, in order; the scenario waits for each PR to complete before the next press.
          const closed = [...azdo.pullRequests.values()]
            .map((pr) => (pr.closedDate ? Date.parse(pr.closedDate) : undefined))
            .filter((at): at is number => at !== undefined)
            .sort((a, b) => a - b);
          for (const press of deliveries.filter(
            (delivery) => delivery.actionId === GATE_ACTIONS.merge_pr.approve.actionId,
          )) {
            const clicked = Date.parse(press.at);
            const completed = closed.find((at) => at >= clicked);
            if (completed !== undefined) clickToCompleted.push(completed - clicked);
          }

          // PR #1: opened → its gate 1 card (PR #2 waits on a person's fix, PR #3 on the poller's turn).
          const opened = result.lines.find((line) =>
            line.text.startsWith(`PR #${result.facts.prs.chore} opened`),
          );
          const card = opened
            ? result.lines.find(
                (line) => line.atMs >= opened.atMs && line.text.startsWith('gate 1 card posted'),
              )
            : undefined;
          if (opened && card) openedToCard.push(card.atMs - opened.atMs);

          // The release starts with the operator's POST /api/manual/release: PRs before it, the release after.
          const releaseLine = result.lines.find((line) => line.text.startsWith('POST /api/manual/release'));
          if (!releaseLine) throw new Error('the cycle has no release start');
          const releaseAt = cycleStart + releaseLine.atMs;
          const prCounts = perIdentity(azdo.requestLog, cycleStart, releaseAt);
          const releaseCounts = perIdentity(azdo.requestLog, releaseAt, cycleEnd + 1);
          perPr.push(Math.max(...prCounts.values()) / SCENARIO_PRS);
          perRelease.push(Math.max(...releaseCounts.values()));
          perPrNote = describe(prCounts, SCENARIO_PRS);
          perReleaseNote = describe(releaseCounts);
        } finally {
          await sandbox.stop();
        }
      }
    }
  } finally {
    rmSync(tasksDir, { recursive: true, force: true });
  }
  const prSummary = summarize(perPr);
  const releaseSummary = summarize(perRelease);
  const prsPerWindow = Math.floor(TSTU_BUDGET / prSummary.median);
  return [
    ...PROFILES.flatMap((latency): Figure[] => {
      const { acks, clickToCompleted, openedToCard } = times.get(latency)!;
      return [
        {
          group: 'latency',
          name: `Slack click → acknowledgement (${latency} profile)`,
          unit: 'ms',
          summary: summarize(acks),
          target: 'Slack answers within 3 s',
          met: summarize(acks).p99 < 3000,
          note: 'every press of the scenario, the signed request to its 200',
        },
        {
          group: 'latency',
          name: `gate 1 click → PR completed (${latency} profile)`,
          unit: 'ms',
          summary: summarize(clickToCompleted),
          note: 'the press until the simulator holds the PR completed',
        },
        {
          group: 'latency',
          name: `PR opened → gate 1 card posted, AI apart (${latency})`,
          unit: 'ms',
          summary: summarize(openedToCard),
          note: 'PR #1: the PR pipeline (review, ticket) to the card; the claude stand-in answers at once, add the model time',
        },
      ];
    }),
    {
      group: 'latency',
      name: 'Azure DevOps calls per PR (busiest identity)',
      unit: 'count',
      summary: prSummary,
      note: `per identity: ${perPrNote}; at ~1 TSTU per light call, 200 TSTUs / 5 min ≈ ${prsPerWindow} PRs per 5 minutes per identity`,
    },
    {
      group: 'latency',
      name: 'Azure DevOps calls per release (busiest identity)',
      unit: 'count',
      summary: releaseSummary,
      note: `per identity: ${perReleaseNote}; ${round((releaseSummary.median / TSTU_BUDGET) * 100)} % of 200 TSTUs / 5 min at ~1 TSTU per call`,
    },
  ];
}
