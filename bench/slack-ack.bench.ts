// Slack click acknowledgement through the local function host (its own process) on Azurite: signature
// check, the decision read, the single-shot write of the answer, enqueue of its checks, 200 (nothing
// outside Azure Storage). One click at
// a time and bursts of 50. The reference is the same click handled inline, as the Python agent does:
// verify, then complete the PR in Azure DevOps (a simulator call made to take 200 ms), then answer.
// The host's RSS is sampled every 20 ms during the bursts. A second reference is the least any durable
// ack can do (bench/ack-floor-child.ts): what this machine allows before any of our code runs.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RestAzureDevOps } from '../adapters/azdo/rest-azdo.ts';
import { createWebApiSlack } from '../adapters/slack/web-api-slack.ts';
import { systemClock } from '../adapters/system-clock.ts';
import { decodeActionValue, encodeActionValue, GATE_ACTIONS } from '../core/gates.ts';
import type { Decision, MergePrDetails } from '../core/model.ts';
import { Secret } from '../core/secret.ts';
import { parseBlockActions } from '../core/slack-interaction.ts';
import { signSlackRequest, verifySlackSignature } from '../core/slack-signature.ts';
import { pendingCard, requestDecision } from '../flows/gate-requests.ts';
import { upsertPrThread } from '../flows/pr-thread.ts';
import { prThreadId } from '../flows/threads.ts';
import type { SimButton } from '../sandbox/sim/slack/blocks.ts';
import { blockActionsPayload } from '../sandbox/sim/slack/interactions.ts';
import { DEFAULT_SIM_USERS, SIM_BOT } from '../sandbox/sim/slack/slack-simulator.ts';
import type { PullRequestState } from '../sandbox/sim/azdo/simulator.ts';
import { type Stack, startStack } from '../sandbox/stack.ts';
import type { BenchContext } from './context.ts';
import { FLOOR_FACTOR, startAckFloor } from './ack-floor.ts';
import { measureHostAcks, startHostRig } from './host-rig.ts';
import { bursts, failureNote, type LoadResult, oneAtATime, type PreparedRequest } from './load.ts';
import { inBatches, seedPullRequests } from './seed.ts';
import { round, summarize } from './stats.ts';
import type { Figure } from './types.ts';
import { silentLogger } from '../flows/context.ts';

const REPO = 'Billo.Platform.Payment';
const SLACK_LIMIT_MS = 3000;
const INLINE_AZDO_DELAY_MS = 200;
const WARMUP = 5;
const SINGLE = 30;
const BURST = 50;
const ROUNDS = 5;
const INLINE_SINGLE = 15;
const INLINE_ROUNDS = 3;

interface Clickable {
  /** The message the button sits on, as Slack includes it in the payload. */
  message: Record<string, unknown>;
  messageTs: string;
  button: SimButton;
}

/** A block_actions delivery of `clickable`'s button, signed as Slack signs it. */
function signedClick(stack: Stack, url: string, clickable: Clickable, user: number): PreparedRequest {
  const now = Date.now();
  const clicker = DEFAULT_SIM_USERS[user % DEFAULT_SIM_USERS.length]!;
  const payload = blockActionsPayload(
    {
      id: user,
      interactionsUrl: url,
      signingSecret: stack.secrets.slackSigningSecret,
      timeoutMs: SLACK_LIMIT_MS,
      team: { id: 'T0SANDBOX', domain: 'sandbox' },
      // The configured app, and people GATE_ALLOWED_USERS names (the Slack simulator's users): a click
      // the app would refuse measures nothing.
      appId: SIM_BOT.appId,
      user: { id: clicker.id, username: clicker.username, name: clicker.name },
      channel: { id: stack.slackChannel, name: 'releases' },
      message: clickable.message,
      messageTs: clickable.messageTs,
      isEphemeral: false,
      button: clickable.button,
      responseUrl: `${stack.slack.url}/actions/T0SANDBOX/bench/none`,
    },
    now,
  );
  const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
  const timestamp = Math.floor(now / 1000);
  return {
    url,
    init: {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': String(timestamp),
        'x-slack-signature': signSlackRequest(stack.secrets.slackSigningSecret, timestamp, body),
        'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
      },
      body,
    },
  };
}

function detailsOf(stack: Stack, pr: PullRequestState): MergePrDetails {
  return {
    gate: 'merge_pr',
    repo: REPO,
    prId: pr.id,
    prTitle: pr.title,
    author: pr.createdBy.displayName,
    sourceCommit: pr.sourceCommit,
    jiraBaseUrl: stack.jira.url,
    review: { summary: 'Looks good', findingsCount: 0, costUsd: 0.1 },
  };
}

