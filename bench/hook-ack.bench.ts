// Service-hook acknowledgement through the local function host (its own process) on Azurite: the
// recorded git.pullrequest.updated event, one per PR, authenticated by the shared-secret header,
// validated, deduped (event id, then meaning), queued, 2xx. One at a time and bursts of 50.
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PullRequestState } from '../sandbox/sim/azdo/simulator.ts';
import { type Stack, startStack } from '../sandbox/stack.ts';
import type { BenchContext } from './context.ts';
import { FLOOR_FACTOR, floorRequest, startAckFloor } from './ack-floor.ts';
import { measureHostAcks, startHostRig } from './host-rig.ts';
import { failureNote, type PreparedRequest } from './load.ts';
import { seedPullRequests } from './seed.ts';
import { round, summarize } from './stats.ts';
import type { Figure } from './types.ts';

const REPO = 'Billo.Platform.Payment';
const WARMUP = 5;
const SINGLE = 30;
const BURST = 50;
const ROUNDS = 5;

const recorded = JSON.parse(
  readFileSync(
    join(
      import.meta.dirname,
      '..',
      'test',
      'fixtures',
      'azure-devops',
      'azdo-servicehook-git.pullrequest.created.json',
    ),
    'utf8',
  ),
) as Record<string, unknown>;

/** The recorded event as `git.pullrequest.updated` for a simulator PR (only identifiers changed). */
function updatedEvent(pr: PullRequestState): string {
  // biome-ignore lint/suspicious/noExplicitAny: recorded JSON, edited field by field
  const event = structuredClone(recorded) as Record<string, any>;
  event.id = randomUUID();
  event.eventType = 'git.pullrequest.updated';
  event.resource.repository.name = REPO;
  event.resource.pullRequestId = pr.id;
  event.resource.status = 'active';
  event.resource.targetRefName = pr.targetRefName;
  event.resource.sourceRefName = pr.sourceRefName;
  event.resource.lastMergeSourceCommit.commitId = pr.sourceCommit;
  return JSON.stringify(event);
}

function delivery(stack: Stack, url: string, pr: PullRequestState): PreparedRequest {
  return {
    url,
    init: {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'x-webhook-secret': stack.secrets.webhookSecret,
        'user-agent': 'VSServices/16.255.35110.2',
      },
      body: updatedEvent(pr),
    },
  };
}

export async function hookAckBench(context: BenchContext): Promise<Figure[]> {
  const azurite = await context.azurite();
  const stack = await startStack({
    storageConnectionString: azurite.connectionString,
    latency: context.latency,
  });
  try {
    // Real PRs, so the queue worker's re-read finds them (no PR pipeline: a Build Validation policy runs it).
    const prs = seedPullRequests(stack.azdo, REPO, WARMUP + SINGLE + BURST * ROUNDS);
    const rig = await startHostRig(
      stack.functionEnv({ WORK_QUEUE_NAME: `bench-${randomBytes(3).toString('hex')}`, WATCHED_REPOS: REPO }),
      { queuePollMs: 100 },
    );
    const url = `${rig.apiUrl}/azdo/events`;
    const { single, burst, peaksMB, cpu, memoryAfter, floor } = await measureHostAcks(rig, {
      warmup: WARMUP,
      single: SINGLE,
      rounds: ROUNDS,
      burst: BURST,
      prepare: (index) => delivery(stack, url, prs[index]!),
      floor: {
        start: () => startAckFloor(azurite.connectionString, stack.secrets.slackSigningSecret),
        request: floorRequest(stack.secrets.slackSigningSecret),
      },
      progress: (message) => context.progress(`hook-ack: ${message}`),
    });
    const singleSummary = summarize(single.samples);
    const burstSummary = summarize(burst.samples);
    const floorSummary = summarize(floor.samples);
    return [
      {
        group: 'hook-ack',
        name: 'PR event ack, 1 at a time',
        unit: 'ms',
        summary: singleSummary,
        target: 'p99 ≤ 50 ms',
        met: singleSummary.p99 <= 50 && failureNote(single) === undefined,
        note: ['each event on a quiet host', failureNote(single)].filter(Boolean).join('; '),
      },
      {
        group: 'hook-ack',
        name: `PR event ack, ${BURST} concurrent`,
        unit: 'ms',
        summary: burstSummary,
        reference: { name: 'minimal ack (storage only, bare Node)', summary: floorSummary },
        target: `p99 ≤ ${FLOOR_FACTOR}× the minimal ack's p99 in this run (${round(FLOOR_FACTOR * floorSummary.p99)} ms)`,
        met: burstSummary.p99 <= FLOOR_FACTOR * floorSummary.p99 && failureNote(burst) === undefined,
        note: [
          `${ROUNDS} bursts, wall per burst median ${round(summarize(burst.wallMs).median)} ms; host peak RSS ${round(Math.max(...peaksMB))} MB (maxRSS ${round(memoryAfter.maxRssMB)} MB); ${cpu.per(burst.samples.length, 'event')}`,
          failureNote(burst),
        ]
          .filter(Boolean)
          .join('; '),
      },
    ];
  } finally {
    await stack.stop();
  }
}