/** The card of a pending decision as a Slack message at `messageTs`, and its [Merge] button. */
function clickableOf(decision: Decision, details: MergePrDetails, messageTs: string): Clickable {
  const card = pendingCard(decision, details);
  // Slack reports the button with the id of the block it sits in.
  const button = card.blocks
    .flatMap((block) => {
      const { block_id, elements } = block as { block_id?: string; elements?: SimButton[] };
      return (elements ?? []).map((element) => ({ ...element, block_id: block_id ?? '' }));
    })
    .find((element) => element.action_id === GATE_ACTIONS.merge_pr.approve.actionId);
  if (!button) throw new Error('the merge card has no [Merge] button');
  return {
    message: { type: 'message', ts: messageTs, text: card.text, blocks: card.blocks },
    messageTs,
    button,
  };
}

/** Gate 1 asked for each PR as the ReviewPullRequest task asks it: its thread, then the decision. */
async function askMerges(stack: Stack, prs: PullRequestState[]): Promise<Clickable[]> {
  const clickables: Clickable[] = new Array(prs.length);
  const slack = createWebApiSlack({
    token: new Secret(stack.secrets.slackBotToken),
    apiUrl: stack.slack.apiUrl,
    defaultChannel: stack.slackChannel,
  });
  await inBatches(
    prs.map((pr, index) => ({ pr, index })),
    20,
    async ({ pr, index }) => {
      await upsertPrThread(stack.store, {
        repo: REPO,
        prId: pr.id,
        now: new Date(),
        state: {
          title: pr.title,
          sourceRefName: pr.sourceRefName,
          targetRefName: pr.targetRefName,
          reviewedCommit: pr.sourceCommit,
        },
      });
      const details = detailsOf(stack, pr);
      // The card is posted for real: a click counts only on the decision's own card, and the worker
      // redraws that card after the merge.
      const { decision } = await requestDecision(
        { store: stack.store, slack, channel: stack.slackChannel, now: systemClock.now, log: silentLogger },
        {
          threadId: prThreadId(REPO, pr.id),
          target: { gate: 'merge_pr', repo: REPO, prId: pr.id, sourceCommit: pr.sourceCommit },
          details,
        },
      );
      if (!decision.slack) throw new Error(`the card of PR ${pr.id} was not posted`);
      clickables[index] = clickableOf(decision, details, decision.slack.ts);
    },
  );
  return clickables;
}

/** The same click handled inside the request: verify, complete the PR, answer. */
async function startInlineHandler(stack: Stack, prs: Map<string, PullRequestState>) {
  const azdo = new RestAzureDevOps({
    organizationUrl: stack.azdo.organizationUrl,
    project: stack.azdo.project.name,
    auth: { kind: 'pat', token: new Secret(stack.secrets.azdoPat) },
    retry: { maxAttempts: 1 },
    timeoutMs: 10_000,
  });
  const readAll = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  };
  const server = createServer((req, res) => {
    void (async () => {
      const raw = await readAll(req);
      const verified = verifySlackSignature({
        signingSecret: stack.secrets.slackSigningSecret,
        timestamp: req.headers['x-slack-request-timestamp'],
        signature: req.headers['x-slack-signature'],
        rawBody: raw,
        nowSeconds: Math.floor(Date.now() / 1000),
      });
      if (!verified.ok) return res.writeHead(401).end();
      const value = decodeActionValue(parseBlockActions(raw).action.value);
      const pr = value && prs.get(value.decisionId);
      if (!pr) return res.writeHead(400).end();
      await azdo.completePullRequest(REPO, pr.id, { sourceCommitId: pr.sourceCommit });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/interactions`;
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Buttons for the inline handler: the value names the PR it completes. */
function inlineClickables(
  prs: PullRequestState[],
  offset: number,
): { clickables: Clickable[]; byId: Map<string, PullRequestState> } {
  const byId = new Map<string, PullRequestState>();
  const clickables = prs.map((pr, index) => {
    const decisionId = `merge_pr.pr${pr.id}.inline`;
    byId.set(decisionId, pr);
    const button: SimButton = {
      type: 'button',
      action_id: GATE_ACTIONS.merge_pr.approve.actionId,
      block_id: `decision:${decisionId}:actions`,
      text: { type: 'plain_text', text: 'Merge' },
      value: encodeActionValue({
        decisionId,
        nonce: randomBytes(18).toString('base64url'),
        outcome: 'approved',
      }),
      style: 'primary',
    };
    const messageTs = `${1_770_000_000 + offset + index}.000100`;
    return { message: { type: 'message', ts: messageTs, text: pr.title, blocks: [] }, messageTs, button };
  });
  return { clickables, byId };
}

export async function slackAckBench(context: BenchContext): Promise<Figure[]> {
  const azurite = await context.azurite();
  const stack = await startStack({
    storageConnectionString: azurite.connectionString,
    latency: context.latency,
  });
  try {
    const productCount = WARMUP + SINGLE + BURST * ROUNDS;
    const inlineCount = INLINE_SINGLE + BURST * INLINE_ROUNDS;
    const prs = seedPullRequests(stack.azdo, REPO, productCount + inlineCount);
    context.progress(`slack-ack: ${productCount} merge decisions pending, ${prs.length} PRs open`);
    const product = await askMerges(stack, prs.slice(0, productCount));

    const rig = await startHostRig(
      stack.functionEnv({ WORK_QUEUE_NAME: `bench-${randomBytes(3).toString('hex')}`, WATCHED_REPOS: REPO }),
      { queuePollMs: 100 },
    );
    const url = `${rig.apiUrl}/slack/interactions`;
    const acks = await measureHostAcks(rig, {
      warmup: WARMUP,
      single: SINGLE,
      rounds: ROUNDS,
      burst: BURST,
      prepare: (index) => signedClick(stack, url, product[index]!, index),
      // The reference: the least a durable ack can do (signature, 1 Table insert, 1 queue message).
      floor: {
        start: () => startAckFloor(azurite.connectionString, stack.secrets.slackSigningSecret),
        request: (floorUrl, index) => signedClick(stack, floorUrl, product[index]!, index),
      },
      progress: (message) => context.progress(`slack-ack: ${message}`),
    });
    const { single, burst, peaksMB, cpu, memoryAfter } = acks;

    context.progress(
      `slack-ack: reference, the click handled inline with a ${INLINE_AZDO_DELAY_MS} ms Azure DevOps call`,
    );
    stack.azdo.addFault({
      route: 'Pull Requests_Update',
      kind: 'delay',
      delayMs: INLINE_AZDO_DELAY_MS,
      times: 1_000_000,
    });
    const inline = inlineClickables(prs.slice(productCount), productCount);
    const handler = await startInlineHandler(stack, inline.byId);
    let inlineSingle: LoadResult;
    let inlineBurst: LoadResult;
    try {
      inlineSingle = await oneAtATime(INLINE_SINGLE, (index) =>
        signedClick(stack, handler.url, inline.clickables[index]!, index),
      );
      inlineBurst = await bursts(INLINE_ROUNDS, BURST, (index) =>
        signedClick(stack, handler.url, inline.clickables[INLINE_SINGLE + index]!, index),
      );
    } finally {
      stack.azdo.clearFaults();
      await handler.stop();
    }

    const singleSummary = summarize(single.samples);
    const burstSummary = summarize(burst.samples);
    const floorSummary = summarize(acks.floor.samples);
    const notes = (result: LoadResult, extra: string) =>
      [extra, failureNote(result)].filter(Boolean).join('; ');
    return [
      {
        group: 'slack-ack',
        name: 'click ack, 1 at a time',
        unit: 'ms',
        summary: singleSummary,
        reference: {
          name: `inline (Azure DevOps call ${INLINE_AZDO_DELAY_MS} ms)`,
          summary: summarize(inlineSingle.samples),
        },
        target: `p99 < ${SLACK_LIMIT_MS} ms (Slack's limit)`,
        met: singleSummary.p99 < SLACK_LIMIT_MS && failureNote(single) === undefined,
        note: notes(single, 'each click on a quiet host'),
      },
      {
        group: 'slack-ack',
        name: `click ack, ${BURST} concurrent`,
        unit: 'ms',
        summary: burstSummary,
        reference: {
          name: `inline (Azure DevOps call ${INLINE_AZDO_DELAY_MS} ms)`,
          summary: summarize(inlineBurst.samples),
        },
        target: `p99 ≤ ${FLOOR_FACTOR}× the minimal ack's p99 in this run (${round(FLOOR_FACTOR * floorSummary.p99)} ms)`,
        met: burstSummary.p99 <= FLOOR_FACTOR * floorSummary.p99 && failureNote(burst) === undefined,
        note: notes(
          burst,
          `${ROUNDS} bursts, wall per burst median ${round(summarize(burst.wallMs).median)} ms; ${cpu.per(burst.samples.length, 'click')}`,
        ),
      },
      {
        group: 'slack-ack',
        name: `minimal ack, ${BURST} concurrent (signature, 1 Table insert, 1 queue message; bare Node)`,
        unit: 'ms',
        summary: floorSummary,
        note: notes(
          acks.floor,
          `the floor under any ack that writes before it answers, on this machine: no function host, no decision read, no worker; each of its bursts right after the host's; ${acks.floorCpu.per(acks.floor.samples.length, 'click')}`,
        ),
      },
      {
        group: 'slack-ack',
        name: `function host peak RSS, ${BURST} concurrent clicks`,
        unit: 'MB',
        summary: summarize(peaksMB.map((peak) => round(peak, 1))),
        target: 'peak RSS ≤ 256 MB',
        met: memoryAfter.maxRssMB <= 256,
        note: `per-burst peaks (20 ms samples); whole-life maxRSS ${round(memoryAfter.maxRssMB)} MB; host warnings ${memoryAfter.warnings}, errors ${memoryAfter.errors}`,
      },
    ];
  } finally {
    await stack.stop();
  }
}
